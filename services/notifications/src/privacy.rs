//! Residents' rights over what this service keeps about them (RGPD): the export for
//! `GET /api/v1/me/export` and the erasure on `identity.account.erased`.
//!
//! Both work on the same scope, so nothing exported survives an erasure and nothing
//! erased was missing from the export: the account's contact, its preferences, its
//! in-app messages, the demands attached to it (with the contact left at filing), and
//! the deliveries and ratings either made under the account or about one of its
//! demands — a demand filed without an account and claimed later was told and rated
//! before anyone knew the account.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The account's contact as the identity service last gave it.
#[derive(Debug, Serialize, sqlx::FromRow)]
struct Contact {
    email: String,
    phone: String,
    preferred_channels: Option<Vec<String>>,
    updated_at: DateTime<Utc>,
}

/// A topic's channels the resident chose.
#[derive(Debug, Serialize, sqlx::FromRow)]
struct Preference {
    topic: String,
    channels: Vec<String>,
}

/// A message in the resident's space.
#[derive(Debug, Serialize, sqlx::FromRow)]
struct Message {
    id: Uuid,
    tracking_number: String,
    subject: String,
    body: String,
    link: String,
    at: DateTime<Utc>,
}

/// A demand the service tells the resident about, and the contact left at filing.
#[derive(Debug, Serialize, sqlx::FromRow)]
struct Demand {
    tracking_number: String,
    kind: String,
    title: String,
    status: String,
    contact_email: String,
    contact_phone: String,
    updated_at: DateTime<Utc>,
}

/// One message sent (or to send) to the resident, with the address in full: it is the
/// resident's own.
#[derive(Debug, Serialize, sqlx::FromRow)]
struct Delivery {
    id: Uuid,
    event_type: String,
    tracking_number: String,
    channel: String,
    recipient: String,
    subject: String,
    body: String,
    status: String,
    attempts: i32,
    last_error: String,
    created_at: DateTime<Utc>,
    sent_at: Option<DateTime<Utc>>,
}

/// A rating the resident gave.
#[derive(Debug, Serialize, sqlx::FromRow)]
struct Rating {
    tracking_number: String,
    score: i16,
    comment: String,
    at: DateTime<Utc>,
}

/// Everything kept about `account`, as one JSON document.
pub async fn export(pool: &PgPool, account: &str) -> anyhow::Result<String> {
    let mut conn = pool.acquire().await.context("connecting")?;
    let contact: Option<Contact> = sqlx::query_as(
        "SELECT email, phone, preferred_channels, updated_at FROM accounts
         WHERE account_id = $1",
    )
    .bind(account)
    .fetch_optional(&mut *conn)
    .await
    .context("exporting the contact")?;
    let preferences: Vec<Preference> = sqlx::query_as(
        "SELECT topic, channels FROM preferences WHERE account_id = $1 ORDER BY topic",
    )
    .bind(account)
    .fetch_all(&mut *conn)
    .await
    .context("exporting preferences")?;
    let messages: Vec<Message> = sqlx::query_as(
        "SELECT id, tracking_number, subject, body, link, at FROM messages
         WHERE account_id = $1 ORDER BY at, id",
    )
    .bind(account)
    .fetch_all(&mut *conn)
    .await
    .context("exporting messages")?;
    let demands: Vec<Demand> = sqlx::query_as(
        "SELECT tracking_number, kind, title, status, contact_email, contact_phone, updated_at
         FROM demands WHERE account_id = $1 ORDER BY tracking_number",
    )
    .bind(account)
    .fetch_all(&mut *conn)
    .await
    .context("exporting demands")?;
    let deliveries: Vec<Delivery> = sqlx::query_as(
        "SELECT id, event_type, tracking_number, channel, recipient, subject, body, status,
             attempts, last_error, created_at, sent_at
         FROM deliveries WHERE account_id = $1
             OR tracking_number IN (SELECT tracking_number FROM demands WHERE account_id = $1)
         ORDER BY created_at, id",
    )
    .bind(account)
    .fetch_all(&mut *conn)
    .await
    .context("exporting deliveries")?;
    let ratings: Vec<Rating> = sqlx::query_as(
        "SELECT tracking_number, score, comment, at FROM ratings
         WHERE account_id = $1
             OR tracking_number IN (SELECT tracking_number FROM demands WHERE account_id = $1)
         ORDER BY at, tracking_number",
    )
    .bind(account)
    .fetch_all(&mut *conn)
    .await
    .context("exporting ratings")?;
    Ok(serde_json::json!({
        "account": contact,
        "preferences": preferences,
        "messages": messages,
        "demands": demands,
        "deliveries": deliveries,
        "ratings": ratings,
    })
    .to_string())
}

/// The account is gone: its contact, preferences and messages are deleted; what stays
/// for the city's records no longer names anyone. Deliveries keep their channel, status
/// and subject (which speak of the demand, not the person) for the agents' history, but
/// lose the address, the body, the grouped entries it was rendered from and the last
/// error (an SMTP refusal quotes the address); a pending one fails. Ratings keep the score for the statistics and lose the comment,
/// free text that may say who wrote it. Demands lose the account and the contact.
/// Deliveries and ratings go before the demands, which are how the earlier ones are
/// found.
pub async fn erase(conn: &mut PgConnection, account: &str) -> anyhow::Result<()> {
    for sql in [
        "DELETE FROM accounts WHERE account_id = $1",
        "DELETE FROM preferences WHERE account_id = $1",
        "DELETE FROM messages WHERE account_id = $1",
        "UPDATE deliveries SET recipient = 'effacé:' || id::text, body = '', account_id = NULL,
             entries = '[]', group_until = NULL,
             last_error = CASE WHEN status = 'pending' THEN 'compte supprimé' ELSE '' END,
             status = CASE WHEN status = 'pending' THEN 'failed' ELSE status END
         WHERE account_id = $1
             OR tracking_number IN (SELECT tracking_number FROM demands WHERE account_id = $1)",
        "UPDATE ratings SET account_id = NULL, comment = ''
         WHERE account_id = $1
             OR tracking_number IN (SELECT tracking_number FROM demands WHERE account_id = $1)",
        "UPDATE demands SET account_id = NULL, contact_email = '', contact_phone = ''
         WHERE account_id = $1",
    ] {
        sqlx::query(sql)
            .bind(account)
            .execute(&mut *conn)
            .await
            .context("erasing an account's data")?;
    }
    Ok(())
}
