//! The offline evaluation with the real MiniLM weights: the targets the
//! assistant must meet (recall@3 >= 0.9, tool and refusal accuracy >= 0.95,
//! no invented numbers).

use auravest_ai::eval::run;
use auravest_ai::setup::Setup;

use crate::support::{root, set};

fn weights_installed() -> bool {
    match auravest_ai::setup::env::minilm_dir() {
        Ok(_) => true,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI needs the MiniLM weights: {e}"
            );
            eprintln!("skipped: {e}");
            false
        }
    }
}

#[tokio::test]
async fn offline_evaluation_meets_its_targets_with_minilm() {
    if !weights_installed() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let t0 = std::time::Instant::now();
    let (assistant, report) = Setup {
        index_dir: Some(dir.path().to_path_buf()),
        ..Setup::default()
    }
    .build(&|_, _| {})
    .unwrap();
    assert_eq!(report.embedder, "all-MiniLM-L6-v2");
    assert!(!report.loaded);
    eprintln!(
        "setup (embed {} chunks): {:.1} s",
        report.chunks,
        t0.elapsed().as_secs_f64()
    );
    let t1 = std::time::Instant::now();
    let r = run(&set(), &assistant, &root()).await.unwrap();
    eprintln!(
        "evaluation ({} questions): {:.1} s",
        r.cases,
        t1.elapsed().as_secs_f64()
    );
    let failures: Vec<String> = r.failures.iter().map(ToString::to_string).collect();
    let summary = format!(
        "recall@3 {} mrr {} tools {} refusals {} figures {} invented {}\n{}",
        r.recall_at_3,
        r.mrr,
        r.tool_accuracy,
        r.refusal_accuracy,
        r.figure_accuracy,
        r.invented_numbers,
        failures.join("\n")
    );
    assert!(r.cases >= 80, "{summary}");
    assert!(r.recall_at_3 >= 0.9, "{summary}");
    assert!(r.tool_accuracy >= 0.95, "{summary}");
    assert!(r.refusal_accuracy >= 0.95, "{summary}");
    assert_eq!(r.invented_numbers, 0, "{summary}");
    // Quoted sentences stay on the measure the question names.
    assert_eq!(r.off_subject_sentences, 0, "{summary}");
    assert_eq!(r.write_tool_calls, 0);
    assert!(r.figure_accuracy >= 0.95, "{summary}");

    // The saved index is reused while the knowledge base is unchanged.
    let (_, again) = Setup {
        index_dir: Some(dir.path().to_path_buf()),
        ..Setup::default()
    }
    .build(&|_, _| {})
    .unwrap();
    assert!(again.loaded, "{again:?}");
}
