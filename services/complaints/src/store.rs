//! SQL for complaints, their categories and timelines. Writes take the caller's
//! transaction so the state change and its outbox event commit together.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use guichet_kit::demand::{
    access::After,
    list,
    timeline::{self, TimelineRow},
};

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
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    /// Contact left without an account: merges make its owner a follower of the kept one.
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    /// The resident's own words; shown only with the dossier.
    pub description: String,
}

/// The complaint columns every read needs; macros so queries stay `&'static str`.
macro_rules! complaint_columns {
    () => {
        "SELECT c.id, c.tracking_number, c.category, k.label AS category_label, c.resident_id, c.business_siret, c.business_name, c.address,
        c.channel, c.department, c.status, c.sub_status, c.created_at, c.due_at, c.latitude, c.longitude,
        c.contact_name, c.contact_email, c.contact_phone, c.description "
    };
}
macro_rules! select_complaint {
    () => {
        concat!(
            complaint_columns!(),
            "FROM complaints c JOIN categories k ON k.code = c.category "
        )
    };
}

/// Statuses after which nothing more happens, as SQL (same list as `demand::is_final`).
macro_rules! open_only {
    () => {
        " c.status NOT IN ('resolved', 'rejected', 'closed') "
    };
}

/// Great-circle distance in metres from ($1, $2) to the complaint (haversine).
macro_rules! distance {
    () => {
        "2 * 6371008.8 * asin(least(1, sqrt(power(sin(radians(c.latitude - $1) / 2), 2)
            + cos(radians($1)) * cos(radians(c.latitude)) * power(sin(radians(c.longitude - $2) / 2), 2))))"
    };
}

/// What anyone may see of a complaint; `$1`, `$2` are the point distances are from.
macro_rules! select_public {
    () => {
        concat!(
            "SELECT c.id, c.category, k.label AS category_label, c.department, c.status, c.sub_status,
                c.latitude, c.longitude, c.address, c.created_at, c.updated_at, c.due_at, c.merged_into,
                (SELECT count(*) FROM followers f WHERE f.complaint_id = c.id) AS followers,
                coalesce((SELECT t.text FROM timeline t WHERE t.demand_id = c.id AND t.kind = 'status_change'
                    AND t.author_role = 'agent' AND t.text <> '' ORDER BY t.at DESC, t.id DESC LIMIT 1), '') AS status_notes,
                CASE WHEN $1::float8 IS NULL OR c.latitude IS NULL THEN 0 ELSE ",
            distance!(),
            " END AS distance_m
             FROM complaints c JOIN categories k ON k.code = c.category "
        )
    };
}

/// A complaint as the public (map, Open311, followers) sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PublicRow {
    pub id: Uuid,
    pub category: String,
    pub category_label: String,
    pub department: String,
    pub status: String,
    pub sub_status: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub merged_into: Option<Uuid>,
    pub followers: i64,
    pub status_notes: String,
    pub distance_m: f64,
}

/// The catalogue residents choose from; administrators also see inactive entries.
pub async fn categories(
    pool: &PgPool,
    include_inactive: bool,
) -> anyhow::Result<Vec<(Category, bool)>> {
    let rows: Vec<CategoryRow> = sqlx::query_as(
        "SELECT code, label, department, priority, sla_days, competence, active
         FROM categories WHERE active OR $1 ORDER BY position, code",
    )
    .bind(include_inactive)
    .fetch_all(pool)
    .await
    .context("listing categories")?;
    Ok(rows.into_iter().map(CategoryRow::split).collect())
}

#[derive(sqlx::FromRow)]
struct CategoryRow {
    #[sqlx(flatten)]
    category: Category,
    active: bool,
}

impl CategoryRow {
    fn split(self) -> (Category, bool) {
        (self.category, self.active)
    }
}

/// Creates or edits a category; a new one goes last in the list.
pub async fn upsert_category(
    conn: &mut PgConnection,
    category: &Category,
    active: bool,
) -> anyhow::Result<(Category, bool)> {
    let row: CategoryRow = sqlx::query_as(
        "INSERT INTO categories (code, label, department, priority, sla_days, competence, active, position)
         VALUES ($1, $2, $3, $4, $5, $6, $7, (SELECT coalesce(max(position), 0) + 1 FROM categories))
         ON CONFLICT (code) DO UPDATE SET label = $2, department = $3, priority = $4, sla_days = $5,
             competence = $6, active = $7
         RETURNING code, label, department, priority, sla_days, competence, active",
    )
    .bind(&category.code)
    .bind(&category.label)
    .bind(&category.department)
    .bind(&category.priority)
    .bind(category.sla_days)
    .bind(&category.competence)
    .bind(active)
    .fetch_one(conn)
    .await
    .context("saving a category")?;
    Ok(row.split())
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

/// Inserts a complaint.
pub async fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    tracking_number: &str,
    complaint: &NewComplaint,
    status: &str,
    at: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> anyhow::Result<ComplaintRow> {
    sqlx::query(
        "INSERT INTO complaints (id, tracking_number, category, description, latitude, longitude,
            address, contact_name, contact_email, contact_phone, resident_id, channel, department,
            status, created_at, due_at, business_siret, business_name, updated_at, open311_client)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $15,
            $19)",
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
    .bind(complaint.business.as_ref().map(|b| &b.0))
    .bind(complaint.business.as_ref().map(|b| &b.1))
    .bind(&complaint.open311_client)
    .execute(conn)
    .await
    .context("storing a complaint")?;
    // What a read would give back, so the filing answers without one.
    Ok(ComplaintRow {
        id,
        tracking_number: tracking_number.to_owned(),
        category: complaint.category.code.clone(),
        category_label: complaint.category.label.clone(),
        resident_id: complaint.resident_id.clone(),
        business_siret: complaint.business.as_ref().map(|b| b.0.clone()),
        business_name: complaint.business.as_ref().map(|b| b.1.clone()),
        address: complaint.address.clone(),
        channel: guichet_proto::names::channel(complaint.channel),
        department: complaint.category.department.clone(),
        status: status.to_owned(),
        sub_status: String::new(),
        created_at: at,
        due_at,
        latitude: complaint.latitude,
        longitude: complaint.longitude,
        contact_name: complaint.contact_name.clone(),
        contact_email: complaint.contact_email.clone(),
        contact_phone: complaint.contact_phone.clone(),
        description: complaint.description.clone(),
    })
}

/// A complaint and its timeline, oldest entry first, in one round trip.
pub async fn load(
    pool: &PgPool,
    tracking_number: &str,
) -> anyhow::Result<Option<(ComplaintRow, Vec<TimelineRow>)>> {
    let sql = concat!(
        complaint_columns!(),
        ", ",
        guichet_kit::timeline_json!("c.id"),
        " AS timeline FROM complaints c JOIN categories k ON k.code = c.category
         WHERE c.tracking_number = $1"
    );
    timeline::read(pool, sql, tracking_number).await
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

/// Newest first, for a department's or a resident's list.
pub async fn list(pool: &PgPool, page: &list::Page) -> anyhow::Result<Vec<ComplaintRow>> {
    list::fetch(
        pool,
        concat!(
            select_complaint!(),
            guichet_kit::demand_list_sql!("c", "created_at")
        ),
        page,
    )
    .await
    .context("listing complaints")
}

// ---------------------------------------------------------------- the public view

/// Open complaints around a point, nearest first: the bounding box uses the partial
/// btree index, the exact distance filters what the box let through.
#[allow(clippy::too_many_arguments)] // one query, its parameters
pub async fn nearby(
    pool: &PgPool,
    lat: f64,
    lon: f64,
    radius_m: f64,
    category: Option<&str>,
    except: Option<Uuid>,
    limit: i64,
) -> anyhow::Result<Vec<PublicRow>> {
    let (min_lat, max_lat, min_lon, max_lon) = crate::domain::geo::bounding_box(lat, lon, radius_m);
    sqlx::query_as(concat!(
        "SELECT * FROM (",
        select_public!(),
        "WHERE c.latitude IS NOT NULL AND c.latitude BETWEEN $3 AND $4 AND c.longitude BETWEEN $5 AND $6
           AND",
        open_only!(),
        "AND ($7::text IS NULL OR c.category = $7) AND ($8::uuid IS NULL OR c.id <> $8)
         ) n WHERE n.distance_m <= $9 ORDER BY n.distance_m LIMIT $10"
    ))
    .bind(lat)
    .bind(lon)
    .bind(min_lat)
    .bind(max_lat)
    .bind(min_lon)
    .bind(max_lon)
    .bind(category)
    .bind(except)
    .bind(radius_m)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("finding complaints nearby")
}

pub async fn public(pool: &PgPool, id: Uuid) -> anyhow::Result<Option<PublicRow>> {
    sqlx::query_as(concat!(select_public!(), "WHERE c.id = $3"))
        .bind(None::<f64>)
        .bind(None::<f64>)
        .bind(id)
        .fetch_optional(pool)
        .await
        .context("reading a public complaint")
}

/// Open311 `GET requests`: by ids, or by codes, dates and open/closed, newest first.
pub async fn requests(
    pool: &PgPool,
    ids: Option<&[Uuid]>,
    codes: Option<&[String]>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    closed: Option<bool>,
    limit: i64,
) -> anyhow::Result<Vec<PublicRow>> {
    sqlx::query_as(concat!(
        select_public!(),
        "WHERE ($3::uuid[] IS NULL OR c.id = ANY($3)) AND ($4::text[] IS NULL OR c.category = ANY($4))
           AND ($5::timestamptz IS NULL OR c.created_at >= $5) AND ($6::timestamptz IS NULL OR c.created_at <= $6)
           AND ($7::bool IS NULL OR (c.status IN ('resolved', 'rejected', 'closed')) = $7)
         ORDER BY c.created_at DESC, c.id DESC LIMIT $8"
    ))
    .bind(None::<f64>)
    .bind(None::<f64>)
    .bind(ids)
    .bind(codes)
    .bind(start)
    .bind(end)
    .bind(closed)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("listing Open311 requests")
}

// ---------------------------------------------------------------- photos

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PhotoRow {
    pub id: Uuid,
    pub mime_type: String,
    pub size: i32,
    pub sha256: String,
    pub channel: String,
    pub added_at: DateTime<Utc>,
}

pub async fn insert_photo(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    photo: &crate::domain::photos::CheckedPhoto,
    channel: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<PhotoRow> {
    let row = PhotoRow {
        id: Uuid::now_v7(),
        mime_type: photo.mime_type.to_owned(),
        size: i32::try_from(photo.content.len()).unwrap_or(i32::MAX),
        sha256: photo.sha256.clone(),
        channel: channel.to_owned(),
        added_at: at,
    };
    sqlx::query(
        "INSERT INTO photos (id, complaint_id, mime_type, size, sha256, content, channel, added_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(row.id)
    .bind(complaint_id)
    .bind(&row.mime_type)
    .bind(row.size)
    .bind(&row.sha256)
    .bind(&photo.content)
    .bind(&row.channel)
    .bind(at)
    .execute(conn)
    .await
    .context("storing a photo")?;
    Ok(row)
}

pub async fn photos(conn: &mut PgConnection, complaint_id: Uuid) -> anyhow::Result<Vec<PhotoRow>> {
    sqlx::query_as(
        "SELECT id, mime_type, size, sha256, channel, added_at FROM photos
         WHERE complaint_id = $1 ORDER BY added_at, id",
    )
    .bind(complaint_id)
    .fetch_all(conn)
    .await
    .context("listing photos")
}

pub async fn photo(
    pool: &PgPool,
    complaint_id: Uuid,
    id: Uuid,
) -> anyhow::Result<Option<(PhotoRow, Vec<u8>)>> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        info: PhotoRow,
        content: Vec<u8>,
    }
    let row: Option<Row> = sqlx::query_as(
        "SELECT id, mime_type, size, sha256, channel, added_at, content FROM photos
         WHERE complaint_id = $1 AND id = $2",
    )
    .bind(complaint_id)
    .bind(id)
    .fetch_optional(pool)
    .await
    .context("reading a photo")?;
    Ok(row.map(|r| (r.info, r.content)))
}

// ---------------------------------------------------------------- followers

/// Someone who said "me too": an account, or a contact.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Follower {
    pub resident_id: Option<String>,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
}

impl Follower {
    /// Whether there is anyone to tell.
    pub fn is_reachable(&self) -> bool {
        self.resident_id.is_some()
            || !self.contact_email.is_empty()
            || !self.contact_phone.is_empty()
    }
}

/// Records a follower; `false` when they already followed it.
pub async fn add_follower(
    conn: &mut PgConnection,
    complaint_id: Uuid,
    follower: &Follower,
    channel: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "INSERT INTO followers (id, complaint_id, resident_id, contact_name, contact_email, contact_phone,
            channel, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
    )
    .bind(Uuid::now_v7())
    .bind(complaint_id)
    .bind(&follower.resident_id)
    .bind(&follower.contact_name)
    .bind(&follower.contact_email)
    .bind(&follower.contact_phone)
    .bind(channel)
    .bind(at)
    .execute(conn)
    .await
    .context("recording a follower")?;
    Ok(done.rows_affected() == 1)
}

pub async fn followers(
    conn: &mut PgConnection,
    complaint_id: Uuid,
) -> anyhow::Result<Vec<Follower>> {
    sqlx::query_as(
        "SELECT resident_id, contact_name, contact_email, contact_phone FROM followers
         WHERE complaint_id = $1 ORDER BY created_at, id",
    )
    .bind(complaint_id)
    .fetch_all(conn)
    .await
    .context("listing followers")
}

/// A merge: the duplicate's followers follow the kept complaint (once each).
pub async fn move_followers(conn: &mut PgConnection, from: Uuid, to: Uuid) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO followers (id, complaint_id, resident_id, contact_name, contact_email, contact_phone,
            channel, created_at)
         SELECT gen_random_uuid(), $2, resident_id, contact_name, contact_email, contact_phone, channel, created_at
         FROM followers WHERE complaint_id = $1 ON CONFLICT DO NOTHING",
    )
    .bind(from)
    .bind(to)
    .execute(&mut *conn)
    .await
    .context("moving followers")?;
    sqlx::query("DELETE FROM followers WHERE complaint_id = $1")
        .bind(from)
        .execute(conn)
        .await
        .context("moving followers")?;
    Ok(())
}

// ---------------------------------------------------------------- handling

pub async fn lock_by_id(conn: &mut PgConnection, id: Uuid) -> anyhow::Result<Option<ComplaintRow>> {
    sqlx::query_as(concat!(
        select_complaint!(),
        "WHERE c.id = $1 FOR UPDATE OF c"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
    .context("locking a complaint")
}

pub async fn set_department(
    conn: &mut PgConnection,
    id: Uuid,
    department: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query("UPDATE complaints SET department = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(department)
        .bind(at)
        .execute(conn)
        .await
        .context("reassigning a complaint")?;
    Ok(())
}

pub async fn mark_merged(conn: &mut PgConnection, id: Uuid, into: Uuid) -> anyhow::Result<()> {
    sqlx::query("UPDATE complaints SET merged_into = $2 WHERE id = $1")
        .bind(id)
        .bind(into)
        .execute(conn)
        .await
        .context("merging a complaint")?;
    Ok(())
}

/// Which complaints an agent's lists and searches may show.
#[derive(Debug, Clone)]
pub struct Reach<'a> {
    /// MRU supervisors: every complaint.
    pub everything: bool,
    pub departments: &'a [String],
    pub themes: &'a [String],
}

/// Open complaints past their due date, most overdue first.
pub async fn overdue(
    pool: &PgPool,
    reach: &Reach<'_>,
    department: Option<&str>,
    now: DateTime<Utc>,
    after: Option<&After>,
    limit: i64,
) -> anyhow::Result<Vec<ComplaintRow>> {
    let (after_due, after_number) = After::binds(after);
    sqlx::query_as(concat!(
        select_complaint!(),
        "WHERE",
        open_only!(),
        "AND c.due_at < $1
           AND ($2 OR c.department = ANY($3) OR ('complaint:' || c.category) = ANY($4))
           AND ($5::text IS NULL OR c.department = $5)
           AND ($7::timestamptz IS NULL OR (c.due_at, c.tracking_number) > ($7, $8))
         ORDER BY c.due_at, c.tracking_number LIMIT $6"
    ))
    .bind(now)
    .bind(reach.everything)
    .bind(reach.departments)
    .bind(reach.themes)
    .bind(department)
    .bind(limit)
    .bind(after_due)
    .bind(after_number)
    .fetch_all(pool)
    .await
    .context("listing overdue complaints")
}

/// Whether some complaint category routes to `department`.
pub async fn handles_complaints(conn: &mut PgConnection, department: &str) -> anyhow::Result<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM categories WHERE department = $1)")
        .bind(department)
        .fetch_one(conn)
        .await
        .context("checking a department")
}

/// The desk's search over complaints, with the parameters kit's `search_demands` binds;
/// MRU supervisors reach every complaint.
pub const SEARCH: &str = concat!(
    select_complaint!(),
    r"WHERE ($1 OR c.department = ANY($2) OR ('complaint:' || c.category) = ANY($3))
           AND (c.tracking_number = $4
             OR lower(c.contact_email) = lower($5)
             OR (c.contact_phone <> '' AND ",
    guichet_kit::national_phone_sql!("c.contact_phone"),
    r" = $6)
             OR (cardinality($7::text[]) > 0 AND c.contact_name <> ''
                 AND (SELECT bool_and(kit.fold(c.contact_name) LIKE '%' || kit.fold(w) || '%') FROM unnest($7::text[]) AS w))
             OR c.resident_id = ANY($8))
         ORDER BY c.created_at DESC LIMIT $9"
);

// ---------------------------------------------------------------- Open311 keys

/// Revokes a key; its label and issue date, or `None` when no live key has this id.
pub async fn revoke_api_key(
    conn: &mut sqlx::PgConnection,
    id: Uuid,
    at: DateTime<Utc>,
) -> anyhow::Result<Option<(String, DateTime<Utc>)>> {
    sqlx::query_as(
        "UPDATE open311_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
         RETURNING label, created_at",
    )
    .bind(id)
    .bind(at)
    .fetch_optional(conn)
    .await
    .context("revoking an Open311 key")
}

pub async fn insert_api_key(
    pool: &PgPool,
    id: Uuid,
    label: &str,
    key_sha256: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO open311_keys (id, label, key_sha256, created_at) VALUES ($1, $2, $3, $4)",
    )
    .bind(id)
    .bind(label)
    .bind(key_sha256)
    .bind(at)
    .execute(pool)
    .await
    .context("storing an API key")?;
    Ok(())
}

/// An Open311 key as listed: id, label, issued, revoked.
pub type ApiKeyRow = (Uuid, String, DateTime<Utc>, Option<DateTime<Utc>>);

pub async fn api_keys(pool: &PgPool) -> anyhow::Result<Vec<ApiKeyRow>> {
    sqlx::query_as(
        "SELECT id, label, created_at, revoked_at FROM open311_keys ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await
    .context("listing API keys")
}

/// The label of the live key with this digest.
pub async fn api_key_label(pool: &PgPool, key_sha256: &str) -> anyhow::Result<Option<String>> {
    sqlx::query_scalar(
        "SELECT label FROM open311_keys WHERE key_sha256 = $1 AND revoked_at IS NULL",
    )
    .bind(key_sha256)
    .fetch_optional(pool)
    .await
    .context("checking an API key")
}
