//! Residents' rights over their data (RGPD): exporting everything kept about them, and
//! anonymising on erasure. A dispute is an administrative record the city must keep
//! (the FPS, the decision and its letter, the pieces, for the time a court may still be
//! seized): erasure removes the account link and the contact details, and the person's
//! name from the timelines.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use guichet_kit::demand::timeline;
use sqlx::PgPool;

#[derive(sqlx::FromRow, serde::Serialize)]
struct ExportRow {
    tracking_number: String,
    notice_number: String,
    plate: String,
    holder_name: String,
    holder_address: String,
    representative_name: String,
    representative_address: String,
    contact_email: String,
    contact_phone: String,
    facts: String,
    grounds: String,
    channel: String,
    status: String,
    sub_status: String,
    received_at: DateTime<Utc>,
    answer_by: NaiveDate,
    decision: Option<String>,
    decision_reasons: String,
    appeal_by: Option<NaiveDate>,
    letter: Option<String>,
}

#[derive(sqlx::FromRow, serde::Serialize)]
struct ExportPiece {
    tracking_number: String,
    role: String,
    name: String,
    content_type: String,
    size: i64,
    sha256: String,
}

/// Everything kept about a resident's disputes, as one JSON document. Pieces are listed
/// with their checksum; their bytes are downloaded from the dispute itself.
pub async fn export(pool: &PgPool, resident: &str) -> anyhow::Result<String> {
    let disputes: Vec<ExportRow> = sqlx::query_as(
        "SELECT tracking_number, notice_number, plate, holder_name, holder_address,
            representative_name, representative_address, contact_email, contact_phone, facts,
            grounds, channel, status, sub_status, received_at, answer_by, decision,
            decision_reasons, appeal_by, letter
         FROM disputes WHERE resident_id = $1 ORDER BY received_at",
    )
    .bind(resident)
    .fetch_all(pool)
    .await
    .context("exporting disputes")?;
    let pieces: Vec<ExportPiece> = sqlx::query_as(
        "SELECT d.tracking_number, p.role, p.name, p.content_type, p.size, p.sha256
         FROM pieces p JOIN disputes d ON d.id = p.dispute_id
         WHERE d.resident_id = $1 ORDER BY d.received_at, p.position",
    )
    .bind(resident)
    .fetch_all(pool)
    .await
    .context("exporting pieces")?;
    let timeline = timeline::export(pool, &crate::events::SILO, resident).await?;
    Ok(
        serde_json::json!({"disputes": disputes, "pieces": pieces, "timeline": timeline})
            .to_string(),
    )
}
