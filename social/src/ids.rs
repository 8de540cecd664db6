//! Opaque record ids.
//!
//! Ids print and serialise as a letter and a number (`u7`, `p42`), so they can
//! never be confused with counts in a JSON view and a test can look for one
//! as an exact string.

use std::fmt;
use std::str::FromStr;

use crate::{Error, Result};

macro_rules! id_type {
    ($(#[$meta:meta])* $name:ident, $prefix:literal, $field:literal) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(u64);

        impl $name {
            /// Wraps a raw number; stores assign these, counting up from 1.
            pub const fn new(raw: u64) -> Self {
                Self(raw)
            }

            /// The raw number.
            pub const fn get(self) -> u64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }

        impl FromStr for $name {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self> {
                s.strip_prefix($prefix)
                    .filter(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|digits| digits.parse().ok())
                    .map(Self)
                    .ok_or_else(|| Error::invalid($field, format!(concat!("expected `", $prefix, "` and a number, got {:?}"), s)))
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> std::result::Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                text.parse().map_err(serde::de::Error::custom)
            }
        }

        // A string (`p42`), as the id serialises.
        #[cfg(feature = "openapi")]
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .pattern(Some(concat!("^", $prefix, "[0-9]+$")))
                    .examples([concat!($prefix, "1")])
                    .into()
            }
        }

        #[cfg(feature = "openapi")]
        impl utoipa::ToSchema for $name {}
    };
}

id_type!(
    /// A member of the community (`u7`).
    UserId,
    "u",
    "user_id"
);
id_type!(
    /// A post or a comment (`p42`).
    PostId,
    "p",
    "post_id"
);
id_type!(
    /// A notification (`n3`).
    NotificationId,
    "n",
    "notification_id"
);
id_type!(
    /// An entry of the audit log (`a1`).
    AuditId,
    "a",
    "audit_id"
);

/// A deterministic 64-bit generator (SplitMix64) seeded by the caller.
///
/// The crate never reads a global RNG: functions that need randomness take
/// `&mut impl FnMut() -> u64`, and this is one way to make such a closure.
///
/// ```
/// let mut a = auravest_social::seeded_rng(7);
/// let mut b = auravest_social::seeded_rng(7);
/// assert_eq!(a(), b());
/// ```
pub fn seeded_rng(seed: u64) -> impl FnMut() -> u64 {
    let mut state = seed;
    move || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_print_and_parse_with_their_prefix() {
        assert_eq!(UserId::new(7).to_string(), "u7");
        assert_eq!("p42".parse::<PostId>().unwrap(), PostId::new(42));
        for bad in ["42", "u", "u-1", "p42", "u4x", "U7", "u 7"] {
            assert!(bad.parse::<UserId>().is_err(), "{bad}");
        }
        assert_eq!(
            serde_json::to_string(&NotificationId::new(3)).unwrap(),
            "\"n3\""
        );
        assert_eq!(
            serde_json::from_str::<AuditId>("\"a9\"").unwrap(),
            AuditId::new(9)
        );
        assert!(serde_json::from_str::<AuditId>("9").is_err());
    }

    #[test]
    fn seeded_rng_is_deterministic_and_varies() {
        let mut a = seeded_rng(1);
        let first: Vec<u64> = (0..4).map(|_| a()).collect();
        let mut b = seeded_rng(1);
        let again: Vec<u64> = (0..4).map(|_| b()).collect();
        assert_eq!(first, again);
        let mut c = seeded_rng(2);
        assert_ne!(first[0], c());
        assert!(first.windows(2).all(|w| w[0] != w[1]));
    }
}
