//! RGPD export: everything the identity service keeps about the calling resident.

use chrono::{DateTime, Utc};
use guichet_proto::privacy::v1::{
    ExportPersonalDataRequest, PersonalData, privacy_server::Privacy,
};
use tonic::{Request, Response, Status};

use super::{Core, accounts::profile};
use crate::domain::Error;

pub struct PrivacyService(pub Core);

#[derive(sqlx::FromRow, serde::Serialize)]
struct SessionRow {
    kind: String,
    channel: String,
    created_at: DateTime<Utc>,
    last_seen_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

#[tonic::async_trait]
impl Privacy for PrivacyService {
    async fn export_personal_data(
        &self,
        request: Request<ExportPersonalDataRequest>,
    ) -> Result<Response<PersonalData>, Status> {
        let core = &self.0;
        let account = core.resident(request.metadata()).await?;
        let profile = profile(core, account).await?;
        let sessions: Vec<SessionRow> = sqlx::query_as(
            "SELECT kind, channel, created_at, last_seen_at, revoked_at FROM sessions
             WHERE subject = $1 ORDER BY created_at",
        )
        .bind(account)
        .fetch_all(&core.pool)
        .await
        .map_err(Error::from)?;
        let document = serde_json::json!({
            "account_id": profile.account_id,
            "email": profile.email,
            "email_verified": profile.email_verified,
            "franceconnect_linked": profile.franceconnect_linked,
            "attributes": profile.attributes.iter().map(|a| serde_json::json!({
                "name": a.name, "value": a.value, "level": a.level().as_str_name().to_lowercase().trim_start_matches("level_"),
            })).collect::<Vec<_>>(),
            "businesses": profile.businesses.iter().map(|b| serde_json::json!({
                "siret": b.siret, "name": b.name, "address": b.address,
            })).collect::<Vec<_>>(),
            "sessions": sessions,
        });
        Ok(Response::new(PersonalData {
            service: "identity".to_owned(),
            json: document.to_string(),
        }))
    }
}
