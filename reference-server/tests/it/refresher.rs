//! Tests: refresher. One refresh stores the last prices and closes of the
//! held symbols; on one PostgreSQL database only one replica refreshes.

use std::sync::Arc;
use std::time::Duration;

use auravest_core::TransactionRecord;
use auravest_market::{Chain, Market, MemorySource};
use auravest_reference_server::crypto::Keys;
use auravest_reference_server::prices::PriceService;
use auravest_reference_server::refresher::{LOCK_NAME, run_once};
use auravest_reference_server::store::{PortfolioRecord, Role, Store, UserRecord, sql};
use auravest_reference_server::{AppState, Inner};
use chrono::Utc;
use uuid::Uuid;

use crate::support::{TestOptions, app, app_with};

/// A user holding `symbols` in one portfolio, written through the store.
async fn seed_holdings(store: &dyn Store, symbols: &[&str]) {
    let id = Uuid::new_v4();
    let now = Utc::now();
    store
        .create_user(&UserRecord {
            id,
            email_hash: format!("{id:x}"),
            email_enc: vec![1, 2, 3],
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
            role: Role::User,
            alias: format!("holder-{}", &id.simple().to_string()[..8]),
            display_mode: "percent".to_owned(),
            share_performance: false,
            count_holdings: false,
            theme: "system".to_owned(),
            dashboard: Vec::new(),
            terms_version: "test".to_owned(),
            terms_accepted_at: now,
            failed_logins: 0,
            locked_until: None,
            audit_subject: Uuid::new_v4(),
            created_at: now,
        })
        .await
        .expect("user");
    let portfolio = PortfolioRecord {
        id: Uuid::new_v4(),
        user_id: id,
        name: "Main".to_owned(),
        currency: "USD".to_owned(),
        created_at: now,
        version: 0,
    };
    store.create_portfolio(&portfolio).await.expect("portfolio");
    let rows: Vec<TransactionRecord> = symbols
        .iter()
        .map(|s| TransactionRecord {
            date: "2018-01-02".to_owned(),
            kind: "buy".to_owned(),
            symbol: Some((*s).to_owned()),
            quantity: Some("10".to_owned()),
            price: Some("100".to_owned()),
            fee: None,
            currency: "USD".to_owned(),
        })
        .collect();
    store
        .insert_transactions(portfolio.id, &rows)
        .await
        .expect("transactions");
}

#[tokio::test]
async fn run_once_stores_last_prices_and_closes_for_the_held_symbols() {
    // The app's market is the shipped sample (2015-01-02 to 2018-04-11).
    let app = app().await;
    let store = &app.state.store;
    seed_holdings(store.as_ref(), &["AAPL", "SPY"]).await;
    let report = run_once(&app.state).await.expect("the only replica leads");
    assert_eq!(report.refreshed, ["AAPL", "SPY"], "{report:?}");
    assert!(report.failed.is_empty(), "{report:?}");
    let symbols = vec!["AAPL".to_owned(), "SPY".to_owned()];
    let last = store.last_prices(&symbols).await.unwrap();
    let aapl = last
        .iter()
        .find(|p| p.symbol == "AAPL")
        .expect("AAPL stored");
    assert_eq!(aapl.as_of.to_string(), "2018-04-11");
    assert!((aapl.price.parse::<f64>().unwrap() - 172.440_002).abs() < 1e-9);
    assert_eq!(aapl.source, "file");
    let closes = store.closes(&symbols, None, None).await.unwrap();
    assert_eq!(report.closes, closes.len());
    let aapl: Vec<_> = closes.iter().filter(|c| c.symbol == "AAPL").collect();
    // A year of trading days up to the last quote.
    assert!(aapl.len() > 240, "{}", aapl.len());
    assert_eq!(aapl.first().unwrap().date.to_string(), "2017-04-10");
    assert_eq!(aapl.last().unwrap().date.to_string(), "2018-04-11");
    let text = app.state.metrics.render();
    assert!(
        text.contains(r#"price_refreshes_total{source="file",outcome="ok"} 2"#),
        "{text}"
    );
    // A held symbol no source knows is reported, not a panic.
    seed_holdings(store.as_ref(), &["NOPE"]).await;
    let report = run_once(&app.state).await.unwrap();
    assert_eq!(report.failed.len(), 1, "{report:?}");
    assert_eq!(report.failed[0].0, "NOPE");
}

/// A database of its own on the PostgreSQL at `DATABASE_URL` (default
/// `postgres://postgres@127.0.0.1/postgres`), dropped by [`TestDb::drop_db`].
/// `None` (a skip) when PostgreSQL is unreachable, except under `CI=true`.
struct TestDb {
    admin: sqlx::PgPool,
    name: String,
    url: String,
}

impl TestDb {
    async fn create() -> Option<Self> {
        let base = std::env::var("DATABASE_URL")
            .ok()
            .filter(|u| u.starts_with("postgres"))
            .unwrap_or_else(|| "postgres://postgres@127.0.0.1/postgres".to_owned());
        let admin = match sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(Duration::from_secs(5))
            .connect(&base)
            .await
        {
            Ok(p) => p,
            Err(e) if std::env::var("CI").is_ok_and(|v| v == "true") => {
                panic!("PostgreSQL is unreachable under CI: {e}")
            }
            Err(e) => {
                eprintln!("skipped: PostgreSQL is unreachable: {e}");
                return None;
            }
        };
        let name = format!("auravest_test_{}", Uuid::new_v4().simple());
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&admin)
            .await
            .expect("create database");
        let (prefix, _) = base.rsplit_once('/').expect("a database in the URL");
        let url = format!("{prefix}/{name}");
        Some(Self { admin, name, url })
    }

    async fn drop_db(self) {
        let _ = sqlx::query(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            self.name
        ))
        .execute(&self.admin)
        .await;
    }
}

/// The app's state with its own store and a slow in-memory market (each
/// call takes `delay`), so two refreshes started together overlap.
async fn replica(store: Arc<dyn Store>, delay: Duration) -> AppState {
    let base = app_with(TestOptions {
        store: Some(Arc::clone(&store)),
        ..TestOptions::default()
    })
    .await
    .state;
    let source = MemorySource::new("memory", 10)
        .with_closes("AAPL", &[("2024-01-02", 185.64), ("2024-01-03", 184.25)])
        .with_delay(delay);
    let market = Arc::new(Market::new(Arc::new(Chain::new(vec![Arc::new(source)]))));
    let prices = PriceService::new(market, Arc::clone(&store), None, base.metrics.clone());
    AppState::new(Inner {
        config: base.config.clone(),
        store,
        keys: Keys::new(&base.config.secrets),
        limiter: Arc::clone(&base.limiter),
        metrics: base.metrics.clone(),
        prices,
        assistant: auravest_reference_server::state::AssistantSlot::disabled(),
        ledgers: auravest_reference_server::ledger::LedgerCache::default(),
        ledger_locks: Default::default(),
        drafting: Default::default(),
        live: base.live.clone(),
        news: base.news.clone(),
    })
}

#[tokio::test]
async fn two_refreshers_on_one_postgres_database_only_one_runs() {
    let Some(db) = TestDb::create().await else {
        return;
    };
    // Two replicas: two pools on the same database.
    let a = sql::connect_url(&db.url).await.expect("store a");
    a.migrate().await.expect("migrations");
    let b = sql::connect_url(&db.url).await.expect("store b");
    seed_holdings(a.as_ref(), &["AAPL"]).await;
    let ra = replica(Arc::clone(&a), Duration::from_millis(400)).await;
    let rb = replica(Arc::clone(&b), Duration::from_millis(400)).await;

    // While one replica holds the lock, the other's refresh does not run.
    let held = a.try_leader_lock(LOCK_NAME).await.unwrap().expect("free");
    assert!(run_once(&rb).await.is_none());
    held.release().await.unwrap();
    assert!(run_once(&rb).await.is_some(), "free again once released");

    // Started together: exactly one refreshes.
    let (x, y) = tokio::join!(run_once(&ra), run_once(&rb));
    let ran: Vec<_> = [x, y].into_iter().flatten().collect();
    assert_eq!(ran.len(), 1, "exactly one replica refreshed");
    assert_eq!(ran[0].refreshed, ["AAPL"]);
    let last = b.last_prices(&["AAPL".to_owned()]).await.unwrap();
    assert_eq!(last[0].price, "184.25");
    assert_eq!(last[0].source, "memory");

    drop((ra, rb, a, b));
    db.drop_db().await;
}

/// A backfill that failed (the source was down) is tried again after its
/// back-off, and then stores the closes; it is never marked as done for good.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_backfill_is_retried_after_its_back_off() {
    let app = app().await;
    let store = Arc::clone(&app.state.store);
    let source = Arc::new(
        MemorySource::new("memory", 10)
            .with_closes("AAPL", &[("2024-01-02", 185.64), ("2024-01-03", 184.25)]),
    );
    source.fail_with(auravest_market::Error::Unavailable {
        source_name: "memory".to_owned(),
        reason: "down for the test".to_owned(),
        detail: String::new(),
    });
    let market = Arc::new(Market::new(Arc::new(Chain::new(vec![
        Arc::clone(&source) as Arc<dyn auravest_market::QuoteSource>
    ]))));
    let prices = PriceService::new(market, Arc::clone(&store), None, app.state.metrics.clone())
        .with_backfill_retry(Duration::from_millis(1500));
    let want = [("AAPL".to_owned(), "2024-01-01".parse().unwrap())];
    let to = "2024-01-05".parse().unwrap();
    assert!(
        !prices.backfill(&want, to).await.unwrap(),
        "nothing stored while down"
    );
    source.clear_failure();
    // Within the back-off: not asked again.
    prices.backfill(&want, to).await.unwrap();
    let syms = vec!["AAPL".to_owned()];
    assert!(store.closes(&syms, None, None).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert!(
        prices.backfill(&want, to).await.unwrap(),
        "retried and stored"
    );
    assert_eq!(store.closes(&syms, None, None).await.unwrap().len(), 2);
}

/// A symbol no source prices is asked for once, not on every request that
/// finds it unpriced; after its back-off it is tried again, and once a
/// source knows it the refresh stores it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unpriced_symbol_is_not_asked_for_on_every_request() {
    let app = app().await;
    let store = Arc::clone(&app.state.store);
    let source = Arc::new(MemorySource::new("memory", 10));
    let market = Arc::new(Market::new(Arc::new(Chain::new(vec![
        Arc::clone(&source) as Arc<dyn auravest_market::QuoteSource>
    ]))));
    let prices = PriceService::new(market, Arc::clone(&store), None, app.state.metrics.clone())
        .with_backfill_retry(Duration::from_millis(1500));
    let wanted = vec!["ZZZZ".to_owned()];
    let first = prices.refresh_missing(&wanted).await;
    assert_eq!(first.failed.len(), 1, "{first:?}");
    let asked = source.calls();
    assert!(asked > 0, "the source was asked once");
    for _ in 0..5 {
        let again = prices.refresh_missing(&wanted).await;
        assert!(
            again.failed.is_empty() && again.refreshed.is_empty(),
            "{again:?}"
        );
    }
    assert_eq!(source.calls(), asked, "not asked again within the back-off");
    // The background refresh is not held back by it.
    assert_eq!(prices.refresh(&wanted).await.failed.len(), 1);
    assert!(source.calls() > asked);

    // A source that knows it now: after the back-off it is stored.
    let known = Arc::new(
        MemorySource::new("memory", 10)
            .with_closes("AAPL", &[("2024-01-02", 185.64), ("2024-01-03", 184.25)]),
    );
    let market = Arc::new(Market::new(Arc::new(Chain::new(vec![
        Arc::clone(&known) as Arc<dyn auravest_market::QuoteSource>
    ]))));
    let prices = PriceService::new(market, Arc::clone(&store), None, app.state.metrics.clone())
        .with_backfill_retry(Duration::from_millis(1500));
    let aapl = vec!["AAPL".to_owned()];
    known.fail_with(auravest_market::Error::Unavailable {
        source_name: "memory".to_owned(),
        reason: "down for the test".to_owned(),
        detail: String::new(),
    });
    assert_eq!(prices.refresh_missing(&aapl).await.failed.len(), 1);
    known.clear_failure();
    assert!(
        prices.refresh_missing(&aapl).await.refreshed.is_empty(),
        "within the back-off"
    );
    assert!(store.last_prices(&aapl).await.unwrap().is_empty());
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_eq!(prices.refresh_missing(&aapl).await.refreshed, ["AAPL"]);
    assert_eq!(store.last_prices(&aapl).await.unwrap()[0].price, "184.25");
}
