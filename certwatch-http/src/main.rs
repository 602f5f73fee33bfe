//! The `certwatch` command: parses arguments and dispatches; every rule
//! lives in the library crates. Errors become exit codes here only.

mod monitor_cmd;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use certwatch_http::{parse_ip_list, Application, RateLimits, ServeConfig};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// CertWatch: supplier compliance certificates, tracked.
#[derive(Parser)]
#[command(name = "certwatch", version, about)]
struct Cli {
    /// Log format.
    #[arg(long, value_enum, default_value_t = LogFormat::Text, env = "CERTWATCH_LOG_FORMAT", global = true)]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Args, Clone)]
struct DbArgs {
    /// Directory of the embedded SQLite database, the mail outbox and the demo credentials.
    #[arg(long, default_value = "certwatch-data", env = "CERTWATCH_DATA_DIR")]
    data_dir: PathBuf,
    /// A postgres:// or sqlite:// URL; overrides the embedded database in --data-dir.
    #[arg(long, env = "DATABASE_URL")]
    database_url: Option<String>,
}

#[derive(Args, Clone)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8000", env = "CERTWATCH_BIND")]
    bind: String,
    /// Base URL for links in e-mails (default: http://<bind>).
    #[arg(long, env = "CERTWATCH_PUBLIC_URL")]
    public_url: Option<String>,
    /// Comma-separated IPs/CIDRs allowed to reach /api/admin/ (empty: any address).
    #[arg(long, env = "ADMIN_ALLOWED_IPS", default_value = "")]
    admin_allowed_ips: String,
    /// Reverse proxies in front of the server whose X-Forwarded-For entries are trusted.
    #[arg(long, env = "TRUSTED_PROXIES", default_value_t = 0)]
    trusted_proxies: usize,
    /// SMTP server URL (smtp://user:pass@host:587); without it mail goes to <data-dir>/outbox.
    #[arg(long, env = "SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of outgoing mail.
    #[arg(long, env = "MAIL_FROM", default_value = "CertWatch <no-reply@certwatch.localhost>")]
    mail_from: String,
    /// Log-in, registration and verification requests per minute per caller.
    #[arg(long, env = "RATE_LIMIT_AUTH_PER_MINUTE", default_value = "20")]
    rate_limit_auth: std::num::NonZeroU32,
    /// Public certificate searches per minute per caller.
    #[arg(long, env = "RATE_LIMIT_SEARCH_PER_MINUTE", default_value = "60")]
    rate_limit_search: std::num::NonZeroU32,
    /// Token and invitation creations per minute per caller.
    #[arg(long, env = "RATE_LIMIT_EXPENSIVE_PER_MINUTE", default_value = "30")]
    rate_limit_expensive: std::num::NonZeroU32,
    /// Create the demo tenant (if missing) and print its credentials before serving.
    #[arg(long)]
    demo: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Runs the API server (applies migrations first).
    Serve {
        #[command(flatten)]
        serve: ServeArgs,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Applies database migrations and exits.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Creates the demo tenant (or logs in to it again) and prints its credentials and a fresh token.
    Demo {
        /// Print {"tenant", "email", "password", "token"} as JSON.
        #[arg(long)]
        json: bool,
        #[command(flatten)]
        db: DbArgs,
    },
    /// Grants or withdraws the operator flag (system status under /api/admin/).
    Operator {
        #[command(subcommand)]
        action: OperatorAction,
        #[command(flatten)]
        db: DbArgs,
    },
    #[command(flatten)]
    Monitor(MonitorCommand),
}

#[derive(Subcommand)]
enum MonitorCommand {
    /// Extracts certificate fields from files (PDF, HTML, image): one JSON object per file.
    Extract {
        /// The files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// Shows what one scrape of a page would find; writes nothing.
    Scrape {
        /// The page URL.
        url: String,
        /// Required: only the dry run exists on the command line (the server's jobs scrape for real).
        #[arg(long, required = true)]
        dry_run: bool,
        /// Comma-separated non-public IPs/CIDRs that may be fetched (e.g. 127.0.0.0/8 for a local site).
        #[arg(long, default_value = "")]
        allow_ips: String,
    },
}

#[derive(Subcommand)]
enum OperatorAction {
    /// Makes a user an operator.
    Grant {
        /// The user's e-mail address.
        email: String,
    },
    /// Withdraws a user's operator flag.
    Revoke {
        /// The user's e-mail address.
        email: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info,sqlx=warn".into());
    match cli.log_format {
        LogFormat::Text => tracing_subscriber::fmt().with_env_filter(filter).init(),
        LogFormat::Json => tracing_subscriber::fmt().json().with_current_span(true).with_env_filter(filter).init(),
    }
    let rt = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn base_config(db: DbArgs) -> ServeConfig {
    ServeConfig { data_dir: db.data_dir, database_url: db.database_url, ..ServeConfig::default() }
}

async fn open_core(config: &ServeConfig) -> anyhow::Result<certwatch_core::CertWatch> {
    let url = config.resolved_database_url()?;
    let store = certwatch_store::connect_and_migrate(&url).await.context("opening the database")?;
    Ok(certwatch_core::CertWatch::new(store))
}

async fn run(command: Command) -> anyhow::Result<()> {
    match command {
        Command::Serve { serve, db } => {
            let config = ServeConfig {
                bind: serve.bind,
                public_url: serve.public_url,
                admin_allowed_ips: parse_ip_list(&serve.admin_allowed_ips).map_err(anyhow::Error::msg)?,
                trusted_proxies: serve.trusted_proxies,
                smtp_url: serve.smtp_url,
                mail_from: serve.mail_from,
                rate_limits: RateLimits {
                    auth_per_minute: serve.rate_limit_auth,
                    public_search_per_minute: serve.rate_limit_search,
                    expensive_per_minute: serve.rate_limit_expensive,
                },
                ..base_config(db)
            };
            let core = open_core(&config).await?;
            if serve.demo {
                let creds = certwatch_http::demo::seed(&core, &config.data_dir).await.context("demo tenant")?;
                print_demo(&creds, &config.bind);
            }
            let app = Application::with_core(&config, core).await.context("starting the server")?;
            println!(
                "CertWatch {} listening on {} (API docs: {}/api/docs, backend: {})",
                env!("CARGO_PKG_VERSION"),
                app.public_url(),
                app.public_url(),
                app.core().store().backend()
            );
            app.run().await.context("serving")?;
        }
        Command::Migrate { db } => {
            let config = base_config(db);
            open_core(&config).await?;
            println!("migrations applied");
        }
        Command::Demo { json, db } => {
            let config = base_config(db);
            let core = open_core(&config).await?;
            let creds = certwatch_http::demo::seed(&core, &config.data_dir).await.context("demo tenant")?;
            if json {
                println!("{}", serde_json::to_string(&creds)?);
            } else {
                print_demo(&creds, "127.0.0.1:8000");
            }
        }
        Command::Operator { action, db } => {
            let config = base_config(db);
            let core = open_core(&config).await?;
            let (email, grant) = match action {
                OperatorAction::Grant { email } => (email, true),
                OperatorAction::Revoke { email } => (email, false),
            };
            let user = core.tenancy().set_operator(&email, grant).await?;
            println!("{}: operator = {}", user.email, user.is_operator);
        }
        Command::Monitor(MonitorCommand::Extract { files }) => monitor_cmd::extract(files).await?,
        Command::Monitor(MonitorCommand::Scrape { url, dry_run: _, allow_ips }) => {
            monitor_cmd::scrape_dry_run(&url, parse_ip_list(&allow_ips).map_err(anyhow::Error::msg)?).await?
        }
    }
    Ok(())
}

fn print_demo(c: &certwatch_http::demo::DemoCredentials, bind: &str) {
    println!("Demo tenant '{}': log in as {} / {}", c.tenant, c.email, c.password);
    println!("API token (shown once): {}", c.token);
    println!("Try: curl -H 'Authorization: Token {}' http://{bind}/api/organizations", c.token);
}
