//! The state every handler shares: settings, the store, the keys, the SDK
//! services.

use std::ops::Deref;
use std::sync::Arc;

use auravest_ai::Assistant;

use crate::config::Config;
use crate::crypto::Keys;
use crate::ledger::LedgerCache;
use crate::limits::Limiter;
use crate::metrics::Metrics;
use crate::prices::PriceService;
use crate::store::Store;

/// Shared, cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// What [`AppState`] holds.
pub struct Inner {
    /// Settings.
    pub config: Config,
    /// Storage.
    pub store: Arc<dyn Store>,
    /// Encryption, hashing and token keys.
    pub keys: Keys,
    /// Request budgets (in memory, or shared through Redis).
    pub limiter: Arc<dyn Limiter>,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// Quotes, histories and refreshes through the market crate.
    pub prices: PriceService,
    /// The AI assistant: empty while it loads (or when it is turned off).
    pub assistant: AssistantSlot,
    /// Built portfolio ledgers, per portfolio and version.
    pub ledgers: LedgerCache,
    /// Changes to one portfolio's transactions run in turn in this process.
    pub ledger_locks: crate::keyed::KeyedLocks<uuid::Uuid>,
    /// One summary per portfolio is drafted at a time in this process.
    pub drafting: crate::keyed::KeyedLocks<uuid::Uuid>,
    /// The community's live events, shared by every replica through the
    /// database.
    pub live: crate::live::LiveBus,
    /// News feeds (none when `AURAVEST_NEWS_FEEDS` names none).
    pub news: Option<Arc<auravest_market::news::NewsClient>>,
}

/// Where the assistant is put once its knowledge base and index are loaded
/// (the first start embeds the articles, which takes a while; the server
/// answers meanwhile).
#[derive(Clone, Default)]
pub struct AssistantSlot {
    enabled: bool,
    cell: Arc<std::sync::OnceLock<Arc<Assistant>>>,
    cancel: auravest_ai::llm::CancelToken,
}

impl AssistantSlot {
    /// A slot that stays empty: the assistant is turned off.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// A slot to fill with [`AssistantSlot::set`].
    pub fn pending() -> Self {
        Self {
            enabled: true,
            cell: Arc::default(),
            cancel: auravest_ai::llm::CancelToken::new(),
        }
    }

    /// A filled slot.
    pub fn ready(assistant: Assistant) -> Self {
        let slot = Self::pending();
        slot.set(assistant);
        slot
    }

    /// Fills the slot (once; later calls are ignored).
    pub fn set(&self, assistant: Assistant) {
        let _ = self.cell.set(Arc::new(assistant));
    }

    /// What stops the loading (see [`AssistantSlot::cancel_loading`]).
    pub fn cancel_token(&self) -> auravest_ai::llm::CancelToken {
        self.cancel.clone()
    }

    /// Stops the loading between two embedding batches (at shutdown); the
    /// slot then stays empty.
    pub fn cancel_loading(&self) {
        self.cancel.cancel();
    }

    /// Is the assistant turned on?
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The assistant, once loaded.
    pub fn get(&self) -> Option<&Assistant> {
        self.cell.get().map(AsRef::as_ref)
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState")
            .field("backend", &self.store.backend())
            .field("assistant", &self.assistant.get().is_some())
            .finish_non_exhaustive()
    }
}

impl AppState {
    /// Wraps the parts.
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }
}

impl Deref for AppState {
    type Target = Inner;

    fn deref(&self) -> &Inner {
        &self.0
    }
}
