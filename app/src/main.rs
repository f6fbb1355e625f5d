//! `edge-agent`: clap glue over the `edge_agent` library; maps errors to the
//! documented exit codes.

mod cli;

use std::ffi::OsString;
use std::io::IsTerminal as _;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use anyhow::Context;
use clap::Parser;
use edge_agent::agent::state::{StateView, state_json, state_text};
use edge_agent::agent::{Agent, Exit, Options};
use edge_agent::error::{BadInput, InputsLeft, NoAcceptableVersion, Upgraded};
use edge_agent::exit_status::ExitStatus;
use muster_kit::{ExplainExtra, HostBuild, print, print_json, probe_facts};
use tracing_subscriber::filter::Targets;

use crate::cli::{Cli, Command, ExplainState, LogFormat, QuarantineCommand, StateArgs};

/// edge-agent as a host of muster's operator commands: its build, and `plugins
/// explain --state` (a running agent's quarantine and strikes).
struct EdgeAgent;

impl muster_kit::Host for EdgeAgent {
    type Explain = ExplainState;

    fn build(&self) -> HostBuild {
        muster_kit::host_build!()
    }

    fn explain_extra(&self, args: &ExplainState) -> anyhow::Result<ExplainExtra> {
        let Some(dir) = &args.state else {
            return Ok(ExplainExtra::default());
        };
        let state = StateView::load(dir).map_err(BadInput)?;
        Ok(ExplainExtra {
            json: vec![(
                "state".to_owned(),
                state_json(&state.quarantine, &state.strikes, &state.held),
            )],
            text: format!(
                "\nagent state:\n{}",
                state_text(&state.quarantine, &state.strikes, &state.held)
            ),
            quarantine: Some(state.quarantine),
        })
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Only `run` logs (its events go through `tracing`); the one-shot commands print
    // their answer and spare the subscriber's set-up.
    if let Command::Run(args) = &cli.command {
        init_logging(args.log_format);
    }
    // A plugin panic caught by selection is reported (explain's candidates, run's
    // `rejection` event), not printed like a crash; `run` installs its own hook.
    muster::silence_caught_panics();
    match run(cli) {
        Ok(code) => code,
        Err(err) => {
            if muster_kit::is_broken_pipe(&err) {
                return ExitStatus::SUCCESS.into();
            }
            eprintln!("error: {err:#}");
            ExitStatus::of_error(&err).into()
        }
    }
}

/// `run`'s subscriber: events on stderr, filtered by `RUST_LOG` (a level, or
/// `target=level` directives separated by commas, e.g. `info,edge_agent=debug`);
/// `info` when unset or empty. A `RUST_LOG` that does not parse is named in a warning and
/// `info` is used (the agent still starts).
///
/// The filter is `tracing-subscriber`'s `Targets`, not `EnvFilter`: the same
/// directives without span and field matching, and without the regex engine that
/// made the binary 14 % larger and every command slower to start.
///
/// Text is coloured only when stderr is a terminal and `NO_COLOR` is unset or empty
/// (<https://no-color.org>): a log file or a journal gets no escape sequences.
fn init_logging(format: LogFormat) {
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;
    let default = || Targets::new().with_default(tracing::Level::INFO);
    let filter = match std::env::var("RUST_LOG") {
        Ok(directives) if !directives.trim().is_empty() => directives.parse().unwrap_or_else(|e| {
            eprintln!(
                "warning: RUST_LOG={directives:?} is not a log filter ({e}); logging at info \
                 (a level, or target=level directives separated by commas)"
            );
            default()
        }),
        _ => default(),
    };
    let events = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(colour(
            format,
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ));
    let subscriber = tracing_subscriber::registry().with(filter);
    match format {
        LogFormat::Text => subscriber.with(events).init(),
        LogFormat::Json => subscriber.with(events.json().flatten_event(true)).init(),
    }
}

/// Whether `run`'s events are coloured: text on a terminal, unless `no_color` (the
/// `NO_COLOR` variable) is set to something other than the empty string.
fn colour(format: LogFormat, terminal: bool, no_color: Option<OsString>) -> bool {
    format == LogFormat::Text && terminal && no_color.is_none_or(|v| v.is_empty())
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Operator(command) => muster_kit::run(command, &EdgeAgent),
        Command::Quarantine(QuarantineCommand::List(args)) => {
            let view = StateView::load(&args.state).map_err(BadInput)?;
            print_state(&args, &view)?;
            Ok(ExitStatus::SUCCESS.into())
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
            Ok(ExitStatus::SUCCESS.into())
        }
        Command::Run(args) => {
            let mut layers = args.policy.layers()?;
            if let Some(file) = &args.metrics_file {
                layers.flags.metrics_file = Some((file.clone(), muster::Source::Flag));
            }
            if let Some(seconds) = args.metrics_interval {
                layers.flags.metrics_interval_seconds = Some((seconds, muster::Source::Flag));
            }
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
                Exit::Finished { left: 0, .. } => Ok(ExitStatus::SUCCESS.into()),
                Exit::Finished { left, .. } => Err(InputsLeft(left).into()),
                Exit::Stopped => Ok(ExitStatus::SUCCESS.into()),
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
        let mut value = state_json(&view.quarantine, &view.strikes, &view.held);
        value["state"] = view.dir.display().to_string().into();
        print_json(&value)
    } else {
        print(state_text(&view.quarantine, &view.strikes, &view.held))
    }
}

/// An error (exit 4) unless `slot` is compiled in.
fn known_slot(flag: &str, slot: &str) -> anyhow::Result<()> {
    muster::compiled_slot(slot).map_err(|e| BadInput(format!("{flag} {slot}: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use crate::cli::LogFormat;
    use crate::colour;

    #[test]
    fn colour_only_for_text_on_a_terminal_without_no_color() {
        assert!(colour(LogFormat::Text, true, None));
        assert!(colour(LogFormat::Text, true, Some(OsString::new())));
        assert!(!colour(LogFormat::Text, false, None), "a file or a pipe");
        assert!(!colour(LogFormat::Text, true, Some("1".into())), "NO_COLOR");
        assert!(!colour(LogFormat::Json, true, None), "JSON lines");
    }
}
