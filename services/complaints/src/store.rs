//! SQL for complaints, their categories and timelines. Writes take the caller's
//! transaction so the state change and its outbox event commit together.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use guichet_kit::demand::timeline::{self, TimelineRow};

use crate::domain::{Category, NewComplaint};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ComplaintRow {
    pub id: Uuid,
    pub tracking_number: String,
    pub category: String,
    pub category_label: String,
    /// Owner account, when filed by (or attached to) a signed-in resident.
    pub resident_id: Option<String>,
    pub business_siret: Option<String>,
    pub business_name: Option<String>,
    pub address: String,
    pub channel: String,
    pub department: String,
    pub status: String,
    pub sub_status: String,
    pub created_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
}

/// The complaint columns every read needs; a macro so queries stay `&'static str`.
macro_rules! select_complaint {
    () => {
        "SELECT c.id, c.tracking_number, c.category, k.label AS category_label, c.resident_id, c.business_siret, c.business_name, c.address,
        c.channel, c.department, c.status, c.sub_status, c.created_at, c.due_at
     FROM complaints c JOIN categories k ON k.code = c.category "
    };
}

pub async fn categories(pool: &PgPool) -> anyhow::Result<Vec<Category>> {
    sqlx::query_as(
        "SELECT code, label, department, priority, sla_days, competence
         FROM categories WHERE active ORDER BY position",
    )
    .fetch_all(pool)
    .await
    .context("listing categories")
}

pub async fn category(pool: &PgPool, code: &str) -> anyhow::Result<Option<Category>> {
    sqlx::query_as(
        "SELECT code, label, department, priority, sla_days, competence
         FROM categories WHERE active AND code = $1",
    )
    .bind(code.trim())
    .fetch_optional(pool)
    .await
    .context("reading a category")
}

/// The tracking number already filed under an idempotency key, if any.
pub async fn by_idempotency_key(pool: &PgPool, key: &str) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar("SELECT tracking_number FROM complaints WHERE idempotency_key = $1")
        .bind(key)
        .fetch_optional(pool)
        .await
        .context("looking up an idempotency key")
}

/// Inserts a complaint; `false` when another request with the same idempotency key won.
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    tracking_number: &str,
    complaint: &NewComplaint,
    status: &str,
    at: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO complaints (id, tracking_number, category, description, latitude, longitude,
            address, contact_name, contact_email, contact_phone, resident_id, channel, department,
            status, created_at, due_at, idempotency_key, business_siret, business_name)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind(id)
    .bind(tracking_number)
    .bind(&complaint.category.code)
    .bind(&complaint.description)
    .bind(complaint.latitude)
    .bind(complaint.longitude)
    .bind(&complaint.address)
    .bind(&complaint.contact_name)
    .bind(&complaint.contact_email)
    .bind(&complaint.contact_phone)
    .bind(&complaint.resident_id)
    .bind(guichet_proto::names::channel(complaint.channel))
    .bind(&complaint.category.department)
    .bind(status)
    .bind(at)
    .bind(due_at)
    .bind(&complaint.idempotency_key)
    .bind(complaint.business.as_ref().map(|b| &b.0))
    .bind(complaint.business.as_ref().map(|b| &b.1))
    .execute(conn)
    .await
    .context("storing a complaint")?;
    Ok(inserted.rows_affected() == 1)
}

/// A complaint and its timeline, oldest entry first.
pub async fn load(
    pool: &PgPool,
    tracking_number: &str,
) -> anyhow::Result<Option<(ComplaintRow, Vec<TimelineRow>)>> {
    let complaint: Option<ComplaintRow> =
        sqlx::query_as(concat!(select_complaint!(), "WHERE c.tracking_number = $1"))
            .bind(tracking_number)
            .fetch_optional(pool)
            .await
            .context("reading a complaint")?;
    let Some(complaint) = complaint else {
        return Ok(None);
    };
    let mut conn = pool.acquire().await.context("reading a timeline")?;
    let timeline = timeline::load(&mut conn, complaint.id).await?;
    Ok(Some((complaint, timeline)))
}

/// Locks a complaint for a change, so concurrent agents apply changes one at a time.
pub async fn lock(
    conn: &mut PgConnection,
    tracking_number: &str,
) -> anyhow::Result<Option<ComplaintRow>> {
    sqlx::query_as(concat!(
        select_complaint!(),
        "WHERE c.tracking_number = $1 FOR UPDATE OF c"
    ))
    .bind(tracking_number)
    .fetch_optional(conn)
    .await
    .context("locking a complaint")
}

pub async fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    sub_status: &str,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE complaints SET status = $2, sub_status = $3 WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(sub_status)
        .execute(conn)
        .await
        .context("changing a complaint's status")?;
    Ok(())
}

/// Newest first, for a department's or a resident's list.
pub async fn list(
    pool: &PgPool,
    department: Option<&str>,
    resident_id: Option<&str>,
    limit: i64,
) -> anyhow::Result<Vec<ComplaintRow>> {
    sqlx::query_as(concat!(
        select_complaint!(),
        "WHERE ($1::text IS NULL OR c.department = $1) AND ($2::text IS NULL OR c.resident_id = $2)
         ORDER BY c.created_at DESC LIMIT $3"
    ))
    .bind(department)
    .bind(resident_id)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("listing complaints")
}
