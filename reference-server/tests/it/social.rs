//! The community on the server: the social crate's store conformance suite
//! on SQLite and PostgreSQL (`social::conformance::{sqlite,postgres}::*`),
//! and the `/api/v1/community` routes through the app (`social::api::*`).

use std::sync::Arc;

use auravest_reference_server::auth::grant_role;
use auravest_reference_server::services::community::{delete_member, with_community};
use auravest_reference_server::social_store::{PostsChoice, SqlSocialStore};
use auravest_reference_server::store::postgres::PostgresStore;
use auravest_reference_server::store::sqlite::SqliteStore;
use auravest_reference_server::store::{AuditAction, Role, Store};
use axum::http::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::support::{
    TestApp, TestDatabase, TestOptions, TestUser, app, app_with, portfolio, sample_portfolio,
    take_questionnaire,
};

// --- databases ----------------------------------------------------------------

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

// --- the conformance suite ----------------------------------------------------------

/// Runs one check of the social crate's suite on a fresh, migrated SQLite file.
fn on_sqlite<F: Future<Output = ()>>(check: impl FnOnce(SqlSocialStore) -> F) {
    let rt = runtime();
    let dir = tempfile::tempdir().expect("a temporary folder");
    let url = format!("sqlite://{}", dir.path().join("social.db").display());
    rt.block_on(async {
        let store = SqliteStore::connect(&url).await.expect("open SQLite");
        store.migrate().await.expect("migrate SQLite");
        check(SqlSocialStore::sqlite(store.pool().clone())).await;
    });
}

/// Runs one check on a fresh, migrated PostgreSQL database (skipped
/// without `DATABASE_URL`, except under `CI=true`).
fn on_postgres<F: Future<Output = ()>>(check: impl FnOnce(SqlSocialStore) -> F) {
    let rt = runtime();
    rt.block_on(async {
        let Some(db) = TestDatabase::create("community").await else {
            return;
        };
        let store = PostgresStore::connect(&db.url)
            .await
            .expect("open PostgreSQL");
        store.migrate().await.expect("migrate PostgreSQL");
        let pool = store.pool().clone();
        check(SqlSocialStore::postgres(pool.clone())).await;
        pool.close().await;
        drop(db);
    });
}

macro_rules! conformance {
    ($($check:ident),+ $(,)?) => {
        mod conformance {
            mod sqlite {
                $(
                    #[test]
                    fn $check() {
                        super::super::on_sqlite(auravest_social::conformance::$check);
                    }
                )+
            }
            mod postgres {
                $(
                    #[test]
                    fn $check() {
                        super::super::on_postgres(auravest_social::conformance::$check);
                    }
                )+
            }
        }
    };
}

conformance!(
    users,
    posts,
    query_order_and_keyset,
    query_filters,
    likes,
    flags,
    follows,
    notifications,
    audit,
);

// --- the API -------------------------------------------------------------------

mod api {
    use super::*;

    fn fields(body: &Value) -> Vec<String> {
        body["error"]["fields"]
            .as_object()
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// The user's community alias: ours with `-` read as `_`.
    async fn alias(t: &TestApp, u: &TestUser) -> String {
        let (s, b) = t
            .json("GET", "/api/v1/me", Some(&u.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        b["alias"].as_str().expect("alias").replace('-', "_")
    }

    async fn create(t: &TestApp, u: &TestUser, body: Value) -> Value {
        let (s, b) = t
            .json("POST", "/api/v1/community/posts", Some(&u.access), body)
            .await;
        assert_eq!(s, StatusCode::CREATED, "{b}");
        b
    }

    async fn get(t: &TestApp, u: &TestUser, path: &str) -> (StatusCode, Value) {
        t.json("GET", path, Some(&u.access), Value::Null).await
    }

    fn ids(page: &Value) -> Vec<String> {
        page["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|p| p["id"].as_str().expect("id").to_owned())
            .collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn post_reaches_the_cashtag_stream_and_the_followers_feed() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let ann_alias = alias(&t, &ann).await;

        let post = create(
            &t,
            &ann,
            json!({"text": "Adding to $AAPL for the long run", "sentiment": "bullish"}),
        )
        .await;
        let id = post["id"].as_str().unwrap().to_owned();
        assert_eq!(post["author"]["alias"], ann_alias.as_str());
        assert_eq!(post["sentiment"], "bullish");
        assert_eq!(post["cashtags"], json!(["AAPL"]));

        let (s, stream) = get(&t, &bob, "/api/v1/community/symbols/aapl/posts").await;
        assert_eq!(s, StatusCode::OK, "{stream}");
        assert_eq!(ids(&stream), [id.as_str()]);
        let (_, other) = get(&t, &bob, "/api/v1/community/symbols/MSFT/posts").await;
        assert!(ids(&other).is_empty());

        let (_, empty) = get(&t, &bob, "/api/v1/community/feed").await;
        assert!(ids(&empty).is_empty(), "not following yet");
        let follow = format!("/api/v1/community/members/{ann_alias}/follow");
        let (s, b) = t.json("PUT", &follow, Some(&bob.access), Value::Null).await;
        assert_eq!(
            (s, b["changed"].clone()),
            (StatusCode::OK, json!(true)),
            "{b}"
        );
        let (_, b) = t.json("PUT", &follow, Some(&bob.access), Value::Null).await;
        assert_eq!(b["changed"], false, "following twice changes nothing");

        // Two more posts, then the feed a page of two at a time.
        let second = create(
            &t,
            &ann,
            json!({"text": "Reading about $MSFT cloud margins"}),
        )
        .await;
        let third = create(&t, &ann, json!({"text": "Index funds are boring and good"})).await;
        let (s, page1) = get(&t, &bob, "/api/v1/community/feed?limit=2").await;
        assert_eq!(s, StatusCode::OK, "{page1}");
        assert_eq!(
            ids(&page1),
            [
                third["id"].as_str().unwrap(),
                second["id"].as_str().unwrap()
            ]
        );
        let next = page1["next"].as_str().expect("a next cursor").to_owned();
        let (s, page2) = get(
            &t,
            &bob,
            &format!(
                "/api/v1/community/feed?limit=2&cursor={}",
                next.replace('~', "%7E")
            ),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{page2}");
        assert_eq!(ids(&page2), [id.as_str()]);
        assert!(page2["next"].is_null());

        let (s, b) = t
            .json("DELETE", &follow, Some(&bob.access), Value::Null)
            .await;
        assert_eq!((s, b["following"].clone()), (StatusCode::OK, json!(false)));
        let (_, after) = get(&t, &bob, "/api/v1/community/feed").await;
        assert!(ids(&after).is_empty());

        let (s, trending) = get(&t, &bob, "/api/v1/community/trending/tickers").await;
        assert_eq!(s, StatusCode::OK, "{trending}");
        assert!(trending.is_array());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn everyones_posts_a_members_posts_and_helpful_answers() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let (ann_alias, bob_alias) = (alias(&t, &ann).await, alias(&t, &bob).await);
        let id = |v: &Value| v["id"].as_str().unwrap().to_owned();
        let question = id(&create(&t, &ann, json!({"text": "Are index funds enough?"})).await);
        let msft = id(&create(&t, &bob, json!({"text": "Reading about $MSFT"})).await);
        let anon = id(&create(
            &t,
            &ann,
            json!({"text": "A quiet thought", "anonymous": true}),
        )
        .await);

        let (s, latest) = get(&t, &bob, "/api/v1/community/posts").await;
        assert_eq!(s, StatusCode::OK, "{latest}");
        assert_eq!(
            ids(&latest),
            [anon.as_str(), msft.as_str(), question.as_str()]
        );
        assert_eq!(latest["items"][0]["author"], json!({"kind": "anonymous"}));
        let (_, first) = get(&t, &bob, "/api/v1/community/posts?sort=latest&limit=2").await;
        assert_eq!(ids(&first), [anon.as_str(), msft.as_str()]);
        let next = first["next"]
            .as_str()
            .expect("a next cursor")
            .replace('~', "%7E");
        let (s, rest) = get(
            &t,
            &bob,
            &format!("/api/v1/community/posts?limit=2&cursor={next}"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{rest}");
        assert_eq!(ids(&rest), [question.as_str()]);
        let (s, trending) = get(&t, &bob, "/api/v1/community/posts?sort=trending").await;
        assert_eq!(s, StatusCode::OK, "{trending}");
        let mut ranked = ids(&trending);
        ranked.sort();
        let mut all = vec![anon.clone(), msft.clone(), question.clone()];
        all.sort();
        assert_eq!(ranked, all, "today's posts all trend: {trending}");
        for (path, field) in [
            ("/api/v1/community/posts?sort=best", "sort"),
            ("/api/v1/community/posts?limit=0", "limit"),
            ("/api/v1/community/posts?cursor=nonsense", "cursor"),
        ] {
            let (s, b) = get(&t, &bob, path).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {b}");
            assert_eq!(fields(&b), [field], "{path}: {b}");
        }

        // A member's posts: their anonymous ones only for themselves.
        let anns = format!("/api/v1/community/members/{ann_alias}/posts");
        let (s, seen) = get(&t, &bob, &anns).await;
        assert_eq!(s, StatusCode::OK, "{seen}");
        assert_eq!(ids(&seen), [question.as_str()]);
        let (_, own) = get(&t, &ann, &anns).await;
        assert_eq!(ids(&own), [anon.as_str(), question.as_str()]);
        let (s, _) = get(&t, &ann, "/api/v1/community/members/Nobody_Here/posts").await;
        assert_eq!(s, StatusCode::NOT_FOUND);

        // Bob answers Ann's question; only Ann may mark the answer helpful.
        let (s, answer) = t
            .json(
                "POST",
                &format!("/api/v1/community/posts/{question}/comments"),
                Some(&bob.access),
                json!({"text": "Mostly, if the fees are low."}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{answer}");
        let helpful = format!("/api/v1/community/posts/{}/helpful", id(&answer));
        let (s, b) = t
            .json("PUT", &helpful, Some(&bob.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "not his thread: {b}");
        let (s, b) = t
            .json("PUT", &helpful, Some(&ann.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["helpful"], true, "{b}");
        let (_, top) = get(&t, &ann, "/api/v1/community/leaderboards/contributors").await;
        let bobs = top
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["member"]["alias"] == bob_alias.as_str())
            .unwrap_or_else(|| panic!("Bob on the board: {top}"));
        assert_eq!(bobs["answers"], 1, "{top}");
        let on_post = format!("/api/v1/community/posts/{question}/helpful");
        let (s, b) = t
            .json("PUT", &on_post, Some(&ann.access), Value::Null)
            .await;
        assert_eq!(
            s,
            StatusCode::UNPROCESSABLE_ENTITY,
            "a post is no answer: {b}"
        );
        let (s, b) = t
            .json("DELETE", &helpful, Some(&ann.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["helpful"], false, "{b}");
        let (s, _) = t
            .json(
                "PUT",
                "/api/v1/community/posts/p999/helpful",
                Some(&ann.access),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn most_held_counts_only_members_who_let_it_and_never_says_who() {
        let t = app().await;
        let mut users = Vec::new();
        for name in ["ann", "bob", "cy", "dee"] {
            let u = t.user(&format!("{name}@example.com")).await;
            sample_portfolio(&t, &u).await;
            users.push(u);
        }
        let count = |u: &TestUser, on: bool| {
            let token = u.access.clone();
            let t = &t;
            async move {
                let (s, b) = t
                    .json(
                        "PATCH",
                        "/api/v1/me",
                        Some(&token),
                        json!({"count_holdings": on}),
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{b}");
                assert_eq!(b["count_holdings"], on);
            }
        };
        let most_held = |u: &TestUser| {
            let token = u.access.clone();
            let t = &t;
            async move {
                let (s, b) = t
                    .json(
                        "GET",
                        "/api/v1/community/most-held",
                        Some(&token),
                        Value::Null,
                    )
                    .await;
                assert_eq!(s, StatusCode::OK, "{b}");
                b
            }
        };
        let own_holdings = |u: &TestUser| {
            let u = u.clone();
            let t = &t;
            async move {
                let a = alias(t, &u).await;
                let (_, p) = get(t, &u, &format!("/api/v1/community/members/{a}")).await;
                p["own"]["holdings"].clone()
            }
        };

        // Off by default: nothing is kept.
        assert_eq!(most_held(&users[0]).await, json!([]));
        assert_eq!(own_holdings(&users[0]).await, json!([]));
        // Two who count are too few to show anything.
        for u in &users[..2] {
            count(u, true).await;
            most_held(u).await;
        }
        assert_eq!(most_held(&users[3]).await, json!([]));
        assert_eq!(
            own_holdings(&users[0]).await,
            json!(["AAPL", "AMZN", "GOOG", "JPM", "PFE"]),
            "the tickers held now: XOM was sold"
        );
        // A third makes every held ticker count, as a share of the three.
        count(&users[2], true).await;
        let list = most_held(&users[2]).await;
        let symbols: Vec<&str> = list
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["symbol"].as_str().unwrap())
            .collect();
        assert_eq!(symbols, ["AAPL", "AMZN", "GOOG", "JPM", "PFE"], "{list}");
        assert!(
            list.as_array()
                .unwrap()
                .iter()
                .all(|e| e["holders"] == 3 && e["share"] == 1.0),
            "{list}"
        );
        let mut keys_seen = Vec::new();
        keys(&list, &mut keys_seen);
        assert!(
            keys_seen
                .iter()
                .all(|k| ["symbol", "holders", "share"].contains(&k.as_str())),
            "no member in the list: {list}"
        );
        assert_eq!(
            own_holdings(&users[3]).await,
            json!([]),
            "Dee never opted in"
        );
        // Turning it off forgets the holdings and drops below three.
        count(&users[1], false).await;
        assert_eq!(own_holdings(&users[1]).await, json!([]));
        assert_eq!(most_held(&users[0]).await, json!([]));
        let (s, b) = get(&t, &users[0], "/api/v1/community/most-held?limit=0").await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(fields(&b), ["limit"]);
        let (s, b) = t
            .json(
                "PATCH",
                "/api/v1/me",
                Some(&users[0].access),
                json!({"count_holdings": "yes"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(fields(&b), ["count_holdings"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn likes_count_once_and_can_be_withdrawn() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let post = create(&t, &ann, json!({"text": "What do you think of $KO?"})).await;
        let like = format!(
            "/api/v1/community/posts/{}/like",
            post["id"].as_str().unwrap()
        );

        let (s, b) = t.json("PUT", &like, Some(&bob.access), Value::Null).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(
            (b["likes"].clone(), b["liked"].clone()),
            (json!(1), json!(true))
        );
        let (_, b) = t.json("PUT", &like, Some(&bob.access), Value::Null).await;
        assert_eq!(b["likes"], 1, "liking twice counts once");
        let (s, b) = t.json("PUT", &like, Some(&ann.access), Value::Null).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "own post: {b}");
        let (s, b) = t
            .json("DELETE", &like, Some(&bob.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(
            (b["likes"].clone(), b["liked"].clone()),
            (json!(0), json!(false))
        );
        let (s, _) = t
            .json(
                "PUT",
                "/api/v1/community/posts/p999/like",
                Some(&bob.access),
                Value::Null,
            )
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn comments_form_a_thread() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let post = create(&t, &ann, json!({"text": "Is $VTI enough on its own?"})).await;
        let pid = post["id"].as_str().unwrap().to_owned();
        let comments = format!("/api/v1/community/posts/{pid}/comments");

        let (s, c1) = t
            .json(
                "POST",
                &comments,
                Some(&bob.access),
                json!({"text": "For most people, yes"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c1}");
        assert_eq!(c1["thread"], pid.as_str());
        let reply_path = format!(
            "/api/v1/community/posts/{}/comments",
            c1["id"].as_str().unwrap()
        );
        let (s, c2) = t
            .json(
                "POST",
                &reply_path,
                Some(&ann.access),
                json!({"text": "Thanks, that helps"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{c2}");
        assert_eq!(c2["thread"], pid.as_str());
        assert_eq!(c2["reply_to"], c1["id"]);

        let (s, thread) = get(&t, &bob, &comments).await;
        assert_eq!(s, StatusCode::OK, "{thread}");
        assert_eq!(
            ids(&thread),
            [c1["id"].as_str().unwrap(), c2["id"].as_str().unwrap()]
        );
        let (_, root) = get(&t, &bob, &format!("/api/v1/community/posts/{pid}")).await;
        assert_eq!(root["comments"], 2);
        let (s, b) = get(&t, &bob, &format!("{comments}?order=loudest")).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&b), ["order"]);
        let long = "x".repeat(501);
        let (s, b) = t
            .json("POST", &comments, Some(&bob.access), json!({"text": long}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&b), ["text"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn flags_reach_the_moderators_who_take_the_post_down() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let reporters = [
            t.user("bob@example.com").await,
            t.user("cat@example.com").await,
            t.user("dan@example.com").await,
        ];
        let eve = t.user("eve@example.com").await;
        grant_role(
            t.state.store.as_ref(),
            &t.state.keys,
            "eve@example.com",
            Role::Moderator,
        )
        .await
        .expect("grant moderator");

        let post = create(&t, &ann, json!({"text": "Buy $XYZ now before it explodes"})).await;
        let pid = post["id"].as_str().unwrap().to_owned();
        let flag = format!("/api/v1/community/posts/{pid}/flags");
        let (s, b) = t
            .json(
                "POST",
                &flag,
                Some(&reporters[0].access),
                json!({"reason": "rumours"}),
            )
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(fields(&b), ["reason"]);
        let (s, b) = t
            .json(
                "POST",
                &flag,
                Some(&reporters[0].access),
                json!({"reason": "other"}),
            )
            .await;
        assert_eq!(
            (s, fields(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["note".to_owned()])
        );
        let mut last = Value::Null;
        for r in &reporters {
            let (s, b) = t
                .json(
                    "POST",
                    &flag,
                    Some(&r.access),
                    json!({"reason": "manipulation"}),
                )
                .await;
            assert_eq!(s, StatusCode::OK, "{b}");
            last = b;
        }
        assert_eq!(last, json!({"recorded": true, "hidden": true}));
        let (s, _) = get(&t, &reporters[0], &format!("/api/v1/community/posts/{pid}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "hidden from others");

        // Members may not moderate.
        let (s, _) = get(&t, &reporters[0], "/api/v1/community/moderation/flags").await;
        assert_eq!(s, StatusCode::FORBIDDEN);
        let remove = format!("/api/v1/community/moderation/posts/{pid}/remove");
        let (s, _) = t
            .json(
                "POST",
                &remove,
                Some(&ann.access),
                json!({"reason": "mine"}),
            )
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN);

        let (s, queue) = get(&t, &eve, "/api/v1/community/moderation/flags").await;
        assert_eq!(s, StatusCode::OK, "{queue}");
        assert_eq!(queue[0]["post"]["id"], pid.as_str());
        assert_eq!(queue[0]["flags"], 3);
        let (s, b) = t
            .json("POST", &remove, Some(&eve.access), json!({"reason": " "}))
            .await;
        assert_eq!(
            (s, fields(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["reason".to_owned()])
        );
        let (s, b) = t
            .json(
                "POST",
                &remove,
                Some(&eve.access),
                json!({"reason": "pump and dump"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["status"], "removed");
        let (_, queue) = get(&t, &eve, "/api/v1/community/moderation/flags").await;
        assert_eq!(queue, json!([]));

        // Our audit log: the moderator's subject, the post's hash, codes only.
        let eve_subject = t
            .state
            .store
            .user(eve.id.parse().unwrap())
            .await
            .unwrap()
            .unwrap()
            .audit_subject;
        let rows = t.state.store.audit_rows(50).await.unwrap();
        let row = rows
            .iter()
            .find(|r| r.entry.action == AuditAction::Moderation)
            .expect("a moderation audit row");
        assert_eq!(row.entry.subject, Some(eve_subject));
        assert!(row.entry.object.as_deref().is_some_and(|o| o.len() >= 32));
        let detail = row.entry.detail.to_string();
        assert!(!detail.contains("pump"), "{detail}");
        assert_eq!(row.entry.detail["action"], "remove_post");

        // The author heard about it.
        let (_, notes) = get(&t, &ann, "/api/v1/community/notifications").await;
        let texts: Vec<&str> = notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n["text"].as_str())
            .collect();
        assert!(texts.len() >= 2, "hidden, then removed: {texts:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn notifications_arrive_and_are_marked_read() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let ann_alias = alias(&t, &ann).await;
        let post = create(&t, &ann, json!({"text": "My first post about $VOD.L"})).await;
        let pid = post["id"].as_str().unwrap();
        let follow = format!("/api/v1/community/members/{ann_alias}/follow");
        t.json("PUT", &follow, Some(&bob.access), Value::Null).await;
        let like = format!("/api/v1/community/posts/{pid}/like");
        t.json("PUT", &like, Some(&bob.access), Value::Null).await;

        let (s, notes) = get(&t, &ann, "/api/v1/community/notifications?unread=true").await;
        assert_eq!(s, StatusCode::OK, "{notes}");
        assert_eq!(notes["unread"], 2);
        let items = notes["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert!(items.iter().all(|n| n["read"] == false));
        let texts: Vec<&str> = items.iter().map(|n| n["text"].as_str().unwrap()).collect();
        assert!(
            texts.iter().any(|t| t.ends_with("liked your post")),
            "{texts:?}"
        );
        assert!(
            texts.iter().any(|t| t.ends_with("started following you")),
            "{texts:?}"
        );

        let first = items[0]["id"].as_str().unwrap();
        let (s, b) = t
            .json(
                "POST",
                "/api/v1/community/notifications/read",
                Some(&ann.access),
                json!({"ids": [first]}),
            )
            .await;
        assert_eq!((s, b["marked"].clone()), (StatusCode::OK, json!(1)), "{b}");
        // Another member's ids change nothing.
        let (_, b) = t
            .json(
                "POST",
                "/api/v1/community/notifications/read",
                Some(&bob.access),
                json!({"ids": [items[1]["id"]]}),
            )
            .await;
        assert_eq!(b["marked"], 0);
        let (_, b) = t
            .json(
                "POST",
                "/api/v1/community/notifications/read",
                Some(&ann.access),
                json!({"ids": ["7"]}),
            )
            .await;
        assert_eq!(fields(&b), ["ids[0]"]);
        let (_, b) = t
            .json(
                "POST",
                "/api/v1/community/notifications/read",
                Some(&ann.access),
                json!({"all": true}),
            )
            .await;
        assert_eq!(b["marked"], 1);
        let (_, notes) = get(&t, &ann, "/api/v1/community/notifications?unread=true").await;
        assert_eq!(
            (notes["unread"].clone(), notes["items"].clone()),
            (json!(0), json!([]))
        );
        let (_, all) = get(&t, &ann, "/api/v1/community/notifications").await;
        assert_eq!(all["items"].as_array().unwrap().len(), 2);
    }

    /// Every key in a JSON value, at any depth.
    fn keys(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                for (k, v) in m {
                    out.push(k.clone());
                    keys(v, out);
                }
            }
            Value::Array(a) => a.iter().for_each(|v| keys(v, out)),
            _ => {}
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn profiles_show_performance_only_as_shared_percentages() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let (ann_alias, bob_alias) = (alias(&t, &ann).await, alias(&t, &bob).await);
        let (s, _) = t
            .json(
                "PATCH",
                "/api/v1/me",
                Some(&ann.access),
                json!({"share_performance": true}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);

        // Ann's member records a return (the crate's figures are percentages).
        let (_, own) = get(&t, &ann, &format!("/api/v1/community/members/{ann_alias}")).await;
        let member: auravest_social::UserId =
            own["member"]["id"].as_str().unwrap().parse().unwrap();
        assert_eq!(own["own"]["settings"]["share_performance"], true, "{own}");
        with_community(&t.state, async move |mut c| {
            c.record_return(
                member,
                auravest_social::Period::Year { year: 2024 },
                auravest_social::Decimal::new(124, 1),
            )
            .await
        })
        .await
        .unwrap();

        let (s, ann_seen) = get(&t, &bob, &format!("/api/v1/community/members/{ann_alias}")).await;
        assert_eq!(s, StatusCode::OK, "{ann_seen}");
        let perf = ann_seen["performance"].as_array().expect("shared");
        assert_eq!(perf.len(), 1);
        assert_eq!(perf[0]["return_pct"].to_string().trim_matches('"'), "12.4");
        assert!(
            ann_seen["own"].is_null(),
            "settings and holdings stay private"
        );

        let (s, bob_seen) = get(&t, &ann, &format!("/api/v1/community/members/{bob_alias}")).await;
        assert_eq!(s, StatusCode::OK, "{bob_seen}");
        assert!(bob_seen["performance"].is_null(), "not shared: {bob_seen}");

        for body in [&ann_seen, &bob_seen] {
            let mut all = Vec::new();
            keys(body, &mut all);
            for money in [
                "value", "amount", "balance", "total", "cash", "price", "currency",
            ] {
                assert!(!all.iter().any(|k| k.contains(money)), "{money} in {body}");
            }
        }
        let (s, _) = get(&t, &ann, "/api/v1/community/members/Nobody_Here").await;
        assert_eq!(s, StatusCode::NOT_FOUND);
    }

    /// A percentage in a view: the crate writes decimals as strings.
    fn pct(v: &Value) -> f64 {
        v.as_str()
            .map_or_else(|| v.as_f64(), |s| s.parse().ok())
            .unwrap_or_else(|| panic!("not a percentage: {v}"))
    }

    /// The portfolio's value on the last day on or before `day`, from its
    /// `max` performance series.
    fn value_on(series: &Value, day: &str) -> f64 {
        series["values"]
            .as_array()
            .unwrap()
            .iter()
            .rev()
            .find(|p| p["date"].as_str().unwrap() <= day)
            .map(|p| p["value"].as_str().unwrap().parse().unwrap())
            .unwrap_or_else(|| panic!("no value on or before {day}"))
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_portfolio_return_is_shared_in_percent_and_ranks_its_member() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let ann_alias = alias(&t, &ann).await;
        let id = sample_portfolio(&t, &ann).await;
        let empty = portfolio(&t, &ann, "Empty").await;
        let bobs = sample_portfolio(&t, &bob).await;
        let profile = take_questionnaire(&t, &ann, 2).await;
        let band = match profile["profile"]["category"].as_str().unwrap() {
            "conservative" => "Conservative",
            "moderately_conservative" => "Moderately Conservative",
            "moderate" => "Moderate",
            "growth" => "Growth",
            "aggressive" => "Aggressive",
            other => panic!("unknown category {other}"),
        };
        let share = |body: Value| {
            let t = &t;
            let token = ann.access.clone();
            async move {
                t.json("POST", "/api/v1/community/performance", Some(&token), body)
                    .await
            }
        };
        let posts_of_ann = || async {
            let (_, p) = get(&t, &ann, &format!("/api/v1/community/members/{ann_alias}")).await;
            p["posts"].as_u64().unwrap()
        };

        // Not sharing yet: refused, nothing posted.
        let (s, b) = share(json!({"portfolio_id": id, "period": "2018-03"})).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
        // Bad input names the field and posts nothing.
        let (s, _) = t
            .json(
                "PATCH",
                "/api/v1/me",
                Some(&ann.access),
                json!({"share_performance": true}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        for (body, field) in [
            (json!({"portfolio_id": id, "period": "2018-13"}), "period"),
            (
                json!({"portfolio_id": id, "period": "March 2018"}),
                "period",
            ),
            (json!({"portfolio_id": id, "period": "2099-01"}), "period"),
            (json!({"portfolio_id": id, "period": "2014-12"}), "period"),
            (json!({"portfolio_id": id, "period": "2018-04"}), "period"),
            (json!({"portfolio_id": id, "period": "2018"}), "period"),
            (
                json!({"portfolio_id": empty, "period": "2017"}),
                "portfolio_id",
            ),
            (
                json!({"portfolio_id": "not-a-uuid", "period": "2017"}),
                "portfolio_id",
            ),
            (
                json!({"portfolio_id": id, "period": "2017", "amount": "100"}),
                "amount",
            ),
            (json!({"portfolio_id": id}), "period"),
        ] {
            let (s, b) = share(body.clone()).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
            assert!(
                fields(&b).iter().any(|f| f.contains(field)),
                "{body}: {field} in {b}"
            );
        }
        let (s, b) = share(json!({"portfolio_id": bobs, "period": "2017"})).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "another user's portfolio: {b}");
        assert_eq!(posts_of_ann().await, 0);

        // March 2018 had no deposits or withdrawals: the return is the
        // change in value from the February close to the March close.
        let (s, series) = get(
            &t,
            &ann,
            &format!("/api/v1/portfolios/{id}/performance?range=max"),
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{series}");
        let expected =
            (value_on(&series, "2018-03-31") / value_on(&series, "2018-02-28") - 1.0) * 100.0;
        let (s, post) = share(json!({"portfolio_id": id, "period": "2018-03"})).await;
        assert_eq!(s, StatusCode::CREATED, "{post}");
        let got = pct(&post["performance"]["return_pct"]);
        assert!((got - expected).abs() <= 0.05 + 1e-9, "{got} vs {expected}");
        assert_eq!(
            post["text"].as_str().unwrap(),
            format!("{got:+.1}% in March 2018 with a {band} risk portfolio")
        );
        assert_eq!(post["author"]["alias"], ann_alias.as_str());
        let mut all = Vec::new();
        keys(&post, &mut all);
        for money in ["value", "amount", "balance", "total", "price", "currency"] {
            assert!(!all.iter().any(|k| k.contains(money)), "{money} in {post}");
        }
        // `cashtags` is the only key that mentions cash.
        assert!(
            all.iter().all(|k| !k.contains("cash") || k == "cashtags"),
            "{post}"
        );

        // On Ann's profile and at the top of the month's board.
        let (_, seen) = get(&t, &bob, &format!("/api/v1/community/members/{ann_alias}")).await;
        let perf = seen["performance"].as_array().expect("shared");
        assert_eq!(perf.len(), 1, "{seen}");
        assert_eq!(
            perf[0]["period"],
            json!({"kind": "month", "year": 2018, "month": 3})
        );
        assert!((pct(&perf[0]["return_pct"]) - got).abs() < 1e-9);
        let (s, board) = get(
            &t,
            &bob,
            "/api/v1/community/leaderboards/performers?period=2018-03",
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{board}");
        let board = board.as_array().unwrap();
        assert_eq!(board.len(), 1);
        assert_eq!(board[0]["rank"], 1);
        assert_eq!(board[0]["member"]["alias"], ann_alias.as_str());

        // The same figure anonymously would point at Ann: refused.
        let (s, b) =
            share(json!({"portfolio_id": id, "period": "2018-03", "anonymous": true})).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{b}");
        assert_eq!(fields(&b), ["anonymous"]);
        // Another year anonymously, without the risk band: posted, kept off
        // the profile and the board.
        let (s, anon) = share(json!({
            "portfolio_id": id, "period": "2017", "anonymous": true, "include_risk": false
        }))
        .await;
        assert_eq!(s, StatusCode::CREATED, "{anon}");
        assert_eq!(anon["author"], json!({"kind": "anonymous"}));
        let text = anon["text"].as_str().unwrap();
        assert!(text.ends_with("% in 2017"), "{text}");
        let (_, seen) = get(&t, &bob, &format!("/api/v1/community/members/{ann_alias}")).await;
        assert_eq!(seen["performance"].as_array().unwrap().len(), 1, "{seen}");
        let (_, board) = get(
            &t,
            &bob,
            "/api/v1/community/leaderboards/performers?period=2017",
        )
        .await;
        assert_eq!(board, json!([]));

        // Bob likes the named share: Ann leads the contributors.
        let like = format!(
            "/api/v1/community/posts/{}/like",
            post["id"].as_str().unwrap()
        );
        let (s, b) = t.json("PUT", &like, Some(&bob.access), Value::Null).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        let (s, top) = get(
            &t,
            &bob,
            "/api/v1/community/leaderboards/contributors?days=7",
        )
        .await;
        assert_eq!(s, StatusCode::OK, "{top}");
        assert_eq!(top[0]["member"]["alias"], ann_alias.as_str(), "{top}");
        assert_eq!(top[0]["likes_received"], 1, "{top}");

        for (path, field) in [
            ("/api/v1/community/leaderboards/performers", "period"),
            (
                "/api/v1/community/leaderboards/performers?period=2018-3",
                "period",
            ),
            (
                "/api/v1/community/leaderboards/performers?period=2018-03&limit=0",
                "limit",
            ),
            ("/api/v1/community/leaderboards/contributors?days=0", "days"),
            (
                "/api/v1/community/leaderboards/contributors?days=400",
                "days",
            ),
            (
                "/api/v1/community/leaderboards/contributors?limit=x",
                "limit",
            ),
        ] {
            let (s, b) = get(&t, &bob, path).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{path}: {b}");
            assert_eq!(fields(&b), [field], "{path}: {b}");
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn bad_input_is_refused_naming_the_field_and_stores_nothing() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let ann_alias = alias(&t, &ann).await;
        let cases = [
            (json!({"text": ""}), "text"),
            (json!({"text": "   "}), "text"),
            (json!({"text": "y".repeat(1001)}), "text"),
            (
                json!({"text": "$AAPL up", "sentiment": "sideways"}),
                "sentiment",
            ),
            (json!({"text": "I put $40,000 into $TSLA"}), "text"),
            (json!({"txt": "typo"}), "txt"),
            (json!({"text": 5}), "text"),
        ];
        for (body, field) in cases {
            let (s, b) = t
                .json(
                    "POST",
                    "/api/v1/community/posts",
                    Some(&ann.access),
                    body.clone(),
                )
                .await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
            assert_eq!(fields(&b), [field], "{body}: {b}");
        }
        for (query, field) in [
            ("cursor=nonsense", "cursor"),
            ("cursor=c1~sym~AAPL~1~0~1.0~t1.0.1", "cursor"),
            ("limit=0", "limit"),
            ("limit=many", "limit"),
        ] {
            let (s, b) = get(&t, &ann, &format!("/api/v1/community/feed?{query}")).await;
            assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{query}: {b}");
            assert_eq!(fields(&b), [field], "{query}: {b}");
        }
        let (s, b) = get(&t, &ann, "/api/v1/community/posts/42").await;
        assert_eq!(
            (s, fields(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["id".to_owned()])
        );
        let (s, b) = get(&t, &ann, "/api/v1/community/symbols/$$$/posts").await;
        assert_eq!(
            (s, fields(&b)),
            (StatusCode::UNPROCESSABLE_ENTITY, vec!["symbol".to_owned()])
        );

        let (_, profile) = get(&t, &ann, &format!("/api/v1/community/members/{ann_alias}")).await;
        assert_eq!(profile["posts"], 0, "nothing stored: {profile}");
        let (_, stream) = get(&t, &ann, "/api/v1/community/symbols/TSLA/posts").await;
        assert!(ids(&stream).is_empty());

        // With the amounts confirmed, the post goes out.
        create(
            &t,
            &ann,
            json!({"text": "I put $40,000 into $TSLA", "confirm_amounts": true}),
        )
        .await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn only_the_author_deletes_a_post() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let post = create(&t, &ann, json!({"text": "Thinking about $JNJ dividends"})).await;
        let path = format!("/api/v1/community/posts/{}", post["id"].as_str().unwrap());
        let (s, _) = t
            .json("DELETE", &path, Some(&bob.access), Value::Null)
            .await;
        assert_eq!(
            s,
            StatusCode::NOT_FOUND,
            "another member's post is not found"
        );
        let (s, b) = get(&t, &bob, &path).await;
        assert_eq!(s, StatusCode::OK, "still there: {b}");
        let (s, _) = t
            .json("DELETE", &path, Some(&ann.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
        let (s, _) = get(&t, &bob, &path).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (s, _) = t
            .json("DELETE", &path, Some(&ann.access), Value::Null)
            .await;
        assert_eq!(s, StatusCode::NOT_FOUND, "deleting twice");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn alias_changes_reach_the_community() {
        let t = app().await;
        let ann = t.user("ann@example.com").await;
        create(&t, &ann, json!({"text": "Hello $SPY"})).await;
        let (s, _) = t
            .json(
                "PATCH",
                "/api/v1/me",
                Some(&ann.access),
                json!({"alias": "ann-invests"}),
            )
            .await;
        assert_eq!(s, StatusCode::OK);
        let (s, b) = get(&t, &ann, "/api/v1/community/members/ann_invests").await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["member"]["alias"], "ann_invests");
        assert_eq!(b["posts"], 1);
    }

    async fn deletion_of_members(t: &TestApp) {
        let ann = t.user("ann@example.com").await;
        let bob = t.user("bob@example.com").await;
        let cat = t.user("cat@example.com").await;
        let (ann_alias, cat_alias) = (alias(t, &ann).await, alias(t, &cat).await);
        let gone = create(t, &ann, json!({"text": "Selling my $MSFT today"})).await;
        let gone_path = format!("/api/v1/community/posts/{}", gone["id"].as_str().unwrap());
        let kept = create(t, &cat, json!({"text": "Holding $GOOG for ten years"})).await;
        let kept_path = format!("/api/v1/community/posts/{}", kept["id"].as_str().unwrap());
        let (s, _) = t
            .json(
                "POST",
                &format!("{gone_path}/comments"),
                Some(&bob.access),
                json!({"text": "Why?"}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
        t.json(
            "PUT",
            &format!("{gone_path}/like"),
            Some(&cat.access),
            Value::Null,
        )
        .await;
        t.json(
            "PUT",
            &format!("/api/v1/community/members/{ann_alias}/follow"),
            Some(&bob.access),
            Value::Null,
        )
        .await;

        // Delete: the post and the member are gone, others' rows stay.
        let ann_id: Uuid = ann.id.parse().unwrap();
        delete_member(&t.state, ann_id, PostsChoice::Delete)
            .await
            .unwrap();
        let (s, _) = get(t, &bob, &gone_path).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, stream) = get(t, &bob, "/api/v1/community/symbols/MSFT/posts").await;
        assert!(ids(&stream).is_empty(), "{stream}");
        let (s, _) = get(t, &bob, &format!("/api/v1/community/members/{ann_alias}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, bob_profile) = get(
            t,
            &bob,
            &format!("/api/v1/community/members/{}", alias(t, &bob).await),
        )
        .await;
        assert_eq!(bob_profile["following"], 0, "{bob_profile}");
        // A second call finds nothing to do.
        delete_member(&t.state, ann_id, PostsChoice::Delete)
            .await
            .unwrap();

        // Anonymize: the post stays, without its author.
        delete_member(&t.state, cat.id.parse().unwrap(), PostsChoice::Anonymize)
            .await
            .unwrap();
        let (s, b) = get(t, &bob, &kept_path).await;
        assert_eq!(s, StatusCode::OK, "{b}");
        assert_eq!(b["author"], json!({"kind": "anonymous"}));
        assert_eq!(b["text"], "Holding $GOOG for ten years");
        let (s, _) = get(t, &bob, &format!("/api/v1/community/members/{cat_alias}")).await;
        assert_eq!(s, StatusCode::NOT_FOUND);
        let (_, stream) = get(t, &bob, "/api/v1/community/symbols/GOOG/posts").await;
        assert_eq!(ids(&stream).len(), 1);

        // The account deletion itself still works afterwards.
        let (s, b) = t
            .json(
                "DELETE",
                "/api/v1/me?posts=anonymize",
                Some(&cat.access),
                Value::Null,
            )
            .await;
        assert!(s.is_success(), "{s} {b}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn delete_member_deletes_or_anonymizes() {
        let t = app().await;
        deletion_of_members(&t).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn delete_member_on_postgres() {
        let Some(db) = TestDatabase::create("community").await else {
            return;
        };
        let store = PostgresStore::connect(&db.url).await.expect("PostgreSQL");
        store.migrate().await.expect("migrate");
        let store: Arc<dyn Store> = Arc::new(store);
        let t = app_with(
            TestOptions {
                store: Some(store),
                ..TestOptions::default()
            }
            .var("DATABASE_URL", &db.url),
        )
        .await;
        deletion_of_members(&t).await;
        drop(t);
        drop(db);
    }
}
