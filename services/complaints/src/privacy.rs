//! Residents' rights over their data (RGPD): attaching a complaint filed without an
//! account, exporting everything kept about them, and anonymising on erasure.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::bus::{Event, Handler, Subscription};
use guichet_proto::events::v1::AccountErased;
use sqlx::{PgConnection, PgPool};

/// The queue through which identity's erasures reach this service.
pub fn subscription() -> Subscription {
    Subscription::new("complaints.privacy", &["identity.account.erased"])
}

/// Anonymises the erased resident's complaints: the city keeps the record, not the person.
pub struct Anonymiser;

impl Handler for Anonymiser {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
        let erased: AccountErased = event.decode()?;
        let at = erased
            .at
            .as_ref()
            .and_then(guichet_kit::grpc::datetime)
            .unwrap_or(event.time);
        let complaints = sqlx::query(
            "UPDATE complaints SET resident_id = NULL, contact_name = '', contact_email = '',
                contact_phone = '', anonymised_at = $2
             WHERE resident_id = $1",
        )
        .bind(&erased.account_id)
        .bind(at)
        .execute(&mut *conn)
        .await
        .context("anonymising complaints")?
        .rows_affected();
        guichet_kit::demand::timeline::anonymise_resident(&mut *conn, &erased.account_id).await?;
        tracing::info!(complaints, "erased resident's complaints anonymised");
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

#[derive(sqlx::FromRow, serde::Serialize)]
struct ExportEntry {
    tracking_number: String,
    at: DateTime<Utc>,
    kind: String,
    author_role: String,
    channel: String,
    status: Option<String>,
    text: String,
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
    let timeline: Vec<ExportEntry> = sqlx::query_as(
        "SELECT c.tracking_number, t.at, t.kind, t.author_role, t.channel, t.status, t.text
         FROM timeline t JOIN complaints c ON c.id = t.demand_id
         WHERE c.resident_id = $1 ORDER BY t.at",
    )
    .bind(resident)
    .fetch_all(pool)
    .await
    .context("exporting timelines")?;
    Ok(serde_json::json!({"complaints": complaints, "timeline": timeline}).to_string())
}
