//! SQL for teleservices, their versions, drafts, uploads and demands. Writes take the
//! caller's transaction so a state change and its outbox event commit together.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::demand::{
    list,
    timeline::{self, TimelineRow},
};
use serde_json::Value;
use sqlx::{PgConnection, PgPool, types::Json};
use uuid::Uuid;

use crate::{form::Definition, pilot::Pilot};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TeleserviceRow {
    pub id: Uuid,
    pub slug: String,
    pub state: String,
    pub live_version: Option<i32>,
    pub pilot: Option<Json<Pilot>>,
    pub updated_at: DateTime<Utc>,
}

/// A teleservice with the definition residents fill now.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveRow {
    pub id: Uuid,
    pub slug: String,
    pub state: String,
    pub live_version: i32,
    pub pilot: Option<Json<Pilot>>,
    pub definition: Json<Definition>,
}

pub async fn teleservice(
    conn: &mut PgConnection,
    slug: &str,
    lock: bool,
) -> anyhow::Result<Option<TeleserviceRow>> {
    let sql = if lock {
        "SELECT id, slug, state, live_version, pilot, updated_at FROM teleservices WHERE slug = $1 FOR UPDATE"
    } else {
        "SELECT id, slug, state, live_version, pilot, updated_at FROM teleservices WHERE slug = $1"
    };
    sqlx::query_as(sql)
        .bind(slug)
        .fetch_optional(conn)
        .await
        .context("reading a teleservice")
}

pub async fn all_teleservices(pool: &PgPool) -> anyhow::Result<Vec<TeleserviceRow>> {
    sqlx::query_as(
        "SELECT id, slug, state, live_version, pilot, updated_at FROM teleservices ORDER BY slug",
    )
    .fetch_all(pool)
    .await
    .context("listing teleservices")
}

pub async fn insert_teleservice(
    conn: &mut PgConnection,
    id: Uuid,
    slug: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO teleservices (id, slug, state, created_at, updated_at) VALUES ($1, $2, 'draft', $3, $3)",
    )
    .bind(id)
    .bind(slug)
    .bind(at)
    .execute(conn)
    .await
    .context("creating a teleservice")?;
    Ok(())
}

pub async fn set_state(
    conn: &mut PgConnection,
    id: Uuid,
    state: &str,
    live_version: Option<i32>,
    pilot: Option<&Pilot>,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "UPDATE teleservices SET state = $2, live_version = $3, pilot = $4, updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(live_version)
    .bind(pilot.map(Json))
    .bind(at)
    .execute(conn)
    .await
    .context("changing a teleservice's state")?;
    Ok(())
}

/// The version being edited, if any.
pub async fn draft_version(
    conn: &mut PgConnection,
    teleservice: Uuid,
) -> anyhow::Result<Option<(i32, Json<Definition>)>> {
    sqlx::query_as(
        "SELECT version, definition FROM versions WHERE teleservice_id = $1 AND frozen_at IS NULL",
    )
    .bind(teleservice)
    .fetch_optional(conn)
    .await
    .context("reading a draft version")
}

/// A version's definition; `frozen_only` hides the one being edited.
pub async fn version(
    conn: &mut PgConnection,
    teleservice: Uuid,
    version: i32,
    frozen_only: bool,
) -> anyhow::Result<Option<Json<Definition>>> {
    sqlx::query_scalar(
        "SELECT definition FROM versions
         WHERE teleservice_id = $1 AND version = $2 AND (NOT $3 OR frozen_at IS NOT NULL)",
    )
    .bind(teleservice)
    .bind(version)
    .bind(frozen_only)
    .fetch_optional(conn)
    .await
    .context("reading a version")
}

/// Replaces the draft version's definition, or starts a new draft version.
pub async fn save_draft_version(
    conn: &mut PgConnection,
    teleservice: Uuid,
    definition: &Definition,
    author: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<i32> {
    let updated: Option<i32> = sqlx::query_scalar(
        "UPDATE versions SET definition = $2, updated_at = $3, created_by = $4
         WHERE teleservice_id = $1 AND frozen_at IS NULL RETURNING version",
    )
    .bind(teleservice)
    .bind(Json(definition))
    .bind(at)
    .bind(author)
    .fetch_optional(&mut *conn)
    .await
    .context("updating a draft version")?;
    if let Some(version) = updated {
        return Ok(version);
    }
    sqlx::query_scalar(
        "INSERT INTO versions (teleservice_id, version, definition, created_by, updated_at)
         SELECT $1, COALESCE(MAX(version), 0) + 1, $2, $4, $3 FROM versions WHERE teleservice_id = $1
         RETURNING version",
    )
    .bind(teleservice)
    .bind(Json(definition))
    .bind(at)
    .bind(author)
    .fetch_one(conn)
    .await
    .context("starting a draft version")
}

pub async fn freeze(
    conn: &mut PgConnection,
    teleservice: Uuid,
    version: i32,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE versions SET frozen_at = $3 WHERE teleservice_id = $1 AND version = $2")
        .bind(teleservice)
        .bind(version)
        .bind(at)
        .execute(conn)
        .await
        .context("freezing a version")?;
    Ok(())
}

/// Teleservices residents may see now (piloted or published), with their live version.
macro_rules! select_live {
    () => {
        "SELECT t.id, t.slug, t.state, t.live_version, t.pilot, v.definition
         FROM teleservices t JOIN versions v ON v.teleservice_id = t.id AND v.version = t.live_version
         WHERE t.state IN ('pilot', 'published') "
    };
}

pub async fn live(pool: &PgPool) -> anyhow::Result<Vec<LiveRow>> {
    sqlx::query_as(concat!(select_live!(), "ORDER BY v.definition->>'title'"))
        .fetch_all(pool)
        .await
        .context("listing the catalog")
}

/// One teleservice residents may see now, if it is piloted or published.
pub async fn live_one(pool: &PgPool, slug: &str) -> anyhow::Result<Option<LiveRow>> {
    sqlx::query_as(concat!(select_live!(), "AND t.slug = $1"))
        .bind(slug)
        .fetch_optional(pool)
        .await
        .context("reading a live teleservice")
}

// ------------------------------------------------------------------------ drafts

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DraftRow {
    pub id: Uuid,
    pub slug: String,
    pub version: i32,
    pub resident_id: Option<String>,
    pub data: Json<Value>,
    pub channel: String,
    pub updated_at: DateTime<Utc>,
    pub tracking_number: Option<String>,
    /// The title of the version it is filled against.
    pub title: String,
}

macro_rules! select_draft {
    () => {
        "SELECT d.id, t.slug, d.version, d.resident_id, d.data, d.channel,
            d.updated_at, d.tracking_number,
            coalesce(v.definition->>'title', t.slug) AS title
         FROM drafts d JOIN teleservices t ON t.id = d.teleservice_id
         LEFT JOIN versions v ON v.teleservice_id = d.teleservice_id AND v.version = d.version "
    };
}

/// Removes a draft never submitted, and its files.
pub async fn delete_draft(conn: &mut PgConnection, id: Uuid) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM attachments WHERE draft_id = $1 AND demand_id IS NULL")
        .bind(id)
        .execute(&mut *conn)
        .await
        .context("removing a draft's files")?;
    sqlx::query("DELETE FROM drafts WHERE id = $1 AND tracking_number IS NULL")
        .bind(id)
        .execute(conn)
        .await
        .context("removing a draft")?;
    Ok(())
}

/// Removes one file of a draft never submitted; false when there is no such file.
pub async fn delete_draft_attachment(
    conn: &mut PgConnection,
    draft: Uuid,
    id: Uuid,
) -> anyhow::Result<bool> {
    let deleted = sqlx::query(
        "DELETE FROM attachments WHERE draft_id = $1 AND id = $2 AND demand_id IS NULL",
    )
    .bind(draft)
    .bind(id)
    .execute(conn)
    .await
    .context("removing a draft's file")?;
    Ok(deleted.rows_affected() > 0)
}

pub async fn draft(
    conn: &mut PgConnection,
    id: Uuid,
    lock: bool,
) -> anyhow::Result<Option<DraftRow>> {
    let sql = if lock {
        concat!(select_draft!(), "WHERE d.id = $1 FOR UPDATE OF d")
    } else {
        concat!(select_draft!(), "WHERE d.id = $1")
    };
    sqlx::query_as(sql)
        .bind(id)
        .fetch_optional(conn)
        .await
        .context("reading a draft")
}

pub async fn drafts_of(pool: &PgPool, resident: &str) -> anyhow::Result<Vec<DraftRow>> {
    sqlx::query_as(concat!(
        select_draft!(),
        "WHERE d.resident_id = $1 AND d.tracking_number IS NULL ORDER BY d.updated_at DESC LIMIT 50"
    ))
    .bind(resident)
    .fetch_all(pool)
    .await
    .context("listing drafts")
}

#[allow(clippy::too_many_arguments)] // one column each
pub async fn insert_draft(
    conn: &mut PgConnection,
    id: Uuid,
    teleservice: Uuid,
    version: i32,
    resident: Option<&str>,
    data: &Value,
    channel: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO drafts (id, teleservice_id, version, resident_id, data, channel, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7)",
    )
    .bind(id)
    .bind(teleservice)
    .bind(version)
    .bind(resident)
    .bind(Json(data))
    .bind(channel)
    .bind(at)
    .execute(conn)
    .await
    .context("storing a draft")?;
    Ok(())
}

pub async fn update_draft(
    conn: &mut PgConnection,
    id: Uuid,
    data: &Value,
    channel: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE drafts SET data = $2, channel = $3, updated_at = $4 WHERE id = $1")
        .bind(id)
        .bind(Json(data))
        .bind(channel)
        .bind(at)
        .execute(conn)
        .await
        .context("saving a draft")?;
    Ok(())
}

pub async fn mark_submitted(
    conn: &mut PgConnection,
    draft: Uuid,
    tracking_number: &str,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE drafts SET tracking_number = $2 WHERE id = $1")
        .bind(draft)
        .bind(tracking_number)
        .execute(conn)
        .await
        .context("marking a draft submitted")?;
    Ok(())
}

// ------------------------------------------------------------------------ uploads

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AttachmentRow {
    pub id: Uuid,
    pub filename: String,
    pub mime_type: String,
    pub size: i64,
    pub sha256: String,
}

pub struct NewAttachment<'a> {
    pub id: Uuid,
    /// The draft it was uploaded to, or none when sent for a demand already filed.
    pub draft: Option<Uuid>,
    /// The demand it belongs to, once filed.
    pub demand: Option<Uuid>,
    pub filename: &'a str,
    pub mime_type: &'a str,
    pub sha256: &'a str,
    pub content: &'a [u8],
    pub at: DateTime<Utc>,
}

pub async fn insert_attachment(
    conn: &mut PgConnection,
    upload: &NewAttachment<'_>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO attachments (id, draft_id, demand_id, filename, mime_type, size, sha256, content, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(upload.id)
    .bind(upload.draft)
    .bind(upload.demand)
    .bind(upload.filename)
    .bind(upload.mime_type)
    .bind(i64::try_from(upload.content.len()).unwrap_or(i64::MAX))
    .bind(upload.sha256)
    .bind(upload.content)
    .bind(upload.at)
    .execute(conn)
    .await
    .context("storing an upload")?;
    Ok(())
}

pub async fn draft_attachments(
    conn: &mut PgConnection,
    draft: Uuid,
) -> anyhow::Result<Vec<AttachmentRow>> {
    sqlx::query_as(
        "SELECT id, filename, mime_type, size, sha256 FROM attachments WHERE draft_id = $1 ORDER BY created_at, id",
    )
    .bind(draft)
    .fetch_all(conn)
    .await
    .context("listing a draft's uploads")
}

pub async fn demand_attachments(
    conn: &mut PgConnection,
    demand: Uuid,
) -> anyhow::Result<Vec<AttachmentRow>> {
    sqlx::query_as(
        "SELECT id, filename, mime_type, size, sha256 FROM attachments WHERE demand_id = $1 ORDER BY created_at, id",
    )
    .bind(demand)
    .fetch_all(conn)
    .await
    .context("listing a demand's attachments")
}

pub async fn attach(conn: &mut PgConnection, demand: Uuid, ids: &[Uuid]) -> anyhow::Result<()> {
    sqlx::query("UPDATE attachments SET demand_id = $1 WHERE id = ANY($2)")
        .bind(demand)
        .bind(ids)
        .execute(conn)
        .await
        .context("attaching uploads to a demand")?;
    Ok(())
}

/// What a file belongs to: a filed demand, or a draft being filled.
#[derive(Debug, Clone, Copy)]
pub enum AttachmentOwner {
    Demand(Uuid),
    Draft(Uuid),
}

pub async fn attachment_content(
    conn: &mut PgConnection,
    owner: AttachmentOwner,
    id: Uuid,
) -> anyhow::Result<Option<(AttachmentRow, Vec<u8>)>> {
    let (query, owner) = match owner {
        AttachmentOwner::Demand(demand) => (
            "SELECT id, filename, mime_type, size, sha256, content FROM attachments WHERE demand_id = $1 AND id = $2",
            demand,
        ),
        AttachmentOwner::Draft(draft) => (
            "SELECT id, filename, mime_type, size, sha256, content FROM attachments WHERE draft_id = $1 AND id = $2",
            draft,
        ),
    };
    let row: Option<(Uuid, String, String, i64, String, Vec<u8>)> = sqlx::query_as(query)
        .bind(owner)
        .bind(id)
        .fetch_optional(conn)
        .await
        .context("reading an attachment")?;
    Ok(row.map(|(id, filename, mime_type, size, sha256, content)| {
        (
            AttachmentRow {
                id,
                filename,
                mime_type,
                size,
                sha256,
            },
            content,
        )
    }))
}

// ------------------------------------------------------------------------ demands

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DemandRow {
    pub id: Uuid,
    pub tracking_number: String,
    pub teleservice_id: Uuid,
    pub slug: String,
    pub version: i32,
    pub title: String,
    pub theme: String,
    pub department: String,
    pub resident_id: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub business_siret: Option<String>,
    pub business_name: Option<String>,
    pub channel: String,
    pub status: String,
    pub sub_status: String,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

macro_rules! demand_columns {
    () => {
        "SELECT d.id, d.tracking_number, d.teleservice_id, t.slug, d.version, d.title, d.theme,
            d.department, d.resident_id, d.contact_name, d.contact_email, d.contact_phone, d.business_siret,
            d.business_name, d.channel, d.status, d.sub_status, d.created_at, d.due_at "
    };
}
macro_rules! from_demands {
    () => {
        "FROM demands d JOIN teleservices t ON t.id = d.teleservice_id "
    };
}
macro_rules! select_demand {
    () => {
        concat!(demand_columns!(), from_demands!())
    };
}

pub async fn demand(
    conn: &mut PgConnection,
    tracking_number: &str,
    lock: bool,
) -> anyhow::Result<Option<DemandRow>> {
    let sql = if lock {
        concat!(
            select_demand!(),
            "WHERE d.tracking_number = $1 FOR UPDATE OF d"
        )
    } else {
        concat!(select_demand!(), "WHERE d.tracking_number = $1")
    };
    sqlx::query_as(sql)
        .bind(tracking_number)
        .fetch_optional(conn)
        .await
        .context("reading a demand")
}

/// Newest first, for a department's or a resident's list.
pub async fn demands(pool: &PgPool, page: &list::Page) -> anyhow::Result<Vec<DemandRow>> {
    list::fetch(
        pool,
        concat!(
            select_demand!(),
            guichet_kit::demand_list_sql!("d", "created_at")
        ),
        page,
    )
    .await
    .context("listing demands")
}

/// A demand and its timeline, oldest entry first, in one query.
pub async fn read(
    pool: &PgPool,
    tracking_number: &str,
) -> anyhow::Result<Option<(DemandRow, Vec<TimelineRow>)>> {
    timeline::read(
        pool,
        concat!(
            demand_columns!(),
            ", ",
            guichet_kit::timeline_json!("d.id"),
            " AS timeline ",
            from_demands!(),
            "WHERE d.tracking_number = $1"
        ),
        tracking_number,
    )
    .await
}

/// The desk's search over the demands an agent's departments or themes reach, with
/// the parameters kit's `search_demands` binds.
pub const SEARCH: &str = concat!(
    select_demand!(),
    "WHERE ($1 OR d.department = ANY($2) OR d.theme = ANY($3))
       AND (d.tracking_number = $4
         OR lower(d.contact_email) = $5
         OR (d.contact_phone <> '' AND ",
    guichet_kit::national_phone_sql!("d.contact_phone"),
    " = $6)
         OR (cardinality($7::text[]) > 0 AND d.contact_name <> ''
             AND (SELECT bool_and(kit.fold(d.contact_name) LIKE '%' || kit.fold(w) || '%') FROM unnest($7::text[]) AS w))
         OR d.resident_id = ANY($8))
     ORDER BY d.created_at DESC LIMIT $9"
);

/// A demand about to be stored.
pub struct NewDemand<'a> {
    pub id: Uuid,
    pub tracking_number: &'a str,
    pub teleservice: Uuid,
    pub version: i32,
    pub title: &'a str,
    pub theme: &'a str,
    pub department: &'a str,
    pub data: &'a Value,
    pub resident: Option<&'a str>,
    pub contact: (&'a str, &'a str, &'a str),
    pub business: Option<&'a (String, String)>,
    pub channel: &'a str,
    pub at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

/// Stores a submitted demand.
pub async fn insert_demand(conn: &mut PgConnection, d: &NewDemand<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO demands (id, tracking_number, teleservice_id, version, title, theme, department,
            data, resident_id, contact_name, contact_email, contact_phone, business_siret, business_name,
            channel, status, created_at, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, 'submitted', $16, $17)",
    )
    .bind(d.id)
    .bind(d.tracking_number)
    .bind(d.teleservice)
    .bind(d.version)
    .bind(d.title)
    .bind(d.theme)
    .bind(d.department)
    .bind(Json(d.data))
    .bind(d.resident)
    .bind(d.contact.0)
    .bind(d.contact.1)
    .bind(d.contact.2)
    .bind(d.business.map(|b| &b.0))
    .bind(d.business.map(|b| &b.1))
    .bind(d.channel)
    .bind(d.at)
    .bind(d.due_at)
    .execute(conn)
    .await
    .context("storing a demand")?;
    Ok(())
}

pub async fn demand_data(conn: &mut PgConnection, id: Uuid) -> anyhow::Result<Value> {
    let data: Json<Value> = sqlx::query_scalar("SELECT data FROM demands WHERE id = $1")
        .bind(id)
        .fetch_one(conn)
        .await
        .context("reading a demand's answers")?;
    Ok(data.0)
}

/// The agent taking a demand (putting it in progress) becomes its assignee.
pub async fn take(conn: &mut PgConnection, id: Uuid, agent: (&str, &str)) -> anyhow::Result<()> {
    sqlx::query("UPDATE demands SET assignee_id = $2, assignee_name = $3 WHERE id = $1")
        .bind(id)
        .bind(agent.0)
        .bind(agent.1)
        .execute(conn)
        .await
        .context("assigning a demand")?;
    Ok(())
}
