//! The server's keys and what they do: email encryption (AES-256-GCM),
//! keyed hashes for lookups and audit rows (HMAC-SHA-256), HS256 access
//! tokens, and the random tokens of refresh and CSRF cookies.

use std::time::Duration;

use aes_gcm::aead::{Aead as _, AeadCore as _, KeyInit as _, OsRng};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::RngCore as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use uuid::Uuid;

use crate::config::Secrets;
use crate::error::AppError;
use crate::store::Role;

type HmacSha256 = Hmac<Sha256>;

/// Length of the AES-GCM nonce that prefixes every ciphertext.
const NONCE_LEN: usize = 12;

/// The `typ` claim of an access token.
pub const ACCESS_TYPE: &str = "access";

/// The JOSE header every access token carries.
const JWT_HEADER: &str = r#"{"alg":"HS256","typ":"JWT"}"#;

/// The claims of an access token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user id.
    pub sub: Uuid,
    /// The role when the token was issued (the store's role is authoritative).
    pub role: Role,
    /// Issued at (seconds since the epoch).
    pub iat: i64,
    /// Expires at (seconds since the epoch).
    pub exp: i64,
    /// Always [`ACCESS_TYPE`].
    pub typ: String,
    /// A random token id.
    pub jti: Uuid,
}

#[derive(Deserialize)]
struct JoseHeader {
    alg: String,
}

/// The keys, ready to use. Cheap to clone; `Debug` shows no key material.
#[derive(Clone)]
pub struct Keys {
    cipher: Aes256Gcm,
    jwt: [u8; 32],
    hash: [u8; 32],
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Keys { .. }")
    }
}

/// Lowercase hex of some bytes.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// SHA-256 (hex) of a bearer secret such as a refresh token: what the
/// store keeps instead of the token.
pub fn token_hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// 32 random bytes, base64url without padding: a refresh or CSRF token.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    B64URL.encode(bytes)
}

/// Trims and lowercases an email address.
pub fn normalise_email(email: &str) -> String {
    email.trim().to_lowercase()
}

fn unauthenticated() -> AppError {
    AppError::Unauthenticated("the access token is invalid or has expired".to_owned())
}

impl Keys {
    /// Builds the keys from the configured secrets.
    pub fn new(secrets: &Secrets) -> Self {
        Self {
            cipher: Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(&secrets.encryption)),
            jwt: secrets.jwt,
            hash: secrets.hash,
        }
    }

    /// Encrypts an email: a random 96-bit nonce followed by the ciphertext
    /// and tag.
    pub fn encrypt_email(&self, email: &str) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .cipher
            .encrypt(&nonce, email.as_bytes())
            .expect("AES-GCM encryption of a short message cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts what [`Keys::encrypt_email`] produced.
    ///
    /// # Errors
    /// [`AppError::Internal`] when the blob was altered, is truncated or was
    /// sealed with another key.
    pub fn decrypt_email(&self, blob: &[u8]) -> Result<String, AppError> {
        if blob.len() < NONCE_LEN {
            return Err(AppError::internal("stored email ciphertext is truncated"));
        }
        let (nonce, sealed) = blob.split_at(NONCE_LEN);
        let plain = self
            .cipher
            .decrypt(Nonce::from_slice(nonce), sealed)
            .map_err(|_| AppError::internal("stored email failed authentication"))?;
        String::from_utf8(plain).map_err(|_| AppError::internal("stored email is not UTF-8"))
    }

    /// HMAC-SHA-256 (hex) of `data` under the hash key, separated by
    /// `domain` so hashes made for one purpose never match another's.
    pub fn keyed_hash(&self, domain: &str, data: &[u8]) -> String {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.hash).expect("HMAC takes any key length");
        mac.update(&(domain.len() as u64).to_be_bytes());
        mac.update(domain.as_bytes());
        mac.update(data);
        hex(&mac.finalize().into_bytes())
    }

    /// The lookup hash of an email (trimmed and lowercased first).
    pub fn email_hash(&self, email: &str) -> String {
        self.keyed_hash("email", normalise_email(email).as_bytes())
    }

    /// The opaque reference to an object in an audit row.
    pub fn object_hash(&self, id: Uuid) -> String {
        self.keyed_hash("audit-object", id.as_bytes())
    }

    fn sign(&self, signing_input: &str) -> Vec<u8> {
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.jwt).expect("HMAC takes any key length");
        mac.update(signing_input.as_bytes());
        mac.finalize().into_bytes().to_vec()
    }

    /// Issues an HS256 access token for `user`, valid for `ttl` from `now`.
    pub fn issue_access(
        &self,
        user: Uuid,
        role: Role,
        ttl: Duration,
        now: DateTime<Utc>,
    ) -> String {
        let iat = now.timestamp();
        let claims = Claims {
            sub: user,
            role,
            iat,
            exp: iat.saturating_add(i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX)),
            typ: ACCESS_TYPE.to_owned(),
            jti: Uuid::new_v4(),
        };
        let payload = serde_json::to_vec(&claims).expect("claims serialise");
        let signing_input = format!("{}.{}", B64URL.encode(JWT_HEADER), B64URL.encode(payload));
        let signature = B64URL.encode(self.sign(&signing_input));
        format!("{signing_input}.{signature}")
    }

    /// Checks an access token: the header must say HS256, the signature
    /// must match (compared in constant time), the type must be an access
    /// token and it must not have expired at `now`.
    ///
    /// # Errors
    /// [`AppError::Unauthenticated`], with one message for every cause.
    pub fn verify_access(&self, token: &str, now: DateTime<Utc>) -> Result<Claims, AppError> {
        let mut parts = token.split('.');
        let (Some(header), Some(payload), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(unauthenticated());
        };
        let header: JoseHeader = B64URL
            .decode(header)
            .ok()
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or_else(unauthenticated)?;
        if header.alg != "HS256" {
            return Err(unauthenticated());
        }
        let given = B64URL.decode(signature).map_err(|_| unauthenticated())?;
        let expected = self.sign(&token[..token.len() - signature.len() - 1]);
        if !bool::from(expected.ct_eq(&given)) {
            return Err(unauthenticated());
        }
        let claims: Claims = B64URL
            .decode(payload)
            .ok()
            .and_then(|p| serde_json::from_slice(&p).ok())
            .ok_or_else(unauthenticated)?;
        if claims.typ != ACCESS_TYPE || claims.exp <= now.timestamp() {
            return Err(unauthenticated());
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(seed: u8) -> Keys {
        Keys::new(&Secrets {
            jwt: [seed; 32],
            encryption: [seed.wrapping_add(1); 32],
            hash: [seed.wrapping_add(2); 32],
        })
    }

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000, 0).unwrap()
    }

    #[test]
    fn emails_round_trip_with_fresh_nonces() {
        let k = keys(1);
        let a = k.encrypt_email("Ana@Example.org");
        let b = k.encrypt_email("Ana@Example.org");
        assert_ne!(a, b);
        assert_eq!(k.decrypt_email(&a).unwrap(), "Ana@Example.org");
        assert_eq!(k.decrypt_email(&b).unwrap(), "Ana@Example.org");
        assert!(!a.windows(7).any(|w| w == b"Example"));
    }

    #[test]
    fn tampered_truncated_or_foreign_ciphertexts_are_refused() {
        let k = keys(1);
        let blob = k.encrypt_email("ana@example.org");
        for i in [0, NONCE_LEN, blob.len() - 1] {
            let mut bad = blob.clone();
            bad[i] ^= 1;
            assert!(matches!(k.decrypt_email(&bad), Err(AppError::Internal(_))));
        }
        assert!(matches!(
            k.decrypt_email(&blob[..5]),
            Err(AppError::Internal(_))
        ));
        assert!(matches!(
            keys(9).decrypt_email(&blob),
            Err(AppError::Internal(_))
        ));
    }

    #[test]
    fn keyed_hashes_are_normalised_domain_separated_and_keyed() {
        let k = keys(1);
        assert_eq!(
            k.email_hash(" Ana@Example.ORG "),
            k.email_hash("ana@example.org")
        );
        assert_eq!(k.email_hash("ana@example.org").len(), 64);
        assert_ne!(k.keyed_hash("a", b"bc"), k.keyed_hash("ab", b"c"));
        assert_ne!(
            k.email_hash("ana@example.org"),
            keys(2).email_hash("ana@example.org")
        );
        let id = Uuid::new_v4();
        assert_ne!(k.object_hash(id), k.keyed_hash("email", id.as_bytes()));
    }

    #[test]
    fn access_tokens_round_trip() {
        let k = keys(1);
        let user = Uuid::new_v4();
        let t = k.issue_access(user, Role::Moderator, Duration::from_secs(900), now());
        let c = k.verify_access(&t, now()).unwrap();
        assert_eq!(
            (c.sub, c.role, c.typ.as_str()),
            (user, Role::Moderator, ACCESS_TYPE)
        );
        assert_eq!(c.exp - c.iat, 900);
    }

    #[test]
    fn expired_tokens_are_refused() {
        let k = keys(1);
        let t = k.issue_access(Uuid::new_v4(), Role::User, Duration::from_secs(60), now());
        assert!(
            k.verify_access(&t, now() + chrono::Duration::seconds(59))
                .is_ok()
        );
        assert!(
            k.verify_access(&t, now() + chrono::Duration::seconds(60))
                .is_err()
        );
    }

    #[test]
    fn tampered_or_foreign_tokens_are_refused() {
        let k = keys(1);
        let t = k.issue_access(Uuid::new_v4(), Role::User, Duration::from_secs(60), now());
        assert!(keys(2).verify_access(&t, now()).is_err());
        let parts: Vec<&str> = t.split('.').collect();
        let mut claims: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
        claims["role"] = "admin".into();
        let forged = format!(
            "{}.{}.{}",
            parts[0],
            B64URL.encode(claims.to_string()),
            parts[2]
        );
        assert!(k.verify_access(&forged, now()).is_err());
        for bad in ["", "a.b", "a.b.c.d", &format!("{t}x"), &t[..t.len() - 2]] {
            assert!(k.verify_access(bad, now()).is_err(), "{bad}");
        }
    }

    #[test]
    fn alg_none_and_other_types_are_refused() {
        let k = keys(1);
        let t = k.issue_access(Uuid::new_v4(), Role::User, Duration::from_secs(60), now());
        let parts: Vec<&str> = t.split('.').collect();
        let none = format!(
            "{}.{}.",
            B64URL.encode(r#"{"alg":"none","typ":"JWT"}"#),
            parts[1]
        );
        assert!(k.verify_access(&none, now()).is_err());
        let hs512 = format!(
            "{}.{}.{}",
            B64URL.encode(r#"{"alg":"HS512"}"#),
            parts[1],
            parts[2]
        );
        assert!(k.verify_access(&hs512, now()).is_err());
        // A correctly signed token of another type is not an access token.
        let mut claims: serde_json::Value =
            serde_json::from_slice(&B64URL.decode(parts[1]).unwrap()).unwrap();
        claims["typ"] = "refresh".into();
        let input = format!("{}.{}", parts[0], B64URL.encode(claims.to_string()));
        let other = format!("{input}.{}", B64URL.encode(k.sign(&input)));
        assert!(k.verify_access(&other, now()).is_err());
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let a = random_token();
        assert_ne!(a, random_token());
        assert_eq!(B64URL.decode(&a).unwrap().len(), 32);
        assert_eq!(token_hash(&a).len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
    }
}
