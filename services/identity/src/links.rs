//! Links sent to residents by e-mail: confirming their address, choosing a new password.
//!
//! No link's secret ever travels or rests in clear. Asking for a link records a *request*
//! (an id, the account, the purpose, an expiry) and publishes an event carrying only the
//! request's id; the notifications service, when it sends the e-mail, asks for the link
//! ([`issue`], over `guichet.identity.v1.Links`), and only then is a secret drawn, kept
//! here as its SHA-256 digest and handed over to go straight into the message. A retried
//! e-mail gets a fresh link; every link of one request works until the request expires,
//! and spending one spends them all.

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use rand::RngCore as _;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{domain::Error, tokens::digest};

/// How long a link works after it was asked for.
pub const LIFETIME_HOURS: i64 = 24;
/// Links issued at most for one request: one per delivery attempt, with room to spare.
const MAX_ISSUED: i32 = 20;

/// What a link is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    VerifyEmail,
    ResetPassword,
}

impl Purpose {
    pub fn as_str(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "verify_email",
            Purpose::ResetPassword => "reset_password",
        }
    }

    fn parse(text: &str) -> Option<Self> {
        match text {
            "verify_email" => Some(Purpose::VerifyEmail),
            "reset_password" => Some(Purpose::ResetPassword),
            _ => None,
        }
    }

    /// The page of the web front door the link opens (served by the gateway).
    fn page(self) -> &'static str {
        match self {
            Purpose::VerifyEmail => "/compte/verifier-email",
            Purpose::ResetPassword => "/compte/nouveau-mot-de-passe",
        }
    }
}

/// A link request, recorded in the caller's transaction: its id and expiry, for the
/// event asking for the e-mail.
pub async fn request(
    conn: &mut PgConnection,
    account: Uuid,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<(Uuid, DateTime<Utc>), Error> {
    let id = Uuid::now_v7();
    let expires_at = now + Duration::hours(LIFETIME_HOURS);
    sqlx::query(
        "INSERT INTO link_requests (id, account_id, purpose, requested_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(account)
    .bind(purpose.as_str())
    .bind(now)
    .bind(expires_at)
    .execute(conn)
    .await?;
    Ok((id, expires_at))
}

/// A fresh link for a pending request, `{public_url}{page}?jeton=<secret>`, and when it
/// stops working. Not found when the request is unknown, expired or spent, or its
/// account erased: there is nothing to send any more.
pub async fn issue(
    pool: &PgPool,
    public_url: &str,
    request: Uuid,
    now: DateTime<Utc>,
) -> Result<(String, DateTime<Utc>), Error> {
    let mut tx = pool.begin().await?;
    let pending: Option<(Uuid, String, DateTime<Utc>)> = sqlx::query_as(
        "UPDATE link_requests r SET issued = r.issued + 1
         FROM accounts a
         WHERE r.id = $1 AND a.id = r.account_id AND a.erased_at IS NULL
           AND r.used_at IS NULL AND r.expires_at > $2 AND r.issued < $3
         RETURNING r.account_id, r.purpose, r.expires_at",
    )
    .bind(request)
    .bind(now)
    .bind(MAX_ISSUED)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((account, purpose, expires_at)) = pending else {
        return Err(Error::NotFound(
            "Cette demande de lien n'existe pas ou n'est plus valable.",
        ));
    };
    let purpose = Purpose::parse(&purpose)
        .ok_or_else(|| anyhow::anyhow!("link request {request} has purpose {purpose:?}"))?;
    let secret = random_secret();
    sqlx::query(
        "INSERT INTO one_time_tokens (hash, account_id, purpose, expires_at, request_id)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(digest(&secret))
    .bind(account)
    .bind(purpose.as_str())
    .bind(expires_at)
    .bind(request)
    .execute(&mut *tx)
    .await?;
    guichet_kit::bus::commit(tx).await?;
    let base = public_url.trim_end_matches('/');
    Ok((
        format!("{base}{}?jeton={secret}", purpose.page()),
        expires_at,
    ))
}

/// Spends a link's secret: checks it by digest, unused and unexpired, and marks it and
/// every other link of its request used. The account it was for.
pub async fn spend(
    conn: &mut PgConnection,
    secret: &str,
    purpose: Purpose,
    now: DateTime<Utc>,
) -> Result<Uuid, Error> {
    let spent: Option<(Uuid, Option<Uuid>)> = sqlx::query_as(
        "UPDATE one_time_tokens SET used_at = $3
         WHERE hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3
         RETURNING account_id, request_id",
    )
    .bind(digest(secret.trim()))
    .bind(purpose.as_str())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((account, request)) = spent else {
        return Err(Error::field(
            "token",
            "Ce lien n'est plus valable : demandez-en un nouveau.",
        ));
    };
    if let Some(request) = request {
        sqlx::query("UPDATE link_requests SET used_at = $2 WHERE id = $1")
            .bind(request)
            .bind(now)
            .execute(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE one_time_tokens SET used_at = $2 WHERE request_id = $1 AND used_at IS NULL",
        )
        .bind(request)
        .bind(now)
        .execute(&mut *conn)
        .await?;
    }
    Ok(account)
}

/// 256 random bits, URL-safe.
fn random_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}
