//! Checks a generated draft against the material it was written from.
//!
//! Each sentence of the draft is kept only when
//! - every number in it appears in the sources (after normalising formats:
//!   `$1,234.50` = `1234.5`, a share written as a percentage, rounding to
//!   the digits the sentence shows), and
//! - it is supported by a source: the cosine similarity between the sentence
//!   and the closest sentence of the sources it cites (of any source when it
//!   cites none) is at least [`SUPPORT_THRESHOLD`], and at least
//!   [`COVERAGE_THRESHOLD`] of its content words (stemmed, stop words left
//!   out) occur in that source — similarity alone lets a fluent sentence on
//!   the right topic that says something else through — and
//! - it does not tell the reader to buy or sell something.
//!
//! A sentence that cites no source but is supported by one gets that
//! source's marker (the only change an accepted draft may get). A draft
//! whose every sentence passes is *accepted*; one that keeps at least one
//! sentence is *repaired*; one that keeps none is *replaced* by the
//! extractive answer.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::embed::{Embedder, dot};
use crate::error::Result;
use crate::text::{canonical_number, content_terms, numbers, sentences, words};

/// The least cosine similarity (all-MiniLM-L6-v2) between a draft sentence
/// and a source sentence for the source to support it. Paraphrases of a
/// source sentence score about 0.6–0.95 with this model; sentences on the
/// same topic that state something else mostly score 0.3–0.5.
pub const SUPPORT_THRESHOLD: f32 = 0.55;

/// The least share of a sentence's content words that must occur in the
/// source that supports it.
pub const COVERAGE_THRESHOLD: f32 = 0.6;

/// What happened to a draft.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DraftOutcome {
    /// Shown as generated (with a marker added to an uncited sentence).
    Accepted,
    /// Shown with the sentences that failed the checks dropped.
    Repaired,
    /// Not shown: the extractive answer is shown instead.
    Replaced,
}

impl DraftOutcome {
    /// `accepted`, `repaired` or `replaced`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Repaired => "repaired",
            Self::Replaced => "replaced",
        }
    }
}

/// Why a sentence was dropped.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Problem {
    /// Numbers that appear in no source.
    UnsupportedNumbers {
        /// The numbers, as written.
        numbers: Vec<String>,
    },
    /// No source sentence is close enough.
    Unsupported {
        /// The best similarity found.
        similarity: f32,
    },
    /// Too many of its words are in no supporting source.
    UncoveredWords {
        /// Share of its content words found in the best source.
        coverage: f32,
        /// The words not found.
        missing: Vec<String>,
    },
    /// A marker `[n]` with no source n.
    BadCitation {
        /// The marker's number.
        marker: usize,
    },
    /// It tells the reader to buy or sell.
    Advice,
    /// It is about another measure than the one the question names (see
    /// [`crate::compose::off_subject`]).
    OffSubject,
}

/// The verdict on one sentence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SentenceCheck {
    /// The sentence as drafted.
    pub sentence: String,
    /// The best similarity to a source sentence.
    pub similarity: f32,
    /// The source (1-based) that supports it best.
    pub best_source: Option<usize>,
    /// Why it was dropped; empty when kept.
    pub problems: Vec<Problem>,
}

/// The result of checking a draft.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verification {
    /// Accepted, repaired or replaced.
    pub outcome: DraftOutcome,
    /// The text to show (empty when replaced).
    pub text: String,
    /// One check per drafted sentence.
    pub sentences: Vec<SentenceCheck>,
}

/// Removes `[n]` markers (and `[n, m]`) and returns the text and the
/// numbers found in them.
pub fn strip_markers(text: &str) -> (String, Vec<usize>) {
    let mut out = String::with_capacity(text.len());
    let mut markers = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let close = after.find(']');
        let inner = close.map(|c| &after[..c]);
        let parsed: Option<Vec<usize>> = inner.and_then(|s| {
            s.split(',')
                .map(|p| p.trim().parse::<usize>().ok())
                .collect()
        });
        match (close, parsed) {
            (Some(c), Some(ns)) if !ns.is_empty() => {
                markers.extend(ns);
                rest = &after[c + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    // Markers leave a space before the full stop: "text [1]." -> "text."
    let tidy = out
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace(" .", ".")
        .replace(" ,", ",");
    (tidy, markers)
}

/// The numbers of a set of sources, ready to check figures against.
#[derive(Debug, Clone, Default)]
pub struct Figures {
    canonical: BTreeSet<String>,
    values: Vec<f64>,
}

impl Figures {
    /// Every number written in `sources`.
    pub fn new(sources: &[String]) -> Self {
        let grounding: Vec<String> = sources.iter().flat_map(|g| numbers(g)).collect();
        Self {
            values: grounding
                .iter()
                .filter_map(|n| n.parse::<f64>().ok())
                .collect(),
            canonical: grounding.iter().map(|n| canonical_number(n)).collect(),
        }
    }

    /// The numbers of `text` (markers excluded) that appear in none of the
    /// sources, comparing canonical forms, values rounded to the digits
    /// written, and fractions written as percentages.
    pub fn unsupported(&self, text: &str) -> Vec<String> {
        let (body, _) = strip_markers(text);
        let mut out = Vec::new();
        for n in numbers(&body) {
            if self.canonical.contains(&canonical_number(&n)) {
                continue;
            }
            let Ok(v) = n.parse::<f64>() else {
                out.push(n);
                continue;
            };
            let decimals = n.split_once('.').map_or(0, |(_, f)| f.len());
            let scale = 10f64.powi(i32::try_from(decimals).unwrap_or(6));
            let round = |x: f64| (x.abs() * scale).round() / scale;
            let hit = self.values.iter().any(|s| {
                (round(*s) - v).abs() < 0.5 / scale || (round(s * 100.0) - v).abs() < 0.5 / scale
            });
            if !hit {
                out.push(n);
            }
        }
        out
    }
}

/// The numbers of `text` (markers excluded) that appear in none of
/// `sources` (see [`Figures::unsupported`]).
pub fn unsupported_numbers(text: &str, sources: &[String]) -> Vec<String> {
    Figures::new(sources).unsupported(text)
}

/// Does `sentence` tell the reader to trade?
pub fn is_advice(sentence: &str) -> bool {
    let w = words(sentence);
    let has = |s: &str| w.iter().any(|x| x == s);
    let trade = ["buy", "sell", "short", "dump", "purchase"]
        .iter()
        .any(|t| has(t));
    if !trade {
        return false;
    }
    let text = w.join(" ");
    [
        "you should",
        "i recommend",
        "i would",
        "we recommend",
        "i suggest",
        "you must",
        "best to",
        "go ahead and",
        "now is the time",
        "right now",
    ]
    .iter()
    .any(|p| text.contains(p))
        || w.first()
            .is_some_and(|f| ["buy", "sell", "short", "dump"].contains(&f.as_str()))
}

/// Checks `draft` against `sources` (the texts `[1]`, `[2]`, … refer to).
///
/// # Errors
/// The embedder's error.
pub fn verify(
    draft: &str,
    sources: &[String],
    embedder: &dyn Embedder,
    threshold: f32,
) -> Result<Verification> {
    verify_for("", draft, sources, embedder, threshold)
}

/// [`verify`], also dropping sentences about another measure than the one
/// `question` names ([`Problem::OffSubject`]).
///
/// # Errors
/// The embedder's error.
pub fn verify_for(
    question: &str,
    draft: &str,
    sources: &[String],
    embedder: &dyn Embedder,
    threshold: f32,
) -> Result<Verification> {
    let drafted: Vec<String> = sentences(draft.trim())
        .into_iter()
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .collect();
    // Source sentences, each with its source number.
    let mut src_sentences: Vec<(usize, String)> = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        for sent in sentences(s) {
            if words(&sent).len() >= 2 {
                src_sentences.push((i + 1, sent));
            }
        }
    }
    let bodies: Vec<(String, Vec<usize>)> = drafted.iter().map(|s| strip_markers(s)).collect();
    let mut texts: Vec<&str> = bodies.iter().map(|(b, _)| b.as_str()).collect();
    texts.extend(src_sentences.iter().map(|(_, s)| s.as_str()));
    let vectors = if texts.is_empty() {
        Vec::new()
    } else {
        embedder.embed(&texts)?
    };
    let (dv, sv) = vectors.split_at(bodies.len().min(vectors.len()));
    // What the sources hold, worked out once for every sentence.
    let figures = Figures::new(sources);
    let source_terms: Vec<BTreeSet<String>> = sources
        .iter()
        .map(|t| content_terms(t).into_iter().collect())
        .collect();
    let mut checks = Vec::new();
    let mut kept: Vec<String> = Vec::new();
    let mut dropped = false;
    for (k, (sentence, (body, markers))) in drafted.iter().zip(&bodies).enumerate() {
        let mut problems = Vec::new();
        for &m in markers {
            if m == 0 || m > sources.len() {
                problems.push(Problem::BadCitation { marker: m });
            }
        }
        let nums = figures.unsupported(body);
        if !nums.is_empty() {
            problems.push(Problem::UnsupportedNumbers { numbers: nums });
        }
        if is_advice(body) {
            problems.push(Problem::Advice);
        }
        if crate::compose::off_subject(question, body) {
            problems.push(Problem::OffSubject);
        }
        // Support: the cited sources when there are valid markers, else all.
        let cited: Vec<usize> = markers
            .iter()
            .copied()
            .filter(|m| *m >= 1 && *m <= sources.len())
            .collect();
        let mut best = (f32::NEG_INFINITY, None);
        if let Some(v) = dv.get(k) {
            for ((n, _), s) in src_sentences.iter().zip(sv) {
                if !cited.is_empty() && !cited.contains(n) {
                    continue;
                }
                let c = dot(v, s);
                if c > best.0 {
                    best = (c, Some(*n));
                }
            }
        }
        let similarity = if best.0.is_finite() { best.0 } else { 0.0 };
        if words(body).len() < 3 || similarity < threshold {
            problems.push(Problem::Unsupported { similarity });
        } else {
            // Coverage against the cited sources, or the best one.
            let against: Vec<usize> = if cited.is_empty() {
                best.1.into_iter().collect()
            } else {
                cited.clone()
            };
            let covered = |t: &String| {
                against
                    .iter()
                    .filter_map(|n| source_terms.get(n - 1))
                    .any(|terms| terms.contains(t))
            };
            let terms: BTreeSet<String> = content_terms(body)
                .into_iter()
                .filter(|t| !t.chars().all(|c| c.is_ascii_digit()))
                .collect();
            let missing: Vec<String> = terms.iter().filter(|t| !covered(t)).cloned().collect();
            let coverage = if terms.is_empty() {
                1.0
            } else {
                1.0 - missing.len() as f32 / terms.len() as f32
            };
            if coverage < COVERAGE_THRESHOLD {
                problems.push(Problem::UncoveredWords { coverage, missing });
            }
        }
        if problems.is_empty() {
            if cited.is_empty() {
                // Supported but uncited: add the marker of its source.
                let n = best.1.unwrap_or(1);
                let s = sentence.trim_end();
                let with = match s.strip_suffix('.') {
                    Some(head) => format!("{head} [{n}]."),
                    None => format!("{s} [{n}]"),
                };
                kept.push(with);
            } else {
                kept.push(sentence.clone());
            }
        } else {
            dropped = true;
        }
        checks.push(SentenceCheck {
            sentence: sentence.clone(),
            similarity,
            best_source: best.1,
            problems,
        });
    }
    let outcome = if kept.is_empty() {
        DraftOutcome::Replaced
    } else if dropped {
        DraftOutcome::Repaired
    } else {
        DraftOutcome::Accepted
    };
    Ok(Verification {
        outcome,
        text: if outcome == DraftOutcome::Replaced {
            String::new()
        } else {
            kept.join(" ")
        },
        sentences: checks,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::embed::HashEmbedder;

    fn sources() -> Vec<String> {
        vec![
            "The price-to-earnings ratio divides the share price by the earnings per share. A high ratio means investors pay more for each unit of profit.".to_owned(),
            "AAPL closed at $172.50 on 2018-04-11, up 1.2% on the day.".to_owned(),
        ]
    }

    fn check(draft: &str) -> Verification {
        verify(draft, &sources(), &HashEmbedder::default(), 0.5).unwrap()
    }

    #[test]
    fn a_faithful_cited_draft_is_accepted() {
        let v = check(
            "The price-to-earnings ratio divides the share price by the earnings per share [1]. AAPL closed at $172.50 on 2018-04-11 [2].",
        );
        assert_eq!(v.outcome, DraftOutcome::Accepted, "{v:#?}");
        assert!(v.text.contains("[2]"));
    }

    #[test]
    fn an_invented_number_drops_its_sentence() {
        let v = check(
            "The price-to-earnings ratio divides the share price by the earnings per share [1]. AAPL closed at $181.00 on 2018-04-11 [2].",
        );
        assert_eq!(v.outcome, DraftOutcome::Repaired);
        assert!(!v.text.contains("181"));
        assert!(
            matches!(&v.sentences[1].problems[0], Problem::UnsupportedNumbers { numbers } if numbers == &["181.00".to_owned()])
        );
    }

    #[test]
    fn formats_of_the_same_number_are_accepted() {
        let s = vec!["The fund returned 0.0734 and holds 1234.5 dollars.".to_owned()];
        assert!(unsupported_numbers("It returned 7.34% and holds $1,234.50 [1].", &s).is_empty());
        assert!(unsupported_numbers("It returned 7.3%.", &s).is_empty());
        assert_eq!(unsupported_numbers("It returned 8%.", &s), ["8"]);
    }

    #[test]
    fn unsupported_or_uncited_sentences_are_handled() {
        // Off-topic: dropped; nothing left: replaced.
        let v = check("Bananas are a good source of potassium for athletes.");
        assert_eq!(v.outcome, DraftOutcome::Replaced);
        assert!(v.text.is_empty());
        // Supported but uncited: kept with the marker added.
        let v =
            check("The price-to-earnings ratio divides the share price by the earnings per share.");
        assert_eq!(v.outcome, DraftOutcome::Accepted);
        assert!(v.text.ends_with("[1]."), "{}", v.text);
        // A marker pointing nowhere.
        let v = check("AAPL closed at $172.50 on 2018-04-11 [7].");
        assert!(
            v.sentences[0]
                .problems
                .contains(&Problem::BadCitation { marker: 7 })
        );
        assert_eq!(v.outcome, DraftOutcome::Replaced);
    }

    #[test]
    fn an_on_topic_sentence_that_says_something_else_is_dropped() {
        let v = check(
            "The price-to-earnings ratio divides the share price by the book value of assets minus liabilities [1].",
        );
        assert!(
            v.sentences[0]
                .problems
                .iter()
                .any(|p| matches!(p, Problem::UncoveredWords { missing, .. } if missing.iter().any(|m| m.starts_with("liabilit")))),
            "{v:#?}"
        );
        assert_eq!(v.outcome, DraftOutcome::Replaced);
    }

    #[test]
    fn a_sentence_on_another_measure_is_dropped() {
        let sources = vec![
            "A high P/E ratio means investors pay more for each unit of earnings.".to_owned(),
            "The P/B ratio compares the share price with book value per share.".to_owned(),
        ];
        let e = HashEmbedder::default();
        let draft = "A high P/E ratio means investors pay more for each unit of earnings [1]. The P/B ratio compares the share price with book value per share [2].";
        let v = verify_for("What does a P/E ratio tell me?", draft, &sources, &e, 0.3).unwrap();
        assert_eq!(v.outcome, DraftOutcome::Repaired, "{v:?}");
        assert!(v.sentences[1].problems.contains(&Problem::OffSubject));
        assert!(!v.text.contains("P/B"));
        // Without a question naming a measure, both stay.
        let v = verify(draft, &sources, &e, 0.3).unwrap();
        assert_eq!(v.outcome, DraftOutcome::Accepted, "{v:?}");
    }

    #[test]
    fn advice_is_dropped_even_when_supported() {
        assert!(is_advice("You should buy AAPL now."));
        assert!(is_advice("Sell everything and hold cash."));
        assert!(!is_advice(
            "A buy-and-hold investor keeps shares for years."
        ));
        assert!(!is_advice(
            "Investors who sell after a drop lock in losses."
        ));
        let v = check("You should buy AAPL, which closed at $172.50 on 2018-04-11 [2].");
        assert!(v.sentences[0].problems.contains(&Problem::Advice));
        assert_eq!(v.outcome, DraftOutcome::Replaced);
    }

    #[test]
    fn markers_are_stripped_and_read() {
        assert_eq!(
            strip_markers("A [1]. B [2, 3]."),
            ("A. B.".to_owned(), vec![1, 2, 3])
        );
        assert_eq!(
            strip_markers("an [x] array[0"),
            ("an [x] array[0".to_owned(), vec![])
        );
        assert_eq!(check("").outcome, DraftOutcome::Replaced);
    }
}
