//! The extractive answer composer: tool facts and the most relevant
//! sentences of the retrieved passages, each followed by its citation `[n]`
//! (n is the 1-based position in the answer's citation list). It writes no
//! figure of its own: every number comes from a passage or a tool result.

use serde::Serialize;

use crate::guard::looks_like_instruction;
use crate::retrieve::Passage;
use crate::text::{content_terms, sentences};
use crate::tools::ToolOutput;

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
