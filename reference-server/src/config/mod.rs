//! Settings, read from the environment (every one has a default), and the
//! secrets: from the environment, else generated once into
//! `<data dir>/secrets.toml` (mode 0600; see `secrets.rs`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

mod secrets;

pub use secrets::{Secrets, SecretsOrigin};

/// A setting that could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// An environment variable had a value we cannot use.
    #[error("{name}: {reason}")]
    Invalid {
        /// The variable.
        name: &'static str,
        /// Why.
        reason: String,
    },
    /// The data folder or secrets file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
}

/// Per-key request budgets (`AURAVEST_RATE_LIMIT_*`), each per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimits {
    /// Every request, per client IP (`AURAVEST_RATE_LIMIT_IP_PER_MINUTE`).
    pub ip_per_minute: u32,
    /// Authenticated requests, per user (`AURAVEST_RATE_LIMIT_USER_PER_MINUTE`).
    pub user_per_minute: u32,
    /// Login, registration and token refresh, per IP (`AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE`).
    pub auth_per_minute: u32,
    /// Manual price refreshes, per user (`AURAVEST_RATE_LIMIT_REFRESH_PER_MINUTE`).
    pub refresh_per_minute: u32,
}

impl Default for RateLimits {
    fn default() -> Self {
        Self {
            ip_per_minute: 600,
            user_per_minute: 300,
            auth_per_minute: 10,
            refresh_per_minute: 2,
        }
    }
}

/// Connection and request limits (`AURAVEST_MAX_CONNECTIONS`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServeLimits {
    /// Open connections at once (`AURAVEST_MAX_CONNECTIONS`, default 1024);
    /// past it, new connections wait in the listen backlog.
    pub max_connections: usize,
    /// Open connections from one IP address (`AURAVEST_MAX_CONNECTIONS_PER_IP`,
    /// default 64; 0 for no limit, e.g. behind a proxy whose connections all
    /// come from one address); past it, a new connection is closed at once.
    pub max_connections_per_ip: usize,
    /// Time to send a request's headers, and to finish a TLS handshake
    /// (`AURAVEST_HEADER_TIMEOUT_SECS`, default 10); an idle keep-alive
    /// connection is closed after it too.
    pub header_timeout: Duration,
    /// Time for a whole request, body and answer
    /// (`AURAVEST_REQUEST_TIMEOUT_SECS`, default 30); past it the answer is
    /// 503.
    pub request_timeout: Duration,
    /// Time for a request to the assistant (`/ask`, a summary), which may
    /// wait for a language model (`AURAVEST_AI_REQUEST_TIMEOUT_SECS`, default
    /// 120).
    pub ai_request_timeout: Duration,
    /// After a shutdown signal, how long requests in flight may finish
    /// (`AURAVEST_SHUTDOWN_GRACE_SECS`, default 5); then the process exits.
    pub shutdown_grace: Duration,
}

impl Default for ServeLimits {
    fn default() -> Self {
        Self {
            max_connections: 1024,
            max_connections_per_ip: 64,
            header_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            ai_request_timeout: Duration::from_secs(120),
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The longest a token or lock setting may be: far enough for any real use,
/// near enough that adding it to now never overflows.
const MAX_TTL_SECS: u64 = 366 * 86_400 * 10;

/// The names of the market crate's HTTP settings the server passes on.
pub const MARKET_VARS: [&str; 5] = [
    "AURAVEST_YAHOO_BASE_URL",
    "AURAVEST_YAHOO_COOKIE_URL",
    "AURAVEST_ALPHAVANTAGE_BASE_URL",
    "AURAVEST_ALPHAVANTAGE_API_KEY",
    "AURAVEST_STOOQ_BASE_URL",
];

/// The market crate's HTTP settings, by name.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct MarketVars(std::collections::BTreeMap<String, String>);

impl MarketVars {
    /// The value of one setting.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0.get(name).cloned()
    }
}

impl std::fmt::Debug for MarketVars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

/// The server's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// `AURAVEST_ADDR` (default `127.0.0.1:8080`; port 0 picks one).
    pub addr: SocketAddr,
    /// `AURAVEST_DATA_DIR` (default `./data`): the SQLite file, the secrets and the sample prices.
    pub data_dir: PathBuf,
    /// `DATABASE_URL`: `postgres://…` or `sqlite://…`; default `sqlite://<data dir>/auravest.db`.
    pub database_url: String,
    /// `AURAVEST_DATABASE_OWNER_URL` (PostgreSQL only): the role that owns the
    /// schema and runs the migrations. When set, the server itself connects
    /// as `DATABASE_URL`'s role, which it grants only what it needs (on the
    /// audit log: `SELECT` and `INSERT`), so the server cannot rewrite the
    /// audit log or turn its triggers off.
    pub database_owner_url: Option<String>,
    /// Connection and request limits.
    pub serve_limits: ServeLimits,
    /// `REDIS_URL`: shares the quote cache, request coalescing and rate limits between replicas.
    pub redis_url: Option<String>,
    /// Request budgets.
    pub rate_limits: RateLimits,
    /// `AURAVEST_AI_DAILY_LIMIT` (default 5): AI questions per user per day.
    pub ai_daily_limit: u32,
    /// `AURAVEST_BODY_LIMIT_BYTES` (default 1 MiB).
    pub body_limit: usize,
    /// `AURAVEST_ACCESS_TOKEN_TTL_SECS` (default 900).
    pub access_ttl: Duration,
    /// `AURAVEST_REFRESH_TOKEN_TTL_DAYS` (default 30).
    pub refresh_ttl: Duration,
    /// `AURAVEST_LOGIN_MAX_FAILURES` (default 5) before the account locks.
    pub login_max_failures: u32,
    /// `AURAVEST_LOGIN_LOCK_SECS` (default 900): how long it stays locked.
    pub login_lock: Duration,
    /// `AURAVEST_TLS_CERT` and `AURAVEST_TLS_KEY` (PEM): serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// `AURAVEST_CORS_ORIGINS` (comma-separated); empty means CORS off.
    pub cors_origins: Vec<String>,
    /// `AURAVEST_METRICS_PUBLIC` (default true): `/metrics` without authentication.
    pub metrics_public: bool,
    /// `AURAVEST_REFRESH_INTERVAL_SECS` (default 900): price refresh interval in market hours.
    pub refresh_interval: Duration,
    /// `AURAVEST_REFRESHER` (default true): run the background price refresher.
    pub refresher: bool,
    /// `AURAVEST_MARKET_SOURCES` (default `network,sample`), in the market
    /// crate's vocabulary ([`auravest_market::SourceSpec`]): `network` is its
    /// HTTP chain (its own `AURAVEST_YAHOO_BASE_URL` etc.), `sample` the
    /// prices the project ships, `file:DIR` a folder of CSVs.
    pub market_sources: Vec<auravest_market::SourceSpec>,
    /// The market crate's HTTP settings as given (`AURAVEST_YAHOO_BASE_URL`,
    /// `AURAVEST_YAHOO_COOKIE_URL`, `AURAVEST_ALPHAVANTAGE_BASE_URL`,
    /// `AURAVEST_ALPHAVANTAGE_API_KEY`, `AURAVEST_STOOQ_BASE_URL`); the key is
    /// never printed (`Config`'s `Debug` shows only the names).
    pub market_vars: MarketVars,
    /// `AURAVEST_REDIS_NAMESPACE` (default `auravest`): the prefix of every
    /// Redis key, so several deployments can share one Redis.
    pub redis_namespace: String,
    /// `AURAVEST_SECURE_COOKIES` (default: on when TLS is on): `Secure` on cookies.
    pub secure_cookies: bool,
    /// `AURAVEST_AI` (default true): load the assistant (knowledge base and index).
    pub ai: bool,
    /// `AURAVEST_AI_EMBEDDER` (`minilm`, the default when its weights are
    /// installed, or `hash`): the assistant's embedder.
    pub ai_hash_embedder: bool,
    /// `AURAVEST_AI_MODEL` (`none`, the default; `local` for the Gemma 3
    /// 270M whose weights `scripts/fetch-models.sh` installs, best in a
    /// release build; `openai` for the OpenAI-compatible server of the
    /// `AURAVEST_OPENAI_*` variables; `auto` for the local model when it
    /// loads, else none): the model that drafts the assistant's answers,
    /// each draft checked before it is shown and streamed by
    /// `POST /api/v1/ask/stream`. Without one the assistant answers from its
    /// sources alone.
    pub ai_model: auravest_ai::setup::env::ModelChoice,
    /// `AURAVEST_NEWS_FEEDS`: RSS/Atom feed URL templates with `{symbol}`,
    /// comma-separated (default: Yahoo Finance's per-symbol headline feed
    /// when the market sources reach the network, else none; `none` for
    /// none).
    pub news_feeds: Vec<String>,
    /// `AURAVEST_LIVE_POLL_SECS` (default 5): how often each replica reads
    /// new live events without being told (a lost `NOTIFY`); events are
    /// announced at once otherwise.
    pub live_poll: Duration,
    /// `AURAVEST_WASM_DIR` (default: the folder `bindings/wasm/scripts/ci.sh`
    /// builds in this checkout, `bindings/wasm/pkg/web`): the WebAssembly
    /// package's web build, served under `/assets/wasm/` for the UI's
    /// instant feedback. Without it the UI works as before, without that
    /// feedback; the server checks everything either way.
    pub wasm_dir: PathBuf,
    /// The keys.
    pub secrets: Secrets,
    /// Where the keys came from.
    pub secrets_origin: SecretsOrigin,
}

fn parse<T: std::str::FromStr>(
    lookup: &impl Fn(&str) -> Option<String>,
    name: &'static str,
    default: T,
) -> Result<T, ConfigError>
where
    T::Err: std::fmt::Display,
{
    match lookup(name) {
        None => Ok(default),
        Some(v) if v.trim().is_empty() => Ok(default),
        Some(v) => v.trim().parse().map_err(|e: T::Err| ConfigError::Invalid {
            name,
            reason: format!("{v:?}: {e}"),
        }),
    }
}

impl Config {
    /// Reads the settings from the process environment.
    ///
    /// # Errors
    /// A variable with an unusable value, or an unreadable secrets file.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `lookup` (tests pass a map).
    ///
    /// # Errors
    /// A variable with an unusable value, or an unreadable secrets file.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let data_dir: PathBuf = parse(&lookup, "AURAVEST_DATA_DIR", PathBuf::from("data"))?;
        let addr = parse(
            &lookup,
            "AURAVEST_ADDR",
            SocketAddr::from(([127, 0, 0, 1], 8080)),
        )?;
        let database_url = lookup("DATABASE_URL")
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("auravest.db").display()));
        let defaults = RateLimits::default();
        let rate_limits = RateLimits {
            ip_per_minute: parse(
                &lookup,
                "AURAVEST_RATE_LIMIT_IP_PER_MINUTE",
                defaults.ip_per_minute,
            )?,
            user_per_minute: parse(
                &lookup,
                "AURAVEST_RATE_LIMIT_USER_PER_MINUTE",
                defaults.user_per_minute,
            )?,
            auth_per_minute: parse(
                &lookup,
                "AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE",
                defaults.auth_per_minute,
            )?,
            refresh_per_minute: parse(
                &lookup,
                "AURAVEST_RATE_LIMIT_REFRESH_PER_MINUTE",
                defaults.refresh_per_minute,
            )?,
        };
        for (name, v) in [
            (
                "AURAVEST_RATE_LIMIT_IP_PER_MINUTE",
                rate_limits.ip_per_minute,
            ),
            (
                "AURAVEST_RATE_LIMIT_USER_PER_MINUTE",
                rate_limits.user_per_minute,
            ),
            (
                "AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE",
                rate_limits.auth_per_minute,
            ),
            (
                "AURAVEST_RATE_LIMIT_REFRESH_PER_MINUTE",
                rate_limits.refresh_per_minute,
            ),
        ] {
            if v == 0 {
                return Err(ConfigError::Invalid {
                    name,
                    reason: "must be at least 1".to_owned(),
                });
            }
        }
        let cert: Option<PathBuf> = lookup("AURAVEST_TLS_CERT")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let key_path: Option<PathBuf> = lookup("AURAVEST_TLS_KEY")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from);
        let tls = match (cert, key_path) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            (Some(_), None) => {
                return Err(ConfigError::Invalid {
                    name: "AURAVEST_TLS_KEY",
                    reason: "AURAVEST_TLS_CERT is set but the key is not".to_owned(),
                });
            }
            (None, Some(_)) => {
                return Err(ConfigError::Invalid {
                    name: "AURAVEST_TLS_CERT",
                    reason: "AURAVEST_TLS_KEY is set but the certificate is not".to_owned(),
                });
            }
        };
        let list = |name: &str, default: &str| -> Vec<String> {
            lookup(name)
                .unwrap_or_else(|| default.to_owned())
                .split(',')
                .map(|s| s.trim().to_owned())
                .filter(|s| !s.is_empty())
                .collect()
        };
        let market_sources = auravest_market::SourceSpec::parse_list(
            "AURAVEST_MARKET_SOURCES",
            &lookup("AURAVEST_MARKET_SOURCES").unwrap_or_else(|| "network,sample".to_owned()),
        )
        .map_err(|e| ConfigError::Invalid {
            name: "AURAVEST_MARKET_SOURCES",
            reason: match e {
                auravest_market::Error::InvalidRequest { reason, .. } => reason,
                other => other.to_string(),
            },
        })?;
        let ai_hash_embedder = match lookup("AURAVEST_AI_EMBEDDER").as_deref().map(str::trim) {
            None | Some("" | "minilm") => false,
            Some("hash") => true,
            Some(other) => {
                return Err(ConfigError::Invalid {
                    name: "AURAVEST_AI_EMBEDDER",
                    reason: format!("{other:?} is not one of minilm, hash"),
                });
            }
        };
        let market_vars = MarketVars(
            MARKET_VARS
                .iter()
                .filter_map(|k| lookup(k).map(|v| ((*k).to_owned(), v)))
                .collect(),
        );
        let redis_namespace = lookup("AURAVEST_REDIS_NAMESPACE")
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "auravest".to_owned());
        if redis_namespace
            .chars()
            .any(|c| c.is_whitespace() || c.is_control())
        {
            return Err(ConfigError::Invalid {
                name: "AURAVEST_REDIS_NAMESPACE",
                reason: "must not contain spaces or control characters".to_owned(),
            });
        }
        let (secrets, secrets_origin) = secrets::load(&lookup, &data_dir)?;
        let tls_on = tls.is_some();
        let serve_defaults = ServeLimits::default();
        let secs = |name: &'static str, default: Duration| -> Result<Duration, ConfigError> {
            let v: u64 = parse(&lookup, name, default.as_secs())?;
            if v == 0 || v > MAX_TTL_SECS {
                return Err(ConfigError::Invalid {
                    name,
                    reason: format!("must be 1 to {MAX_TTL_SECS} seconds, got {v}"),
                });
            }
            Ok(Duration::from_secs(v))
        };
        let count = |name: &'static str, default: usize| -> Result<usize, ConfigError> {
            let v: usize = parse(&lookup, name, default)?;
            if v == 0 {
                return Err(ConfigError::Invalid {
                    name,
                    reason: "must be at least 1".to_owned(),
                });
            }
            Ok(v)
        };
        let serve_limits = ServeLimits {
            max_connections: count("AURAVEST_MAX_CONNECTIONS", serve_defaults.max_connections)?,
            max_connections_per_ip: parse(
                &lookup,
                "AURAVEST_MAX_CONNECTIONS_PER_IP",
                serve_defaults.max_connections_per_ip,
            )?,
            header_timeout: secs(
                "AURAVEST_HEADER_TIMEOUT_SECS",
                serve_defaults.header_timeout,
            )?,
            request_timeout: secs(
                "AURAVEST_REQUEST_TIMEOUT_SECS",
                serve_defaults.request_timeout,
            )?,
            ai_request_timeout: secs(
                "AURAVEST_AI_REQUEST_TIMEOUT_SECS",
                serve_defaults.ai_request_timeout,
            )?,
            shutdown_grace: secs(
                "AURAVEST_SHUTDOWN_GRACE_SECS",
                serve_defaults.shutdown_grace,
            )?,
        };
        let refresh_days: u64 = parse(&lookup, "AURAVEST_REFRESH_TOKEN_TTL_DAYS", 30)?;
        if refresh_days == 0 || refresh_days * 86_400 > MAX_TTL_SECS {
            return Err(ConfigError::Invalid {
                name: "AURAVEST_REFRESH_TOKEN_TTL_DAYS",
                reason: format!("must be 1 to {} days", MAX_TTL_SECS / 86_400),
            });
        }
        let database_owner_url =
            lookup("AURAVEST_DATABASE_OWNER_URL").filter(|v| !v.trim().is_empty());
        if database_owner_url.is_some() && !database_url.starts_with("postgres") {
            return Err(ConfigError::Invalid {
                name: "AURAVEST_DATABASE_OWNER_URL",
                reason: "is for PostgreSQL; DATABASE_URL is not a postgres:// URL".to_owned(),
            });
        }
        let news_feeds = match lookup("AURAVEST_NEWS_FEEDS").as_deref().map(str::trim) {
            None | Some("") => {
                if market_sources
                    .iter()
                    .any(auravest_market::SourceSpec::is_network)
                {
                    vec![auravest_market::news::DEFAULT_NEWS_FEED.to_owned()]
                } else {
                    Vec::new()
                }
            }
            Some("none") => Vec::new(),
            Some(list) => {
                let feeds: Vec<String> = list
                    .split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect();
                for f in &feeds {
                    let lower = f.to_ascii_lowercase();
                    if !(lower.starts_with("https://") || lower.starts_with("http://"))
                        || !f.contains("{symbol}")
                    {
                        return Err(ConfigError::Invalid {
                            name: "AURAVEST_NEWS_FEEDS",
                            reason: format!("{f:?} is not an http(s):// URL with {{symbol}} in it"),
                        });
                    }
                }
                feeds
            }
        };
        Ok(Self {
            addr,
            database_url,
            redis_url: lookup("REDIS_URL").filter(|v| !v.trim().is_empty()),
            rate_limits,
            ai_daily_limit: parse(&lookup, "AURAVEST_AI_DAILY_LIMIT", 5)?,
            body_limit: parse(&lookup, "AURAVEST_BODY_LIMIT_BYTES", 1 << 20)?,
            access_ttl: secs("AURAVEST_ACCESS_TOKEN_TTL_SECS", Duration::from_secs(900))?,
            refresh_ttl: Duration::from_secs(86_400 * refresh_days),
            login_max_failures: count("AURAVEST_LOGIN_MAX_FAILURES", 5)?
                .try_into()
                .unwrap_or(u32::MAX),
            login_lock: secs("AURAVEST_LOGIN_LOCK_SECS", Duration::from_secs(900))?,
            database_owner_url,
            serve_limits,
            tls,
            cors_origins: list("AURAVEST_CORS_ORIGINS", ""),
            metrics_public: parse(&lookup, "AURAVEST_METRICS_PUBLIC", true)?,
            refresh_interval: Duration::from_secs(
                parse(&lookup, "AURAVEST_REFRESH_INTERVAL_SECS", 900)?.max(1),
            ),
            refresher: parse(&lookup, "AURAVEST_REFRESHER", true)?,
            market_sources,
            secure_cookies: parse(&lookup, "AURAVEST_SECURE_COOKIES", tls_on)?,
            market_vars,
            redis_namespace,
            ai: parse(&lookup, "AURAVEST_AI", true)?,
            ai_hash_embedder,
            ai_model: match lookup("AURAVEST_AI_MODEL").as_deref().map(str::trim) {
                None | Some("") => auravest_ai::setup::env::ModelChoice::None,
                Some(v) => v.parse().map_err(|_| ConfigError::Invalid {
                    name: "AURAVEST_AI_MODEL",
                    reason: format!("{v:?} is not one of none, local, openai, auto"),
                })?,
            },
            live_poll: secs("AURAVEST_LIVE_POLL_SECS", crate::live::POLL)?,
            news_feeds,
            wasm_dir: parse(
                &lookup,
                "AURAVEST_WASM_DIR",
                PathBuf::from(concat!(
                    env!("CARGO_MANIFEST_DIR"),
                    "/../bindings/wasm/pkg/web"
                )),
            )?,
            secrets,
            secrets_origin,
            data_dir,
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::path::Path;

    use base64::Engine as _;
    use base64::engine::general_purpose::STANDARD as B64;

    use super::*;

    fn config(vars: &[(&str, &str)], dir: &Path) -> Result<Config, ConfigError> {
        let mut map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        map.insert("AURAVEST_DATA_DIR".to_owned(), dir.display().to_string());
        Config::from_lookup(move |k| map.get(k).cloned())
    }

    #[test]
    fn defaults_and_generated_secrets_are_kept_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(&[], dir.path()).unwrap();
        assert_eq!(c.addr, SocketAddr::from(([127, 0, 0, 1], 8080)));
        assert!(c.database_url.starts_with("sqlite://"));
        assert!(c.cors_origins.is_empty());
        assert_eq!(c.rate_limits, RateLimits::default());
        let path = dir.path().join("secrets.toml");
        assert_eq!(c.secrets_origin, SecretsOrigin::Generated(path.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let again = config(&[], dir.path()).unwrap();
        assert_eq!(again.secrets, c.secrets);
        assert_eq!(again.secrets_origin, SecretsOrigin::File(path));
        assert!(!format!("{:?}", c.secrets).contains(&B64.encode(c.secrets.jwt)));
    }

    #[test]
    fn bad_values_name_the_variable() {
        let dir = tempfile::tempdir().unwrap();
        for (vars, name) in [
            (vec![("AURAVEST_ADDR", "nowhere")], "AURAVEST_ADDR"),
            (
                vec![("AURAVEST_RATE_LIMIT_IP_PER_MINUTE", "0")],
                "AURAVEST_RATE_LIMIT_IP_PER_MINUTE",
            ),
            (
                vec![("AURAVEST_RATE_LIMIT_USER_PER_MINUTE", "-3")],
                "AURAVEST_RATE_LIMIT_USER_PER_MINUTE",
            ),
            (vec![("AURAVEST_TLS_CERT", "/x.pem")], "AURAVEST_TLS_KEY"),
            (
                vec![("AURAVEST_JWT_SECRET", "c2hvcnQ=")],
                "AURAVEST_JWT_SECRET",
            ),
            (
                vec![("AURAVEST_MARKET_SOURCES", "network,ftp")],
                "AURAVEST_MARKET_SOURCES",
            ),
            (
                vec![("AURAVEST_REDIS_NAMESPACE", "two words")],
                "AURAVEST_REDIS_NAMESPACE",
            ),
        ] {
            let err = config(&vars, dir.path()).unwrap_err();
            assert!(err.to_string().starts_with(name), "{err}");
        }
    }

    #[test]
    fn market_settings_are_read_once_and_the_key_is_not_printed() {
        let dir = tempfile::tempdir().unwrap();
        let c = config(
            &[
                ("AURAVEST_YAHOO_BASE_URL", "http://127.0.0.1:9"),
                ("AURAVEST_ALPHAVANTAGE_API_KEY", "very-secret-key"),
                ("AURAVEST_REDIS_NAMESPACE", " staging "),
            ],
            dir.path(),
        )
        .unwrap();
        assert_eq!(
            c.market_vars.get("AURAVEST_YAHOO_BASE_URL").as_deref(),
            Some("http://127.0.0.1:9")
        );
        assert_eq!(c.market_vars.get("AURAVEST_STOOQ_BASE_URL"), None);
        assert_eq!(c.redis_namespace, "staging");
        let shown = format!("{c:?}");
        assert!(shown.contains("AURAVEST_ALPHAVANTAGE_API_KEY"), "{shown}");
        assert!(!shown.contains("very-secret-key"), "{shown}");
        assert_eq!(config(&[], dir.path()).unwrap().redis_namespace, "auravest");
    }
}
