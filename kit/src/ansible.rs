//! Reading muster facts out of Ansible's fact cache.
//!
//! Two shapes are accepted, both JSON, one file per host:
//! - `ansible HOSTS -m setup --tree DIR` writes `DIR/<host>` as
//!   `{"ansible_facts": {..., "ansible_local": {"muster": FACTS}}, ...}`;
//! - the `jsonfile` fact cache plugin writes `<cache>/<prefix><host>` as the facts
//!   themselves: `{..., "ansible_local": {"muster": FACTS}}`; ansible-core 2.19
//!   and later wrap that document as a JSON string, `{"__payload__": "..."}`, in a
//!   file named `s<schema>_<host>`.
//!
//! `FACTS` is what a local fact `muster.fact` printed (`facts --json`),
//! which Ansible parses into a dictionary under `ansible_local.muster`.

use std::path::Path;

use muster::Facts;
use serde_json::Value;

/// The key ansible-core 2.19+ cache plugins wrap the serialized facts in.
const PAYLOAD_KEY: &str = "__payload__";

/// The largest cache file read: Ansible's `setup` output is usually 20–200 KB.
pub const MAX_CACHE_FILE_BYTES: u64 = 16 << 20;

/// The muster facts in one Ansible fact cache file; the error names the file and
/// says what shape was expected.
pub fn facts_from_cache_file(path: &Path) -> Result<Facts, String> {
    let origin = path.display().to_string();
    let bytes = muster::input::read_input_file(path, MAX_CACHE_FILE_BYTES)
        .map_err(|e| format!("cannot read Ansible fact cache file {origin}: {e}"))?;
    let value: Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("Ansible fact cache file {origin} is not JSON: {e}"))?;
    facts_from_cache_value(value, &origin)
}

/// The muster facts in a parsed cache document; `origin` names it in errors.
pub fn facts_from_cache_value(mut value: Value, origin: &str) -> Result<Facts, String> {
    if let Some(Value::String(payload)) = value.get(PAYLOAD_KEY) {
        value = serde_json::from_str(payload).map_err(|e| {
            format!("Ansible fact cache file {origin}: `{PAYLOAD_KEY}` is not JSON: {e}")
        })?;
    }
    let shape = "expected Ansible's fact cache shape: `ansible_facts.ansible_local.muster` \
                 (setup --tree) or `ansible_local.muster` (jsonfile cache)";
    let Some(object) = value.as_object_mut() else {
        return Err(format!(
            "{origin} is not an Ansible fact cache file (not a JSON object); {shape}"
        ));
    };
    let facts = match object.get_mut("ansible_facts") {
        Some(inner) => inner
            .as_object_mut()
            .ok_or_else(|| format!("{origin}: `ansible_facts` is not an object; {shape}"))?,
        None => object,
    };
    let Some(local) = facts.get_mut("ansible_local") else {
        return Err(format!(
            "{origin} has no `ansible_local` facts; {shape} (is `muster.fact` installed in the fact path?)"
        ));
    };
    let Some(muster) = local.get_mut("muster").map(Value::take) else {
        return Err(format!(
            "{origin} has no `ansible_local.muster` fact; {shape} (is `muster.fact` installed in the fact path?)"
        ));
    };
    match muster {
        Value::Object(_) => {
            Facts::from_json_value(muster, &format!("{origin} (ansible_local.muster)"))
                .map_err(|e| e.to_string())
        }
        // Ansible keeps a local fact it could not parse (or run) as a string.
        Value::String(text) => Err(format!(
            "{origin}: the local fact `muster` did not produce JSON facts on that host: {}",
            text.chars().take(200).collect::<String>()
        )),
        other => Err(format!(
            "{origin}: `ansible_local.muster` is {}, not the object `facts --json` prints",
            kind(&other)
        )),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::ansible::facts_from_cache_value;

    fn muster_facts() -> serde_json::Value {
        json!({"hostname":"h1","host_id":"abc","os":"linux","arch":"x86_64",
               "cpu_features":[],"logical_cores":2,"memory_mb":512,"labels":{"ring":"canary"}})
    }

    #[test]
    fn tree_output_and_jsonfile_cache_are_both_read() {
        let tree = json!({"ansible_facts": {"ansible_hostname": "h1",
                          "ansible_local": {"muster": muster_facts()}}, "changed": false});
        let facts = facts_from_cache_value(tree, "OUT/h1").unwrap();
        assert_eq!(
            (facts.host_id.as_str(), facts.labels["ring"].as_str()),
            ("abc", "canary")
        );
        let cache = json!({"ansible_hostname": "h1", "ansible_local": {"muster": muster_facts()}});
        let wrapped = json!({"__payload__": cache.to_string()});
        assert_eq!(facts_from_cache_value(cache, "cache/h1").unwrap(), facts);
        assert_eq!(
            facts_from_cache_value(wrapped, "cache/s1_h1").unwrap(),
            facts
        );
    }

    #[test]
    fn other_shapes_name_the_file_and_the_expected_shape() {
        for (value, expect) in [
            (json!([1, 2]), "not a JSON object"),
            (
                json!({"ansible_facts": 3}),
                "`ansible_facts` is not an object",
            ),
            (json!({"__payload__": "{oops"}), "`__payload__` is not JSON"),
            (
                json!({"ansible_facts": {"ansible_hostname": "h"}}),
                "no `ansible_local` facts",
            ),
            (
                json!({"ansible_local": {"other": {}}}),
                "no `ansible_local.muster` fact",
            ),
            (
                json!({"ansible_local": {"muster": "error loading fact"}}),
                "did not produce JSON",
            ),
            (json!({"ansible_local": {"muster": 7}}), "is a number"),
            (
                json!({"ansible_local": {"muster": {"hostname": "h"}}}),
                "missing field",
            ),
        ] {
            let e = facts_from_cache_value(value, "cache/bad").unwrap_err();
            assert!(e.contains("cache/bad") && e.contains(expect), "{e}");
        }
    }
}
