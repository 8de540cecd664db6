//! Where the server's prices come from: the market chain the configuration
//! names, the sample prices the project ships, and what the server knows
//! about instruments.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};

use chrono::NaiveDate;

use auravest_market::{Chain, HttpConfig, Market, MarketOptions, QuoteCache, SourceSpec};

use super::QUOTE_TTL;
use crate::config::Config;

/// The prices the project ships (`examples/data/prices.csv`): daily adjusted
/// closes of seven US tickers, 2015-01-02 to 2018-04-11.
const SAMPLE_PRICES: &str = include_str!("../../../examples/data/prices.csv");

/// Metadata (asset class, sector, country) of the sample's tickers, shipped
/// with the prices (`examples/data/instruments.csv`).
const SAMPLE_INSTRUMENTS: &str = include_str!("../../../examples/data/instruments.csv");

/// What the server knows about instruments: the SDK's shipped table of
/// common ETFs overlaid with the sample's tickers. A symbol in neither is
/// unclassified everywhere (valuation, nudges, recommendations), never
/// guessed.
pub fn instruments() -> &'static auravest_core::InstrumentTable {
    static TABLE: LazyLock<auravest_core::InstrumentTable> = LazyLock::new(|| {
        let shipped = auravest_core::InstrumentTable::shipped();
        shipped
            .clone()
            .with_mapping_csv(SAMPLE_INSTRUMENTS.as_bytes())
            .unwrap_or(shipped)
    });
    &TABLE
}

/// Why the market sources could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SourcesError {
    /// The HTTP sources' settings or client.
    #[error("network sources: {0}")]
    Network(#[from] auravest_market::Error),
    /// The sample prices could not be written.
    #[error("{path}: {source}")]
    Io {
        /// The path.
        path: String,
        /// The error.
        source: std::io::Error,
    },
    /// No source is configured.
    #[error("AURAVEST_MARKET_SOURCES lists no source")]
    Empty,
}

/// The market chain from `config.market_sources`, with the HTTP sources'
/// settings (`AURAVEST_YAHOO_BASE_URL`, ...) as the configuration read them:
///
/// - `network`: the market crate's HTTP chain (Yahoo, Alpha Vantage with a
///   key, Stooq; priorities 10–30);
/// - `sample`: the prices the project ships, written to
///   `<data dir>/sample-prices/prices.csv`;
/// - `file:DIR`: the CSV files in `DIR`.
///
/// File sources listed before `network` are tried before it; those after it
/// (the default, `network,sample`) are the offline fallback. Quotes stay
/// fresh for [`QUOTE_TTL`].
///
/// # Errors
/// A bad `AURAVEST_*_BASE_URL`, an HTTP client that cannot be built, or a
/// data folder the sample prices cannot be written to.
pub fn market_from_config(
    config: &Config,
    cache: Arc<dyn QuoteCache>,
) -> Result<Arc<Market>, SourcesError> {
    let http = HttpConfig::from_lookup(|k| config.market_vars.get(k))?;
    let sample = if uses_sample(config) {
        Some(write_sample(&config.data_dir)?)
    } else {
        None
    };
    let sources = SourceSpec::build_all(&config.market_sources, &http, sample.as_deref())?;
    if sources.is_empty() {
        return Err(SourcesError::Empty);
    }
    let options = MarketOptions {
        quote_ttl: chrono::Duration::seconds(i64::try_from(QUOTE_TTL.as_secs()).unwrap_or(60)),
        ..MarketOptions::default()
    };
    Ok(Arc::new(Market::with_cache(
        Arc::new(Chain::new(sources)),
        cache,
        options,
    )))
}

/// The days the shipped sample prices cover: what the UI says when it
/// shows them, and the range its date fields default into.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SampleData {
    /// First day with prices (`YYYY-MM-DD`).
    pub first: String,
    /// Last day with prices (`YYYY-MM-DD`).
    pub last: String,
    /// One sentence for a banner.
    pub note: String,
}

/// The first and last dates of the shipped sample prices.
pub fn sample_range() -> (NaiveDate, NaiveDate) {
    static RANGE: LazyLock<(NaiveDate, NaiveDate)> = LazyLock::new(|| {
        let day = |line: &str| {
            line.split(',')
                .next()
                .and_then(|d| d.parse::<NaiveDate>().ok())
        };
        let mut days = SAMPLE_PRICES.lines().skip(1).filter_map(day);
        let first = days.next().unwrap_or(NaiveDate::MIN);
        (first, days.last().unwrap_or(first))
    });
    *RANGE
}

/// The banner for prices dated `as_of`: set when the configuration falls
/// back to the sample prices and `as_of` is inside them (no network source
/// answered later prices).
pub fn sample_note(config: &Config, as_of: NaiveDate) -> Option<SampleData> {
    let (first, last) = sample_range();
    (uses_sample(config) && as_of <= last).then(|| SampleData {
        first: first.to_string(),
        last: last.to_string(),
        note: format!(
            "Prices are the sample data shipped with AuraVest ({first} to {last}), not today's \
             market: no live price source answered. Dates are kept inside that range."
        ),
    })
}

/// True when the configuration includes the shipped sample prices (so `main`
/// can say that quotes may come from 2018 when the network is unreachable).
pub fn uses_sample(config: &Config) -> bool {
    config.market_sources.contains(&SourceSpec::Sample)
}

/// Writes the shipped prices to `<data_dir>/sample-prices/prices.csv` (the
/// wide `date,<SYMBOL>,...` layout [`auravest_market::FileSource`] reads from a folder) and
/// returns the folder. The file is replaced atomically, so concurrent
/// start-ups never read half a file.
///
/// # Errors
/// The folder or file cannot be written.
pub fn write_sample(data_dir: &Path) -> Result<PathBuf, SourcesError> {
    let dir = data_dir.join("sample-prices");
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| SourcesError::Io { path, source }
    };
    std::fs::create_dir_all(&dir).map_err(io(&dir))?;
    let file = dir.join("prices.csv");
    if std::fs::read_to_string(&file).is_ok_and(|t| t == SAMPLE_PRICES) {
        return Ok(dir);
    }
    let tmp = dir.join(format!("prices.csv.{}.tmp", uuid::Uuid::new_v4()));
    std::fs::write(&tmp, SAMPLE_PRICES).map_err(io(&tmp))?;
    std::fs::rename(&tmp, &file).map_err(io(&file))?;
    Ok(dir)
}

#[cfg(test)]
mod tests {
    use auravest_market::{FileSource, QuoteSource as _};

    use super::*;

    #[test]
    fn the_sample_is_written_in_the_layout_the_file_source_reads() {
        let dir = tempfile::tempdir().unwrap();
        let folder = write_sample(dir.path()).unwrap();
        let text = std::fs::read_to_string(folder.join("prices.csv")).unwrap();
        assert!(text.starts_with("date,AAPL,"));
        // Written again without change.
        write_sample(dir.path()).unwrap();
        let names: Vec<_> = std::fs::read_dir(&folder).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary files left behind");
    }

    #[tokio::test]
    async fn the_sample_source_answers_quotes() {
        let dir = tempfile::tempdir().unwrap();
        let folder = write_sample(dir.path()).unwrap();
        let source = FileSource::new(folder);
        let q = source.quote(&"AAPL".parse().unwrap()).await.unwrap();
        assert_eq!(q.market_time.date_naive().to_string(), "2018-04-11");
        assert!((q.price - 172.440_002).abs() < 1e-9);
    }
}
