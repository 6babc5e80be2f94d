//! Signing keys for access tokens. The newest key signs; keys are rotated after a
//! configured age, and a retired key stays published in the JWKS until every token it
//! signed has expired, so rotation never logs anyone out.

use std::collections::HashMap;

use anyhow::Context as _;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use ed25519_dalek::{SigningKey, pkcs8::EncodePrivateKey as _};
use guichet_kit::Clock;
use jsonwebtoken::{DecodingKey, EncodingKey};
use rand::RngCore as _;
use sqlx::PgPool;

/// Serialises rotation between replicas.
const ROTATION_LOCK: i64 = 7_301_984_550_229_337; // arbitrary, unique to this use

#[derive(sqlx::FromRow)]
struct KeyRow {
    kid: String,
    private_der: Vec<u8>,
    public_x: String,
}

/// Makes sure a signing key younger than `max_age` exists, creating one if needed and
/// retiring the previous one. Safe to run on every replica at once.
pub async fn rotate_if_due(pool: &PgPool, clock: &Clock, max_age: Duration) -> anyhow::Result<()> {
    let now = clock.now();
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(ROTATION_LOCK)
        .execute(&mut *tx)
        .await?;
    let newest: Option<DateTime<Utc>> =
        sqlx::query_scalar("SELECT max(created_at) FROM signing_keys WHERE retired_at IS NULL")
            .fetch_one(&mut *tx)
            .await
            .context("reading signing keys")?;
    if newest.is_some_and(|created| now - created < max_age) {
        return Ok(());
    }
    sqlx::query("UPDATE signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
        .bind(now)
        .execute(&mut *tx)
        .await?;
    let (kid, der, x) = generate(now)?;
    sqlx::query(
        "INSERT INTO signing_keys (kid, private_der, public_x, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(&kid)
    .bind(der)
    .bind(x)
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("storing a signing key")?;
    guichet_kit::bus::commit(tx).await?;
    tracing::info!(%kid, "new signing key");
    Ok(())
}

/// A new key: its id (the day and a random suffix), and the key as stored.
fn generate(now: DateTime<Utc>) -> anyhow::Result<(String, Vec<u8>, String)> {
    let mut seed = [0u8; 32];
    rand::rng().fill_bytes(&mut seed);
    let (der, x) = encoded(&SigningKey::from_bytes(&seed))?;
    let mut suffix = [0u8; 4];
    rand::rng().fill_bytes(&mut suffix);
    let kid = format!("{}-{}", now.format("%Y%m%d"), hex(&suffix));
    Ok((kid, der, x))
}

/// A key as stored: its PKCS#8 document (private) and its public half in base64url, the
/// JWKS `x`.
fn encoded(key: &SigningKey) -> anyhow::Result<(Vec<u8>, String)> {
    let der = key
        .to_pkcs8_der()
        .map_err(|e| anyhow::anyhow!("encoding a signing key: {e}"))?
        .as_bytes()
        .to_vec();
    Ok((der, URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes())))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key that signs new tokens.
pub async fn signing_key(pool: &PgPool) -> anyhow::Result<(String, EncodingKey)> {
    let row: KeyRow = sqlx::query_as(
        "SELECT kid, private_der, public_x FROM signing_keys WHERE retired_at IS NULL
         ORDER BY created_at DESC LIMIT 1",
    )
    .fetch_optional(pool)
    .await?
    .context("no active signing key")?;
    Ok((row.kid, EncodingKey::from_ed_der(&row.private_der)))
}

/// Keys whose tokens may still be alive: active ones and those retired less than
/// `grace` ago.
async fn published(
    pool: &PgPool,
    now: DateTime<Utc>,
    grace: Duration,
) -> anyhow::Result<Vec<KeyRow>> {
    sqlx::query_as(
        "SELECT kid, private_der, public_x FROM signing_keys
         WHERE retired_at IS NULL OR retired_at > $1 ORDER BY created_at DESC",
    )
    .bind(now - grace)
    .fetch_all(pool)
    .await
    .context("reading published keys")
}

/// The JWKS document (RFC 7517, OKP Ed25519 keys).
pub async fn jwks(pool: &PgPool, now: DateTime<Utc>, grace: Duration) -> anyhow::Result<String> {
    let keys: Vec<serde_json::Value> = published(pool, now, grace)
        .await?
        .into_iter()
        .map(|k| {
            serde_json::json!({
                "kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA",
                "kid": k.kid, "x": k.public_x,
            })
        })
        .collect();
    Ok(serde_json::json!({ "keys": keys }).to_string())
}

/// Decoding keys for the identity service's own checks (device tokens at login).
pub async fn decoding_keys(
    pool: &PgPool,
    now: DateTime<Utc>,
    grace: Duration,
) -> anyhow::Result<HashMap<String, DecodingKey>> {
    let mut keys = HashMap::new();
    for row in published(pool, now, grace).await? {
        keys.insert(row.kid, DecodingKey::from_ed_components(&row.public_x)?);
    }
    Ok(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The PKCS#8 document ed25519-dalek 2 stored for the seed `[7; 32]`: keys created
    /// before the upgrade to the newer RustCrypto generation are still in the database.
    const STORED_DER: &str = "3051020101300506032b6570042204200707070707070707070707070707070707070707\
                              070707070707070707070707812100ea4a6c63e29c520abef5507b132ec5f9954776aebe\
                              be7b92421eea691446d22c";

    fn unhex(hex: &str) -> Vec<u8> {
        (0..hex.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap())
            .collect()
    }

    /// Signs a token with the stored key `der` and checks it against the public `x`.
    fn verifies(der: &[u8], x: &str) -> bool {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some("k".into());
        let claims = serde_json::json!({"sub": "a", "exp": 4_102_444_800_i64});
        let token = jsonwebtoken::encode(&header, &claims, &EncodingKey::from_ed_der(der)).unwrap();
        let mut validation = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::EdDSA);
        validation.set_required_spec_claims(&["exp"]);
        let decoding = DecodingKey::from_ed_components(x).unwrap();
        jsonwebtoken::decode::<serde_json::Value>(&token, &decoding, &validation).is_ok()
    }

    #[test]
    fn keys_are_stored_as_before_and_old_ones_still_sign() {
        let (der, x) = encoded(&SigningKey::from_bytes(&[7; 32])).unwrap();
        assert_eq!(hex(&der), STORED_DER);
        assert!(verifies(&unhex(STORED_DER), &x));
        let (_, other) = encoded(&SigningKey::from_bytes(&[8; 32])).unwrap();
        assert!(!verifies(&unhex(STORED_DER), &other));
    }

    #[test]
    fn a_generated_key_signs_what_its_published_half_verifies() {
        let now = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 12, 6, 10, 0, 0).unwrap();
        let (kid, der, x) = generate(now).unwrap();
        assert!(kid.starts_with("20261206-"), "{kid}");
        assert!(verifies(&der, &x));
        let (again, other_der, other_x) = generate(now).unwrap();
        assert_ne!(again, kid, "two keys of one day have two ids");
        assert!(!verifies(&der, &other_x) && !verifies(&other_der, &x));
    }
}
