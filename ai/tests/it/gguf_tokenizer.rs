//! The tokenizer built from Gemma 3 270M's GGUF vocabulary against Gemma 3's
//! published `tokenizer.json`, on `tests/data/tokenizer_corpus.json`: the
//! same ids and the same decodes for every string. Both files come from
//! `bash scripts/fetch-models.sh`; without them these tests fail under
//! `CI=true` and otherwise print a notice and pass.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

use auravest_ai::llm::gguf_tokenizer::{GgufVocab, tokenizer_from_gguf};
use candle_core::quantized::gguf_file::Content;
use tokenizers::Tokenizer;

const GGUF_ENV: &str = "AURAVEST_GEMMA_GGUF";
const REFERENCE_ENV: &str = "AURAVEST_GEMMA_REFERENCE_TOKENIZER";

/// The GGUF vocabulary size (the embedding has this many rows).
const VOCAB: usize = 262_144;

struct Pair {
    /// Built from the GGUF.
    ours: Tokenizer,
    vocab: GgufVocab,
    /// Loaded from the published `tokenizer.json`.
    reference: Tokenizer,
}

/// `$var` when set and non-empty, else `default` under
/// `$HOME/.cache/auravest/models/gemma-3-270m`.
fn path_from(var: &str, default: &str) -> PathBuf {
    match std::env::var_os(var).filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
            .join(".cache/auravest/models/gemma-3-270m")
            .join(default),
    }
}

/// Both tokenizers, built once for the whole test binary; `None` (outside
/// CI) when the files are not installed.
fn pair() -> Option<&'static Pair> {
    static PAIR: OnceLock<Option<Pair>> = OnceLock::new();
    PAIR.get_or_init(|| {
        let gguf = path_from(GGUF_ENV, "gemma-3-270m-q4_k_m.gguf");
        let reference = path_from(REFERENCE_ENV, "reference/tokenizer.json");
        let missing: Vec<String> = [(&gguf, GGUF_ENV), (&reference, REFERENCE_ENV)]
            .into_iter()
            .filter(|(p, _)| !p.is_file())
            .map(|(p, var)| format!("{} (or set {var})", p.display()))
            .collect();
        if !missing.is_empty() {
            let msg = format!(
                "missing {}; run `bash scripts/fetch-models.sh`",
                missing.join(" and ")
            );
            if std::env::var("CI").is_ok_and(|v| v == "true") {
                panic!("CI=true and the Gemma tokenizer files are missing: {msg}");
            }
            eprintln!("NOTICE: skipping the GGUF tokenizer tests: {msg}");
            return None;
        }

        let t0 = Instant::now();
        let mut f = BufReader::new(File::open(&gguf).expect("the GGUF opens"));
        let content = Content::read(&mut f).expect("the GGUF header reads");
        let t1 = Instant::now();
        let (ours, vocab) = tokenizer_from_gguf(&content).expect("the tokenizer builds");
        let t2 = Instant::now();
        let reference = Tokenizer::from_file(&reference).expect("the reference loads");
        let t3 = Instant::now();
        eprintln!(
            "GGUF header {:.2} s, tokenizer from the GGUF {:.2} s, reference tokenizer.json {:.2} s ({} build)",
            (t1 - t0).as_secs_f64(),
            (t2 - t1).as_secs_f64(),
            (t3 - t2).as_secs_f64(),
            if cfg!(debug_assertions) { "debug" } else { "release" },
        );
        Some(Pair {
            ours,
            vocab,
            reference,
        })
    })
    .as_ref()
}

fn corpus() -> Vec<String> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/tokenizer_corpus.json");
    let text = std::fs::read_to_string(&path).expect("the corpus reads");
    serde_json::from_str(&text).expect("the corpus is a JSON array of strings")
}

/// The pieces of `ids` in `t`, for a readable mismatch report.
fn pieces(t: &Tokenizer, ids: &[u32]) -> Vec<String> {
    ids.iter()
        .map(|&id| t.id_to_token(id).unwrap_or_else(|| format!("#{id}")))
        .collect()
}

#[test]
fn same_ids_and_decodes_as_the_reference_on_the_corpus() {
    let Some(p) = pair() else { return };
    let corpus = corpus();
    assert!(corpus.len() >= 320, "only {} corpus strings", corpus.len());
    // Byte pieces `<0x00>`..`<0xFF>`: ids of the byte fallback.
    let bytes = p.vocab.token_id("<0x00>").unwrap()..=p.vocab.token_id("<0xFF>").unwrap();
    let (mut with_bytes, mut with_controls, mut tokens) = (0, 0, 0);
    for (i, text) in corpus.iter().enumerate() {
        let want = p.reference.encode(text.as_str(), true).unwrap();
        let got = p.ours.encode(text.as_str(), true).unwrap();
        assert_eq!(
            got.get_ids(),
            want.get_ids(),
            "first mismatch, corpus string {i} {text:?}:\n  ours      {:?}\n  reference {:?}",
            pieces(&p.ours, got.get_ids()),
            pieces(&p.reference, want.get_ids()),
        );
        let ids = want.get_ids();
        for skip in [false, true] {
            assert_eq!(
                p.ours.decode(ids, skip).unwrap(),
                p.reference.decode(ids, skip).unwrap(),
                "decode (skip_special_tokens = {skip}) differs, corpus string {i} {text:?}, ids {ids:?}"
            );
        }
        tokens += ids.len();
        with_bytes += usize::from(ids.iter().any(|id| bytes.contains(id)));
        with_controls += usize::from(ids[1..].iter().any(|&id| id < 7 || id == 105 || id == 106));
    }
    eprintln!(
        "{} strings, {tokens} tokens: identical; {with_bytes} strings use byte fallback, {with_controls} inline control tokens",
        corpus.len()
    );
    // The corpus does exercise both.
    assert!(with_bytes >= 10, "{with_bytes} strings use byte fallback");
    assert!(
        with_controls >= 10,
        "{with_controls} strings hold control tokens"
    );
}

#[test]
fn same_vocabulary_and_special_ids_as_the_reference() {
    let Some(p) = pair() else { return };
    assert_eq!(p.vocab.len(), VOCAB);
    assert_eq!(p.ours.get_vocab_size(false), VOCAB);
    assert_eq!(p.reference.get_vocab_size(false), VOCAB);
    for id in 0..VOCAB as u32 {
        assert_eq!(
            p.ours.id_to_token(id),
            p.reference.id_to_token(id),
            "id {id}"
        );
    }
    for (piece, id) in [
        ("<pad>", 0),
        ("<eos>", 1),
        ("<bos>", 2),
        ("<unk>", 3),
        ("<start_of_turn>", 105),
        ("<end_of_turn>", 106),
    ] {
        assert_eq!(p.vocab.token_id(piece), Some(id), "{piece}");
        assert_eq!(p.ours.token_to_id(piece), Some(id), "{piece}");
        assert_eq!(p.reference.token_to_id(piece), Some(id), "{piece}");
    }
    assert_eq!((p.vocab.bos_id(), p.vocab.eos_id()), (2, 1));
    assert_eq!((p.vocab.unk_id(), p.vocab.pad_id()), (Some(3), Some(0)));
    assert!(p.vocab.add_bos());

    // The added tokens agree, flags included, except one: the reference
    // also adds `<image_soft_token>` as id 262144, past the end of the
    // vocabulary (and of the text model's embedding); the GGUF has no such
    // piece, so here it is plain text.
    let ours = p.ours.get_added_tokens_decoder();
    let mut reference = p.reference.get_added_tokens_decoder();
    let soft = reference
        .remove(&(VOCAB as u32))
        .expect("the reference has id 262144");
    assert_eq!(soft.content, "<image_soft_token>");
    assert_eq!(ours.len(), reference.len());
    for (id, token) in &reference {
        assert_eq!(ours.get(id), Some(token), "added token {id}");
    }
    let ids = p.ours.encode("<image_soft_token>", false).unwrap();
    assert!(ids.get_ids().iter().all(|&id| (id as usize) < VOCAB));
}

/// JSON text of a serialisable part.
fn json<T: serde::Serialize>(part: T) -> String {
    serde_json::to_string(&part).unwrap()
}

#[test]
fn same_pipeline_and_merges_as_the_reference() {
    let Some(p) = pair() else { return };
    assert_eq!(
        json(p.ours.get_normalizer()),
        json(p.reference.get_normalizer())
    );
    assert_eq!(
        json(p.ours.get_pre_tokenizer()),
        json(p.reference.get_pre_tokenizer())
    );
    assert_eq!(
        json(p.ours.get_post_processor()),
        json(p.reference.get_post_processor())
    );
    assert_eq!(json(p.ours.get_decoder()), json(p.reference.get_decoder()));
    // The BPE model serialises its settings, its vocabulary by id and its
    // merges by rank: all 514,906 merges, in the same order.
    let ours = json(p.ours.get_model());
    let reference = json(p.reference.get_model());
    if ours != reference {
        let at = ours
            .bytes()
            .zip(reference.bytes())
            .position(|(a, b)| a != b)
            .unwrap_or(ours.len().min(reference.len()));
        let show = |s: &str| {
            let b = s.as_bytes();
            String::from_utf8_lossy(&b[at.saturating_sub(80)..(at + 80).min(b.len())]).into_owned()
        };
        panic!(
            "the BPE models differ at byte {at}:\n  ours      ...{}...\n  reference ...{}...",
            show(&ours),
            show(&reference)
        );
    }
    assert!(reference.contains("\"byte_fallback\":true"));
}
