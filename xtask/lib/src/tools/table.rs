//! The one table of what the commands need besides the Rust toolchain: each tool with
//! its pinned version, the steps that need it and how it is installed, and the system
//! programs the project uses but does not install (the machine's package manager does).
//! `cargo xtask doctor` prints this table; every command looks its tools up here.

/// How a pinned tool is installed into its own directory of the tools cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Installer {
    /// `cargo install --locked --root DIR PACKAGE --version VERSION`; the executable is
    /// `DIR/bin/<bin>`.
    Cargo {
        /// The executable the package installs.
        bin: &'static str,
    },
    /// A Python virtual environment at DIR with `pip install "<requirement>==VERSION"`;
    /// the executable is `DIR/bin/<bin>`.
    Pip {
        /// The requirement without its version (extras included).
        requirement: &'static str,
        /// The executable the commands run (`python` for a library).
        bin: &'static str,
    },
    /// One executable taken from a pinned Debian package: the `.deb` of this machine's
    /// architecture is downloaded from [`DEBIAN_MIRROR`] (curl, else python3's
    /// urllib), its sha256 checked, and only `member` extracted (`dpkg-deb
    /// --fsys-tarfile` into `tar`) to `DIR/bin/<bin>`. For tools with no crate or
    /// wheel (Go programs), from an archive that is reachable where GitHub is not.
    Debian {
        /// The Debian source package's binary package (`prometheus`).
        package: &'static str,
        /// The package's files, one per architecture it is pinned for.
        debs: &'static [Deb],
        /// The executable's path inside the package (`usr/bin/promtool`).
        member: &'static str,
        /// The name it is installed under: `DIR/bin/<bin>`.
        bin: &'static str,
    },
}

/// Where the Debian packages are downloaded from (their `Filename` is relative to it).
pub(crate) const DEBIAN_MIRROR: &str = "http://deb.debian.org/debian/";

/// A pinned `.deb` file: one architecture's build of a package.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Deb {
    /// The machine it is for, as Rust names it (`std::env::consts::ARCH`: `x86_64`).
    pub(crate) arch: &'static str,
    /// The path under [`DEBIAN_MIRROR`] (the `Filename` of the archive's index).
    pub(crate) file: &'static str,
    /// Its sha256 (the `SHA256` of the archive's index), lowercase hex.
    pub(crate) sha256: &'static str,
}

impl Deb {
    /// The file's URL.
    pub(crate) fn url(&self) -> String {
        format!("{DEBIAN_MIRROR}{}", self.file)
    }
}

/// The `.deb` of `debs` for the machine `arch` (`std::env::consts::ARCH`).
pub(crate) fn deb_for<'a>(debs: &'a [Deb], arch: &str) -> Option<&'a Deb> {
    debs.iter().find(|d| d.arch == arch)
}

/// A tool at a pinned version.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Tool {
    /// The package's name on its registry (crates.io, PyPI); for a tool taken from a
    /// Debian package, the tool's own name (the package is the installer's).
    pub(crate) name: &'static str,
    /// The pinned version.
    pub(crate) version: &'static str,
    /// The commands and steps that need it.
    pub(crate) needed_by: &'static str,
    /// What it is for, in a few words.
    pub(crate) why: &'static str,
    /// How it is installed.
    pub(crate) installer: Installer,
    /// Arguments that make the executable print its version: `(executable on PATH,
    /// arguments)`. The pinned version must appear in the output.
    pub(crate) probe: (&'static str, &'static [&'static str]),
}

impl Tool {
    /// Its directory in the tools cache: `<name>-<version>`.
    pub(crate) fn dir_name(&self) -> String {
        format!("{}-{}", self.name, self.version)
    }

    /// The executable inside its install directory.
    pub(crate) fn bin(&self) -> &'static str {
        match self.installer {
            Installer::Cargo { bin }
            | Installer::Pip { bin, .. }
            | Installer::Debian { bin, .. } => bin,
        }
    }

    /// The command that installs it, as a person would type it, into `dir`.
    pub(crate) fn install_command(&self, dir: &str) -> String {
        match self.installer {
            Installer::Cargo { .. } => format!(
                "cargo install --locked --root {dir} {} --version {}",
                self.name, self.version
            ),
            Installer::Pip { requirement, .. } => format!(
                "python3 -m venv {dir} && {dir}/bin/pip install '{requirement}=={}'",
                self.version
            ),
            Installer::Debian {
                debs, member, bin, ..
            } => match deb_for(debs, std::env::consts::ARCH) {
                Some(deb) => {
                    let name = deb.file.rsplit('/').next().unwrap_or(deb.file);
                    format!(
                        "curl -fsSLo /tmp/{name} '{url}' && echo '{sha}  /tmp/{name}' | \
                         sha256sum -c && mkdir -p {dir}/bin && dpkg-deb --fsys-tarfile \
                         /tmp/{name} | tar -xO ./{member} > {dir}/bin/{bin} && chmod 755 \
                         {dir}/bin/{bin}",
                        url = deb.url(),
                        sha = deb.sha256
                    )
                }
                None => format!(
                    "(no pinned .deb for {}: see xtask/lib/src/tools/table.rs)",
                    std::env::consts::ARCH
                ),
            },
        }
    }
}

/// `cargo auditable build`: binaries carry their dependency list.
pub(crate) const CARGO_AUDITABLE: Tool = Tool {
    name: "cargo-auditable",
    version: "0.7.7",
    needed_by: "build, repro, rebuild, test",
    why: "embeds the dependency list that scanners read",
    installer: Installer::Cargo {
        bin: "cargo-auditable",
    },
    probe: ("cargo-auditable", &["auditable", "--version"]),
};

/// `cargo audit bin`: the scan reads what `cargo auditable` embedded.
pub(crate) const CARGO_AUDIT: Tool = Tool {
    name: "cargo-audit",
    version: "0.22.2",
    needed_by: "test (scan)",
    why: "`cargo audit bin` on the built binaries",
    installer: Installer::Cargo { bin: "cargo-audit" },
    probe: ("cargo-audit", &["audit", "--version"]),
};

/// The CycloneDX schema validator (strict JSON schema, offline).
pub(crate) const CYCLONEDX: Tool = Tool {
    name: "cyclonedx-python-lib",
    version: "11.12.0",
    needed_by: "test (scan, the xtask's SBOM tests)",
    why: "validates the SBOMs against the CycloneDX schema",
    installer: Installer::Pip {
        requirement: "cyclonedx-python-lib[json-validation]",
        bin: "python",
    },
    probe: (
        "python3",
        &[
            "-c",
            "import importlib.metadata as m, cyclonedx.validation.json, jsonschema; \
             print(m.version('cyclonedx-python-lib'))",
        ],
    ),
};

/// ansible-core: a workspace's tests that read Ansible's fact cache (`test-tools`).
pub(crate) const ANSIBLE: Tool = Tool {
    name: "ansible-core",
    version: "2.19.14",
    needed_by: "test (the workspace's own tests, via test-tools)",
    why: "writes the fact cache `plugins fleet --ansible` reads",
    installer: Installer::Pip {
        requirement: "ansible-core",
        bin: "ansible",
    },
    probe: ("ansible", &["--version"]),
};

/// promtool (Debian's `prometheus` package): a workspace's tests that check a metrics
/// file with `promtool check metrics` (`test-tools`).
pub(crate) const PROMTOOL: Tool = Tool {
    name: "promtool",
    version: "2.42.0",
    needed_by: "test (the workspace's own tests, via test-tools)",
    why: "lints the metrics file (`promtool check metrics`)",
    installer: Installer::Debian {
        package: "prometheus",
        debs: &[
            Deb {
                arch: "x86_64",
                file: "pool/main/p/prometheus/prometheus_2.42.0+ds-5+b6_amd64.deb",
                sha256: "3b0e0255b059a7696bd4a139a4a4eb24d71df067936a61ece5093559cbc7991c",
            },
            // arm64's +b6 rebuild is gone from the archive; bookworm's point release
            // carries the same upstream version.
            Deb {
                arch: "aarch64",
                file: "pool/main/p/prometheus/prometheus_2.42.0+ds-5+deb12u1_arm64.deb",
                sha256: "ca131aa102390083398afbc80be9c8dd1dda78f9f92154fc00df8f7f1f4556e9",
            },
        ],
        member: "usr/bin/promtool",
        bin: "promtool",
    },
    probe: ("promtool", &["--version"]),
};

/// node_exporter (Debian's `prometheus-node-exporter`): a workspace's tests that have
/// its textfile collector serve a metrics file (`test-tools`).
pub(crate) const NODE_EXPORTER: Tool = Tool {
    name: "node-exporter",
    version: "1.5.0",
    needed_by: "test (the workspace's own tests, via test-tools)",
    why: "serves the metrics file through its textfile collector",
    installer: Installer::Debian {
        package: "prometheus-node-exporter",
        debs: &[
            Deb {
                arch: "x86_64",
                file: "pool/main/p/prometheus-node-exporter/prometheus-node-exporter_1.5.0-1+b6_amd64.deb",
                sha256: "8cb5b39627595ea2cf3cd27be593e0e9af87023d29e1c5b8487e2f9510097e09",
            },
            Deb {
                arch: "aarch64",
                file: "pool/main/p/prometheus-node-exporter/prometheus-node-exporter_1.5.0-1+b6_arm64.deb",
                sha256: "5bce206c63dd60ac89662ba61aef53595ba27ee65b64da2d64609931b9c5794e",
            },
        ],
        member: "usr/bin/prometheus-node-exporter",
        bin: "prometheus-node-exporter",
    },
    probe: ("prometheus-node-exporter", &["--version"]),
};

/// cargo-fuzz: `cargo xtask fuzz` (with the nightly toolchain).
pub(crate) const CARGO_FUZZ: Tool = Tool {
    name: "cargo-fuzz",
    version: "0.13.2",
    needed_by: "fuzz",
    why: "runs the parsers' libFuzzer targets",
    installer: Installer::Cargo { bin: "cargo-fuzz" },
    probe: ("cargo-fuzz", &["--version"]),
};

/// cargo-public-api: the published crates' public items (`cargo xtask api`, with the
/// nightly toolchain's rustdoc JSON).
pub(crate) const CARGO_PUBLIC_API: Tool = Tool {
    name: "cargo-public-api",
    version: "0.52.0",
    needed_by: "api, test",
    why: "lists each published crate's public items (compared with public-api/)",
    installer: Installer::Cargo {
        bin: "cargo-public-api",
    },
    probe: ("cargo-public-api", &["--version"]),
};

/// Every pinned tool, in the order `doctor` lists them.
pub(crate) const TOOLS: &[&Tool] = &[
    &CARGO_AUDITABLE,
    &CARGO_AUDIT,
    &CYCLONEDX,
    &ANSIBLE,
    &PROMTOOL,
    &NODE_EXPORTER,
    &CARGO_FUZZ,
    &CARGO_PUBLIC_API,
];

/// The pinned tool named `name` (what a workspace's `test-tools` names).
pub(crate) fn by_name(name: &str) -> Option<&'static Tool> {
    TOOLS.iter().copied().find(|t| t.name == name)
}

/// A program the project uses and the machine's package manager provides.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Program {
    /// The executable.
    pub(crate) name: &'static str,
    /// The commands and steps that need it.
    pub(crate) needed_by: &'static str,
    /// The Debian package that has it.
    pub(crate) apt: &'static str,
    /// Arguments that print its version (first line shown).
    pub(crate) version_args: &'static [&'static str],
}

/// The system programs, in the order `doctor` lists them.
pub(crate) const PROGRAMS: &[Program] = &[
    Program {
        name: "git",
        needed_by: "build (the manifest's revision), rebuild, test",
        apt: "git",
        version_args: &["--version"],
    },
    Program {
        name: "strace",
        needed_by: "build, test (no shared object opened at run time)",
        apt: "strace",
        version_args: &["-V"],
    },
    Program {
        name: "prlimit",
        needed_by: "test (the crash drills' address-space limit)",
        apt: "util-linux",
        version_args: &["--version"],
    },
    Program {
        name: "systemd-analyze",
        needed_by: "test (the systemd unit is verified)",
        apt: "systemd",
        version_args: &["--version"],
    },
    Program {
        name: "python3",
        needed_by: "test (the venv of the Python tools)",
        apt: "python3 python3-venv",
        version_args: &["--version"],
    },
    Program {
        name: "dpkg-deb",
        needed_by: "test (promtool, node_exporter from their .deb)",
        apt: "dpkg",
        version_args: &["--version"],
    },
];

#[cfg(test)]
mod tests {
    use crate::tools::table::{ANSIBLE, PROGRAMS, TOOLS, by_name};

    #[test]
    fn every_tool_is_pinned_to_an_exact_version_once() {
        let mut names = std::collections::BTreeSet::new();
        for tool in TOOLS {
            assert!(names.insert(tool.name), "{} listed twice", tool.name);
            let parts: Vec<&str> = tool.version.split('.').collect();
            assert!(
                parts.len() == 3 && parts.iter().all(|p| p.parse::<u32>().is_ok()),
                "{} {}: pin an exact version",
                tool.name,
                tool.version
            );
            assert!(!tool.needed_by.is_empty() && !tool.why.is_empty());
        }
        let mut programs = std::collections::BTreeSet::new();
        for program in PROGRAMS {
            assert!(programs.insert(program.name), "{}", program.name);
        }
    }

    #[test]
    fn every_debian_tool_is_pinned_for_both_machines_with_a_sha256() {
        use crate::tools::table::{Installer, deb_for};
        let mut debian = 0;
        for tool in TOOLS {
            let Installer::Debian {
                package,
                debs,
                member,
                bin,
            } = tool.installer
            else {
                continue;
            };
            debian += 1;
            for (arch, suffix) in [("x86_64", "_amd64.deb"), ("aarch64", "_arm64.deb")] {
                let deb = deb_for(debs, arch).unwrap_or_else(|| panic!("{}: {arch}", tool.name));
                let file_name = deb.file.rsplit('/').next().unwrap();
                assert!(
                    deb.file.starts_with("pool/main/")
                        && file_name.starts_with(&format!("{package}_{}", tool.version))
                        && file_name.ends_with(suffix),
                    "{}: {}",
                    tool.name,
                    deb.file
                );
                assert!(
                    deb.sha256.len() == 64
                        && deb
                            .sha256
                            .bytes()
                            .all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                    "{}: {}",
                    tool.name,
                    deb.sha256
                );
            }
            assert!(member.starts_with("usr/") && member.ends_with(&format!("/{bin}")));
            assert_eq!(
                tool.probe.0, bin,
                "{}: found on PATH as in the cache",
                tool.name
            );
        }
        assert_eq!(debian, 2);
    }

    #[test]
    fn tools_are_found_by_their_registry_name() {
        assert_eq!(by_name("ansible-core").unwrap().version, ANSIBLE.version);
        assert!(by_name("ansible").is_none());
        for tool in TOOLS {
            assert_eq!(by_name(tool.name), Some(*tool));
        }
    }
}
