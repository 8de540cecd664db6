//! Shared helpers: fixed times, communities and members.

use auravest_social::{Community, Config, Role, UserId, seeded_rng};
use chrono::{DateTime, Utc};

/// A fixed time: `secs` seconds after 2024-07-03 09:46:40 UTC.
pub(crate) fn t(secs: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_720_000_000 + secs, 0).expect("valid time")
}

/// Default rules, except rate limits high enough for bulk setups.
pub(crate) fn relaxed() -> Config {
    Config {
        posts_per_minute: 100_000,
        posts_per_day: 100_000,
        ..Config::default()
    }
}

/// A community over a memory store with `config`, and `n` members with the
/// given aliases (or default ones when `aliases` is shorter).
pub(crate) async fn community_with(
    config: Config,
    aliases: &[&str],
    n: usize,
) -> (Community, Vec<UserId>) {
    let mut community = Community::new(auravest_social::MemoryStore::new(), config);
    let mut rng = seeded_rng(7);
    let mut users = Vec::with_capacity(n);
    for i in 0..n {
        let id = community.register(t(0), &mut rng).await.expect("register");
        if let Some(alias) = aliases.get(i) {
            community
                .change_alias(id, alias, t(0))
                .await
                .expect("alias");
        }
        users.push(id);
    }
    (community, users)
}

/// Relaxed rules and `n` members with default aliases.
pub(crate) async fn community(n: usize) -> (Community, Vec<UserId>) {
    community_with(relaxed(), &[], n).await
}

/// Registers a member with a role.
pub(crate) async fn staff(community: &mut Community, role: Role, seed: u64) -> UserId {
    community
        .register_with_role(role, t(0), &mut seeded_rng(seed))
        .await
        .expect("register staff")
}

/// Runs a future to completion on a fresh current-thread runtime: for
/// property tests, whose bodies cannot be `async`.
pub(crate) fn block_on<F: Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a current-thread runtime")
        .block_on(future)
}
