//! Putting the server together from its [`Config`]: the store and its
//! migrations, Redis, the limiter, the market chain, the assistant, and the
//! demo account.

use std::sync::Arc;

use auravest_ai::setup::Setup;
use auravest_ai::{Assistant, AssistantConfig};

use crate::config::Config;
use crate::crypto::Keys;
use crate::limits::{Limiter, MemoryLimiter, RedisLimiter};
use crate::metrics::Metrics;
use crate::prices::{PriceService, market_from_config};
use crate::state::{AppState, AssistantSlot, Inner};
use crate::store::{Store, sql};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The database could not be opened or migrated.
    #[error("database ({url}): {source}")]
    Store {
        /// The URL, without its password.
        url: String,
        /// The error.
        source: crate::store::StoreError,
    },
    /// Redis could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
    /// The market data sources could not be built.
    #[error("market data: {0}")]
    Market(String),
    /// The assistant could not be built.
    #[error("assistant: {0}")]
    Assistant(String),
    /// The demo account could not be created.
    #[error("demo account: {0}")]
    Demo(String),
}

/// A URL fit for logs and error messages: the password in the user part
/// and the values of query parameters that can hold secrets (`password`,
/// `pass`, `pwd`, `secret`, `token`, `key`, `apikey`, `api_key`, `sslkey`,
/// `sslpassword`, `auth`) become `***`:
/// `postgres://user:secret@host/db?password=x` →
/// `postgres://user:***@host/db?password=***`.
pub fn redact_url(url: &str) -> String {
    const SECRET_PARAMS: [&str; 11] = [
        "password",
        "pass",
        "pwd",
        "secret",
        "token",
        "key",
        "apikey",
        "api_key",
        "sslkey",
        "sslpassword",
        "auth",
    ];
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (url, None),
    };
    let base = match (base.find("://"), base.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let creds = &base[scheme + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &base[..scheme + 3], &base[at..]),
                None => base.to_owned(),
            }
        }
        _ => base.to_owned(),
    };
    let Some(query) = query else {
        return base;
    };
    let query = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _))
                if SECRET_PARAMS
                    .iter()
                    .any(|s| k.eq_ignore_ascii_case(s) || k.to_ascii_lowercase().ends_with(s)) =>
            {
                format!("{k}=***")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&");
    format!("{base}?{query}")
}

/// Opens the store named by the configuration and runs its migrations.
///
/// # Errors
/// [`SetupError::Store`] when it cannot be opened or migrated.
/// With `AURAVEST_DATABASE_OWNER_URL`, the migrations run as the owner and
/// the server's own role is granted only what it needs (see
/// [`crate::store::postgres::grant_server_role`]); without it, the server's
/// role runs them and, on PostgreSQL, a warning says that this role could
/// rewrite the audit log.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, SetupError> {
    let err = |url: &str| {
        let url = redact_url(url);
        move |source| SetupError::Store { url, source }
    };
    let app_url = &config.database_url;
    if let Some(owner_url) = &config.database_owner_url {
        let owner = sql::connect_url(owner_url).await.map_err(err(owner_url))?;
        owner.migrate().await.map_err(err(owner_url))?;
        drop(owner);
        let role = crate::store::postgres::grant_server_role(owner_url, app_url)
            .await
            .map_err(err(owner_url))?;
        tracing::info!(%role, "migrations run as the owner; the server's role may only append to the audit log");
        return sql::connect_url(app_url).await.map_err(err(app_url));
    }
    let store = sql::connect_url(app_url).await.map_err(err(app_url))?;
    store.migrate().await.map_err(err(app_url))?;
    if store.backend() == "postgres"
        && crate::store::postgres::can_rewrite_audit(app_url)
            .await
            .unwrap_or(false)
    {
        tracing::warn!(
            "the server's database role owns the audit log (or is a superuser), so it could rewrite it; \
             set AURAVEST_DATABASE_OWNER_URL to migrate as the owner and run the server as a role that may only append"
        );
    }
    Ok(store)
}

/// Builds the assistant over the built-in knowledge base (blocking: the
/// first start embeds the articles; later starts load the saved index).
///
/// # Errors
/// [`SetupError::Assistant`] when the knowledge base or index fails.
pub fn assistant(config: &Config) -> Result<Assistant, SetupError> {
    assistant_until(config, None)
}

/// As [`assistant`], stopping (with an error) once `cancel` is cancelled.
///
/// # Errors
/// As [`assistant`]; [`SetupError::Assistant`] when cancelled.
pub fn assistant_until(
    config: &Config,
    cancel: Option<auravest_ai::llm::CancelToken>,
) -> Result<Assistant, SetupError> {
    let setup = Setup {
        cancel,
        index_dir: Some(config.data_dir.join("ai-index")),
        hash_embedder: config.ai_hash_embedder,
        config: AssistantConfig {
            daily_question_limit: Some(config.ai_daily_limit),
            ..AssistantConfig::default()
        },
        ..Setup::default()
    };
    let (assistant, report) = setup
        .build(&|_, _| {})
        .map_err(|e| SetupError::Assistant(e.to_string()))?;
    // The drafting model, found the same way as in every shell.
    let (model, note) = auravest_ai::setup::env::language_model(config.ai_model)
        .map_err(|e| SetupError::Assistant(format!("AURAVEST_AI_MODEL: {e}")))?;
    if let Some(note) = note {
        tracing::info!(%note, "no drafting model");
    }
    let assistant = match model {
        Some(m) => assistant.with_model(m),
        None => assistant,
    };
    tracing::info!(
        embedder = %report.embedder,
        chunks = report.chunks,
        note = report.embedder_note.as_deref().unwrap_or(""),
        model = %assistant.model_id(),
        "assistant ready"
    );
    Ok(assistant)
}

/// The assistant with its stores in the server's database (shared by every
/// replica, passing the SDK's conformance suites): question metering, the
/// record of each answer, and feedback.
pub fn with_server_stores(assistant: Assistant, store: &Arc<dyn Store>) -> Assistant {
    use crate::services::metering::{StoreAudit, StoreFeedback, StoreUsage};
    assistant
        .with_usage(Arc::new(StoreUsage::new(Arc::clone(store))))
        .with_audit(Arc::new(StoreAudit::new(Arc::clone(store))))
        .with_feedback(Arc::new(StoreFeedback::new(Arc::clone(store))))
}

/// Builds the whole state.
///
/// # Errors
/// Any part that cannot be built.
pub async fn state(config: Config) -> Result<AppState, SetupError> {
    let store = open_store(&config).await?;
    state_with_store(config, store).await
}

/// As [`state`], but the assistant loads in the background: the server
/// answers at once, and `/ask` says the assistant is starting until it is
/// ready.
///
/// # Errors
/// As [`state`].
pub async fn state_loading_assistant(config: Config) -> Result<AppState, SetupError> {
    let store = open_store(&config).await?;
    build(config, store, true).await
}

/// Builds the state over an already migrated store (tests pass their own).
///
/// # Errors
/// Redis, the market chain or the assistant failing to build.
pub async fn state_with_store(
    config: Config,
    store: Arc<dyn Store>,
) -> Result<AppState, SetupError> {
    build(config, store, false).await
}

async fn build(
    config: Config,
    store: Arc<dyn Store>,
    background_assistant: bool,
) -> Result<AppState, SetupError> {
    let redis = match &config.redis_url {
        Some(url) => Some(crate::quote_cache::connect_redis(url).await?),
        None => None,
    };
    let breaker = crate::limits::RedisBreaker::default();
    let limiter: Arc<dyn Limiter> = match &redis {
        Some(conn) => Arc::new(
            RedisLimiter::with_prefix(conn.clone(), &format!("{}:rl:", config.redis_namespace))
                .with_breaker(breaker.clone()),
        ),
        None => Arc::new(MemoryLimiter::new()),
    };
    let metrics = Metrics::new();
    let cache: Arc<dyn auravest_market::QuoteCache> = match &redis {
        Some(conn) => Arc::new(crate::quote_cache::RedisQuoteCache::new(
            conn.clone(),
            &config.redis_namespace,
            breaker,
        )),
        None => Arc::new(auravest_market::MemoryQuoteCache::new()),
    };
    let market =
        market_from_config(&config, cache).map_err(|e| SetupError::Market(e.to_string()))?;
    let prices = PriceService::new(market, Arc::clone(&store), redis, metrics.clone());
    let assistant = if !config.ai {
        AssistantSlot::disabled()
    } else if background_assistant {
        let slot = AssistantSlot::pending();
        let (c, s, st) = (config.clone(), slot.clone(), Arc::clone(&store));
        let cancel = slot.cancel_token();
        tokio::task::spawn_blocking(move || match assistant_until(&c, Some(cancel.clone())) {
            Ok(a) => s.set(with_server_stores(a, &st)),
            Err(_) if cancel.is_cancelled() => {
                tracing::info!("the assistant's loading was stopped (shutting down)");
            }
            Err(e) => {
                tracing::error!(error = %e, "the assistant could not be built; /ask answers 503")
            }
        });
        slot
    } else {
        let c = config.clone();
        let built = tokio::task::spawn_blocking(move || assistant(&c))
            .await
            .map_err(|e| SetupError::Assistant(e.to_string()))??;
        AssistantSlot::ready(with_server_stores(built, &store))
    };
    let news = if config.news_feeds.is_empty() {
        None
    } else {
        let http = auravest_market::HttpConfig::from_lookup(|k| config.market_vars.get(k))
            .map_err(|e| SetupError::Market(e.to_string()))?;
        Some(Arc::new(
            auravest_market::news::NewsClient::new(&http, config.news_feeds.clone())
                .map_err(|e| SetupError::Market(e.to_string()))?,
        ))
    };
    let live = crate::live::LiveBus::new(store.sql_pool(), config.live_poll);
    live.start();
    Ok(AppState::new(Inner {
        live,
        news,
        keys: Keys::new(&config.secrets),
        config,
        store,
        limiter,
        metrics,
        prices,
        assistant,
        ledgers: crate::ledger::LedgerCache::default(),
        ledger_locks: Default::default(),
        drafting: Default::default(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_passwords() {
        assert_eq!(
            redact_url("postgres://app:s3cret@db:5432/auravest"),
            "postgres://app:***@db:5432/auravest"
        );
        assert_eq!(redact_url("postgres://app@db/x"), "postgres://app@db/x");
        assert_eq!(
            redact_url("sqlite://data/auravest.db"),
            "sqlite://data/auravest.db"
        );
        assert_eq!(
            redact_url("postgres://db/x?user=app&password=hunter2&sslmode=require"),
            "postgres://db/x?user=app&password=***&sslmode=require"
        );
        assert_eq!(
            redact_url("postgres://a:b@db/x?sslpassword=s&PASSWORD=t&api_key=k"),
            "postgres://a:***@db/x?sslpassword=***&PASSWORD=***&api_key=***"
        );
    }
}

/// The demo account's email.
pub const DEMO_EMAIL: &str = "demo@auravest.example";
/// The demo account's password (printed at start-up with `--demo`).
pub const DEMO_PASSWORD: &str = "demo-garden-lantern-2026";
/// The demo portfolio's transactions: the sample the project ships.
const DEMO_TRANSACTIONS: &str = include_str!("../../examples/data/transactions.csv");

/// The demo login.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    /// Email.
    pub email: &'static str,
    /// Password.
    pub password: &'static str,
    /// The account was created now (false: it was already there).
    pub created: bool,
}

/// Creates the demo user with the sample portfolio, unless it exists.
///
/// # Errors
/// The store failing, or the sample not importing.
pub async fn seed_demo(state: &AppState) -> Result<DemoLogin, SetupError> {
    let login = |created| DemoLogin {
        email: DEMO_EMAIL,
        password: DEMO_PASSWORD,
        created,
    };
    let hash = state.keys.email_hash(DEMO_EMAIL);
    let demo_err = |e: crate::error::AppError| SetupError::Demo(e.to_string());
    if state
        .store
        .user_by_email_hash(&hash)
        .await
        .map_err(|e| demo_err(e.into()))?
        .is_some()
    {
        return Ok(login(false));
    }
    let user = crate::auth::create_account(
        state.store.as_ref(),
        &state.keys,
        DEMO_EMAIL,
        DEMO_PASSWORD,
        crate::auth::TERMS_VERSION,
    )
    .await
    .map_err(demo_err)?;
    let portfolio = crate::store::PortfolioRecord {
        id: uuid::Uuid::new_v4(),
        user_id: user.id,
        name: "Demo portfolio".to_owned(),
        currency: "USD".to_owned(),
        created_at: chrono::Utc::now(),
        version: 0,
    };
    state
        .store
        .create_portfolio(&portfolio)
        .await
        .map_err(|e| demo_err(e.into()))?;
    let rows = auravest_core::io::read_transactions_csv(DEMO_TRANSACTIONS.as_bytes())
        .map_err(|e| SetupError::Demo(e.to_string()))?;
    let records: Vec<auravest_core::TransactionRecord> = rows
        .iter()
        .filter_map(|(_, r)| r.as_ref().ok().map(auravest_core::TransactionRecord::from))
        .collect();
    if records.len() != rows.len() {
        return Err(SetupError::Demo(
            "the shipped sample transactions do not all parse".to_owned(),
        ));
    }
    state
        .store
        .insert_transactions(portfolio.id, &records)
        .await
        .map_err(|e| demo_err(e.into()))?;
    Ok(login(true))
}
