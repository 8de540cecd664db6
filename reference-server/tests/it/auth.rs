//! Tests: auth.

use std::time::Duration;

use auravest_reference_server::config::Secrets;
use auravest_reference_server::crypto::Keys;
use auravest_reference_server::routes::legal::TERMS_VERSION;
use auravest_reference_server::store::{AuditAction, Role};
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::Utc;
use serde_json::{Value, json};

use crate::support::{PASSWORD, TestOptions, app, app_with};

const REGISTER: &str = "/api/v1/auth/register";
const LOGIN: &str = "/api/v1/auth/login";
const REFRESH: &str = "/api/v1/auth/refresh";
const LOGOUT: &str = "/api/v1/auth/logout";

fn register_body(email: &str, password: &str) -> Value {
    json!({"email": email, "password": password, "accepted_terms_version": TERMS_VERSION})
}

/// The `name=value` pairs of the response's `Set-Cookie` headers, with their attributes.
fn set_cookies(headers: &HeaderMap) -> Vec<String> {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect()
}

fn cookie_value(cookies: &[String], name: &str) -> String {
    let c = cookies
        .iter()
        .find(|c| c.starts_with(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} cookie in {cookies:?}"));
    c.split(';').next().unwrap()[name.len() + 1..].to_owned()
}

fn field_names(body: &Value) -> Vec<String> {
    body["error"]["fields"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn register_creates_an_account_and_audits_it_without_the_email() {
    let t = app().await;
    let (s, b) = t
        .json(
            "POST",
            REGISTER,
            None,
            register_body("Ana@Example.org", PASSWORD),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{b}");
    let id = b["id"].as_str().unwrap().parse().unwrap();
    let user = t.state.store.user(id).await.unwrap().expect("stored");
    assert_eq!(user.email_hash, t.state.keys.email_hash("ana@example.org"));
    assert_eq!(
        t.state.keys.decrypt_email(&user.email_enc).unwrap(),
        "ana@example.org"
    );
    assert!(user.password_hash.starts_with("$argon2id$"));
    assert_eq!(user.terms_version, TERMS_VERSION);
    assert_eq!(user.role, Role::User);
    assert!(user.alias.starts_with("investor-"), "{}", user.alias);
    let rows = format!("{:?}", t.state.store.audit_rows(100).await.unwrap());
    assert!(
        rows.contains("Register") && rows.contains("Consent"),
        "{rows}"
    );
    assert!(rows.contains(&user.audit_subject.to_string()));
    assert!(!rows.to_lowercase().contains("ana@example.org"));
    assert!(!rows.contains(&id.to_string()));
}

#[tokio::test]
async fn each_bad_register_field_is_named_and_nothing_is_stored() {
    let t = app().await;
    let long = "x".repeat(129);
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"password": PASSWORD, "accepted_terms_version": TERMS_VERSION}),
            "email",
        ),
        (register_body("not-an-email", PASSWORD), "email"),
        (register_body("ana@example.org", "short-pass1"), "password"),
        (register_body("ana@example.org", &long), "password"),
        (register_body("ana@example.org", "1qaz2wsx3edc"), "password"),
        (register_body("ana@example.org", "QWERTY123456"), "password"),
        (
            json!({"email": "ana@example.org", "password": PASSWORD, "accepted_terms_version": "1999-01-01"}),
            "accepted_terms_version",
        ),
        (
            json!({"email": "ana@example.org", "password": PASSWORD}),
            "accepted_terms_version",
        ),
        (
            json!({"email": "ana@example.org", "password": 12, "accepted_terms_version": TERMS_VERSION}),
            "password",
        ),
        (
            json!({"email": "ana@example.org", "password": PASSWORD, "accepted_terms_version": TERMS_VERSION, "admin": true}),
            "admin",
        ),
    ];
    for (body, field) in cases {
        let (s, b) = t.json("POST", REGISTER, None, body.clone()).await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {b}");
        assert_eq!(b["error"]["code"], "validation_failed");
        assert_eq!(field_names(&b), [field], "{body}: {b}");
    }
    let hash = t.state.keys.email_hash("ana@example.org");
    assert!(
        t.state
            .store
            .user_by_email_hash(&hash)
            .await
            .unwrap()
            .is_none()
    );
    assert!(t.state.store.audit_rows(100).await.unwrap().is_empty());
}

#[tokio::test]
async fn several_bad_fields_are_all_named() {
    let t = app().await;
    let (s, b) = t
        .json(
            "POST",
            REGISTER,
            None,
            json!({"email": "x", "password": "short", "accepted_terms_version": "0"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        field_names(&b),
        ["accepted_terms_version", "email", "password"]
    );
}

#[tokio::test]
async fn a_second_account_with_the_same_email_is_a_conflict() {
    let t = app().await;
    let (s, _) = t
        .json(
            "POST",
            REGISTER,
            None,
            register_body("ana@example.org", PASSWORD),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, b) = t
        .json(
            "POST",
            REGISTER,
            None,
            register_body(" ANA@example.org", "another-long-passphrase"),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "{b}");
    assert_eq!(b["error"]["code"], "conflict");
}

#[tokio::test]
async fn login_answers_tokens_and_sets_strict_cookies() {
    let t = app().await;
    t.json(
        "POST",
        REGISTER,
        None,
        register_body("ana@example.org", PASSWORD),
    )
    .await;
    let req = crate::support::request(
        "POST",
        LOGIN,
        None,
        json!({"email": "Ana@Example.org ", "password": PASSWORD}),
    );
    let (s, h, b) = t.call(req).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["token_type"], "Bearer");
    assert_eq!(b["expires_in"], 900);
    let access = b["access_token"].as_str().unwrap();
    let refresh = b["refresh_token"].as_str().unwrap();
    let cookies = set_cookies(&h);
    assert_eq!(cookie_value(&cookies, "auravest_access"), access);
    assert_eq!(cookie_value(&cookies, "auravest_refresh"), refresh);
    assert!(!cookie_value(&cookies, "auravest_csrf").is_empty());
    for c in &cookies {
        assert!(c.contains("SameSite=Strict"), "{c}");
        assert!(!c.contains("Secure"), "{c}");
        assert_eq!(
            c.contains("HttpOnly"),
            !c.starts_with("auravest_csrf="),
            "{c}"
        );
    }
    assert!(
        cookies
            .iter()
            .any(|c| c.starts_with("auravest_refresh=") && c.contains("Path=/api/v1/auth"))
    );
    assert!(cookies.iter().any(|c| c.starts_with("auravest_access=")
        && c.contains("Path=/;")
        && c.contains("Max-Age=900")));
    let (s, me) = t.json("GET", "/api/v1/me", Some(access), Value::Null).await;
    assert_eq!(s, StatusCode::OK, "{me}");
    assert_eq!(me["email"], "ana@example.org");
    let rows = format!("{:?}", t.state.store.audit_rows(100).await.unwrap());
    assert!(rows.contains("Login"), "{rows}");
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let t = app_with(TestOptions::default().var("AURAVEST_SECURE_COOKIES", "true")).await;
    t.json(
        "POST",
        REGISTER,
        None,
        register_body("ana@example.org", PASSWORD),
    )
    .await;
    let req = crate::support::request(
        "POST",
        LOGIN,
        None,
        json!({"email": "ana@example.org", "password": PASSWORD}),
    );
    let (s, h, _) = t.call(req).await;
    assert_eq!(s, StatusCode::OK);
    let cookies = set_cookies(&h);
    assert_eq!(cookies.len(), 3);
    assert!(
        cookies.iter().all(|c| c.contains("; Secure")),
        "{cookies:?}"
    );
}

#[tokio::test]
async fn unknown_email_and_wrong_password_get_the_same_answer() {
    let t = app().await;
    t.json(
        "POST",
        REGISTER,
        None,
        register_body("ana@example.org", PASSWORD),
    )
    .await;
    let (s1, b1) = t
        .json(
            "POST",
            LOGIN,
            None,
            json!({"email": "nobody@example.org", "password": PASSWORD}),
        )
        .await;
    let (s2, b2) = t
        .json(
            "POST",
            LOGIN,
            None,
            json!({"email": "ana@example.org", "password": "wrong-password-123"}),
        )
        .await;
    assert_eq!(s1, StatusCode::UNAUTHORIZED);
    assert_eq!(s2, StatusCode::UNAUTHORIZED);
    assert_eq!(b1, b2);
    let (s, b) = t
        .json("POST", LOGIN, None, json!({"email": "ana@example.org"}))
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(field_names(&b), ["password"]);
    // Only the existing account's failure is audited.
    let rows = t.state.store.audit_rows(100).await.unwrap();
    let failed = rows
        .iter()
        .filter(|r| r.entry.action == AuditAction::LoginFailed)
        .count();
    assert_eq!(failed, 1);
}

#[tokio::test]
async fn the_account_locks_after_too_many_failures() {
    let t = app_with(
        TestOptions::default()
            .var("AURAVEST_LOGIN_MAX_FAILURES", "3")
            .var("AURAVEST_LOGIN_LOCK_SECS", "600"),
    )
    .await;
    t.json(
        "POST",
        REGISTER,
        None,
        register_body("ana@example.org", PASSWORD),
    )
    .await;
    let wrong = json!({"email": "ana@example.org", "password": "wrong-password-123"});
    for _ in 0..3 {
        let (s, _) = t.json("POST", LOGIN, None, wrong.clone()).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let req = crate::support::request(
        "POST",
        LOGIN,
        None,
        json!({"email": "ana@example.org", "password": PASSWORD}),
    );
    let (s, h, b) = t.call(req).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{b}");
    assert_eq!(b["error"]["code"], "rate_limited");
    let retry: u64 = h[header::RETRY_AFTER].to_str().unwrap().parse().unwrap();
    assert!((590..=600).contains(&retry), "{retry}");
}

#[tokio::test]
async fn a_success_resets_the_failure_count() {
    let t = app_with(TestOptions::default().var("AURAVEST_LOGIN_MAX_FAILURES", "2")).await;
    t.json(
        "POST",
        REGISTER,
        None,
        register_body("ana@example.org", PASSWORD),
    )
    .await;
    let wrong = json!({"email": "ana@example.org", "password": "wrong-password-123"});
    let right = json!({"email": "ana@example.org", "password": PASSWORD});
    assert_eq!(
        t.json("POST", LOGIN, None, wrong.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.json("POST", LOGIN, None, right.clone()).await.0,
        StatusCode::OK
    );
    assert_eq!(
        t.json("POST", LOGIN, None, wrong).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(t.json("POST", LOGIN, None, right).await.0, StatusCode::OK);
}

#[tokio::test]
async fn the_auth_routes_are_rate_limited_per_ip() {
    let t = app_with(TestOptions::default().var("AURAVEST_RATE_LIMIT_AUTH_PER_MINUTE", "2")).await;
    let body = json!({"email": "nobody@example.org", "password": PASSWORD});
    assert_eq!(
        t.json("POST", LOGIN, None, body.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.json("POST", LOGIN, None, body.clone()).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (s, h, _) = t
        .call(crate::support::request("POST", LOGIN, None, body))
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    assert!(h.contains_key(header::RETRY_AFTER));
}

#[tokio::test]
async fn refresh_rotates_and_a_reused_token_revokes_the_family() {
    let t = app().await;
    let u = t.user("ana@example.org").await;
    let (s, b1) = t
        .json("POST", REFRESH, None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b1}");
    let r1 = b1["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(r1, u.refresh);
    let (s, me) = t
        .json(
            "GET",
            "/api/v1/me",
            b1["access_token"].as_str(),
            Value::Null,
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{me}");
    // A rotated token rotates again.
    let (s, b2) = t
        .json("POST", REFRESH, None, json!({"refresh_token": r1}))
        .await;
    assert_eq!(s, StatusCode::OK, "{b2}");
    let r2 = b2["refresh_token"].as_str().unwrap().to_owned();
    // Presenting the first token again revokes the whole family...
    let (s, b) = t
        .json("POST", REFRESH, None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{b}");
    // ...so the latest one is dead too.
    let (s, _) = t
        .json("POST", REFRESH, None, json!({"refresh_token": r2}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Another login is a new family and works.
    let (s, b) = t
        .json(
            "POST",
            LOGIN,
            None,
            json!({"email": "ana@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = t
        .json(
            "POST",
            REFRESH,
            None,
            json!({"refresh_token": b["refresh_token"]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
}

#[tokio::test]
async fn unknown_or_missing_refresh_tokens_are_refused() {
    let t = app().await;
    let (s, _) = t
        .json("POST", REFRESH, None, json!({"refresh_token": "nope"}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = t.json("POST", REFRESH, None, Value::Null).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn refresh_by_cookie_needs_the_csrf_header() {
    let t = app().await;
    t.json(
        "POST",
        REGISTER,
        None,
        register_body("ana@example.org", PASSWORD),
    )
    .await;
    let req = crate::support::request(
        "POST",
        LOGIN,
        None,
        json!({"email": "ana@example.org", "password": PASSWORD}),
    );
    let (_, h, _) = t.call(req).await;
    let cookies = set_cookies(&h);
    let refresh = cookie_value(&cookies, "auravest_refresh");
    let csrf = cookie_value(&cookies, "auravest_csrf");
    let jar = format!("auravest_refresh={refresh}; auravest_csrf={csrf}");
    let req = Request::post(REFRESH)
        .header(header::COOKIE, &jar)
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.call(req).await.0, StatusCode::FORBIDDEN);
    let req = Request::post(REFRESH)
        .header(header::COOKIE, &jar)
        .header("x-csrf-token", &csrf)
        .body(Body::empty())
        .unwrap();
    let (s, h, b) = t.call(req).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(
        cookie_value(&set_cookies(&h), "auravest_refresh"),
        b["refresh_token"].as_str().unwrap()
    );
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_clears_the_cookies() {
    let t = app().await;
    let u = t.user("ana@example.org").await;
    let req = crate::support::request(
        "POST",
        LOGOUT,
        Some(&u.access),
        json!({"refresh_token": u.refresh}),
    );
    let (s, h, _) = t.call(req).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let cookies = set_cookies(&h);
    assert_eq!(cookies.len(), 3);
    assert!(
        cookies.iter().all(|c| c.contains("Max-Age=0")),
        "{cookies:?}"
    );
    let (s, _) = t
        .json("POST", REFRESH, None, json!({"refresh_token": u.refresh}))
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    let (s, _) = t.json("POST", LOGOUT, None, Value::Null).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn cookie_authentication_needs_the_csrf_header_on_unsafe_methods() {
    let t = app().await;
    t.json(
        "POST",
        REGISTER,
        None,
        register_body("ana@example.org", PASSWORD),
    )
    .await;
    let req = crate::support::request(
        "POST",
        LOGIN,
        None,
        json!({"email": "ana@example.org", "password": PASSWORD}),
    );
    let (_, h, _) = t.call(req).await;
    let cookies = set_cookies(&h);
    let access = cookie_value(&cookies, "auravest_access");
    let csrf = cookie_value(&cookies, "auravest_csrf");
    let jar = format!("auravest_access={access}; auravest_csrf={csrf}");
    let get = Request::get("/api/v1/me")
        .header(header::COOKIE, &jar)
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.call(get).await.0, StatusCode::OK);
    let patch = |csrf_header: Option<&str>| {
        let mut b = Request::patch("/api/v1/me")
            .header(header::COOKIE, &jar)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(v) = csrf_header {
            b = b.header("x-csrf-token", v);
        }
        b.body(Body::from(json!({"share_performance": true}).to_string()))
            .unwrap()
    };
    let (s, _, b) = t.call(patch(None)).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{b}");
    assert_eq!(b["error"]["code"], "forbidden");
    assert_eq!(t.call(patch(Some("wrong"))).await.0, StatusCode::FORBIDDEN);
    let (s, _, b) = t.call(patch(Some(&csrf))).await;
    assert_eq!(s, StatusCode::OK, "{b}");
    assert_eq!(b["share_performance"], true);
    let logout = Request::post(LOGOUT)
        .header(header::COOKIE, format!("{jar}; auravest_refresh=x"))
        .header("x-csrf-token", &csrf)
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.call(logout).await.0, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn expired_forged_and_missing_tokens_are_refused() {
    let t = app().await;
    let u = t.user("ana@example.org").await;
    let id = u.id.parse().unwrap();
    let expired = t.state.keys.issue_access(
        id,
        Role::User,
        Duration::from_secs(60),
        Utc::now() - chrono::Duration::hours(1),
    );
    let forged = Keys::new(&Secrets {
        jwt: [1; 32],
        encryption: [2; 32],
        hash: [3; 32],
    })
    .issue_access(id, Role::Admin, Duration::from_secs(60), Utc::now());
    for token in [
        Some(expired.as_str()),
        Some(forged.as_str()),
        Some("garbage"),
        None,
    ] {
        let (s, b) = t.json("GET", "/api/v1/me", token, Value::Null).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED, "{token:?}");
        assert_eq!(b["error"]["code"], "unauthenticated");
    }
    let req = Request::get("/api/v1/me")
        .header(header::AUTHORIZATION, format!("Basic {}", u.access))
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.call(req).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn roles_are_granted_by_email_and_audited() {
    let t = app().await;
    let u = t.user("ana@example.org").await;
    let id = auravest_reference_server::auth::grant_role(
        t.state.store.as_ref(),
        &t.state.keys,
        " Ana@example.org",
        Role::Moderator,
    )
    .await
    .unwrap();
    assert_eq!(id.to_string(), u.id);
    let (_, me) = t
        .json("GET", "/api/v1/me", Some(&u.access), Value::Null)
        .await;
    assert_eq!(me["role"], "moderator");
    let err = auravest_reference_server::auth::grant_role(
        t.state.store.as_ref(),
        &t.state.keys,
        "nobody@example.org",
        Role::Admin,
    )
    .await
    .unwrap_err();
    assert_eq!(err.status_code(), StatusCode::NOT_FOUND);
    let rows = format!("{:?}", t.state.store.audit_rows(100).await.unwrap());
    assert!(rows.contains("Admin") && !rows.contains("ana@example.org"));
}
