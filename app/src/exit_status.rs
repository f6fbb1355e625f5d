//! The documented exit statuses of `edge-agent`: the operator kit's
//! ([`muster_kit::ExitStatus`], 0–4, not listed again here) and `run`'s own. One list,
//! read by `main` (which status an error maps to), by the `--help` text (what each
//! one means) and by a test that checks the README's and `docs/operator.md`'s tables.

use muster_kit::ExitStatus as Kit;

use crate::error::InputsLeft;

/// An exit status of `edge-agent` and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0–4: a status of the operator commands (success, other error, usage, no
    /// acceptable version, bad input), with the kit's codes.
    Kit(Kit),
    /// 5: `run --once` left inputs unprocessed in `incoming/`.
    InputsLeft,
    /// 6: `run`: a plugin call overran `--plugin-timeout` (the strike is recorded).
    PluginTimeout,
    /// 75 (default): `run` stopped because its executable was replaced.
    Upgraded,
}

impl ExitStatus {
    /// 0: success.
    pub const SUCCESS: ExitStatus = ExitStatus::Kit(Kit::Success);

    /// Every status, in the order `--help` lists them: the kit's, then edge-agent's own.
    pub const ALL: [ExitStatus; Kit::ALL.len() + 3] = {
        let mut all = [ExitStatus::SUCCESS; Kit::ALL.len() + 3];
        let mut i = 0;
        while i < Kit::ALL.len() {
            all[i] = ExitStatus::Kit(Kit::ALL[i]);
            i += 1;
        }
        all[i] = ExitStatus::InputsLeft;
        all[i + 1] = ExitStatus::PluginTimeout;
        all[i + 2] = ExitStatus::Upgraded;
        all
    };

    /// The number the process exits with (for [`ExitStatus::Upgraded`], the default of
    /// `--upgrade-exit-code`).
    pub const fn code(self) -> u8 {
        match self {
            ExitStatus::Kit(kit) => kit.code(),
            ExitStatus::InputsLeft => 5,
            ExitStatus::PluginTimeout => 6,
            ExitStatus::Upgraded => 75,
        }
    }

    /// What the status means, as `--help` says it.
    pub const fn meaning(self) -> &'static str {
        match self {
            // The kit's meaning, plus what only `run` and `quarantine` read.
            ExitStatus::Kit(Kit::BadInput) => {
                "bad input file or value (policy, facts, state, environment, spool layout, \
                 a --pin/--deny/--rollout naming what is not compiled in)"
            }
            ExitStatus::Kit(kit) => kit.meaning(),
            ExitStatus::InputsLeft => {
                "run --once: inputs were left unprocessed in incoming/ (kept for the next run)"
            }
            ExitStatus::PluginTimeout => {
                "run: a plugin call overran --plugin-timeout (strike recorded; restart the agent)"
            }
            ExitStatus::Upgraded => {
                "run: the executable was replaced (configurable with --upgrade-exit-code)"
            }
        }
    }

    /// The status an error maps to: the kit's mapping ([`muster_kit::ExitStatus::of_error`]),
    /// then edge-agent's own error kinds of [`crate::error`], else other error.
    pub fn of_error(err: &anyhow::Error) -> ExitStatus {
        match Kit::of_error(err) {
            Kit::Failure if err.chain().any(|e| e.is::<InputsLeft>()) => ExitStatus::InputsLeft,
            kit => ExitStatus::Kit(kit),
        }
    }

    /// The "Exit codes:" section of `--help`, laid out as the kit's.
    pub fn help() -> String {
        muster_kit::exit_status::help(ExitStatus::ALL.map(|s| (s.code(), s.meaning())))
    }
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use muster_kit::ExitStatus as Kit;

    use crate::error::{BadInput, InputsLeft, NoAcceptableVersion};
    use crate::exit_status::ExitStatus;

    #[test]
    fn codes_are_distinct_and_each_is_in_the_help() {
        let help = ExitStatus::help();
        for (i, a) in ExitStatus::ALL.iter().enumerate() {
            for b in &ExitStatus::ALL[i + 1..] {
                assert_ne!(a.code(), b.code(), "{a:?} and {b:?}");
            }
            let line = format!("  {:<3} {}", a.code(), a.meaning());
            assert!(help.contains(&line), "{help}");
        }
    }

    /// The kit's statuses (what `muster_kit::run`'s errors mean) keep their codes here,
    /// and every error the kit maps is mapped alike.
    #[test]
    fn the_operator_commands_statuses_are_the_kits() {
        for kit in Kit::ALL {
            assert!(ExitStatus::ALL.contains(&ExitStatus::Kit(kit)), "{kit:?}");
            assert_eq!(ExitStatus::Kit(kit).code(), kit.code());
        }
        for err in [
            anyhow::Error::new(BadInput("x".into())),
            anyhow::Error::new(NoAcceptableVersion(vec!["s".into()])),
            anyhow::anyhow!("x"),
        ] {
            assert_eq!(
                ExitStatus::of_error(&err),
                ExitStatus::Kit(Kit::of_error(&err))
            );
        }
    }

    #[test]
    fn errors_map_by_kind_even_under_context() {
        let bad = anyhow::Error::new(BadInput("x".into())).context("while loading");
        assert_eq!(ExitStatus::of_error(&bad), ExitStatus::Kit(Kit::BadInput));
        let none = anyhow::Error::new(NoAcceptableVersion(vec!["checksum".into()]));
        assert_eq!(
            ExitStatus::of_error(&none),
            ExitStatus::Kit(Kit::NoAcceptableVersion)
        );
        let left = anyhow::Error::new(InputsLeft(2));
        assert_eq!(ExitStatus::of_error(&left), ExitStatus::InputsLeft);
        assert_eq!(
            ExitStatus::of_error(&anyhow::anyhow!("disk on fire")),
            ExitStatus::Kit(Kit::Failure)
        );
    }

    /// The repository's root.
    fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
    }

    /// docs/operator.md's "Exit codes" table lists exactly the codes of
    /// [`ExitStatus::ALL`], in that order.
    #[test]
    fn the_operator_guide_table_is_the_enum() {
        let guide = std::fs::read_to_string(root().join("docs/operator.md")).unwrap();
        let table = guide
            .split("## Exit codes")
            .nth(1)
            .expect("docs/operator.md: an `## Exit codes` section");
        let codes: Vec<u8> = table
            .lines()
            .skip_while(|l| !l.starts_with('|'))
            .take_while(|l| l.starts_with('|'))
            .filter_map(|l| l.trim_matches('|').split('|').next()?.trim().parse().ok())
            .collect();
        let expected: Vec<u8> = ExitStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, expected, "docs/operator.md's exit code table");
    }

    /// The README's exit codes paragraph lists exactly the codes of
    /// [`ExitStatus::ALL`], in that order (`N meaning;` each).
    #[test]
    fn the_readme_paragraph_is_the_enum() {
        let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
        let flat = readme.split_whitespace().collect::<Vec<_>>().join(" ");
        let paragraph = flat
            .split("Exit codes (also in `edge-agent --help`):")
            .nth(1)
            .and_then(|rest| rest.split(" ## ").next())
            .expect("README.md: the exit codes paragraph");
        let codes: Vec<u8> = paragraph
            .split(';')
            .filter_map(|item| item.split_whitespace().next()?.parse().ok())
            .collect();
        let expected: Vec<u8> = ExitStatus::ALL.iter().map(|s| s.code()).collect();
        assert_eq!(codes, expected, "README.md's exit codes: {paragraph}");
    }
}
