//! Feeds and their cursors.
//!
//! Every feed pages with an opaque [`Cursor`]. The first page pins a
//! [`Snapshot`]: the time, the highest post id and the store's event sequence
//! number (likes, unlikes, flags and reviews each take the next number).
//! Later pages read the store as of that snapshot: posts newer than the
//! snapshot are left out of the walk, and ranked feeds score every post with
//! the likes and flags it had at the snapshot. Each page continues strictly
//! after the last item of the page before in a total order (time or score,
//! then post id). So a walk returns every post that was in the feed at its
//! first page exactly once, in one consistent order, however many posts are
//! added and likes given meanwhile; a post deleted, hidden or removed during
//! the walk is skipped. New posts appear when the member starts a new walk.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::ids::PostId;
use crate::{Error, Result};

/// The default page size.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The largest page size.
pub const MAX_PAGE_SIZE: usize = 100;

/// The feeds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeedKind {
    /// Every visible top-level post, newest first.
    Public,
    /// Non-anonymous top-level posts of the members the viewer follows, newest first.
    Following,
    /// Top-level posts of the trending window, by the configured rank formula.
    Trending,
    /// Top-level posts that tag one ticker, newest first.
    Symbol,
    /// One member's top-level posts, newest first (their anonymous ones only for themselves).
    Author,
    /// The comments of one post, oldest first.
    Comments,
    /// The comments of one post, best first (Wilson lower bound of likes against flags).
    BestComments,
}

impl FeedKind {
    fn code(self) -> &'static str {
        match self {
            Self::Public => "pub",
            Self::Following => "fol",
            Self::Trending => "trd",
            Self::Symbol => "sym",
            Self::Author => "usr",
            Self::Comments => "cmt",
            Self::BestComments => "bst",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        [
            Self::Public,
            Self::Following,
            Self::Trending,
            Self::Symbol,
            Self::Author,
            Self::Comments,
            Self::BestComments,
        ]
        .into_iter()
        .find(|k| k.code() == code)
    }
}

/// The state of the store a walk through a feed reads: pinned by its first page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Snapshot {
    /// The time of the first page.
    pub as_of: DateTime<Utc>,
    /// The highest post id at the first page (0 when there were none).
    pub max_post: u64,
    /// The store's event sequence number at the first page.
    pub event_seq: u64,
}

/// Where the previous page ended.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum SortKey {
    /// A post time and id (time-ordered feeds).
    Time { at: DateTime<Utc>, id: PostId },
    /// A score and id (ranked feeds).
    Score { score: f64, id: PostId },
}

/// An opaque position in a feed; pass it back to get the next page.
///
/// Cursors print as text (`c1~…`) and serialise as that text. A cursor only
/// works for the feed, and the scope (member, ticker or post), that made it.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub(crate) kind: FeedKind,
    pub(crate) scope: String,
    pub(crate) snapshot: Snapshot,
    pub(crate) last: SortKey,
}

impl Cursor {
    /// The feed the cursor belongs to.
    pub fn kind(&self) -> FeedKind {
        self.kind
    }

    /// The snapshot the walk reads.
    pub fn snapshot(&self) -> Snapshot {
        self.snapshot
    }
}

fn write_time(f: &mut fmt::Formatter<'_>, t: DateTime<Utc>) -> fmt::Result {
    write!(f, "{}.{}", t.timestamp(), t.timestamp_subsec_nanos())
}

fn parse_time(secs: &str, nanos: &str) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(secs.parse().ok()?, nanos.parse().ok()?)
}

impl fmt::Display for Cursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.snapshot;
        write!(
            f,
            "c1~{}~{}~{}~{}~",
            self.kind.code(),
            self.scope,
            s.max_post,
            s.event_seq
        )?;
        write_time(f, s.as_of)?;
        f.write_str("~")?;
        match self.last {
            SortKey::Time { at, id } => {
                f.write_str("t")?;
                write_time(f, at)?;
                write!(f, ".{}", id.get())
            }
            SortKey::Score { score, id } => write!(f, "s{:x}.{}", score.to_bits(), id.get()),
        }
    }
}

impl FromStr for Cursor {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |reason| Error::InvalidCursor { reason };
        let parts: Vec<&str> = s.split('~').collect();
        let [version, kind, scope, max_post, event_seq, as_of, last] = parts[..] else {
            return Err(bad("wrong number of fields"));
        };
        if version != "c1" {
            return Err(bad("unknown version"));
        }
        let kind = FeedKind::from_code(kind).ok_or(bad("unknown feed"))?;
        let (secs, nanos) = as_of.split_once('.').ok_or(bad("bad snapshot time"))?;
        let snapshot = Snapshot {
            as_of: parse_time(secs, nanos).ok_or(bad("bad snapshot time"))?,
            max_post: max_post.parse().map_err(|_| bad("bad snapshot post id"))?,
            event_seq: event_seq
                .parse()
                .map_err(|_| bad("bad snapshot sequence number"))?,
        };
        let last = if let Some(rest) = last.strip_prefix('t') {
            let mut it = rest.split('.');
            let (Some(secs), Some(nanos), Some(id), None) =
                (it.next(), it.next(), it.next(), it.next())
            else {
                return Err(bad("bad position"));
            };
            SortKey::Time {
                at: parse_time(secs, nanos).ok_or(bad("bad position time"))?,
                id: PostId::new(id.parse().map_err(|_| bad("bad position id"))?),
            }
        } else if let Some(rest) = last.strip_prefix('s') {
            let (bits, id) = rest.split_once('.').ok_or(bad("bad position"))?;
            let score = f64::from_bits(
                u64::from_str_radix(bits, 16).map_err(|_| bad("bad position score"))?,
            );
            if score.is_nan() {
                return Err(bad("bad position score"));
            }
            SortKey::Score {
                score,
                id: PostId::new(id.parse().map_err(|_| bad("bad position id"))?),
            }
        } else {
            return Err(bad("bad position"));
        };
        Ok(Self {
            kind,
            scope: scope.to_owned(),
            snapshot,
            last,
        })
    }
}

impl serde::Serialize for Cursor {
    fn serialize<S: serde::Serializer>(
        &self,
        serializer: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(
        deserializer: D,
    ) -> std::result::Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Which page to fetch.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct PageRequest {
    /// `None` for the first page; otherwise the previous page's `next`.
    pub cursor: Option<Cursor>,
    /// Items per page, 1–[`MAX_PAGE_SIZE`].
    pub limit: usize,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::first(DEFAULT_PAGE_SIZE)
    }
}

impl PageRequest {
    /// The first page.
    pub fn first(limit: usize) -> Self {
        Self {
            cursor: None,
            limit,
        }
    }

    /// The page after `cursor`.
    pub fn after(cursor: Cursor, limit: usize) -> Self {
        Self {
            cursor: Some(cursor),
            limit,
        }
    }

    pub(crate) fn checked_limit(&self) -> Result<usize> {
        if (1..=MAX_PAGE_SIZE).contains(&self.limit) {
            Ok(self.limit)
        } else {
            Err(Error::invalid(
                "limit",
                format!("must be 1-{MAX_PAGE_SIZE}, got {}", self.limit),
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64, nanos: u32) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, nanos).unwrap()
    }

    #[test]
    fn cursors_round_trip_as_text() {
        for last in [
            SortKey::Time {
                at: t(1_700_000_000, 5),
                id: PostId::new(9),
            },
            SortKey::Time {
                at: t(-5, 0),
                id: PostId::new(1),
            },
            SortKey::Score {
                score: 1234.5678901,
                id: PostId::new(3),
            },
            SortKey::Score {
                score: -0.25,
                id: PostId::new(3),
            },
        ] {
            let c = Cursor {
                kind: FeedKind::Symbol,
                scope: "BRK.B".to_owned(),
                snapshot: Snapshot {
                    as_of: t(1_700_000_100, 999_999_999),
                    max_post: 40,
                    event_seq: 77,
                },
                last,
            };
            let text = c.to_string();
            assert_eq!(text.parse::<Cursor>().unwrap(), c, "{text}");
            let json = serde_json::to_string(&c).unwrap();
            assert_eq!(serde_json::from_str::<Cursor>(&json).unwrap(), c);
        }
    }

    #[test]
    fn bad_cursors_are_refused() {
        for bad in [
            "",
            "c1~pub~-~1~2~3.0",
            "c2~pub~-~1~2~3.0~t1.0.1",
            "c1~xxx~-~1~2~3.0~t1.0.1",
            "c1~pub~-~x~2~3.0~t1.0.1",
            "c1~pub~-~1~2~3~t1.0.1",
            "c1~pub~-~1~2~3.0~t1.0",
            "c1~pub~-~1~2~3.0~q1.0.1",
            "c1~pub~-~1~2~3.0~s7ff8000000000000.1",
            "c1~pub~-~1~2~3.0~szz.1",
            "c1~pub~-~1~2~3.0~t1.0.1~extra",
        ] {
            assert!(
                matches!(bad.parse::<Cursor>(), Err(Error::InvalidCursor { .. })),
                "{bad}"
            );
        }
    }
}
