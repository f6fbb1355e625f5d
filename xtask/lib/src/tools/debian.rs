//! Tools taken from pinned Debian packages ([`Installer::Debian`]): the `.deb` of this
//! machine's architecture is downloaded (curl, else python3's urllib), its sha256
//! checked against the pin, and only the one executable extracted from it
//! (`dpkg-deb --fsys-tarfile`, piped into `tar`), into a staging directory the tools
//! cache then renames into place. Nothing else of the package is installed: no
//! maintainer scripts run, no service is enabled.

use std::fs::File;
use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use sha2::{Digest, Sha256};

use crate::tools::cache::{is_executable, run_logged, which};
use crate::tools::table::{Deb, Installer, Tool, deb_for};

/// Where the packages come from and for which machine: [`DEBIAN_MIRROR`] and this
/// machine's architecture, except in tests.
///
/// [`DEBIAN_MIRROR`]: crate::tools::table::DEBIAN_MIRROR
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    /// The archive's root URL, ending in `/` (`file:///...` works too).
    pub(crate) mirror: String,
    /// The machine, as Rust names it (`x86_64`).
    pub(crate) arch: String,
    /// The programs that download: curl, else python3.
    pub(crate) curl: Option<PathBuf>,
    pub(crate) python: Option<PathBuf>,
}

impl Origin {
    /// The Debian archive, for this machine, downloading with what is on `PATH`.
    pub(crate) fn here() -> Origin {
        Origin {
            mirror: crate::tools::table::DEBIAN_MIRROR.to_owned(),
            arch: std::env::consts::ARCH.to_owned(),
            curl: which("curl"),
            python: which("python3"),
        }
    }
}

/// Installs `tool` (an [`Installer::Debian`]) into `staging`: `staging/bin/<bin>`,
/// nothing else. The commands run are appended to `log`.
pub(crate) fn install(tool: &Tool, origin: &Origin, staging: &Path, log: &Path) -> Result<()> {
    let Installer::Debian {
        package,
        debs,
        member,
        bin,
    } = tool.installer
    else {
        bail!("{} is not installed from a Debian package", tool.name);
    };
    let deb = deb_for(debs, &origin.arch).ok_or_else(|| {
        anyhow!(
            "no pinned Debian package {package} for this machine's architecture ({}); pinned: \
             {}. Add its .deb (Filename and SHA256 from the archive's Packages index for \
             bookworm) to the {} entry of xtask/lib/src/tools/table.rs",
            origin.arch,
            debs.iter().map(|d| d.arch).collect::<Vec<_>>().join(", "),
            tool.name
        )
    })?;
    let url = format!("{}{}", origin.mirror, deb.file);
    let downloads = staging.join(".download");
    std::fs::create_dir_all(&downloads)
        .with_context(|| format!("cannot create {}", downloads.display()))?;
    let file = downloads.join(deb.file.rsplit('/').next().unwrap_or("package.deb"));
    download(origin, &url, &file, log)?;
    check_sha256(deb, &url, &file)?;
    let target = staging.join("bin").join(bin);
    extract(&file, member, &target, log)?;
    std::fs::remove_dir_all(&downloads)
        .with_context(|| format!("cannot remove {}", downloads.display()))?;
    Ok(())
}

/// Downloads `url` to `to` with curl, else python3's urllib.
fn download(origin: &Origin, url: &str, to: &Path, log: &Path) -> Result<()> {
    if let Some(curl) = &origin.curl {
        return run_logged(
            Command::new(curl)
                .args([
                    "--fail",
                    "--silent",
                    "--show-error",
                    "--location",
                    "--retry",
                    "2",
                    "--connect-timeout",
                    "30",
                    "--output",
                ])
                .arg(to)
                .arg(url),
            log,
        )
        .with_context(|| format!("cannot download {url}"));
    }
    if let Some(python) = &origin.python {
        return run_logged(
            Command::new(python)
                .args([
                    "-c",
                    "import shutil, sys, urllib.request\n\
                     with urllib.request.urlopen(sys.argv[1], timeout=120) as r, \
                     open(sys.argv[2], 'wb') as f:\n    shutil.copyfileobj(r, f)",
                    url,
                ])
                .arg(to),
            log,
        )
        .with_context(|| format!("cannot download {url} (with python3; curl is not on PATH)"));
    }
    bail!("cannot download {url}: neither curl nor python3 is on PATH (apt-get install curl)")
}

/// Fails unless `file`'s sha256 is the pinned one, naming both.
fn check_sha256(deb: &Deb, url: &str, file: &Path) -> Result<()> {
    let mut hasher = Sha256::new();
    let mut reader = File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = reader
            .read(&mut buf)
            .with_context(|| format!("cannot read {}", file.display()))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    let actual = crate::plan::hex(&hasher.finalize());
    if actual != deb.sha256 {
        bail!(
            "sha256 mismatch for {url}: pinned {}, downloaded {actual} (a changed or corrupted \
             file: not installed)",
            deb.sha256
        );
    }
    Ok(())
}

/// Extracts the package member `member` (`usr/bin/x`) of the `.deb` at `deb` to
/// `target` (mode 0755): `dpkg-deb --fsys-tarfile DEB | tar -xO ./MEMBER > TARGET`.
fn extract(deb: &Path, member: &str, target: &Path, log: &Path) -> Result<()> {
    let dpkg_deb = which("dpkg-deb").context(
        "dpkg-deb is not on PATH: it takes the executable out of the .deb (apt-get install dpkg)",
    )?;
    let tar = which("tar").context("tar is not on PATH (apt-get install tar)")?;
    if let Some(dir) = target.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let errors = || {
        std::fs::OpenOptions::new()
            .append(true)
            .open(log)
            .with_context(|| format!("cannot open {}", log.display()))
    };
    let shown = format!(
        "dpkg-deb --fsys-tarfile {} | tar -xO ./{member} > {}",
        deb.display(),
        target.display()
    );
    {
        use std::io::Write as _;
        writeln!(errors()?, "$ {shown}")?;
    }
    let mut unpack = Command::new(&dpkg_deb)
        .arg("--fsys-tarfile")
        .arg(deb)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(errors()?)
        .spawn()
        .context("cannot start dpkg-deb")?;
    let stream = unpack.stdout.take().context("dpkg-deb's output")?;
    let out =
        File::create(target).with_context(|| format!("cannot create {}", target.display()))?;
    let tar_status = Command::new(&tar)
        .args(["-x", "-O", "-f", "-"])
        .arg(format!("./{member}"))
        .stdin(stream)
        .stdout(out)
        .stderr(errors()?)
        .status()
        .context("cannot start tar")?;
    let unpack_status = unpack.wait().context("dpkg-deb")?;
    if !unpack_status.success() {
        bail!("`{shown}` failed: dpkg-deb {unpack_status} (not a Debian package?)");
    }
    if !tar_status.success() {
        bail!("`{shown}` failed: tar {tar_status} (is ./{member} in the package?)");
    }
    set_executable(target)?;
    if !is_executable(target) || std::fs::metadata(target).map_or(0, |m| m.len()) == 0 {
        bail!("`{shown}` left no executable {}", target.display());
    }
    Ok(())
}

#[cfg(unix)]
fn set_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))
        .with_context(|| format!("cannot make {} executable", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_: &Path) -> Result<()> {
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use std::os::unix::fs::PermissionsExt;
    use std::path::{Path, PathBuf};
    use std::process::Command;

    use sha2::{Digest, Sha256};

    use crate::tools::cache::which;
    use crate::tools::debian::{Origin, install};
    use crate::tools::table::{Deb, Installer, Tool};

    /// A `.deb` built here with `dpkg-deb --build`: `usr/bin/fake-tool` (prints its
    /// version) and a file that must not be installed. Returns the directory serving
    /// it (as the archive's root) and its sha256.
    pub(crate) fn fake_deb(dir: &Path) -> (PathBuf, String) {
        let root = dir.join("pkg");
        std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
        std::fs::write(
            root.join("DEBIAN/control"),
            "Package: fake-tool\nVersion: 0.0.1-1\nArchitecture: all\nMaintainer: muster \
             <muster@example.invalid>\nDescription: a test package\n",
        )
        .unwrap();
        let exe = root.join("usr/bin/fake-tool");
        std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
        std::fs::write(&exe, "#!/bin/sh\necho fake-tool, version 0.0.1+ds\n").unwrap();
        std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::create_dir_all(root.join("usr/share/doc/fake-tool")).unwrap();
        std::fs::write(root.join("usr/share/doc/fake-tool/README"), "not installed").unwrap();
        let archive = dir.join("archive/pool/main/f/fake-tool");
        std::fs::create_dir_all(&archive).unwrap();
        let deb = archive.join("fake-tool_0.0.1-1_all.deb");
        let out = Command::new("dpkg-deb")
            .args(["--root-owner-group", "--build"])
            .arg(&root)
            .arg(&deb)
            .output()
            .expect("dpkg-deb (a system program of the table) runs");
        assert!(out.status.success(), "{out:?}");
        let sha = crate::plan::hex(&Sha256::digest(std::fs::read(&deb).unwrap()));
        (dir.join("archive"), sha)
    }

    /// A tool installed from `sha256` of the fake package, for `x86_64` only.
    pub(crate) fn tool(sha256: &str, member: &'static str) -> Tool {
        let debs: &'static [Deb] = Box::leak(Box::new([Deb {
            arch: "x86_64",
            file: "pool/main/f/fake-tool/fake-tool_0.0.1-1_all.deb",
            sha256: Box::leak(sha256.to_owned().into_boxed_str()),
        }]));
        Tool {
            name: "fake-tool",
            version: "0.0.1",
            needed_by: "nothing (a test)",
            why: "a package built by the test",
            installer: Installer::Debian {
                package: "fake-tool",
                debs,
                member,
                bin: "fake-tool",
            },
            probe: ("fake-tool", &["--version"]),
        }
    }

    pub(crate) fn origin(archive: &Path, arch: &str, curl: bool) -> Origin {
        Origin {
            mirror: format!("file://{}/", archive.display()),
            arch: arch.to_owned(),
            curl: if curl { which("curl") } else { None },
            python: which("python3"),
        }
    }

    /// Every file under `dir`, relative, sorted.
    fn files(dir: &Path) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![dir.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    stack.push(p);
                } else {
                    out.push(p.strip_prefix(dir).unwrap().display().to_string());
                }
            }
        }
        out.sort();
        out
    }

    #[test]
    fn only_the_executable_is_taken_from_the_package_with_curl_or_python() {
        let dir = tempfile::tempdir().unwrap();
        let (archive, sha) = fake_deb(dir.path());
        let t = tool(&sha, "usr/bin/fake-tool");
        for curl in [true, false] {
            let staging = dir.path().join(format!("staging-{curl}"));
            let log = dir.path().join("log");
            std::fs::write(&log, "").unwrap();
            install(&t, &origin(&archive, "x86_64", curl), &staging, &log).unwrap();
            assert_eq!(files(&staging), ["bin/fake-tool"], "curl: {curl}");
            let out = Command::new(staging.join("bin/fake-tool"))
                .output()
                .unwrap();
            assert_eq!(out.stdout, b"fake-tool, version 0.0.1+ds\n");
            let log = std::fs::read_to_string(&log).unwrap();
            let fetcher = if curl { "curl" } else { "python3" };
            assert!(
                log.contains(fetcher) && log.contains("dpkg-deb --fsys-tarfile"),
                "{log}"
            );
        }
    }

    #[test]
    fn a_sha256_mismatch_is_an_error_naming_both_and_nothing_is_extracted() {
        let dir = tempfile::tempdir().unwrap();
        let (archive, sha) = fake_deb(dir.path());
        let pinned = "0".repeat(64);
        let staging = dir.path().join("staging");
        let log = dir.path().join("log");
        std::fs::write(&log, "").unwrap();
        let err = install(
            &tool(&pinned, "usr/bin/fake-tool"),
            &origin(&archive, "x86_64", true),
            &staging,
            &log,
        )
        .unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains(&format!(
                "sha256 mismatch for file://{}/pool/",
                archive.display()
            )) && err.contains(&format!("pinned {pinned}, downloaded {sha}")),
            "{err}"
        );
        assert!(!staging.join("bin").exists());
    }

    #[test]
    fn a_member_the_package_lacks_or_an_unpinned_machine_is_an_error_naming_it() {
        let dir = tempfile::tempdir().unwrap();
        let (archive, sha) = fake_deb(dir.path());
        let log = dir.path().join("log");
        std::fs::write(&log, "").unwrap();
        let err = install(
            &tool(&sha, "usr/bin/other"),
            &origin(&archive, "x86_64", true),
            &dir.path().join("a"),
            &log,
        )
        .unwrap_err();
        let err = format!("{err:#}");
        assert!(err.contains("is ./usr/bin/other in the package?"), "{err}");
        let err = install(
            &tool(&sha, "usr/bin/fake-tool"),
            &origin(&archive, "riscv64", true),
            &dir.path().join("b"),
            &log,
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "no pinned Debian package fake-tool for this machine's architecture (riscv64); \
             pinned: x86_64. Add its .deb (Filename and SHA256 from the archive's Packages \
             index for bookworm) to the fake-tool entry of xtask/lib/src/tools/table.rs"
        );
        assert!(!dir.path().join("b").exists(), "nothing downloaded");
    }

    #[test]
    fn an_unreachable_file_is_an_error_naming_the_url() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("log");
        std::fs::write(&log, "").unwrap();
        let missing = dir.path().join("no-archive");
        let err = install(
            &tool(&"0".repeat(64), "usr/bin/fake-tool"),
            &origin(&missing, "x86_64", true),
            &dir.path().join("s"),
            &log,
        )
        .unwrap_err();
        let err = format!("{err:#}");
        assert!(
            err.contains(&format!(
                "cannot download file://{}/pool/main/f/fake-tool/fake-tool_0.0.1-1_all.deb",
                missing.display()
            )),
            "{err}"
        );
    }
}
