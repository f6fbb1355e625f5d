//! Checking a policy against the registry: rules naming slots or versions this binary
//! does not contain.

use crate::policy::model::Policy;

impl Policy {
    /// Rules that name slots or versions not compiled into this binary. Such rules
    /// would otherwise be silently ignored; callers report them.
    pub fn unknown_rules(&self) -> Vec<String> {
        let slots = crate::slots();
        let mut problems = Vec::new();
        let known = |slot: &str| slots.iter().find(|s| s.name == slot);
        for (slot, pin) in &self.pins {
            match known(slot) {
                None => problems.push(format!(
                    "pin {slot}={} ({}) names a slot that is not compiled in",
                    pin.req, pin.source
                )),
                Some(info) => {
                    if !info.entries().iter().any(|e| pin.req.matches(&e.version())) {
                        problems.push(format!(
                            "pin {slot}={} ({}) matches no compiled-in version",
                            pin.req, pin.source
                        ));
                    }
                }
            }
        }
        for (slot, denies) in &self.denies {
            let Some(info) = known(slot) else {
                problems.push(format!(
                    "deny of slot {slot} ({}) names a slot that is not compiled in",
                    denies[0].source
                ));
                continue;
            };
            for d in denies {
                if !info
                    .entries()
                    .iter()
                    .any(|e| e.version().cmp_precedence(&d.version).is_eq())
                {
                    problems.push(format!(
                        "deny {slot}@{} ({}) names a version that is not compiled in",
                        d.version, d.source
                    ));
                }
            }
        }
        for r in &self.rollouts {
            match known(&r.slot) {
                None => problems.push(format!(
                    "rollout {} ({}) names a slot that is not compiled in",
                    r.describe(),
                    r.source
                )),
                Some(info) => {
                    if !info
                        .entries()
                        .iter()
                        .any(|e| r.target.matches(&e.version()))
                    {
                        problems.push(format!(
                            "rollout {} ({}) matches no compiled-in version",
                            r.describe(),
                            r.source
                        ));
                    }
                }
            }
        }
        problems
    }
}
