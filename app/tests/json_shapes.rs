//! The shape of every `--json` output (each key path with its JSON types), pinned in
//! `tests/json/<name>.shape`: a refactoring that renames, drops or retypes a field
//! that scripts and Ansible read fails here. Adding a field on purpose: rerun with
//! `UPDATE_JSON_SHAPES=1` and commit the listing with the change.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{agent, fleet_dir, host};
use serde_json::Value;

/// Each path of `value` with its type: `.slots[].candidates[].code: string`.
fn shape(value: &Value, path: &str, out: &mut BTreeSet<String>) {
    let kind = match value {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(items) => {
            for item in items {
                shape(item, &format!("{path}[]"), out);
            }
            "array"
        }
        Value::Object(map) => {
            for (key, item) in map {
                shape(item, &format!("{path}.{key}"), out);
            }
            "object"
        }
    };
    let path = if path.is_empty() { "." } else { path };
    out.insert(format!("{path}: {kind}"));
}

/// Runs `edge-agent ARGS` (any exit code: some outputs come with 3 or 4), parses
/// stdout and compares its shape with `tests/json/<name>.shape`.
fn pinned(name: &str, args: &[&std::ffi::OsStr]) {
    let out = agent().args(args).output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let value: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "{name}: not JSON ({e}):\n{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    let mut lines = BTreeSet::new();
    shape(&value, "", &mut lines);
    let text: String = lines.into_iter().map(|l| l + "\n").collect();
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/json")
        .join(format!("{name}.shape"));
    if std::env::var_os("UPDATE_JSON_SHAPES").is_some() {
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(&file, &text).unwrap();
        return;
    }
    let pinned = std::fs::read_to_string(&file).unwrap_or_default();
    let gone: Vec<&str> = pinned.lines().filter(|l| !text.contains(l)).collect();
    let new: Vec<&str> = text.lines().filter(|l| !pinned.contains(l)).collect();
    // A build with more plugins (the chaos drills') may show optional fields more
    // often; it must never lose one.
    let more_plugins = cfg!(feature = "plugin-checksum-chaos");
    assert!(
        gone.is_empty() && (new.is_empty() || more_plugins),
        "the JSON shape of `{name}` changed (UPDATE_JSON_SHAPES=1 accepts it):\n\
         gone: {gone:#?}\nnew: {new:#?}"
    );
}

/// A spool whose state holds a quarantine, strikes and a hold.
fn state() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(
        state.join("quarantine.json"),
        r#"{"slots":{"showcase":[{"version":"0.10.0","reason":"2 strikes","since_unix":1}]}}"#,
    )
    .unwrap();
    std::fs::write(
        state.join("strikes.json"),
        r#"{"slots":{"showcase":[{"version":"0.10.0","count":2,"reason":"died","last_unix":1}]}}"#,
    )
    .unwrap();
    std::fs::write(
        state.join("held.json"),
        r#"{"held":[{"code":"held","slot":"showcase","version":"0.10.0","reason":"2 strikes","since_unix":1,"until_unix":901}]}"#,
    )
    .unwrap();
    dir
}

fn os<'a>(args: &'a [&'a str]) -> Vec<&'a std::ffi::OsStr> {
    args.iter().map(std::ffi::OsStr::new).collect()
}

#[test]
fn every_json_output_keeps_its_shape() {
    let edge_a = host("edge-a");
    let fleet = fleet_dir();
    let spool = state();
    let policy = spool.path().join("policy.toml");
    std::fs::write(&policy, "[pin]\nshowcase = \"^0.2\"\n").unwrap();
    let (edge_a, fleet, spool_dir, policy) = (
        edge_a.as_os_str(),
        fleet.as_os_str(),
        spool.path().as_os_str(),
        policy.as_os_str(),
    );
    pinned("plugins-list", &os(&["plugins", "list", "--json"]));
    let explain = os(&["plugins", "explain", "--json", "--facts"]);
    pinned("plugins-explain", &[&explain[..], &[edge_a]].concat());
    let state = os(&["--state"]);
    pinned(
        "plugins-explain-state",
        &[&explain[..], &[edge_a], &state[..], &[spool_dir]].concat(),
    );
    pinned(
        "plugins-fleet",
        &[&os(&["plugins", "fleet", "--json"])[..], &[fleet]].concat(),
    );
    pinned(
        "plugins-fleet-diff",
        &[
            &os(&["plugins", "fleet", "--json", "--diff-policy"])[..],
            &[policy, fleet],
        ]
        .concat(),
    );
    pinned(
        "plugins-policy-check",
        &[&os(&["plugins", "policy-check", "--json"])[..], &[policy]].concat(),
    );
    pinned("build-info", &os(&["build-info", "--json"]));
    pinned("facts", &os(&["facts", "--json"]));
    pinned(
        "quarantine-list",
        &[
            &os(&["quarantine", "list", "--json", "--spool"])[..],
            &[spool_dir],
        ]
        .concat(),
    );
}
