//! The knowledge base: short Markdown articles with front matter
//! (`id`, `title`, `tags`), split into sections and then into overlapping
//! chunks that keep their article id and heading for citations.
//!
//! ```text
//! ---
//! id: pe-ratio
//! title: The price-to-earnings (P/E) ratio
//! tags: [ratios, valuation]
//! ---
//!
//! Intro paragraph.
//!
//! ## What it measures
//! ...
//! ```

use std::collections::BTreeSet;
use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::text::sentences;

include!(concat!(env!("OUT_DIR"), "/kb_files.rs"));

/// One section of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Section {
    /// The `## ` heading, or `Overview` for the text before the first heading.
    pub heading: String,
    /// The section's prose, Markdown markers kept.
    pub text: String,
}

/// A knowledge-base article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Article {
    /// Stable id (the file name without `.md`).
    pub id: String,
    /// Title shown in citations.
    pub title: String,
    /// Lower-case tags.
    pub tags: Vec<String>,
    /// Sections in order; the first is the overview.
    pub sections: Vec<Section>,
}

/// A searchable piece of an article.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Chunk {
    /// Position in the knowledge base's chunk list (the vector index key).
    pub key: u64,
    /// The article it comes from.
    pub article_id: String,
    /// The article's title.
    pub title: String,
    /// The section heading.
    pub heading: String,
    /// The text, whole sentences.
    pub text: String,
}

impl Chunk {
    /// What is embedded and keyword-indexed: title, heading and text, so a
    /// chunk deep in an article still says what it is about.
    pub fn search_text(&self) -> String {
        format!("{}. {}. {}", self.title, self.heading, self.text)
    }
}

/// How articles are cut into chunks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChunkOptions {
    /// A chunk grows by whole sentences up to about this many words.
    pub max_words: usize,
    /// Sentences repeated from the end of one chunk at the start of the next
    /// chunk of the same section.
    pub overlap_sentences: usize,
}

impl Default for ChunkOptions {
    fn default() -> Self {
        Self {
            max_words: 110,
            overlap_sentences: 1,
        }
    }
}

/// The parsed articles, with a content hash that changes whenever any
/// article changes (used to know when a saved index is stale).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnowledgeBase {
    articles: Vec<Article>,
    hash: String,
}

impl KnowledgeBase {
    /// The knowledge base shipped with this crate.
    ///
    /// # Errors
    /// Only if a shipped article is malformed (a test guards against it).
    pub fn builtin() -> Result<Self> {
        Self::from_files(
            BUILTIN
                .iter()
                .map(|(n, t)| ((*n).to_owned(), (*t).to_owned())),
        )
    }

    /// Every `*.md` file of `dir`.
    ///
    /// # Errors
    /// [`Error::Io`] if the folder or a file cannot be read, and
    /// [`Error::Article`] for a malformed or duplicate article.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let rd = std::fs::read_dir(dir).map_err(|e| Error::io(dir, &e))?;
        let mut files = Vec::new();
        for entry in rd {
            let path = entry.map_err(|e| Error::io(dir, &e))?.path();
            if path.extension().is_some_and(|x| x == "md") {
                let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, &e))?;
                files.push((path.display().to_string(), text));
            }
        }
        if files.is_empty() {
            return Err(Error::invalid(
                dir.display().to_string(),
                "no .md articles in this folder",
            ));
        }
        Self::from_files(files)
    }

    /// Articles from (name, contents) pairs.
    ///
    /// # Errors
    /// [`Error::Article`] for a malformed article or a repeated id.
    pub fn from_files(files: impl IntoIterator<Item = (String, String)>) -> Result<Self> {
        let mut files: Vec<(String, String)> = files.into_iter().collect();
        files.sort();
        let mut articles = Vec::with_capacity(files.len());
        let mut ids = BTreeSet::new();
        let mut hasher = Sha256::new();
        for (name, text) in &files {
            let a = parse_article(name, text)?;
            if !ids.insert(a.id.clone()) {
                return Err(Error::Article {
                    path: name.clone(),
                    line: 2,
                    reason: format!("id {} is used by another article", a.id),
                });
            }
            hasher.update(a.id.as_bytes());
            hasher.update([0]);
            hasher.update(text.as_bytes());
            hasher.update([0]);
            articles.push(a);
        }
        articles.sort_by(|a, b| a.id.cmp(&b.id));
        let hash = hasher
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        Ok(Self { articles, hash })
    }

    /// The articles, by id.
    pub fn articles(&self) -> &[Article] {
        &self.articles
    }

    /// The article with `id`.
    pub fn article(&self, id: &str) -> Option<&Article> {
        self.articles
            .binary_search_by(|a| a.id.as_str().cmp(id))
            .ok()
            .map(|i| &self.articles[i])
    }

    /// SHA-256 of every article's id and text, hex.
    pub fn content_hash(&self) -> &str {
        &self.hash
    }

    /// Every article cut into chunks; chunk keys are their positions.
    pub fn chunks(&self, options: ChunkOptions) -> Vec<Chunk> {
        let mut out = Vec::new();
        for a in &self.articles {
            for s in &a.sections {
                for text in split_section(&s.text, options) {
                    out.push(Chunk {
                        key: out.len() as u64,
                        article_id: a.id.clone(),
                        title: a.title.clone(),
                        heading: s.heading.clone(),
                        text,
                    });
                }
            }
        }
        out
    }
}

/// Cuts a section into runs of whole sentences of about `max_words`, each run
/// after the first starting with the last `overlap_sentences` of the one before.
fn split_section(text: &str, options: ChunkOptions) -> Vec<String> {
    // Bullet lines are sentences of their own.
    let mut sents = Vec::new();
    for para in text.split("\n\n") {
        let para = para.trim();
        if para.is_empty() {
            continue;
        }
        if para.lines().all(|l| l.trim_start().starts_with("- ")) {
            sents.extend(
                para.lines()
                    .map(|l| l.trim_start().trim_start_matches("- ").trim().to_owned()),
            );
        } else {
            sents.extend(sentences(&para.replace('\n', " ")));
        }
    }
    let words = |s: &String| s.split_whitespace().count();
    let mut out = Vec::new();
    let mut start = 0;
    while start < sents.len() {
        let mut end = start;
        let mut count = 0;
        while end < sents.len() && (end == start || count + words(&sents[end]) <= options.max_words)
        {
            count += words(&sents[end]);
            end += 1;
        }
        out.push(sents[start..end].join(" "));
        if end >= sents.len() {
            break;
        }
        start = end.saturating_sub(options.overlap_sentences).max(start + 1);
    }
    out
}

fn parse_article(name: &str, text: &str) -> Result<Article> {
    let err = |line: usize, reason: &str| Error::Article {
        path: name.to_owned(),
        line,
        reason: reason.to_owned(),
    };
    let lines: Vec<&str> = text.lines().collect();
    if lines.first().map(|l| l.trim()) != Some("---") {
        return Err(err(1, "expected front matter starting with ---"));
    }
    let close = lines
        .iter()
        .skip(1)
        .position(|l| l.trim() == "---")
        .map(|i| i + 1)
        .ok_or_else(|| err(1, "front matter is not closed with ---"))?;
    let (mut id, mut title, mut tags) = (None, None, Vec::new());
    for (i, line) in lines.iter().enumerate().take(close).skip(1) {
        let Some((key, value)) = line.split_once(':') else {
            return Err(err(i + 1, "expected `key: value`"));
        };
        let value = value.trim();
        match key.trim() {
            "id" => {
                if value.is_empty()
                    || !value
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                {
                    return Err(err(
                        i + 1,
                        "id must be lower-case letters, digits and dashes",
                    ));
                }
                id = Some(value.to_owned());
            }
            "title" if value.is_empty() => return Err(err(i + 1, "title is empty")),
            "title" => title = Some(value.to_owned()),
            "tags" => {
                let inner = value
                    .strip_prefix('[')
                    .and_then(|v| v.strip_suffix(']'))
                    .ok_or_else(|| err(i + 1, "tags must be a [list]"))?;
                tags = inner
                    .split(',')
                    .map(|t| t.trim().to_lowercase())
                    .filter(|t| !t.is_empty())
                    .collect();
            }
            other => return Err(err(i + 1, &format!("unknown front matter key {other}"))),
        }
    }
    let id = id.ok_or_else(|| err(1, "front matter has no id"))?;
    let title = title.ok_or_else(|| err(1, "front matter has no title"))?;
    let mut sections = vec![Section {
        heading: "Overview".to_owned(),
        text: String::new(),
    }];
    for line in &lines[close + 1..] {
        if let Some(h) = line.strip_prefix("## ") {
            sections.push(Section {
                heading: h.trim().to_owned(),
                text: String::new(),
            });
        } else if line.starts_with("# ") {
            // A repeated title line adds nothing.
        } else if let Some(last) = sections.last_mut() {
            last.text.push_str(line);
            last.text.push('\n');
        }
    }
    for s in &mut sections {
        s.text = s.text.trim().to_owned();
    }
    sections.retain(|s| !s.text.is_empty());
    if sections.is_empty() {
        return Err(err(close + 2, "the article has no text"));
    }
    Ok(Article {
        id,
        title,
        tags,
        sections,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "---\nid: demo\ntitle: A demo\ntags: [One, two]\n---\n\nIntro line.\n\n## First\nA. B. C.\n\n## Key points\n- one\n- two\n";

    #[test]
    fn parses_front_matter_and_sections() {
        let kb = KnowledgeBase::from_files([("demo.md".to_owned(), GOOD.to_owned())]).unwrap();
        let a = kb.article("demo").unwrap();
        assert_eq!(a.title, "A demo");
        assert_eq!(a.tags, ["one", "two"]);
        let heads: Vec<_> = a.sections.iter().map(|s| s.heading.as_str()).collect();
        assert_eq!(heads, ["Overview", "First", "Key points"]);
        let chunks = kb.chunks(ChunkOptions::default());
        assert_eq!(chunks.len(), 3);
        assert_eq!(chunks[2].text, "one two");
        assert_eq!(chunks[1].key, 1);
    }

    #[test]
    fn long_sections_overlap_by_whole_sentences() {
        let text = "One two three. Four five six. Seven eight nine. Ten eleven twelve.";
        let parts = split_section(
            text,
            ChunkOptions {
                max_words: 6,
                overlap_sentences: 1,
            },
        );
        assert_eq!(
            parts,
            [
                "One two three. Four five six.",
                "Four five six. Seven eight nine.",
                "Seven eight nine. Ten eleven twelve."
            ]
        );
    }

    #[test]
    fn malformed_articles_say_where() {
        let cases = [
            ("no front matter", "# Title\n", 1, "front matter"),
            ("unclosed", "---\nid: x\n", 1, "not closed"),
            (
                "bad id",
                "---\nid: Bad Id\ntitle: t\n---\ntext",
                2,
                "lower-case",
            ),
            ("no title", "---\nid: x\n---\ntext", 1, "no title"),
            (
                "bad tags",
                "---\nid: x\ntitle: t\ntags: a, b\n---\ntext",
                4,
                "[list]",
            ),
            (
                "unknown key",
                "---\nid: x\ntitle: t\nauthor: me\n---\ntext",
                4,
                "unknown",
            ),
            ("empty", "---\nid: x\ntitle: t\n---\n\n", 5, "no text"),
        ];
        for (what, text, line, needle) in cases {
            match KnowledgeBase::from_files([("f.md".to_owned(), text.to_owned())]) {
                Err(Error::Article {
                    line: l, reason, ..
                }) => {
                    assert_eq!(l, line, "{what}: {reason}");
                    assert!(reason.contains(needle), "{what}: {reason}");
                }
                other => panic!("{what}: {other:?}"),
            }
        }
        let dup = KnowledgeBase::from_files([
            ("a.md".to_owned(), GOOD.to_owned()),
            ("b.md".to_owned(), GOOD.to_owned()),
        ]);
        assert!(matches!(dup, Err(Error::Article { .. })));
    }

    #[test]
    fn hash_changes_with_content() {
        let a = KnowledgeBase::from_files([("d.md".to_owned(), GOOD.to_owned())]).unwrap();
        let b = KnowledgeBase::from_files([("d.md".to_owned(), GOOD.replace("Intro", "Lead"))])
            .unwrap();
        assert_ne!(a.content_hash(), b.content_hash());
        assert_eq!(a.content_hash().len(), 64);
    }
}
