//! The OpenAI-compatible backend against a local wiremock server answering
//! with `chat.completion` and `chat.completion.chunk` bodies shaped like the
//! real API's, plus a raw socket server for byte-level streaming.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use auravest_ai::Error;
use auravest_ai::llm::openai::{OpenAiBackend, OpenAiConfig};
use auravest_ai::llm::{CancelToken, FinishReason, GenerateRequest, Generation, LanguageModel};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const PATH: &str = "/v1/chat/completions";
const KEY: &str = "sk-test-7f3a9c";
const MODEL: &str = "test-model";

fn config(base_url: String) -> OpenAiConfig {
    OpenAiConfig {
        base_url,
        model: MODEL.to_owned(),
        api_key: Some(KEY.to_owned()),
        retry_base_delay: Duration::from_millis(10),
        ..OpenAiConfig::default()
    }
}

fn backend(server: &MockServer, stream: bool) -> OpenAiBackend {
    OpenAiBackend::new(OpenAiConfig {
        stream,
        ..config(format!("{}/v1", server.uri()))
    })
    .unwrap()
}

fn request() -> GenerateRequest {
    GenerateRequest::new(
        "Answer from the passages only.",
        "Question: what is a P/E ratio?",
        32,
    )
}

/// A whole `chat.completion` answer.
fn completion(content: &str, finish: &str, prompt: usize, generated: usize) -> ResponseTemplate {
    let body = json!({
        "id": "chatcmpl-9a1",
        "object": "chat.completion",
        "created": 1_732_600_000,
        "model": MODEL,
        "system_fingerprint": "fp_test",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content},
            "logprobs": null,
            "finish_reason": finish
        }],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": generated,
            "total_tokens": prompt + generated
        }
    });
    ResponseTemplate::new(200).set_body_json(body)
}

/// One `chat.completion.chunk` event.
fn chunk(choices: Value, usage: Value) -> String {
    let mut body = json!({
        "id": "chatcmpl-9a2",
        "object": "chat.completion.chunk",
        "created": 1_732_600_000,
        "model": MODEL,
        "system_fingerprint": "fp_test"
    });
    body["choices"] = choices;
    body["usage"] = usage;
    format!("data: {body}\n\n")
}

/// An event stream as the API sends it: the role, one chunk per piece, the
/// finish reason, the usage chunk (when given) and `[DONE]`.
fn sse_body(pieces: &[&str], finish: &str, usage: Option<(usize, usize)>) -> String {
    let delta = |d: Value, f: Value| json!([{"index": 0, "delta": d, "logprobs": null, "finish_reason": f}]);
    let mut s = chunk(
        delta(json!({"role": "assistant", "content": ""}), Value::Null),
        Value::Null,
    );
    s.push_str(": keep-alive\n\n");
    for p in pieces {
        s.push_str(&chunk(
            delta(json!({"content": p}), Value::Null),
            Value::Null,
        ));
    }
    s.push_str(&chunk(delta(json!({}), json!(finish)), Value::Null));
    if let Some((p, c)) = usage {
        let usage = json!({"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c});
        s.push_str(&chunk(json!([]), usage));
    }
    s.push_str("data: [DONE]\n\n");
    s
}

fn sse(body: String) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body, "text/event-stream")
}

async fn mount(server: &MockServer, resp: ResponseTemplate) {
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(resp)
        .mount(server)
        .await;
}

/// Mounted first, so it answers the first `times` requests.
async fn mount_first(server: &MockServer, resp: ResponseTemplate, times: u64) {
    Mock::given(method("POST"))
        .and(path(PATH))
        .respond_with(resp)
        .up_to_n_times(times)
        .mount(server)
        .await;
}

async fn run(
    backend: &OpenAiBackend,
    request: &GenerateRequest,
) -> (Result<Generation, Error>, Vec<String>) {
    let mut pieces = Vec::new();
    let cancel = CancelToken::new();
    let r = backend
        .generate(request, &cancel, &mut |p: &str| pieces.push(p.to_owned()))
        .await;
    (r, pieces)
}

async fn requests(server: &MockServer) -> usize {
    server.received_requests().await.unwrap().len()
}

fn backend_error(r: Result<Generation, Error>) -> (String, bool) {
    match r {
        Err(Error::Backend {
            backend,
            reason,
            retryable,
        }) => {
            assert!(
                backend.starts_with("openai:test-model at http://"),
                "{backend}"
            );
            (reason, retryable)
        }
        other => panic!("expected a backend error, got {other:?}"),
    }
}

#[tokio::test]
async fn non_streaming_answer_is_read_whole() {
    let server = MockServer::start().await;
    mount(
        &server,
        completion("A P/E ratio is price over earnings.", "stop", 41, 9),
    )
    .await;
    let b = backend(&server, false);
    assert_eq!(b.id(), "openai:test-model");
    let (r, pieces) = run(&b, &request()).await;
    let g = r.unwrap();
    assert_eq!(g.text, "A P/E ratio is price over earnings.");
    assert_eq!(g.finish, FinishReason::Stop);
    assert_eq!((g.prompt_tokens, g.generated_tokens), (41, 9));
    assert_eq!(pieces, [g.text]);
}

#[tokio::test]
async fn streamed_pieces_reach_the_sink_in_order() {
    let server = MockServer::start().await;
    let parts = [
        "A P/E",
        " ratio",
        " of 12.5",
        " costs €12.50 per €1 ",
        "of earnings.",
    ];
    mount(&server, sse(sse_body(&parts, "stop", Some((41, 5))))).await;
    let (r, pieces) = run(&backend(&server, true), &request()).await;
    let g = r.unwrap();
    assert_eq!(pieces, parts);
    assert_eq!(pieces.concat(), g.text);
    assert_eq!(g.finish, FinishReason::Stop);
    assert_eq!((g.prompt_tokens, g.generated_tokens), (41, 5));
}

#[tokio::test]
async fn without_a_usage_chunk_the_pieces_are_counted() {
    let server = MockServer::start().await;
    mount(&server, sse(sse_body(&["a", "b", "c"], "stop", None))).await;
    let g = run(&backend(&server, true), &request()).await.0.unwrap();
    assert_eq!(
        (g.text.as_str(), g.prompt_tokens, g.generated_tokens),
        ("abc", 0, 3)
    );
}

#[tokio::test]
async fn a_server_that_ignores_stream_is_still_understood() {
    let server = MockServer::start().await;
    mount(&server, completion("Whole answer.", "stop", 3, 2)).await;
    let (r, pieces) = run(&backend(&server, true), &request()).await;
    assert_eq!(r.unwrap().text, "Whole answer.");
    assert_eq!(pieces, ["Whole answer."]);
}

#[tokio::test]
async fn stop_sequence_is_enforced_when_the_stream_overruns() {
    let server = MockServer::start().await;
    let parts = ["Answer: 42.", "\nQue", "stion: what", " else?"];
    mount(&server, sse(sse_body(&parts, "length", None))).await;
    let req = request().with_stop(["\nQuestion:"]);
    let (r, pieces) = run(&backend(&server, true), &req).await;
    let g = r.unwrap();
    assert_eq!(g.text, "Answer: 42.");
    assert_eq!(g.finish, FinishReason::Stop);
    assert_eq!(pieces.concat(), g.text);
    assert!(pieces.iter().all(|p| !p.contains('\n')), "{pieces:?}");
}

#[tokio::test]
async fn stop_sequence_is_enforced_on_a_whole_answer_and_beyond_four() {
    let server = MockServer::start().await;
    mount(&server, completion("Yes. END and more", "stop", 3, 4)).await;
    // Only four stops go to the server; the fifth is caught here.
    let req = request().with_stop(["<a>", "<b>", "<c>", "<d>", " END"]);
    let (r, pieces) = run(&backend(&server, false), &req).await;
    let g = r.unwrap();
    assert_eq!((g.text.as_str(), g.finish), ("Yes.", FinishReason::Stop));
    assert_eq!(pieces, ["Yes."]);
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(sent["stop"], json!(["<a>", "<b>", "<c>", "<d>"]));
}

#[tokio::test]
async fn max_tokens_reached_is_length() {
    let server = MockServer::start().await;
    mount(
        &server,
        sse(sse_body(&["one", " two"], "length", Some((5, 2)))),
    )
    .await;
    let g = run(&backend(&server, true), &request()).await.0.unwrap();
    assert_eq!(
        (g.text.as_str(), g.finish),
        ("one two", FinishReason::Length)
    );

    let server = MockServer::start().await;
    mount(&server, completion("one two", "length", 5, 2)).await;
    let g = run(&backend(&server, false), &request()).await.0.unwrap();
    assert_eq!(g.finish, FinishReason::Length);
}

#[tokio::test]
async fn request_body_and_authorization_are_as_the_api_expects() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(PATH))
        .and(header("authorization", format!("Bearer {KEY}").as_str()))
        .and(header("content-type", "application/json"))
        .and(body_partial_json(json!({
            "model": MODEL,
            "messages": [
                {"role": "system", "content": "Answer from the passages only."},
                {"role": "user", "content": "Question: what is a P/E ratio?"}
            ],
            "max_tokens": 32,
            "stop": ["\nQuestion:"],
            "stream": true
        })))
        .respond_with(sse(sse_body(&["ok"], "stop", None)))
        .expect(1)
        .mount(&server)
        .await;
    let req = request().with_stop(["\nQuestion:"]);
    assert_eq!(
        run(&backend(&server, true), &req).await.0.unwrap().text,
        "ok"
    );
    let sent: Value = server.received_requests().await.unwrap()[0]
        .body_json()
        .unwrap();
    assert_eq!(sent["temperature"], json!(0.0));
    assert_eq!(sent["top_p"], json!(1.0));
    assert_eq!(sent["seed"], json!(0));
    assert_eq!(sent["stream_options"], json!({"include_usage": true}));
    // The repeat penalty has no faithful counterpart in this API.
    assert!(sent.get("frequency_penalty").is_none());
    assert!(sent.get("presence_penalty").is_none());
}

#[tokio::test]
async fn no_key_no_authorization_and_no_empty_system_message() {
    let server = MockServer::start().await;
    mount(&server, completion("ok", "stop", 1, 1)).await;
    let b = OpenAiBackend::new(OpenAiConfig {
        api_key: None,
        stream: false,
        ..config(format!("{}/v1", server.uri()))
    })
    .unwrap();
    run(&b, &GenerateRequest::new("", "Hi", 4)).await.0.unwrap();
    let received = server.received_requests().await.unwrap();
    assert!(received[0].headers.get("authorization").is_none());
    let sent: Value = received[0].body_json().unwrap();
    assert_eq!(sent["messages"], json!([{"role": "user", "content": "Hi"}]));
    assert_eq!(sent["stream"], json!(false));
    assert!(sent.get("stop").is_none());
    assert!(sent.get("stream_options").is_none());
}

#[tokio::test]
async fn a_server_error_is_retried_and_the_retry_succeeds() {
    let server = MockServer::start().await;
    mount_first(
        &server,
        ResponseTemplate::new(500).set_body_string("internal error"),
        1,
    )
    .await;
    mount(&server, sse(sse_body(&["after ", "retry"], "stop", None))).await;
    let (r, pieces) = run(&backend(&server, true), &request()).await;
    assert_eq!(r.unwrap().text, "after retry");
    assert_eq!(pieces, ["after ", "retry"]);
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn too_many_requests_waits_for_retry_after() {
    let server = MockServer::start().await;
    mount_first(
        &server,
        ResponseTemplate::new(429)
            .insert_header("retry-after", "1")
            .set_body_json(json!({"error": {"message": "Rate limit reached", "type": "requests"}})),
        1,
    )
    .await;
    mount(&server, completion("ok", "stop", 1, 1)).await;
    let started = Instant::now();
    let (r, _) = run(&backend(&server, false), &request()).await;
    assert_eq!(r.unwrap().text, "ok");
    // The back-off alone would be 10 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn retries_run_out_into_a_retryable_error() {
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(503).set_body_json(json!({"error": {"message": "model is loading"}})),
    )
    .await;
    let (reason, retryable) = backend_error(run(&backend(&server, true), &request()).await.0);
    assert!(retryable);
    assert!(
        reason.contains("503") && reason.contains("model is loading"),
        "{reason}"
    );
    assert!(reason.ends_with("(after 3 attempts)"), "{reason}");
    // The first attempt and the two retries of the default configuration.
    assert_eq!(requests(&server).await, 3);
}

#[tokio::test]
async fn unauthorized_is_not_retried_and_quotes_the_server() {
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(401).set_body_json(json!({
            "error": {
                "message": "Incorrect API key provided: sk-test-****9c.",
                "type": "invalid_request_error",
                "param": null,
                "code": "invalid_api_key"
            }
        })),
    )
    .await;
    let (reason, retryable) = backend_error(run(&backend(&server, true), &request()).await.0);
    assert!(!retryable);
    assert!(reason.contains("401"), "{reason}");
    assert!(reason.contains("Incorrect API key provided"), "{reason}");
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn garbage_bodies_are_typed_errors_saying_what_is_wrong() {
    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(200).set_body_raw("<html>Gateway</html>", "application/json"),
    )
    .await;
    let (reason, retryable) = backend_error(run(&backend(&server, false), &request()).await.0);
    assert!(!retryable);
    assert!(reason.contains("not JSON"), "{reason}");
    assert_eq!(requests(&server).await, 1);

    let server = MockServer::start().await;
    mount(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({"id": "x", "object": "chat.completion"})),
    )
    .await;
    let (reason, _) = backend_error(run(&backend(&server, false), &request()).await.0);
    assert!(reason.contains("no `choices`"), "{reason}");

    let server = MockServer::start().await;
    mount(&server, sse("data: {not json}\n\n".to_owned())).await;
    let (reason, retryable) = backend_error(run(&backend(&server, true), &request()).await.0);
    assert!(!retryable);
    assert!(reason.contains("chat.completion.chunk"), "{reason}");
}

#[tokio::test]
async fn an_error_event_in_the_stream_is_reported() {
    let server = MockServer::start().await;
    let body = format!(
        "{}data: {}\n\n",
        chunk(
            json!([{"index": 0, "delta": {"content": "Hal"}, "finish_reason": null}]),
            Value::Null
        ),
        json!({"error": {"message": "the model crashed", "type": "server_error"}})
    );
    mount(&server, sse(body)).await;
    let (r, pieces) = run(&backend(&server, true), &request()).await;
    let (reason, _) = backend_error(r);
    assert!(reason.contains("the model crashed"), "{reason}");
    assert_eq!(pieces, ["Hal"]);
}

#[tokio::test]
async fn a_cut_stream_is_retried_only_while_nothing_was_shown() {
    // Cut before any text: retried.
    let server = MockServer::start().await;
    let role_only = chunk(
        json!([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": null}]),
        Value::Null,
    );
    mount_first(&server, sse(role_only), 1).await;
    mount(&server, sse(sse_body(&["fine"], "stop", None))).await;
    let (r, pieces) = run(&backend(&server, true), &request()).await;
    assert_eq!(r.unwrap().text, "fine");
    assert_eq!(pieces, ["fine"]);
    assert_eq!(requests(&server).await, 2);

    // Cut after text: not retried, so nothing is shown twice.
    let server = MockServer::start().await;
    let partial = chunk(
        json!([{"index": 0, "delta": {"content": "half"}, "finish_reason": null}]),
        Value::Null,
    );
    mount(&server, sse(partial)).await;
    let (r, pieces) = run(&backend(&server, true), &request()).await;
    let (reason, retryable) = backend_error(r);
    assert!(retryable);
    assert!(reason.contains("ended"), "{reason}");
    assert_eq!(pieces, ["half"]);
    assert_eq!(requests(&server).await, 1);
}

#[tokio::test]
async fn a_slow_server_times_out_retryably() {
    let server = MockServer::start().await;
    mount(
        &server,
        completion("late", "stop", 1, 1).set_delay(Duration::from_secs(3)),
    )
    .await;
    let b = OpenAiBackend::new(OpenAiConfig {
        timeout: Duration::from_millis(300),
        max_retries: 1,
        ..config(format!("{}/v1", server.uri()))
    })
    .unwrap();
    let started = Instant::now();
    let (reason, retryable) = backend_error(run(&b, &request()).await.0);
    assert!(retryable);
    assert!(reason.contains("timed out"), "{reason}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(requests(&server).await, 2);
}

#[tokio::test]
async fn connection_refused_is_retryable() {
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let b = OpenAiBackend::new(OpenAiConfig {
        max_retries: 0,
        ..config(format!("http://127.0.0.1:{port}/v1"))
    })
    .unwrap();
    let (reason, retryable) = backend_error(run(&b, &request()).await.0);
    assert!(retryable);
    assert!(reason.contains("cannot connect"), "{reason}");
}

#[tokio::test]
async fn cancelling_from_the_sink_keeps_the_text_so_far() {
    let server = MockServer::start().await;
    mount(
        &server,
        sse(sse_body(&["first", " second", " third"], "stop", None)),
    )
    .await;
    let b = backend(&server, true);
    let cancel = CancelToken::new();
    let mut pieces = Vec::new();
    let req = request();
    let g = b
        .generate(&req, &cancel, &mut |p: &str| {
            pieces.push(p.to_owned());
            cancel.cancel();
        })
        .await
        .unwrap();
    assert_eq!(g.finish, FinishReason::Cancelled);
    assert_eq!(g.text, "first");
    assert_eq!(pieces, ["first"]);
}

#[tokio::test]
async fn a_cancelled_token_sends_nothing() {
    let server = MockServer::start().await;
    mount(&server, completion("ok", "stop", 1, 1)).await;
    let cancel = CancelToken::new();
    cancel.cancel();
    let g = backend(&server, true)
        .generate(&request(), &cancel, &mut |_: &str| {})
        .await
        .unwrap();
    assert_eq!((g.text.as_str(), g.finish), ("", FinishReason::Cancelled));
    assert_eq!(requests(&server).await, 0);
}

/// Reads one HTTP request (headers and a `content-length` body).
fn read_request(s: &mut TcpStream) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1024];
    let head_end = loop {
        let n = s.read(&mut byte).unwrap();
        assert!(n > 0, "the client hung up mid-request");
        buf.extend_from_slice(&byte[..n]);
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let len: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |v| v.trim().parse().unwrap());
    while buf.len() < head_end + len {
        let n = s.read(&mut byte).unwrap();
        buf.extend_from_slice(&byte[..n]);
    }
    buf.split_off(head_end)
}

/// A one-connection server that writes an event stream in `parts`, pausing
/// between them, then keeps the connection open with keep-alive comments
/// for up to `linger`. Its thread returns whether the client hung up.
fn trickle_server(parts: Vec<Vec<u8>>, linger: Duration) -> (String, thread::JoinHandle<bool>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let handle = thread::spawn(move || {
        let (mut s, _) = listener.accept().unwrap();
        let body: Value = serde_json::from_slice(&read_request(&mut s)).unwrap();
        assert_eq!(body["stream"], json!(true));
        s.set_nodelay(true).unwrap();
        let head = "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n\
                    cache-control: no-cache\r\nconnection: close\r\n\r\n";
        s.write_all(head.as_bytes()).unwrap();
        for p in parts {
            thread::sleep(Duration::from_millis(5));
            if s.write_all(&p).and_then(|()| s.flush()).is_err() {
                return true;
            }
        }
        let started = Instant::now();
        while started.elapsed() < linger {
            thread::sleep(Duration::from_millis(20));
            if s.write_all(b": keep-alive\r\n\r\n")
                .and_then(|()| s.flush())
                .is_err()
            {
                return true;
            }
        }
        false
    });
    (format!("http://{addr}/v1"), handle)
}

#[tokio::test]
async fn events_and_characters_split_across_network_chunks_are_reassembled() {
    let pieces = ["Gewinn ", "je Aktie: 3,20 €", " — 🙂", " fertig"];
    let body = sse_body(&pieces, "stop", Some((12, 4))).replace("\n", "\r\n");
    // Seven-byte writes cut lines, CRLFs and multi-byte characters apart.
    let parts = body.as_bytes().chunks(7).map(<[u8]>::to_vec).collect();
    let (url, server) = trickle_server(parts, Duration::ZERO);
    let b = OpenAiBackend::new(config(url)).unwrap();
    let (r, got) = run(&b, &request()).await;
    let g = r.unwrap();
    assert_eq!(got, pieces);
    assert_eq!(g.text, pieces.concat());
    assert_eq!(
        (g.finish, g.prompt_tokens, g.generated_tokens),
        (FinishReason::Stop, 12, 4)
    );
    server.join().unwrap();
}

#[tokio::test]
async fn cancelling_a_stalled_stream_returns_promptly_and_hangs_up() {
    let first = chunk(
        json!([{"index": 0, "delta": {"content": "Partial"}, "finish_reason": null}]),
        Value::Null,
    );
    let (url, server) = trickle_server(vec![first.into_bytes()], Duration::from_secs(10));
    let b = OpenAiBackend::new(config(url)).unwrap();
    let cancel = CancelToken::new();
    let canceller = {
        let cancel = cancel.clone();
        thread::spawn(move || {
            thread::sleep(Duration::from_millis(400));
            cancel.cancel();
        })
    };
    let started = Instant::now();
    let mut pieces = Vec::new();
    let g = b
        .generate(&request(), &cancel, &mut |p: &str| {
            pieces.push(p.to_owned())
        })
        .await
        .unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        (g.text.as_str(), g.finish),
        ("Partial", FinishReason::Cancelled)
    );
    assert_eq!(pieces, ["Partial"]);
    canceller.join().unwrap();
    // The connection closes on the runtime's I/O tasks, so wait without
    // blocking them.
    let waiting = Instant::now();
    while !server.is_finished() && waiting.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        server.is_finished(),
        "the connection was kept open after cancelling"
    );
    assert!(
        server.join().unwrap(),
        "the connection was kept open after cancelling"
    );
}

#[test]
fn debug_output_hides_the_api_key() {
    let c = config("http://127.0.0.1:1/v1".to_owned());
    let shown = format!("{c:?} {c:#?}");
    assert!(!shown.contains(KEY), "{shown}");
    assert!(
        shown.contains("<redacted>") && shown.contains(MODEL),
        "{shown}"
    );
    let b = OpenAiBackend::new(c).unwrap();
    assert!(!format!("{b:?}").contains(KEY));
}

#[test]
fn config_from_lookup_reads_overrides_and_falls_back_for_the_key() {
    let c = OpenAiConfig::from_lookup(|k| {
        match k {
            "AURAVEST_OPENAI_BASE_URL" => Some("https://api.example.test/v1/"),
            "AURAVEST_OPENAI_MODEL" => Some(" gpt-4o-mini "),
            "OPENAI_API_KEY" => Some("sk-fallback"),
            "AURAVEST_OPENAI_TIMEOUT_SECS" => Some("2.5"),
            _ => None,
        }
        .map(str::to_owned)
    })
    .unwrap();
    assert_eq!(c.base_url, "https://api.example.test/v1");
    assert_eq!(c.model, "gpt-4o-mini");
    assert_eq!(c.api_key.as_deref(), Some("sk-fallback"));
    assert_eq!(c.timeout, Duration::from_millis(2500));
    assert!(c.stream);

    let both = OpenAiConfig::from_lookup(|k| k.ends_with("API_KEY").then(|| k.to_owned())).unwrap();
    assert_eq!(both.api_key.as_deref(), Some("AURAVEST_OPENAI_API_KEY"));

    let none = OpenAiConfig::from_lookup(|_| None).unwrap();
    assert_eq!(none, OpenAiConfig::default());
    assert_eq!(none.base_url, "http://127.0.0.1:11434/v1");
}

#[test]
fn config_from_lookup_rejects_bad_values_naming_the_variable() {
    let field_for = |var: &'static str, value: &'static str| match OpenAiConfig::from_lookup(|k| {
        (k == var).then(|| value.to_owned())
    }) {
        Err(Error::Invalid { field, .. }) => field,
        other => panic!("{var}={value:?}: expected Invalid, got {other:?}"),
    };
    for (var, value) in [
        ("AURAVEST_OPENAI_BASE_URL", "not a url"),
        ("AURAVEST_OPENAI_BASE_URL", "ftp://example.test/v1"),
        ("AURAVEST_OPENAI_BASE_URL", ""),
        ("AURAVEST_OPENAI_MODEL", "  "),
        ("AURAVEST_OPENAI_TIMEOUT_SECS", "sixty"),
        ("AURAVEST_OPENAI_TIMEOUT_SECS", "0"),
        ("AURAVEST_OPENAI_TIMEOUT_SECS", "-5"),
    ] {
        assert_eq!(field_for(var, value), var, "{var}={value:?}");
    }
}
