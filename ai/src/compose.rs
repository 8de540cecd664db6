//! The extractive answer composer: tool facts and the most relevant
//! sentences of the retrieved passages, each followed by its citation `[n]`
//! (n is the 1-based position in the answer's citation list). It writes no
//! figure of its own: every number comes from a passage or a tool result.

use serde::Serialize;

use crate::guard::looks_like_instruction;
use crate::retrieve::Passage;
use crate::text::{content_terms, sentences, words};
use crate::tools::ToolOutput;

/// Names of measures, each group one measure: a sentence that names only
/// other measures does not answer a question about this one ("What does a
/// P/E ratio tell me?" is not answered by a sentence on the P/B ratio).
/// Phrases as [`words`] gives them, joined by spaces.
pub const KEY_TERMS: &[&[&str]] = &[
    &[
        "pe",
        "pe ratio",
        "price to earnings",
        "price earnings",
        "earnings multiple",
    ],
    &["pb", "pb ratio", "price to book", "book value"],
    &["peg", "peg ratio"],
    &["ps ratio", "price to sales"],
    &["eps", "earnings per share"],
    &["dividend yield"],
    &["payout ratio"],
    &["expense ratio", "ter", "ongoing charge"],
    &["sharpe", "sharpe ratio"],
    &["sortino", "sortino ratio"],
    &["beta"],
    &["alpha"],
    &["cagr", "compound annual growth rate"],
    &["volatility", "standard deviation"],
    &["drawdown", "max drawdown", "maximum drawdown"],
    &[
        "market cap",
        "market capitalisation",
        "market capitalization",
    ],
    &["time weighted", "twr"],
    &[
        "money weighted",
        "mwr",
        "irr",
        "xirr",
        "internal rate of return",
    ],
    &["duration"],
    &["yield to maturity", "ytm"],
];

/// The [`KEY_TERMS`] groups `text` names, by index.
pub fn key_terms(text: &str) -> Vec<usize> {
    let joined = format!(" {} ", words(text).join(" "));
    KEY_TERMS
        .iter()
        .enumerate()
        .filter(|(_, g)| g.iter().any(|t| joined.contains(&format!(" {t} "))))
        .map(|(i, _)| i)
        .collect()
}

/// Does `sentence` name measures, none of them one `question` names, while
/// the question names one? Such a sentence is off the question's subject.
pub fn off_subject(question: &str, sentence: &str) -> bool {
    let q = key_terms(question);
    if q.is_empty() {
        return false;
    }
    let s = key_terms(sentence);
    !s.is_empty() && s.iter().all(|i| !q.contains(i))
}

/// One source of an answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Citation {
    /// The article id, or `tool:<name>` for a tool result.
    pub id: String,
    /// The article title, or what the tool looked up.
    pub title: String,
    /// The section heading, or the tool name.
    pub heading: String,
    /// The quoted text.
    pub snippet: String,
}

/// The composed body and its citations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Composition {
    /// Sentences with their markers.
    pub lines: Vec<String>,
    /// The citation list the markers index.
    pub citations: Vec<Citation>,
    /// Sentences of passages skipped because they read like instructions.
    pub dropped_instructions: usize,
    /// The full text behind each citation (the passage, or the tool fact),
    /// in citation order: what a model may draft from.
    pub sources: Vec<String>,
    /// Lines holding tool facts (they come first).
    pub tool_lines: usize,
}

impl Composition {
    fn cite(&mut self, c: Citation, source: &str) -> usize {
        if let Some(i) = self
            .citations
            .iter()
            .position(|x| x.id == c.id && x.heading == c.heading)
        {
            if !self.citations[i].snippet.contains(&c.snippet) {
                let s = format!("{} {}", self.citations[i].snippet, c.snippet);
                self.citations[i].snippet = s;
            }
            if !self.sources[i].contains(source) {
                let s = format!("{} {source}", self.sources[i]);
                self.sources[i] = s;
            }
            return i + 1;
        }
        self.citations.push(c);
        self.sources.push(source.to_owned());
        self.citations.len()
    }

    /// Adds each fact of a tool output, cited.
    pub fn add_tool(&mut self, out: &ToolOutput) {
        for fact in &out.facts {
            let n = self.cite(
                Citation {
                    id: format!("tool:{}", out.name),
                    title: out.label.clone(),
                    heading: out.name.to_string(),
                    snippet: fact.clone(),
                },
                fact,
            );
            self.lines.push(format!("{fact} [{n}]"));
            self.tool_lines = self.lines.len();
        }
    }

    /// Adds a plain line without a citation (fixed notices with no figures).
    pub fn add_plain(&mut self, line: &str) {
        self.lines.push(line.to_owned());
    }

    /// Quotes the best sentences of up to `max_passages` passages from
    /// different articles, at most `per_passage` sentences each.
    pub fn add_passages(
        &mut self,
        question: &str,
        passages: &[Passage],
        max_passages: usize,
        per_passage: usize,
    ) {
        let q: Vec<String> = content_terms(question);
        let q_keys = key_terms(question);
        let mut used_articles: Vec<&str> = Vec::new();
        for p in passages {
            if used_articles.len() >= max_passages {
                break;
            }
            if used_articles.contains(&p.chunk.article_id.as_str()) {
                continue;
            }
            let mut scored: Vec<(f32, usize, String)> = Vec::new();
            for (i, s) in sentences(&p.chunk.text).into_iter().enumerate() {
                if looks_like_instruction(&s) {
                    self.dropped_instructions += 1;
                    continue;
                }
                let terms = content_terms(&s);
                if terms.len() < 4 {
                    continue;
                }
                // A sentence about another measure than the one asked about.
                if !q_keys.is_empty() {
                    let keys = key_terms(&s);
                    if !keys.is_empty() && keys.iter().all(|k| !q_keys.contains(k)) {
                        continue;
                    }
                }
                let overlap = q.iter().filter(|t| terms.contains(t)).count() as f32;
                // Earlier sentences define; later ones elaborate.
                let score = overlap / (q.len().max(1) as f32) + 0.3 / (1.0 + i as f32);
                scored.push((score, i, s));
            }
            if scored.is_empty() {
                continue;
            }
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let mut pick: Vec<(usize, String)> = scored
                .into_iter()
                .take(per_passage)
                .map(|(_, i, s)| (i, s))
                .collect();
            pick.sort_by_key(|(i, _)| *i);
            let snippet = pick
                .iter()
                .map(|(_, s)| s.as_str())
                .collect::<Vec<_>>()
                .join(" ");
            let n = self.cite(
                Citation {
                    id: p.chunk.article_id.clone(),
                    title: p.chunk.title.clone(),
                    heading: p.chunk.heading.clone(),
                    snippet: snippet.clone(),
                },
                &p.chunk.text,
            );
            self.lines.push(format!("{snippet} [{n}]"));
            used_articles.push(&p.chunk.article_id);
        }
    }

    /// The body: one paragraph per line, then the disclaimer.
    pub fn render(&self, disclaimer: &str) -> String {
        render(&self.lines, disclaimer)
    }
}

/// Paragraphs separated by blank lines, then the disclaimer.
pub fn render(paragraphs: &[String], disclaimer: &str) -> String {
    let mut out = paragraphs.join("\n\n");
    if !out.is_empty() {
        out.push_str("\n\n");
    }
    out.push_str(disclaimer);
    out
}

#[cfg(test)]
mod tests {
    use super::{key_terms, off_subject};

    #[test]
    fn sentences_on_another_measure_are_off_subject() {
        let q = "What does a P/E ratio tell me?";
        assert!(off_subject(
            q,
            "The P/B ratio compares price with book value."
        ));
        assert!(!off_subject(
            q,
            "A high P/E ratio means investors pay more per unit of earnings."
        ));
        // Naming both keeps it: it may contrast them.
        assert!(!off_subject(
            q,
            "Unlike the P/B ratio, the price-to-earnings ratio uses profits."
        ));
        // No measure in the sentence, or none in the question: not judged.
        assert!(!off_subject(
            q,
            "Investors use valuation multiples to compare companies."
        ));
        assert!(!off_subject(
            "Why diversify?",
            "The Sharpe ratio divides excess return by volatility."
        ));
        assert_eq!(
            key_terms("price-to-book and P/E"),
            key_terms("P/E or the price to book ratio")
        );
    }
}
