//! Fuzz target: team files (`teams/<team>.toml`).
//!
//! TODO(lead): the team-file parser lives in `xtask/src/config.rs` (branch
//! `xtask`), whose API is `pub(crate)` inside a binary crate and reads files from
//! disk (`Config::load(&Project)`). When it is merged, expose a pure parser (e.g.
//! `xtask::config::parse_team(text: &str, name: &str) -> Result<Team, String>` in
//! an xtask library target) and call it here instead of the stand-ins below.
//!
//! Until then this target checks what a team file goes through today: the TOML
//! parser (serialization is idempotent), a strict mirror of the team-file schema
//! (`RawTeam`/`RawPlugin`, `deny_unknown_fields`), and muster's strict policy
//! parser on the same document.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use serde::Deserialize;

/// Mirror of xtask's `RawTeam` (TODO(lead): replace with the real parser).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Fields are only parsed.
struct RawTeam {
    description: Option<String>,
    #[serde(default, rename = "plugin")]
    plugins: Vec<toml::Spanned<RawPlugin>>,
}

/// Mirror of xtask's `RawPlugin`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // Fields are only parsed.
struct RawPlugin {
    package: toml::Spanned<String>,
    #[serde(rename = "crate")]
    crate_name: Option<toml::Spanned<String>>,
    slot: toml::Spanned<String>,
    name: toml::Spanned<String>,
    version: toml::Spanned<String>,
    enabled: bool,
    path: Option<toml::Spanned<String>>,
    git: Option<toml::Spanned<String>>,
    tag: Option<toml::Spanned<String>>,
    rev: Option<toml::Spanned<String>>,
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(value) = toml::from_str::<toml::Value>(text)
        && let Ok(written) = toml::to_string(&value)
    {
        let back: toml::Value = toml::from_str(&written)
            .unwrap_or_else(|e| panic!("{text:?} written as {written:?} does not parse: {e}"));
        let again = toml::to_string(&back).expect("re-serializes");
        assert_eq!(
            written, again,
            "TOML serialization is not idempotent for {text:?}"
        );
    }
    if let Ok(team) = toml::from_str::<RawTeam>(text) {
        for plugin in &team.plugins {
            let span = plugin.span();
            assert!(
                span.start <= span.end && span.end <= text.len(),
                "span {span:?}"
            );
            let _ = semver::Version::parse(plugin.get_ref().version.get_ref());
        }
    }
    let _ = muster::Policy::from_toml(text, Path::new("fuzz/team.toml"));
});
