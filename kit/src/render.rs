//! Human-readable and JSON renderings of listings, facts and decisions.

use muster::{Facts, PluginListing, PluginMeta, Policy, ReasonCode, Report};
use serde_json::{Value, json};

use crate::table::Columns;

/// `plugins list --json`: `{"plugins": [{"slot","name","version","team","crate",...}]}`.
/// The one serde type `cargo xtask build` reads back ([`muster::PluginListing`]).
pub fn plugins_json(plugins: &[&PluginMeta]) -> Value {
    serde_json::to_value(PluginListing::of(plugins)).unwrap_or(Value::Null)
}

/// `plugins list`: one line per registered version, the columns fitted to the names.
pub fn plugins_text(plugins: &[&PluginMeta]) -> String {
    const HEADERS: [&str; 6] = ["SLOT", "NAME", "VERSION", "TEAM", "CRATE", "REQUIRES"];
    let rows: Vec<[String; 6]> = plugins
        .iter()
        .map(|p| {
            let requires: Vec<String> = p.requires().iter().map(ToString::to_string).collect();
            [
                p.slot().to_owned(),
                p.name().to_owned(),
                p.version().to_owned(),
                p.team().unwrap_or("-").to_owned(),
                p.crate_name().to_owned(),
                if requires.is_empty() {
                    "-".to_owned()
                } else {
                    requires.join(" ")
                },
            ]
        })
        .collect();
    let mut columns = Columns::new(&HEADERS);
    for row in &rows {
        columns.fit(&row.each_ref().map(String::as_str));
    }
    let mut out = String::new();
    columns.write(&mut out, &HEADERS);
    for row in &rows {
        columns.write(&mut out, &row.each_ref().map(String::as_str));
    }
    out
}

/// A one-line summary of a host.
pub fn facts_summary(facts: &Facts) -> String {
    let features: Vec<&str> = facts.cpu_features.iter().map(String::as_str).collect();
    let labels: Vec<String> = facts
        .labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!(
        "{} (id {}; {}/{}, {} cores, {} MiB; cpu: {}; labels: {})",
        facts.hostname,
        facts.host_id,
        facts.os,
        facts.arch,
        facts.logical_cores,
        facts.memory_mb,
        if features.is_empty() {
            "-".to_owned()
        } else {
            features.join(" ")
        },
        if labels.is_empty() {
            "-".to_owned()
        } else {
            labels.join(" ")
        },
    )
}

/// The policy rules in force, one per line, each with its source.
pub fn policy_lines(policy: &Policy) -> Vec<String> {
    let mut lines = Vec::new();
    for (slot, pin) in &policy.pins {
        lines.push(format!("pin {slot}={} (from {})", pin.req, pin.source));
    }
    for (slot, denies) in &policy.denies {
        for d in denies {
            lines.push(format!("deny {slot}@{} (from {})", d.version, d.source));
        }
    }
    for r in &policy.rollouts {
        lines.push(format!("rollout {} (from {})", r.describe(), r.source));
    }
    if let Some((salt, source)) = &policy.rollout_salt {
        lines.push(format!("rollout_salt = {salt:?} (from {source})"));
    }
    if let Some((allow, source)) = &policy.allow_prerelease {
        lines.push(format!("allow_prerelease = {allow} (from {source})"));
    }
    if let Some((seconds, source)) = &policy.quarantine_seconds {
        lines.push(format!("quarantine_seconds = {seconds} (from {source})"));
    }
    if let Some((strikes, source)) = &policy.quarantine_strikes {
        lines.push(format!("quarantine_strikes = {strikes} (from {source})"));
    }
    if let Some((file, source)) = &policy.metrics_file {
        lines.push(format!(
            "metrics_file = {:?} (from {source})",
            file.display().to_string()
        ));
    }
    if let Some((seconds, source)) = &policy.metrics_interval_seconds {
        lines.push(format!(
            "metrics_interval_seconds = {seconds} (from {source})"
        ));
    }
    lines
}

/// `plugins explain` as text: the host, the policy, then each slot's candidates.
/// Formatted as it is written (`print` it, or `to_string()`): a report of
/// thousands of slots is never held whole.
pub fn explain_text<'a>(
    facts: &'a Facts,
    policy: &'a Policy,
    report: &'a Report,
) -> ExplainText<'a> {
    ExplainText {
        facts,
        policy,
        report,
    }
}

/// The text of `plugins explain` (see [`explain_text`]).
#[derive(Debug, Clone, Copy)]
pub struct ExplainText<'a> {
    facts: &'a Facts,
    policy: &'a Policy,
    report: &'a Report,
}

impl std::fmt::Display for ExplainText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "host: {}", facts_summary(self.facts))?;
        let lines = policy_lines(self.policy);
        if lines.is_empty() {
            f.write_str("policy: none\n")?;
        } else {
            f.write_str("policy:\n")?;
            for line in lines {
                writeln!(f, "  {line}")?;
            }
        }
        for warning in &self.report.policy_warnings {
            writeln!(f, "warning: {warning}")?;
        }
        for slot in &self.report.slots {
            write!(f, "\n{slot}")?;
        }
        if let Some(hint) = prerelease_hint(self.policy, self.report) {
            write!(f, "\n{hint}\n")?;
        }
        Ok(())
    }
}

/// This host's way to admit the pre-releases a report excluded, if it excluded any
/// and the policy does not allow them (the library names no host flag).
pub fn prerelease_hint(policy: &Policy, report: &Report) -> Option<String> {
    if policy.prereleases_allowed() {
        return None;
    }
    let excluded: Vec<String> = report
        .slots
        .iter()
        .flat_map(|s| s.tried().iter().map(move |c| (s.slot, c)))
        .filter(|(_, c)| c.code == ReasonCode::Prerelease)
        .map(|(slot, c)| format!("{slot} {}", c.version))
        .collect();
    if excluded.is_empty() {
        return None;
    }
    Some(format!(
        "hint: pre-releases ({}) are excluded unless allowed: --allow-prerelease, \
         MUSTER_ALLOW_PRERELEASE=1 or `allow_prerelease = true` in the policy file",
        excluded.join(", ")
    ))
}

/// `plugins explain --json`.
pub fn explain_json(facts: &Facts, policy: &Policy, report: &Report) -> Value {
    json!({
        "host": facts.hostname,
        "facts": facts,
        "policy": policy,
        "policy_warnings": report.policy_warnings,
        "slots": report.slots,
    })
}
