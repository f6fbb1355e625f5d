//! `plugins policy-check FILE`: whether a policy file is fit for this binary — it
//! parses, and every rule names a slot and a version compiled in. A deployment tool
//! runs it on the host before a new policy replaces the old one (Ansible's
//! `validate:`), so a policy the binary would only warn about never lands. `-` reads
//! the policy from standard input (a deployment tool checks what it would write
//! without writing it first).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use clap::Args;
use muster::Policy;
use serde::Serialize;

use crate::error::BadInput;
use crate::policy::read_policy_file;
use crate::{print, print_json};

/// `plugins policy-check`.
#[derive(Debug, Args)]
pub struct PolicyCheckArgs {
    /// The TOML policy file to check, `-` for standard input (read alone: the
    /// MUSTER_* environment and the policy flags are not layered over it).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Print JSON: {"file","ok","problems":[...],"rules":{"pins","denies","rollouts"}}.
    #[arg(long)]
    pub json: bool,
}

/// The verdict on one policy file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PolicyCheck {
    /// The file checked.
    pub file: PathBuf,
    /// No problem found.
    pub ok: bool,
    /// What is wrong: a parse error (then alone), or every rule naming a slot or
    /// version that is not compiled in.
    pub problems: Vec<String>,
    /// How many rules of each kind the file holds (zero when it does not parse).
    pub rules: RuleCounts,
}

/// How many rules of each kind a policy holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct RuleCounts {
    /// Pins (one per slot).
    pub pins: usize,
    /// Denied versions.
    pub denies: usize,
    /// Rollout rules.
    pub rollouts: usize,
}

impl PolicyCheck {
    /// Checks the policy file at `file` against the compiled-in registry.
    pub fn of_file(file: &Path) -> PolicyCheck {
        match read_policy_file(file) {
            Ok(policy) => PolicyCheck::of_policy(file, &policy),
            Err(BadInput(problem)) => PolicyCheck {
                file: file.to_owned(),
                ok: false,
                problems: vec![problem],
                rules: RuleCounts::default(),
            },
        }
    }

    /// Checks the policy text `text`, read from `file` (named in the verdict).
    pub fn of_text(file: &Path, text: &str) -> PolicyCheck {
        match Policy::from_toml(text, file) {
            Ok(policy) => PolicyCheck::of_policy(file, &policy),
            Err(e) => PolicyCheck {
                file: file.to_owned(),
                ok: false,
                problems: vec![e.to_string()],
                rules: RuleCounts::default(),
            },
        }
    }

    /// Checks an already-parsed policy (read from `file`).
    pub fn of_policy(file: &Path, policy: &Policy) -> PolicyCheck {
        let problems = policy.unknown_rules();
        PolicyCheck {
            file: file.to_owned(),
            ok: problems.is_empty(),
            problems,
            rules: RuleCounts {
                pins: policy.pins.len(),
                denies: policy.denies.values().map(Vec::len).sum(),
                rollouts: policy.rollouts.len(),
            },
        }
    }

    /// `FILE: ok (1 pin, 0 denies, 2 rollouts)`, or `FILE: N problem(s)` and one
    /// `  problem: ...` line each.
    pub fn to_text(&self) -> String {
        let file = self.file.display();
        if self.ok {
            let RuleCounts {
                pins,
                denies,
                rollouts,
            } = self.rules;
            let plural = |n: usize, one: &str, many: &str| {
                format!("{n} {}", if n == 1 { one } else { many })
            };
            return format!(
                "{file}: ok ({}, {}, {})\n",
                plural(pins, "pin", "pins"),
                plural(denies, "deny", "denies"),
                plural(rollouts, "rollout", "rollouts")
            );
        }
        let mut out = format!("{file}: {} problem(s)\n", self.problems.len());
        for p in &self.problems {
            out.push_str("  problem: ");
            out.push_str(p);
            out.push('\n');
        }
        out
    }
}

/// Runs `plugins policy-check`: prints the verdict; any problem is [`BadInput`]
/// (exit 4), after the verdict is printed.
pub fn run(args: &PolicyCheckArgs) -> anyhow::Result<()> {
    let check = if args.file.as_os_str() == "-" {
        PolicyCheck::of_text(&args.file, &read_stdin()?)
    } else {
        PolicyCheck::of_file(&args.file)
    };
    if args.json {
        print_json(&check)?;
    } else {
        print(check.to_text())?;
    }
    if check.ok {
        return Ok(());
    }
    Err(BadInput(format!(
        "policy {} is not fit for this binary: {}",
        args.file.display(),
        check.problems.join("; ")
    ))
    .into())
}

/// Standard input as text, at most [`muster::input::MAX_INPUT_BYTES`] (the limit of
/// a policy file).
fn read_stdin() -> Result<String, BadInput> {
    let limit = muster::input::MAX_INPUT_BYTES;
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| BadInput(format!("cannot read the policy from standard input: {e}")))?;
    if bytes.len() as u64 > limit {
        return Err(BadInput(format!(
            "the policy on standard input is larger than the {limit}-byte limit for input files"
        )));
    }
    String::from_utf8(bytes).map_err(|e| {
        BadInput(format!(
            "the policy on standard input is not valid UTF-8 (byte {})",
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use muster::Policy;

    use crate::policy_check::{PolicyCheck, RuleCounts};

    #[test]
    fn a_parse_error_is_the_only_problem() {
        let dir = std::env::temp_dir().join(format!("muster-policy-check-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("bad.toml");
        std::fs::write(
            &file,
            "[[rollout]]\nslot = \"s\"\nversion = \"1.0.0\"\nshare = 150\n",
        )
        .unwrap();
        let check = PolicyCheck::of_file(&file);
        assert!(!check.ok);
        assert_eq!(check.problems.len(), 1, "{:?}", check.problems);
        assert!(check.problems[0].contains("0–100"), "{:?}", check.problems);
        assert_eq!(check.rules, RuleCounts::default());
        assert!(check.to_text().contains("1 problem(s)\n  problem: "));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn text_is_checked_like_a_file() {
        let bad = PolicyCheck::of_text(Path::new("-"), "[[rollout]]\nshare = 150\n");
        assert!(!bad.ok);
        assert_eq!(bad.problems.len(), 1, "{:?}", bad.problems);
        assert!(bad.to_text().starts_with("-: 1 problem(s)\n"));
        let empty = PolicyCheck::of_text(Path::new("-"), "# nothing\n");
        assert!(empty.ok, "{:?}", empty.problems);
    }

    /// No slot is compiled into this test binary: every rule is a problem.
    #[test]
    fn rules_naming_what_is_not_compiled_in_are_problems() {
        let policy = Policy::from_toml(
            "[pin]\nclock = \"^1\"\n[deny]\nclock = [\"1.0.0\"]\n",
            Path::new("p.toml"),
        )
        .unwrap();
        let check = PolicyCheck::of_policy(Path::new("p.toml"), &policy);
        assert!(!check.ok);
        assert_eq!(check.problems.len(), 2, "{:?}", check.problems);
        assert_eq!(
            check.rules,
            RuleCounts {
                pins: 1,
                denies: 1,
                rollouts: 0
            }
        );
        let empty = PolicyCheck::of_policy(Path::new("p.toml"), &Policy::new());
        assert!(empty.ok);
        assert_eq!(
            empty.to_text(),
            "p.toml: ok (0 pins, 0 denies, 0 rollouts)\n"
        );
    }
}
