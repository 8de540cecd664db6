//! Tests: the assistant with a drafting model. `/ask/stream` sends the
//! model's draft piece by piece and then the checked answer; refusals come
//! before the stream as plain errors; a client that goes away stops the
//! draft; `/ask` gives the same answer in one piece.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use auravest_ai::llm::{
    CancelToken, FinishReason, GenerateRequest, Generation, LanguageModel, TokenSink,
};
use auravest_reference_server::state::AssistantSlot;
use auravest_reference_server::{AppState, Inner, setup};
use axum::Router;
use axum::http::{StatusCode, header};
use futures_util::future::BoxFuture;
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::support::{TestApp, TestOptions, app_with, request};

/// Writes the first sentence of the prompt's first source with its
/// citation, word by word (a faithful draft the checks keep).
struct Faithful;

/// The texts of the sources in a prompt: lines `[n] label: text` after its
/// last `Sources:` line.
fn first_source(prompt: &str) -> String {
    let last = prompt.rfind("Sources:\n").expect("sources in the prompt");
    let line = prompt[last..]
        .lines()
        .nth(1)
        .expect("a source line")
        .to_owned();
    let text = line.split_once(": ").expect("label: text").1;
    let end = text.find(". ").map_or(text.len(), |i| i + 1);
    text[..end].trim_end_matches('.').to_owned()
}

impl LanguageModel for Faithful {
    fn id(&self) -> String {
        "scripted".to_owned()
    }

    fn generate<'a>(
        &'a self,
        request: &'a GenerateRequest,
        _cancel: &'a CancelToken,
        on_text: &'a mut TokenSink<'_>,
    ) -> BoxFuture<'a, auravest_ai::Result<Generation>> {
        Box::pin(async move {
            let text = format!("{} [1].", first_source(&request.prompt));
            for (i, w) in text.split(' ').enumerate() {
                if i > 0 {
                    on_text(" ");
                }
                on_text(w);
            }
            Ok(Generation {
                text,
                finish: FinishReason::Stop,
                prompt_tokens: 100,
                generated_tokens: 20,
            })
        })
    }
}

/// Writes "word " until it is cancelled (blocking, as a local model does),
/// and says whether it was.
struct Endless {
    stopped: Arc<AtomicBool>,
    started: Arc<Mutex<bool>>,
}

impl LanguageModel for Endless {
    fn id(&self) -> String {
        "endless".to_owned()
    }

    fn generate<'a>(
        &'a self,
        _request: &'a GenerateRequest,
        cancel: &'a CancelToken,
        on_text: &'a mut TokenSink<'_>,
    ) -> BoxFuture<'a, auravest_ai::Result<Generation>> {
        Box::pin(async move {
            *self.started.lock().unwrap() = true;
            let mut text = String::new();
            for _ in 0..600 {
                if cancel.is_cancelled() {
                    self.stopped.store(true, Ordering::SeqCst);
                    return Ok(Generation {
                        text,
                        finish: FinishReason::Cancelled,
                        prompt_tokens: 10,
                        generated_tokens: 1,
                    });
                }
                on_text("word ");
                text.push_str("word ");
                std::thread::sleep(Duration::from_millis(50));
            }
            Ok(Generation {
                text,
                finish: FinishReason::Length,
                prompt_tokens: 10,
                generated_tokens: 600,
            })
        })
    }
}

/// The app of `base` with its assistant drafting with `model`.
fn with_model(base: &TestApp, model: Arc<dyn LanguageModel>) -> Router {
    let s = &base.state;
    let assistant = setup::assistant(&s.config)
        .expect("assistant")
        .with_model(model);
    let assistant = setup::with_server_stores(assistant, &s.store);
    let state = AppState::new(Inner {
        config: s.config.clone(),
        store: Arc::clone(&s.store),
        keys: auravest_reference_server::crypto::Keys::new(&s.config.secrets),
        limiter: Arc::clone(&s.limiter),
        metrics: s.metrics.clone(),
        prices: s.prices.clone(),
        assistant: AssistantSlot::ready(assistant),
        ledgers: auravest_reference_server::ledger::LedgerCache::default(),
        ledger_locks: Default::default(),
        drafting: Default::default(),
        live: s.live.clone(),
        news: s.news.clone(),
    });
    auravest_reference_server::app(state)
}

/// The events of a server-sent event stream: (event name, JSON data).
fn events(text: &str) -> Vec<(String, Value)> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(v) = line.strip_prefix("event:") {
                    name = Some(v.trim().to_owned());
                } else if let Some(v) = line.strip_prefix("data:") {
                    data.push_str(v.strip_prefix(' ').unwrap_or(v));
                }
            }
            Some((name?, serde_json::from_str(&data).expect("JSON data")))
        })
        .collect()
}

async fn ai_app() -> TestApp {
    app_with(
        TestOptions {
            ai: true,
            ..TestOptions::default()
        }
        .var("AURAVEST_AI_DAILY_LIMIT", "3"),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_draft_streams_then_the_checked_answer_follows() {
    let base = ai_app().await;
    let router = with_model(&base, Arc::new(Faithful));
    let u = base.user("stream@example.com").await;
    let question = json!({"question": "Why does diversification reduce risk?"});
    let res = router
        .clone()
        .oneshot(request(
            "POST",
            "/api/v1/ask/stream",
            Some(&u.access),
            question.clone(),
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let kind = res.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(kind.starts_with("text/event-stream"), "{kind}");
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let events = events(std::str::from_utf8(&body).unwrap());
    let (last, drafts) = events.split_last().expect("events");
    assert!(drafts.len() > 3, "the draft came in pieces: {events:?}");
    assert!(drafts.iter().all(|(n, _)| n == "draft"), "{events:?}");
    let draft: String = drafts
        .iter()
        .map(|(_, d)| d["text"].as_str().unwrap())
        .collect();
    assert!(draft.ends_with("[1]."), "{draft}");
    assert_eq!(last.0, "answer", "{events:?}");
    let view = &last.1;
    assert_eq!(
        (view["used"].as_i64(), view["limit"].as_u64()),
        (Some(1), Some(3))
    );
    let answer = &view["answer"];
    assert_eq!(answer["model"], "scripted", "{answer}");
    assert_eq!(answer["draft"], "accepted", "{answer}");
    assert!(!answer["citations"].as_array().unwrap().is_empty());
    // What was streamed is what is shown (before the disclaimer).
    let shown = answer["answer"].as_str().unwrap();
    assert!(shown.starts_with(draft.trim()), "{shown:?} vs {draft:?}");

    // `/ask` gives the same kind of answer in one piece.
    let (s, _, b) = TestApp::call_router(
        &router,
        request("POST", "/api/v1/ask", Some(&u.access), question.clone()),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["answer"]["model"], "scripted");
    assert_eq!(b["used"], 2);

    // Refused before anything is written: plain errors, nothing counted.
    for (body, status) in [
        (json!({"question": "  "}), StatusCode::UNPROCESSABLE_ENTITY),
        (
            json!({"question": "hi", "portfolio_id": uuid::Uuid::new_v4()}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
    ] {
        let (s, h, b) = TestApp::call_router(
            &router,
            request("POST", "/api/v1/ask/stream", Some(&u.access), body),
        )
        .await;
        assert_eq!(s, status, "{b}");
        assert!(
            h[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/json")
        );
        assert!(b["error"]["fields"].is_object(), "{b}");
    }
    let (s, _, _) = TestApp::call_router(
        &router,
        request(
            "POST",
            "/api/v1/ask/stream",
            Some(&u.access),
            question.clone(),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "the third question of three");
    let (s, h, b) = TestApp::call_router(
        &router,
        request("POST", "/api/v1/ask/stream", Some(&u.access), question),
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert!(h.get(header::RETRY_AFTER).is_some());
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("try again in"),
        "{b}"
    );
    // Without a token: 401, as everywhere.
    let (s, _, _) = TestApp::call_router(
        &router,
        request(
            "POST",
            "/api/v1/ask/stream",
            None,
            json!({"question": "hi"}),
        ),
    )
    .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_goes_away_stops_the_draft() {
    let base = ai_app().await;
    let stopped = Arc::new(AtomicBool::new(false));
    let started = Arc::new(Mutex::new(false));
    let router = with_model(
        &base,
        Arc::new(Endless {
            stopped: Arc::clone(&stopped),
            started: Arc::clone(&started),
        }),
    );
    let u = base.user("leaves@example.com").await;
    let res = router
        .clone()
        .oneshot(request(
            "POST",
            "/api/v1/ask/stream",
            Some(&u.access),
            json!({"question": "Why does diversification reduce risk?"}),
        ))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let mut body = res.into_body();
    // Read a few pieces of the draft, then go away.
    let mut seen = String::new();
    while !seen.contains("event: draft") {
        let frame = tokio::time::timeout(Duration::from_secs(20), body.frame())
            .await
            .expect("a draft piece in time")
            .expect("the stream is open")
            .expect("a frame");
        if let Ok(data) = frame.into_data() {
            seen.push_str(&String::from_utf8_lossy(&data));
        }
    }
    assert!(*started.lock().unwrap());
    assert!(!stopped.load(Ordering::SeqCst));
    drop(body);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !stopped.load(Ordering::SeqCst) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the draft went on after the client left"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // The server kept serving meanwhile, and the question was answered from
    // the sources and counted.
    let (s, _, b) = TestApp::call_router(
        &router,
        request("GET", "/api/v1/me/usage", Some(&u.access), Value::Null),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    loop {
        let (_, _, b) = TestApp::call_router(
            &router,
            request("GET", "/api/v1/me/usage", Some(&u.access), Value::Null),
        )
        .await;
        if b["usage"]["ai_questions"]["used"] == 1 {
            break;
        }
        assert!(tokio::time::Instant::now() < deadline, "{b}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
