//! Vector search: the [`VectorIndex`] trait, an exact in-memory
//! [`BruteForceIndex`], and (feature `usearch`) an HNSW index on usearch.

use crate::embed::dot;
use crate::error::{Error, Result};

/// One search result: the key given to [`VectorIndex::add`] and the cosine
/// similarity of its vector to the query (higher is closer).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct VectorHit {
    /// The caller's key (a chunk number).
    pub key: u64,
    /// Cosine similarity in `[-1, 1]`.
    pub score: f32,
}

/// A store of unit vectors searched by cosine similarity.
pub trait VectorIndex: Send + Sync {
    /// The vector length.
    fn dim(&self) -> usize;
    /// How many vectors are stored.
    fn len(&self) -> usize;
    /// Is the index empty?
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// Stores `vector` under `key`.
    ///
    /// # Errors
    /// [`Error::Vector`] for a wrong length or a non-finite value, and
    /// [`Error::Index`] for a key already present.
    fn add(&mut self, key: u64, vector: &[f32]) -> Result<()>;
    /// The `k` nearest vectors, best first (ties by key).
    ///
    /// # Errors
    /// [`Error::Vector`] for a query of the wrong length or with a non-finite value.
    fn search(&self, query: &[f32], k: usize) -> Result<Vec<VectorHit>>;
}

/// Checks a vector's length and values.
///
/// # Errors
/// [`Error::Vector`] naming the problem.
pub fn check_vector(vector: &[f32], dim: usize) -> Result<()> {
    if vector.len() != dim {
        return Err(Error::Vector {
            reason: format!("expected {dim} values, got {}", vector.len()),
        });
    }
    if let Some(i) = vector.iter().position(|v| !v.is_finite()) {
        return Err(Error::Vector {
            reason: format!("value {i} is not finite"),
        });
    }
    Ok(())
}

/// Exact search by scanning every vector: the reference the approximate
/// index is tested against, and the right choice for small corpora.
#[derive(Debug, Clone)]
pub struct BruteForceIndex {
    dim: usize,
    keys: Vec<u64>,
    data: Vec<f32>,
}

impl BruteForceIndex {
    /// An empty index of dimension `dim`.
    pub fn new(dim: usize) -> Self {
        Self {
            dim,
            keys: Vec::new(),
            data: Vec::new(),
        }
    }
}

/// Sorts hits best first, ties by key, and keeps `k`.
pub(crate) fn top_k(mut hits: Vec<VectorHit>, k: usize) -> Vec<VectorHit> {
    hits.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.key.cmp(&b.key)));
    hits.truncate(k);
    hits
}

impl VectorIndex for BruteForceIndex {
    fn dim(&self) -> usize {
        self.dim
    }

    fn len(&self) -> usize {
        self.keys.len()
    }

    fn add(&mut self, key: u64, vector: &[f32]) -> Result<()> {
        check_vector(vector, self.dim)?;
        if self.keys.contains(&key) {
            return Err(Error::Index {
                reason: format!("key {key} is already in the index"),
            });
        }
        self.keys.push(key);
        self.data.extend_from_slice(vector);
        Ok(())
    }

    fn search(&self, query: &[f32], k: usize) -> Result<Vec<VectorHit>> {
        check_vector(query, self.dim)?;
        if k == 0 || self.keys.is_empty() {
            return Ok(Vec::new());
        }
        // A bounded selection: keep the best k while scanning.
        let mut best: Vec<VectorHit> = Vec::with_capacity(k + 1);
        let mut floor = f32::NEG_INFINITY;
        for (key, v) in self.keys.iter().zip(self.data.chunks_exact(self.dim)) {
            let score = dot(query, v);
            if best.len() < k || score > floor {
                best.push(VectorHit { key: *key, score });
                if best.len() > k {
                    best = top_k(best, k);
                }
                if best.len() == k {
                    floor = best.iter().map(|h| h.score).fold(f32::INFINITY, f32::min);
                }
            }
        }
        Ok(top_k(best, k))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_search_orders_by_similarity_and_rejects_bad_vectors() {
        let mut idx = BruteForceIndex::new(3);
        idx.add(10, &[1.0, 0.0, 0.0]).unwrap();
        idx.add(11, &[0.0, 1.0, 0.0]).unwrap();
        idx.add(12, &[0.6, 0.8, 0.0]).unwrap();
        let hits = idx.search(&[0.8, 0.6, 0.0], 2).unwrap();
        assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), [12, 10]);
        assert!((hits[0].score - 0.96).abs() < 1e-6);
        assert_eq!(idx.search(&[1.0, 0.0, 0.0], 10).unwrap().len(), 3);
        assert!(idx.search(&[1.0, 0.0, 0.0], 0).unwrap().is_empty());
        assert!(matches!(
            idx.add(10, &[0.0, 0.0, 1.0]),
            Err(Error::Index { .. })
        ));
        assert!(matches!(
            idx.add(13, &[0.0, 1.0]),
            Err(Error::Vector { .. })
        ));
        assert!(matches!(
            idx.add(13, &[f32::NAN, 0.0, 0.0]),
            Err(Error::Vector { .. })
        ));
        assert!(matches!(idx.search(&[1.0], 1), Err(Error::Vector { .. })));
        assert_eq!(idx.len(), 3);
    }
}
