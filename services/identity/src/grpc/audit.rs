//! The audit log, for administrators: who read or changed whose data, when, how.

use chrono::{DateTime, Utc};
use guichet_kit::grpc::{datetime, timestamp};
use guichet_proto::identity::v1::{
    AuditEntry, ListAuditRequest, ListAuditResponse, audit_server::Audit,
};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::Core;
use crate::domain::Error;

pub struct AuditService(pub Core);

#[derive(sqlx::FromRow)]
struct Row {
    id: Uuid,
    at: DateTime<Utc>,
    actor_id: String,
    actor_name: String,
    channel: String,
    action: String,
    subject: String,
    service: String,
    detail: String,
}

#[tonic::async_trait]
impl Audit for AuditService {
    async fn list_audit(
        &self,
        request: Request<ListAuditRequest>,
    ) -> Result<Response<ListAuditResponse>, Status> {
        let core = &self.0;
        core.admin(request.metadata()).await?;
        let request = request.into_inner();
        let limit = i64::from(match request.limit {
            0 => 100,
            n => n.min(1000),
        });
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, at, actor_id, actor_name, channel, action, subject, service, detail FROM audit_log
             WHERE ($1 = '' OR actor_id = $1) AND ($2 = '' OR subject = $2)
               AND ($4::timestamptz IS NULL OR (at, id) < ($4, $5))
             ORDER BY at DESC, id DESC LIMIT $3",
        )
        .bind(&request.actor_id)
        .bind(&request.subject)
        .bind(limit)
        .bind(request.before_at.as_ref().and_then(datetime))
        // A cursor names an entry this list gave; another key resumes nowhere.
        .bind(Uuid::parse_str(&request.before_id).unwrap_or(Uuid::nil()))
        .fetch_all(&core.pool)
        .await
        .map_err(Error::from)?;
        Ok(Response::new(ListAuditResponse {
            entries: rows
                .into_iter()
                .map(|r| AuditEntry {
                    id: r.id.to_string(),
                    at: Some(timestamp(r.at)),
                    actor_id: r.actor_id,
                    actor_name: r.actor_name,
                    channel: r.channel,
                    action: r.action,
                    subject: r.subject,
                    service: r.service,
                    detail: r.detail,
                })
                .collect(),
        }))
    }
}
