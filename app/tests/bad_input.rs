//! The bad-input catalogue: malformed and hostile inputs against the real
//! `edge-agent` binary, one `#[test]` per case.
//!
//! Every case asserts the exact exit code, an `error: ` line (ours or clap's)
//! naming the culprit (file, flag, key, variable), and that nothing was lost or
//! changed: the spool (every name and byte, outside the agent's own `state/`),
//! the policy file and any file outside the spool are snapshotted before and
//! compared after. Cases where the input is tolerated (a skipped spool entry, a
//! rule naming an unknown slot) assert exit 0, the warning naming the culprit,
//! and that the hostile entry is left exactly as it was.

mod common;

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::agent;

/// How long any case may take: a hang (FIFO, `/dev/zero`) fails the case.
const TIMEOUT: Duration = Duration::from_secs(30);

/// A spool with work in it, a good policy file, and room for hostile files.
struct Fixture {
    dir: tempfile::TempDir,
}

/// One entry of a snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    File(Vec<u8>, u32),
    Dir(u32),
    Symlink(PathBuf),
    Other(u32),
}

type Snapshot = BTreeMap<PathBuf, Entry>;

impl Fixture {
    fn new() -> Fixture {
        let fx = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        let spool = fx.spool();
        for sub in ["incoming", "done", "state"] {
            std::fs::create_dir_all(spool.join(sub)).unwrap();
        }
        std::fs::write(spool.join("incoming/a.txt"), b"123456789").unwrap();
        std::fs::write(spool.join("incoming/b.bin"), [0u8, 1, 2, 255]).unwrap();
        std::fs::write(spool.join("done/old.txt"), b"processed earlier").unwrap();
        std::fs::write(
            fx.policy(),
            "# last good policy\n[deny]\nshowcase = [\"0.2.0\"]\n",
        )
        .unwrap();
        std::fs::write(fx.path("outside.txt"), b"not the agent's").unwrap();
        fx
    }

    fn spool(&self) -> PathBuf {
        self.dir.path().join("spool")
    }

    fn policy(&self) -> PathBuf {
        self.dir.path().join("policy.toml")
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Writes `bytes` to `name` beside the spool and returns its path.
    fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&path, bytes).unwrap();
        path
    }

    /// Everything under the fixture except the agent's `state/` (it writes its
    /// quarantine there on start) and what the run is allowed to add.
    fn snapshot(&self) -> Snapshot {
        let mut out = Snapshot::new();
        walk(self.dir.path(), self.dir.path(), &mut out);
        // `<spool>/state/` is the agent's own (it writes its quarantine on start).
        out.retain(|p, _| {
            p.components()
                .nth(1)
                .is_none_or(|c| c.as_os_str() != "state")
        });
        out
    }
}

/// Fails naming every path that appeared, vanished or changed.
#[track_caller]
fn assert_unchanged(before: &Snapshot, after: &Snapshot, context: &str) {
    let mut diff = Vec::new();
    for (path, entry) in before {
        match after.get(path) {
            None => diff.push(format!("removed {}", path.display())),
            Some(now) if now != entry => diff.push(format!("changed {}", path.display())),
            Some(_) => {}
        }
    }
    for path in after.keys().filter(|p| !before.contains_key(*p)) {
        diff.push(format!("added {}", path.display()));
    }
    assert!(diff.is_empty(), "files changed: {diff:?}\n{context}");
}

fn walk(root: &Path, dir: &Path, out: &mut Snapshot) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let path = entry.path();
        let rel = path.strip_prefix(root).unwrap().to_owned();
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let mode = meta.permissions().mode();
        let ft = meta.file_type();
        if ft.is_symlink() {
            out.insert(rel, Entry::Symlink(std::fs::read_link(&path).unwrap()));
        } else if ft.is_dir() {
            out.insert(rel, Entry::Dir(mode));
            walk(root, &path, out);
        } else if ft.is_file() {
            let bytes = std::fs::read(&path).unwrap_or_else(|e| format!("<{e}>").into_bytes());
            out.insert(rel, Entry::File(bytes, mode));
        } else {
            out.insert(rel, Entry::Other(mode));
        }
    }
}

/// Runs `cmd` with a timeout; returns (code, stderr, elapsed).
fn run_bounded(cmd: &mut Command) -> (i32, String, Duration) {
    let start = Instant::now();
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("edge-agent starts");
    let mut stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut stderr, &mut buf).unwrap();
        buf
    });
    let code = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status.code().unwrap_or(-1);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("edge-agent did not finish within {TIMEOUT:?}: it hangs on this input");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let elapsed = start.elapsed();
    let stderr = String::from_utf8_lossy(&reader.join().unwrap()).into_owned();
    (code, strip_ansi(&stderr), elapsed)
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// The input must be refused: exit `code`, an `error: ` line, every culprit
/// named in stderr, nothing changed. Returns stderr.
#[track_caller]
fn refused(fx: &Fixture, cmd: &mut Command, code: i32, culprits: &[&str]) -> String {
    let before = fx.snapshot();
    let (got, stderr, elapsed) = run_bounded(cmd);
    assert_eq!(got, code, "exit code; stderr:\n{stderr}");
    assert!(
        stderr.lines().any(|l| l.starts_with("error: ")),
        "no `error: ` line in stderr:\n{stderr}"
    );
    for culprit in culprits {
        assert!(
            stderr.contains(culprit),
            "stderr does not name `{culprit}`:\n{stderr}"
        );
    }
    assert!(elapsed < Duration::from_secs(10), "took {elapsed:?}");
    assert_eq!(
        fx.snapshot(),
        before,
        "the run changed files; stderr:\n{stderr}"
    );
    stderr
}

/// The input is tolerated: exit 0, no `error: ` line, the warning names every
/// culprit. Returns stderr.
#[track_caller]
fn tolerated(cmd: &mut Command, culprits: &[&str]) -> String {
    let (got, stderr, _) = run_bounded(cmd);
    assert_eq!(got, 0, "exit code; stderr:\n{stderr}");
    assert!(
        !stderr.lines().any(|l| l.starts_with("error: ")),
        "unexpected error:\n{stderr}"
    );
    for culprit in culprits {
        assert!(
            stderr.contains(culprit),
            "stderr does not name `{culprit}`:\n{stderr}"
        );
    }
    stderr
}

/// `run --once` that keeps some inputs: exit 5, an `error:` line saying how many
/// were left, every culprit named.
fn left_unprocessed(cmd: &mut Command, left: u64, culprits: &[&str]) -> String {
    let (got, stderr, _) = run_bounded(cmd);
    assert_eq!(got, 5, "exit code; stderr:\n{stderr}");
    let expected = format!("error: {left} input(s) left unprocessed in incoming/");
    assert!(
        stderr.lines().any(|l| l.starts_with(&expected)),
        "no `{expected}` line:\n{stderr}"
    );
    for culprit in culprits {
        assert!(
            stderr.contains(culprit),
            "stderr does not name `{culprit}`:\n{stderr}"
        );
    }
    stderr
}

fn explain() -> Command {
    let mut cmd = agent();
    cmd.args(["plugins", "explain"]);
    cmd
}

fn run_once(fx: &Fixture) -> Command {
    let mut cmd = agent();
    cmd.args(["run", "--once", "--no-watch-exe", "--spool"])
        .arg(fx.spool());
    cmd
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// A facts file that is valid, with `edit` applied to its JSON text.
fn facts_with(edit: impl Fn(String) -> String) -> String {
    edit(
        r#"{"hostname":"h","os":"linux","arch":"x86_64","cpu_features":["sse4.2"],"logical_cores":2,"memory_mb":1024,"labels":{}}"#
            .to_owned(),
    )
}

/// 20 MB of junk (no newline, no structure).
fn junk() -> Vec<u8> {
    (0..20_000_000u32)
        .map(|i| b"x]{=\"\0"[(i % 6) as usize])
        .collect()
}

/// Asserts the good inputs were processed and the spool still holds `kept`.
#[track_caller]
fn processed_good_inputs_kept(fx: &Fixture, kept: &str) {
    let done = fx.spool().join("done");
    assert_eq!(std::fs::read(done.join("a.txt")).unwrap(), b"123456789");
    assert_eq!(std::fs::read(done.join("b.bin")).unwrap(), [0u8, 1, 2, 255]);
    assert_eq!(
        std::fs::read(done.join("old.txt")).unwrap(),
        b"processed earlier"
    );
    assert!(
        std::fs::symlink_metadata(fx.spool().join("incoming").join(kept)).is_ok(),
        "{kept} was removed"
    );
}

// ---------------------------------------------------------------- CLI flags

#[test]
fn cli_unknown_flag() {
    let fx = Fixture::new();
    refused(&fx, explain().arg("--frobnicate"), 2, &["--frobnicate"]);
}

#[test]
fn cli_unknown_subcommand() {
    let fx = Fixture::new();
    refused(&fx, agent().args(["plugins", "frob"]), 2, &["frob"]);
}

#[test]
fn cli_missing_value() {
    let fx = Fixture::new();
    refused(&fx, explain().arg("--pin"), 2, &["--pin"]);
}

#[test]
fn cli_run_without_spool() {
    let fx = Fixture::new();
    refused(&fx, agent().args(["run", "--once"]), 2, &["--spool"]);
}

#[test]
fn cli_bad_duration() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).args(["--interval", "soon"]),
        2,
        &["--interval", "soon"],
    );
}

#[test]
fn cli_zero_interval() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).args(["--interval", "0s"]),
        2,
        &["--interval", "greater than zero"],
    );
}

#[test]
fn cli_upgrade_exit_code_zero() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).args(["--upgrade-exit-code", "0"]),
        2,
        &["--upgrade-exit-code", "0"],
    );
}

#[test]
fn cli_upgrade_exit_code_out_of_range() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).args(["--upgrade-exit-code", "256"]),
        2,
        &["--upgrade-exit-code", "256"],
    );
}

#[test]
fn cli_upgrade_exit_code_not_a_number() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).args(["--upgrade-exit-code", "restart"]),
        2,
        &["--upgrade-exit-code", "restart"],
    );
}

#[test]
fn cli_bad_log_format() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).args(["--log-format", "xml"]),
        2,
        &["--log-format", "xml"],
    );
}

#[test]
fn cli_non_utf8_argument() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain()
            .arg("--slot")
            .arg(OsString::from_vec(b"show\xffcase".to_vec())),
        2,
        // clap does not say which argument: it rejects the command line as a whole.
        &["invalid UTF-8", "Usage: edge-agent plugins explain"],
    );
}

// ------------------------------------------------------ pins and denies (flags)

#[test]
fn pin_flag_invalid_semver() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--pin", "showcase=^x"]),
        2,
        &["--pin", "`^x`"],
    );
}

#[test]
fn pin_flag_without_equals() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--pin", "showcase"]),
        2,
        &["--pin", "SLOT=REQ"],
    );
}

#[test]
fn pin_flag_bad_slot_name() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--pin", "Show Case=1"]),
        2,
        &["--pin", "`Show Case`"],
    );
}

#[test]
fn deny_flag_invalid_semver() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).args(["--deny", "showcase@1"]),
        2,
        &["--deny", "`1`"],
    );
}

#[test]
fn deny_flag_without_at() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--deny", "showcase=0.1.0"]),
        2,
        &["--deny", "SLOT@VERSION"],
    );
}

#[test]
fn pin_flag_unknown_slot_is_refused_not_ignored() {
    // A mistyped rollback must not look like one: exit 4, naming the flag and the slots.
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--pin", "nosuch=1.0.0"]),
        4,
        &[
            "--pin nosuch=",
            "`nosuch`",
            "checksum",
            "showcase",
            "uplink",
        ],
    );
    refused(
        &fx,
        run_once(&fx).args(["--pin", "nosuch=1.0.0"]),
        4,
        &["--pin nosuch=", "checksum, "],
    );
}

#[test]
fn deny_flag_unknown_slot_is_refused() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).args(["--deny", "ghost@1.0.0"]),
        4,
        &["--deny ghost@1.0.0", "`ghost`", "showcase"],
    );
}

#[test]
fn deny_flag_unknown_version_is_refused_listing_the_versions() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--deny", "showcase@0.9.0"]),
        4,
        &["--deny showcase@0.9.0", "0.10.0", "0.2.0", "0.1.0"],
    );
}

// ------------------------------------------------- MUSTER_* environment

#[test]
fn env_pin_invalid_semver() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().env("MUSTER_PIN", "showcase=^0.1,checksum=one"),
        4,
        &["MUSTER_PIN", "`one`"],
    );
}

#[test]
fn env_deny_invalid_semver_stops_run_before_the_spool() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).env("MUSTER_DENY", "showcase@latest"),
        4,
        &["MUSTER_DENY", "latest"],
    );
}

#[test]
fn env_allow_prerelease_not_a_boolean() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().env("MUSTER_ALLOW_PRERELEASE", "maybe"),
        4,
        &["MUSTER_ALLOW_PRERELEASE", "maybe"],
    );
}

#[test]
fn env_pin_not_utf8() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().env(
            "MUSTER_PIN",
            OsString::from_vec(b"showcase=^0.\xff".to_vec()),
        ),
        4,
        &["MUSTER_PIN", "UTF-8"],
    );
}

#[test]
fn env_rules_for_unknown_slots_only_warn() {
    // Documented choice (docs/operator.md): the environment is shared across a fleet
    // like the policy file, so it warns where a flag is refused.
    tolerated(
        explain()
            .env("MUSTER_PIN", "nosuch=^1")
            .env("MUSTER_DENY", "showcase@0.9.0"),
        &[
            "warning: pin nosuch=^1 (env MUSTER_PIN)",
            "deny showcase@0.9.0 (env MUSTER_DENY)",
        ],
    );
}

// ------------------------------------------------------------ policy files

#[test]
fn policy_empty_file_is_an_empty_policy() {
    let fx = Fixture::new();
    let empty = fx.write("empty.toml", "");
    tolerated(explain().arg("--policy").arg(&empty), &[]);
    // Same decision as no policy at all, and the report says there is none.
    let host = common::host("edge-a");
    let explain_json = |policy: Option<&Path>| {
        let mut cmd = explain();
        cmd.arg("--json").arg("--facts").arg(&host);
        if let Some(p) = policy {
            cmd.arg("--policy").arg(p);
        }
        let (code, out, err) = common::run(&mut cmd);
        assert_eq!(code, 0, "{err}");
        common::json(&out)
    };
    let with_empty = explain_json(Some(&empty));
    assert_eq!(with_empty["slots"], explain_json(None)["slots"]);
    assert_eq!(with_empty["policy_warnings"], serde_json::json!([]));
    let policy = &with_empty["policy"];
    for rules in ["pins", "denies"] {
        assert!(
            policy[rules].as_object().is_none_or(|m| m.is_empty()),
            "{rules} in {policy}"
        );
    }
    assert!(policy["allow_prerelease"].is_null(), "{policy}");
    let (_, text, _) = common::run(
        explain()
            .arg("--facts")
            .arg(&host)
            .arg("--policy")
            .arg(&empty),
    );
    assert!(text.contains("policy: none"), "{text}");
}

#[test]
fn policy_missing_file() {
    let fx = Fixture::new();
    let missing = fx.path("missing.toml");
    refused(
        &fx,
        run_once(&fx).arg("--policy").arg(&missing),
        4,
        &[&s(&missing), "No such file"],
    );
}

#[test]
fn policy_is_a_directory() {
    let fx = Fixture::new();
    let dir = fx.path("policy.d");
    std::fs::create_dir(&dir).unwrap();
    refused(
        &fx,
        explain().arg("--policy").arg(&dir),
        4,
        &[&s(&dir), "directory"],
    );
}

#[test]
fn policy_huge_junk_file() {
    let fx = Fixture::new();
    let huge = fx.write("huge.toml", junk());
    refused(
        &fx,
        run_once(&fx).arg("--policy").arg(&huge),
        4,
        &[&s(&huge), "limit"],
    );
}

#[test]
fn policy_is_dev_zero() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--policy", "/dev/zero"]),
        4,
        &["/dev/zero", "not a regular file"],
    );
}

#[test]
fn policy_is_a_fifo() {
    let fx = Fixture::new();
    let fifo = fx.path("policy.fifo");
    mkfifo(&fifo);
    refused(
        &fx,
        explain().arg("--policy").arg(&fifo),
        4,
        &[&s(&fifo), "not a regular file"],
    );
}

#[test]
fn policy_not_utf8() {
    let fx = Fixture::new();
    let bad = fx.write("latin1.toml", b"[pin]\nshowcase = \"^0.1\" # caf\xe9\n");
    refused(
        &fx,
        explain().arg("--policy").arg(&bad),
        4,
        &[&s(&bad), "UTF-8"],
    );
}

#[test]
fn policy_unknown_key() {
    let fx = Fixture::new();
    let bad = fx.write("typo.toml", "[pins]\nshowcase = \"^0.1\"\n");
    refused(
        &fx,
        explain().arg("--policy").arg(&bad),
        4,
        &[&s(&bad), "pins"],
    );
}

#[test]
fn policy_deny_is_a_string_not_a_list() {
    let fx = Fixture::new();
    let bad = fx.write("deny.toml", "[deny]\nshowcase = \"0.2.0\"\n");
    refused(
        &fx,
        run_once(&fx).arg("--policy").arg(&bad),
        4,
        &[&s(&bad), "line 2", "sequence"],
    );
}

#[test]
fn policy_allow_prerelease_is_a_string() {
    let fx = Fixture::new();
    let bad = fx.write("pre.toml", "allow_prerelease = \"yes\"\n");
    refused(
        &fx,
        explain().arg("--policy").arg(&bad),
        4,
        &[&s(&bad), "allow_prerelease"],
    );
}

#[test]
fn policy_pin_invalid_semver() {
    let fx = Fixture::new();
    let bad = fx.write("pin.toml", "[pin]\nshowcase = \"^zero\"\n");
    refused(
        &fx,
        explain().arg("--policy").arg(&bad),
        4,
        &[&s(&bad), "pin.showcase", "^zero"],
    );
}

#[test]
fn policy_deny_bad_slot_name() {
    let fx = Fixture::new();
    let bad = fx.write("slot.toml", "[deny]\n\"Show Case\" = [\"0.1.0\"]\n");
    refused(
        &fx,
        explain().arg("--policy").arg(&bad),
        4,
        &[&s(&bad), "deny.Show Case"],
    );
}

#[test]
fn policy_duplicate_key() {
    let fx = Fixture::new();
    let bad = fx.write(
        "dup.toml",
        "[pin]\nshowcase = \"^0.1\"\nshowcase = \"^0.2\"\n",
    );
    refused(
        &fx,
        explain().arg("--policy").arg(&bad),
        4,
        &[&s(&bad), "duplicate", "showcase"],
    );
}

#[test]
fn policy_deeply_nested_arrays() {
    let fx = Fixture::new();
    let bad = fx.write(
        "deep.toml",
        format!("[deny]\nshowcase = {}\n", "[".repeat(100_000)),
    );
    refused(&fx, explain().arg("--policy").arg(&bad), 4, &[&s(&bad)]);
}

#[test]
fn policy_pins_a_version_that_does_not_exist() {
    let fx = Fixture::new();
    let pin = fx.write("pin-missing.toml", "[pin]\nshowcase = \"=9.9.9\"\n");
    let stderr = refused(
        &fx,
        explain().arg("--policy").arg(&pin),
        3,
        &[
            "warning: pin showcase==9.9.9",
            &s(&pin),
            "slot `showcase` has no version matching =9.9.9 compiled in (versions: 0.10.0, 0.2.0, 0.1.0)",
            "error: no acceptable version for slot(s): showcase",
        ],
    );
    assert!(!stderr.contains("checksum"), "{stderr}");
}

#[test]
fn policy_pin_missing_version_keeps_the_spool_on_run() {
    let fx = Fixture::new();
    let pin = fx.write("pin-missing.toml", "[pin]\nchecksum = \"=9.9.9\"\n");
    refused(
        &fx,
        run_once(&fx).arg("--policy").arg(&pin),
        3,
        &["pin checksum==9.9.9", "slot_failed", "a.txt", "checksum"],
    );
}

#[test]
fn policy_names_an_unknown_slot() {
    let fx = Fixture::new();
    let p = fx.write(
        "unknown-slot.toml",
        "[pin]\nnosuch = \"^1\"\n[deny]\nghost = [\"1.0.0\"]\n",
    );
    let before = fx.snapshot();
    tolerated(
        explain().arg("--policy").arg(&p),
        &[
            "warning: pin nosuch=^1",
            "no slot `nosuch` is compiled in (slots: checksum, ",
            "warning: deny ghost@1.0.0",
            "no slot `ghost` is compiled in",
        ],
    );
    assert_unchanged(&before, &fx.snapshot(), "");
}

// -------------------------------------------------------------- facts files

#[test]
fn facts_empty_file() {
    let fx = Fixture::new();
    let f = fx.write("empty.json", "");
    refused(&fx, explain().arg("--facts").arg(&f), 4, &[&s(&f), "EOF"]);
}

#[test]
fn facts_missing_file() {
    let fx = Fixture::new();
    let f = fx.path("missing.json");
    refused(&fx, explain().arg("--facts").arg(&f), 4, &[&s(&f)]);
}

#[test]
fn facts_huge_junk_file() {
    let fx = Fixture::new();
    let f = fx.write("huge.json", junk());
    refused(&fx, explain().arg("--facts").arg(&f), 4, &[&s(&f), "limit"]);
}

#[test]
fn facts_is_a_fifo() {
    let fx = Fixture::new();
    let f = fx.path("host.fifo");
    mkfifo(&f);
    refused(
        &fx,
        explain().arg("--facts").arg(&f),
        4,
        &[&s(&f), "not a regular file"],
    );
}

#[test]
fn facts_not_utf8() {
    let fx = Fixture::new();
    let text = facts_with(|j| j.replace("\"h\"", "\"h@\""));
    let bytes: Vec<u8> = text
        .bytes()
        .map(|b| if b == b'@' { 0xe9 } else { b })
        .collect();
    let f = fx.write("latin1.json", bytes);
    refused(&fx, explain().arg("--facts").arg(&f), 4, &[&s(&f), "UTF-8"]);
}

#[test]
fn facts_wrong_json_type() {
    let fx = Fixture::new();
    let f = fx.write(
        "type.json",
        facts_with(|j| j.replace("\"logical_cores\":2", "\"logical_cores\":\"two\"")),
    );
    refused(
        &fx,
        explain().arg("--facts").arg(&f),
        4,
        &[&s(&f), "invalid type", "\"two\""],
    );
}

#[test]
fn facts_negative_cores() {
    let fx = Fixture::new();
    let f = fx.write(
        "neg.json",
        facts_with(|j| j.replace("\"logical_cores\":2", "\"logical_cores\":-1")),
    );
    refused(&fx, explain().arg("--facts").arg(&f), 4, &[&s(&f), "-1"]);
}

#[test]
fn facts_top_level_array() {
    let fx = Fixture::new();
    let f = fx.write("array.json", "[1, 2, 3]");
    refused(
        &fx,
        explain().arg("--facts").arg(&f),
        4,
        &[&s(&f), "invalid type"],
    );
}

#[test]
fn facts_unknown_key() {
    let fx = Fixture::new();
    let f = fx.write(
        "unknown.json",
        facts_with(|j| j.replace("\"memory_mb\"", "\"memory\"")),
    );
    refused(
        &fx,
        explain().arg("--facts").arg(&f),
        4,
        &[&s(&f), "unknown field `memory`"],
    );
}

#[test]
fn facts_zero_cores() {
    let fx = Fixture::new();
    let f = fx.write(
        "zero.json",
        facts_with(|j| j.replace("\"logical_cores\":2", "\"logical_cores\":0")),
    );
    refused(
        &fx,
        explain().arg("--facts").arg(&f),
        4,
        &[&s(&f), "logical_cores"],
    );
}

#[test]
fn facts_empty_os() {
    let fx = Fixture::new();
    let f = fx.write("os.json", facts_with(|j| j.replace("\"linux\"", "\"  \"")));
    refused(&fx, explain().arg("--facts").arg(&f), 4, &[&s(&f), "`os`"]);
}

#[test]
fn facts_empty_label_key() {
    let fx = Fixture::new();
    let f = fx.write(
        "label.json",
        facts_with(|j| j.replace("\"labels\":{}", "\"labels\":{\"\":\"x\"}")),
    );
    refused(
        &fx,
        explain().arg("--facts").arg(&f),
        4,
        &[&s(&f), "label key"],
    );
}

#[test]
fn facts_deeply_nested_json() {
    let fx = Fixture::new();
    // Facts hold no nested values: the parser stops at the first bracket, so
    // depth cannot exhaust the stack.
    let f = fx.write(
        "deep.json",
        format!("{{\"labels\":{{\"a\":{}", "[".repeat(100_000)),
    );
    refused(
        &fx,
        explain().arg("--facts").arg(&f),
        4,
        &[&s(&f), "invalid type: sequence"],
    );
}

// -------------------------------------------------------------------- fleet

#[test]
fn fleet_dir_without_facts_files() {
    let fx = Fixture::new();
    let dir = fx.path("fleet");
    std::fs::create_dir(&dir).unwrap();
    fx.write("fleet/readme.txt", "no hosts here");
    refused(
        &fx,
        agent().args(["plugins", "fleet"]).arg(&dir),
        4,
        &[&s(&dir), "no facts files"],
    );
}

#[test]
fn fleet_bad_file_among_good_ones() {
    let fx = Fixture::new();
    let dir = fx.path("fleet");
    for host in ["edge-a", "edge-b"] {
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::copy(common::host(host), dir.join(format!("{host}.json"))).unwrap();
    }
    let bad = fx.write(
        "fleet/edge-bad.json",
        facts_with(|j| j.replace("\"linux\"", "linux")),
    );
    refused(
        &fx,
        agent().args(["plugins", "fleet"]).arg(&dir),
        4,
        &[&s(&bad), "expected value"],
    );
}

#[test]
fn fleet_dir_missing() {
    let fx = Fixture::new();
    let dir = fx.path("no-fleet");
    refused(
        &fx,
        agent().args(["plugins", "fleet"]).arg(&dir),
        4,
        &[&s(&dir), "cannot read fleet directory"],
    );
}

// ------------------------------------------------------------- slot, state

#[test]
fn explain_unknown_slot() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--slot", "nosuch"]),
        4,
        &["--slot nosuch", "showcase"],
    );
}

#[test]
fn state_dir_without_state() {
    let fx = Fixture::new();
    let dir = fx.path("empty-state");
    std::fs::create_dir(&dir).unwrap();
    refused(
        &fx,
        explain().arg("--state").arg(&dir),
        4,
        &[&s(&dir), "quarantine.json"],
    );
}

#[test]
fn state_corrupt_quarantine() {
    let fx = Fixture::new();
    let q = fx.write("agent/state/quarantine.json", b"{\"entries\": [tru");
    refused(
        &fx,
        explain().arg("--state").arg(fx.path("agent")),
        4,
        &[&s(&q), "invalid state file"],
    );
}

#[test]
fn state_quarantine_wrong_shape() {
    let fx = Fixture::new();
    let q = fx.write("agent/state/quarantine.json", b"[\"showcase\", 42]");
    refused(
        &fx,
        explain().arg("--state").arg(fx.path("agent")),
        4,
        &[&s(&q), "invalid"],
    );
}

#[test]
fn policy_quarantine_strikes_zero_or_absurd() {
    for bad in ["0", "1000000", "-2", "\"two\""] {
        let fx = Fixture::new();
        let p = fx.write("strikes.toml", format!("quarantine_strikes = {bad}\n"));
        refused(
            &fx,
            run_once(&fx).arg("--policy").arg(&p),
            4,
            &[&s(&p), "quarantine_strikes"],
        );
    }
}

// ------------------------------------------------------- agent state at start
// A crash can leave any of the agent's own files torn: it must start anyway (one
// error event naming the file, the file kept aside as NAME.corrupt), process its
// inputs, and never crash-loop because of them.

/// `run --once` with a state file replaced by `bytes`: exit 0, every input done,
/// the bad file kept as `NAME.corrupt`, one `state_file_invalid` event naming it.
fn starts_despite_state_file(name: &str, bytes: &[u8]) {
    let fx = Fixture::new();
    let path = fx.spool().join("state").join(name);
    std::fs::write(&path, bytes).unwrap();
    let stderr = tolerated(
        run_once(&fx).args(["--log-format", "json"]),
        &["state_file_invalid", &s(&path)],
    );
    assert_eq!(
        stderr.matches("\"event\":\"state_file_invalid\"").count(),
        1,
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(fx.spool().join("state").join(format!("{name}.corrupt"))).unwrap(),
        bytes,
        "the bad file is kept for inspection"
    );
    processed_every_input(&fx);
    // And the next start is clean.
    let again = tolerated(run_once(&fx).args(["--log-format", "json"]), &[]);
    assert!(!again.contains("state_file_invalid"), "{again}");
}

fn processed_every_input(fx: &Fixture) {
    let done = fx.spool().join("done");
    for name in ["a.txt", "b.bin", "old.txt"] {
        assert!(done.join(name).exists(), "{name} processed");
    }
    assert_eq!(
        std::fs::read_dir(fx.spool().join("incoming"))
            .unwrap()
            .count(),
        0
    );
}

#[test]
fn state_truncated_in_flight_record_at_start() {
    starts_despite_state_file("inflight.json", b"{\"slot\":\"checksum\",\"vers");
}

#[test]
fn state_in_flight_record_of_the_wrong_shape_at_start() {
    starts_despite_state_file("inflight.json", b"[1, 2, 3]\n");
}

#[test]
fn state_corrupt_quarantine_at_start() {
    starts_despite_state_file("quarantine.json", b"{\"slots\": {\"checksum\": [tru");
}

#[test]
fn state_corrupt_strikes_at_start() {
    starts_despite_state_file("strikes.json", &[0xff, 0xfe, 0x00, 0x01]);
}

#[test]
fn state_corrupt_held_slots_at_start() {
    starts_despite_state_file("held.json", b"{\"held\": [{\"slot\": 3}]}");
}

#[test]
fn state_in_flight_record_naming_an_unknown_slot_is_a_harmless_strike() {
    let fx = Fixture::new();
    std::fs::write(
        fx.spool().join("state/inflight.json"),
        b"{\"slot\":\"nosuch\",\"version\":\"1.0.0\",\"unit\":\"a.txt\",\"pid\":1,\"since_unix\":1}\n",
    )
    .unwrap();
    let stderr = tolerated(
        run_once(&fx).args(["--log-format", "json"]),
        &["\"event\":\"strike\"", "nosuch"],
    );
    assert!(!stderr.contains("\"event\":\"quarantine\""), "{stderr}");
    processed_every_input(&fx);
}

#[test]
fn state_in_flight_path_is_a_directory() {
    // Set aside like a corrupt file; the agent records into a fresh one. (An
    // unwritable state directory, `state_unwritable`, is in
    // `spool_read_only_directory`: root ignores permissions.)
    let fx = Fixture::new();
    let odd = fx.spool().join("state/inflight.json");
    std::fs::create_dir(&odd).unwrap();
    tolerated(
        &mut run_once(&fx),
        &["state_file_invalid", &s(&odd), "a directory"],
    );
    assert!(fx.spool().join("state/inflight.json.corrupt").is_dir());
    assert!(odd.is_file());
    processed_every_input(&fx);
}

#[test]
fn state_directory_is_a_regular_file() {
    let fx = Fixture::new();
    std::fs::remove_dir(fx.spool().join("state")).unwrap();
    let state = fx.write("spool/state", b"not a directory");
    refused(
        &fx,
        &mut run_once(&fx),
        4,
        &["--spool", &s(&state), "is not a directory"],
    );
}

#[test]
fn quarantine_list_of_a_directory_without_state() {
    let fx = Fixture::new();
    let dir = fx.path("empty");
    std::fs::create_dir(&dir).unwrap();
    refused(
        &fx,
        agent().args(["quarantine", "list", "--state"]).arg(&dir),
        4,
        &[&s(&dir), "no agent state"],
    );
}

#[test]
fn quarantine_list_with_corrupt_strikes() {
    let fx = Fixture::new();
    let bad = fx.write("agent/state/strikes.json", b"{\"slots\": 7}");
    refused(
        &fx,
        agent()
            .args(["quarantine", "list", "--spool"])
            .arg(fx.path("agent")),
        4,
        &[&s(&bad), "invalid state file"],
    );
}

#[test]
fn quarantine_list_with_corrupt_held_slots() {
    let fx = Fixture::new();
    fx.write("agent/state/quarantine.json", b"{\"slots\": {}}");
    let bad = fx.write("agent/state/held.json", b"{\"held\": 7}");
    refused(
        &fx,
        agent()
            .args(["quarantine", "list", "--spool"])
            .arg(fx.path("agent")),
        4,
        &[&s(&bad), "invalid state file"],
    );
}

#[test]
fn quarantine_clear_unknown_slot_or_bad_version() {
    let fx = Fixture::new();
    fx.write("agent/state/quarantine.json", b"{\"slots\": {}}");
    refused(
        &fx,
        agent()
            .args(["quarantine", "clear", "--slot", "nosuch", "--state"])
            .arg(fx.path("agent")),
        4,
        &["--slot nosuch: no slot `nosuch` is compiled in (slots: checksum, "],
    );
    refused(
        &fx,
        agent()
            .args(["quarantine", "clear", "--version", "1.x", "--state"])
            .arg(fx.path("agent")),
        2,
        &["--version", "1.x"],
    );
}

// -------------------------------------------------------------------- spool

#[test]
fn spool_path_is_a_regular_file() {
    let fx = Fixture::new();
    let file = fx.write("not-a-dir", b"keep me");
    refused(
        &fx,
        agent().args(["run", "--once", "--spool"]).arg(&file),
        4,
        &["--spool", &s(&file), "not a directory"],
    );
}

#[test]
fn spool_incoming_is_a_regular_file() {
    let fx = Fixture::new();
    let spool = fx.path("odd-spool");
    fx.write("odd-spool/incoming", b"keep me too");
    refused(
        &fx,
        agent().args(["run", "--once", "--spool"]).arg(&spool),
        4,
        &["--spool", &s(&spool.join("incoming")), "is not a directory"],
    );
}

#[test]
fn spool_symlink_pointing_outside_is_not_followed() {
    let fx = Fixture::new();
    let link = fx.spool().join("incoming/escape.txt");
    std::os::unix::fs::symlink(fx.path("outside.txt"), &link).unwrap();
    let outside = std::fs::read(fx.path("outside.txt")).unwrap();
    tolerated(&mut run_once(&fx), &["escape.txt", "symlink: not followed"]);
    processed_good_inputs_kept(&fx, "escape.txt");
    assert_eq!(std::fs::read_link(&link).unwrap(), fx.path("outside.txt"));
    assert_eq!(std::fs::read(fx.path("outside.txt")).unwrap(), outside);
    assert!(!fx.spool().join("done/escape.txt").exists());
}

#[test]
fn spool_symlink_to_a_directory_is_not_followed() {
    let fx = Fixture::new();
    let link = fx.spool().join("incoming/etc");
    std::os::unix::fs::symlink("/etc", &link).unwrap();
    tolerated(
        &mut run_once(&fx),
        &["incoming/etc", "symlink: not followed"],
    );
    processed_good_inputs_kept(&fx, "etc");
}

#[test]
fn spool_non_utf8_file_name_is_skipped_and_kept() {
    let fx = Fixture::new();
    let name = OsString::from_vec(b"report-\xff.bin".to_vec());
    let path = fx.spool().join("incoming").join(&name);
    std::fs::write(&path, b"latin-1 named").unwrap();
    tolerated(&mut run_once(&fx), &["not valid UTF-8", "report-"]);
    assert_eq!(std::fs::read(&path).unwrap(), b"latin-1 named");
    assert!(fx.spool().join("done/a.txt").is_file() && fx.spool().join("done/b.bin").is_file());
}

#[test]
fn spool_fifo_in_incoming_is_skipped() {
    let fx = Fixture::new();
    mkfifo(&fx.spool().join("incoming/pipe"));
    tolerated(&mut run_once(&fx), &["incoming/pipe", "not a regular file"]);
    processed_good_inputs_kept(&fx, "pipe");
}

#[test]
fn spool_directory_in_incoming_is_skipped() {
    let fx = Fixture::new();
    fx.write("spool/incoming/sub/inner.txt", b"inside");
    tolerated(&mut run_once(&fx), &["incoming/sub", "not a regular file"]);
    processed_good_inputs_kept(&fx, "sub");
    assert_eq!(
        std::fs::read(fx.spool().join("incoming/sub/inner.txt")).unwrap(),
        b"inside"
    );
}

#[test]
fn spool_unreadable_input() {
    let fx = Fixture::new();
    let path = fx.spool().join("incoming/secret.txt");
    std::fs::write(&path, b"mode 000").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Root (CI) reads mode-000 files: the agent processes it like any other.
        println!("running as root: a mode-000 file is readable, so it is processed");
        tolerated(&mut run_once(&fx), &["secret.txt"]);
        let done = fx.spool().join("done/secret.txt");
        std::fs::set_permissions(&done, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(std::fs::read(done).unwrap(), b"mode 000");
    } else {
        tolerated(
            &mut run_once(&fx),
            &["secret.txt", "cannot read", "unit_kept"],
        );
        processed_good_inputs_kept(&fx, "secret.txt");
    }
}

#[test]
fn spool_read_only_directory() {
    let fx = Fixture::new();
    if !is_root() {
        common::not_run(
            "spool_read_only_directory",
            "root, for a read-only bind mount",
        );
        return;
    }
    let spool = fx.spool();
    mount(&["--bind", &s(&spool), &s(&spool)]);
    if let Err(err) = try_mount(&["-o", "remount,bind,ro", &s(&spool)]) {
        let _ = Command::new("umount").arg(&spool).status();
        panic!("{err}");
    }
    let before = fx.snapshot();
    let result = std::panic::catch_unwind(|| {
        left_unprocessed(
            &mut run_once(&fx),
            2,
            &[
                "a.txt",
                "unit_kept",
                "Read-only file system",
                "state_unwritable",
            ],
        );
    });
    let unmounted = Command::new("umount").arg(&spool).status().unwrap();
    assert!(unmounted.success());
    result.unwrap();
    assert_unchanged(
        &before,
        &fx.snapshot(),
        "nothing moves on a read-only spool",
    );
}

#[test]
fn spool_on_a_full_disk() {
    let fx = Fixture::new();
    if !is_root() {
        common::not_run("spool_on_a_full_disk", "root, to mount a 64 KiB tmpfs");
        return;
    }
    let spool = fx.path("tiny");
    std::fs::create_dir(&spool).unwrap();
    mount(&["-t", "tmpfs", "-o", "size=64k", "tmpfs", &s(&spool)]);
    let result = std::panic::catch_unwind(|| {
        for sub in ["incoming", "done", "state"] {
            std::fs::create_dir_all(spool.join(sub)).unwrap();
        }
        std::fs::write(spool.join("incoming/a.txt"), b"123456789").unwrap();
        // Fill the disk.
        let mut i = 0;
        while std::fs::write(spool.join(format!("filler-{i}")), [7u8; 4096]).is_ok() {
            i += 1;
        }
        let before = fx.snapshot();
        let (code, stderr, _) = run_bounded(
            agent()
                .args(["run", "--once", "--no-watch-exe", "--spool"])
                .arg(&spool),
        );
        (code, stderr, before, fx.snapshot())
    });
    let unmounted = Command::new("umount").arg(&spool).status().unwrap();
    assert!(unmounted.success());
    let (code, stderr, before, mut after) = result.unwrap();
    // The spool uplink creates its (empty) outbox before the write that fails.
    if after
        .get(Path::new("tiny/outbox"))
        .is_some_and(|e| matches!(e, Entry::Dir(_)))
        && !after
            .keys()
            .any(|p| p.starts_with("tiny/outbox") && p != Path::new("tiny/outbox"))
    {
        after.remove(Path::new("tiny/outbox"));
    }
    assert_eq!(code, 5, "work was left: {stderr}");
    assert!(
        stderr.contains("a.txt")
            && stderr.contains("unit_kept")
            && stderr.contains("No space left")
            && stderr.contains("error: 1 input(s) left unprocessed"),
        "{stderr}"
    );
    assert_unchanged(&before, &after, &stderr);
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.trim_ascii() == b"0")
}

/// `mount ARGS`; the error names the command and what mount said.
fn try_mount(args: &[&str]) -> Result<(), String> {
    let out = Command::new("mount")
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run `mount {}`: {e}", args.join(" ")))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`mount {}` failed as root ({}): {}; this test needs it to work",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// `mount ARGS`, or the test fails saying why.
fn mount(args: &[&str]) {
    if let Err(err) = try_mount(args) {
        panic!("{err}");
    }
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap();
    assert!(ok.success(), "mkfifo {}", path.display());
}

// ------------------------------------------------------------------ rollouts

#[test]
fn rollout_flag_share_over_100() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--rollout", "showcase@0.10.0=150%"]),
        2,
        &["--rollout", "showcase@0.10.0=150%", "outside 0–100"],
    );
}

#[test]
fn rollout_flag_without_share() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--rollout", "showcase@0.10.0"]),
        2,
        &["--rollout", "SLOT@VERSION=SHARE"],
    );
}

#[test]
fn rollout_flag_duplicate_rule() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args([
            "--rollout",
            "showcase@0.10.0=10%",
            "--rollout",
            "showcase@0.10.0=20%",
        ]),
        4,
        &["duplicate rollout of showcase@0.10.0"],
    );
}

#[test]
fn env_rollout_negative_share_stops_run_before_the_spool() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).env("MUSTER_ROLLOUT", "showcase@0.10.0=-5%"),
        4,
        &["MUSTER_ROLLOUT", "showcase@0.10.0=-5%", "outside 0–100"],
    );
}

#[test]
fn policy_rollout_share_out_of_range() {
    let fx = Fixture::new();
    let bad = fx.write(
        "share.toml",
        "[[rollout]]\nslot = \"showcase\"\nversion = \"0.10.0\"\nshare = 100.5\n",
    );
    refused(
        &fx,
        run_once(&fx).arg("--policy").arg(&bad),
        4,
        &[
            &s(&bad),
            "rollout[0] (showcase@0.10.0).share",
            "outside 0–100",
        ],
    );
}

#[test]
fn policy_rollout_malformed_version() {
    let fx = Fixture::new();
    let bad = fx.write(
        "version.toml",
        "[[rollout]]\nslot = \"showcase\"\nversion = \"latest\"\nshare = 10\n",
    );
    refused(
        &fx,
        explain().arg("--policy").arg(&bad),
        4,
        &[&s(&bad), "rollout[0]", "`latest`"],
    );
}

#[test]
fn policy_rollout_unknown_key() {
    let fx = Fixture::new();
    let bad = fx.write(
        "typo.toml",
        "[[rollout]]\nslot = \"showcase\"\nversion = \"0.10.0\"\npercent = 10\n",
    );
    refused(
        &fx,
        explain().arg("--policy").arg(&bad),
        4,
        &[&s(&bad), "percent"],
    );
}

#[test]
fn policy_rollout_duplicate_rule() {
    let fx = Fixture::new();
    let rule = "[[rollout]]\nslot = \"showcase\"\nversion = \"0.10.0\"\nshare = 10\n";
    let bad = fx.write("dup.toml", format!("{rule}{rule}"));
    refused(
        &fx,
        run_once(&fx).arg("--policy").arg(&bad),
        4,
        &[
            &s(&bad),
            "rollout[1]",
            "duplicate rollout of showcase@0.10.0",
        ],
    );
}

#[test]
fn policy_rollout_names_an_unknown_slot_or_version() {
    let fx = Fixture::new();
    let p = fx.write(
        "unknown-rollout.toml",
        "[[rollout]]\nslot = \"nosuch\"\nversion = \"1.0.0\"\nshare = 10\n\
         [[rollout]]\nslot = \"showcase\"\nversion = \"9.9.9\"\nshare = 10\n",
    );
    let before = fx.snapshot();
    tolerated(
        explain().arg("--policy").arg(&p),
        &[
            "warning: rollout nosuch@1.0.0 on 10%",
            "no slot `nosuch` is compiled in",
            "warning: rollout showcase@9.9.9 on 10%",
            "slot `showcase` has no version 9.9.9 compiled in (versions: 0.10.0, 0.2.0, 0.1.0)",
        ],
    );
    assert_unchanged(&before, &fx.snapshot(), "");
}

// ------------------------------------------------------------------ host id

#[test]
fn env_host_id_empty() {
    let fx = Fixture::new();
    refused(
        &fx,
        run_once(&fx).env("MUSTER_HOST_ID", " "),
        4,
        &["MUSTER_HOST_ID", "must not be empty"],
    );
}

#[test]
fn env_host_id_absurdly_long() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().env("MUSTER_HOST_ID", "x".repeat(10_000)),
        4,
        &["MUSTER_HOST_ID", "10000 bytes long", "at most 256"],
    );
}

#[test]
fn facts_host_id_empty() {
    let fx = Fixture::new();
    let bad = fx.write(
        "empty-id.json",
        facts_with(|j| j.replacen('{', r#"{"host_id":"","#, 1)),
    );
    refused(
        &fx,
        explain().arg("--facts").arg(&bad),
        4,
        &[&s(&bad), "host_id", "must not be empty"],
    );
}

#[test]
fn facts_host_id_absurdly_long() {
    let fx = Fixture::new();
    let long = "y".repeat(300);
    let bad = fx.write(
        "long-id.json",
        facts_with(|j| j.replacen('{', &format!(r#"{{"host_id":"{long}","#), 1)),
    );
    refused(
        &fx,
        agent()
            .args(["plugins", "fleet"])
            .arg(bad.parent().unwrap()),
        4,
        &[&s(&bad), "host_id", "at most 256"],
    );
}

// ---------------------------------------------------------- ansible fact cache

#[test]
fn ansible_cache_file_without_muster_facts() {
    let fx = Fixture::new();
    let dir = fx.path("cache");
    std::fs::create_dir(&dir).unwrap();
    fx.write(
        "cache/good",
        format!(
            r#"{{"ansible_facts":{{"ansible_local":{{"muster":{}}}}}}}"#,
            facts_with(|j| j)
        ),
    );
    let bad = fx.write(
        "cache/web-1",
        r#"{"ansible_facts":{"ansible_hostname":"web-1"}}"#,
    );
    refused(
        &fx,
        agent().args(["plugins", "fleet", "--ansible"]).arg(&dir),
        4,
        &[&s(&bad), "ansible_local", "muster.fact"],
    );
}

#[test]
fn ansible_cache_file_is_a_muster_facts_file() {
    let fx = Fixture::new();
    let dir = fx.path("cache");
    std::fs::create_dir(&dir).unwrap();
    let bad = fx.write("cache/h.json", facts_with(|j| j));
    refused(
        &fx,
        agent().args(["plugins", "fleet", "--ansible"]).arg(&dir),
        4,
        &[&s(&bad), "no `ansible_local` facts"],
    );
}

#[test]
fn ansible_cache_local_fact_failed_on_the_host() {
    let fx = Fixture::new();
    let dir = fx.path("cache");
    std::fs::create_dir(&dir).unwrap();
    let bad = fx.write(
        "cache/h",
        r#"{"ansible_local":{"muster":"error loading facts as JSON or ini"}}"#,
    );
    refused(
        &fx,
        agent().args(["plugins", "fleet", "--ansible"]).arg(&dir),
        4,
        &[
            &s(&bad),
            "did not produce JSON facts",
            "error loading facts",
        ],
    );
}

#[test]
fn ansible_cache_not_json() {
    let fx = Fixture::new();
    let dir = fx.path("cache");
    std::fs::create_dir(&dir).unwrap();
    let bad = fx.write("cache/h", "localhost | SUCCESS => {");
    refused(
        &fx,
        agent().args(["plugins", "fleet", "--ansible"]).arg(&dir),
        4,
        &[&s(&bad), "not JSON"],
    );
    // A huge file is refused before it is read.
    std::fs::remove_file(&bad).unwrap();
    let huge = fx.write("cache/huge", junk());
    refused(
        &fx,
        agent().args(["plugins", "fleet", "--ansible"]).arg(&dir),
        4,
        &[&s(&huge), "limit"],
    );
}

#[test]
fn fleet_diff_policy_malformed_stops_before_deciding() {
    let fx = Fixture::new();
    let bad = fx.write("proposed.toml", "[[rollout]]\nslot = \"showcase\"\n");
    refused(
        &fx,
        agent()
            .args(["plugins", "fleet", "--diff-policy"])
            .arg(&bad)
            .arg(common::fleet_dir()),
        4,
        &[&s(&bad), "version"],
    );
}

#[test]
fn fleet_of_thousands_names_the_first_bad_file() {
    // Large enough to be read on several threads: the error is still the first
    // bad file in name order.
    let fx = Fixture::new();
    let dir = fx.path("fleet");
    std::fs::create_dir(&dir).unwrap();
    let good = facts_with(|j| j);
    for i in 0..2000 {
        std::fs::write(dir.join(format!("h{i:04}.json")), &good).unwrap();
    }
    let first = fx.write(
        "fleet/h1200.json",
        facts_with(|j| j.replace("\"linux\"", "1")),
    );
    fx.write("fleet/h1900.json", "{");
    refused(
        &fx,
        agent().args(["plugins", "fleet"]).arg(&dir),
        4,
        &[&s(&first), "invalid type"],
    );
}

#[test]
fn rollout_flag_names_a_slot_or_version_not_compiled_in() {
    let fx = Fixture::new();
    refused(
        &fx,
        explain().args(["--rollout", "nosuch@1.0.0=10%"]),
        4,
        &["--rollout nosuch@1.0.0=10%", "no slot `nosuch`"],
    );
    refused(
        &fx,
        run_once(&fx).args(["--rollout", "showcase@^9=10%"]),
        4,
        &["--rollout showcase@^9=10%", "no version matching ^9"],
    );
}
