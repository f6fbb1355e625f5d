//! "Is it compiled in?": the one check of a slot name, or a slot and version, against
//! this binary's registry. Every rule that names one goes through it: the `--pin`,
//! `--deny`, `--rollout` and `--slot` flags (refused), policy file and environment
//! rules ([`Policy::unknown_rules`](crate::Policy::unknown_rules), warnings).

use crate::rollout::VersionSpec;
use crate::slot::info::SlotInfo;
use crate::slot::registry::slot_infos;

/// What a rule names that this binary does not hold; the message lists what it does.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum NotCompiledIn {
    /// No slot of that name.
    #[error("no slot `{slot}` is compiled in (slots: {})", .compiled.join(", "))]
    Slot {
        /// The slot named.
        slot: String,
        /// The slots compiled in, by name.
        compiled: Vec<&'static str>,
    },
    /// The slot is there but no version the rule names.
    #[error(
        "slot `{slot}` has no version {} compiled in (versions: {})",
        Wanted(.target),
        .compiled.join(", ")
    )]
    Version {
        /// The slot named.
        slot: String,
        /// The version or requirement named.
        target: VersionSpec,
        /// The slot's versions compiled in, newest first.
        compiled: Vec<String>,
    },
}

/// `1.0.0` or `matching ^1.2`.
struct Wanted<'a>(&'a VersionSpec);

impl std::fmt::Display for Wanted<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            VersionSpec::Exact(version) => write!(f, "{version}"),
            VersionSpec::Req(req) => write!(f, "matching {req}"),
        }
    }
}

/// The slot named `slot`, if it is compiled into this binary.
pub fn compiled_slot(slot: &str) -> Result<&'static SlotInfo, NotCompiledIn> {
    let infos = slot_infos();
    infos
        .iter()
        .copied()
        .find(|info| info.name == slot)
        .ok_or_else(|| NotCompiledIn::Slot {
            slot: slot.to_owned(),
            compiled: infos.iter().map(|info| info.name).collect(),
        })
}

impl SlotInfo {
    /// Ok when a version of this slot that `target` names is compiled in: the version
    /// itself (by precedence, build metadata ignored) or one the requirement matches.
    pub(crate) fn check_compiled(&self, target: &VersionSpec) -> Result<(), NotCompiledIn> {
        let entries = self.entries();
        if entries.iter().any(|e| target.matches(&e.version())) {
            return Ok(());
        }
        Err(NotCompiledIn::Version {
            slot: self.name.to_owned(),
            target: target.clone(),
            compiled: entries.iter().map(|e| e.version().to_string()).collect(),
        })
    }
}

/// The slot `slot` and a version of it that `target` names, if compiled in.
pub fn check_compiled(
    slot: &str,
    target: &VersionSpec,
) -> Result<&'static SlotInfo, NotCompiledIn> {
    let info = compiled_slot(slot)?;
    info.check_compiled(target)?;
    Ok(info)
}
