//! What a `Cargo.toml` says of its package: its `[package] name`, and whether a name
//! is a valid package name (team names follow the same rule).

/// The `[package] name` of a parsed `Cargo.toml`, if it has one (a virtual
/// workspace's root has none).
pub(crate) fn package_name(manifest: &toml::Table) -> Option<&str> {
    manifest
        .get("package")
        .and_then(|p| p.get("name"))
        .and_then(|n| n.as_str())
}

/// Whether `name` is a valid package name: letters, digits, `-` and `_`, not starting
/// with a digit or `-`.
pub(crate) fn is_package_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit() || c == '-')
}

#[cfg(test)]
mod tests {
    use crate::cargo_meta::manifest::{is_package_name, package_name};

    #[test]
    fn package_names_come_from_the_package_table() {
        let table = |text: &str| toml::from_str::<toml::Table>(text).unwrap();
        assert_eq!(
            package_name(&table("[package]\nname = \"api\"\n")),
            Some("api")
        );
        assert_eq!(package_name(&table("[workspace]\nmembers = []\n")), None);
    }

    #[test]
    fn package_name_rule() {
        assert!(is_package_name("edge-agent") && is_package_name("a_1"));
        assert!(!is_package_name("") && !is_package_name("1a") && !is_package_name("-a"));
        assert!(!is_package_name("a b"));
    }
}
