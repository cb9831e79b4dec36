//! The `debrief` binary: parses the command line, opens the store, runs one command. Glue only;
//! the work happens in the libraries.

mod cli;
mod commands;
mod config;
mod table;

use std::process::ExitCode;

use clap::Parser;
use debrief_domain::DomainError;
use debrief_store::StoreError;

use crate::cli::{Cli, Command};
use crate::config::Settings;

/// jemalloc: a hunt allocates and frees many small values per event on every thread, where
/// glibc's allocator was a fifth of the profile (bench/hunt.sh).
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// Exit codes, documented in the README.
pub mod exit {
    /// Everything worked; `verify` found every chain intact.
    pub const OK: u8 = 0;
    /// `verify` found a break; `postmortem --ready` found a required item open.
    pub const BROKEN: u8 = 1;
    /// The command was refused: bad input, unknown incident, illegal transition, conflict.
    pub const REFUSED: u8 = 2;
    /// The environment failed: database unreachable, unreadable files, inconsistent storage.
    pub const FAILED: u8 = 3;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::resolve(&cli.global) {
        Ok(s) => s,
        Err(e) => return report(&e),
    };
    init_tracing(&settings.log);
    tracing::debug!(?settings, "starting");
    if let Err(e) = commands::install_subtypes(&settings) {
        return report(&e);
    }
    commands::install_policy(&settings);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return report(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli.command, settings)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => report(&e),
    }
}

async fn run(command: Command, settings: Settings) -> anyhow::Result<u8> {
    match command {
        Command::Incident(cmd) => commands::incident::run(cmd, &settings).await,
        Command::Backup { output, encrypt } => {
            commands::backup::backup(&output, encrypt, &settings).await
        }
        Command::Restore { file } => commands::backup::restore(&file, &settings).await,
        Command::Verify { incident, format } => {
            commands::verify::run(incident.as_deref(), format, &settings).await
        }
        Command::Report {
            command,
            incident,
            kind,
            format,
            lang,
            output,
            from,
            to,
        } => match (command, incident) {
            (Some(cli::ReportCommand::Verify { file }), _) => {
                commands::report::verify(&file, &settings).await
            }
            (None, Some(p)) if p == "program" => {
                commands::report::program(from, to, format, lang, output, &settings).await
            }
            (None, Some(incident)) => {
                commands::report::render(&incident, kind, format, lang, output, &settings).await
            }
            (None, None) => {
                eprintln!(
                    "error: give an incident (`debrief report 42 --kind final`) or `verify FILE`"
                );
                Ok(exit::REFUSED)
            }
        },
        Command::Export {
            incident,
            format,
            table,
            output,
        } => {
            commands::report::exchange(&incident, format, table.as_deref(), output, &settings).await
        }
        Command::AccessLog {
            incident,
            format,
            limit,
        } => commands::report::access_log(incident.as_deref(), format, limit, &settings).await,
        Command::Csv(cli::CsvCommand::Export { table, output }) => {
            commands::csv_io::export(&table, output, &settings).await
        }
        Command::Csv(cli::CsvCommand::Import { file, dry_run }) => {
            commands::csv_io::import(&file, dry_run, &settings).await
        }
        Command::Migrate => commands::migrate(&settings).await,
        Command::Hunt {
            paths,
            rules,
            mapping,
            level,
            status,
            tag,
            from,
            to,
            format,
            output,
            send_to,
        } => {
            let send_to = match send_to {
                Some(url) => {
                    let token = std::env::var("DEBRIEF_TOKEN").map_err(|_| {
                        anyhow::anyhow!(
                            "--send-to needs an API token in DEBRIEF_TOKEN (`debrief token create --user NAME --name hunt`)"
                        )
                    })?;
                    Some((url, token))
                }
                None => None,
            };
            commands::hunt::run(commands::hunt::Args {
                paths,
                rules,
                mapping,
                level,
                status,
                tag,
                from,
                to,
                format,
                output,
                send_to,
            })
            .await
        }
        Command::Work(cmd) => commands::work::run(cmd, &settings).await,
        Command::Evidence(cmd) => commands::evidence::run(cmd, &settings).await,
        Command::Triage(cmd) => commands::record::triage(cmd, &settings).await,
        Command::Review(cmd) => commands::postmortem::review(cmd, &settings).await,
        Command::Postmortem {
            incident,
            format,
            ready,
        } => commands::postmortem::show(&incident, format, ready, &settings).await,
        Command::Recommendations {
            state,
            owner,
            format,
        } => commands::postmortem::board(state, owner, format, &settings).await,
        Command::Playbooks => commands::postmortem::playbooks(&settings).await,
        Command::Metrics {
            from,
            to,
            class,
            severity,
            tag,
            team,
            format,
        } => {
            let params = debrief_server::api::metrics::MetricsParams {
                from,
                to,
                class,
                severity: severity.map(|l| l.to_string()),
                tag,
                team,
                recurrence_months: None,
            };
            commands::metrics::run(params, format, &settings).await
        }
        Command::Observable(cmd) => commands::record::observable(cmd, &settings).await,
        Command::Timeline(cmd) => commands::record::timeline(cmd, &settings).await,
        Command::Search {
            query,
            limit,
            format,
        } => commands::record::search(&query.join(" "), limit, format, &settings).await,
        Command::Serve {
            listen,
            insecure_cookies,
            evidence_max_mb,
            rules,
            rule_level,
            watch,
            watch_interval,
            mail_listen,
            mail_to,
            smtp_relay,
            mail_from,
            mail_max_mb,
            mail_idle_seconds,
            notify_retry,
            samm,
            trusted_proxy,
        } => {
            let detection = commands::serve::Detection {
                trusted_proxies: trusted_proxy,
                rules,
                rule_level,
                watch,
                watch_interval,
                mail_listen,
                mail_to,
                smtp_relay,
                mail_from,
                mail_max_mb,
                mail_idle_seconds,
                notify_retry,
                samm,
            };
            commands::serve::run(
                listen,
                insecure_cookies,
                evidence_max_mb,
                detection,
                &settings,
            )
            .await
        }
        Command::Openapi => {
            commands::print_json(&debrief_server::api::docs::openapi())?;
            Ok(exit::OK)
        }
        Command::User(cmd) => commands::accounts::user(cmd, &settings).await,
        Command::Token(cmd) => commands::accounts::token(cmd, &settings).await,
        Command::Group(cmd) => commands::accounts::group(cmd, &settings).await,
        Command::Access(cmd) => commands::accounts::access(cmd, &settings).await,
    }
}

fn init_tracing(filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_new(filter)
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    // Colours only on a terminal: a log file or journald gets plain text.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .try_init();
}

/// Prints the error and its causes on one line and picks the exit code.
fn report(err: &anyhow::Error) -> ExitCode {
    eprintln!("error: {err:#}");
    ExitCode::from(exit_code(err))
}

/// The exit code of an error: from its category (the one classification the HTTP statuses
/// derive from too), else from what failed.
fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(e) = cause.downcast_ref::<debrief_app::AppError>() {
            return e.category().exit_code();
        }
        if let Some(e) = cause.downcast_ref::<StoreError>() {
            return e.category().exit_code();
        }
        if let Some(e) = cause.downcast_ref::<DomainError>() {
            return e.category().exit_code();
        }
        if let Some(e) = cause.downcast_ref::<debrief_store::blobs::BlobError>() {
            return match e {
                debrief_store::blobs::BlobError::Io(_) => exit::FAILED,
                // An altered or missing evidence file is a finding, like a broken chain.
                _ => exit::BROKEN,
            };
        }
        if cause.downcast_ref::<std::io::Error>().is_some() {
            return exit::FAILED;
        }
    }
    exit::REFUSED
}
