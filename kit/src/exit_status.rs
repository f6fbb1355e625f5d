//! The exit statuses of the operator commands: one list, read by [`main`](crate::main)
//! (which status an error maps to) and by its `--help` text (what each one means). A
//! host with commands of its own keeps its own list, with these codes.

use std::fmt::Write as _;

use crate::error::{BadInput, NoAcceptableVersion};

/// An exit status of the operator commands and what it means.
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
}

impl ExitStatus {
    /// Every status, in the order `--help` lists them.
    pub const ALL: [ExitStatus; 5] = [
        ExitStatus::Success,
        ExitStatus::Failure,
        ExitStatus::Usage,
        ExitStatus::NoAcceptableVersion,
        ExitStatus::BadInput,
    ];

    /// The number the process exits with.
    pub const fn code(self) -> u8 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Failure => 1,
            ExitStatus::Usage => 2,
            ExitStatus::NoAcceptableVersion => 3,
            ExitStatus::BadInput => 4,
        }
    }

    /// What the status means, as `--help` says it.
    pub const fn meaning(self) -> &'static str {
        match self {
            ExitStatus::Success => "success",
            ExitStatus::Failure => "other error",
            ExitStatus::Usage => "usage error (bad command line)",
            ExitStatus::NoAcceptableVersion => "a slot has no acceptable version",
            ExitStatus::BadInput => {
                "bad input file or value (policy, facts, environment, a --pin/--deny/--rollout \
                 naming what is not compiled in)"
            }
        }
    }

    /// The status an error maps to: by the error kinds of [`crate::error`]
    /// anywhere in its chain, else [`ExitStatus::Failure`].
    pub fn of_error(err: &anyhow::Error) -> ExitStatus {
        if err.chain().any(|e| e.is::<NoAcceptableVersion>()) {
            ExitStatus::NoAcceptableVersion
        } else if err.chain().any(|e| e.is::<BadInput>()) {
            ExitStatus::BadInput
        } else {
            ExitStatus::Failure
        }
    }

    /// The "Exit codes:" section of `--help`.
    pub fn help() -> String {
        help(ExitStatus::ALL.map(|s| (s.code(), s.meaning())))
    }
}

/// An "Exit codes:" section of `--help` listing `(code, meaning)` pairs, laid out as
/// the kit's own: for a host that keeps its own list of statuses.
pub fn help(statuses: impl IntoIterator<Item = (u8, &'static str)>) -> String {
    let mut text = String::from("Exit codes:");
    for (code, meaning) in statuses {
        let _ = write!(text, "\n  {code:<3} {meaning}");
    }
    text
}

impl From<ExitStatus> for std::process::ExitCode {
    fn from(status: ExitStatus) -> std::process::ExitCode {
        std::process::ExitCode::from(status.code())
    }
}

#[cfg(test)]
mod tests {
    use crate::error::{BadInput, NoAcceptableVersion};
    use crate::exit_status::ExitStatus;

    #[test]
    fn codes_are_distinct_and_each_is_in_the_help() {
        let help = ExitStatus::help();
        for (i, a) in ExitStatus::ALL.iter().enumerate() {
            for b in &ExitStatus::ALL[i + 1..] {
                assert_ne!(a.code(), b.code(), "{a:?} and {b:?}");
            }
            assert!(help.contains(&format!("  {:<3} {}", a.code(), a.meaning())));
        }
    }

    /// The policy flags whose help says they are refused with exit 4: `--pin`, `--deny`
    /// and `--rollout`.
    fn flags_refused_with_exit_4() -> Vec<String> {
        use clap::Args as _;
        let cmd = crate::PolicyArgs::augment_args(clap::Command::new("host"));
        cmd.get_arguments()
            .filter(|a| {
                a.get_help()
                    .is_some_and(|h| h.to_string().contains("(exit 4)"))
            })
            .map(|a| format!("--{}", a.get_long().unwrap()))
            .collect()
    }

    /// Exit status 4's meaning names every flag refused with it.
    #[test]
    fn bad_input_names_every_flag_refused_with_it() {
        let flags = flags_refused_with_exit_4();
        assert_eq!(flags, ["--pin", "--deny", "--rollout"]);
        let meaning = ExitStatus::BadInput.meaning();
        assert!(meaning.contains(&flags.join("/")), "{meaning}");
    }

    #[test]
    fn errors_map_by_kind_even_under_context() {
        let bad = anyhow::Error::new(BadInput("x".into())).context("while loading");
        assert_eq!(ExitStatus::of_error(&bad), ExitStatus::BadInput);
        let none = anyhow::Error::new(NoAcceptableVersion(vec!["s".into()]));
        assert_eq!(ExitStatus::of_error(&none), ExitStatus::NoAcceptableVersion);
        assert_eq!(
            ExitStatus::of_error(&anyhow::anyhow!("x")),
            ExitStatus::Failure
        );
    }
}
