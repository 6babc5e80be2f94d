//! A demand's timeline: status changes and messages, each with its author and channel.
//!
//! Every service implementing `Demands` keeps it in a `timeline` table of its own
//! database, whose one definition is the kit's: migration `0007_timeline.sql` gives
//! `kit.ensure_timeline(aggregate)`, which a silo's migration calls with its table of
//! demands (`SELECT kit.ensure_timeline('disputes')`): it creates the table and its
//! index if missing, and refuses a table that does not have the columns this module
//! reads and writes.

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

/// A demand and its timeline in one round trip (lookups by number are the platform's
/// busiest read): `sql` selects the silo's columns and [`timeline_json!`] `AS timeline`,
/// for the tracking number bound as `$1`.
pub async fn read<O>(
    pool: &sqlx::PgPool,
    sql: &'static str,
    tracking_number: &str,
) -> anyhow::Result<Option<(O, Vec<TimelineRow>)>>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    use sqlx::Row as _;
    let row = sqlx::query(sql)
        .bind(tracking_number)
        .fetch_optional(pool)
        .await
        .context("reading a demand")?;
    row.map(|row| {
        let demand = O::from_row(&row).context("reading a demand")?;
        let timeline: String = row.try_get("timeline").context("reading a timeline")?;
        Ok((demand, from_json(&timeline)?))
    })
    .transpose()
}

/// A timeline read by [`timeline_json!`].
pub fn from_json(json: &str) -> anyhow::Result<Vec<TimelineRow>> {
    serde_json::from_str(json).context("reading a timeline")
}

/// A demand's timeline, oldest entry first.
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

/// A timeline entry as a resident's data export shows it: what happened and through
/// which channel, not which agent wrote it.
#[derive(Debug, sqlx::FromRow, serde::Serialize)]
pub struct ExportEntry {
    pub tracking_number: String,
    pub at: DateTime<Utc>,
    pub kind: String,
    pub author_role: String,
    pub channel: String,
    pub status: Option<String>,
    pub text: String,
}

/// Every timeline entry of `resident`'s demands in a silo, oldest first, for their
/// data export.
pub async fn export(
    pool: &sqlx::PgPool,
    silo: &super::Silo,
    resident: &str,
) -> anyhow::Result<Vec<ExportEntry>> {
    // The table name is the silo's constant, never input.
    let sql = format!(
        "SELECT d.tracking_number, t.at, t.kind, t.author_role, t.channel, t.status, t.text
         FROM timeline t JOIN {} d ON d.id = t.demand_id
         WHERE d.resident_id = $1 ORDER BY t.at",
        silo.table
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(resident)
        .fetch_all(pool)
        .await
        .context("exporting timelines")
}
