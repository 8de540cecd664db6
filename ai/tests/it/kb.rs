//! The shipped knowledge base and its chunks.

use std::collections::BTreeSet;

use auravest_ai::ChunkOptions;

use crate::support::{kb, set};

#[test]
fn the_shipped_knowledge_base_is_complete_and_well_formed() {
    let kb = kb();
    assert!(
        kb.articles().len() >= 60,
        "{} articles",
        kb.articles().len()
    );
    for a in kb.articles() {
        assert!(!a.title.is_empty(), "{}", a.id);
        assert!(!a.tags.is_empty(), "{} has no tags", a.id);
        assert!(
            a.sections.len() >= 4,
            "{} has {} sections",
            a.id,
            a.sections.len()
        );
        assert!(
            a.sections.iter().any(|s| s.heading == "Key points"),
            "{}",
            a.id
        );
    }
    for needed in [
        "pe-ratio",
        "eps",
        "dividend-yield",
        "expense-ratio",
        "etfs",
        "index-funds",
        "bond-duration",
        "diversification",
        "rebalancing",
        "dollar-cost-averaging",
        "drawdowns",
        "tax-advantaged-accounts",
        "loss-aversion",
        "auravest-nudges",
        "disclaimer",
        "about-our-ai",
    ] {
        assert!(kb.article(needed).is_some(), "missing {needed}");
    }
    let disclaimer = kb.article("disclaimer").unwrap();
    let text: String = disclaimer
        .sections
        .iter()
        .map(|s| s.text.as_str())
        .collect();
    // What the assistant teaches is the notice every screen shows, word for word.
    assert!(
        text.contains(auravest_core::DISCLAIMER),
        "the disclaimer article does not quote auravest_core::DISCLAIMER"
    );
}

#[test]
fn chunks_keep_their_article_and_heading_and_cover_every_section() {
    let kb = kb();
    let chunks = kb.chunks(ChunkOptions::default());
    let keys: Vec<u64> = chunks.iter().map(|c| c.key).collect();
    assert_eq!(keys, (0..chunks.len() as u64).collect::<Vec<_>>());
    for a in kb.articles() {
        let heads: BTreeSet<&str> = chunks
            .iter()
            .filter(|c| c.article_id == a.id)
            .map(|c| c.heading.as_str())
            .collect();
        for s in &a.sections {
            assert!(
                heads.contains(s.heading.as_str()),
                "{} / {}",
                a.id,
                s.heading
            );
        }
    }
    let longest = chunks
        .iter()
        .map(|c| c.text.split_whitespace().count())
        .max()
        .unwrap();
    assert!(longest < 200, "a chunk of {longest} words");
    // Overlap: a long section's chunks share a sentence.
    let small = kb.chunks(ChunkOptions {
        max_words: 40,
        overlap_sentences: 1,
    });
    let pair = small
        .windows(2)
        .find(|w| w[0].article_id == w[1].article_id && w[0].heading == w[1].heading)
        .expect("some section spans two chunks");
    // The next chunk starts with the sentence that ended the previous one.
    let head: String = pair[1].text.chars().take(30).collect();
    assert!(pair[0].text.contains(&head), "{pair:?}");
}

#[test]
fn the_question_set_meets_its_own_rules() {
    let kb = kb();
    let set = set();
    assert!(set.cases.len() >= 80);
    let oos = set
        .cases
        .iter()
        .filter(|c| c.category == "out_of_scope")
        .count();
    assert!(oos >= 20, "{oos} out-of-scope cases");
    let share = set.no_shared_title_word_share(&kb);
    assert!(share >= 0.4, "{share}");
    assert!(set.cases.iter().any(|c| !c.must_contain.is_empty()));
    // Bad sets are refused with the case named.
    let bad = auravest_ai::eval::EvalSet::parse(
        r#"{"version":1,"as_of":"2018-04-11","prices":"p","transactions":"t","cases":[{"id":"x","category":"knowledge","question":"q","expected_articles":["nope"],"expected_tools":[],"forbidden_tools":[],"must_refuse":false,"must_contain":[]}]}"#,
        &kb,
    );
    assert!(
        bad.unwrap_err()
            .to_string()
            .contains("x: unknown article nope")
    );
}
