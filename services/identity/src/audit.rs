//! Keeps the audit log: other services report each agent action on personal data as an
//! `*.audit.recorded` event; this consumer appends it.

use anyhow::Context as _;
use guichet_kit::bus::{Event, Handler};
use guichet_proto::{events::v1::AuditRecorded, names};
use sqlx::PgConnection;

pub struct AuditWriter;

impl Handler for AuditWriter {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
        let entry: AuditRecorded = event.decode()?;
        let at = entry
            .at
            .as_ref()
            .and_then(guichet_kit::grpc::datetime)
            .unwrap_or(event.time);
        let service = event.source.rsplit('/').next().unwrap_or_default();
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_id, actor_name, channel, action, subject, service, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(event.id)
        .bind(at)
        .bind(&entry.actor_id)
        .bind(&entry.actor_name)
        .bind(names::channel(entry.channel()))
        .bind(&entry.action)
        .bind(&entry.subject)
        .bind(service)
        .bind(&entry.detail)
        .execute(conn)
        .await
        .context("appending to the audit log")?;
        Ok(())
    }
}
