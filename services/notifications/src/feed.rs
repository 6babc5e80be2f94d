//! Agent feeds: every demand event becomes one item in the feed of the department that
//! handles the demand, with a French one-line summary.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::bus::{Event, Handler};
use guichet_proto::{
    demand::v1::{AuthorRole, DemandKind, Status},
    events::v1::{ComplaintFiled, DemandFiled, DemandMessagePosted, DemandStatusChanged},
    names,
    prost_types::Timestamp,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// One feed item about to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub department: String,
    pub tracking_number: String,
    pub kind: DemandKind,
    pub theme: String,
    pub title: String,
    pub at: DateTime<Utc>,
}

/// What an event means for the feed; `None` for events agents need not see.
pub fn item_for(event: &Event) -> anyhow::Result<Option<NewItem>> {
    let at = |ts: Option<&Timestamp>| {
        ts.and_then(guichet_kit::grpc::datetime)
            .unwrap_or(event.time)
    };
    let verb = event.kind.split('.').skip(1).collect::<Vec<_>>().join(".");
    let item = match verb.as_str() {
        "complaint.filed" => {
            let filed: ComplaintFiled = event.decode()?;
            let place = if filed.address.is_empty() {
                String::new()
            } else {
                format!(" — {}", filed.address)
            };
            Some(NewItem {
                at: at(filed.filed_at.as_ref()),
                title: format!("Nouvelle doléance : {}{place}", filed.category_label),
                theme: format!("complaint:{}", filed.category),
                department: filed.department,
                tracking_number: filed.tracking_number,
                kind: DemandKind::Complaint,
            })
        }
        "demand.filed" => {
            let filed: DemandFiled = event.decode()?;
            let kind = DemandKind::try_from(filed.kind).unwrap_or_default();
            let what = match kind {
                DemandKind::Rapo => "Nouveau recours (RAPO)",
                _ => "Nouvelle demande",
            };
            Some(NewItem {
                at: at(filed.filed_at.as_ref()),
                title: format!("{what} : {}", filed.title),
                theme: filed.theme,
                kind,
                department: filed.department,
                tracking_number: filed.tracking_number,
            })
        }
        "demand.status_changed" => {
            let changed: DemandStatusChanged = event.decode()?;
            let status = Status::try_from(changed.status).unwrap_or_default();
            Some(NewItem {
                at: at(changed.at.as_ref()),
                title: format!("{} : {}", status_label(status), changed.title),
                theme: changed.theme,
                kind: DemandKind::try_from(changed.kind).unwrap_or_default(),
                department: changed.department,
                tracking_number: changed.tracking_number,
            })
        }
        "demand.message_posted" => {
            let posted: DemandMessagePosted = event.decode()?;
            let from_resident = posted
                .author
                .as_ref()
                .is_some_and(|a| a.role() == AuthorRole::Resident);
            // Agents hear when residents write; their own messages are no news to them.
            from_resident.then(|| NewItem {
                at: at(posted.at.as_ref()),
                title: format!("Nouveau message de l'usager : {}", posted.title),
                theme: posted.theme,
                kind: DemandKind::try_from(posted.kind).unwrap_or_default(),
                department: posted.department,
                tracking_number: posted.tracking_number,
            })
        }
        _ => None,
    };
    Ok(item)
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Submitted => "Déposée",
        Status::Received => "Reçue",
        Status::InProgress => "En cours de traitement",
        Status::AwaitingResident => "En attente de l'usager",
        Status::Resolved => "Résolue",
        Status::Rejected => "Rejetée",
        Status::Closed => "Clôturée",
        Status::Unspecified => "Mise à jour",
    }
}

/// The advisory lock feed writers share (any constant unique in this database).
const FEED_WRITE_LOCK: i64 = 0x6775_6963_6865_7401;

/// The consumer's handler: writes the item in the transaction that records the event.
pub struct FeedWriter;

impl Handler for FeedWriter {
    #[tracing::instrument(name = "Write a feed item", skip_all)]
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
        let Some(item) = item_for(event)? else {
            return Ok(());
        };
        // Feed writers take turns until they commit, so `seq` order is commit order on
        // every replica: a stream resumed after `Last-Event-ID` cannot miss an item
        // committed late with a smaller `seq`.
        sqlx::query("SELECT pg_advisory_xact_lock($1)")
            .bind(FEED_WRITE_LOCK)
            .execute(&mut *conn)
            .await
            .context("waiting for the feed's write turn")?;
        sqlx::query(
            "INSERT INTO feed_items (id, event_id, department, tracking_number, kind, event_type, title, at, theme)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (event_id, department) DO NOTHING",
        )
        .bind(Uuid::now_v7())
        .bind(event.id)
        .bind(&item.department)
        .bind(&item.tracking_number)
        .bind(names::kind(item.kind))
        .bind(&event.kind)
        .bind(&item.title)
        .bind(item.at)
        .bind(&item.theme)
        .execute(conn)
        .await
        .context("writing a feed item")?;
        tracing::info!(department = %item.department, "feed item added");
        Ok(())
    }
}

/// One item as agents read it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: Uuid,
    pub seq: i64,
    pub department: String,
    pub tracking_number: String,
    pub kind: String,
    pub event_type: String,
    pub title: String,
    pub theme: String,
    pub at: DateTime<Utc>,
    /// Whether the agent reading marked it read (always false in live streams).
    #[sqlx(default)]
    pub read: bool,
}

impl ItemRow {
    /// Whether an agent of `departments`, handling `themes`, sees the item.
    pub fn visible_to(&self, departments: &[String], themes: &[String]) -> bool {
        departments.contains(&self.department) || themes.contains(&self.theme)
    }
}

const COLUMNS: &str =
    "f.id, f.seq, f.department, f.tracking_number, f.kind, f.event_type, f.title, f.theme, f.at";

/// What an agent's feed holds: their departments' items and their themes'.
#[derive(Debug, Clone)]
pub struct Scope<'a> {
    pub agent: &'a str,
    pub departments: &'a [String],
    pub themes: &'a [String],
}

/// Newest first, with the agent's read marks; `tab` narrows to one theme or department.
pub async fn list(
    pool: &PgPool,
    scope: &Scope<'_>,
    tab: &str,
    unread_only: bool,
    before: Option<(DateTime<Utc>, i64)>,
    limit: i64,
) -> anyhow::Result<Vec<ItemRow>> {
    let sql = format!(
        "SELECT {COLUMNS}, (r.item_id IS NOT NULL) AS read FROM feed_items f
         LEFT JOIN feed_reads r ON r.item_id = f.id AND r.agent_id = $1
         WHERE (f.department = ANY($2) OR f.theme = ANY($3))
           AND ($4 = '' OR f.theme = $4 OR f.department = $4)
           AND NOT ($5 AND r.item_id IS NOT NULL)
           AND ($7::timestamptz IS NULL OR (f.at, f.seq) < ($7, $8))
         ORDER BY f.at DESC, f.seq DESC LIMIT $6"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(scope.agent)
        .bind(scope.departments)
        .bind(scope.themes)
        .bind(tab)
        .bind(unread_only)
        .bind(limit)
        .bind(before.map(|(at, _)| at))
        .bind(before.map_or(0, |(_, seq)| seq))
        .fetch_all(pool)
        .await
        .context("reading the feed")
}

/// The items of an agent's feed after position `after`, oldest first: what a stream
/// resuming with `Last-Event-ID` missed.
pub async fn after(
    pool: &PgPool,
    departments: &[String],
    themes: &[String],
    after: i64,
    limit: i64,
) -> anyhow::Result<Vec<ItemRow>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM feed_items f
         WHERE (f.department = ANY($1) OR f.theme = ANY($2)) AND f.seq > $3
         ORDER BY f.seq LIMIT $4"
    );
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(departments)
        .bind(themes)
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
        .context("reading the feed after a position")
}

/// Every item after `after`, oldest first (the live hub catching up).
pub async fn all_after(pool: &PgPool, after: i64, limit: i64) -> anyhow::Result<Vec<ItemRow>> {
    let sql =
        format!("SELECT {COLUMNS} FROM feed_items f WHERE f.seq > $1 ORDER BY f.seq LIMIT $2");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(after)
        .bind(limit)
        .fetch_all(pool)
        .await
        .context("reading new feed items")
}

/// One item by position.
pub async fn by_seq(pool: &PgPool, seq: i64) -> anyhow::Result<Option<ItemRow>> {
    let sql = format!("SELECT {COLUMNS} FROM feed_items f WHERE f.seq = $1");
    sqlx::query_as(sqlx::AssertSqlSafe(sql))
        .bind(seq)
        .fetch_optional(pool)
        .await
        .context("reading a feed item")
}

/// The last position written (0 for an empty feed).
pub async fn last_seq(pool: &PgPool) -> anyhow::Result<i64> {
    sqlx::query_scalar("SELECT coalesce(max(seq), 0) FROM feed_items")
        .fetch_one(pool)
        .await
        .context("reading the feed's last position")
}

/// Unread items per theme and per department of the agent, and in all.
pub async fn unread_counts(
    pool: &PgPool,
    scope: &Scope<'_>,
) -> anyhow::Result<(Vec<(String, i64)>, i64)> {
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "WITH unread AS (
             SELECT f.theme, f.department FROM feed_items f
             WHERE (f.department = ANY($2) OR f.theme = ANY($3))
               AND NOT EXISTS (SELECT 1 FROM feed_reads r WHERE r.item_id = f.id AND r.agent_id = $1)
         )
         SELECT theme, count(*) FROM unread WHERE theme <> '' GROUP BY theme
         UNION ALL
         SELECT department, count(*) FROM unread WHERE department = ANY($2) GROUP BY department
         UNION ALL
         SELECT '', count(*) FROM unread",
    )
    .bind(scope.agent)
    .bind(scope.departments)
    .bind(scope.themes)
    .fetch_all(pool)
    .await
    .context("counting unread items")?;
    let total = rows
        .iter()
        .find(|(tab, _)| tab.is_empty())
        .map_or(0, |(_, n)| *n);
    let tabs = rows
        .into_iter()
        .filter(|(tab, _)| !tab.is_empty())
        .collect();
    Ok((tabs, total))
}

/// What to mark read.
#[derive(Debug, Clone)]
pub enum Mark {
    Items(Vec<Uuid>),
    /// Everything up to a position, in one tab or the whole feed.
    UpTo {
        tab: String,
        seq: i64,
    },
}

/// Marks items of the agent's feed read; items outside it are ignored.
pub async fn mark_read(
    pool: &PgPool,
    scope: &Scope<'_>,
    mark: &Mark,
    at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    let (ids, tab, up_to): (Vec<Uuid>, &str, i64) = match mark {
        Mark::Items(ids) => (ids.clone(), "", i64::MAX),
        Mark::UpTo { tab, seq } => (Vec::new(), tab.as_str(), *seq),
    };
    let by_id = matches!(mark, Mark::Items(_));
    let done = sqlx::query(
        "INSERT INTO feed_reads (agent_id, item_id, read_at)
         SELECT $1, f.id, $7 FROM feed_items f
         WHERE (f.department = ANY($2) OR f.theme = ANY($3))
           AND (($4 AND f.id = ANY($5)) OR (NOT $4 AND f.seq <= $6 AND ($8 = '' OR f.theme = $8 OR f.department = $8)))
         ON CONFLICT DO NOTHING",
    )
    .bind(scope.agent)
    .bind(scope.departments)
    .bind(scope.themes)
    .bind(by_id)
    .bind(&ids)
    .bind(up_to)
    .bind(at)
    .bind(tab)
    .execute(pool)
    .await
    .context("marking feed items read")?;
    Ok(done.rows_affected())
}
