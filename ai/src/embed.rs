//! Sentence embeddings: the [`Embedder`] trait, a deterministic
//! [`HashEmbedder`] for tests and tiny deployments, and (feature `minilm`)
//! all-MiniLM-L6-v2 on candle.

use crate::error::{Error, Result};
use crate::text::{content_terms, fnv1a};

/// Turns texts into L2-normalised vectors of a fixed dimension, so that the
/// dot product of two vectors is their cosine similarity.
pub trait Embedder: Send + Sync {
    /// A stable name of the model, stored with an index so that vectors from
    /// different models are never mixed.
    fn model_id(&self) -> &str;
    /// The vector length.
    fn dim(&self) -> usize;
    /// One unit vector per text, in order.
    ///
    /// # Errors
    /// When the model fails; an empty input gives an empty output.
    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>>;

    /// One text.
    ///
    /// # Errors
    /// As [`Embedder::embed`].
    fn embed_one(&self, text: &str) -> Result<Vec<f32>> {
        self.embed(&[text])?.pop().ok_or_else(|| Error::Vector {
            reason: "the embedder returned no vector".to_owned(),
        })
    }
}

/// A deterministic embedder: hashed content words and word pairs (signed
/// feature hashing), L2-normalised. Texts that share words are similar; it
/// knows no synonyms. Used by unit tests and as a fallback when no model
/// weights are installed.
#[derive(Debug, Clone)]
pub struct HashEmbedder {
    dim: usize,
    id: String,
}

impl Default for HashEmbedder {
    /// Dimension 384, the same as MiniLM's.
    fn default() -> Self {
        Self {
            dim: 384,
            id: "hash-384".to_owned(),
        }
    }
}

impl HashEmbedder {
    /// An embedder of dimension `dim` (at least 8).
    ///
    /// # Errors
    /// [`Error::Invalid`] for a dimension below 8.
    pub fn new(dim: usize) -> Result<Self> {
        if dim < 8 {
            return Err(Error::invalid(
                "dim",
                format!("must be at least 8, got {dim}"),
            ));
        }
        Ok(Self {
            dim,
            id: format!("hash-{dim}"),
        })
    }

    fn vector(&self, text: &str) -> Vec<f32> {
        let mut v = vec![0f32; self.dim];
        let terms = content_terms(text);
        let mut add = |feature: &str, weight: f32| {
            let h = fnv1a(feature.as_bytes());
            let slot = (h % self.dim as u64) as usize;
            let sign = if (h >> 63) == 0 { 1.0 } else { -1.0 };
            v[slot] += sign * weight;
        };
        for t in &terms {
            add(t, 1.0);
        }
        for pair in terms.windows(2) {
            add(&format!("{} {}", pair[0], pair[1]), 0.5);
        }
        normalise(&mut v);
        v
    }
}

impl Embedder for HashEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dim(&self) -> usize {
        self.dim
    }

    fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        Ok(texts.iter().map(|t| self.vector(t)).collect())
    }
}

/// Scales `v` to unit length in place (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v {
            *x /= norm;
        }
    }
}

/// The dot product (the cosine similarity of unit vectors).
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_vectors_are_unit_deterministic_and_word_sensitive() {
        let e = HashEmbedder::new(256).unwrap();
        let v = e
            .embed(&[
                "price to earnings ratio",
                "the price to earnings ratio",
                "baking sourdough bread",
                "",
            ])
            .unwrap();
        let norm: f32 = v[0].iter().map(|x| x * x).sum();
        assert!((norm - 1.0).abs() < 1e-5);
        assert_eq!(v[0], e.embed_one("price to earnings ratio").unwrap());
        // Stop words do not change the vector.
        assert!((dot(&v[0], &v[1]) - 1.0).abs() < 1e-5);
        assert!(dot(&v[0], &v[2]).abs() < 0.3);
        assert!(v[3].iter().all(|x| *x == 0.0));
        assert!(HashEmbedder::new(4).is_err());
    }
}
