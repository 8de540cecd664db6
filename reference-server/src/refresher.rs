//! The background price refresher: one replica (the holder of the store's
//! `price_refresher` leader lock) refreshes the last prices and daily closes
//! of every held symbol.
//!
//! # Schedule (UTC)
//! US market hours are taken as Monday–Friday 14:30–21:00 UTC (the NYSE
//! session in winter; in summer it runs 13:30–20:00, so the first hour is
//! missed and one extra hour refreshed: close enough for delayed quotes, and
//! no time-zone database needed). During those hours the refresh runs every
//! `config.refresh_interval`; on weekdays it runs once more on the first
//! tick at or after 21:00, for the closing prices; and it runs once when the
//! replica becomes the leader, so a fresh deployment has prices at once.
//! Holidays are not known: the refreshes then just find the same prices.
//!
//! # Leadership
//! The loop keeps the lock for as long as it runs, so only one replica
//! refreshes and the schedule is not repeated by others between ticks. Every
//! [`LEADER_RECHECK`] it gives the lock back and takes it again, so a lock
//! lost silently (a dropped database session) cannot leave two leaders for
//! long. [`run_once`] takes the lock for one refresh and releases it.

use std::time::Duration;

use chrono::{DateTime, Datelike as _, NaiveTime, Timelike as _, Utc, Weekday};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::prices::RefreshReport;
use crate::state::AppState;
use crate::store::LeaderLock;

/// The leader lock's name.
pub const LOCK_NAME: &str = "price_refresher";

/// How often the leader gives its lock back and takes it again.
pub const LEADER_RECHECK: Duration = Duration::from_secs(600);

/// The longest pause between ticks.
const MAX_TICK: Duration = Duration::from_secs(60);

/// When US market hours open and close (UTC, approximated; see the module docs).
const OPEN: (u32, u32) = (14, 30);
const CLOSE: (u32, u32) = (21, 0);

fn weekday(t: DateTime<Utc>) -> bool {
    !matches!(t.weekday(), Weekday::Sat | Weekday::Sun)
}

/// True on weekdays between 14:30 and 21:00 UTC.
pub fn in_market_hours(t: DateTime<Utc>) -> bool {
    let hm = (t.hour(), t.minute());
    weekday(t) && hm >= OPEN && hm < CLOSE
}

/// Whether a refresh is due at `now`, given the last one this leader ran
/// (`None`: not yet).
pub fn due(now: DateTime<Utc>, last: Option<DateTime<Utc>>, interval: Duration) -> bool {
    let Some(last) = last else {
        return true;
    };
    if in_market_hours(now) {
        let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::MAX);
        return now - last >= interval;
    }
    let close_time = NaiveTime::from_hms_opt(CLOSE.0, CLOSE.1, 0).unwrap_or(NaiveTime::MIN);
    let close = now.date_naive().and_time(close_time).and_utc();
    weekday(now) && now >= close && last < close
}

/// Refreshes the held symbols once if this replica gets the leader lock;
/// `None` when another replica holds it (or the store failed, which is logged).
pub async fn run_once(state: &AppState) -> Option<RefreshReport> {
    let lock = match state.store.try_leader_lock(LOCK_NAME).await {
        Ok(Some(lock)) => lock,
        Ok(None) => return None,
        Err(e) => {
            tracing::warn!(error = %e, "price refresher: could not take the leader lock");
            return None;
        }
    };
    let report = refresh(state).await;
    if let Err(e) = lock.release().await {
        tracing::warn!(error = %e, "price refresher: could not release the leader lock");
    }
    Some(report)
}

/// Symbols whose news one refresh asks for.
const NEWS_PER_TICK: usize = 100;

/// One refresh of the held symbols (the caller holds the lock).
async fn refresh(state: &AppState) -> RefreshReport {
    let symbols = match state.store.held_symbols().await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "price refresher: could not list held symbols");
            return RefreshReport::default();
        }
    };
    let report = state.prices.refresh(&symbols).await;
    tracing::info!(
        refreshed = report.refreshed.len(),
        failed = report.failed.len(),
        closes = report.closes,
        "prices refreshed"
    );
    match crate::services::alerts::check(state, &report.quotes, Utc::now()).await {
        Ok(done) if done.checked > 0 => tracing::info!(
            checked = done.checked,
            fired = done.fired,
            rearmed = done.rearmed,
            "price alerts checked"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "price alerts could not be checked"),
    }
    // News for the same symbols, each at most every 30 minutes.
    if state.news.is_some() {
        let mut stored = 0;
        for symbol in report.refreshed.iter().take(NEWS_PER_TICK) {
            match crate::services::news::refresh(state, symbol).await {
                Ok(n) => stored += n,
                Err(e) => tracing::warn!(%symbol, error = %e, "news could not be stored"),
            }
        }
        if stored > 0 {
            tracing::info!(headlines = stored, "news refreshed");
        }
    }
    report
}

/// Starts the refresher in its own task; it stops when `shutdown` turns
/// true (or its sender is dropped), releasing the lock if it holds it.
pub fn spawn(state: AppState, shutdown: watch::Receiver<bool>) -> JoinHandle<()> {
    tokio::spawn(run(state, shutdown))
}

async fn run(state: AppState, mut shutdown: watch::Receiver<bool>) {
    let tick = state.config.refresh_interval.min(MAX_TICK);
    let mut lock: Option<(Box<dyn LeaderLock>, tokio::time::Instant)> = None;
    let mut last: Option<DateTime<Utc>> = None;
    loop {
        if *shutdown.borrow() {
            break;
        }
        // Give the lock back now and then and take it again (see the module docs).
        if let Some((held, since)) = lock.take() {
            if since.elapsed() >= LEADER_RECHECK {
                if let Err(e) = held.release().await {
                    tracing::warn!(error = %e, "price refresher: could not release the leader lock");
                }
            } else {
                lock = Some((held, since));
            }
        }
        if lock.is_none() {
            match state.store.try_leader_lock(LOCK_NAME).await {
                Ok(Some(held)) => {
                    lock = Some((held, tokio::time::Instant::now()));
                }
                Ok(None) => last = None,
                Err(e) => {
                    tracing::warn!(error = %e, "price refresher: could not take the leader lock")
                }
            }
        }
        if lock.is_some() && due(Utc::now(), last, state.config.refresh_interval) {
            last = Some(Utc::now());
            refresh(&state).await;
        }
        tokio::select! {
            () = tokio::time::sleep(tick) => {}
            changed = shutdown.changed() => {
                if changed.is_err() {
                    break;
                }
            }
        }
    }
    if let Some((held, _)) = lock
        && let Err(e) = held.release().await
    {
        tracing::warn!(error = %e, "price refresher: could not release the leader lock");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const FIFTEEN: Duration = Duration::from_secs(900);

    #[test]
    fn market_hours_are_weekdays_from_14_30_to_21_utc() {
        assert!(in_market_hours(t("2024-01-08T14:30:00Z"))); // Monday
        assert!(in_market_hours(t("2024-01-08T20:59:59Z")));
        assert!(!in_market_hours(t("2024-01-08T14:29:59Z")));
        assert!(!in_market_hours(t("2024-01-08T21:00:00Z")));
        assert!(!in_market_hours(t("2024-01-06T15:00:00Z"))); // Saturday
    }

    #[test]
    fn every_interval_in_hours_once_after_the_close_and_never_on_weekends() {
        // The first tick always runs.
        assert!(due(t("2024-01-06T03:00:00Z"), None, FIFTEEN));
        let last = t("2024-01-08T15:00:00Z");
        assert!(!due(t("2024-01-08T15:14:00Z"), Some(last), FIFTEEN));
        assert!(due(t("2024-01-08T15:15:00Z"), Some(last), FIFTEEN));
        // After the close: once.
        assert!(due(
            t("2024-01-08T21:00:30Z"),
            Some(t("2024-01-08T20:50:00Z")),
            FIFTEEN
        ));
        assert!(!due(
            t("2024-01-08T23:00:00Z"),
            Some(t("2024-01-08T21:00:30Z")),
            FIFTEEN
        ));
        // Overnight and at the weekend: nothing.
        assert!(!due(
            t("2024-01-09T03:00:00Z"),
            Some(t("2024-01-08T21:00:30Z")),
            FIFTEEN
        ));
        assert!(!due(
            t("2024-01-06T22:00:00Z"),
            Some(t("2024-01-05T21:00:30Z")),
            FIFTEEN
        ));
    }
}
