//! The documented exit statuses of `edge-agent`: one list, read by `main` (which
//! status an error maps to) and by the `--help` text (what each one means).

use muster_kit::ExitStatus as Kit;

use crate::error::InputsLeft;

/// An exit status of `edge-agent` and what it means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: success.
    Success,
    /// 1: any error not listed below.
    Failure,
    /// 2: the command line does not parse (clap's own status).
    Usage,
    /// 3: a slot has no acceptable version.
    NoAcceptableVersion,
    /// 4: a file or value the operator supplied is invalid.
    BadInput,
    /// 5: `run --once` left inputs unprocessed in `incoming/`.
    InputsLeft,
    /// 6: `run`: a plugin call overran `--plugin-timeout` (the strike is recorded).
    PluginTimeout,
    /// 75 (default): `run` stopped because its executable was replaced.
    Upgraded,
}

impl ExitStatus {
    /// Every status, in the order `--help` lists them.
    pub const ALL: [ExitStatus; 8] = [
        ExitStatus::Success,
        ExitStatus::Failure,
        ExitStatus::Usage,
        ExitStatus::NoAcceptableVersion,
        ExitStatus::BadInput,
        ExitStatus::InputsLeft,
        ExitStatus::PluginTimeout,
        ExitStatus::Upgraded,
    ];

    /// The number the process exits with (for [`ExitStatus::Upgraded`], the default of
    /// `--upgrade-exit-code`).
    pub const fn code(self) -> u8 {
        match self {
            // The operator commands' statuses are muster's (`muster_kit::ExitStatus`).
            ExitStatus::Success => Kit::Success.code(),
            ExitStatus::Failure => Kit::Failure.code(),
            ExitStatus::Usage => Kit::Usage.code(),
            ExitStatus::NoAcceptableVersion => Kit::NoAcceptableVersion.code(),
            ExitStatus::BadInput => Kit::BadInput.code(),
            ExitStatus::InputsLeft => 5,
            ExitStatus::PluginTimeout => 6,
            ExitStatus::Upgraded => 75,
        }
    }

    /// What the status means, as `--help` says it.
    pub const fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Success => Kit::Success.meaning(),
            ExitStatus::Failure => Kit::Failure.meaning(),
            ExitStatus::Usage => Kit::Usage.meaning(),
            ExitStatus::NoAcceptableVersion => Kit::NoAcceptableVersion.meaning(),
            // The kit's meaning, plus what only `run` and `quarantine` read.
            ExitStatus::BadInput => {
                "bad input file or value (policy, facts, state, environment, spool layout, \
                 a --pin/--deny/--rollout naming what is not compiled in)"
            }
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
    /// then edge-agent's own error kinds of [`crate::error`], else [`ExitStatus::Failure`].
    pub fn of_error(err: &anyhow::Error) -> ExitStatus {
        match Kit::of_error(err) {
            Kit::NoAcceptableVersion => ExitStatus::NoAcceptableVersion,
            Kit::BadInput => ExitStatus::BadInput,
            _ if err.chain().any(|e| e.is::<InputsLeft>()) => ExitStatus::InputsLeft,
            _ => ExitStatus::Failure,
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
        for kit in muster_kit::ExitStatus::ALL {
            assert!(
                ExitStatus::ALL.iter().any(|s| s.code() == kit.code()),
                "{kit:?}"
            );
        }
        for err in [
            anyhow::Error::new(BadInput("x".into())),
            anyhow::Error::new(NoAcceptableVersion(vec!["s".into()])),
            anyhow::anyhow!("x"),
        ] {
            assert_eq!(
                ExitStatus::of_error(&err).code(),
                muster_kit::ExitStatus::of_error(&err).code()
            );
        }
    }

    #[test]
    fn errors_map_by_kind_even_under_context() {
        let bad = anyhow::Error::new(BadInput("x".into())).context("while loading");
        assert_eq!(ExitStatus::of_error(&bad), ExitStatus::BadInput);
        let none = anyhow::Error::new(NoAcceptableVersion(vec!["checksum".into()]));
        assert_eq!(ExitStatus::of_error(&none), ExitStatus::NoAcceptableVersion);
        let left = anyhow::Error::new(InputsLeft(2));
        assert_eq!(ExitStatus::of_error(&left), ExitStatus::InputsLeft);
        assert_eq!(
            ExitStatus::of_error(&anyhow::anyhow!("disk on fire")),
            ExitStatus::Failure
        );
    }
}
