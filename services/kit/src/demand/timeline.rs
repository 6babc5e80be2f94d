//! A demand's timeline: status changes and messages, each with its author and channel.
//!
//! Every service implementing `Demands` keeps it in a table of its own database:
//!
//! ```sql
//! CREATE TABLE timeline (
//!     id          UUID PRIMARY KEY,
//!     demand_id   UUID NOT NULL REFERENCES <aggregate> (id),
//!     at          TIMESTAMPTZ NOT NULL,
//!     kind        TEXT NOT NULL CHECK (kind IN ('status_change', 'message')),
//!     author_role TEXT NOT NULL,
//!     author_name TEXT NOT NULL DEFAULT '',
//!     author_id   TEXT NOT NULL DEFAULT '',
//!     channel     TEXT NOT NULL,
//!     status      TEXT,
//!     sub_status  TEXT NOT NULL DEFAULT '',
//!     text        TEXT NOT NULL DEFAULT ''
//! );
//! CREATE INDEX timeline_demand ON timeline (demand_id, at);
//! ```

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_proto::{
    demand::v1::{Author, Channel, Status, TimelineEntry, TimelineEntryKind},
    names,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::grpc::timestamp;

#[derive(Debug, Clone, sqlx::FromRow, serde::Deserialize)]
pub struct TimelineRow {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub author_role: String,
    pub author_name: String,
    pub author_id: String,
    pub channel: String,
    pub status: Option<String>,
    pub sub_status: String,
    pub text: String,
}

impl TimelineRow {
    /// A status entered, with the reason given (if any).
    pub fn status_change(
        author: &Author,
        channel: Channel,
        at: DateTime<Utc>,
        status: Status,
        sub_status: &str,
        reason: &str,
    ) -> Self {
        Self::new(
            "status_change",
            author,
            channel,
            at,
            Some(status),
            sub_status,
            reason,
        )
    }

    pub fn message(author: &Author, channel: Channel, at: DateTime<Utc>, text: &str) -> Self {
        Self::new("message", author, channel, at, None, "", text)
    }

    fn new(
        kind: &str,
        author: &Author,
        channel: Channel,
        at: DateTime<Utc>,
        status: Option<Status>,
        sub_status: &str,
        text: &str,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            at,
            kind: kind.to_owned(),
            author_role: names::author_role(author.role()),
            author_name: author.name.clone(),
            author_id: author.id.clone(),
            channel: names::channel(channel),
            status: status.map(names::status),
            sub_status: sub_status.to_owned(),
            text: text.to_owned(),
        }
    }

    pub fn to_proto(&self) -> TimelineEntry {
        TimelineEntry {
            id: self.id.to_string(),
            kind: if self.kind == "message" {
                TimelineEntryKind::Message
            } else {
                TimelineEntryKind::StatusChange
            } as i32,
            at: Some(timestamp(self.at)),
            author: Some(Author {
                role: names::parse_author_role(&self.author_role).unwrap_or_default() as i32,
                name: self.author_name.clone(),
                id: self.author_id.clone(),
            }),
            channel: names::parse_channel(&self.channel).unwrap_or_default() as i32,
            status: self
                .status
                .as_deref()
                .and_then(names::parse_status)
                .unwrap_or_default() as i32,
            sub_status: self.sub_status.clone(),
            text: self.text.clone(),
        }
    }
}

pub async fn insert(
    conn: &mut PgConnection,
    demand_id: Uuid,
    entry: &TimelineRow,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO timeline (id, demand_id, at, kind, author_role, author_name, author_id,
            channel, status, sub_status, text)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(entry.id)
    .bind(demand_id)
    .bind(entry.at)
    .bind(&entry.kind)
    .bind(&entry.author_role)
    .bind(&entry.author_name)
    .bind(&entry.author_id)
    .bind(&entry.channel)
    .bind(&entry.status)
    .bind(&entry.sub_status)
    .bind(&entry.text)
    .execute(conn)
    .await
    .context("storing a timeline entry")?;
    Ok(())
}

/// A demand's timeline, oldest entry first.
/// A demand's timeline as one JSON text column (`[]` when empty), in the order [`load`]
/// gives, so a demand and its timeline are read in one query; `$demand` is the SQL
/// expression of the demand's id. Read the column back with [`from_json`].
#[macro_export]
macro_rules! timeline_json {
    ($demand:literal) => {
        concat!(
            "(SELECT coalesce(json_agg(t ORDER BY t.at, t.id), '[]')::text FROM timeline t WHERE t.demand_id = ",
            $demand,
            ")"
        )
    };
}

/// A timeline read by [`timeline_json!`].
pub fn from_json(json: &str) -> anyhow::Result<Vec<TimelineRow>> {
    serde_json::from_str(json).context("reading a timeline")
}

pub async fn load(conn: &mut PgConnection, demand_id: Uuid) -> anyhow::Result<Vec<TimelineRow>> {
    sqlx::query_as(
        "SELECT id, at, kind, author_role, author_name, author_id, channel, status, sub_status, text
         FROM timeline WHERE demand_id = $1 ORDER BY at, id",
    )
    .bind(demand_id)
    .fetch_all(conn)
    .await
    .context("reading a timeline")
}

/// Erasure: a resident's name and id leave the timelines; the entries stay.
pub async fn anonymise_resident(conn: &mut PgConnection, account_id: &str) -> anyhow::Result<u64> {
    let done = sqlx::query(
        "UPDATE timeline SET author_name = '', author_id = ''
         WHERE author_role = 'resident' AND author_id = $1",
    )
    .bind(account_id)
    .execute(conn)
    .await
    .context("anonymising timelines")?;
    Ok(done.rows_affected())
}
