//! What `plugins explain` says about `start`: the dry run either ran each selected
//! version's `start` and `stop` (`--start`, so it decides exactly as `run`), or it did
//! not, and then it says which version `run` would use if that `start` failed.

use std::fmt;

use muster::{Choice, Facts, Policy, Quarantine, Report, Selector};
use serde_json::{Value, json};

/// For a dry run: whether `start` ran and, if not, each slot's fallback.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartCheck {
    /// `start` (and `stop`) ran for the selected versions: the report is `run`'s decision.
    Ran,
    /// `start` did not run. Per slot with a selection: what `run` would select if the
    /// selected version's `start` failed (`None`: nothing, the slot would fail).
    NotRun(Vec<(&'static str, Choice, Option<Choice>)>),
}

impl StartCheck {
    /// For a report made without `start`: each selected version is set aside (as `run`
    /// sets aside a version whose `start` fails) and the slot decided again.
    pub fn fallbacks(
        facts: &Facts,
        policy: &Policy,
        quarantine: Option<&Quarantine>,
        report: &Report,
    ) -> StartCheck {
        let mut selector = Selector::new(facts, policy);
        if let Some(quarantine) = quarantine {
            selector = selector.with_quarantine(quarantine);
        }
        StartCheck::NotRun(selector.fallbacks(report))
    }

    /// The text `explain` appends (its [`Display`](fmt::Display) form, which writes it
    /// piece by piece).
    pub fn to_text(&self) -> String {
        self.to_string()
    }

    /// The `"start"` member of `explain --json`: `{"run": true}` or `{"run": false,
    /// "if_start_fails": {"<slot>": {"name","version"} | null}}`.
    pub fn to_json(&self) -> Value {
        match self {
            StartCheck::Ran => json!({ "run": true }),
            StartCheck::NotRun(slots) => {
                let fallbacks: serde_json::Map<String, Value> = slots
                    .iter()
                    .map(|(slot, _, fallback)| ((*slot).to_owned(), json!(fallback)))
                    .collect();
                json!({ "run": false, "if_start_fails": fallbacks })
            }
        }
    }
}

impl fmt::Display for StartCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let StartCheck::NotRun(slots) = self else {
            return f
                .write_str("\nstart: ran (and stopped) the selected versions, as `run` does\n");
        };
        f.write_str(
            "\nstart: not run (`--start` runs it); if a selected version's start fails, `run` \
             uses instead:\n",
        )?;
        // Piece by piece: one line per slot, thousands in a large binary.
        for (slot, selected, fallback) in slots {
            for piece in [
                "  ",
                slot,
                ": ",
                selected.name,
                " ",
                selected.version,
                " -> ",
            ] {
                f.write_str(piece)?;
            }
            match fallback {
                Some(c) => {
                    for piece in [c.name, " ", c.version, "\n"] {
                        f.write_str(piece)?;
                    }
                }
                None => f.write_str("nothing: the slot fails\n")?,
            }
        }
        Ok(())
    }
}
