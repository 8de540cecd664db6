//! Tests: the community's live events (`GET /api/v1/live`). New posts,
//! comments, likes, removals and one's own notifications arrive without a
//! reload; privacy holds on the wire (an anonymous author is never in an
//! event, a notification reaches only its recipient); a client that
//! reconnects with its last event id gets what it missed, in order, nothing
//! twice; on PostgreSQL an event made through one replica reaches a client
//! of another.

use std::collections::BTreeSet;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt as _;
use serde_json::{Value, json};
use tower::ServiceExt as _;

use crate::support::{TestApp, TestOptions, TestUser, app_with};

/// An app whose sign-up limit lets a test register its many members.
async fn app() -> TestApp {
    app_with(TestOptions::default().var("AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE", "1000")).await
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub(crate) struct Ev {
    pub(crate) id: i64,
    pub(crate) name: String,
    pub(crate) data: Value,
}

/// A client of `/api/v1/live`, reading events as they come.
pub(crate) struct Live {
    body: Body,
    buffer: String,
}

impl Live {
    /// Connects `user` to `router`'s live events with `query` and, when
    /// given, the last event id it has.
    pub(crate) async fn connect(
        router: &Router,
        user: &TestUser,
        query: &str,
        last: Option<i64>,
    ) -> Self {
        let mut req = Request::builder()
            .uri(format!("/api/v1/live{query}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", user.access));
        if let Some(id) = last {
            req = req.header("last-event-id", id.to_string());
        }
        let res = router
            .clone()
            .oneshot(req.body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::OK);
        let kind = res.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(kind.starts_with("text/event-stream"), "{kind}");
        Self {
            body: res.into_body(),
            buffer: String::new(),
        }
    }

    /// The next event within `wait`, or `None`.
    pub(crate) async fn next_within(&mut self, wait: Duration) -> Option<Ev> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(at) = self.buffer.find("\n\n") {
                let block = self.buffer[..at].to_owned();
                self.buffer.drain(..at + 2);
                let (mut id, mut name, mut data) = (None, None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        name = Some(v.trim().to_owned());
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                // Keep-alive comments have no event.
                if let (Some(id), Some(name)) = (id, name) {
                    return Some(Ev {
                        id,
                        name,
                        data: serde_json::from_str(&data).expect("JSON data"),
                    });
                }
            }
            let frame = tokio::time::timeout_at(deadline, self.body.frame())
                .await
                .ok()??;
            if let Ok(bytes) = frame.expect("a frame").into_data() {
                self.buffer.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
    }

    pub(crate) async fn next(&mut self) -> Ev {
        self.next_within(Duration::from_secs(10))
            .await
            .expect("an event within 10 s")
    }

    /// The next event named `name`, skipping others (returned too).
    pub(crate) async fn until(&mut self, name: &str) -> (Ev, Vec<Ev>) {
        let mut skipped = Vec::new();
        loop {
            let e = self.next().await;
            if e.name == name {
                return (e, skipped);
            }
            skipped.push(e);
        }
    }
}

async fn post(app: &TestApp, u: &TestUser, body: Value) -> Value {
    let (s, b) = app
        .json("POST", "/api/v1/community/posts", Some(&u.access), body)
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    b
}

/// `n` members to post (the community lets one member post three times a
/// minute, so tests that post more spread it over several).
async fn writers(app: &TestApp, prefix: &str, n: usize) -> Vec<TestUser> {
    let mut out = Vec::new();
    for i in 0..n {
        out.push(app.user(&format!("{prefix}-{i}@example.com")).await);
    }
    out
}

/// Does any string in `v` equal `needle`?
fn has_string(v: &Value, needle: &str) -> bool {
    match v {
        Value::String(s) => s == needle,
        Value::Array(a) => a.iter().any(|x| has_string(x, needle)),
        Value::Object(o) => o.values().any(|x| has_string(x, needle)),
        _ => false,
    }
}

/// Sets a user's alias (community members take it).
async fn alias(app: &TestApp, u: &TestUser, name: &str) {
    let (s, b) = app
        .json(
            "PATCH",
            "/api/v1/me",
            Some(&u.access),
            json!({"alias": name}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posts_comments_likes_and_notifications_arrive_live_and_privately() {
    let app = app().await;
    let ann = app.user("live-ann@example.com").await;
    let bob = app.user("live-bob@example.com").await;
    let cat = app.user("live-cat@example.com").await;
    alias(&app, &ann, "ann_live").await;
    alias(&app, &bob, "bob_live").await;
    // Bob's community member is made on his first community request.
    let (s, _) = app
        .json(
            "GET",
            "/api/v1/community/posts",
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    // Ann follows Bob; her client watches the latest posts, her following
    // stream and $AAPL. Cat's watches only $MSFT.
    let (s, b) = app
        .json(
            "PUT",
            "/api/v1/community/members/bob_live/follow",
            Some(&ann.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut a = Live::connect(
        &app.router,
        &ann,
        "?streams=latest,following,ticker:AAPL",
        None,
    )
    .await;
    let mut c = Live::connect(&app.router, &cat, "?streams=ticker:MSFT", None).await;

    let named = post(&app, &bob, json!({"text": "Trimming $AAPL after the run"})).await;
    let (e, _) = a.until("post").await;
    assert_eq!(e.data["post"]["id"], named["id"]);
    let bob_member = e.data["post"]["author"]["id"].as_str().unwrap().to_owned();
    assert_eq!(e.data["post"]["author"]["alias"], "bob_live");
    let streams: BTreeSet<String> = serde_json::from_value(e.data["streams"].clone()).unwrap();
    assert_eq!(
        streams,
        ["latest", "following", "ticker:AAPL"]
            .map(String::from)
            .into(),
        "{e:?}"
    );
    assert_eq!(e.data["post"]["mine"], false, "the view as others see it");

    // Anonymous: the author is nowhere in the event.
    let anon = post(
        &app,
        &bob,
        json!({"text": "Quietly adding $MSFT", "anonymous": true}),
    )
    .await;
    let (e, _) = a.until("post").await;
    assert_eq!(e.data["post"]["id"], anon["id"]);
    assert_eq!(
        e.data["streams"],
        json!(["latest"]),
        "not in following: anonymous"
    );
    let (ce, _) = c.until("post").await;
    assert_eq!(ce.data["post"]["id"], anon["id"]);
    assert_eq!(ce.data["streams"], json!(["ticker:MSFT"]));
    for data in [&e.data, &ce.data] {
        assert!(!data.to_string().contains("bob_live"), "{data}");
        assert!(!has_string(data, &bob_member), "{data}");
    }
    assert_eq!(
        e.data["post"]["author"],
        json!({"kind": "anonymous"}),
        "{e:?}"
    );

    // Ann posts; Bob comments and likes: Ann sees the comment, the like
    // count and her own notifications; Cat sees the comment and count but
    // none of Ann's notifications.
    let mine = post(
        &app,
        &ann,
        json!({"text": "What do you make of this rally?"}),
    )
    .await;
    let pid = mine["id"].as_str().unwrap().to_owned();
    let (s, b) = app
        .json(
            "POST",
            &format!("/api/v1/community/posts/{pid}/comments"),
            Some(&bob.access),
            json!({"text": "Looks stretched to me"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let (s, b) = app
        .json(
            "PUT",
            &format!("/api/v1/community/posts/{pid}/like"),
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    let mut seen = Vec::new();
    while !(seen.iter().any(|e: &Ev| e.name == "reactions")
        && seen.iter().filter(|e| e.name == "notification").count() >= 2)
    {
        seen.push(a.next().await);
    }
    let comment = seen.iter().find(|e| e.name == "comment").expect("comment");
    assert_eq!(comment.data["post_id"], pid.as_str());
    assert_eq!(comment.data["comments"], 1, "the thread's count after it");
    assert_eq!(comment.data["comment"]["text"], "Looks stretched to me");
    let likes = seen.iter().find(|e| e.name == "reactions").unwrap();
    assert_eq!(likes.data, json!({"post_id": pid, "likes": 1}));
    let kinds: Vec<&str> = seen
        .iter()
        .filter(|e| e.name == "notification")
        .map(|e| e.data["kind"]["type"].as_str().unwrap_or(""))
        .collect();
    assert!(
        kinds.contains(&"comment") && kinds.contains(&"like"),
        "{kinds:?}"
    );
    // The notifications are Ann's to read.
    let (s, n) = app
        .json(
            "GET",
            "/api/v1/community/notifications?unread=true",
            Some(&ann.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{n}");
    let ids: Vec<&str> = seen
        .iter()
        .filter(|e| e.name == "notification")
        .map(|e| e.data["id"].as_str().unwrap())
        .collect();
    let listed: BTreeSet<&str> = n["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["id"].as_str().unwrap())
        .collect();
    for id in &ids {
        assert!(listed.contains(id), "{id} in {listed:?}");
    }
    // Cat: the comment and the count, then nothing of Ann's.
    let mut cat_saw = Vec::new();
    while let Some(e) = c.next_within(Duration::from_millis(1500)).await {
        cat_saw.push(e);
    }
    assert!(cat_saw.iter().any(|e| e.name == "comment"), "{cat_saw:?}");
    assert!(cat_saw.iter().any(|e| e.name == "reactions"), "{cat_saw:?}");
    assert!(
        cat_saw.iter().all(|e| e.name != "notification"),
        "{cat_saw:?}"
    );
    assert!(
        cat_saw.iter().all(|e| e.name != "post"),
        "Ann's post names no $MSFT: {cat_saw:?}"
    );

    // Deleted: a `removed` event, and its text is not kept for replays.
    let (s, _) = app
        .json(
            "DELETE",
            &format!("/api/v1/community/posts/{}", named["id"].as_str().unwrap()),
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (e, _) = a.until("removed").await;
    assert_eq!(e.data["post_id"], named["id"]);
    let mut replay = Live::connect(&app.router, &ann, "?streams=latest", Some(0)).await;
    let mut replayed = Vec::new();
    while let Some(e) = replay.next_within(Duration::from_millis(800)).await {
        replayed.push(e);
    }
    assert!(
        replayed
            .iter()
            .all(|e| !e.data.to_string().contains("Trimming")),
        "{replayed:?}"
    );
    assert!(replayed.iter().any(|e| e.name == "removed"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reconnects_misses_nothing_and_gets_nothing_twice() {
    let app = app().await;
    let ann = app.user("resume-ann@example.com").await;
    let bob = app.user("resume-bob@example.com").await;
    let w = writers(&app, "resume-w", 4).await;
    let mut a = Live::connect(&app.router, &ann, "", None).await;
    for i in 0..3 {
        post(&app, &bob, json!({"text": format!("first batch {i}")})).await;
    }
    let mut got = Vec::new();
    for _ in 0..3 {
        got.push(a.until("post").await.0);
    }
    let last = got.last().unwrap().id;
    drop(a);
    // Posted while away, by several members at once.
    let more: Vec<Value> =
        futures_util::future::join_all(
            (0..6).map(|i| {
                let (app, who) = (&app, &w[i % w.len()]);
                async move {
                    post(app, who, json!({"text": format!("while away {i}")})).await["id"].clone()
                }
            }),
        )
        .await;
    let mut a = Live::connect(&app.router, &ann, "", Some(last)).await;
    let mut after = Vec::new();
    while after.len() < 6 {
        after.push(a.until("post").await.0);
    }
    let ids: Vec<i64> = after.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "in order: {ids:?}");
    assert!(ids[0] > last);
    let posts: BTreeSet<String> = after
        .iter()
        .map(|e| e.data["post"]["id"].to_string())
        .collect();
    let want: BTreeSet<String> = more.iter().map(ToString::to_string).collect();
    assert_eq!(posts, want, "exactly the posts made while away");
    // Then live again, and nothing more of the old ones.
    let live = post(&app, &ann, json!({"text": "back live"})).await;
    let (e, _) = a.until("post").await;
    assert_eq!(e.data["post"]["id"], live["id"]);
    assert!(a.next_within(Duration::from_millis(500)).await.is_none());

    // A bad last id is refused with the field named.
    let (s, b) = app
        .json(
            "GET",
            "/api/v1/live?last_event_id=yesterday",
            Some(&ann.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    assert!(b["error"]["fields"]["last_event_id"].is_string(), "{b}");
    let (s, b) = app
        .json(
            "GET",
            "/api/v1/live?streams=ticker:..%2Fetc",
            Some(&ann.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, _) = app.json("GET", "/api/v1/live", None, Value::Null).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_posts_each_arrive_once_in_id_order() {
    let app = app().await;
    let reader = app.user("par-reader@example.com").await;
    let writers = writers(&app, "par-writer", 10).await;
    let mut r = Live::connect(&app.router, &reader, "", None).await;
    const EACH: usize = 2;
    let made: Vec<Value> = futures_util::future::join_all(writers.iter().flat_map(|w| {
        let app = &app;
        (0..EACH).map(move |i| async move {
            post(
                app,
                w,
                json!({"text": format!("parallel {i} from {}", w.email)}),
            )
            .await["id"]
                .clone()
        })
    }))
    .await;
    let mut got = Vec::new();
    while got.len() < made.len() {
        got.push(r.until("post").await.0);
    }
    let ids: Vec<i64> = got.iter().map(|e| e.id).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let posts: BTreeSet<String> = got
        .iter()
        .map(|e| e.data["post"]["id"].to_string())
        .collect();
    assert_eq!(posts.len(), made.len(), "each once");
    assert!(r.next_within(Duration::from_millis(500)).await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_last_id_older_than_what_is_kept_gets_a_reset() {
    let app = app().await;
    let ann = app.user("reset-ann@example.com").await;
    let old = app.user("reset-old@example.com").await;
    for i in 0..3 {
        post(&app, &old, json!({"text": format!("old news {i}")})).await;
    }
    // The oldest events are past their time.
    let auravest_reference_server::store::SqlPool::Sqlite(pool) = app.state.store.sql_pool() else {
        panic!("SQLite");
    };
    sqlx::query("DELETE FROM live_events WHERE id < (SELECT MAX(id) FROM live_events)")
        .execute(&pool)
        .await
        .unwrap();
    let mut a = Live::connect(&app.router, &ann, "", Some(0)).await;
    let e = a.next().await;
    assert_eq!(e.name, "reset", "{e:?}");
    // Then live from the head.
    let fresh = post(&app, &ann, json!({"text": "fresh"})).await;
    let (e, _) = a.until("post").await;
    assert_eq!(e.data["post"]["id"], fresh["id"]);
}

/// One set of keys for both replicas, as replicas share them.
const KEY: &str = "c2hhcmVkLWtleXMtZm9yLXR3by1yZXBsaWNhcy0zMiE=";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_made_through_one_replica_reaches_a_client_of_another() {
    let Some(db) = crate::support::TestDatabase::create("live_replicas").await else {
        return;
    };
    let replica = || async {
        let store = auravest_reference_server::store::sql::connect_url(&db.url)
            .await
            .expect("PostgreSQL");
        store.migrate().await.expect("migrate");
        app_with(
            TestOptions {
                store: Some(store),
                ..TestOptions::default()
            }
            .var("DATABASE_URL", &db.url)
            .var("AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE", "1000")
            // Polled once a minute: an event seen within seconds was announced.
            .var("AURAVEST_LIVE_POLL_SECS", "60")
            .var("AURAVEST_JWT_SECRET", KEY)
            .var("AURAVEST_ENCRYPTION_KEY", KEY)
            .var("AURAVEST_HASH_KEY", KEY),
        )
        .await
    };
    let a = replica().await;
    let b = replica().await;
    let ann = a.user("replica-ann@example.com").await;
    let bob = a.user("replica-bob@example.com").await;
    // Bob listens on replica B; Ann posts through replica A.
    let mut on_b = Live::connect(&b.router, &bob, "?streams=latest", None).await;
    let started = std::time::Instant::now();
    let made = post(
        &a,
        &ann,
        json!({"text": "Hello from replica A about $AAPL"}),
    )
    .await;
    let (e, _) = on_b.until("post").await;
    assert_eq!(e.data["post"]["id"], made["id"]);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "announced, not polled: {:?}",
        started.elapsed()
    );
    // Dropped and back on replica A: nothing missed, nothing twice.
    let last = e.id;
    drop(on_b);
    let mut ids = Vec::new();
    let w = writers(&a, "replica-w", 2).await;
    for i in 0..4 {
        let via = if i % 2 == 0 { &a } else { &b };
        ids.push(
            post(via, &w[i / 2], json!({"text": format!("meanwhile {i}")})).await["id"].clone(),
        );
    }
    let mut on_a = Live::connect(&a.router, &bob, "?streams=latest", Some(last)).await;
    let mut got = Vec::new();
    while got.len() < 4 {
        got.push(on_a.until("post").await.0.data["post"]["id"].clone());
    }
    assert_eq!(got, ids);
    assert!(on_a.next_within(Duration::from_millis(500)).await.is_none());
    drop((on_a, a, b));
    drop(db);
}
