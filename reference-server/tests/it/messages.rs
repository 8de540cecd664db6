//! Tests: direct messages. Only between members who follow each other,
//! with messages on and no block; sending is limited per minute under
//! parallel requests (on both databases); the recipient alone gets the live
//! event; a recipient can report a message to the moderators; messages are
//! in the export and go with the account.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::live::Live;
use crate::support::{TestApp, TestOptions, TestUser, on_both_backends};

async fn member(app: &TestApp, email: &str, alias: &str) -> TestUser {
    let u = app.user(email).await;
    let (s, b) = app
        .json(
            "PATCH",
            "/api/v1/me",
            Some(&u.access),
            json!({"alias": alias}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
    // The community member is made on the first community request.
    let (s, _) = app
        .json(
            "GET",
            "/api/v1/community/messages",
            Some(&u.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    u
}

async fn follow(app: &TestApp, who: &TestUser, alias: &str) {
    let (s, b) = app
        .json(
            "PUT",
            &format!("/api/v1/community/members/{alias}/follow"),
            Some(&who.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{b}");
}

async fn send(app: &TestApp, from: &TestUser, to: &str, text: &str) -> (StatusCode, Value) {
    app.json(
        "POST",
        &format!("/api/v1/community/messages/with/{to}"),
        Some(&from.access),
        json!({ "text": text }),
    )
    .await
}

async fn messages_between_mutual_follows(app: TestApp) {
    let ann = member(&app, "dm-ann@example.com", "ann_dm").await;
    let bob = member(&app, "dm-bob@example.com", "bob_dm").await;
    let cat = member(&app, "dm-cat@example.com", "cat_dm").await;
    let (s, b) = send(&app, &ann, "bob_dm", "hello").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("follow each other"),
        "{b}"
    );
    follow(&app, &ann, "bob_dm").await;
    let (s, _) = send(&app, &ann, "bob_dm", "hello").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "one way is not enough");
    follow(&app, &bob, "ann_dm").await;

    let mut bob_live = Live::connect(&app.router, &bob, "", None).await;
    let mut cat_live = Live::connect(&app.router, &cat, "", None).await;
    let (s, sent) = send(
        &app,
        &ann,
        "bob_dm",
        "  Hi Bob, what did you think of $AAPL?  ",
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{sent}");
    assert_eq!(sent["text"], "Hi Bob, what did you think of $AAPL?");
    assert_eq!(sent["mine"], true);
    let (e, _) = bob_live.until("message").await;
    assert_eq!(e.data["from"], "ann_dm");
    assert_eq!(e.data["id"], sent["id"]);
    let mut cat_saw = Vec::new();
    while let Some(e) = cat_live.next_within(Duration::from_millis(800)).await {
        cat_saw.push(e);
    }
    assert!(cat_saw.iter().all(|e| e.name != "message"), "{cat_saw:?}");

    // Bob's list and thread; reading marks it read.
    let (_, list) = app
        .json(
            "GET",
            "/api/v1/community/messages",
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(list["conversations"][0]["with"], "ann_dm", "{list}");
    assert_eq!(list["conversations"][0]["unread"], 1);
    let (s, thread) = app
        .json(
            "GET",
            "/api/v1/community/messages/with/ann_dm",
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{thread}");
    assert_eq!(thread["can_send"], true);
    assert_eq!(thread["messages"][0]["mine"], false);
    let (_, list) = app
        .json(
            "GET",
            "/api/v1/community/messages",
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(list["conversations"][0]["unread"], 0);

    // Bad text, unknown member.
    for (text, status) in [
        ("   ", StatusCode::UNPROCESSABLE_ENTITY),
        ("ding\u{7}", StatusCode::UNPROCESSABLE_ENTITY),
    ] {
        let (s, b) = send(&app, &ann, "bob_dm", text).await;
        assert_eq!(s, status, "{b}");
        assert!(b["error"]["fields"]["text"].is_string(), "{b}");
    }
    let (s, b) = send(&app, &ann, "bob_dm", &"x".repeat(1001)).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
    let (s, _) = send(&app, &ann, "nobody_here", "hi").await;
    assert_eq!(s, StatusCode::NOT_FOUND);

    // Messages off, then a block: refused both ways, with the reason.
    let (s, _) = app
        .json(
            "PUT",
            "/api/v1/community/messages/settings",
            Some(&bob.access),
            json!({"accepts": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = send(&app, &ann, "bob_dm", "still there?").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(
        b["error"]["message"]
            .as_str()
            .unwrap()
            .contains("does not take messages"),
        "{b}"
    );
    let (s, _) = app
        .json(
            "PUT",
            "/api/v1/community/messages/settings",
            Some(&bob.access),
            json!({"accepts": true}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, b) = app
        .json(
            "PUT",
            "/api/v1/community/messages/blocks/ann_dm",
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(
        (s, b["blocked"].as_bool()),
        (StatusCode::OK, Some(true)),
        "{b}"
    );
    for (from, to) in [(&ann, "bob_dm"), (&bob, "ann_dm")] {
        let (s, b) = send(&app, from, to, "hello?").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        assert!(
            b["error"]["message"].as_str().unwrap().contains("blocked"),
            "{b}"
        );
    }
    let (s, _) = app
        .json(
            "DELETE",
            "/api/v1/community/messages/blocks/ann_dm",
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = send(&app, &ann, "bob_dm", "back again").await;
    assert_eq!(s, StatusCode::CREATED);

    // Reported by the recipient only; seen by moderators only.
    let id = sent["id"].as_str().unwrap();
    let report = |who: &TestUser, id: &str| {
        let (app, token, id) = (&app, who.access.clone(), id.to_owned());
        async move {
            app.json(
                "POST",
                &format!("/api/v1/community/messages/{id}/report"),
                Some(&token),
                json!({"reason": "unwanted"}),
            )
            .await
            .0
        }
    };
    assert_eq!(
        report(&ann, id).await,
        StatusCode::NOT_FOUND,
        "the sender cannot"
    );
    assert_eq!(
        report(&cat, id).await,
        StatusCode::NOT_FOUND,
        "nor a stranger"
    );
    assert_eq!(
        report(&bob, "not-a-uuid").await,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(report(&bob, id).await, StatusCode::NO_CONTENT);
    assert_eq!(report(&bob, id).await, StatusCode::NOT_FOUND, "once");
    let (s, _) = app
        .json(
            "GET",
            "/api/v1/community/moderation/messages",
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let moderator = member(&app, "dm-mod@example.com", "keeper_dm").await;
    auravest_reference_server::auth::grant_role(
        app.state.store.as_ref(),
        &app.state.keys,
        "dm-mod@example.com",
        auravest_reference_server::store::Role::Moderator,
    )
    .await
    .unwrap();
    let (s, queue) = app
        .json(
            "GET",
            "/api/v1/community/moderation/messages",
            Some(&moderator.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{queue}");
    assert_eq!(queue[0]["id"], id);
    assert_eq!(
        (queue[0]["from"].as_str(), queue[0]["to"].as_str()),
        (Some("ann_dm"), Some("bob_dm"))
    );
    assert_eq!(queue[0]["reason"], "unwanted");
    assert_eq!(queue[0]["sender_present"], true);
    // Closed by a moderator: it leaves the queue (once).
    let close = format!("/api/v1/community/moderation/messages/{id}/resolve");
    let (s, _) = app
        .json("POST", &close, Some(&moderator.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .json("POST", &close, Some(&moderator.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, queue) = app
        .json(
            "GET",
            "/api/v1/community/moderation/messages",
            Some(&moderator.access),
            Value::Null,
        )
        .await;
    assert_eq!(queue, json!([]));

    // In the export (the recipient's report too); gone with the account,
    // from both sides and from the live events.
    let (_, bob_export) = app
        .json("GET", "/api/v1/me/export", Some(&bob.access), Value::Null)
        .await;
    let messaging = &bob_export["messaging"];
    assert_eq!(messaging["accepts_messages"], true, "{messaging}");
    assert_eq!(messaging["blocked"], json!([]));
    assert!(
        messaging["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["reported_reason"] == "unwanted"),
        "{messaging}"
    );
    assert_eq!(bob_export["plan"], "free");
    let (_, export) = app
        .json("GET", "/api/v1/me/export", Some(&ann.access), Value::Null)
        .await;
    let texts: Vec<&str> = export["messaging"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["text"].as_str().unwrap())
        .collect();
    assert_eq!(
        texts,
        ["back again", "Hi Bob, what did you think of $AAPL?"]
    );
    let (s, _) = app
        .json(
            "DELETE",
            "/api/v1/me?posts=delete",
            Some(&ann.access),
            Value::Null,
        )
        .await;
    assert!(s.is_success());
    let (_, list) = app
        .json(
            "GET",
            "/api/v1/community/messages",
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(list["conversations"], json!([]), "{list}");
    let mut replay = Live::connect(&app.router, &bob, "", Some(0)).await;
    let mut seen = Vec::new();
    while let Some(e) = replay.next_within(Duration::from_millis(800)).await {
        seen.push(e);
    }
    assert!(seen.iter().all(|e| e.name != "message"), "{seen:?}");
}

on_both_backends!(
    direct_messages_on_sqlite,
    direct_messages_on_postgres,
    messages_between_mutual_follows,
    TestOptions::default()
);

/// N messages at once: never more than the minute's limit.
async fn the_send_limit_holds_in_parallel(app: TestApp) {
    let ann = member(&app, "dm-par-ann@example.com", "ann_par").await;
    let bob = member(&app, "dm-par-bob@example.com", "bob_par").await;
    follow(&app, &ann, "bob_par").await;
    follow(&app, &bob, "ann_par").await;
    let limit = usize::try_from(auravest_social::MESSAGES_PER_MINUTE).unwrap();
    let texts: Vec<String> = (0..limit + 6).map(|i| format!("message {i}")).collect();
    let sent =
        futures_util::future::join_all(texts.iter().map(|t| send(&app, &ann, "bob_par", t))).await;
    let ok = sent
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let limited = sent
        .iter()
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((ok, limited), (limit, 6), "{sent:?}");
    let (_, thread) = app
        .json(
            "GET",
            "/api/v1/community/messages/with/ann_par",
            Some(&bob.access),
            Value::Null,
        )
        .await;
    assert_eq!(thread["messages"].as_array().unwrap().len(), limit);
}

on_both_backends!(
    message_limit_in_parallel_on_sqlite,
    message_limit_in_parallel_on_postgres,
    the_send_limit_holds_in_parallel,
    TestOptions::default()
);

/// Feedback reaches the moderators' queue (five an hour, under parallel
/// requests); a moderator resolves it and bans a member, both audited.
async fn feedback_and_bans(app: TestApp) {
    let ann = member(&app, "fb-ann@example.com", "ann_fb").await;
    let bob = member(&app, "fb-bob@example.com", "bob_fb").await;
    let keeper = member(&app, "fb-keeper@example.com", "keeper_fb").await;
    for (body, field) in [
        (json!({"category": "spam", "text": "x"}), "category"),
        (json!({"category": "safety", "text": "  "}), "text"),
    ] {
        let (s, b) = app
            .json(
                "POST",
                "/api/v1/community/feedback",
                Some(&ann.access),
                body,
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert!(b["error"]["fields"][field].is_string(), "{b}");
    }
    let texts: Vec<String> = (0..8)
        .map(|i| format!("bob_fb keeps posting pump-and-dump tips ({i})"))
        .collect();
    let sent = futures_util::future::join_all(texts.iter().map(|t| {
        app.json(
            "POST",
            "/api/v1/community/feedback",
            Some(&ann.access),
            json!({"category": "safety", "text": t}),
        )
    }))
    .await;
    let ok = sent
        .iter()
        .filter(|(s, _)| *s == StatusCode::CREATED)
        .count();
    let limited = sent
        .iter()
        .filter(|(s, _)| *s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!((ok, limited), (5, 3), "{sent:?}");

    let (s, _) = app
        .json(
            "GET",
            "/api/v1/community/moderation/feedback",
            Some(&ann.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    auravest_reference_server::auth::grant_role(
        app.state.store.as_ref(),
        &app.state.keys,
        "fb-keeper@example.com",
        auravest_reference_server::store::Role::Moderator,
    )
    .await
    .unwrap();
    let (s, queue) = app
        .json(
            "GET",
            "/api/v1/community/moderation/feedback",
            Some(&keeper.access),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{queue}");
    assert_eq!(queue.as_array().unwrap().len(), 5);
    assert_eq!(queue[0]["from"], "ann_fb");
    assert_eq!(queue[0]["category"], "safety");
    let id = queue[0]["id"].as_str().unwrap().to_owned();
    let resolve = format!("/api/v1/community/moderation/feedback/{id}/resolve");
    let (s, _) = app
        .json("POST", &resolve, Some(&keeper.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = app
        .json("POST", &resolve, Some(&keeper.access), Value::Null)
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "once");
    let (_, queue) = app
        .json(
            "GET",
            "/api/v1/community/moderation/feedback",
            Some(&keeper.access),
            Value::Null,
        )
        .await;
    assert_eq!(queue.as_array().unwrap().len(), 4);

    follow(&app, &bob, "keeper_fb").await;
    follow(&app, &keeper, "bob_fb").await;
    // A ban: audited; the banned member can no longer post.
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/community/moderation/members/bob_fb/ban",
            Some(&ann.access),
            json!({"reason": "manipulation"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    let (s, ban) = app
        .json(
            "POST",
            "/api/v1/community/moderation/members/bob_fb/ban",
            Some(&keeper.access),
            json!({"reason": "repeated pump-and-dump posts"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{ban}");
    assert_eq!(ban["member"], "bob_fb");
    let (s, b) = app
        .json(
            "POST",
            "/api/v1/community/posts",
            Some(&bob.access),
            json!({"text": "buy now!"}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    // Nor write to anyone, even a mutual follow.
    let (s, b) = send(&app, &bob, "keeper_fb", "let me explain").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert!(
        b["error"]["message"].as_str().unwrap().contains("banned"),
        "{b}"
    );
    let audited = app.state.store.audit_rows(200).await.unwrap();
    let actions: Vec<String> = audited
        .iter()
        .filter(|a| a.entry.action == auravest_reference_server::store::AuditAction::Moderation)
        .map(|a| a.entry.detail["action"].as_str().unwrap_or("").to_owned())
        .collect();
    assert!(
        actions.contains(&"ban".to_owned()) && actions.contains(&"resolve_feedback".to_owned()),
        "{actions:?}"
    );
    // In the sender's export; gone with the account.
    let (_, export) = app
        .json("GET", "/api/v1/me/export", Some(&ann.access), Value::Null)
        .await;
    assert_eq!(
        export["feedback_to_moderators"].as_array().map(Vec::len),
        Some(5),
        "{export}"
    );
    let (s, _) = app
        .json(
            "DELETE",
            "/api/v1/me?posts=delete",
            Some(&ann.access),
            Value::Null,
        )
        .await;
    assert!(s.is_success());
    let (_, queue) = app
        .json(
            "GET",
            "/api/v1/community/moderation/feedback",
            Some(&keeper.access),
            Value::Null,
        )
        .await;
    assert_eq!(queue, json!([]));
}

on_both_backends!(
    feedback_and_bans_on_sqlite,
    feedback_and_bans_on_postgres,
    feedback_and_bans,
    TestOptions::default()
);
