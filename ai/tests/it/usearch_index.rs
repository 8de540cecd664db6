//! The usearch index against the exact [`BruteForceIndex`], on seeded
//! random unit vectors.

use auravest_ai::{
    BruteForceIndex, Error, UsearchIndex, UsearchMetric, UsearchOptions, VectorIndex,
};

/// xorshift64*: deterministic vectors without a random-number crate.
struct XorShift(u64);

impl XorShift {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in [-1, 1).
    fn signed(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 23) as f32 - 1.0
    }

    /// A random direction: uniform cube samples, normalised.
    fn unit(&mut self, dim: usize) -> Vec<f32> {
        let mut v: Vec<f32> = (0..dim).map(|_| self.signed()).collect();
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= n);
        v
    }
}

fn corpus(seed: u64, n: usize, dim: usize) -> Vec<Vec<f32>> {
    let mut rng = XorShift(seed);
    (0..n).map(|_| rng.unit(dim)).collect()
}

fn fill(index: &mut dyn VectorIndex, vectors: &[Vec<f32>]) {
    for (k, v) in vectors.iter().enumerate() {
        index.add(k as u64 * 3 + 1, v).unwrap();
    }
}

fn keys(index: &dyn VectorIndex, q: &[f32], k: usize) -> Vec<u64> {
    index.search(q, k).unwrap().iter().map(|h| h.key).collect()
}

#[test]
fn exact_mode_returns_the_brute_force_answer() {
    let dim = 384;
    let data = corpus(7, 500, dim);
    let mut exact = UsearchIndex::with_options(dim, UsearchOptions::default().exact(true)).unwrap();
    let mut brute = BruteForceIndex::new(dim);
    fill(&mut exact, &data);
    fill(&mut brute, &data);
    assert_eq!(exact.len(), 500);
    for q in corpus(8, 50, dim) {
        let a = exact.search(&q, 10).unwrap();
        let b = brute.search(&q, 10).unwrap();
        assert_eq!(
            a.iter().map(|h| h.key).collect::<Vec<_>>(),
            b.iter().map(|h| h.key).collect::<Vec<_>>()
        );
        for (x, y) in a.iter().zip(&b) {
            assert!((x.score - y.score).abs() < 1e-5, "{x:?} vs {y:?}");
        }
    }
    // k past the size returns everything, k = 0 nothing.
    assert_eq!(exact.search(&data[0], 600).unwrap().len(), 500);
    assert!(exact.search(&data[0], 0).unwrap().is_empty());
}

#[test]
fn hnsw_recall_at_10_is_at_least_095_on_5000_random_vectors() {
    let dim = 384;
    let data = corpus(42, 5_000, dim);
    let mut hnsw = UsearchIndex::new(dim).unwrap();
    let mut brute = BruteForceIndex::new(dim);
    fill(&mut hnsw, &data);
    fill(&mut brute, &data);
    let queries = corpus(43, 200, dim);
    let mut found = 0;
    for q in &queries {
        let truth = keys(&brute, q, 10);
        found += keys(&hnsw, q, 10)
            .iter()
            .filter(|k| truth.contains(k))
            .count();
    }
    let recall = found as f64 / (queries.len() * 10) as f64;
    eprintln!("usearch recall@10 on 5,000 random 384-d vectors: {recall:.3}");
    assert!(recall >= 0.95, "recall@10 {recall}");
    // A stored vector finds itself first.
    assert_eq!(keys(&hnsw, &data[123], 1), [123 * 3 + 1]);
}

#[test]
fn save_and_load_round_trip_with_metadata() {
    let dim = 64;
    let data = corpus(11, 300, dim);
    let mut index = UsearchIndex::with_options(
        dim,
        UsearchOptions::default()
            .connectivity(16)
            .expansion_search(50),
    )
    .unwrap();
    fill(&mut index, &data);
    index.set_metadata("all-MiniLM-L6-v2 kb=3f2a9c");
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kb.usearch");
    index.save(&path).unwrap();

    let info = UsearchIndex::read_info(&path).unwrap();
    assert_eq!((info.dim, info.len), (dim, 300));
    assert_eq!(info.metadata, "all-MiniLM-L6-v2 kb=3f2a9c");
    assert_eq!(info.metric, UsearchMetric::InnerProduct);
    assert!(!info.exact);

    let loaded = UsearchIndex::load(&path, dim).unwrap();
    assert_eq!(loaded.metadata(), "all-MiniLM-L6-v2 kb=3f2a9c");
    assert_eq!(loaded.len(), 300);
    assert_eq!(loaded.options(), index.options());
    for q in corpus(12, 20, dim) {
        assert_eq!(index.search(&q, 5).unwrap(), loaded.search(&q, 5).unwrap());
    }
    // A loaded index takes more vectors; duplicates are still refused.
    let mut loaded = loaded;
    loaded.add(100_000, &data[0]).unwrap();
    assert!(matches!(loaded.add(1, &data[1]), Err(Error::Index { .. })));

    // Wrong dimension, not an index, no file: each its own error.
    assert!(matches!(
        UsearchIndex::load(&path, 384),
        Err(Error::Vector { .. })
    ));
    let junk = dir.path().join("junk.usearch");
    std::fs::write(&junk, b"this is not an index").unwrap();
    assert!(matches!(
        UsearchIndex::load(&junk, dim),
        Err(Error::Index { .. })
    ));
    let bytes = std::fs::read(&path).unwrap();
    std::fs::write(&junk, &bytes[..bytes.len() / 2]).unwrap();
    assert!(matches!(
        UsearchIndex::load(&junk, dim),
        Err(Error::Index { .. })
    ));
    assert!(matches!(
        UsearchIndex::load(dir.path().join("missing"), dim),
        Err(Error::Io { .. })
    ));
}

#[test]
fn bad_vectors_and_duplicate_keys_are_typed_errors() {
    let mut index = UsearchIndex::new(3).unwrap();
    assert!(index.is_empty());
    assert!(index.search(&[1.0, 0.0, 0.0], 5).unwrap().is_empty());
    index.add(10, &[1.0, 0.0, 0.0]).unwrap();
    index.add(11, &[0.0, 1.0, 0.0]).unwrap();
    index.add(12, &[0.6, 0.8, 0.0]).unwrap();
    assert!(matches!(
        index.add(10, &[0.0, 0.0, 1.0]),
        Err(Error::Index { .. })
    ));
    assert!(matches!(
        index.add(13, &[0.0, 1.0]),
        Err(Error::Vector { .. })
    ));
    assert!(matches!(
        index.add(13, &[f32::NAN, 0.0, 0.0]),
        Err(Error::Vector { .. })
    ));
    assert!(matches!(
        index.add(13, &[f32::INFINITY, 0.0, 0.0]),
        Err(Error::Vector { .. })
    ));
    assert!(matches!(index.search(&[1.0], 1), Err(Error::Vector { .. })));
    assert!(matches!(
        index.search(&[f32::NAN, 0.0, 0.0], 1),
        Err(Error::Vector { .. })
    ));
    assert_eq!(index.len(), 3);
    let hits = index.search(&[0.8, 0.6, 0.0], 2).unwrap();
    assert_eq!(hits.iter().map(|h| h.key).collect::<Vec<_>>(), [12, 10]);
    assert!((hits[0].score - 0.96).abs() < 1e-6);
}

#[test]
fn cosine_metric_normalises_vectors() {
    let opts = UsearchOptions::default()
        .metric(UsearchMetric::Cosine)
        .exact(true);
    let mut index = UsearchIndex::with_options(2, opts).unwrap();
    index.add(1, &[10.0, 0.0]).unwrap();
    index.add(2, &[0.0, 0.5]).unwrap();
    let hits = index.search(&[3.0, 4.0], 2).unwrap();
    assert_eq!(hits[0].key, 2);
    assert!((hits[0].score - 0.8).abs() < 1e-6);
    assert!((hits[1].score - 0.6).abs() < 1e-6);
}
