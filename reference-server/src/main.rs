//! `auravest-server`: starts the reference server, or runs an admin task.
//!
//! Bootstrap only: settings from the environment, the store and its
//! migrations, the background refresher, then serve until a shutdown signal.

use std::process::ExitCode;
use std::time::Duration;

use auravest_reference_server::config::SecretsOrigin;
use auravest_reference_server::store::Role;
use auravest_reference_server::{Config, app, refresher, serve, setup};
use clap::{Parser, Subcommand};
use tokio::sync::watch;

/// The AuraVest reference server. Every setting comes from the environment
/// (see the README's table); with none, it serves on 127.0.0.1:8080 with a
/// SQLite file under ./data.
#[derive(Debug, Parser)]
#[command(name = "auravest-server", version)]
struct Cli {
    /// Create a demo user with a sample portfolio (if missing) and print its login.
    #[arg(long)]
    demo: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Administration.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
}

#[derive(Debug, Subcommand)]
enum AdminAction {
    /// Grants a role to the user with this email.
    Grant {
        /// The user's email.
        #[arg(long)]
        email: String,
        /// admin, moderator or user.
        #[arg(long, default_value = "admin")]
        role: String,
    },
    /// Puts the user with this email on a plan.
    Tier {
        /// The user's email.
        #[arg(long)]
        email: String,
        /// free or plus.
        #[arg(long)]
        tier: String,
    },
}

fn init_logs() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("AURAVEST_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let json = std::env::var("AURAVEST_LOG_FORMAT").map_or(true, |v| v != "text");
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if json {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("auravest-server: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(run(cli));
    // Blocking work still running (an index being built, a backfill) must
    // not hold the exit: it gets a moment, then the process leaves it.
    runtime.shutdown_timeout(Duration::from_secs(1));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("auravest-server: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), Box<dyn std::error::Error>> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = Config::from_env()?;
    if let Some(Command::Admin {
        action: AdminAction::Grant { email, role },
    }) = cli.command
    {
        let role = role.parse::<Role>().map_err(|e| format!("--{e}"))?;
        let store = setup::open_store(&config).await?;
        let keys = auravest_reference_server::crypto::Keys::new(&config.secrets);
        let id = auravest_reference_server::auth::grant_role(store.as_ref(), &keys, &email, role)
            .await
            .map_err(|e| e.to_string())?;
        println!("granted {} to user {id}", role.as_str());
        return Ok(());
    }
    if let Some(Command::Admin {
        action: AdminAction::Tier { email, tier },
    }) = cli.command
    {
        let tier = auravest_reference_server::plans::Tier::parse(&tier)
            .ok_or_else(|| format!("--tier: {tier:?} is not free or plus"))?;
        let store = setup::open_store(&config).await?;
        let keys = auravest_reference_server::crypto::Keys::new(&config.secrets);
        let id = auravest_reference_server::auth::set_tier(store.as_ref(), &keys, &email, tier)
            .await
            .map_err(|e| e.to_string())?;
        println!("user {id} is on the {} plan", tier.as_str());
        return Ok(());
    }
    match &config.secrets_origin {
        SecretsOrigin::Generated(p) => tracing::warn!(
            path = %p.display(),
            "generated the JWT, encryption and hash keys into this file; production should set AURAVEST_JWT_SECRET, AURAVEST_ENCRYPTION_KEY and AURAVEST_HASH_KEY"
        ),
        SecretsOrigin::File(p) => tracing::warn!(
            path = %p.display(),
            "keys read from this file; production should set them in the environment"
        ),
        SecretsOrigin::Environment => {}
    }
    let tls = match &config.tls {
        Some((cert, key)) => Some(serve::tls_acceptor(cert, key)?),
        None => None,
    };
    let state = setup::state_loading_assistant(config).await?;
    if auravest_reference_server::prices::uses_sample(&state.config) {
        tracing::warn!("market data: the shipped sample prices answer when no network source does");
    }
    let demo = if cli.demo {
        Some(setup::seed_demo(&state).await?)
    } else {
        None
    };
    let (stop_tx, stop_rx) = watch::channel(false);
    let refresher = state
        .config
        .refresher
        .then(|| refresher::spawn(state.clone(), stop_rx.clone()));
    let listener = tokio::net::TcpListener::bind(state.config.addr).await?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    println!("listening on {scheme}://{addr}");
    if let Some(d) = &demo {
        println!("demo login: {} / {}", d.email, d.password);
    }
    tracing::info!(%addr, backend = state.store.backend(), "serving");
    let background = state.clone();
    let stop = async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        // Background work stops with the listener, not after the drain.
        background.assistant.cancel_loading();
        // Open live-event streams end now, so the drain does not wait for them.
        background.live.close();
        let _ = stop_tx.send(true);
    };
    serve::serve(
        listener,
        app(state.clone()),
        tls,
        state.config.serve_limits,
        stop,
    )
    .await?;
    if let Some(r) = refresher {
        // The refresher stops between symbols; a fetch in flight gets the grace period.
        if tokio::time::timeout(state.config.serve_limits.shutdown_grace, r)
            .await
            .is_err()
        {
            tracing::warn!("the price refresher did not stop in time; leaving it");
        }
    }
    tracing::info!("stopped");
    Ok(())
}
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
