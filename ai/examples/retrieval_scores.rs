//! Prints, for every question of the evaluation set, the best fused,
//! vector and keyword scores, the closest off-topic anchor and the top
//! articles: the numbers the relevance threshold and the scope check are
//! calibrated on.
//!
//! `cargo run --release -p auravest-ai --example retrieval_scores`

use auravest_ai::eval::{BUILTIN_SET, EvalSet};
use auravest_ai::guard::{OFF_TOPIC_ANCHORS, ScopeGuard};
use auravest_ai::setup::Setup;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join("auravest-retrieval-scores");
    let (assistant, report) = Setup {
        index_dir: Some(dir),
        ..Setup::default()
    }
    .build(&|_, _| {})?;
    eprintln!("embedder {}", report.embedder);
    let set = EvalSet::parse(BUILTIN_SET, assistant.kb())?;
    let r = assistant.retriever();
    let scope = ScopeGuard::new(r.embedder())?;
    println!("id\tcategory\tfused\tvector\tkeyword\toff\tanchor\thit\ttop3");
    for c in &set.cases {
        let v = r.embedder().embed_one(&c.question)?;
        let res = r.search_vector(&c.question, &v, 8)?;
        let best = res.passages.first();
        let vmax = res
            .passages
            .iter()
            .map(|p| p.vector_score)
            .fold(0f32, f32::max);
        let (off, which) = scope.off_topic(&v);
        let ids = res.article_ids();
        let hit = c
            .expected_articles
            .iter()
            .any(|a| ids.iter().take(3).any(|x| x == a));
        println!(
            "{}\t{}\t{:.3}\t{:.3}\t{:.3}\t{:.3}\t{}\t{}\t{}",
            c.id,
            c.category,
            best.map_or(0.0, |p| p.score),
            vmax,
            best.map_or(0.0, |p| p.keyword_score),
            off,
            &OFF_TOPIC_ANCHORS[which][..20.min(OFF_TOPIC_ANCHORS[which].len())],
            if c.expected_articles.is_empty() {
                "-"
            } else if hit {
                "yes"
            } else {
                "NO"
            },
            ids.iter().take(3).copied().collect::<Vec<_>>().join(",")
        );
    }
    // Recall@3 over a grid of settings (knowledge and metric cases).
    let cases: Vec<_> = set
        .cases
        .iter()
        .filter(|c| !c.expected_articles.is_empty())
        .collect();
    let vecs: Vec<Vec<f32>> = cases
        .iter()
        .map(|c| r.embedder().embed_one(&c.question))
        .collect::<Result<_, _>>()?;
    for vw in [0.6f32, 0.7, 0.75, 0.8, 0.9, 1.0] {
        for min in [0.0f32, 0.2, 0.25, 0.3] {
            let cfg = auravest_ai::RetrievalConfig {
                vector_weight: vw,
                keyword_weight: 1.0 - vw,
                min_passage_score: min,
                ..r.config()
            };
            let mut hits = 0;
            let mut misses = Vec::new();
            for (c, v) in cases.iter().zip(&vecs) {
                let res = r.search_with(&c.question, v, 8, cfg)?;
                let ids = res.article_ids();
                if c.expected_articles
                    .iter()
                    .any(|a| ids.iter().take(3).any(|x| x == a))
                {
                    hits += 1;
                } else {
                    misses.push(c.id.as_str());
                }
            }
            println!(
                "vw {vw} min {min}: recall@3 {:.3} misses {}",
                hits as f64 / cases.len() as f64,
                misses.join(",")
            );
        }
    }
    Ok(())
}
