//! Queuing one message to one recipient: a delivery row the worker sends (at once, or
//! when its group's time comes), or an in-app message stored at once. The residents'
//! notifier and the grouping of an agent's entries both queue through here.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::bus::Event;
use sqlx::PgConnection;
use uuid::Uuid;

use crate::templates::Rendered;

/// Where one message goes.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub channel: &'static str,
    /// E-mail address, phone number, or account id (`app`).
    pub recipient: String,
    pub account: Option<String>,
}

impl Target {
    pub fn email(account: &str, address: &str) -> Self {
        Self {
            channel: "email",
            recipient: address.to_owned(),
            account: Some(account.to_owned()).filter(|a| !a.is_empty()),
        }
    }
}

/// A delivery that opens a group of an agent's entries ([`crate::grouping`]).
pub struct NewGroup<'a> {
    pub author: &'a str,
    /// When the message goes out (e-mail, SMS) unless more entries join it before.
    pub until: DateTime<Utc>,
    /// The entries so far, as JSON.
    pub entries: &'a str,
}

/// Queues one delivery: at once, or when its group's time comes; an in-app message is
/// stored at once (later entries of its group are added to it) and counts as sent.
#[tracing::instrument(name = "Queue a delivery", skip_all, fields(channel = target.channel))]
pub async fn queue_grouped(
    conn: &mut PgConnection,
    event: &Event,
    target: &Target,
    tracking_number: &str,
    rendered: &Rendered,
    now: DateTime<Utc>,
    group: Option<&NewGroup<'_>>,
) -> anyhow::Result<()> {
    let in_app = target.channel == "app";
    let body = body_for(target.channel, rendered);
    let due = match group {
        Some(group) if !in_app => group.until,
        _ => now,
    };
    let queued = sqlx::query(
        "INSERT INTO deliveries (id, event_id, event_type, tracking_number, account_id, channel,
             recipient, subject, body, status, attempts, next_attempt_at, created_at, sent_at,
             group_author, group_until, entries, event_ids, traceparent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
             $15, $16, coalesce($17::jsonb, '[]'),
             CASE WHEN $15::text IS NULL THEN '{}'::uuid[] ELSE ARRAY[$2::uuid] END, $18)
         ON CONFLICT (event_id, recipient, channel) DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(event.id)
    .bind(&event.kind)
    .bind(tracking_number)
    .bind(&target.account)
    .bind(target.channel)
    .bind(&target.recipient)
    .bind(&rendered.subject)
    .bind(body)
    .bind(if in_app { "sent" } else { "pending" })
    .bind(i32::from(in_app))
    .bind(due)
    .bind(now)
    .bind(in_app.then_some(now))
    .bind(group.map(|g| g.author))
    .bind(group.map(|g| g.until))
    .bind(group.map(|g| g.entries))
    .bind(guichet_kit::telemetry::current_traceparent())
    .execute(&mut *conn)
    .await
    .context("queuing a delivery")?
    .rows_affected()
        == 1;
    if in_app && queued {
        sqlx::query(
            "INSERT INTO messages (id, event_id, account_id, tracking_number, subject, body, link, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
        )
        .bind(Uuid::now_v7())
        .bind(event.id)
        .bind(&target.recipient)
        .bind(tracking_number)
        .bind(&rendered.subject)
        .bind(&rendered.body)
        .bind(&rendered.link)
        .bind(now)
        .execute(conn)
        .await
        .context("storing an in-app message")?;
    }
    Ok(())
}

/// What a channel sends of a rendered notification: the SMS text, or the body.
pub fn body_for<'a>(channel: &str, rendered: &'a Rendered) -> &'a str {
    if channel == "sms" {
        &rendered.sms
    } else {
        &rendered.body
    }
}
