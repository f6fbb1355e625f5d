//! Checking a policy against the registry: rules naming slots or versions this binary
//! does not contain (through the one check, [`check_compiled`]).

use crate::policy::model::Policy;
use crate::rollout::VersionSpec;
use crate::slot::check_compiled;

impl Policy {
    /// Rules that name slots or versions not compiled into this binary, one line each:
    /// the rule, where it came from and what is compiled in. Such rules would otherwise
    /// be silently ignored; callers report them.
    pub fn unknown_rules(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (slot, pin) in &self.pins {
            if let Err(e) = check_compiled(slot, &VersionSpec::Req(pin.req.clone())) {
                problems.push(format!("pin {slot}={} ({}): {e}", pin.req, pin.source));
            }
        }
        for (slot, denies) in &self.denies {
            for d in denies {
                if let Err(e) = check_compiled(slot, &VersionSpec::Exact(d.version.clone())) {
                    problems.push(format!("deny {slot}@{} ({}): {e}", d.version, d.source));
                }
            }
        }
        for r in &self.rollouts {
            if let Err(e) = check_compiled(&r.slot, &r.target) {
                problems.push(format!("rollout {} ({}): {e}", r.describe(), r.source));
            }
        }
        problems
    }
}
