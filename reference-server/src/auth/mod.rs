//! Accounts and sessions: registration with the password policy, login
//! with lockout, refresh-token rotation with reuse detection, logout, and
//! the [`AuthUser`] extractor every protected handler takes.
//!
//! A client authenticates with `Authorization: Bearer <access token>` or
//! with the `auravest_access` cookie; with the cookie, every unsafe method
//! must echo the `auravest_csrf` cookie in the `X-CSRF-Token` header.

use std::collections::{BTreeMap, HashSet};
use std::sync::LazyLock;

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier as _, SaltString};
use axum::extract::rejection::JsonRejection;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, header};
use axum::response::AppendHeaders;
use axum::routing::post;
use axum::{Json, Router};
use rand::{Rng as _, RngCore as _};
use serde::de::DeserializeOwned;
use serde_json::Value;
use subtle::ConstantTimeEq as _;

use crate::crypto::normalise_email;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

mod accounts;
mod extract;
mod handlers;
pub use accounts::*;
pub use extract::*;
pub use handlers::*;
/// The version of the terms a user must accept to register (served by
/// `GET /legal`).
pub const TERMS_VERSION: &str = "2026-11-01";

/// The access-token cookie (HttpOnly, `Path=/`).
pub const ACCESS_COOKIE: &str = "auravest_access";
/// The refresh-token cookie (HttpOnly, `Path=/api/v1/auth`).
pub const REFRESH_COOKIE: &str = "auravest_refresh";
/// The CSRF cookie, readable by scripts, echoed in [`CSRF_HEADER`].
pub const CSRF_COOKIE: &str = "auravest_csrf";
/// The header that must repeat the CSRF cookie on unsafe cookie-authenticated requests.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Fewest characters in a password.
pub const PASSWORD_MIN_CHARS: usize = 12;
/// Most characters in a password.
pub const PASSWORD_MAX_CHARS: usize = 128;
/// Longest email address accepted (RFC 5321 path limit).
pub const EMAIL_MAX_LEN: usize = 254;

/// The message for every failed login, whatever the cause.
const BAD_CREDENTIALS: &str = "the email or password is wrong";

/// The bundled list of common passwords (lowercase), loaded once.
static COMMON_PASSWORDS: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/common-passwords.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// A hash of a password nobody has, verified when the email is unknown so
/// the answer takes as long as for a real account.
static DUMMY_HASH: LazyLock<String> = LazyLock::new(|| {
    let salt = SaltString::encode_b64(&[7u8; 16]).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(b"no account has this password", &salt)
        .expect("argon2 hashes with default parameters")
        .to_string()
});

// --- validation ---------------------------------------------------------

/// Checks the password policy: 12 to 128 characters (counted as
/// characters, not bytes), not in the bundled list of common passwords
/// (compared case-insensitively), and hard to guess by the zxcvbn strength
/// estimator (score 3 of 4 or more: over 10^10 guesses), which also sees
/// through keyboard walks, repeats, sequences, dates, dictionary words with
/// digits or symbols added, and the `user_inputs` (the email, the product's
/// name).
///
/// # Errors
/// Why the password is refused.
pub fn check_password(password: &str, user_inputs: &[&str]) -> Result<(), String> {
    let n = password.chars().count();
    if n < PASSWORD_MIN_CHARS {
        return Err(format!(
            "must be at least {PASSWORD_MIN_CHARS} characters, got {n}"
        ));
    }
    if n > PASSWORD_MAX_CHARS {
        return Err(format!(
            "must be at most {PASSWORD_MAX_CHARS} characters, got {n}"
        ));
    }
    if COMMON_PASSWORDS.contains(password.to_lowercase().as_str()) {
        return Err("is one of the most common passwords; choose another".to_owned());
    }
    let mut inputs: Vec<&str> = vec!["auravest"];
    for input in user_inputs {
        inputs.push(input);
        // The parts of an email are guesses too.
        inputs.extend(
            input
                .split(['@', '.', '_', '-', '+'])
                .filter(|p| p.len() >= 3),
        );
    }
    // The estimator's cost grows fast with length; the first 64 characters
    // decide (a longer password is at least as strong).
    let head: String = password.chars().take(64).collect();
    let estimate = zxcvbn::zxcvbn(&head, &inputs);
    if estimate.score() < zxcvbn::Score::Three {
        let mut reason = "is too easy to guess".to_owned();
        if let Some(feedback) = estimate.feedback() {
            if let Some(warning) = feedback.warning() {
                reason.push_str(&format!(" ({})", warning.to_string().trim_end_matches('.')));
            }
            if let Some(tip) = feedback.suggestions().first() {
                reason.push_str(&format!(
                    "; {}",
                    tip.to_string().to_lowercase().trim_end_matches('.')
                ));
            }
        }
        reason.push_str("; a few unrelated words work well");
        return Err(reason);
    }
    Ok(())
}

/// Checks the shape of an email address and returns it normalised
/// (trimmed, lowercased).
///
/// # Errors
/// Why the address is refused.
pub fn check_email(email: &str) -> Result<String, String> {
    let email = normalise_email(email);
    if email.is_empty() {
        return Err("is required".to_owned());
    }
    if email.len() > EMAIL_MAX_LEN {
        return Err(format!("must be at most {EMAIL_MAX_LEN} bytes"));
    }
    let shape = "must look like name@example.org";
    let Some((local, domain)) = email.split_once('@') else {
        return Err(shape.to_owned());
    };
    let bad_char = |c: char| c.is_whitespace() || c.is_control() || "@<>()[]\\,;:\"".contains(c);
    if local.is_empty()
        || local.len() > 64
        || local.chars().any(bad_char)
        || domain.chars().any(bad_char)
        || !domain.contains('.')
        || domain.split('.').any(str::is_empty)
    {
        return Err(shape.to_owned());
    }
    Ok(email)
}

/// Turns a JSON body into `T`, naming the offending field on failure.
///
/// Request types give every field as an `Option` and deny unknown fields,
/// so that a field that fails on its own can be found and named.
pub(crate) fn parse_json<T: DeserializeOwned>(body: &Value) -> AppResult<T> {
    let Value::Object(map) = body else {
        return Err(AppError::field("body", "must be a JSON object"));
    };
    match T::deserialize(body) {
        Ok(t) => Ok(t),
        Err(e) => {
            for (k, v) in map {
                let one = Value::Object([(k.clone(), v.clone())].into_iter().collect());
                if let Err(e) = T::deserialize(&one) {
                    let reason = if e.to_string().starts_with("unknown field") {
                        "is not a known field".to_owned()
                    } else {
                        e.to_string()
                    };
                    return Err(AppError::field(k.clone(), reason));
                }
            }
            Err(AppError::field("body", e.to_string()))
        }
    }
}

/// [`parse_json`] over axum's JSON extractor result.
pub(crate) fn json_body<T: DeserializeOwned>(
    body: Result<Json<Value>, JsonRejection>,
) -> AppResult<T> {
    let Json(v) = body.map_err(|e| AppError::field("body", e.body_text()))?;
    parse_json(&v)
}

/// [`parse_json`] over raw bytes; an empty body is `T::default()`.
fn bytes_body<T: DeserializeOwned + Default>(bytes: &[u8]) -> AppResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    let v: Value = serde_json::from_slice(bytes)
        .map_err(|e| AppError::field("body", format!("not valid JSON: {e}")))?;
    parse_json(&v)
}

fn required(fields: &mut BTreeMap<String, String>, name: &str, v: Option<String>) -> String {
    match v {
        Some(v) if !v.is_empty() => v,
        _ => {
            fields.insert(name.to_owned(), "is required".to_owned());
            String::new()
        }
    }
}

// --- passwords ----------------------------------------------------------

/// Password hashes computed at once: argon2id takes 19 MiB and tens of
/// milliseconds of a core per hash, so a burst of logins or registrations
/// queues here instead of taking every core and a burst of memory.
static HASHING: LazyLock<tokio::sync::Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
    tokio::sync::Semaphore::new(cores.max(1))
});

/// Runs argon2 work on a blocking thread, a bounded number at a time.
async fn hashing<T: Send + 'static>(
    work: impl FnOnce() -> AppResult<T> + Send + 'static,
) -> AppResult<T> {
    let _turn = HASHING.acquire().await.map_err(AppError::internal)?;
    tokio::task::spawn_blocking(work)
        .await
        .map_err(AppError::internal)?
}

/// Hashes a password with argon2id (default parameters) on a blocking thread.
///
/// # Errors
/// [`AppError::Internal`] when hashing fails.
pub async fn hash_password(password: String) -> AppResult<String> {
    hashing(move || {
        let mut salt = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut salt);
        let salt = SaltString::encode_b64(&salt).map_err(AppError::internal)?;
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(AppError::internal)
    })
    .await
}

/// Checks a password against a PHC hash on a blocking thread; with no hash
/// (unknown account) it checks against a dummy hash and answers false, so
/// both cases cost the same.
///
/// # Errors
/// [`AppError::Internal`] when the stored hash cannot be read.
pub async fn verify_password(password: String, phc: Option<String>) -> AppResult<bool> {
    hashing(move || {
        let known = phc.is_some();
        let phc = phc.unwrap_or_else(|| DUMMY_HASH.clone());
        let parsed = PasswordHash::new(&phc).map_err(AppError::internal)?;
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok();
        Ok(ok && known)
    })
    .await
}

// --- cookies and headers ------------------------------------------------

/// The value of a cookie in the request, if sent.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// The token of an `Authorization: Bearer` header; `Err` when the header
/// is present but is not a bearer token.
fn bearer(headers: &HeaderMap) -> AppResult<Option<String>> {
    let Some(v) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v.to_str().unwrap_or_default();
    match v.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(Some(token.trim().to_owned()))
        }
        _ => Err(AppError::Unauthenticated(
            "the Authorization header must be `Bearer <access token>`".to_owned(),
        )),
    }
}

/// The double-submit check: the `X-CSRF-Token` header must equal the CSRF cookie.
fn check_csrf(headers: &HeaderMap) -> AppResult<()> {
    let forbidden = || {
        AppError::Forbidden(format!(
            "cookie-authenticated requests must repeat the {CSRF_COOKIE} cookie in the X-CSRF-Token header"
        ))
    };
    let expected = cookie(headers, CSRF_COOKIE).ok_or_else(forbidden)?;
    let given = headers
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(forbidden)?;
    if bool::from(expected.as_bytes().ct_eq(given.as_bytes())) {
        Ok(())
    } else {
        Err(forbidden())
    }
}

fn is_unsafe(method: &Method) -> bool {
    matches!(
        *method,
        Method::POST | Method::PUT | Method::PATCH | Method::DELETE
    )
}

fn set_cookie(
    name: &str,
    value: &str,
    path: &str,
    max_age: u64,
    http_only: bool,
    secure: bool,
) -> HeaderValue {
    let mut c = format!("{name}={value}; Path={path}; Max-Age={max_age}; SameSite=Strict");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::try_from(c).expect("cookie values are base64url")
}

/// `Set-Cookie` headers for a new session.
fn session_cookies(state: &AppState, s: &Session) -> Vec<(HeaderName, HeaderValue)> {
    let secure = state.config.secure_cookies;
    let refresh_age = state.config.refresh_ttl.as_secs();
    vec![
        (
            header::SET_COOKIE,
            set_cookie(
                ACCESS_COOKIE,
                &s.access,
                "/",
                state.config.access_ttl.as_secs(),
                true,
                secure,
            ),
        ),
        (
            header::SET_COOKIE,
            set_cookie(
                REFRESH_COOKIE,
                &s.refresh,
                "/api/v1/auth",
                refresh_age,
                true,
                secure,
            ),
        ),
        (
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, &s.csrf, "/", refresh_age, false, secure),
        ),
    ]
}

/// `Set-Cookie` headers that remove the session cookies.
pub fn clear_cookies(secure: bool) -> AppendHeaders<[(HeaderName, HeaderValue); 3]> {
    AppendHeaders([
        (
            header::SET_COOKIE,
            set_cookie(ACCESS_COOKIE, "", "/", 0, true, secure),
        ),
        (
            header::SET_COOKIE,
            set_cookie(REFRESH_COOKIE, "", "/api/v1/auth", 0, true, secure),
        ),
        (
            header::SET_COOKIE,
            set_cookie(CSRF_COOKIE, "", "/", 0, false, secure),
        ),
    ])
}

/// `/auth/...`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/auth/register", post(register))
        .route("/auth/login", post(login))
        .route("/auth/refresh", post(refresh))
        .route("/auth/logout", post(logout))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_password_policy_counts_characters_and_refuses_common_ones() {
        let check = |p: &str| check_password(p, &["someone@example.com"]);
        assert!(check("plum-kettle-harbour-47").is_ok());
        assert!(check("short-pw").unwrap_err().contains("at least 12"));
        // Twelve characters but more than twelve bytes.
        assert!(check("é-kettle-rôt").is_ok());
        assert!(check("é-kettle-rô").unwrap_err().contains("at least 12"));
        assert!(check(&"x".repeat(129)).unwrap_err().contains("at most 128"));
        assert!(check("1qaz2wsx3edc").unwrap_err().contains("common"));
        assert!(check("QWERTY123456").unwrap_err().contains("common"));
        // Guessable though not on the list: the strength estimator.
        for weak in [
            "password1234",
            "Password123!",
            "qwertyuiopas",
            "aaaaaaaaaaaa",
            "xyxyxyxyxyxyxyxyxy",
            "abcdefghijklmnop",
            "auravest2026!",
            "december-2025",
        ] {
            let refused = check(weak).expect_err(weak);
            assert!(
                refused.contains("too easy to guess") || refused.contains("common"),
                "{weak}: {refused}"
            );
        }
        assert!(
            check("demo-garden-lantern-2026").is_ok(),
            "the demo password"
        );
        assert!(COMMON_PASSWORDS.len() >= 9_000);
        assert!(COMMON_PASSWORDS.contains("password"));
    }

    #[test]
    fn emails_are_normalised_and_checked_for_shape() {
        assert_eq!(
            check_email("  Ana@Example.ORG ").unwrap(),
            "ana@example.org"
        );
        for bad in [
            "",
            "ana",
            "ana@",
            "@example.org",
            "ana@example",
            "ana@@example.org",
            "a na@x.org",
            "ana@x..org",
        ] {
            assert!(check_email(bad).is_err(), "{bad}");
        }
        assert!(check_email(&format!("{}@example.org", "a".repeat(250))).is_err());
    }

    #[test]
    fn cookies_are_found_by_name() {
        let mut h = HeaderMap::new();
        h.append(
            header::COOKIE,
            HeaderValue::from_static("a=1; auravest_csrf=xyz"),
        );
        h.append(
            header::COOKIE,
            HeaderValue::from_static("auravest_access=tok"),
        );
        assert_eq!(cookie(&h, CSRF_COOKIE).as_deref(), Some("xyz"));
        assert_eq!(cookie(&h, ACCESS_COOKIE).as_deref(), Some("tok"));
        assert_eq!(cookie(&h, REFRESH_COOKIE), None);
        assert!(check_csrf(&h).is_err());
        h.insert(CSRF_HEADER, HeaderValue::from_static("xyz"));
        assert!(check_csrf(&h).is_ok());
        h.insert(CSRF_HEADER, HeaderValue::from_static("xyy"));
        assert!(check_csrf(&h).is_err());
    }

    #[test]
    fn bodies_name_the_bad_field() {
        let e = parse_json::<RegisterRequest>(&serde_json::json!({"email": 5, "password": "x"}))
            .unwrap_err();
        assert!(
            matches!(e, AppError::Validation { ref fields, .. } if fields.contains_key("email")),
            "{e}"
        );
        let e = parse_json::<RegisterRequest>(&serde_json::json!({"nickname": "x"})).unwrap_err();
        assert!(
            matches!(e, AppError::Validation { ref fields, .. } if fields.contains_key("nickname")),
            "{e}"
        );
        let e = parse_json::<RegisterRequest>(&serde_json::json!([1])).unwrap_err();
        assert!(
            matches!(e, AppError::Validation { ref fields, .. } if fields.contains_key("body")),
            "{e}"
        );
        assert!(
            bytes_body::<RefreshRequest>(b"")
                .unwrap()
                .refresh_token
                .is_none()
        );
    }

    #[test]
    fn request_schemas_mark_the_required_fields() {
        let schema =
            serde_json::to_value(<RegisterRequest as utoipa::PartialSchema>::schema()).unwrap();
        assert_eq!(
            schema["required"],
            serde_json::json!(["email", "password", "accepted_terms_version"])
        );
        assert_eq!(schema["properties"]["email"]["type"], "string");
    }

    #[tokio::test]
    async fn passwords_hash_and_verify_and_unknown_accounts_never_match() {
        let h = hash_password("plum-kettle-harbour-47".to_owned())
            .await
            .unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(
            verify_password("plum-kettle-harbour-47".to_owned(), Some(h.clone()))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("plum-kettle-harbour-48".to_owned(), Some(h))
                .await
                .unwrap()
        );
        assert!(
            !verify_password("no account has this password".to_owned(), None)
                .await
                .unwrap()
        );
    }
}
