//! Source lists as people write them: a command-line `--source`, a server's
//! `AURAVEST_MARKET_SOURCES`, an app's settings screen. One vocabulary, one
//! parser, and (feature `http`) one builder, so every shell means the same
//! thing by the same word.
//!
//! | entry       | source                                                           |
//! |-------------|------------------------------------------------------------------|
//! | `network`   | every HTTP source the [`HttpConfig`](crate::HttpConfig) enables: Yahoo, Alpha Vantage (with a key), Stooq |
//! | `yahoo`     | Yahoo Finance only                                               |
//! | `alphavantage` | Alpha Vantage only (needs its API key)                        |
//! | `stooq`     | Stooq only                                                       |
//! | `file:DIR`  | the CSV files in `DIR` ([`FileSource`])                          |
//! | `sample`    | prices the embedding application ships, in a folder it names     |
//!
//! Order matters: file entries written before the first network entry are
//! tried before the network (a local override), those after it are the
//! offline fallback.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

use crate::error::{Error, Result};

/// The words a source list accepts, for messages and help text.
pub const SOURCE_VOCABULARY: &str = "network, yahoo, alphavantage, stooq, sample, file:DIR";

/// Entries one list may hold.
pub const MAX_SOURCES: usize = 16;

/// One entry of a source list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceSpec {
    /// Every HTTP source the configuration enables, in their own order.
    Network,
    /// Yahoo Finance alone.
    Yahoo,
    /// Alpha Vantage alone.
    AlphaVantage,
    /// Stooq alone.
    Stooq,
    /// The CSV files in a folder.
    File(PathBuf),
    /// The sample prices the application ships (it says where they are when
    /// it builds the sources).
    Sample,
}

impl SourceSpec {
    /// True for the entries that reach the network.
    pub fn is_network(&self) -> bool {
        matches!(
            self,
            Self::Network | Self::Yahoo | Self::AlphaVantage | Self::Stooq
        )
    }

    /// Parses a comma-separated list (blanks around entries ignored), naming
    /// `field` in any error.
    ///
    /// # Errors
    /// [`Error::InvalidRequest`] for an empty list, more than
    /// [`MAX_SOURCES`] entries or an entry outside [`SOURCE_VOCABULARY`].
    ///
    /// ```
    /// use auravest_market::SourceSpec;
    /// let list = SourceSpec::parse_list("--source", "file:prices, network")?;
    /// assert_eq!(list, [SourceSpec::File("prices".into()), SourceSpec::Network]);
    /// assert!(SourceSpec::parse_list("--source", "bloomberg").is_err());
    /// # Ok::<(), auravest_market::Error>(())
    /// ```
    pub fn parse_list(field: &'static str, text: &str) -> Result<Vec<Self>> {
        let entries: Vec<&str> = text
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect();
        if entries.is_empty() {
            return Err(Error::InvalidRequest {
                field,
                reason: format!("no source given; use one or more of {SOURCE_VOCABULARY}"),
            });
        }
        if entries.len() > MAX_SOURCES {
            return Err(Error::InvalidRequest {
                field,
                reason: format!("{} sources, at most {MAX_SOURCES}", entries.len()),
            });
        }
        entries
            .into_iter()
            .map(|e| {
                e.parse().map_err(|e| match e {
                    Error::InvalidRequest { reason, .. } => Error::InvalidRequest { field, reason },
                    other => other,
                })
            })
            .collect()
    }
}

impl FromStr for SourceSpec {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        let spec = match s.to_ascii_lowercase().as_str() {
            "network" => Self::Network,
            "yahoo" => Self::Yahoo,
            "alphavantage" => Self::AlphaVantage,
            "stooq" => Self::Stooq,
            "sample" => Self::Sample,
            _ => match s.strip_prefix("file:").map(str::trim) {
                Some(dir) if !dir.is_empty() && !dir.chars().any(char::is_control) => {
                    Self::File(PathBuf::from(dir))
                }
                Some(_) => {
                    return Err(Error::InvalidRequest {
                        field: "source",
                        reason: "file: needs a folder, as in file:./prices".to_owned(),
                    });
                }
                None => {
                    let shown: String = s.chars().take(40).collect();
                    return Err(Error::InvalidRequest {
                        field: "source",
                        reason: format!("{shown:?} is not one of {SOURCE_VOCABULARY}"),
                    });
                }
            },
        };
        Ok(spec)
    }
}

impl fmt::Display for SourceSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Network => f.write_str("network"),
            Self::Yahoo => f.write_str("yahoo"),
            Self::AlphaVantage => f.write_str("alphavantage"),
            Self::Stooq => f.write_str("stooq"),
            Self::Sample => f.write_str("sample"),
            Self::File(dir) => write!(f, "file:{}", dir.display()),
        }
    }
}

#[cfg(feature = "http")]
mod build {
    use std::path::Path;
    use std::sync::Arc;

    use super::SourceSpec;
    use crate::error::{Error, Result};
    use crate::{
        AlphaVantageSource, FileSource, HttpConfig, QuoteSource, StooqSource, YahooSource,
    };

    /// Priority of the first file entry written before any network entry.
    const LOCAL_FIRST: u32 = 1;
    /// Priority of the first file entry written after one (the HTTP sources
    /// use 10 to 30).
    const LOCAL_AFTER: u32 = 40;

    impl SourceSpec {
        /// The sources of a list, ready for a [`Chain`](crate::Chain):
        /// network entries from `http`, `sample` from `sample_dir`.
        ///
        /// # Errors
        /// [`Error::InvalidRequest`] for `alphavantage` without an API key,
        /// or `sample` when the application ships none (`sample_dir` unset);
        /// [`Error::Unavailable`] when an HTTP client cannot be built.
        pub fn build_all(
            specs: &[Self],
            http: &HttpConfig,
            sample_dir: Option<&Path>,
        ) -> Result<Vec<Arc<dyn QuoteSource>>> {
            let mut out: Vec<Arc<dyn QuoteSource>> = Vec::new();
            let mut network_seen = false;
            for (i, spec) in (0u32..).zip(specs) {
                let local = if network_seen {
                    LOCAL_AFTER
                } else {
                    LOCAL_FIRST
                } + i;
                match spec {
                    Self::Network => out.extend(http.sources()?),
                    Self::Yahoo => out.push(Arc::new(YahooSource::new(http)?)),
                    Self::AlphaVantage => {
                        if http.alphavantage_api_key.is_none() {
                            return Err(Error::InvalidRequest {
                                field: "source",
                                reason: "alphavantage needs AURAVEST_ALPHAVANTAGE_API_KEY"
                                    .to_owned(),
                            });
                        }
                        out.push(Arc::new(AlphaVantageSource::new(http)?));
                    }
                    Self::Stooq => out.push(Arc::new(StooqSource::new(http)?)),
                    Self::File(dir) => {
                        out.push(Arc::new(FileSource::new(dir).with_priority(local)));
                    }
                    Self::Sample => {
                        let Some(dir) = sample_dir else {
                            return Err(Error::InvalidRequest {
                                field: "source",
                                reason: "sample: no sample prices are shipped here".to_owned(),
                            });
                        };
                        out.push(Arc::new(FileSource::new(dir).with_priority(local)));
                    }
                }
                network_seen |= spec.is_network();
            }
            Ok(out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_vocabulary_in_order() {
        let list = SourceSpec::parse_list(
            "x",
            " file:/srv/p , network,SAMPLE,yahoo,stooq,alphavantage",
        )
        .unwrap();
        assert_eq!(
            list,
            [
                SourceSpec::File("/srv/p".into()),
                SourceSpec::Network,
                SourceSpec::Sample,
                SourceSpec::Yahoo,
                SourceSpec::Stooq,
                SourceSpec::AlphaVantage,
            ]
        );
        let shown: Vec<String> = list.iter().map(ToString::to_string).collect();
        assert_eq!(shown[0], "file:/srv/p");
        assert_eq!(SourceSpec::parse_list("x", &shown.join(",")).unwrap(), list);
    }

    #[test]
    fn refuses_unknown_empty_and_oversized_lists_naming_the_field() {
        for (text, part) in [
            ("bloomberg", "\"bloomberg\" is not one of network"),
            ("", "no source given"),
            (" , ", "no source given"),
            ("file:", "file: needs a folder"),
            ("file:\u{7}", "file: needs a folder"),
        ] {
            let e = SourceSpec::parse_list("AURAVEST_MARKET_SOURCES", text).unwrap_err();
            let shown = e.to_string();
            assert!(
                shown.contains("AURAVEST_MARKET_SOURCES") && shown.contains(part),
                "{text:?}: {shown}"
            );
        }
        let many = vec!["network"; MAX_SOURCES + 1].join(",");
        assert!(SourceSpec::parse_list("f", &many).is_err());
        let long = "x".repeat(10_000);
        let shown = SourceSpec::parse_list("f", &long).unwrap_err().to_string();
        assert!(shown.len() < 200, "{shown}");
    }

    #[cfg(feature = "http")]
    #[test]
    fn builds_local_entries_around_the_network() {
        use crate::HttpConfig;
        let http = HttpConfig::from_lookup(|_| None).unwrap();
        let specs = SourceSpec::parse_list("f", "file:a,network,sample").unwrap();
        let built = SourceSpec::build_all(&specs, &http, Some("s".as_ref())).unwrap();
        let names: Vec<(String, u32)> = built
            .iter()
            .map(|s| (s.info().name.clone(), s.info().priority))
            .collect();
        // file:a first, the network (Yahoo 10, Stooq 30: no Alpha Vantage
        // key), then the sample as the fallback.
        assert_eq!(names.first().map(|n| n.1), Some(1));
        assert!(names.iter().any(|n| n.0 == "yahoo"));
        assert!(!names.iter().any(|n| n.0 == "alphavantage"));
        assert_eq!(names.last().map(|n| n.1), Some(42));
        let Err(e) = SourceSpec::build_all(&specs, &http, None) else {
            panic!("sample without a folder was accepted")
        };
        assert!(e.to_string().contains("no sample prices"), "{e}");
        let av = SourceSpec::parse_list("f", "alphavantage").unwrap();
        let Err(e) = SourceSpec::build_all(&av, &http, None) else {
            panic!("alphavantage without a key was accepted")
        };
        assert!(e.to_string().contains("API_KEY"), "{e}");
    }
}
