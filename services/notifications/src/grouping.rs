//! One message per visit. Entries one agent writes in a demand's timeline within a short
//! window (at the counter: a photo, then a note, a second apart) reach the resident as
//! one message per channel, not one each.
//!
//! The message is an ordinary delivery row that stays open for the same agent's next
//! entries on that demand: `group_until` (and, for e-mail and SMS, `next_attempt_at`) is
//! the last entry's time plus the window, so [`crate::delivery`]'s worker sends it once
//! the agent has been quiet that long, never later than `longest` after the first entry.
//! Each entry joining it is kept (`entries`) and the subject and body are rendered again
//! from all of them. It lives in the database, written in the transaction that records
//! the event in the consumer's inbox, so a restart loses nothing; the worker closes the
//! group when it takes the row, so an entry arriving later starts a new message.
//! In-app messages are stored at once and grow while their group is open.
//!
//! Times come from the service's [`guichet_kit::Clock`], so tests move it instead of
//! waiting a minute.

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use guichet_kit::bus::Event;
use guichet_proto::demand::v1::{Author, AuthorRole};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    config::DeliveryConfig,
    queue::{self, NewGroup, Target},
    templates::{self, About, Entry},
};

/// How long a group stays open.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// After each entry: the next one by the same agent joins the message if it comes
    /// within this.
    pub quiet: Duration,
    /// After the first entry, whatever follows.
    pub longest: Duration,
}

impl Window {
    pub fn from_config(cfg: &DeliveryConfig) -> Self {
        // A day at most: longer is a misconfiguration, and keeps the arithmetic in range.
        let seconds = |s: u64| Duration::seconds(i64::try_from(s.min(86_400)).unwrap_or(86_400));
        Self {
            quiet: seconds(cfg.grouping_window_seconds),
            longest: seconds(
                cfg.grouping_longest_seconds
                    .max(cfg.grouping_window_seconds),
            ),
        }
    }
}

/// Whose entries group together: an agent, by account id. Residents' and the system's
/// entries are sent alone, as before.
pub fn author(author: Option<&Author>) -> Option<&str> {
    author
        .filter(|a| a.role() == AuthorRole::Agent && !a.id.trim().is_empty())
        .map(|a| a.id.as_str())
}

/// One entry to add to a group.
pub struct Added<'a> {
    /// The agent who wrote it.
    pub author: &'a str,
    pub entry: &'a Entry,
    /// Send the message now, with whatever the group holds (an outcome, a question to
    /// the resident), and close it.
    pub flush: bool,
    pub now: DateTime<Utc>,
}

/// The open group a new entry joins.
#[derive(sqlx::FromRow)]
struct Open {
    id: Uuid,
    event_id: Uuid,
    entries: String,
    created_at: DateTime<Utc>,
}

/// Adds `added` to the message open for its agent, demand, recipient and channel, or
/// opens one. An event already in a message to this recipient on this channel changes
/// nothing (delivered once, even if the inbox let it through twice).
pub async fn add(
    conn: &mut PgConnection,
    event: &Event,
    target: &Target,
    about: &About<'_>,
    added: &Added<'_>,
    window: &Window,
) -> anyhow::Result<()> {
    // Replicas consuming two entries of one visit at once take turns, so both cannot
    // open a message; released at commit.
    let key = format!(
        "delivery-group:{}:{}:{}:{}",
        about.tracking_number, target.recipient, target.channel, added.author
    );
    sqlx::query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind(&key)
        .execute(&mut *conn)
        .await
        .context("waiting for a delivery group")?;
    let already: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM deliveries
             WHERE tracking_number = $1 AND recipient = $2 AND channel = $3
                 AND (event_id = $4 OR $4 = ANY (event_ids)))",
    )
    .bind(about.tracking_number)
    .bind(&target.recipient)
    .bind(target.channel)
    .bind(event.id)
    .fetch_one(&mut *conn)
    .await
    .context("looking for an event already told")?;
    if already {
        return Ok(());
    }
    // The worker clears `group_until` when it takes a row, and holds the row until it
    // committed: an entry never joins a message being sent.
    let open: Option<Open> = sqlx::query_as(
        "SELECT id, event_id, entries::text AS entries, created_at FROM deliveries
         WHERE tracking_number = $1 AND recipient = $2 AND channel = $3 AND group_author = $4
             AND group_until > $5
         ORDER BY created_at DESC LIMIT 1 FOR UPDATE",
    )
    .bind(about.tracking_number)
    .bind(&target.recipient)
    .bind(target.channel)
    .bind(added.author)
    .bind(added.now)
    .fetch_optional(&mut *conn)
    .await
    .context("looking for an open delivery group")?;

    let first = open.as_ref().map_or(added.now, |o| o.created_at);
    let until = if added.flush {
        added.now
    } else {
        (added.now + window.quiet).min(first + window.longest)
    };
    let Some(open) = open else {
        let entries = vec![added.entry.clone()];
        let rendered = templates::entries(about, &entries);
        let entries = serde_json::to_string(&entries).context("storing an entry")?;
        let group = NewGroup {
            author: added.author,
            until,
            entries: &entries,
        };
        return queue::queue_grouped(
            conn,
            event,
            target,
            about.tracking_number,
            &rendered,
            added.now,
            Some(&group),
        )
        .await;
    };

    let mut entries: Vec<Entry> =
        serde_json::from_str(&open.entries).context("reading a group's entries")?;
    entries.push(added.entry.clone());
    let rendered = templates::entries(about, &entries);
    let entries = serde_json::to_string(&entries).context("storing an entry")?;
    let in_app = target.channel == "app";
    sqlx::query(
        "UPDATE deliveries SET entries = $2::jsonb, event_ids = array_append(event_ids, $3),
             subject = $4, body = $5, group_until = $6,
             next_attempt_at = CASE WHEN $7 THEN next_attempt_at ELSE $6 END
         WHERE id = $1",
    )
    .bind(open.id)
    .bind(&entries)
    .bind(event.id)
    .bind(&rendered.subject)
    .bind(queue::body_for(target.channel, &rendered))
    .bind(until)
    .bind(in_app)
    .execute(&mut *conn)
    .await
    .context("adding an entry to a delivery group")?;
    if in_app {
        sqlx::query(
            "UPDATE messages SET subject = $3, body = $4 WHERE event_id = $1 AND account_id = $2",
        )
        .bind(open.event_id)
        .bind(&target.recipient)
        .bind(&rendered.subject)
        .bind(&rendered.body)
        .execute(&mut *conn)
        .await
        .context("adding an entry to an in-app message")?;
    } else if added.flush {
        // Due now: wake the workers (an update fires no insert trigger); delivered at
        // commit.
        sqlx::query("SELECT pg_notify('deliveries', '')")
            .execute(&mut *conn)
            .await
            .context("waking the delivery worker")?;
    }
    Ok(())
}
