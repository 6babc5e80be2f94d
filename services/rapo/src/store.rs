//! SQL for the FPS registry, disputes, their pieces and timelines. Writes take the
//! caller's transaction so a state change and its outbox event commit together.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use guichet_kit::demand::{
    access::After,
    list,
    timeline::{self, TimelineRow},
};

use crate::domain::{
    filing::{NewDispute, NewPiece, RegisteredNotice},
    registry::FpsRecord,
};

/// A dispute with the FPS it contests.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DisputeRow {
    pub id: Uuid,
    pub tracking_number: String,
    pub notice_number: String,
    pub holder_name: String,
    pub holder_address: String,
    pub representative_name: String,
    pub representative_address: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub facts: String,
    pub grounds: String,
    pub resident_id: Option<String>,
    pub channel: String,
    pub department: String,
    pub status: String,
    pub sub_status: String,
    pub received_at: DateTime<Utc>,
    pub answer_by: NaiveDate,
    pub due_at: DateTime<Utc>,
    pub decision: Option<String>,
    pub decision_reasons: String,
    pub rectified_amount_cents: Option<i64>,
    pub rectified_notice_number: Option<String>,
    pub decided_at: Option<DateTime<Utc>>,
    pub decided_by: String,
    pub appeal_by: Option<NaiveDate>,
    pub letter: Option<String>,
    pub fps_plate: String,
    pub offence_at: DateTime<Utc>,
    pub place: String,
    pub amount_cents: i64,
    pub issuing_agent: String,
    pub notified_on: NaiveDate,
    pub notification_channel: String,
}

/// The dispute columns every read needs; macros so queries stay `&'static str`.
macro_rules! dispute_columns {
    () => {
        "SELECT d.id, d.tracking_number, d.notice_number, d.holder_name, d.holder_address,
            d.representative_name, d.representative_address, d.contact_email, d.contact_phone,
            d.facts, d.grounds, d.resident_id, d.channel, d.department, d.status, d.sub_status,
            d.received_at, d.answer_by, d.due_at, d.decision, d.decision_reasons,
            d.rectified_amount_cents, d.rectified_notice_number, d.decided_at, d.decided_by,
            d.appeal_by, d.letter, f.plate AS fps_plate, f.offence_at, f.place, f.amount_cents,
            f.issuing_agent, f.notified_on, f.notification_channel "
    };
}
macro_rules! from_disputes {
    () => {
        "FROM disputes d JOIN fps f ON f.notice_number = d.notice_number "
    };
}
macro_rules! select_dispute {
    () => {
        concat!(dispute_columns!(), from_disputes!())
    };
}

/// A stored piece, without its bytes.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PieceRow {
    pub id: Uuid,
    pub role: String,
    pub name: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// What importing one notice did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    New,
    /// Already there with the same data.
    Unchanged,
    /// Already there with other data: nothing was changed.
    Conflicting,
}

/// Adds a notice to the registry unless its number is known.
pub async fn import_fps(
    conn: &mut PgConnection,
    fps: &FpsRecord,
    now: DateTime<Utc>,
) -> anyhow::Result<Imported> {
    let inserted = sqlx::query(
        "INSERT INTO fps (notice_number, plate, plate_key, offence_at, place, amount_cents,
            issuing_agent, notified_on, notification_channel, imported_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         ON CONFLICT (notice_number) DO NOTHING",
    )
    .bind(&fps.notice_number)
    .bind(&fps.plate)
    .bind(fps.plate_key())
    .bind(fps.offence_at)
    .bind(&fps.place)
    .bind(fps.amount_cents)
    .bind(&fps.issuing_agent)
    .bind(fps.notified_on)
    .bind(&fps.notification_channel)
    .bind(now)
    .execute(&mut *conn)
    .await
    .context("importing a notice")?;
    if inserted.rows_affected() == 1 {
        return Ok(Imported::New);
    }
    let same: bool = sqlx::query_scalar(
        "SELECT plate = $2 AND offence_at = $3 AND place = $4 AND amount_cents = $5
            AND issuing_agent = $6 AND notified_on = $7 AND notification_channel = $8
         FROM fps WHERE notice_number = $1",
    )
    .bind(&fps.notice_number)
    .bind(&fps.plate)
    .bind(fps.offence_at)
    .bind(&fps.place)
    .bind(fps.amount_cents)
    .bind(&fps.issuing_agent)
    .bind(fps.notified_on)
    .bind(&fps.notification_channel)
    .fetch_one(&mut *conn)
    .await
    .context("comparing a notice")?;
    Ok(if same {
        Imported::Unchanged
    } else {
        Imported::Conflicting
    })
}

/// A rectified notice, issued by a partial cancellation.
pub async fn insert_rectified(
    conn: &mut PgConnection,
    number: &str,
    original: &DisputeRow,
    amount_cents: i64,
    notified_on: NaiveDate,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO fps (notice_number, plate, plate_key, offence_at, place, amount_cents,
            issuing_agent, notified_on, notification_channel, rectifies, imported_at)
         SELECT $1, plate, plate_key, offence_at, place, $2, issuing_agent, $3, 'electronique',
            notice_number, $4
         FROM fps WHERE notice_number = $5",
    )
    .bind(number)
    .bind(amount_cents)
    .bind(notified_on)
    .bind(now)
    .bind(&original.notice_number)
    .execute(conn)
    .await
    .context("issuing a rectified notice")?;
    Ok(())
}

pub async fn registered_notice(
    pool: &PgPool,
    number: &str,
) -> anyhow::Result<(Option<RegisteredNotice>, bool)> {
    let row: Option<(String, NaiveDate, Option<String>, bool)> = sqlx::query_as(
        "SELECT f.plate, f.notified_on, f.rectifies,
            EXISTS (SELECT 1 FROM disputes d WHERE d.notice_number = f.notice_number)
         FROM fps f WHERE f.notice_number = $1",
    )
    .bind(number)
    .fetch_optional(pool)
    .await
    .context("reading a notice")?;
    Ok(match row {
        Some((plate, notified_on, rectifies, disputed)) => (
            Some(RegisteredNotice {
                plate,
                notified_on,
                rectifies,
            }),
            disputed,
        ),
        None => (None, false),
    })
}

/// Where a new dispute comes from and when it is due.
#[derive(Debug, Clone)]
pub struct Filing<'a> {
    pub id: Uuid,
    pub tracking_number: &'a str,
    pub resident_id: Option<&'a str>,
    pub channel: &'a str,
    pub status: &'a str,
    pub received_at: DateTime<Utc>,
    pub answer_by: NaiveDate,
    pub due_at: DateTime<Utc>,
}

/// Inserts a dispute; `false` when the one dispute per notice already exists.
pub async fn insert_dispute(
    conn: &mut PgConnection,
    filing: &Filing<'_>,
    dispute: &NewDispute,
    department: &str,
) -> anyhow::Result<bool> {
    let inserted = sqlx::query(
        "INSERT INTO disputes (id, tracking_number, notice_number, plate, holder_name,
            holder_address, representative_name, representative_address, contact_email,
            contact_phone, facts, grounds, resident_id, channel, department, status,
            received_at, answer_by, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
         ON CONFLICT DO NOTHING",
    )
    .bind(filing.id)
    .bind(filing.tracking_number)
    .bind(&dispute.notice_number)
    .bind(&dispute.plate)
    .bind(&dispute.holder_name)
    .bind(&dispute.holder_address)
    .bind(&dispute.representative_name)
    .bind(&dispute.representative_address)
    .bind(&dispute.contact_email)
    .bind(&dispute.contact_phone)
    .bind(&dispute.facts)
    .bind(&dispute.grounds)
    .bind(filing.resident_id)
    .bind(filing.channel)
    .bind(department)
    .bind(filing.status)
    .bind(filing.received_at)
    .bind(filing.answer_by)
    .bind(filing.due_at)
    .execute(&mut *conn)
    .await
    .context("storing a dispute")?;
    Ok(inserted.rows_affected() == 1)
}

pub async fn insert_pieces(
    conn: &mut PgConnection,
    dispute_id: Uuid,
    pieces: &[NewPiece],
) -> anyhow::Result<()> {
    for (position, piece) in pieces.iter().enumerate() {
        sqlx::query(
            "INSERT INTO pieces (id, dispute_id, role, position, name, content_type, size, sha256, data)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::now_v7())
        .bind(dispute_id)
        .bind(piece.role)
        .bind(i32::try_from(position).unwrap_or(i32::MAX))
        .bind(&piece.name)
        .bind(piece.content_type)
        .bind(i64::try_from(piece.data.len()).unwrap_or(i64::MAX))
        .bind(&piece.sha256)
        .bind(&piece.data)
        .execute(&mut *conn)
        .await
        .context("storing a piece")?;
    }
    Ok(())
}

/// A dispute with its timeline (oldest first) and its pieces.
pub async fn load(
    pool: &PgPool,
    tracking_number: &str,
) -> anyhow::Result<Option<(DisputeRow, Vec<TimelineRow>, Vec<PieceRow>)>> {
    let sql = concat!(
        dispute_columns!(),
        ", ",
        guichet_kit::timeline_json!("d.id"),
        " AS timeline ",
        from_disputes!(),
        "WHERE d.tracking_number = $1"
    );
    let Some((dispute, timeline)) =
        timeline::read::<DisputeRow>(pool, sql, tracking_number).await?
    else {
        return Ok(None);
    };
    let pieces = sqlx::query_as(
        "SELECT id, role, name, content_type, size, sha256 FROM pieces
         WHERE dispute_id = $1 ORDER BY position",
    )
    .bind(dispute.id)
    .fetch_all(pool)
    .await
    .context("reading pieces")?;
    Ok(Some((dispute, timeline, pieces)))
}

/// Locks a dispute for a change, so agents and schedulers apply changes one at a time.
pub async fn lock(
    conn: &mut PgConnection,
    tracking_number: &str,
) -> anyhow::Result<Option<DisputeRow>> {
    sqlx::query_as(concat!(
        select_dispute!(),
        "WHERE d.tracking_number = $1 FOR UPDATE OF d"
    ))
    .bind(tracking_number)
    .fetch_optional(conn)
    .await
    .context("locking a dispute")
}

/// The most overdue undecided dispute no other replica is deciding, locked.
pub async fn lock_next_overdue(
    conn: &mut PgConnection,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<DisputeRow>> {
    sqlx::query_as(concat!(
        select_dispute!(),
        "WHERE d.decision IS NULL AND d.due_at <= $1
         ORDER BY d.due_at LIMIT 1 FOR UPDATE OF d SKIP LOCKED"
    ))
    .bind(now)
    .fetch_optional(conn)
    .await
    .context("finding an overdue dispute")
}

/// A decision as stored.
#[derive(Debug, Clone)]
pub struct DecisionRecord<'a> {
    pub status: &'a str,
    pub code: &'a str,
    pub reasons: &'a str,
    pub rectified_amount_cents: Option<i64>,
    pub rectified_notice_number: Option<&'a str>,
    pub decided_at: DateTime<Utc>,
    pub decided_by: &'a str,
    pub appeal_by: Option<NaiveDate>,
    pub letter: &'a str,
}

/// Records a decision on an undecided dispute; `false` if it was decided already (the
/// guard that keeps a dispute from being decided twice, whatever the callers).
pub async fn record_decision(
    conn: &mut PgConnection,
    id: Uuid,
    decision: &DecisionRecord<'_>,
) -> anyhow::Result<bool> {
    let done = sqlx::query(
        "UPDATE disputes SET status = $2, sub_status = $3, decision = $3, decision_reasons = $4,
            rectified_amount_cents = $5, rectified_notice_number = $6, decided_at = $7,
            decided_by = $8, appeal_by = $9, letter = $10
         WHERE id = $1 AND decision IS NULL",
    )
    .bind(id)
    .bind(decision.status)
    .bind(decision.code)
    .bind(decision.reasons)
    .bind(decision.rectified_amount_cents)
    .bind(decision.rectified_notice_number)
    .bind(decision.decided_at)
    .bind(decision.decided_by)
    .bind(decision.appeal_by)
    .bind(decision.letter)
    .execute(conn)
    .await
    .context("recording a decision")?;
    Ok(done.rows_affected() == 1)
}

/// Agents' work list: undecided disputes by deadline, or (`overdue`) those whose month
/// passed with no explicit decision, whether or not the scheduler has recorded the
/// implicit rejection yet.
pub async fn work_list(
    pool: &PgPool,
    overdue: bool,
    now: DateTime<Utc>,
    after: Option<&After>,
    limit: i64,
) -> anyhow::Result<Vec<DisputeRow>> {
    let (after_due, after_number) = After::binds(after);
    let rows = if overdue {
        sqlx::query_as(concat!(
            select_dispute!(),
            "WHERE ((d.decision IS NULL AND d.due_at <= $1) OR d.decision = 'rejet_implicite')
               AND ($3::timestamptz IS NULL OR (d.due_at, d.tracking_number) > ($3, $4))
             ORDER BY d.due_at, d.tracking_number LIMIT $2"
        ))
        .bind(now)
        .bind(limit)
        .bind(after_due)
        .bind(after_number)
        .fetch_all(pool)
        .await
    } else {
        sqlx::query_as(concat!(
            select_dispute!(),
            "WHERE d.decision IS NULL
               AND ($2::timestamptz IS NULL OR (d.due_at, d.tracking_number) > ($2, $3))
             ORDER BY d.due_at, d.tracking_number LIMIT $1"
        ))
        .bind(limit)
        .bind(after_due)
        .bind(after_number)
        .fetch_all(pool)
        .await
    };
    rows.context("listing disputes")
}

/// Newest first, for a department's or a resident's list.
pub async fn list(pool: &PgPool, page: &list::Page) -> anyhow::Result<Vec<DisputeRow>> {
    list::fetch(
        pool,
        concat!(
            select_dispute!(),
            guichet_kit::demand_list_sql!("d", "received_at")
        ),
        page,
    )
    .await
    .context("listing disputes")
}

/// The desk's search over disputes, with the parameters kit's `search_demands` binds:
/// agents of the `rapo` theme reach every dispute, others their departments'. The FPS
/// notice number and the plate are searched too.
pub const SEARCH: &str = concat!(
    select_dispute!(),
    "WHERE ($1 OR d.department = ANY($2))
       AND (d.tracking_number = $4
         OR d.notice_number = $10
         OR upper(regexp_replace(f.plate, '[^A-Za-z0-9]', '', 'g')) = upper(regexp_replace($10, '[^A-Za-z0-9]', '', 'g'))
         OR lower(d.contact_email) = $5
         OR (d.contact_phone <> '' AND ",
    guichet_kit::national_phone_sql!("d.contact_phone"),
    " = $6)
         OR (cardinality($7::text[]) > 0
             AND (SELECT bool_and(kit.fold(d.holder_name) LIKE '%' || kit.fold(w) || '%'
                                  OR kit.fold(d.representative_name) LIKE '%' || kit.fold(w) || '%')
                  FROM unnest($7::text[]) AS w))
         OR d.resident_id = ANY($8))
     ORDER BY d.received_at DESC LIMIT $9"
);

/// One piece's bytes.
pub async fn piece(
    pool: &PgPool,
    dispute_id: Uuid,
    piece_id: Uuid,
) -> anyhow::Result<Option<(PieceRow, Vec<u8>)>> {
    let row: Option<PieceData> = sqlx::query_as(
        "SELECT id, role, name, content_type, size, sha256, data FROM pieces
         WHERE dispute_id = $1 AND id = $2",
    )
    .bind(dispute_id)
    .bind(piece_id)
    .fetch_optional(pool)
    .await
    .context("reading a piece")?;
    Ok(row.map(|r| (r.piece, r.data)))
}

#[derive(sqlx::FromRow)]
struct PieceData {
    #[sqlx(flatten)]
    piece: PieceRow,
    data: Vec<u8>,
}
