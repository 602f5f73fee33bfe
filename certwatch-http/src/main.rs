//! The `certwatch` command: parses arguments and dispatches; every rule
//! lives in the library crates. Errors become exit codes here only.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use certwatch_http::{Application, ServeConfig};
use clap::{Args, Parser, Subcommand};

/// CertWatch: supplier compliance certificates, tracked.
#[derive(Parser)]
#[command(name = "certwatch", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Directory of the embedded SQLite database (used when no database URL is given).
    #[arg(long, default_value = "certwatch-data")]
    data_dir: PathBuf,
    /// A postgres:// or sqlite:// URL; overrides --data-dir.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the API server (applies migrations first).
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8000", env = "CERTWATCH_BIND")]
        bind: String,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Applies database migrations and exits.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve { bind, db } => {
            let config = ServeConfig { bind, data_dir: db.data_dir, database_url: db.database_url };
            let app = Application::build(&config).await.context("starting the server")?;
            println!(
                "CertWatch {} listening on http://{}:{}/ (API docs: /api/docs, backend: {})",
                env!("CARGO_PKG_VERSION"),
                config.bind.rsplit_once(':').map_or("127.0.0.1", |(h, _)| h),
                app.port(),
                app.core().store().backend()
            );
            app.run().await.context("serving")?;
        }
        Command::Migrate { db } => {
            let config = ServeConfig { database_url: db.database_url, data_dir: db.data_dir, ..ServeConfig::default() };
            let url = config.resolved_database_url()?;
            certwatch_store::connect_and_migrate(&url).await.context("migrating")?;
            println!("migrations applied");
        }
    }
    Ok(())
}
