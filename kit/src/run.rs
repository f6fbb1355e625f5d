//! Running the operator commands: what each prints and the error it fails with
//! ([`BadInput`], [`NoAcceptableVersion`]), and [`main`] for a host that has no
//! commands of its own.

use std::io::Write;
use std::process::ExitCode;

use clap::{FromArgMatches, Subcommand};

use crate::build_info::BuildInfo;
use crate::command::{Command, ExplainArgs, FleetArgs, PluginsCommand, PolicyArgs};
use crate::error::{BadInput, NoAcceptableVersion};
use crate::exit_status::ExitStatus;
use crate::fleet::{Detail, FactsFormat, Fleet, load_hosts};
use crate::fleet_diff::FleetDiff;
use crate::host::Host;
use crate::policy::{PolicyLayers, flag_policy, read_policy_file};
use crate::render;
use crate::start_check::StartCheck;
use muster::{Facts, Policy, Selector};

/// The whole program of a host whose commands are the operator commands: parses the
/// command line (named after the host), runs the command, prints `error: ...` and
/// exits with the documented status ([`ExitStatus`]) on failure.
pub fn main<H: Host>(host: &H) -> ExitCode {
    let build = host.build();
    let cli = clap::Command::new(build.name)
        .version(build.version)
        .about("Operator commands of a muster host.")
        .after_help(ExitStatus::help())
        .subcommand_required(true);
    let matches = Command::<H::Explain>::augment_subcommands(cli).get_matches();
    let command = match Command::<H::Explain>::from_arg_matches(&matches) {
        Ok(command) => command,
        Err(err) => err.exit(),
    };
    muster::silence_caught_panics();
    match run(command, host) {
        Ok(code) => code,
        Err(err) if is_broken_pipe(&err) => ExitStatus::Success.into(),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitStatus::of_error(&err).into()
        }
    }
}

/// Whether `err` is a closed stdout (`... | head`): not an error.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Writes `text` to stdout, through a buffer: a text formatted as it is written
/// (such as [`render::explain_text`]) is never held whole.
pub fn print(text: impl std::fmt::Display) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    write!(out, "{text}")?;
    out.flush()?;
    Ok(())
}

/// Writes `value` to stdout as pretty JSON and a newline (serialized as it is
/// written).
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    // As an `io::Error`, so that a closed pipe is recognized (`is_broken_pipe`).
    serde_json::to_writer_pretty(&mut out, value).map_err(std::io::Error::from)?;
    out.write_all(b"\n")?;
    out.flush()?;
    Ok(())
}

impl PolicyArgs {
    /// The flag and environment layers (and the file's path: read on
    /// [`PolicyLayers::load`]).
    pub fn layers(&self) -> Result<PolicyLayers, BadInput> {
        let flags = flag_policy(
            &self.pins,
            &self.denies,
            &self.rollouts,
            self.allow_prerelease,
        )?;
        PolicyLayers::new(self.policy.clone(), flags)
    }
}

/// This host's facts; an invalid `MUSTER_HOST_ID` (empty, too long) is bad input.
pub fn probe_facts() -> Result<Facts, BadInput> {
    let facts = Facts::probe();
    facts
        .validate()
        .map_err(|problem| match std::env::var_os(muster::HOST_ID_ENV) {
            Some(_) => BadInput(format!("invalid {}: {problem}", muster::HOST_ID_ENV)),
            None => BadInput(format!("this host's probed facts are invalid: {problem}")),
        })?;
    Ok(facts)
}

/// Runs one operator command for `host`: `Ok` on success; a slot without an
/// acceptable version is [`NoAcceptableVersion`], bad input [`BadInput`].
pub fn run<H: Host>(command: Command<H::Explain>, host: &H) -> anyhow::Result<ExitCode> {
    match command {
        Command::Plugins(PluginsCommand::List { json }) => {
            let plugins = muster::plugins();
            if json {
                print_json(&render::plugins_json(&plugins))?;
            } else {
                print(render::plugins_text(&plugins))?;
            }
            for problem in muster::registry_problems() {
                eprintln!("warning: {problem}");
            }
        }
        Command::Plugins(PluginsCommand::Explain(args)) => explain(&args, host)?,
        Command::Plugins(PluginsCommand::Fleet(args)) if args.observed => {
            crate::observed::run(&args)?;
        }
        Command::Plugins(PluginsCommand::Fleet(args)) => fleet(&args)?,
        Command::Plugins(PluginsCommand::PolicyCheck(args)) => {
            crate::policy_check::run(&args)?;
        }
        Command::Facts { json } => {
            let facts = probe_facts()?;
            if json {
                print(format_args!("{}\n", facts.to_json()))?;
            } else {
                print(format_args!("{}\n", render::facts_summary(&facts)))?;
            }
        }
        Command::BuildInfo { json } => {
            let info = BuildInfo::current(&host.build());
            if json {
                print_json(&info)?;
            } else {
                print(info.to_text())?;
            }
        }
    }
    Ok(ExitStatus::Success.into())
}

fn fleet(args: &FleetArgs) -> anyhow::Result<()> {
    let layers = args.policy.layers()?;
    let policy = layers.load()?;
    // Read (and check) everything before deciding anything.
    let proposed = match &args.diff_policy {
        Some(path) => Some(layers.with_file(read_policy_file(path)?)),
        None => None,
    };
    let format = if args.ansible {
        FactsFormat::Ansible
    } else {
        FactsFormat::Muster
    };
    let hosts = load_hosts(&args.dir, format)?;
    // Every candidate of every host only where it is printed: the fleet's JSON.
    let detail = if args.json && proposed.is_none() {
        Detail::Full
    } else {
        Detail::Summary
    };
    let fleet = Fleet::decide_hosts(&hosts, &policy, detail);
    let decided = match &proposed {
        Some(proposed) => {
            let after = Fleet::decide_hosts(&hosts, proposed, Detail::Summary);
            let diff = FleetDiff::between(&fleet, &after);
            if args.json {
                print_json(&diff)?;
            } else {
                print(diff.to_text())?;
            }
            after
        }
        None => {
            if args.json {
                print_json(&fleet)?;
            } else {
                print(fleet.to_text())?;
            }
            fleet
        }
    };
    let failures = decided.failures();
    if failures.is_empty() {
        Ok(())
    } else {
        let list = failures
            .iter()
            .map(|(h, s)| format!("{s} on {h}"))
            .collect();
        Err(NoAcceptableVersion(list).into())
    }
}

fn explain<H: Host>(args: &ExplainArgs<H::Explain>, host: &H) -> anyhow::Result<()> {
    let facts = match &args.facts {
        Some(path) => Facts::from_file(path).map_err(|e| BadInput(e.to_string()))?,
        None => probe_facts()?,
    };
    let policy: Policy = args.policy.layers()?.load()?;
    let extra = host.explain_extra(&args.extra)?;
    if let Some(slot) = &args.slot {
        muster::compiled_slot(slot).map_err(|e| BadInput(format!("--slot {slot}: {e}")))?;
    }
    let quarantine = extra.quarantine.as_ref();
    // Without `start`, the report ends with each slot's fallback: found by the
    // decision's own walk.
    let mut selector = Selector::new(&facts, &policy)
        .with_start(args.start)
        .with_fallbacks(!args.start);
    if let Some(q) = quarantine {
        selector = selector.with_quarantine(q);
    }
    let mut report = selector.explain_all();
    if let Some(slot) = &args.slot {
        report.slots.retain(|s| s.slot == slot.as_str());
    }
    let start = if args.start {
        StartCheck::Ran
    } else {
        StartCheck::fallbacks(&facts, &policy, quarantine, &report)
    };
    if args.json {
        let mut json = render::explain_json(&facts, &policy, &report);
        json["start"] = start.to_json();
        for (key, value) in extra.json {
            json[key] = value;
        }
        print_json(&json)?;
    } else {
        print(format_args!(
            "{}{}{}",
            render::explain_text(&facts, &policy, &report),
            start,
            extra.text
        ))?;
    }
    for w in &report.policy_warnings {
        eprintln!("warning: {w}");
    }
    let failed: Vec<String> = report.failed().map(|s| s.slot.to_owned()).collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(NoAcceptableVersion(failed).into())
    }
}
