//! Reading the contract crates' sources for their `#[muster::slot]` traits the way the
//! compiler reads them (parsed with `syn`): the slot names team files may use, and each
//! trait's methods and crate (for `new-plugin`'s templates). Slot names follow the
//! macro's rule, from the one shared implementation (`muster_names::slot_name`).

use std::collections::BTreeSet;
use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use muster_names::SlotArgs;
use quote::ToTokens;
use syn::{Item, ItemTrait, TraitItem, UseTree};

use crate::project::Project;
use crate::settings::Package;

/// A slot as a contract declares it: `#[muster::slot]` on a trait.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SlotTrait {
    /// The slot name: the `name = "..."` argument, else `muster_names::slot_name` of the trait.
    pub(crate) slot: String,
    /// The trait's name.
    pub(crate) trait_name: String,
    /// The trait's methods, in order.
    pub(crate) methods: Vec<String>,
    /// The methods without a default body, each with its signature as tokens
    /// (`fn render(&self, status: &Status) -> String`): what a plugin must write.
    pub(crate) required: Vec<(String, String)>,
    /// Why a generic skeleton cannot implement the trait (an associated type or
    /// constant without default, generic methods are fine), if so.
    pub(crate) unsupported: Option<String>,
    /// The contract package that declares it.
    pub(crate) package: String,
    /// The contract package's directory.
    pub(crate) package_dir: PathBuf,
}

/// The slots every contract declares.
pub(crate) fn contract_slots(project: &Project) -> Result<BTreeSet<String>> {
    Ok(contract_traits(project)?
        .into_iter()
        .map(|t| t.slot)
        .collect())
}

/// Every `#[muster::slot]` trait of every contract, sorted by slot; a contract that
/// declares none, or two that declare one slot, is an error naming the `contracts` key.
pub(crate) fn contract_traits(project: &Project) -> Result<Vec<SlotTrait>> {
    let mut traits: Vec<SlotTrait> = Vec::new();
    for contract in &project.settings.contracts {
        let found = package_traits(contract)?;
        if found.is_empty() {
            bail!(
                "{}: contract `{}` declares no `#[muster::slot]` trait in {}",
                contract.origin,
                contract.name,
                project.display(&contract.dir.join("src"))
            );
        }
        for t in found {
            if let Some(other) = traits.iter().find(|o| o.slot == t.slot) {
                bail!(
                    "{}: slot `{}` is declared twice: by `{}` in `{}` and by `{}` in `{}`",
                    contract.origin,
                    t.slot,
                    other.trait_name,
                    other.package,
                    t.trait_name,
                    t.package
                );
            }
            traits.push(t);
        }
    }
    traits.sort_by(|a, b| a.slot.cmp(&b.slot));
    Ok(traits)
}

/// The slot traits in one package's `src/` (every `.rs` file, inline modules included).
fn package_traits(package: &Package) -> Result<Vec<SlotTrait>> {
    let src = package.dir.join("src");
    let mut files = Vec::new();
    let mut stack = vec![src.clone()];
    while let Some(dir) = stack.pop() {
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?;
        for entry in entries {
            let path = entry?.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|ext| ext == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    let mut traits = Vec::new();
    for path in files {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let found = slot_traits_in(&text).with_context(|| {
            format!(
                "contract `{}`: cannot parse {}",
                package.name,
                path.display()
            )
        })?;
        traits.extend(found.into_iter().map(|t| SlotTrait {
            package: package.name.clone(),
            package_dir: package.dir.clone(),
            ..t
        }));
    }
    Ok(traits)
}

/// `(slot, trait name, methods)` of every slot trait in one file's text.
pub(crate) fn slot_traits_in(text: &str) -> syn::Result<Vec<SlotTrait>> {
    let file = syn::parse_file(text)?;
    let mut out = Vec::new();
    let slot_imported = imports_slot(&file.items);
    visit(&file.items, slot_imported, &mut out)?;
    Ok(out)
}

fn visit(items: &[Item], slot_imported: bool, out: &mut Vec<SlotTrait>) -> syn::Result<()> {
    for item in items {
        match item {
            Item::Trait(t) => {
                if let Some(found) = slot_of(t, slot_imported)? {
                    out.push(found);
                }
            }
            Item::Mod(m) => {
                if let Some((_, inner)) = &m.content {
                    let imported = slot_imported || imports_slot(inner);
                    visit(inner, imported, out)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Whether `items` import the macro as `slot` (`use muster::slot;`,
/// `use muster::{slot, ...};`, `use ::muster::slot;`).
fn imports_slot(items: &[Item]) -> bool {
    fn walk(tree: &UseTree, under_muster: bool, first: bool) -> bool {
        match tree {
            UseTree::Path(p) => {
                let muster = under_muster || (first && p.ident == "muster");
                walk(&p.tree, muster, false)
            }
            UseTree::Name(n) => under_muster && n.ident == "slot",
            UseTree::Group(g) => g.items.iter().any(|t| walk(t, under_muster, first)),
            UseTree::Rename(_) | UseTree::Glob(_) => false,
        }
    }
    items.iter().any(|item| match item {
        Item::Use(u) => walk(&u.tree, false, true),
        _ => false,
    })
}

/// The slot a trait declares, if one of its attributes is the slot macro.
fn slot_of(item: &ItemTrait, slot_imported: bool) -> syn::Result<Option<SlotTrait>> {
    let Some(attr) = item.attrs.iter().find(|attr| {
        let segments: Vec<String> = attr
            .path()
            .segments
            .iter()
            .map(|s| s.ident.to_string())
            .collect();
        match segments.as_slice() {
            [only] => only == "slot" && slot_imported,
            [krate, last] => krate == "muster" && last == "slot",
            _ => false,
        }
    }) else {
        return Ok(None);
    };
    // The macro's own grammar (`muster_names::SlotArgs`): one parser, both sides.
    let name = SlotArgs::of_attribute(attr)?.name;
    let trait_name = item.ident.to_string();
    let slot = name.map_or_else(|| muster_names::slot_name(&trait_name), |lit| lit.value());
    let mut methods = Vec::new();
    let mut required = Vec::new();
    let mut unsupported = None;
    for i in &item.items {
        match i {
            TraitItem::Fn(f) => {
                methods.push(f.sig.ident.to_string());
                if f.default.is_none() {
                    required.push((f.sig.ident.to_string(), f.sig.to_token_stream().to_string()));
                }
            }
            TraitItem::Type(t) if t.default.is_none() => {
                unsupported = Some(format!("it declares associated type `{}`", t.ident));
            }
            TraitItem::Const(c) if c.default.is_none() => {
                unsupported = Some(format!("it declares associated constant `{}`", c.ident));
            }
            _ => {}
        }
    }
    Ok(Some(SlotTrait {
        slot,
        trait_name,
        methods,
        required,
        unsupported,
        package: String::new(),
        package_dir: PathBuf::new(),
    }))
}

/// The slot names in one file's text (tests).
#[cfg(test)]
fn slots_in(text: &str) -> Vec<String> {
    slot_traits_in(text)
        .unwrap()
        .into_iter()
        .map(|t| t.slot)
        .collect()
}

#[cfg(test)]
mod tests {
    use crate::config::contract::{slot_traits_in, slots_in};

    #[test]
    fn slots_come_from_the_name_argument_or_the_trait() {
        let text = "#[muster::slot(name = \"checksum\")]\npub trait Checksum {}\n\
                    /// Docs.\n#[muster::slot]\npub trait StatusLine: Send {}\n";
        assert_eq!(slots_in(text), ["checksum", "status_line"]);
    }

    #[test]
    fn the_macro_naming_rule_applies() {
        // The text scan this replaces said `h_t_t_p_client`, took `named_thing` from a
        // description mentioning "name", and missed `use muster::slot; #[slot]`.
        let text = "use muster::{slot, plugin};\n\
                    #[muster::slot]\npub trait HTTPClient {}\n\
                    #[muster::slot(description = \"the name = \\\"x\\\" of it\")]\npub trait Uplink {}\n\
                    #[slot]\npub trait StatusLine {}\n\
                    mod inner {\n    #[::muster::slot(name = \"deep\")]\n    pub trait Deep {}\n}\n\
                    #[other::slot]\npub trait NotASlot {}\n";
        assert_eq!(
            slots_in(text),
            ["http_client", "uplink", "status_line", "deep"]
        );
    }

    #[test]
    fn a_bare_slot_attribute_needs_the_import() {
        assert!(slots_in("#[slot]\npub trait Uplink {}\n").is_empty());
        assert_eq!(
            slots_in("use ::muster::slot;\n#[slot]\npub trait Uplink {}\n"),
            ["uplink"]
        );
    }

    #[test]
    fn slot_traits_list_their_methods() {
        let text = "#[muster::slot(name = \"checksum\")]\npub trait Checksum: Send {\n\
                    /// Docs with fn inside.\n    fn implementation(&self) -> &'static str;\n\
                    fn crc32c(&self, data: &[u8]) -> u32 {\n        let f = 1; fn inner() {}\n    }\n}\n\
                    fn outside() {}\n#[muster::slot]\npub trait Uplink {}\n";
        let traits = slot_traits_in(text).unwrap();
        assert_eq!(traits.len(), 2);
        assert_eq!(
            (traits[0].slot.as_str(), traits[0].trait_name.as_str()),
            ("checksum", "Checksum")
        );
        assert_eq!(traits[0].methods, ["implementation", "crc32c"]);
        let required: Vec<&str> = traits[0].required.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(required, ["implementation"], "crc32c has a default body");
        assert_eq!(traits[1].slot, "uplink");
        assert!(traits[1].methods.is_empty());
    }
}
