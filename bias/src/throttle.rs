//! Throttling: no nudge repeated within its cool-down, at most a few a day,
//! the most severe first.

use std::collections::BTreeSet;

use auravest_core::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::Result;
use crate::config::ThrottleConfig;
use crate::dates::days_between;
use crate::nudge::{Nudge, NudgeKind};

/// A nudge that was shown to the investor: the history throttling works from.
///
/// JSON: `{"kind": "concentration", "subject": "AAPL", "shown_on": "2024-05-02"}`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ShownNudge {
    /// Its kind.
    pub kind: NudgeKind,
    /// Its subject.
    #[serde(default)]
    pub subject: Option<String>,
    /// The day it was shown.
    pub shown_on: NaiveDate,
}

impl ShownNudge {
    /// The record of showing `nudge` on `day`.
    pub fn of(nudge: &Nudge, day: NaiveDate) -> Self {
        Self {
            kind: nudge.kind,
            subject: nudge.subject.clone(),
            shown_on: day,
        }
    }
}

/// Picks the nudges to show `today` from `candidates`, given what was shown before.
///
/// 1. A candidate whose kind and subject were shown fewer than
///    `cooldown_days` (7) days before `today` is dropped (a record dated after
///    `today` counts as recent).
/// 2. Of candidates with the same kind and subject, only the most severe
///    (the first among equals) is kept.
/// 3. The rest are ordered most severe first (detector order among equals)
///    and cut to `max_per_day` (3) minus the nudges already shown `today`.
///
/// # Errors
/// [`crate::Error::InvalidThreshold`] for a bad `config`.
pub fn throttle(
    candidates: Vec<Nudge>,
    history: &[ShownNudge],
    today: NaiveDate,
    config: &ThrottleConfig,
) -> Result<Vec<Nudge>> {
    config.validate()?;
    let cooldown = i64::from(config.cooldown_days);
    let recent: BTreeSet<(NudgeKind, Option<&str>)> = history
        .iter()
        .filter(|h| days_between(h.shown_on, today) < cooldown)
        .map(|h| (h.kind, h.subject.as_deref()))
        .collect();
    let shown_today = history.iter().filter(|h| h.shown_on == today).count();
    let budget = (config.max_per_day as usize).saturating_sub(shown_today);
    let mut fresh: Vec<Nudge> = candidates
        .into_iter()
        .filter(|n| !recent.contains(&n.key()))
        .collect();
    fresh.sort_by_key(|n| std::cmp::Reverse(n.severity));
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(budget);
    for n in fresh {
        if out.len() == budget {
            break;
        }
        if seen.insert((n.kind, n.subject.clone())) {
            out.push(n);
        }
    }
    Ok(out)
}
