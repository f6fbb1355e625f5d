//! `edge-agent`: clap glue over the `edge_agent` library; maps errors to the
//! documented exit codes.

mod cli;

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use clap::Parser;
use edge_agent::agent::state::StateView;
use edge_agent::agent::{Agent, Exit, Options};
use edge_agent::build_info::BuildInfo;
use edge_agent::error::{BadInput, InputsLeft, NoAcceptableVersion, Upgraded};
use edge_agent::exit_status::ExitStatus;
use edge_agent::fleet::{Detail, FactsFormat, Fleet, load_hosts};
use edge_agent::fleet_diff::FleetDiff;
use edge_agent::policy::{PolicyLayers, flag_policy, read_policy_file};
use edge_agent::render;
use edge_agent::start_check::StartCheck;
use muster::{Facts, Policy, Selector};

use crate::cli::{
    Cli, Command, ExplainArgs, FleetArgs, LogFormat, PluginsCommand, PolicyArgs, QuarantineCommand,
    StateArgs,
};

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Only `run` logs (its events go through `tracing`); the one-shot commands print
    // their answer and spare the subscriber's set-up.
    if matches!(cli.command, Command::Run(_)) {
        init_logging(cli.log_format);
    }
    // A plugin panic caught by selection is reported (explain's candidates, run's
    // `rejection` event), not printed like a crash; `run` installs its own hook.
    muster::silence_caught_panics();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if is_broken_pipe(&err) {
                return ExitStatus::Success.into();
            }
            eprintln!("error: {err:#}");
            ExitStatus::of_error(&err).into()
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        e.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => builder.init(),
        LogFormat::Json => builder.json().flatten_event(true).init(),
    }
}

fn print(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    print(&format!("{}\n", serde_json::to_string_pretty(value)?))
}

fn policy_from(args: &PolicyArgs) -> anyhow::Result<Policy> {
    Ok(layers_from(args)?.load()?)
}

/// The flag and environment layers (the file is read by the caller, when it needs it).
fn layers_from(args: &PolicyArgs) -> anyhow::Result<PolicyLayers> {
    let flags = flag_policy(
        &args.pins,
        &args.denies,
        &args.rollouts,
        args.allow_prerelease,
    )?;
    Ok(PolicyLayers::new(args.policy.clone(), flags)?)
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Plugins(PluginsCommand::List { json }) => {
            let plugins = muster::plugins();
            if json {
                print_json(&render::plugins_json(&plugins))?;
            } else {
                print(&render::plugins_text(&plugins))?;
            }
            for problem in muster::registry_problems() {
                eprintln!("warning: {problem}");
            }
            Ok(ExitStatus::Success.into())
        }
        Command::Plugins(PluginsCommand::Explain(args)) => explain(&args),
        Command::Plugins(PluginsCommand::Fleet(args)) => fleet(&args),
        Command::Facts { json } => {
            let facts = probe_facts()?;
            if json {
                print(&format!("{}\n", facts.to_json()))?;
            } else {
                print(&format!("{}\n", render::facts_summary(&facts)))?;
            }
            Ok(ExitStatus::Success.into())
        }
        Command::BuildInfo { json } => {
            let info = BuildInfo::current();
            if json {
                print_json(&info)?;
            } else {
                print(&info.to_text())?;
            }
            Ok(ExitStatus::Success.into())
        }
        Command::Quarantine(QuarantineCommand::List(args)) => {
            let view = StateView::load(&args.state).map_err(BadInput)?;
            print_state(&args, &view)?;
            Ok(ExitStatus::Success.into())
        }
        Command::Quarantine(QuarantineCommand::Clear {
            state,
            slot,
            version,
        }) => {
            if let Some(slot) = &slot {
                known_slot("--slot", slot)?;
            }
            let mut view = StateView::load(&state.state).map_err(BadInput)?;
            let (lifted, forgotten) = view
                .clear(slot.as_deref(), version.as_ref())
                .map_err(BadInput)?;
            for (slot, e) in &lifted {
                eprintln!("lifted quarantine of {slot}@{}", e.version);
            }
            for (slot, e) in &forgotten {
                eprintln!("forgot {} strike(s) against {slot}@{}", e.count, e.version);
            }
            if lifted.is_empty() && forgotten.is_empty() {
                eprintln!("nothing matched: state unchanged");
            }
            print_state(&state, &view)?;
            Ok(ExitStatus::Success.into())
        }
        Command::Run(args) => {
            let layers = layers_from(&args.policy)?;
            edge_agent::spool::Spool::check_layout(&args.spool)
                .map_err(|e| BadInput(format!("--spool {}: {e}", args.spool.display())))?;
            let stop = Arc::new(AtomicBool::new(false));
            for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
                signal_hook::flag::register(signal, Arc::clone(&stop))
                    .context("cannot install signal handlers")?;
            }
            std::panic::set_hook(Box::new(|info| {
                if muster::is_catching_plugin_panic() {
                    return; // Selection reports it: one `rejection` event.
                }
                let location = info.location().map(ToString::to_string).unwrap_or_default();
                tracing::error!(event = "panic", location = %location, message = %muster::panic_message(info.payload()));
            }));
            let watch_exe = if args.no_watch_exe {
                None
            } else {
                std::env::current_exe().ok()
            };
            let options = Options {
                spool: args.spool.clone(),
                once: args.once,
                interval: args.interval,
                uplink_target: args.uplink_target.clone(),
                watch_exe,
                plugin_timeout: args.plugin_timeout,
                timeout_exit_code: ExitStatus::PluginTimeout.code(),
            };
            let mut agent =
                Agent::new(options, probe_facts()?, layers, stop).with_context(|| {
                    format!("cannot start the agent on spool {}", args.spool.display())
                })?;
            match agent.run()? {
                Exit::Finished { failed_slots, .. } if !failed_slots.is_empty() => {
                    Err(NoAcceptableVersion(failed_slots).into())
                }
                Exit::Finished { left: 0, .. } => Ok(ExitStatus::Success.into()),
                Exit::Finished { left, .. } => Err(InputsLeft(left).into()),
                Exit::Stopped => Ok(ExitStatus::Success.into()),
                Exit::Upgraded(why) => {
                    eprintln!("edge-agent: {}", Upgraded(why));
                    Ok(ExitCode::from(args.upgrade_exit_code))
                }
            }
        }
    }
}

fn print_state(args: &StateArgs, view: &StateView) -> anyhow::Result<()> {
    if args.json {
        let mut value = render::state_json(&view.quarantine, &view.strikes);
        value["state"] = view.dir.display().to_string().into();
        print_json(&value)
    } else {
        print(&render::state_text(&view.quarantine, &view.strikes))
    }
}

/// An error (exit 4) unless `slot` is compiled in.
fn known_slot(flag: &str, slot: &str) -> anyhow::Result<()> {
    let known: Vec<&str> = muster::slots().iter().map(|s| s.name).collect();
    if known.contains(&slot) {
        return Ok(());
    }
    Err(BadInput(format!(
        "{flag} {slot}: no such slot (compiled in: {})",
        known.join(", ")
    ))
    .into())
}

fn fleet(args: &FleetArgs) -> anyhow::Result<ExitCode> {
    let layers = layers_from(&args.policy)?;
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
                print(&diff.to_text())?;
            }
            after
        }
        None => {
            if args.json {
                print_json(&fleet)?;
            } else {
                print(&fleet.to_text())?;
            }
            fleet
        }
    };
    let failures = decided.failures();
    if failures.is_empty() {
        Ok(ExitStatus::Success.into())
    } else {
        let list = failures
            .iter()
            .map(|(h, s)| format!("{s} on {h}"))
            .collect();
        Err(NoAcceptableVersion(list).into())
    }
}

/// This host's facts; an invalid `MUSTER_HOST_ID` (empty, too long) is bad input.
fn probe_facts() -> Result<Facts, BadInput> {
    let facts = Facts::probe();
    facts
        .validate()
        .map_err(|problem| match std::env::var_os(muster::HOST_ID_ENV) {
            Some(_) => BadInput(format!("invalid {}: {problem}", muster::HOST_ID_ENV)),
            None => BadInput(format!("this host's probed facts are invalid: {problem}")),
        })?;
    Ok(facts)
}

fn explain(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let facts = match &args.facts {
        Some(path) => Facts::from_file(path).map_err(|e| BadInput(e.to_string()))?,
        None => probe_facts()?,
    };
    let policy = policy_from(&args.policy)?;
    let state = match &args.state {
        Some(dir) => Some(StateView::load(dir).map_err(BadInput)?),
        None => None,
    };
    let quarantine = state.as_ref().map(|s| &s.quarantine);
    let mut selector = Selector::new(&facts, &policy).with_start(args.start);
    if let Some(q) = &quarantine {
        selector = selector.with_quarantine(q);
    }
    let mut report = selector.explain_all();
    if let Some(slot) = &args.slot {
        report.slots.retain(|s| s.slot == slot.as_str());
        if report.slots.is_empty() {
            let known: Vec<&str> = muster::slots().iter().map(|s| s.name).collect();
            return Err(BadInput(format!(
                "--slot {slot}: no such slot (compiled in: {})",
                known.join(", ")
            ))
            .into());
        }
    }
    let start = if args.start {
        StartCheck::Ran
    } else {
        StartCheck::fallbacks(&facts, &policy, quarantine, &report)
    };
    if args.json {
        let mut json = render::explain_json(&facts, &policy, &report);
        json["start"] = start.to_json();
        if let Some(state) = &state {
            json["state"] = render::state_json(&state.quarantine, &state.strikes);
        }
        print_json(&json)?;
    } else {
        let mut text = render::explain_text(&facts, &policy, &report) + &start.to_text();
        if let Some(state) = &state {
            text.push_str("\nagent state:\n");
            text.push_str(&render::state_text(&state.quarantine, &state.strikes));
        }
        print(&text)?;
    }
    for w in &report.policy_warnings {
        eprintln!("warning: {w}");
    }
    let failed: Vec<String> = report.failed().map(|s| s.slot.to_owned()).collect();
    if failed.is_empty() {
        Ok(ExitStatus::Success.into())
    } else {
        Err(NoAcceptableVersion(failed).into())
    }
}
