//! The real Prometheus tools in tests: `promtool` and node_exporter, found on `PATH`
//! (`cargo xtask test` installs the pinned ones there; a test never skips without
//! them). Shared by the kit's and edge-agent's metrics tests (`#[path]`).

#![allow(dead_code, unreachable_pub)] // Each test file uses a different subset.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `name` on `PATH`.
pub fn find_on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The pinned `tool`'s executable `name` on `PATH`; panics (loudly) when there is none.
pub fn on_path(name: &str, tool: &str) -> PathBuf {
    find_on_path(name).unwrap_or_else(|| {
        let shown = if name == tool {
            name.to_owned()
        } else {
            format!("{name} ({tool})")
        };
        panic!(
            "{shown} is not on PATH: this test needs it and does not skip. `cargo xtask test` \
             installs the pinned {tool} and puts it on the tests' PATH; for a plain `cargo \
             test`, `cargo xtask doctor --install` installs it and `cargo xtask doctor` shows \
             the directory to put on PATH"
        )
    })
}

/// `promtool check metrics < file`: whether it passed without a word, and what it said.
pub fn promtool_check(file: &Path) -> (bool, String) {
    let out = Command::new(on_path("promtool", "promtool"))
        .args(["check", "metrics"])
        .stdin(std::fs::File::open(file).unwrap())
        .output()
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    let clean = out.status.success() && stdout.trim().is_empty() && stderr.trim().is_empty();
    (clean, format!("{}\n{stdout}\n{stderr}", out.status))
}

/// A node_exporter process, killed when dropped (a failed assertion included).
pub struct Exporter {
    child: Child,
    log: PathBuf,
}

impl Drop for Exporter {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Exporter {
    /// node_exporter with only the textfile collector, reading `dir`, on a free port.
    pub fn start(dir: &Path, log: PathBuf) -> (Exporter, u16) {
        let exe = on_path("prometheus-node-exporter", "node-exporter");
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(exe)
            .arg(format!("--collector.textfile.directory={}", dir.display()))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .args(["--collector.disable-defaults", "--collector.textfile"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        (Exporter { child, log }, port)
    }

    /// The body of `GET /metrics`, once it answers (at most 20 s).
    pub fn scrape(&mut self, port: u16) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!(
                    "node_exporter exited ({status}):\n{}",
                    std::fs::read_to_string(&self.log).unwrap_or_default()
                );
            }
            if let Some(body) = get_metrics(port) {
                return body;
            }
            assert!(
                Instant::now() < deadline,
                "node_exporter did not answer on 127.0.0.1:{port} within 20 s:\n{}",
                std::fs::read_to_string(&self.log).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `GET /metrics` over plain HTTP/1.0: the body of a 200 answer.
fn get_metrics(port: u16) -> Option<String> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .ok()?;
    let mut answer = String::new();
    stream.read_to_string(&mut answer).ok()?;
    let (head, body) = answer.split_once("\r\n\r\n")?;
    head.starts_with("HTTP/1.0 200")
        .then(|| body.to_owned())
        .or_else(|| head.starts_with("HTTP/1.1 200").then(|| body.to_owned()))
}
