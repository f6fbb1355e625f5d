//! Tests over whole workspaces: the real one (checks double as tests) and fixture
//! workspaces in temporary directories with outside-path and git plugin sources.

use std::path::Path;
use std::process::Command;

use crate::check;
use crate::config::Config;
use crate::new_plugin::{NewPlugin, scaffold};
use crate::plan::Resolved;
use crate::project::Project;
use crate::sync;

#[test]
fn the_team_files_and_sets_are_valid() {
    let config = Config::load(&Project::current().unwrap()).unwrap_or_else(|err| panic!("{err:#}"));
    for set in config.sets.keys() {
        Resolved::new(&config, set).unwrap();
    }
}

#[test]
fn the_plugin_sources_contain_their_crates() {
    let project = Project::current().unwrap();
    let config = Config::load(&project).unwrap();
    check::sources(&project, &config).unwrap_or_else(|err| panic!("{err:#}"));
    check::app_features(&project, &config).unwrap_or_else(|err| panic!("{err:#}"));
}

#[test]
fn the_generated_files_are_fresh() {
    let project = Project::current().unwrap();
    let config = Config::load(&project).unwrap();
    sync::check(&project, &config).unwrap_or_else(|err| panic!("{err:#}"));
}

/// A throwaway workspace: contract with three slots, an app, team files and sets.
struct Fixture {
    dir: tempfile::TempDir,
}

const CONTRACT: &str = r#"//! Contract.
#[muster::slot(name = "showcase")]
pub trait Showcase {}
#[muster::slot(name = "checksum")]
pub trait Checksum {}
/// Uplink.
#[muster::slot]
pub trait Uplink {}
"#;

const APP: &str = "[package]\nname = \"edge-agent\"\nversion = \"0.1.0\"\n\n[dependencies]\nmuster-rt = { path = \"../core\" }\nedge-contract = { path = \"contract\" }\n";

/// The `[workspace.metadata.muster]` block of the fixtures (this repository's layout).
const MUSTER_BLOCK: &str =
    "\n[workspace.metadata.muster]\nhost = \"edge-agent\"\ncontracts = [\"edge-contract\"]\n";

impl Fixture {
    fn new() -> Fixture {
        let fixture = Fixture {
            dir: tempfile::tempdir().unwrap(),
        };
        fixture.write(
            "Cargo.toml",
            &format!("[workspace]\nmembers = [\"app\", \"app/contract\"]\n{MUSTER_BLOCK}"),
        );
        fixture.write(
            "app/contract/Cargo.toml",
            "[package]\nname = \"edge-contract\"\nversion = \"0.1.0\"\n",
        );
        fixture.write("app/contract/src/lib.rs", CONTRACT);
        fixture.write("app/Cargo.toml", APP);
        fixture.write("app/src/main.rs", "//! App.\nmod plugins;\nfn main() {}\n");
        fixture.write("sets/default.toml", "teams = [\"storage\"]\n");
        fixture
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn project(&self) -> Project {
        Project::at(self.root()).unwrap()
    }

    fn write(&self, path: &str, text: &str) {
        let path = self.root().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    fn load(&self) -> anyhow::Result<Config> {
        Config::load(&self.project())
    }

    fn error(&self) -> String {
        format!("{:#}", self.load().unwrap_err())
    }
}

/// A plugin crate directory with package `package`.
/// The `.cargo/config.toml` of a fixture workspace that builds: one target directory
/// shared by every fixture (`target/xtask-fixture`, compiled dependencies are reused) and
/// no debug info or incremental state, which fixtures never use (disk is what a fresh CI
/// machine runs short of).
pub(crate) fn fixture_cargo_config(real: &Path) -> String {
    format!(
        "[build]\ntarget-dir = \"{}\"\n\n[profile.dev]\ndebug = false\nincremental = false\n",
        real.join("target").join("xtask-fixture").display()
    )
}

fn plugin_crate(dir: &Path, package: &str) {
    std::fs::create_dir_all(dir.join("src")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("[package]\nname = \"{package}\"\nversion = \"2.0.0\"\nedition = \"2024\"\n"),
    )
    .unwrap();
    std::fs::write(dir.join("src/lib.rs"), "//! Plugin.\n").unwrap();
}

fn entry(package: &str, version: &str, source: &str) -> String {
    format!(
        "[[plugin]]\npackage = \"{package}\"\nslot = \"checksum\"\nname = \"crc32c\"\nversion = \"{version}\"\n\
         enabled = true\n{source}\n"
    )
}

fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .current_dir(dir)
        .args([
            "-c",
            "user.name=xtask",
            "-c",
            "user.email=xtask@example.invalid",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A git repository holding plugin `package` in `crates/<package>`, tagged `v2.0.0`;
/// returns its URL and the commit.
fn git_repo(dir: &Path, package: &str) -> (String, String) {
    plugin_crate(&dir.join("crates").join(package), package);
    git(dir, &["init", "--quiet"]);
    git(dir, &["add", "."]);
    git(dir, &["commit", "--quiet", "-m", "plugin"]);
    git(dir, &["tag", "v2.0.0"]);
    let rev = git(dir, &["rev-parse", "HEAD"]).trim().to_string();
    (format!("file://{}", dir.display()), rev)
}

#[test]
fn outside_path_and_git_sources_are_checked_and_generated() {
    let fixture = Fixture::new();
    let outside = tempfile::tempdir().unwrap();
    plugin_crate(&outside.path().join("crc-outside"), "crc-outside");
    let repo_dir = tempfile::tempdir().unwrap();
    let (url, rev) = git_repo(repo_dir.path(), "crc-git");
    let rev_dir = tempfile::tempdir().unwrap();
    let (rev_url, rev) = (git_repo(rev_dir.path(), "crc-rev").0, {
        let _ = rev;
        git(rev_dir.path(), &["rev-parse", "HEAD"])
            .trim()
            .to_string()
    });
    let outside_path = outside.path().join("crc-outside");
    fixture.write(
        "teams/storage.toml",
        &[
            entry(
                "crc-outside",
                "1.0.0",
                &format!("path = \"{}\"", outside_path.display()),
            ),
            entry(
                "crc-git",
                "1.1.0",
                &format!("git = \"{url}\"\ntag = \"v2.0.0\""),
            ),
            entry(
                "crc-rev",
                "1.2.0",
                &format!("git = \"{rev_url}\"\nrev = \"{rev}\""),
            ),
        ]
        .join("\n"),
    );
    let config = fixture.load().unwrap();
    let project = fixture.project();
    check::sources(&project, &config).unwrap_or_else(|err| panic!("{err:#}"));

    sync::write(&project, &config).unwrap();
    sync::check(&project, &config).unwrap();
    let manifest = std::fs::read_to_string(project.app_manifest()).unwrap();
    assert!(manifest.contains(&format!(
        "crc-outside = {{ path = \"{}\", optional = true }}",
        outside_path.display()
    )));
    assert!(manifest.contains(&format!(
        "crc-git = {{ git = \"{url}\", tag = \"v2.0.0\", optional = true }}"
    )));
    assert!(manifest.contains(&format!(
        "crc-rev = {{ git = \"{rev_url}\", rev = \"{rev}\", optional = true }}"
    )));
    assert!(
        manifest
            .contains("default = [\"plugin-crc-outside\", \"plugin-crc-git\", \"plugin-crc-rev\"]"),
        "{manifest}"
    );
    check::app_features(&project, &config).unwrap();
    let plugins_rs = std::fs::read_to_string(project.app_plugins_rs()).unwrap();
    assert!(
        plugins_rs.contains("#[cfg(feature = \"plugin-crc-git\")]\nuse crc_git as _;\n"),
        "{plugins_rs}"
    );

    // Removing a generated `use` by hand is caught, naming the line.
    std::fs::write(
        project.app_plugins_rs(),
        plugins_rs.replace("use crc_git as _;\n", ""),
    )
    .unwrap();
    let err = format!("{:#}", sync::check(&project, &config).unwrap_err());
    assert!(
        err.contains("app/src/plugins.rs: missing `use crc_git as _;`"),
        "{err}"
    );
}

#[test]
fn sources_without_the_named_crate_are_errors() {
    let fixture = Fixture::new();
    let outside = tempfile::tempdir().unwrap();
    plugin_crate(&outside.path().join("other"), "something-else");
    let repo_dir = tempfile::tempdir().unwrap();
    let (url, _) = git_repo(repo_dir.path(), "crc-git");
    fixture.write(
        "teams/storage.toml",
        &[
            entry(
                "crc-outside",
                "1.0.0",
                &format!("path = \"{}\"", outside.path().join("other").display()),
            ),
            entry(
                "crc-missing",
                "1.1.0",
                &format!("path = \"{}\"", outside.path().join("nowhere").display()),
            ),
            entry(
                "crc-wrong",
                "1.2.0",
                &format!("git = \"{url}\"\ntag = \"v2.0.0\""),
            ),
            entry(
                "crc-git",
                "1.3.0",
                &format!("git = \"{url}\"\ntag = \"v9.9.9\""),
            ),
        ]
        .join("\n"),
    );
    let config = fixture.load().unwrap();
    let err = format!(
        "{:#}",
        check::sources(&fixture.project(), &config).unwrap_err()
    );
    assert!(err.contains("4 problems"), "{err}");
    assert!(
        err.contains("teams/storage.toml:1:1: plugin `crc-outside`: path"),
        "{err}"
    );
    assert!(
        err.contains("does not contain package `crc-outside`"),
        "{err}"
    );
    assert!(
        err.contains("plugin `crc-missing`: path") && err.contains("has no Cargo.toml"),
        "{err}"
    );
    assert!(
        err.contains("plugin `crc-wrong`: the repository has no package `crc-wrong`"),
        "{err}"
    );
    assert!(
        err.contains("plugin `crc-git`: cannot fetch tag `v9.9.9`"),
        "{err}"
    );
}

/// A contract that declares no `#[muster::slot]` trait (a plain trait, or a slot behind
/// another attribute) is refused when the configuration loads, naming the `contracts`
/// key, the contract and where it was looked for (docs/adopting.md's table).
#[test]
fn a_contract_without_slot_traits_is_an_error_naming_the_key() {
    let fixture = Fixture::new();
    fixture.write(
        "app/contract/src/lib.rs",
        "//! Contract.\npub trait Showcase {}\n#[other::slot]\npub trait Checksum {}\n",
    );
    let err = fixture.error();
    assert!(
        err.contains(
            "`contracts`: contract `edge-contract` declares no `#[muster::slot]` trait in \
             app/contract/src"
        ),
        "{err}"
    );
    assert!(
        err.starts_with("Cargo.toml:"),
        "names where the key is: {err}"
    );
}

/// Every file under `root`, with its bytes.
fn files(root: &Path) -> std::collections::BTreeMap<std::path::PathBuf, Vec<u8>> {
    let mut found = std::collections::BTreeMap::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else {
                let bytes = std::fs::read(&path).unwrap();
                found.insert(path.strip_prefix(root).unwrap().to_path_buf(), bytes);
            }
        }
    }
    found
}

/// "Before any command writes anything" (docs/adopting.md): on a bad configuration,
/// `sync`, `build` and `new-plugin` fail naming the mistake, and leave every file as
/// it was: `dist/`, the host's registry file and its Cargo.toml features included.
#[test]
fn a_bad_config_fails_every_writing_command_with_nothing_written() {
    type Mistake = (&'static str, fn(&Fixture), &'static str);
    let cases: [Mistake; 3] = [
        (
            "a contract with no slot trait",
            |f| {
                f.write(
                    "app/contract/src/lib.rs",
                    "//! Contract.\npub trait Showcase {}\n",
                )
            },
            "declares no `#[muster::slot]` trait",
        ),
        (
            "an unknown key in the block",
            |f| {
                let manifest = std::fs::read_to_string(f.root().join("Cargo.toml")).unwrap();
                f.write("Cargo.toml", &format!("{manifest}hsot = \"edge-agent\"\n"));
            },
            "unknown field `hsot`",
        ),
        (
            "a team file naming an unknown slot",
            |f| {
                f.write(
                    "teams/storage.toml",
                    &entry("a", "1.0.0", "path = \"plugins/storage/a\"")
                        .replace("slot = \"checksum\"", "slot = \"nosuch\""),
                );
            },
            "nosuch",
        ),
    ];
    for (mistake, make, named) in cases {
        let fixture = Fixture::new();
        plugin_crate(&fixture.root().join("plugins/storage/a"), "a");
        fixture.write(
            "teams/storage.toml",
            &entry("a", "1.0.0", "path = \"plugins/storage/a\""),
        );
        let project = fixture.project();
        sync::write(&project, &fixture.load().unwrap()).unwrap();
        fixture.write("dist/default/edge-agent", "a binary built before");
        let manifest = std::fs::read_to_string(project.app_manifest()).unwrap();
        assert!(manifest.contains("plugin-a = [\"dep:a\"]"), "{manifest}");
        assert!(
            std::fs::read_to_string(project.app_plugins_rs())
                .unwrap()
                .contains("use a as _;")
        );

        make(&fixture);
        let before = files(fixture.root());
        let root = fixture.root();
        let runs: [(&str, anyhow::Result<()>); 3] = [
            ("sync", sync::Sync { check: false }.run_at(root)),
            (
                "build",
                crate::build::Build::release("default").run_at(root),
            ),
            (
                "new-plugin",
                new_plugin("storage", "checksum", "1.1.0", "b").run_at(root),
            ),
        ];
        for (command, result) in runs {
            let err = format!(
                "{:#}",
                result.expect_err(&format!("{command} with {mistake}"))
            );
            assert!(err.contains(named), "{command} with {mistake}: {err}");
            assert!(
                files(root) == before,
                "{command} with {mistake} wrote or removed files"
            );
        }
    }
}

#[test]
fn a_crate_name_other_than_the_package_needs_saying() {
    let fixture = Fixture::new();
    let dir = fixture.root().join("plugins/odd");
    plugin_crate(&dir, "odd-plugin");
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    std::fs::write(
        dir.join("Cargo.toml"),
        format!("{manifest}\n[lib]\nname = \"odd\"\n"),
    )
    .unwrap();
    fixture.write(
        "teams/storage.toml",
        &entry("odd-plugin", "1.0.0", "path = \"plugins/odd\""),
    );
    let config = fixture.load().unwrap();
    let err = format!(
        "{:#}",
        check::sources(&fixture.project(), &config).unwrap_err()
    );
    assert!(
        err.contains("builds crate `odd`, but the team file expects `odd_plugin`"),
        "{err}"
    );
    fixture.write(
        "teams/storage.toml",
        &entry(
            "odd-plugin",
            "1.0.0",
            "path = \"plugins/odd\"\ncrate = \"odd\"",
        ),
    );
    let config = fixture.load().unwrap();
    check::sources(&fixture.project(), &config).unwrap();
    assert!(sync::plugins_rs(&config).contains("use odd as _;"));
}

#[test]
fn strict_parsing_names_file_line_column_and_problem() {
    let fixture = Fixture::new();
    let source = "path = \"plugins/a\"";
    fixture.write(
        "teams/storage.toml",
        &format!("{}colour = \"red\"\n", entry("a", "1.0.0", source)),
    );
    let err = fixture.error();
    assert!(
        err.contains("teams/storage.toml:8:1: unknown field `colour`"),
        "{err}"
    );

    fixture.write(
        "teams/storage.toml",
        &entry("a", "1.0", source).replace("checksum", "chksum"),
    );
    let err = fixture.error();
    assert!(err.contains("teams/storage.toml:3:8: unknown slot `chksum` (the contract declares: checksum, showcase, uplink)"), "{err}");
    assert!(
        err.contains("teams/storage.toml:5:11: version `1.0` is not semver"),
        "{err}"
    );

    fixture.write(
        "teams/storage.toml",
        &entry("a", "1.0.0", "git = \"https://example.invalid/a.git\""),
    );
    assert!(
        fixture
            .error()
            .contains("teams/storage.toml:7:7: a `git` source needs a `tag` or a `rev`")
    );

    fixture.write(
        "teams/storage.toml",
        &entry("a", "1.0.0", "path = \"p\"\ngit = \"g\"\ntag = \"t\""),
    );
    assert!(fixture.error().contains("give `path` or `git`, not both"));

    fixture.write("teams/storage.toml", "[[plugin]]\npackage = \"a\"\n");
    let err = fixture.error();
    assert!(
        err.contains("teams/storage.toml:1:1: missing field `enabled`"),
        "{err}"
    );
    fixture.write(
        "teams/storage.toml",
        "[[plugin]]\npackage = \"a\"\nenabled = true\npath = \"p\"\n",
    );
    let err = fixture.error();
    assert!(
        err.contains("teams/storage.toml:1:1: plugin `a` lacks `slot`, `name`, `version`"),
        "{err}"
    );
}

#[test]
fn one_version_enabled_twice_is_an_error() {
    let fixture = Fixture::new();
    fixture.write(
        "teams/storage.toml",
        &entry("a", "1.0.0", "path = \"plugins/a\""),
    );
    fixture.write(
        "teams/other.toml",
        &entry("b", "1.0.0", "path = \"plugins/b\""),
    );
    let err = fixture.error();
    assert!(
        err.contains(
            "teams/other.toml:1:1: crc32c version 1.0.0 of slot `checksum` is enabled twice"
        ),
        "{err}"
    );
    assert!(err.contains("`a` at teams/storage.toml:1:1"), "{err}");

    fixture.write(
        "teams/other.toml",
        &entry("a", "1.1.0", "path = \"plugins/b\""),
    );
    assert!(fixture.error().contains("package `a` is declared twice"));
}

#[test]
fn sets_name_known_teams_and_plugins() {
    let fixture = Fixture::new();
    fixture.write(
        "teams/storage.toml",
        &entry("a", "1.0.0", "path = \"plugins/a\""),
    );
    fixture.write(
        "sets/small.toml",
        "teams = [\"storage\", \"strage\"]\nplugins = [\"a\", \"zz\"]\nexclude = [\"a\", \"a\"]\n",
    );
    let err = fixture.error();
    assert!(
        err.contains("sets/small.toml:1:21: unknown team `strage`"),
        "{err}"
    );
    assert!(
        err.contains("sets/small.toml:2:17: unknown plugin `zz`"),
        "{err}"
    );
    assert!(
        err.contains("sets/small.toml:3:17: plugin `a` is listed twice"),
        "{err}"
    );

    fixture.write(
        "sets/small.toml",
        "teams = [\"storage\"]\nexclude = [\"a\"]\n",
    );
    assert!(
        fixture
            .error()
            .contains("sets/small.toml: set `small` has no plugins")
    );
    std::fs::remove_file(fixture.root().join("sets/small.toml")).unwrap();
    std::fs::remove_file(fixture.root().join("sets/default.toml")).unwrap();
    assert!(fixture.error().contains("no `default.toml`"));
}

/// Twenty entries of team `traffic`, one slot version each; entry `typo` (0-based)
/// says `enable` instead of `enabled` if given.
fn twenty_entries(typo: Option<usize>) -> String {
    (0..20)
        .map(|i| {
            let text = entry(
                &format!("p{i}"),
                &format!("1.{i}.0"),
                &format!("path = \"plugins/p{i}\""),
            );
            if typo == Some(i) {
                text.replace("enabled = true", "enable = true")
            } else {
                text
            }
        })
        .collect()
}

#[test]
fn one_typo_in_a_team_file_is_one_problem() {
    let fixture = Fixture::new();
    fixture.write(
        "teams/storage.toml",
        &entry("a", "9.0.0", "path = \"plugins/a\""),
    );
    fixture.write("teams/traffic.toml", &twenty_entries(None));
    fixture.write(
        "sets/lean.toml",
        "teams = [\"storage\", \"traffic\"]\nplugins = [\"p3\"]\nexclude = [\"p7\"]\n",
    );
    fixture.write("sets/other.toml", "teams = [\"traffic\"]\n");
    fixture.load().unwrap_or_else(|err| panic!("{err:#}"));

    fixture.write("teams/traffic.toml", &twenty_entries(Some(12)));
    let err = fixture.error();
    assert!(err.starts_with("team files and sets: 1 problem\n"), "{err}");
    assert_eq!(err.matches("\n  - ").count(), 1, "{err}");
    assert!(err.contains("teams/traffic.toml:"), "{err}");
    assert!(err.contains("unknown field `enable`"), "{err}");

    // A refused entry (bad slot) drops that package only: a set naming it says nothing
    // more, a set naming a package no file declares is still reported.
    fixture.write(
        "teams/traffic.toml",
        &twenty_entries(None).replacen("slot = \"checksum\"", "slot = \"chksum\"", 4),
    );
    fixture.write(
        "sets/lean.toml",
        "teams = [\"traffic\"]\nplugins = [\"p3\", \"nosuch\"]\n",
    );
    let err = fixture.error();
    assert!(
        err.starts_with("team files and sets: 5 problems\n"),
        "{err}"
    );
    assert_eq!(err.matches("unknown slot `chksum`").count(), 4, "{err}");
    assert!(
        err.contains("sets/lean.toml:2:18: unknown plugin `nosuch`"),
        "{err}"
    );
    assert!(!err.contains("`p3`"), "{err}");

    // A file that is not TOML: the sets naming its team or any unknown plugin are quiet.
    fixture.write("teams/traffic.toml", "[[plugin]\n");
    let err = fixture.error();
    assert!(err.starts_with("team files and sets: 1 problem\n"), "{err}");
}

#[test]
fn features_no_team_file_mentions_are_errors() {
    let fixture = Fixture::new();
    fixture.write(
        "teams/storage.toml",
        &entry("a", "1.0.0", "path = \"plugins/a\""),
    );
    let config = fixture.load().unwrap();
    let project = fixture.project();
    sync::write(&project, &config).unwrap();
    check::app_features(&project, &config).unwrap();
    let manifest = std::fs::read_to_string(project.app_manifest()).unwrap();
    let tampered = manifest
        .replace(
            "[features]\n",
            "[features]\nplugin-ghost = [\"dep:ghost\"]\n",
        )
        .replace(
            "muster-rt = { path = \"../core\" }\n",
            "muster-rt = { path = \"../core\" }\nghost = { path = \"../ghost\", optional = true }\n",
        );
    std::fs::write(project.app_manifest(), tampered).unwrap();
    let err = format!("{:#}", check::app_features(&project, &config).unwrap_err());
    assert!(
        err.contains("feature `plugin-ghost` names no plugin in any team file"),
        "{err}"
    );
    assert!(
        err.contains("optional dependency `ghost` is no plugin of any team file"),
        "{err}"
    );
}

/// `cargo xtask new-plugin` arguments, without running cargo afterwards.
fn new_plugin(team: &str, slot: &str, version: &str, package: &str) -> NewPlugin {
    NewPlugin {
        team: team.into(),
        slot: slot.into(),
        plugin_version: version.into(),
        name: None,
        no_test: true,
        package: package.into(),
    }
}

/// A fixture with the real contract (the templates must match its traits) and one
/// storage plugin.
fn new_plugin_fixture() -> Fixture {
    let fixture = Fixture::new();
    let contract = include_str!("../../../app/contract/src/lib.rs");
    fixture.write(
        "app/contract/src/lib.rs",
        &format!("{contract}\n#[muster::slot(name = \"extra\")]\npub trait Extra {{\n    fn x(&self);\n}}\n"),
    );
    for slot in ["checksum", "showcase", "uplink"] {
        let template = format!("app/contract/templates/{slot}.toml");
        let real = Project::current().unwrap().root.join(&template);
        fixture.write(&template, &std::fs::read_to_string(real).unwrap());
    }
    plugin_crate(&fixture.root().join("plugins/storage/a"), "a");
    fixture.write(
        "teams/storage.toml",
        &entry("a", "1.0.0", "path = \"plugins/storage/a\""),
    );
    fixture
}

#[test]
fn the_templates_match_the_real_contract() {
    let project = Project::current().unwrap();
    let traits = crate::config::contract_traits(&project).unwrap();
    for slot in &traits {
        let template =
            crate::new_plugin::template_for(&project, slot).unwrap_or_else(|err| panic!("{err:#}"));
        assert!(
            !template.is_skeleton(),
            "the contract ships no template for `{}`",
            slot.slot
        );
    }
}

#[test]
fn new_plugin_scaffolds_enables_and_syncs() {
    let fixture = new_plugin_fixture();
    let project = fixture.project();
    let mut args = new_plugin("storage", "checksum", "1.5.0-rc.1", "crc-new");
    args.name = Some("crc32c".into());
    let dir = scaffold(&project, &args).unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(dir, fixture.root().join("plugins/storage/crc-new"));
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("name = \"crc-new\"\n"), "{manifest}");
    assert!(
        manifest.contains("version = \"1.5.0-rc.1\"\n"),
        "{manifest}"
    );
    assert!(
        manifest.contains("edge-contract.workspace = true"),
        "{manifest}"
    );
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    for expected in [
        "#![forbid(unsafe_code)]",
        "#[derive(Debug, Default)]\n#[muster::plugin(\n    slot = Checksum,\n    version = \"1.5.0-rc.1\",\n    team = \"storage\",\n    name = \"crc32c\"\n)]\npub struct CrcNew;",
        "impl Checksum for CrcNew {",
        ".select::<dyn Checksum>()",
        // A pre-release is selected only when the policy allows it.
        "Policy::from_flags(&[], &[], &[], true)",
    ] {
        assert!(lib.contains(expected), "missing {expected:?} in:\n{lib}");
    }
    assert!(lib.starts_with("//! `crc32c` 1.5.0-rc.1"), "{lib}");
    assert!(!lib.contains("todo!") && !lib.contains("unimplemented!"));

    let config = fixture.load().unwrap();
    let plugin = config
        .plugins
        .iter()
        .find(|p| p.package == "crc-new")
        .unwrap();
    assert!(plugin.enabled);
    assert_eq!(
        (plugin.slot.as_str(), plugin.name.as_str()),
        ("checksum", "crc32c")
    );
    sync::check(&project, &config).unwrap_or_else(|err| panic!("{err:#}"));
    let plugins_rs = std::fs::read_to_string(project.app_plugins_rs()).unwrap();
    assert!(plugins_rs.contains("use crc_new as _;"), "{plugins_rs}");
    let app = std::fs::read_to_string(project.app_manifest()).unwrap();
    assert!(
        app.contains("crc-new = { path = \"../plugins/storage/crc-new\", optional = true }"),
        "{app}"
    );

    // A team without a file gets one.
    scaffold(&project, &new_plugin("relay", "uplink", "3.0.0", "up-new")).unwrap();
    let team = std::fs::read_to_string(fixture.root().join("teams/relay.toml")).unwrap();
    assert!(
        team.contains("package = \"up-new\"\nslot = \"uplink\"\nname = \"up-new\"\nversion = \"3.0.0\"\nenabled = true\npath = \"plugins/relay/up-new\"\n"),
        "{team}"
    );
    assert!(fixture.load().unwrap().teams.contains_key("relay"));
}

#[test]
fn new_plugin_refuses_naming_the_argument() {
    let fixture = new_plugin_fixture();
    let project = fixture.project();
    let team_before = std::fs::read_to_string(fixture.root().join("teams/storage.toml")).unwrap();
    let error = |args: NewPlugin| format!("{:#}", scaffold(&project, &args).unwrap_err());
    let cases = [
        (
            new_plugin("storage", "checksum", "1.5", "b"),
            "--version `1.5` is not semver",
        ),
        (
            new_plugin("storage", "chksum", "1.5.0", "b"),
            "--slot `chksum`: unknown slot (the contract declares: checksum, extra, showcase, uplink)",
        ),
        (
            new_plugin("storage", "checksum", "1.5.0", "a"),
            "NAME `a`: package already declared at teams/storage.toml:1:1",
        ),
        (
            new_plugin("storage", "checksum", "1.0.0", "b"),
            "--version `1.0.0`: version 1.0.0 of slot `checksum` is already enabled (a at",
        ),
        (
            new_plugin("storage", "checksum", "1.5.0", "9lives"),
            "NAME `9lives`: not a valid package name",
        ),
        (
            new_plugin("store/age", "checksum", "1.5.0", "b"),
            "--team `store/age`: not a valid team name",
        ),
    ];
    for (args, expected) in cases {
        let err = error(args);
        assert!(err.contains(expected), "expected {expected:?} in {err}");
    }
    fixture.write("plugins/storage/b/README", "taken");
    let err = error(new_plugin("storage", "checksum", "1.5.0", "b"));
    assert!(
        err.contains("NAME `b`: plugins/storage/b already exists"),
        "{err}"
    );
    plugin_crate(&fixture.root().join("elsewhere/c"), "c");
    let err = error(new_plugin("storage", "checksum", "1.5.0", "c"));
    assert!(
        err.contains("NAME `c`: a package of that name already exists"),
        "{err}"
    );
    // Nothing was written.
    let team_after = std::fs::read_to_string(fixture.root().join("teams/storage.toml")).unwrap();
    assert_eq!(team_before, team_after);
    assert!(!fixture.root().join("app/src/plugins.rs").exists());
}

#[test]
fn new_plugin_refuses_a_template_the_contract_outgrew() {
    let fixture = Fixture::new();
    fixture.write(
        "app/contract/src/lib.rs",
        "#[muster::slot(name = \"showcase\")]\npub trait Showcase {\n    fn render(&self) -> String;\n    fn colour(&self) -> bool;\n}\n",
    );
    fixture.write(
        "app/contract/templates/showcase.toml",
        "body = \"\"\"\n    fn render(&self) -> String {\n        String::new()\n    }\n\"\"\"\n",
    );
    fixture.write(
        "teams/storage.toml",
        "[[plugin]]\npackage = \"a\"\nslot = \"showcase\"\nname = \"a\"\nversion = \"1.0.0\"\nenabled = true\npath = \"plugins/a\"\n",
    );
    let err = format!(
        "{:#}",
        scaffold(
            &fixture.project(),
            &new_plugin("storage", "showcase", "2.0.0", "b")
        )
        .unwrap_err()
    );
    assert!(
        err.contains("template app/contract/templates/showcase.toml implements [\"render\"] but trait `Showcase` declares [\"render\", \"colour\"]"),
        "{err}"
    );
}

#[test]
fn team_file_text_parses_without_disk_and_names_each_problem() {
    let slots: std::collections::BTreeSet<String> = ["checksum".to_owned()].into_iter().collect();
    let good = "[[plugin]]\npackage = \"c\"\nslot = \"checksum\"\nname = \"c\"\nversion = \"1.0.0\"\nenabled = true\npath = \"plugins/x/c\"\n";
    assert_eq!(
        crate::parse_team("teams/t.toml", "t", good, &slots),
        Ok(vec!["c".to_owned()])
    );
    let bad = good.replace("checksum", "chksum").replace("1.0.0", "1.0");
    let problems = crate::parse_team("teams/t.toml", "t", &bad, &slots).unwrap_err();
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems.iter().all(|p| p.starts_with("teams/t.toml:")),
        "{problems:?}"
    );
    let unknown = crate::parse_team("teams/t.toml", "t", "[team]\n", &slots).unwrap_err();
    assert!(unknown[0].starts_with("teams/t.toml:1:"), "{unknown:?}");
}

/// The SBOM of `set`, generated for a stand-in binary hash, as JSON (no build needed:
/// the SBOM comes from the resolved graph, the hash is only recorded).
fn sbom_of(set: &str) -> (serde_json::Value, String) {
    let project = Project::current().unwrap();
    let prepared = crate::build::Prepared::unbuilt(&project, set).unwrap();
    let text = crate::sbom::generate(&project, &prepared, &"ab".repeat(32))
        .unwrap_or_else(|err| panic!("{err:#}"));
    (serde_json::from_str(&text).unwrap(), text)
}

fn components(sbom: &serde_json::Value) -> &Vec<serde_json::Value> {
    sbom["components"].as_array().unwrap()
}

fn component<'a>(sbom: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    components(sbom).iter().find(|c| c["name"] == name)
}

fn property<'a>(component: &'a serde_json::Value, name: &str) -> Vec<&'a str> {
    component["properties"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|p| p["name"] == name)
        .map(|p| p["value"].as_str().unwrap())
        .collect()
}

#[test]
fn each_sets_sbom_lists_exactly_its_linked_crates_with_version_license_and_source() {
    let project = Project::current().unwrap();
    let config = Config::load(&project).unwrap();
    let (default, _) = sbom_of("default");
    let (minimal, _) = sbom_of("edge-minimal");
    for (set, sbom) in [("default", &default), ("edge-minimal", &minimal)] {
        assert_eq!(sbom["bomFormat"], "CycloneDX");
        assert_eq!(sbom["specVersion"], "1.5");
        let app = &sbom["metadata"]["component"];
        assert_eq!(app["name"], "edge-agent");
        assert_eq!(app["hashes"][0]["content"], "ab".repeat(32));
        assert_eq!(property(app, "muster:set"), [set]);
        let plan = Resolved::new(&config, set).unwrap();
        assert_eq!(property(app, "muster:plan-hash"), [plan.hash().as_str()]);
        for c in components(sbom) {
            let name = c["name"].as_str().unwrap();
            assert!(c["version"].is_string(), "{name}: no version");
            assert!(c["licenses"].is_array(), "{name}: no license");
            let source = property(c, crate::sbom::SOURCE);
            assert_eq!(source.len(), 1, "{name}: {source:?}");
            if source[0] == "crates.io" {
                let purl = c["purl"].as_str().unwrap();
                assert_eq!(
                    purl,
                    format!("pkg:cargo/{name}@{}", c["version"].as_str().unwrap())
                );
                assert_eq!(c["hashes"][0]["alg"], "SHA-256", "{name}");
            } else {
                assert!(source[0].starts_with("path+"), "{name}: {source:?}");
                assert!(
                    c["purl"].is_null(),
                    "{name}: a path crate has no crates.io purl"
                );
                assert!(!source[0].contains("/work/"), "machine path in {source:?}");
            }
        }
        // Every plugin of the plan is a component, inside its crate's, with its slot,
        // team and version.
        for p in &plan.plugins {
            let c = component(sbom, &p.package)
                .unwrap_or_else(|| panic!("{set}: crate {} missing", p.package));
            let inner = c["components"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|i| {
                    property(i, crate::sbom::SLOT) == [p.slot.as_str()]
                        && i["version"] == p.version.as_str()
                })
                .unwrap_or_else(|| panic!("{set}: plugin {} {} missing in {c}", p.name, p.version));
            assert_eq!(inner["name"], p.name.as_str());
            assert_eq!(property(inner, crate::sbom::TEAM), [p.team.as_str()]);
            assert_eq!(
                property(inner, crate::sbom::PLUGIN_VERSION),
                [p.version.as_str()]
            );
            assert_eq!(property(inner, crate::sbom::PLUGIN_NAME), [p.name.as_str()]);
            assert_eq!(property(inner, crate::sbom::PACKAGE), [p.package.as_str()]);
        }
        // Only what is linked: the set's plugins, no proc macro, no dev- or build-only crate.
        let plugin_components: usize = components(sbom)
            .iter()
            .map(|c| c["components"].as_array().map_or(0, Vec::len))
            .sum();
        assert_eq!(plugin_components, plan.plugins.len(), "{set}");
        for absent in [
            "muster-macros",
            "serde_derive",
            "clap_derive",
            "tempfile",
            "linkme-impl",
        ] {
            assert!(
                component(sbom, absent).is_none(),
                "{set}: {absent} is not linked"
            );
        }
        for present in ["muster-rt", "edge-contract", "serde", "clap", "linkme"] {
            assert!(
                component(sbom, present).is_some(),
                "{set}: {present} missing"
            );
        }
        // The dependency graph names only components of this SBOM.
        let refs: std::collections::BTreeSet<&str> = components(sbom)
            .iter()
            .map(|c| c["bom-ref"].as_str().unwrap())
            .chain([app["bom-ref"].as_str().unwrap()])
            .collect();
        for dep in sbom["dependencies"].as_array().unwrap() {
            assert!(refs.contains(dep["ref"].as_str().unwrap()));
            for on in dep["dependsOn"].as_array().into_iter().flatten() {
                assert!(refs.contains(on.as_str().unwrap()), "{on}");
            }
        }
    }
    // crc32c comes only with the hardware checksum plugin: in default, not in edge-minimal.
    assert!(component(&default, "crc32c").is_some());
    assert!(component(&minimal, "crc32c").is_none());
    assert!(component(&minimal, "checksum-sse42").is_none());
}

#[test]
fn the_sbom_validates_against_the_cyclonedx_schema() {
    let (_, text) = sbom_of("default");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edge-agent.cdx.json");
    std::fs::write(&path, &text).unwrap();
    crate::tools::validate_cyclonedx(&path, "1.5")
        .unwrap_or_else(|err| panic!("{err:#}"))
        .unwrap_or_else(|problems| panic!("{}: {problems}", path.display()));
    // The validator does reject what the schema forbids.
    std::fs::write(
        &path,
        text.replacen("\"type\": \"library\"", "\"type\": \"plugin\"", 1),
    )
    .unwrap();
    let problems = crate::tools::validate_cyclonedx(&path, "1.5")
        .unwrap()
        .unwrap_err();
    assert!(problems.contains("components/"), "{problems}");
}

#[test]
fn the_scan_checks_each_sets_sbom_against_the_lock_on_its_own() {
    let project = Project::current().unwrap();
    let lock = crate::scan::locked(&project).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("edge-agent.cdx.json");
    for set in ["default", "edge-minimal"] {
        let (_, text) = sbom_of(set);
        std::fs::write(&path, &text).unwrap();
        let linked = crate::scan::sbom_against_lock(&project, &path, &lock)
            .unwrap_or_else(|err| panic!("{set}: {err:#}"));
        assert!(linked.iter().any(|(name, _)| name == "serde"), "{set}");
    }
    // A version or checksum the lock does not have is named.
    let (_, text) = sbom_of("edge-minimal");
    let serde = lock
        .keys()
        .find(|(name, _, _)| name == "serde")
        .map(|(_, version, _)| version.clone())
        .unwrap();
    std::fs::write(
        &path,
        text.replace(
            &format!("\"version\": \"{serde}\""),
            "\"version\": \"0.0.1\"",
        ),
    )
    .unwrap();
    let err = format!(
        "{:#}",
        crate::scan::sbom_against_lock(&project, &path, &lock).unwrap_err()
    );
    assert!(err.contains("serde 0.0.1 is not in Cargo.lock"), "{err}");
}

/// A one-crate workspace at `ws` whose binary calls the plugin crate at `plugin` (a path
/// dependency outside the workspace) and prints its `file!()`; built in release with the
/// build's remap flags for a plan naming that plugin. Returns the binary's bytes.
fn build_with_outside_plugin(ws: &Path, plugin: &Path, remap_outside: bool) -> Vec<u8> {
    std::fs::create_dir_all(ws.join("src")).unwrap();
    std::fs::write(
        ws.join("Cargo.toml"),
        format!(
            "[package]\nname = \"host\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nouter = {{ path = \"{}\" }}\n\n[workspace]\n",
            plugin.display()
        ),
    )
    .unwrap();
    std::fs::write(
        ws.join("src/main.rs"),
        "fn main() {\n    println!(\"{} {}\", outer::whence(), file!());\n}\n",
    )
    .unwrap();
    let project = Project::fixture(ws);
    let target = ws.join("target");
    let plan = crate::build::compile::tests::plan_with_sources(&[(
        "outer",
        &format!("path:{}", plugin.display()),
    )]);
    let mut flags = crate::build::remap_flags(&project, &target, &plan);
    if !remap_outside {
        flags.retain(|f| !f.contains("=/plugins/"));
    }
    let output = project
        .cargo()
        .args(["build", "--release", "--quiet", "--target-dir"])
        .arg(&target)
        .env("RUSTFLAGS", flags.join(" "))
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    std::fs::read(target.join("release/host")).unwrap()
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

#[test]
fn an_outside_plugin_leaves_no_path_and_builds_identically_from_two_checkouts() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("teams-repo/outer");
    plugin_crate(&plugin, "outer");
    std::fs::write(
        plugin.join("src/lib.rs"),
        "//! Plugin.\n/// Where this source file is.\npub fn whence() -> &'static str {\n    file!()\n}\n",
    )
    .unwrap();
    let one = build_with_outside_plugin(&dir.path().join("one/muster"), &plugin, true);
    let two = build_with_outside_plugin(&dir.path().join("two/deeper/muster"), &plugin, true);
    let root = dir.path().display().to_string();
    for bytes in [&one, &two] {
        assert!(
            !contains(bytes, &root),
            "a build path leaked into the binary"
        );
        assert!(contains(bytes, "/plugins/outer/src/lib.rs"));
    }
    assert!(
        one == two,
        "the same outside plugin built from two checkouts gives different bytes"
    );
    // Without the plugin's remap, its location is in the binary.
    let unmapped = build_with_outside_plugin(&dir.path().join("three/muster"), &plugin, false);
    assert!(contains(&unmapped, &plugin.display().to_string()));
}

/// The workspace's `rust-version` is not below what any dependency declares (cargo
/// would refuse to build with an older toolchain anyway); `.ci/run` checks the
/// workspace with exactly that toolchain, so the number is verified, not hoped.
#[test]
fn rust_version_covers_every_dependency() {
    #[derive(serde::Deserialize)]
    struct Metadata {
        packages: Vec<Package>,
    }
    #[derive(serde::Deserialize)]
    struct Package {
        name: String,
        rust_version: Option<String>,
    }
    let parse = |v: &str| -> Vec<u64> { v.split('.').map(|p| p.parse().unwrap()).collect() };
    let project = Project::current().unwrap();
    let manifest = std::fs::read_to_string(project.root.join("Cargo.toml")).unwrap();
    let table: toml::Table = manifest.parse().unwrap();
    let ours = table["workspace"]["package"]["rust-version"]
        .as_str()
        .expect("[workspace.package] rust-version");
    let json = crate::project::stdout(project.cargo().args([
        "metadata",
        "--format-version",
        "1",
        "--offline",
    ]))
    .unwrap();
    let metadata: Metadata = serde_json::from_str(&json).unwrap();
    let needs = metadata
        .packages
        .iter()
        .filter_map(|p| p.rust_version.as_deref().map(|v| (parse(v), &p.name)))
        .max()
        .expect("some package declares a rust-version");
    let mut ours_parsed = parse(ours);
    ours_parsed.resize(needs.0.len().max(ours_parsed.len()), 0);
    let mut needed = needs.0.clone();
    needed.resize(ours_parsed.len(), 0);
    assert!(
        ours_parsed >= needed,
        "rust-version {ours} is below what {} needs ({needed:?})",
        needs.1
    );
}

/// The code in a Markdown text: fenced blocks whole, and inline `spans` elsewhere.
fn code_in_markdown(text: &str) -> Vec<String> {
    let mut code = Vec::new();
    let mut fenced = false;
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if fenced {
            code.push(line.to_owned());
        } else {
            code.extend(line.split('`').skip(1).step_by(2).map(str::to_owned));
        }
    }
    code
}

/// The word after each `prefix` in `code` (letters, digits, `-`, `_`).
fn words_after(code: &str, prefix: &str) -> Vec<String> {
    code.match_indices(prefix)
        .map(|(at, _)| {
            code[at + prefix.len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
                .collect::<String>()
        })
        .filter(|w| w.starts_with(|c: char| c.is_ascii_lowercase()))
        .collect()
}

/// The user guides name only sets that exist (`--set NAME`, and the "Shipped sets"
/// list is exactly `sets/`) and only `cargo xtask` commands that exist; every command
/// is described in docs/release-engineer.md.
#[test]
fn the_docs_name_real_sets_and_commands() {
    use clap::CommandFactory;

    let project = Project::current().unwrap();
    let config = Config::load(&project).unwrap();
    let sets: std::collections::BTreeSet<&str> = config.sets.keys().map(String::as_str).collect();
    let commands: Vec<String> = crate::Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    let mut problems = Vec::new();
    let docs = [
        "README.md",
        "BENCHMARKS.md",
        "docs/operator.md",
        "docs/plugin-author.md",
        "docs/release-engineer.md",
        "docs/security.md",
    ];
    for doc in docs {
        let text = std::fs::read_to_string(project.root.join(doc)).unwrap();
        for code in code_in_markdown(&text) {
            for set in words_after(&code, "--set ") {
                if !sets.contains(set.as_str()) {
                    problems.push(format!("{doc}: `--set {set}`: no sets/{set}.toml"));
                }
            }
            for command in words_after(&code, "cargo xtask ") {
                if !commands.contains(&command) {
                    problems.push(format!("{doc}: `cargo xtask {command}`: no such command"));
                }
            }
        }
    }
    let guide = std::fs::read_to_string(project.root.join("docs/release-engineer.md")).unwrap();
    let shipped = guide
        .split("Shipped sets:")
        .nth(1)
        .and_then(|rest| rest.split("\n\n").next())
        .expect("docs/release-engineer.md lists the shipped sets");
    // Each shipped set is written "`name` (what it is for)".
    let parts: Vec<&str> = shipped.split('`').collect();
    let listed: std::collections::BTreeSet<&str> = (1..parts.len())
        .step_by(2)
        .filter(|&i| {
            parts
                .get(i + 1)
                .is_some_and(|after| after.starts_with(" ("))
        })
        .map(|i| parts[i])
        .collect();
    if listed != sets {
        problems.push(format!(
            "docs/release-engineer.md: \"Shipped sets\" lists {listed:?}, sets/ holds {sets:?}"
        ));
    }
    for command in &commands {
        if !guide.contains(&format!("`cargo xtask {command}")) {
            problems.push(format!(
                "docs/release-engineer.md does not describe `cargo xtask {command}`"
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// One crate, several registrations: a `[[plugin]]` with `[[plugin.registration]]`s
/// is one package (one feature, one dependency, one `use`) and several plan entries,
/// and `cargo xtask build` builds a real workspace with it and finds the binary's
/// `plugins list --json` equal to the plan.
#[test]
fn one_crate_registering_several_versions_and_slots_builds() {
    let fixture = Fixture::new();
    let real = Project::current().unwrap().root;
    let core = real.join("core");
    fixture.write(
        "Cargo.toml",
        &format!(
            "[workspace]\nresolver = \"3\"\nmembers = [\"app\", \"app/contract\", \"plugins/multi\"]\n{MUSTER_BLOCK}"
        ),
    );
    // Share compiled dependencies between runs; the real lock file pins them offline.
    fixture.write(".cargo/config.toml", &fixture_cargo_config(&real));
    std::fs::copy(real.join("Cargo.lock"), fixture.root().join("Cargo.lock")).unwrap();
    let muster = format!("muster-rt = {{ path = \"{}\" }}", core.display());
    fixture.write(
        "app/contract/Cargo.toml",
        &format!(
            "[package]\nname = \"edge-contract\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\n{muster}\n"
        ),
    );
    fixture.write(
        "app/contract/src/lib.rs",
        "//! Contract.\n#[muster::slot(name = \"showcase\")]\npub trait Showcase: Send + Sync {}\n\
         #[muster::slot(name = \"checksum\")]\npub trait Checksum: Send + Sync {}\n",
    );
    fixture.write(
        "app/Cargo.toml",
        &format!(
            "[package]\nname = \"edge-agent\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [features]\n\n[dependencies]\n{muster}\nedge-contract = {{ path = \"contract\" }}\n"
        ),
    );
    // A host that lists its plugins as edge-agent does (the shape `build` verifies).
    fixture.write(
        "app/src/main.rs",
        r##"//! A minimal host.
mod plugins;
fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.join(" ").as_str() {
        "plugins list --json" => {
            let list: Vec<String> = muster::plugins()
                .iter()
                .map(|p| format!(r#"{{"slot":"{}","name":"{}","version":"{}","crate":"{}"}}"#,
                    p.slot(), p.name(), p.version(), p.crate_name()))
                .collect();
            println!("{{\"plugins\":[{}]}}", list.join(","));
        }
        "plugins explain" => println!("{} plugins", muster::plugins().len()),
        // Where the SBOM is: the file the embedded manifest names, beside this binary.
        "build-info --json" => {
            let manifest = option_env!("MUSTER_BUILD_MANIFEST").unwrap_or("");
            let name = manifest.split("\"sbom\":\"").nth(1).and_then(|r| r.split('"').next());
            let path = std::env::current_exe().unwrap().with_file_name(name.unwrap_or("-"));
            println!("{{\"sbom\":{{\"path\":\"{}\"}}}}", path.display());
        }
        _ => std::process::exit(2),
    }
}
"##,
    );
    fixture.write(
        "plugins/multi/Cargo.toml",
        &format!(
            "[package]\nname = \"multi-plugin\"\nversion = \"3.0.0\"\nedition = \"2024\"\n\n\
             [dependencies]\n{muster}\nedge-contract = {{ path = \"../../app/contract\" }}\n"
        ),
    );
    fixture.write(
        "plugins/multi/src/lib.rs",
        "//! Three registrations, two slots, one crate.\n\
         use edge_contract::{Checksum, Showcase};\n\
         #[derive(Default)]\n#[muster::plugin(slot = Showcase, version = \"1.0.0\", name = \"banner\")]\n\
         pub struct Old;\nimpl Showcase for Old {}\n\
         #[derive(Default)]\n#[muster::plugin(slot = Showcase, version = \"2.0.0\", name = \"banner\")]\n\
         pub struct New;\nimpl Showcase for New {}\n\
         #[derive(Default)]\n#[muster::plugin(slot = Checksum, version = \"1.0.0\", name = \"crc\")]\n\
         pub struct Crc;\nimpl Checksum for Crc {}\n",
    );
    let registration = |slot: &str, name: &str, version: &str| {
        format!(
            "\n[[plugin.registration]]\nslot = \"{slot}\"\nname = \"{name}\"\nversion = \"{version}\"\n"
        )
    };
    fixture.write(
        "teams/storage.toml",
        &[
            "[[plugin]]\npackage = \"multi-plugin\"\nenabled = true\npath = \"plugins/multi\"\n"
                .to_owned(),
            registration("showcase", "banner", "1.0.0"),
            registration("showcase", "banner", "2.0.0"),
            registration("checksum", "crc", "1.0.0"),
        ]
        .concat(),
    );

    let project = fixture.project();
    let config = fixture.load().unwrap_or_else(|err| panic!("{err:#}"));
    assert_eq!(config.plugins.len(), 3, "one plugin per registration");
    assert_eq!(config.packages().len(), 1, "one package");
    let plan = Resolved::new(&config, "default").unwrap();
    assert_eq!(plan.features, ["plugin-multi-plugin"]);
    let planned: Vec<(&str, &str)> = plan
        .plugins
        .iter()
        .map(|p| (p.slot.as_str(), p.version.as_str()))
        .collect();
    assert_eq!(
        planned,
        [
            ("checksum", "1.0.0"),
            ("showcase", "1.0.0"),
            ("showcase", "2.0.0")
        ]
    );
    sync::write(&project, &config).unwrap();
    let plugins_rs = std::fs::read_to_string(project.app_plugins_rs()).unwrap();
    assert_eq!(plugins_rs.matches("use multi_plugin as _;").count(), 1);

    // `cargo xtask build` (dev profile): plan, sync --check, check, build, verify.
    let prepared = crate::build::Build::dev("default")
        .prepare(&project)
        .unwrap_or_else(|err| panic!("{err:#}"));
    prepared
        .build_and_verify(&project)
        .unwrap_or_else(|err| panic!("{err:#}"));
    let manifest: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture.root().join("dist/default/edge-agent.manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(manifest["plugins"].as_array().unwrap().len(), 3);
    // The SBOM lists the crate once, with its three plugins inside.
    let sbom: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture.root().join("dist/default/edge-agent.cdx.json")).unwrap(),
    )
    .unwrap();
    let multi = component(&sbom, "multi-plugin").expect("the plugin crate");
    let inner: Vec<(&str, &str)> = multi["components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap(), c["version"].as_str().unwrap()))
        .collect();
    assert_eq!(
        inner,
        [("crc", "1.0.0"), ("banner", "1.0.0"), ("banner", "2.0.0")]
    );
}

#[test]
fn a_package_in_two_plugin_entries_or_with_mixed_keys_is_refused() {
    let fixture = Fixture::new();
    fixture.write(
        "teams/storage.toml",
        &[
            entry("crc", "1.0.0", "path = \"plugins/crc\""),
            entry("crc", "1.1.0", "path = \"plugins/crc\""),
        ]
        .join("\n"),
    );
    let err = fixture.error();
    assert!(
        err.contains("package `crc` is declared twice") && err.contains("[[plugin.registration]]"),
        "{err}"
    );
    fixture.write(
        "teams/storage.toml",
        "[[plugin]]\npackage = \"crc\"\nslot = \"checksum\"\nenabled = true\npath = \"plugins/crc\"\n\
         [[plugin.registration]]\nslot = \"checksum\"\nname = \"crc32c\"\nversion = \"1.0.0\"\n",
    );
    let err = fixture.error();
    assert!(err.contains("teams/storage.toml:3:"), "{err}");
    assert!(err.contains("go in them, not in `[[plugin]]`"), "{err}");
    fixture.write(
        "teams/storage.toml",
        "[[plugin]]\npackage = \"crc\"\nslot = \"checksum\"\nenabled = true\npath = \"plugins/crc\"\n",
    );
    let err = fixture.error();
    assert!(
        err.contains("plugin `crc` lacks `name`, `version`"),
        "{err}"
    );
}

/// A slot whose contract ships no template gets a generic skeleton: it compiles, its
/// generated test (which selects it) passes, its bodies say what to write, and the team
/// file entry is disabled until they are written.
#[test]
fn new_plugin_skeleton_compiles_for_a_slot_without_a_template() {
    let fixture = Fixture::new();
    let real = Project::current().unwrap().root;
    fixture.write(
        "Cargo.toml",
        &format!(
            "[workspace]\nresolver = \"3\"\nmembers = [\"app\", \"app/contract\", \"plugins/*/*\"]\n\n\
             [workspace.package]\nedition = \"2024\"\nrust-version = \"1.88\"\nlicense = \"MIT\"\npublish = false\n\n\
             [workspace.dependencies]\nmuster-rt = {{ path = \"{}\" }}\nedge-contract = {{ path = \"app/contract\" }}\n\n\
             [workspace.lints.rust]\nunsafe_code = \"deny\"\n{MUSTER_BLOCK}",
            real.join("core").display()
        ),
    );
    fixture.write(".cargo/config.toml", &fixture_cargo_config(&real));
    std::fs::copy(real.join("Cargo.lock"), fixture.root().join("Cargo.lock")).unwrap();
    fixture.write(
        "app/contract/Cargo.toml",
        "[package]\nname = \"edge-contract\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [dependencies]\nmuster-rt.workspace = true\n",
    );
    fixture.write(
        "app/contract/src/lib.rs",
        "//! Contract.\n/// Input.\npub struct Input(pub Vec<u8>);\n\
         /// Scores inputs.\n#[muster::slot]\npub trait RiskScore: Send + Sync {\n\
         \x20   /// The score.\n    fn score(&self, input: &Input, limit: u32) -> Result<u32, String>;\n\
         \x20   /// Has a default: not in the skeleton.\n    fn label(&self) -> &'static str { \"risk\" }\n}\n",
    );
    fixture.write(
        "app/Cargo.toml",
        "[package]\nname = \"edge-agent\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [features]\n\n[dependencies]\nmuster-rt.workspace = true\nedge-contract.workspace = true\n",
    );
    // One finished plugin, so that the set is not empty while the skeleton is disabled.
    fixture.write(
        "plugins/risk/risk-zero/Cargo.toml",
        "[package]\nname = \"risk-zero\"\nversion = \"0.0.1\"\nedition = \"2024\"\n\n\
         [dependencies]\nmuster-rt.workspace = true\nedge-contract.workspace = true\n",
    );
    fixture.write(
        "plugins/risk/risk-zero/src/lib.rs",
        "//! Zero.\nuse edge_contract::{Input, RiskScore};\n/// Zero.\n#[derive(Default)]\n\
         #[muster::plugin(slot = RiskScore, version = \"0.0.1\")]\npub struct Zero;\n\
         impl RiskScore for Zero {\n    fn score(&self, _: &Input, _: u32) -> Result<u32, String> {\n        Ok(0)\n    }\n}\n",
    );
    fixture.write(
        "teams/risk.toml",
        "description = \"Risk.\"\n\n[[plugin]]\npackage = \"risk-zero\"\nslot = \"risk_score\"\n\
         name = \"risk-zero\"\nversion = \"0.0.1\"\nenabled = true\npath = \"plugins/risk/risk-zero\"\n",
    );
    fixture.write("sets/default.toml", "teams = [\"risk\"]\n");
    let project = fixture.project();
    let mut args = new_plugin("risk", "risk_score", "0.1.0", "risk-first");
    args.no_test = true;
    let dir = scaffold(&project, &args).unwrap_or_else(|err| panic!("{err:#}"));
    let lib = std::fs::read_to_string(dir.join("src/lib.rs")).unwrap();
    assert!(
        lib.contains(
            "\"risk-first: write `RiskScore::score` (scaffolded by cargo xtask new-plugin)\""
        ),
        "{lib}"
    );
    assert!(!lib.contains("fn label"), "{lib}");
    assert!(
        lib.contains("fn score(&self, input: &Input, limit: u32) -> Result<u32, String> {"),
        "formatted by rustfmt:\n{lib}"
    );
    let team = std::fs::read_to_string(fixture.root().join("teams/risk.toml")).unwrap();
    assert!(team.contains("enabled = false"), "{team}");
    let output = project
        .cargo()
        .args(["test", "--offline", "-p", "risk-first"])
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "the skeleton does not pass its test:\n{}\n{lib}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("warning"), "the skeleton warns:\n{stderr}");
}

/// The library is configuration, not constants: outside its tests, no source file
/// names this repository's host, contract, slots, sets or features (they live in
/// `[workspace.metadata.muster]` and the contract).
#[test]
fn the_library_names_nothing_of_edge_agent() {
    let src = Project::current().unwrap().root.join("xtask/lib/src");
    let forbidden = [
        "edge-agent",
        "edge_agent",
        "edge-contract",
        "edge_contract",
        "edge-minimal",
        "showcase",
        "uplink",
        "plugin-checksum",
        "muster-bench",
        "\"chaos\"",
    ];
    let mut files = vec![src.clone()];
    let mut problems = Vec::new();
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".rs") || name == "tests.rs" || name == "adopt_tests.rs" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // Everything from the first test module on is test code.
        let code = text.split("#[cfg(test)]\nmod ").next().unwrap();
        let code = code.split("#[cfg(test)]\npub(crate) mod ").next().unwrap();
        for (i, line) in code.lines().enumerate() {
            for word in forbidden {
                if line.contains(word) {
                    problems.push(format!("{}:{}: {}", path.display(), i + 1, line.trim()));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A workspace at `ws` that cargo resolves offline (the real lock file pins every
/// crate): host `ledger` over this repository's `muster` (a path dependency outside it,
/// as an adopter has it), contract `ledger-api` with slot `fee_rule`, team `pricing`
/// with plugin `outer` from `plugin` (an absolute path outside the workspace), set
/// `prod`, generated files written. Its target directory is `target` (in
/// `.cargo/config.toml`, which git ignores).
fn resolving_workspace(ws: &Path, plugin: &Path, target: &Path) {
    let real = Project::current().unwrap().root;
    let write = |path: &str, text: &str| {
        let path = ws.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nresolver = \"3\"\nmembers = [\"ledger\", \"ledger-api\"]\n\n\
         [workspace.metadata.muster]\nhost = \"ledger\"\ncontracts = [\"ledger-api\"]\n\
         default-set = \"prod\"\n",
    );
    write(
        ".cargo/config.toml",
        &format!(
            "[net]\noffline = true\n\n[build]\ntarget-dir = \"{}\"\n",
            target.display()
        ),
    );
    write(".gitignore", "/.cargo/\n/target/\n");
    std::fs::copy(real.join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();
    write(
        "ledger-api/Cargo.toml",
        &format!(
            "[package]\nname = \"ledger-api\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
             [dependencies]\nmuster-rt = {{ path = \"{}\" }}\n",
            real.join("core").display()
        ),
    );
    write(
        "ledger-api/src/lib.rs",
        "//! Contract.\n/// Fees.\n#[muster::slot]\npub trait FeeRule: Send + Sync {}\n",
    );
    write(
        "ledger/Cargo.toml",
        &format!(
            "[package]\nname = \"ledger\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[features]\n\n\
             [dependencies]\nmuster-rt = {{ path = \"{}\" }}\nledger-api = {{ path = \"../ledger-api\" }}\n",
            real.join("core").display()
        ),
    );
    write(
        "ledger/src/main.rs",
        "//! Host.\nmod plugins;\nfn main() {}\n",
    );
    write(
        "teams/pricing.toml",
        &format!(
            "[[plugin]]\npackage = \"outer\"\nslot = \"fee_rule\"\nname = \"flat\"\nversion = \"2.0.0\"\n\
             enabled = true\npath = \"{}\"\n",
            plugin.display()
        ),
    );
    write("sets/prod.toml", "teams = [\"pricing\"]\n");
    let project = Project::at(ws).unwrap();
    let config = Config::load(&project).unwrap_or_else(|err| panic!("{err:#}"));
    sync::write(&project, &config).unwrap();
}

/// `git init`, everything committed at a fixed time (two checkouts of it, one commit).
fn commit_all(ws: &Path) {
    git(ws, &["init", "--quiet"]);
    git(ws, &["add", "-A"]);
    let output = Command::new("git")
        .current_dir(ws)
        .args([
            "-c",
            "user.name=xtask",
            "-c",
            "user.email=xtask@example.invalid",
        ])
        .args(["commit", "--quiet", "-m", "workspace"])
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The SBOM and the manifest `cargo xtask build --set prod` would write for `ws`, for a
/// stand-in binary hash (what is compared is what does not depend on the binary).
fn sbom_and_manifest(ws: &Path) -> (String, String) {
    let project = Project::at(ws).unwrap();
    let prepared = crate::build::Prepared::unbuilt(&project, "prod").unwrap();
    let sbom = crate::sbom::generate(&project, &prepared, &"ab".repeat(32))
        .unwrap_or_else(|err| panic!("{err:#}"));
    (
        sbom,
        serde_json::to_string_pretty(&prepared.manifest()).unwrap(),
    )
}

#[test]
fn the_sbom_and_manifest_are_identical_from_two_checkouts_and_target_directories() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("m-teams/outer");
    plugin_crate(&plugin, "outer");
    // Checkouts sorting before and after the plugin's directory, at different depths.
    let one = dir.path().join("a/ledger");
    let two = dir.path().join("zz/deeper/ledger");
    resolving_workspace(&one, &plugin, &dir.path().join("target-one"));
    crate::sync::lock_in_step(&Project::at(&one).unwrap()).unwrap();
    commit_all(&one);
    std::fs::create_dir_all(two.parent().unwrap()).unwrap();
    git(
        dir.path(),
        &[
            "clone",
            "--quiet",
            one.to_str().unwrap(),
            two.to_str().unwrap(),
        ],
    );
    std::fs::create_dir_all(two.join(".cargo")).unwrap();
    std::fs::write(
        two.join(".cargo/config.toml"),
        format!(
            "[net]\noffline = true\n\n[build]\ntarget-dir = \"{}\"\n",
            dir.path().join("elsewhere/target-two").display()
        ),
    )
    .unwrap();

    let (sbom_one, manifest_one) = sbom_and_manifest(&one);
    let (sbom_two, manifest_two) = sbom_and_manifest(&two);
    let first_difference = |a: &str, b: &str| {
        a.lines()
            .zip(b.lines())
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("{x:?} vs {y:?}"))
    };
    assert!(
        sbom_one == sbom_two,
        "the SBOMs differ: {:?}",
        first_difference(&sbom_one, &sbom_two)
    );
    assert!(
        manifest_one == manifest_two,
        "the manifests differ: {:?}",
        first_difference(&manifest_one, &manifest_two)
    );
    let root = dir.path().display().to_string();
    let real = Project::current().unwrap().root.display().to_string();
    for text in [&sbom_one, &manifest_one] {
        assert!(!text.contains(&real), "a machine path in {text}");
    }
    assert!(!sbom_one.contains(&root), "a machine path in {sbom_one}");
    // Outside the checkout: a stable label, the same for the plugin and for muster.
    let sbom: serde_json::Value = serde_json::from_str(&sbom_one).unwrap();
    let outer = component(&sbom, "outer").unwrap();
    assert_eq!(
        property(outer, crate::sbom::SOURCE),
        ["path+<outside>/outer"]
    );
    let muster = component(&sbom, "muster-rt").unwrap();
    assert_eq!(
        property(muster, crate::sbom::SOURCE),
        ["path+<outside>/muster-rt"]
    );
    let api = component(&sbom, "ledger-api").unwrap();
    assert_eq!(property(api, crate::sbom::SOURCE), ["path+ledger-api"]);
    // In identity order: by name, then version.
    let order: Vec<(String, String)> = components(&sbom)
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_owned(),
                c["version"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    assert!(
        crate::build::git_state(&Project::at(&two).unwrap())
            == crate::build::git_state(&Project::at(&one).unwrap())
    );
}

#[test]
fn committing_what_sync_wrote_leaves_a_clean_tree() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("outer");
    plugin_crate(&plugin, "outer");
    let ws = dir.path().join("ledger");
    resolving_workspace(&ws, &plugin, &dir.path().join("target"));
    crate::sync::Sync { check: false }.run_at(&ws).unwrap();
    commit_all(&ws);
    // A second plugin, in the workspace: sync, commit what changed, then what a build
    // runs first (cargo resolving the graph) changes nothing.
    plugin_crate(&ws.join("fees/pricing/flat-v3"), "flat-v3");
    let team = std::fs::read_to_string(ws.join("teams/pricing.toml")).unwrap();
    std::fs::write(
        ws.join("teams/pricing.toml"),
        format!(
            "{team}\n[[plugin]]\npackage = \"flat-v3\"\nslot = \"fee_rule\"\nname = \"flat\"\n\
             version = \"3.0.0\"\nenabled = true\npath = \"fees/pricing/flat-v3\"\n"
        ),
    )
    .unwrap();
    crate::sync::Sync { check: false }.run_at(&ws).unwrap();
    git(&ws, &["add", "-A"]);
    git(&ws, &["commit", "--quiet", "-m", "flat 3"]);
    let project = Project::at(&ws).unwrap();
    let status = |project: &Project| {
        crate::project::stdout(project.command("git").args(["status", "--porcelain"])).unwrap()
    };
    assert_eq!(status(&project), "");
    crate::cargo_meta::Metadata::read(project.cargo().args(["metadata", "--format-version", "1"]))
        .unwrap();
    assert_eq!(status(&project), "", "cargo changed a committed file");
    assert!(!crate::build::git_state(&project).1);
}

#[test]
fn a_build_outside_git_is_refused_unless_allowed() {
    let dir = tempfile::tempdir().unwrap();
    let plugin = dir.path().join("outer");
    plugin_crate(&plugin, "outer");
    let ws = dir.path().join("ledger");
    resolving_workspace(&ws, &plugin, &dir.path().join("target"));
    let project = Project::at(&ws).unwrap();
    let Err(err) = crate::build::Build::unchecked("prod", false).prepare(&project) else {
        panic!("a build outside git was not refused");
    };
    let err = format!("{err:#}");
    assert!(err.contains("is not a git checkout with a commit"), "{err}");
    assert!(err.contains("SOURCE_DATE_EPOCH"), "{err}");
    assert!(err.contains("--allow-no-git"), "{err}");
    let Ok(prepared) = crate::build::Build::unchecked("prod", true).prepare(&project) else {
        panic!("--allow-no-git did not build");
    };
    let manifest = prepared.manifest();
    assert_eq!(manifest.git_revision, crate::build::git::NO_GIT);
    assert!(manifest.git_dirty);
    // A repository without a commit is no better.
    git(&ws, &["init", "--quiet"]);
    assert!(
        crate::build::Build::unchecked("prod", false)
            .prepare(&project)
            .is_err()
    );
    commit_all(&ws);
    crate::build::Build::unchecked("prod", false)
        .prepare(&project)
        .unwrap_or_else(|err| panic!("{err:#}"));
}
