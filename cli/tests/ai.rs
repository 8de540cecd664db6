//! `auravest ask`, `eval` and `kb build` end to end, offline: prices come
//! from the sample data, market hosts point at an unroutable address, and the
//! deterministic embedder keeps these tests quick (the ai crate's own tests
//! run the evaluation with the real MiniLM weights).

mod support;

use std::process::{Command, Output};

use serde_json::Value;
use support::{data, stderr};

fn run(args: &[&str], index_dir: &std::path::Path) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_auravest"));
    for v in [
        "AURAVEST_YAHOO_BASE_URL",
        "AURAVEST_YAHOO_COOKIE_URL",
        "AURAVEST_ALPHAVANTAGE_BASE_URL",
        "AURAVEST_STOOQ_BASE_URL",
    ] {
        cmd.env(v, "http://127.0.0.1:9");
    }
    cmd.env_remove("AURAVEST_ALPHAVANTAGE_API_KEY");
    cmd.env("AURAVEST_INDEX_DIR", index_dir);
    // No language model unless a test asks for one: the default looks for
    // the Gemma weights here, and finds none.
    cmd.env_remove("AURAVEST_GEMMA_GGUF");
    cmd.env("AURAVEST_MODELS_DIR", index_dir);
    cmd.current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."));
    cmd.args(args).output().expect("binary runs")
}

fn json(out: &Output) -> Value {
    assert!(out.status.success(), "stderr: {}", stderr(out));
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout)))
}

#[test]
fn ask_answers_with_tools_citations_and_the_disclaimer() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, px) = (data("transactions.csv"), data("prices.csv"));
    let out = run(
        &[
            "ask",
            "What's AAPL trading at?",
            "--transactions",
            &tx,
            "--prices",
            &px,
            "--hash-embedder",
            "--format",
            "json",
        ],
        dir.path(),
    );
    let v = json(&out);
    for k in [
        "id",
        "answer",
        "citations",
        "tools",
        "refused",
        "model",
        "disclaimer",
    ] {
        assert!(v.get(k).is_some(), "no {k}: {v}");
    }
    assert_eq!(v["model"], "none");
    assert_eq!(v["refused"], false);
    assert_eq!(v["tools"][0]["name"], "get_stock_price");
    let result = &v["tools"][0]["result"];
    assert_eq!(result["source"], "file");
    assert_eq!(result["as_of"], "2018-04-11");
    // The sample prices end in 2018: the quote is flagged stale, and the answer says so.
    assert_eq!(result["stale"], true);
    let answer = v["answer"].as_str().unwrap();
    assert!(
        answer.contains("172.44") && answer.contains("stale") && answer.contains("[1]"),
        "{v}"
    );
    assert_eq!(v["citations"][0]["id"], "tool:get_stock_price");
    assert!(
        v["disclaimer"]
            .as_str()
            .unwrap()
            .contains("not financial advice")
    );
    assert!(
        stderr(&out).contains("hashing embedder"),
        "the fallback is announced"
    );

    let text = run(
        &[
            "ask",
            "How does dollar-cost averaging work?",
            "--hash-embedder",
        ],
        dir.path(),
    );
    assert!(text.status.success(), "{}", stderr(&text));
    let s = String::from_utf8_lossy(&text.stdout);
    assert!(
        s.contains("[1]") && s.contains("Sources:") && s.contains("not financial advice"),
        "{s}"
    );

    let refused = json(&run(
        &[
            "ask",
            "Give me a recipe for banana bread.",
            "--hash-embedder",
            "--format",
            "json",
        ],
        dir.path(),
    ));
    assert_eq!(refused["refused"], true);
    assert!(refused["tools"].as_array().unwrap().is_empty());
}

#[test]
fn ask_rejects_bad_input_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(&["ask", "  ", "--hash-embedder"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("QUESTION: is empty"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &["ask", "hi", "--transactions", &data("transactions.csv")],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "--transactions needs --prices");
    let long = "a".repeat(2001);
    let out = run(&["ask", &long, "--hash-embedder"], dir.path());
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("question: is 2001 characters"),
        "{}",
        stderr(&out)
    );
    let out = run(
        &["ask", "hi", "--kb", "/nonexistent/kb", "--hash-embedder"],
        dir.path(),
    );
    assert_ne!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("/nonexistent/kb"), "{}", stderr(&out));
}

#[test]
fn eval_reports_every_metric_and_kb_build_saves_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let v = json(&run(
        &["eval", "--hash-embedder", "--format", "json"],
        dir.path(),
    ));
    for k in [
        "cases",
        "recall_at_3",
        "mrr",
        "tool_accuracy",
        "refusal_accuracy",
        "figure_accuracy",
        "invented_numbers",
        "off_subject_sentences",
        "write_tool_calls",
        "no_shared_title_word_share",
        "failures",
    ] {
        assert!(v.get(k).is_some(), "no {k}: {v}");
    }
    assert_eq!(v["cases"], 118);
    assert_eq!(v["embedder"], "hash-384");
    assert_eq!(v["invented_numbers"], 0, "{v}");
    assert_eq!(v["off_subject_sentences"], 0, "{v}");
    assert_eq!(v["write_tool_calls"], 0);
    // --check exits 1 exactly when a target is missed.
    let missed = v["recall_at_3"].as_f64().unwrap() < 0.9
        || v["tool_accuracy"].as_f64().unwrap() < 0.95
        || v["refusal_accuracy"].as_f64().unwrap() < 0.95;
    let checked = run(&["eval", "--hash-embedder", "--check"], dir.path());
    assert_eq!(
        checked.status.code(),
        Some(if missed { 1 } else { 0 }),
        "{}",
        stderr(&checked)
    );

    let out = run(
        &[
            "kb",
            "build",
            "--hash-embedder",
            "--index-dir",
            dir.path().join("idx").to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let s = String::from_utf8_lossy(&out.stdout);
    assert!(s.contains("chunks with hash-384"), "{s}");
    assert!(
        dir.path().join("idx").join("kb-hash-384.usearch").is_file(),
        "{s}"
    );
}

#[test]
fn without_model_weights_answers_are_extractive_and_say_so() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(
        &[
            "ask",
            "What is diversification?",
            "--hash-embedder",
            "--format",
            "json",
        ],
        dir.path(),
    );
    let v = json(&out);
    assert_eq!(v["model"], "none");
    assert!(v["draft"].is_null());
    assert!(
        stderr(&out).contains("answering without a language model"),
        "{}",
        stderr(&out)
    );
    assert!(stderr(&out).contains("scripts/fetch-models.sh"));
    // Asking for the local model explicitly, without its weights, fails
    // with the same hint.
    let out = run(
        &[
            "ask",
            "What is diversification?",
            "--hash-embedder",
            "--model",
            "local",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("scripts/fetch-models.sh"),
        "{}",
        stderr(&out)
    );
    // A bad model name is a usage error.
    let out = run(&["ask", "q", "--model", "gpt"], dir.path());
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--model"), "{}", stderr(&out));
}

#[test]
fn openai_backend_configuration_errors_name_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_auravest"));
    cmd.env("AURAVEST_INDEX_DIR", dir.path())
        .env("AURAVEST_OPENAI_BASE_URL", "not a url")
        .args([
            "ask",
            "What is diversification?",
            "--hash-embedder",
            "--model",
            "openai",
        ]);
    let out = cmd.output().unwrap();
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("AURAVEST_OPENAI_BASE_URL"),
        "{}",
        stderr(&out)
    );
}

/// With the real Gemma weights (`bash scripts/fetch-models.sh`): the answer
/// names the model and what the checks did with its draft, and `--stream`
/// shows the draft first. Runs in the single-threaded LLM test group.
#[test]
fn local_model_drafts_streams_and_reports_the_check() {
    let home = std::env::var("HOME").unwrap_or_default();
    let gguf = std::env::var("AURAVEST_GEMMA_GGUF").unwrap_or_else(|_| {
        format!("{home}/.cache/auravest/models/gemma-3-270m/gemma-3-270m-q4_k_m.gguf")
    });
    if !std::path::Path::new(&gguf).is_file() {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI needs the Gemma weights: run bash scripts/fetch-models.sh"
        );
        eprintln!("skipped: no Gemma weights at {gguf}");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_auravest"));
    cmd.env("AURAVEST_INDEX_DIR", dir.path())
        .env("AURAVEST_GEMMA_GGUF", &gguf)
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .args([
            "ask",
            "What does a P/E ratio tell me?",
            "--hash-embedder",
            "--model",
            "local",
            "--stream",
            "--format",
            "json",
        ]);
    let out = cmd.output().unwrap();
    let v = json(&out);
    assert_eq!(v["model"], "gemma-3-270m-q4_k_m");
    let draft = v["draft"].as_str().unwrap();
    assert!(
        ["accepted", "repaired", "replaced"].contains(&draft),
        "{draft}"
    );
    // The streamed draft went to stderr, followed by the verdict.
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "--- draft {draft}; the checked answer follows ---"
        )),
        "{err}"
    );
    assert!(
        v["answer"]
            .as_str()
            .unwrap()
            .ends_with("not financial advice.")
    );
}

/// `--model openai` against a local server shaped like the chat-completions
/// API: the streamed draft reaches stderr, the answer names the model, and
/// a draft the sources support is shown while one they do not is replaced.
#[test]
fn openai_model_drafts_through_a_compatible_server() {
    use wiremock::matchers::{header, method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sse = |text: &str| {
        let chunk = |delta: Value, finish: Value| {
            serde_json::json!({
                "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1_764_000_000,
                "model": "test-model",
                "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]
            })
        };
        let mut body = String::new();
        for (i, w) in text.split_inclusive(' ').enumerate() {
            let delta = if i == 0 {
                serde_json::json!({"role": "assistant", "content": w})
            } else {
                serde_json::json!({"content": w})
            };
            body.push_str(&format!("data: {}\n\n", chunk(delta, Value::Null)));
        }
        body.push_str(&format!(
            "data: {}\n\ndata: [DONE]\n\n",
            chunk(serde_json::json!({}), serde_json::json!("stop"))
        ));
        ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
    };
    let ask = |server: &MockServer| {
        let dir = tempfile::tempdir().unwrap();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_auravest"));
        cmd.env("AURAVEST_INDEX_DIR", dir.path())
            .env("AURAVEST_OPENAI_BASE_URL", format!("{}/v1", server.uri()))
            .env("AURAVEST_OPENAI_MODEL", "test-model")
            .env("AURAVEST_OPENAI_API_KEY", "sk-test")
            .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
            .args([
                "ask",
                "What does diversification mean?",
                "--hash-embedder",
                "--model",
                "openai",
                "--stream",
                "--format",
                "json",
            ]);
        cmd.output().unwrap()
    };
    // A sentence of the knowledge base's "Diversification - Key points",
    // the passage retrieved for this question.
    let faithful =
        "Diversification spreads money across holdings, sectors, countries and asset classes.";
    for (draft, want) in [
        (faithful, "accepted"),
        (
            "The moon is made of green cheese and orbits Mars.",
            "replaced",
        ),
    ] {
        let server = rt.block_on(MockServer::start());
        rt.block_on(
            Mock::given(method("POST"))
                .and(path("/v1/chat/completions"))
                .and(header("authorization", "Bearer sk-test"))
                .respond_with(sse(draft))
                .expect(1)
                .mount(&server),
        );
        let out = ask(&server);
        let v = json(&out);
        assert_eq!(v["model"], "openai:test-model");
        assert_eq!(v["draft"], want, "{v:#}");
        let err = stderr(&out);
        assert!(err.contains(draft), "{err}");
        let answer = v["answer"].as_str().unwrap();
        assert!(answer.contains("spreads money across holdings"), "{answer}");
        if want == "replaced" {
            assert!(!answer.contains("green cheese"));
        }
        // The request carried the question and the grounded sources.
        let reqs = rt.block_on(server.received_requests()).unwrap();
        let body: Value = serde_json::from_slice(&reqs[0].body).unwrap();
        assert_eq!(body["model"], "test-model");
        let user = body["messages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["role"] == "user")
            .unwrap()["content"]
            .as_str()
            .unwrap();
        assert!(user.ends_with("Question: What does diversification mean?\nAnswer:"));
        assert!(user.contains("[1] "));
    }
}

/// `--news-feed` against a local RSS server: a news question quotes the
/// headline and its source; without a feed it says none is set.
#[test]
fn news_questions_read_the_named_feed() {
    use wiremock::matchers::{method, path, query_param};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = rt.block_on(MockServer::start());
    let when = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc2822();
    let rss = format!(
        "<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Wire</title>\
         <item><title>Tesla recalls &lt;i&gt;older&lt;/i&gt; cars</title><guid>t1</guid>\
         <pubDate>{when}</pubDate></item></channel></rss>"
    );
    rt.block_on(
        Mock::given(method("GET"))
            .and(path("/rss"))
            .and(query_param("s", "TSLA"))
            .respond_with(ResponseTemplate::new(200).set_body_string(rss))
            .expect(1)
            .mount(&server),
    );
    let dir = tempfile::tempdir().unwrap();
    let feed = format!("{}/rss?s={{symbol}}", server.uri());
    let ask = |extra: &[&str]| {
        let mut args = vec![
            "ask",
            "Any news on TSLA today?",
            "--hash-embedder",
            "--format",
            "json",
        ];
        args.extend_from_slice(extra);
        json(&run(&args, dir.path()))
    };
    let v = ask(&["--news-feed", &feed]);
    assert_eq!(v["tools"][0]["name"], "get_news", "{v:#}");
    assert_eq!(v["tools"][0]["args"]["days"], 1);
    let answer = v["answer"].as_str().unwrap();
    assert!(
        answer.contains("\"Tesla recalls older cars\" (Wire, "),
        "{answer}"
    );
    let v = ask(&[]);
    assert!(
        v["answer"]
            .as_str()
            .unwrap()
            .contains("No news feed is configured"),
        "{v:#}"
    );
    let out = run(
        &[
            "ask",
            "news on TSLA",
            "--hash-embedder",
            "--news-feed",
            "ftp://x/{symbol}",
        ],
        dir.path(),
    );
    assert!(!out.status.success());
    assert!(stderr(&out).contains("feeds"), "{}", stderr(&out));
    rt.block_on(server.verify());
}
