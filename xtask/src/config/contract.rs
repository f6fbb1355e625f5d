//! Scanning the contract crate's sources for its `#[muster::slot]` traits: the slot
//! names team files may use, and each trait's methods (for `new-plugin`'s templates).

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::{Context, Result, bail};

/// A slot as the contract declares it: `#[muster::slot]` on a trait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotTrait {
    /// The slot name: the `name = "..."` argument, else the trait name in snake case.
    pub(crate) slot: String,
    /// The trait's name.
    pub(crate) trait_name: String,
    /// The names of the trait's methods, in order (a text scan: `fn <name>` in its block).
    pub(crate) methods: Vec<String>,
}

/// The slots the contract declares: every `#[muster::slot]` in its sources, named by
/// its `name = "..."` argument or else its trait name in snake case.
pub(crate) fn contract_slots(src: &Path) -> Result<BTreeSet<String>> {
    Ok(contract_traits(src)?.into_iter().map(|t| t.slot).collect())
}

/// Every `#[muster::slot]` trait in the contract's sources.
pub(crate) fn contract_traits(src: &Path) -> Result<Vec<SlotTrait>> {
    let mut traits = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                let text = std::fs::read_to_string(&path)?;
                traits.extend(slot_traits_in(&text));
            }
        }
    }
    if traits.is_empty() {
        bail!(
            "{}: the contract declares no `#[muster::slot]`",
            src.display()
        );
    }
    traits.sort_by(|a, b| a.slot.cmp(&b.slot));
    Ok(traits)
}

#[cfg(test)]
fn slots_in(text: &str) -> Vec<String> {
    slot_traits_in(text).into_iter().map(|t| t.slot).collect()
}

fn ident_at(text: &str) -> String {
    text.trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .collect()
}

fn slot_traits_in(text: &str) -> Vec<SlotTrait> {
    let mut traits = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find("#[muster::slot") {
        rest = &rest[at + "#[muster::slot".len()..];
        let attr_end = rest.find(']').unwrap_or(rest.len());
        let attr = &rest[..attr_end];
        let named = attr
            .split("name")
            .nth(1)
            .and_then(|after| after.split('"').nth(1))
            .map(str::to_string);
        let Some(trait_at) = rest.find("trait ") else {
            continue;
        };
        let after = &rest[trait_at + "trait ".len()..];
        let trait_name = ident_at(after);
        let methods = after
            .find('{')
            .map(|open| block_methods(&after[open + 1..]))
            .unwrap_or_default();
        traits.push(SlotTrait {
            slot: named.unwrap_or_else(|| snake_case(&trait_name)),
            trait_name,
            methods,
        });
    }
    traits
}

/// The `fn <name>`s of a block, from just after its `{` to the matching `}` (comments
/// are skipped line by line; good enough for trait declarations).
fn block_methods(block: &str) -> Vec<String> {
    let mut methods = Vec::new();
    let mut depth = 0usize;
    for line in block.lines() {
        let code = line.split("//").next().unwrap_or("");
        if depth == 0
            && let Some(at) = code.find("fn ")
        {
            let before = &code[..at];
            if before.is_empty() || before.ends_with(char::is_whitespace) {
                methods.push(ident_at(&code[at + 3..]));
            }
        }
        for c in code.chars() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => return methods,
                '}' => depth -= 1,
                _ => {}
            }
        }
    }
    methods
}

fn snake_case(ident: &str) -> String {
    let mut out = String::new();
    for (i, c) in ident.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::config::contract::{slot_traits_in, slots_in, snake_case};

    #[test]
    fn slots_come_from_the_name_argument_or_the_trait() {
        let text = "#[muster::slot(name = \"checksum\")]\npub trait Checksum {}\n\
                    /// Docs.\n#[muster::slot]\npub trait StatusLine: Send {}\n";
        assert_eq!(slots_in(text), ["checksum", "status_line"]);
        assert_eq!(snake_case("Uplink"), "uplink");
    }

    #[test]
    fn slot_traits_list_their_methods() {
        let text = "#[muster::slot(name = \"checksum\")]\npub trait Checksum: Send {\n\
                    /// Docs with fn inside.\n    fn implementation(&self) -> &'static str;\n\
                    fn crc32c(&self, data: &[u8]) -> u32 {\n        let f = 1; fn inner() {}\n    }\n}\n\
                    fn outside() {}\n#[muster::slot]\npub trait Uplink {}\n";
        let traits = slot_traits_in(text);
        assert_eq!(traits.len(), 2);
        assert_eq!(
            (traits[0].slot.as_str(), traits[0].trait_name.as_str()),
            ("checksum", "Checksum")
        );
        assert_eq!(traits[0].methods, ["implementation", "crc32c"]);
        assert_eq!(traits[1].slot, "uplink");
        assert!(traits[1].methods.is_empty());
    }
}
