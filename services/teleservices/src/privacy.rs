//! Residents' rights over their data (RGPD): exporting everything this service keeps
//! about them, and anonymising on erasure — the city keeps the demand, not the person.

use anyhow::Context as _;

use guichet_kit::demand::{erasure::Anonymise, timeline};
use sqlx::{PgConnection, PgPool};

/// What erasure removes besides the demands' owner, contact and answers (kit's
/// `Eraser`): the drafts, their uploads and the documents sent after filing.
pub struct Drafts;

impl Anonymise for Drafts {
    async fn anonymise(&self, conn: &mut PgConnection, account_id: &str) -> anyhow::Result<()> {
        // Documents sent after filing belong to no draft: found through the demand,
        // before it loses its owner.
        sqlx::query(
            "DELETE FROM attachments WHERE draft_id IS NULL
               AND demand_id IN (SELECT id FROM demands WHERE resident_id = $1)",
        )
        .bind(account_id)
        .execute(&mut *conn)
        .await
        .context("erasing documents sent after filing")?;
        sqlx::query(
            "DELETE FROM attachments WHERE draft_id IN (SELECT id FROM drafts WHERE resident_id = $1)",
        )
        .bind(account_id)
        .execute(&mut *conn)
        .await
        .context("erasing uploads")?;
        sqlx::query("DELETE FROM drafts WHERE resident_id = $1")
            .bind(account_id)
            .execute(&mut *conn)
            .await
            .context("erasing drafts")?;
        Ok(())
    }
}

/// Everything kept about a resident, as one JSON document.
pub async fn export(pool: &PgPool, resident: &str) -> anyhow::Result<String> {
    let demands: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT json_build_object('tracking_number', d.tracking_number, 'teleservice', t.slug,
            'version', d.version, 'title', d.title, 'status', d.status, 'channel', d.channel,
            'created_at', d.created_at, 'answers', d.data)
         FROM demands d JOIN teleservices t ON t.id = d.teleservice_id
         WHERE d.resident_id = $1 ORDER BY d.created_at",
    )
    .bind(resident)
    .fetch_all(pool)
    .await
    .context("exporting demands")?;
    let drafts: Vec<serde_json::Value> = sqlx::query_scalar(
        "SELECT json_build_object('id', d.id, 'teleservice', t.slug, 'answers', d.data,
            'updated_at', d.updated_at)
         FROM drafts d JOIN teleservices t ON t.id = d.teleservice_id
         WHERE d.resident_id = $1 ORDER BY d.updated_at",
    )
    .bind(resident)
    .fetch_all(pool)
    .await
    .context("exporting drafts")?;
    // The timeline rows as every silo exports them.
    let timeline = timeline::export(pool, &crate::service::SILO, resident).await?;
    Ok(serde_json::json!({"demands": demands, "drafts": drafts, "timeline": timeline}).to_string())
}
