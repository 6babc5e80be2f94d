//! Residents' rights over their data (RGPD): attaching a complaint filed without an
//! account, exporting everything kept about them, and anonymising on erasure.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::demand::{erasure::Anonymise, timeline};
use sqlx::{PgConnection, PgPool};

/// What erasure removes besides the complaints' owner and contact (kit's `Eraser`).
pub struct Follows;

impl Anonymise for Follows {
    async fn anonymise(&self, conn: &mut PgConnection, account_id: &str) -> anyhow::Result<()> {
        // A « me too » is a wish to be told, nothing the city must keep.
        sqlx::query("DELETE FROM followers WHERE resident_id = $1")
            .bind(account_id)
            .execute(conn)
            .await
            .context("erasing follows")?;
        Ok(())
    }
}

#[derive(sqlx::FromRow, serde::Serialize)]
struct ExportRow {
    tracking_number: String,
    category: String,
    description: String,
    latitude: Option<f64>,
    longitude: Option<f64>,
    address: String,
    contact_name: String,
    contact_email: String,
    contact_phone: String,
    channel: String,
    status: String,
    created_at: DateTime<Utc>,
}

/// Everything kept about a resident's complaints, as one JSON document.
pub async fn export(pool: &PgPool, resident: &str) -> anyhow::Result<String> {
    let complaints: Vec<ExportRow> = sqlx::query_as(
        "SELECT tracking_number, category, description, latitude, longitude, address, contact_name,
            contact_email, contact_phone, channel, status, created_at
         FROM complaints WHERE resident_id = $1 ORDER BY created_at",
    )
    .bind(resident)
    .fetch_all(pool)
    .await
    .context("exporting complaints")?;
    let timeline = timeline::export(pool, &crate::events::SILO, resident).await?;
    let follows: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT json_build_object('complaint', f.complaint_id, 'title', k.label, 'address', c.address,
            'since', f.created_at, 'channel', f.channel)
         FROM followers f JOIN complaints c ON c.id = f.complaint_id
         JOIN categories k ON k.code = c.category
         WHERE f.resident_id = $1 ORDER BY f.created_at",
    )
    .bind(resident)
    .fetch_all(pool)
    .await
    .context("exporting follows")?;
    Ok(
        serde_json::json!({"complaints": complaints, "timeline": timeline, "follows": follows})
            .to_string(),
    )
}
