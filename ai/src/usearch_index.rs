//! An HNSW vector index on usearch, with an exact mode and a file format
//! that records what the vectors came from.
//!
//! Vectors are stored as F32 (usearch's own default is BF16). Scores are
//! cosine similarities, the same numbers [`BruteForceIndex`] gives for unit
//! vectors.
//!
//! [`BruteForceIndex`]: crate::index::BruteForceIndex

use std::fs::File;
use std::io::{BufReader, Read, Write};
use std::path::Path;
use std::sync::{Condvar, Mutex, PoisonError};

use sha2::{Digest, Sha256};
use usearch::{Index, IndexOptions, MetricKind, ScalarKind};

use crate::error::{Error, Result};
use crate::index::{VectorHit, VectorIndex, check_vector, top_k};

/// How similarity is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum UsearchMetric {
    /// The dot product: the cosine for unit vectors, as
    /// [`Embedder`](crate::Embedder)s produce them, and what
    /// [`BruteForceIndex`](crate::BruteForceIndex) computes. The default.
    #[default]
    InnerProduct,
    /// The cosine, normalising both vectors on every comparison: for
    /// vectors that may not be unit length.
    Cosine,
}

/// Settings of a [`UsearchIndex`]. The defaults give recall@10 ≥ 0.95 on
/// 10,000 random 384-dimensional unit vectors (the hardest case: real
/// embeddings cluster and do better).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsearchOptions {
    metric: UsearchMetric,
    connectivity: usize,
    expansion_add: usize,
    expansion_search: usize,
    exact: bool,
    threads: usize,
}

impl Default for UsearchOptions {
    fn default() -> Self {
        Self {
            metric: UsearchMetric::InnerProduct,
            connectivity: UsearchIndex::DEFAULT_CONNECTIVITY,
            expansion_add: UsearchIndex::DEFAULT_EXPANSION_ADD,
            expansion_search: UsearchIndex::DEFAULT_EXPANSION_SEARCH,
            exact: false,
            threads: std::thread::available_parallelism().map_or(1, usize::from),
        }
    }
}

impl UsearchOptions {
    /// The similarity measure.
    #[must_use]
    pub fn metric(mut self, metric: UsearchMetric) -> Self {
        self.metric = metric;
        self
    }

    /// Graph edges per node (HNSW's M); more means better recall, more
    /// memory and slower inserts.
    #[must_use]
    pub fn connectivity(mut self, n: usize) -> Self {
        self.connectivity = n;
        self
    }

    /// Candidates kept while inserting (efConstruction).
    #[must_use]
    pub fn expansion_add(mut self, n: usize) -> Self {
        self.expansion_add = n;
        self
    }

    /// Candidates kept while searching (ef); raised to `k` when smaller.
    #[must_use]
    pub fn expansion_search(mut self, n: usize) -> Self {
        self.expansion_search = n;
        self
    }

    /// Search by scanning every vector instead of walking the graph: exact
    /// results, and fast enough for a personal corpus of a few thousand
    /// chunks.
    #[must_use]
    pub fn exact(mut self, exact: bool) -> Self {
        self.exact = exact;
        self
    }

    /// How many searches may run at once (others wait); defaults to the
    /// number of CPUs.
    #[must_use]
    pub fn threads(mut self, n: usize) -> Self {
        self.threads = n;
        self
    }
}

/// What a saved index file says about itself, read without loading the
/// vectors (see [`UsearchIndex::read_info`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SavedIndexInfo {
    /// The vector length.
    pub dim: usize,
    /// How many vectors are stored.
    pub len: usize,
    /// The caller's string given to [`UsearchIndex::set_metadata`], such as
    /// a model id and a hash of the content.
    pub metadata: String,
    /// The similarity measure.
    pub metric: UsearchMetric,
    /// Whether searches are exact.
    pub exact: bool,
}

/// An approximate (HNSW) or exact vector index on usearch, F32 storage.
///
/// ```
/// use auravest_ai::{UsearchIndex, VectorIndex};
///
/// let mut index = UsearchIndex::new(3)?;
/// index.add(7, &[1.0, 0.0, 0.0])?;
/// index.add(8, &[0.0, 1.0, 0.0])?;
/// let hits = index.search(&[0.8, 0.6, 0.0], 1)?;
/// assert_eq!(hits[0].key, 7);
/// # Ok::<(), auravest_ai::Error>(())
/// ```
pub struct UsearchIndex {
    inner: Index,
    dim: usize,
    options: UsearchOptions,
    metadata: String,
    slots: Slots,
}

impl std::fmt::Debug for UsearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsearchIndex")
            .field("dim", &self.dim)
            .field("len", &self.inner.size())
            .field("options", &self.options)
            .field("metadata", &self.metadata)
            .finish_non_exhaustive()
    }
}

/// The first bytes of a saved index.
const MAGIC: &[u8; 8] = b"AVUSIDX1";
/// The key usearch reserves to mark free slots.
const RESERVED_KEY: u64 = u64::MAX;
/// Capacity reserved up front, then doubled as vectors arrive.
const INITIAL_CAPACITY: usize = 64;

impl UsearchIndex {
    // Measured on 10,000 seeded random 384-d unit vectors, 200 queries,
    // recall@10 against an exact scan: M=32 with ef_search 192 / 256 / 320
    // / 384 gives 0.91 / 0.95 / 0.97 / 0.98 (ef_add 128; ef_add 64 or 96
    // changes these by under 0.01); M=24 needs ef 384 for 0.96, M=48 gets
    // 0.97 at ef 192 but builds about 1.5x slower. M=16 stays below 0.82 at
    // ef 256. ef 320 keeps a margin above 0.95.
    /// HNSW connectivity (M) by default.
    pub const DEFAULT_CONNECTIVITY: usize = 32;
    /// Insertion breadth (efConstruction) by default.
    pub const DEFAULT_EXPANSION_ADD: usize = 128;
    /// Search breadth (ef) by default.
    pub const DEFAULT_EXPANSION_SEARCH: usize = 320;

    /// An empty index of dimension `dim` with the default options.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a zero dimension; [`Error::Index`] when
    /// usearch cannot allocate the index.
    pub fn new(dim: usize) -> Result<Self> {
        Self::with_options(dim, UsearchOptions::default())
    }

    /// An empty index of dimension `dim`.
    ///
    /// # Errors
    /// [`Error::Invalid`] for a zero dimension, connectivity below 2, or
    /// zero expansions or threads; [`Error::Index`] when usearch cannot
    /// allocate the index.
    pub fn with_options(dim: usize, options: UsearchOptions) -> Result<Self> {
        validate(dim, &options)?;
        let inner = Index::new(&native_options(dim, &options)).map_err(index_error)?;
        let index = Self {
            inner,
            dim,
            slots: Slots::new(options.threads),
            options,
            metadata: String::new(),
        };
        index.reserve(INITIAL_CAPACITY)?;
        Ok(index)
    }

    /// The options in force (for a loaded index, those it was saved with).
    pub fn options(&self) -> &UsearchOptions {
        &self.options
    }

    /// Switches between exact and graph search.
    pub fn set_exact(&mut self, exact: bool) {
        self.options.exact = exact;
    }

    /// Changes the search breadth (ef).
    ///
    /// # Errors
    /// [`Error::Invalid`] for zero.
    pub fn set_expansion_search(&mut self, n: usize) -> Result<()> {
        if n == 0 {
            return Err(Error::invalid("expansion_search", "must be at least 1"));
        }
        self.options.expansion_search = n;
        self.inner.change_expansion_search(n);
        Ok(())
    }

    /// The caller's description of the contents, saved with the index.
    pub fn metadata(&self) -> &str {
        &self.metadata
    }

    /// Sets the description saved with the index: what a later run compares
    /// to decide whether the file is stale, such as
    /// `"all-MiniLM-L6-v2 kb=<content hash>"`.
    pub fn set_metadata(&mut self, metadata: impl Into<String>) {
        self.metadata = metadata.into();
    }

    /// Writes the index to `path` (through a temporary file renamed into
    /// place, so a reader never sees half a file).
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be written; [`Error::Index`] when
    /// usearch cannot serialise.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let mut blob = vec![0u8; self.inner.serialized_length()];
        self.inner.save_to_buffer(&mut blob).map_err(index_error)?;
        let info = SavedIndexInfo {
            dim: self.dim,
            len: self.inner.size(),
            metadata: self.metadata.clone(),
            metric: self.options.metric,
            exact: self.options.exact,
        };
        let mut bytes = encode_header(&info, &self.options);
        bytes.extend_from_slice(&(blob.len() as u64).to_le_bytes());
        bytes.extend_from_slice(&Sha256::digest(&blob));
        bytes.extend_from_slice(&blob);
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        let write = |p: &Path| -> std::io::Result<()> {
            let mut f = File::create(p)?;
            f.write_all(&bytes)?;
            f.sync_all()
        };
        write(&tmp).map_err(|e| Error::io(&tmp, &e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, &e))
    }

    /// Reads only the header of a saved index: its dimension, size and
    /// metadata, to decide whether it is stale before loading it.
    ///
    /// # Errors
    /// [`Error::Io`] when the file cannot be read; [`Error::Index`] when it
    /// is not a saved index.
    pub fn read_info(path: impl AsRef<Path>) -> Result<SavedIndexInfo> {
        let path = path.as_ref();
        let f = File::open(path).map_err(|e| Error::io(path, &e))?;
        let mut r = BufReader::new(f);
        Ok(decode_header(&mut r, path)?.0)
    }

    /// Loads an index saved by [`UsearchIndex::save`], expecting vectors of
    /// length `dim`.
    ///
    /// # Errors
    /// [`Error::Vector`] when the file holds vectors of another length;
    /// [`Error::Io`] when it cannot be read; [`Error::Index`] when it is not
    /// a saved index or is damaged.
    pub fn load(path: impl AsRef<Path>, dim: usize) -> Result<Self> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, &e))?;
        let mut r = bytes.as_slice();
        let (info, mut options) = decode_header(&mut r, path)?;
        if info.dim != dim {
            return Err(Error::Vector {
                reason: format!(
                    "{} holds vectors of {} values, expected {dim}",
                    path.display(),
                    info.dim
                ),
            });
        }
        let blob_len = read_u64(&mut r, path)?;
        let mut checksum = [0u8; 32];
        r.read_exact(&mut checksum)
            .map_err(|_| damaged(path, "the checksum is cut short"))?;
        if u64::try_from(r.len()).ok() != Some(blob_len) {
            return Err(damaged(
                path,
                &format!("{} bytes of index data, expected {blob_len}", r.len()),
            ));
        }
        // usearch trusts the bytes it loads: check them first.
        if Sha256::digest(r).as_slice() != checksum {
            return Err(damaged(path, "the index data does not match its checksum"));
        }
        options.threads = UsearchOptions::default().threads;
        let inner = Index::new(&native_options(dim, &options)).map_err(index_error)?;
        inner
            .load_from_buffer(r)
            .map_err(|e| damaged(path, &e.to_string()))?;
        if inner.dimensions() != dim
            || inner.scalar_kind() != ScalarKind::F32
            || inner.size() != info.len
        {
            return Err(damaged(path, "the header and the index data disagree"));
        }
        inner.change_expansion_add(options.expansion_add);
        inner.change_expansion_search(options.expansion_search);
        let index = Self {
            inner,
            dim,
            slots: Slots::new(options.threads),
            options,
            metadata: info.metadata,
        };
        index.reserve(index.len().max(INITIAL_CAPACITY))?;
        Ok(index)
    }

    fn reserve(&self, capacity: usize) -> Result<()> {
        self.inner
            .reserve_capacity_and_threads(capacity, self.options.threads)
            .map_err(index_error)
    }
}

impl VectorIndex for UsearchIndex {
    fn dim(&self) -> usize {
        self.dim
    }

    fn len(&self) -> usize {
        self.inner.size()
    }

    fn add(&mut self, key: u64, vector: &[f32]) -> Result<()> {
        check_vector(vector, self.dim)?;
        if key == RESERVED_KEY {
            return Err(Error::Index {
                reason: format!("key {key} (u64::MAX) is reserved by usearch"),
            });
        }
        if self.inner.contains(key) {
            return Err(Error::Index {
                reason: format!("key {key} is already in the index"),
            });
        }
        let size = self.inner.size();
        if size >= self.inner.capacity() {
            self.reserve((size * 2).max(INITIAL_CAPACITY))?;
        }
        self.inner.add(key, vector).map_err(index_error)
    }

    fn search(&self, query: &[f32], k: usize) -> Result<Vec<VectorHit>> {
        check_vector(query, self.dim)?;
        if k == 0 || self.inner.size() == 0 {
            return Ok(Vec::new());
        }
        let matches = {
            let _slot = self.slots.acquire();
            if self.options.exact {
                self.inner.exact_search(query, k)
            } else {
                self.inner.search(query, k)
            }
        }
        .map_err(index_error)?;
        let hits = matches
            .keys
            .iter()
            .zip(&matches.distances)
            .map(|(&key, &d)| VectorHit {
                key,
                score: 1.0 - d,
            })
            .collect();
        Ok(top_k(hits, k))
    }
}

fn validate(dim: usize, o: &UsearchOptions) -> Result<()> {
    if dim == 0 {
        return Err(Error::invalid("dim", "must be at least 1"));
    }
    if o.connectivity < 2 {
        return Err(Error::invalid("connectivity", "must be at least 2"));
    }
    for (field, n) in [
        ("expansion_add", o.expansion_add),
        ("expansion_search", o.expansion_search),
        ("threads", o.threads),
    ] {
        if n == 0 {
            return Err(Error::invalid(field, "must be at least 1"));
        }
    }
    Ok(())
}

fn native_options(dim: usize, o: &UsearchOptions) -> IndexOptions {
    IndexOptions {
        dimensions: dim,
        metric: match o.metric {
            UsearchMetric::InnerProduct => MetricKind::IP,
            UsearchMetric::Cosine => MetricKind::Cos,
        },
        // Set explicitly: IndexOptions::default() stores BF16.
        quantization: ScalarKind::F32,
        connectivity: o.connectivity,
        expansion_add: o.expansion_add,
        expansion_search: o.expansion_search,
        multi: false,
    }
}

/// usearch's errors are C++ exceptions; their message is all there is.
fn index_error(e: impl std::fmt::Display) -> Error {
    Error::Index {
        reason: e.to_string(),
    }
}

fn damaged(path: &Path, why: &str) -> Error {
    Error::Index {
        reason: format!("{}: not a readable saved index: {why}", path.display()),
    }
}

/// Header: magic, then little-endian u64s for dim, len, metric, exact,
/// connectivity, expansion_add, expansion_search and the metadata length,
/// then the metadata (UTF-8). The usearch data follows, prefixed by its
/// length (u64) and its SHA-256.
fn encode_header(info: &SavedIndexInfo, o: &UsearchOptions) -> Vec<u8> {
    let mut out = Vec::with_capacity(80 + info.metadata.len());
    out.extend_from_slice(MAGIC);
    let metric = match info.metric {
        UsearchMetric::InnerProduct => 0u64,
        UsearchMetric::Cosine => 1,
    };
    for v in [
        info.dim as u64,
        info.len as u64,
        metric,
        u64::from(info.exact),
        o.connectivity as u64,
        o.expansion_add as u64,
        o.expansion_search as u64,
        info.metadata.len() as u64,
    ] {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out.extend_from_slice(info.metadata.as_bytes());
    out
}

fn decode_header(r: &mut impl Read, path: &Path) -> Result<(SavedIndexInfo, UsearchOptions)> {
    let mut magic = [0u8; 8];
    r.read_exact(&mut magic)
        .map_err(|_| damaged(path, "too short"))?;
    if &magic != MAGIC {
        return Err(damaged(path, "no AuraVest usearch header"));
    }
    let mut fields = [0usize; 8];
    for f in &mut fields {
        *f = usize::try_from(read_u64(r, path)?)
            .map_err(|_| damaged(path, "a header field is out of range"))?;
    }
    let [
        dim,
        len,
        metric,
        exact,
        connectivity,
        expansion_add,
        expansion_search,
        meta_len,
    ] = fields;
    let metric = match metric {
        0 => UsearchMetric::InnerProduct,
        1 => UsearchMetric::Cosine,
        m => return Err(damaged(path, &format!("unknown metric {m}"))),
    };
    if meta_len > 1 << 20 {
        return Err(damaged(path, "metadata longer than 1 MiB"));
    }
    let mut meta = vec![0u8; meta_len];
    r.read_exact(&mut meta)
        .map_err(|_| damaged(path, "the metadata is cut short"))?;
    let metadata =
        String::from_utf8(meta).map_err(|_| damaged(path, "the metadata is not UTF-8"))?;
    let options = UsearchOptions {
        metric,
        connectivity,
        expansion_add,
        expansion_search,
        exact: exact != 0,
        threads: 1,
    };
    validate(dim, &options).map_err(|e| damaged(path, &e.to_string()))?;
    let info = SavedIndexInfo {
        dim,
        len,
        metadata,
        metric,
        exact: exact != 0,
    };
    Ok((info, options))
}

fn read_u64(r: &mut impl Read, path: &Path) -> Result<u64> {
    let mut b = [0u8; 8];
    r.read_exact(&mut b)
        .map_err(|_| damaged(path, "the header is cut short"))?;
    Ok(u64::from_le_bytes(b))
}

/// A counting semaphore over usearch's per-thread search contexts: usearch
/// fails a search ("Reserve capacity ahead of searches!") when more run at
/// once than it has contexts, so extra callers wait here instead.
struct Slots {
    free: Mutex<usize>,
    freed: Condvar,
}

struct SlotGuard<'a>(&'a Slots);

impl Slots {
    fn new(n: usize) -> Self {
        Self {
            free: Mutex::new(n),
            freed: Condvar::new(),
        }
    }

    fn acquire(&self) -> SlotGuard<'_> {
        let mut free = self.free.lock().unwrap_or_else(PoisonError::into_inner);
        while *free == 0 {
            free = self
                .freed
                .wait(free)
                .unwrap_or_else(PoisonError::into_inner);
        }
        *free -= 1;
        SlotGuard(self)
    }
}

impl Drop for SlotGuard<'_> {
    fn drop(&mut self) {
        *self.0.free.lock().unwrap_or_else(PoisonError::into_inner) += 1;
        self.0.freed.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trips_and_rejects_garbage() {
        let info = SavedIndexInfo {
            dim: 384,
            len: 12,
            metadata: "all-MiniLM-L6-v2 kb=abc".to_owned(),
            metric: UsearchMetric::Cosine,
            exact: true,
        };
        let o = UsearchOptions::default()
            .connectivity(8)
            .expansion_search(40);
        let bytes = encode_header(&info, &o);
        let (back, opts) = decode_header(&mut bytes.as_slice(), Path::new("x")).unwrap();
        assert_eq!(back, info);
        assert_eq!((opts.connectivity, opts.expansion_search), (8, 40));
        assert!(matches!(
            decode_header(&mut &bytes[..20], Path::new("x")),
            Err(Error::Index { .. })
        ));
        assert!(matches!(
            decode_header(&mut &b"USEARCH!and more bytes"[..], Path::new("x")),
            Err(Error::Index { .. })
        ));
    }

    #[test]
    fn options_are_validated() {
        assert!(matches!(UsearchIndex::new(0), Err(Error::Invalid { .. })));
        let bad = UsearchOptions::default().connectivity(1);
        assert!(matches!(
            UsearchIndex::with_options(4, bad),
            Err(Error::Invalid { .. })
        ));
        let bad = UsearchOptions::default().threads(0);
        assert!(UsearchIndex::with_options(4, bad).is_err());
    }

    #[test]
    fn more_searchers_than_contexts_wait_instead_of_failing() {
        let mut index =
            UsearchIndex::with_options(2, UsearchOptions::default().threads(1)).unwrap();
        for k in 0..50u64 {
            let a = k as f32 / 10.0;
            index.add(k, &[a.cos(), a.sin()]).unwrap();
        }
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..200 {
                        let hits = index.search(&[1.0, 0.0], 3).unwrap();
                        assert_eq!(hits[0].key, 0);
                    }
                });
            }
        });
    }

    #[test]
    fn growing_past_the_initial_capacity_and_the_reserved_key() {
        let mut index = UsearchIndex::new(2).unwrap();
        for k in 0..(INITIAL_CAPACITY as u64 * 3) {
            index.add(k, &[1.0, k as f32]).unwrap();
        }
        assert_eq!(index.len(), INITIAL_CAPACITY * 3);
        assert!(matches!(
            index.add(u64::MAX, &[1.0, 0.0]),
            Err(Error::Index { .. })
        ));
    }
}
