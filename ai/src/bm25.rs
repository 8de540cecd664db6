//! Okapi BM25 keyword scoring over chunks, on an inverted index, so exact
//! terms, tickers and acronyms are found even when vectors miss them.

use std::collections::HashMap;

use crate::text::content_terms;

/// BM25 parameters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bm25Params {
    /// Term-frequency saturation.
    pub k1: f32,
    /// Length normalisation.
    pub b: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Self { k1: 1.2, b: 0.75 }
    }
}

/// An inverted index of documents (chunk keys are positions).
#[derive(Debug, Clone)]
pub struct Bm25 {
    params: Bm25Params,
    postings: HashMap<String, Vec<(u32, u16)>>,
    lengths: Vec<u32>,
    avg_len: f32,
}

impl Bm25 {
    /// Indexes `docs` (document `i` gets key `i`).
    pub fn new<'a>(docs: impl IntoIterator<Item = &'a str>, params: Bm25Params) -> Self {
        let mut postings: HashMap<String, Vec<(u32, u16)>> = HashMap::new();
        let mut lengths = Vec::new();
        for (i, doc) in docs.into_iter().enumerate() {
            let terms = content_terms(doc);
            lengths.push(u32::try_from(terms.len()).unwrap_or(u32::MAX));
            let mut tf: HashMap<String, u16> = HashMap::new();
            for t in terms {
                let e = tf.entry(t).or_default();
                *e = e.saturating_add(1);
            }
            let id = u32::try_from(i).unwrap_or(u32::MAX);
            for (t, n) in tf {
                postings.entry(t).or_default().push((id, n));
            }
        }
        let avg_len = if lengths.is_empty() {
            1.0
        } else {
            lengths.iter().map(|&l| l as f32).sum::<f32>() / lengths.len() as f32
        };
        Self {
            params,
            postings,
            lengths,
            avg_len: avg_len.max(1.0),
        }
    }

    /// Documents indexed.
    pub fn len(&self) -> usize {
        self.lengths.len()
    }

    /// No documents?
    pub fn is_empty(&self) -> bool {
        self.lengths.is_empty()
    }

    fn idf(&self, df: usize) -> f32 {
        let n = self.lengths.len() as f32;
        let df = df as f32;
        (1.0 + (n - df + 0.5) / (df + 0.5)).ln()
    }

    /// Every document sharing a term with `query`, with its score divided by
    /// the highest score any document could reach for this query (every
    /// query term present and saturated). The result is in `[0, 1]` and
    /// comparable across queries: 0.6 means most of the query's weight
    /// matched. Unknown query terms count in the denominator, so a query
    /// about something absent from the corpus scores low everywhere.
    pub fn search(&self, query: &str) -> Vec<(u64, f32)> {
        self.search_top(query, usize::MAX)
    }

    /// The `k` best of [`Bm25::search`], best first (ties by key). Scores
    /// accumulate in a dense array and only the top `k` are sorted, so a
    /// common query word over a large corpus stays cheap.
    pub fn search_top(&self, query: &str, k: usize) -> Vec<(u64, f32)> {
        let mut terms = content_terms(query);
        terms.sort();
        terms.dedup();
        let Bm25Params { k1, b } = self.params;
        let mut scores = vec![0f32; self.lengths.len()];
        let mut touched: Vec<u32> = Vec::new();
        let mut ceiling = 0.0f32;
        let unseen_idf = self.idf(0);
        for t in &terms {
            let Some(list) = self.postings.get(t) else {
                ceiling += unseen_idf * (k1 + 1.0);
                continue;
            };
            let idf = self.idf(list.len());
            ceiling += idf * (k1 + 1.0);
            for &(doc, tf) in list {
                let tf = f32::from(tf);
                let len = self.lengths[doc as usize] as f32;
                let s = idf * tf * (k1 + 1.0) / (tf + k1 * (1.0 - b + b * len / self.avg_len));
                let slot = &mut scores[doc as usize];
                if *slot <= 0.0 {
                    touched.push(doc);
                }
                *slot += s;
            }
        }
        if ceiling <= 0.0 || touched.is_empty() || k == 0 {
            return Vec::new();
        }
        let mut out: Vec<(u64, f32)> = touched
            .into_iter()
            .map(|d| (u64::from(d), (scores[d as usize] / ceiling).min(1.0)))
            .collect();
        let order = |a: &(u64, f32), b: &(u64, f32)| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0));
        if out.len() > k {
            out.select_nth_unstable_by(k - 1, order);
            out.truncate(k);
        }
        out.sort_by(order);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rare_exact_terms_win_and_scores_are_bounded() {
        let docs = [
            "The P/E ratio divides price by earnings per share.",
            "Dividend yield is the dividend divided by the price.",
            "Bonds pay interest; price falls when rates rise.",
        ];
        let idx = Bm25::new(docs, Bm25Params::default());
        let hits = idx.search("what is a P/E?");
        assert_eq!(hits[0].0, 0);
        assert!(hits.iter().all(|h| h.1 > 0.0 && h.1 <= 1.0));
        let price = idx.search("price");
        assert_eq!(price.len(), 3, "a common term matches everywhere");
        assert!(idx.search("sourdough bread recipe").is_empty());
        // Half the query unknown: the score is at most half.
        let mixed = idx.search("dividend sourdough");
        assert!(mixed[0].1 <= 0.5 + 1e-6, "{mixed:?}");
        assert!(idx.search("").is_empty());
    }
}
