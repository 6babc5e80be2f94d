//! The resident's demands across every silo, claiming a demand filed without an
//! account, and the RGPD rights: download everything, erase the account.

use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, Uri, header},
    response::IntoResponse,
};
use guichet_kit::{Owner, TrackingNumber};
use guichet_proto::{
    demand::v1::{ClaimDemandRequest, ListDemandsRequest},
    identity::v1::EraseAccountRequest,
    privacy::v1::ExportPersonalDataRequest,
};
use serde::Deserialize;
use utoipa::ToSchema;

use super::demands::page_of_every_silo;
use super::dto::Demand;
use crate::{
    auth::SignedIn,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::{Page, PageQuery},
    state::AppState,
};

/// The demands of the signed-in resident, whatever the silo, newest first, a page at a
/// time.
#[utoipa::path(
    get,
    path = "/api/v1/me/demands",
    tag = "me",
    params(PageQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Demand>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "`validation_failed`: an agent's token (agents list demands by department, at `/api/v1/agent/demands`)", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn my_demands(
    signed_in: SignedIn,
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Page<Vec<Demand>>, ApiError> {
    let list = ListDemandsRequest {
        limit: query.limit,
        ..ListDemandsRequest::default()
    };
    page_of_every_silo(&state, signed_in.bearer(), uri, list, &query.cursor).await
}

/// What proves a demand filed without an account is the caller's.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct Claim {
    pub tracking_number: String,
    /// The e-mail or the phone given when filing.
    pub email: String,
    pub phone: String,
}

/// Attaches a demand filed without an account to the signed-in resident's account. A
/// wrong contact and an unknown number answer the same.
#[utoipa::path(
    post,
    path = "/api/v1/me/demands/claim",
    tag = "me",
    request_body = Claim,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Demand),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn claim(
    signed_in: SignedIn,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Claim>,
) -> Result<Json<Demand>, ApiError> {
    // An unparsable number goes to the complaints service, which answers exactly as for
    // an unknown one.
    let owner =
        TrackingNumber::parse(&body.tracking_number).map_or(Owner::Complaints, |n| n.owner());
    let request = ClaimDemandRequest {
        tracking_number: body.tracking_number,
        email: body.email,
        phone: body.phone,
    };
    let claimed = state
        .demands_for(owner)
        .claim_demand(signed_in.bearer().request(request))
        .await;
    claimed
        .map(|demand| Json(Demand::from(demand.into_inner())))
        .map_err(|status| ApiError::from_status(status, "demand_not_found"))
}

/// Everything Guichet keeps about the signed-in resident, from every service, as one
/// JSON document to download.
#[utoipa::path(
    get,
    path = "/api/v1/me/export",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "One JSON document, one member per service"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn export(
    signed_in: SignedIn,
    State(state): State<AppState>,
) -> Result<impl IntoResponse, ApiError> {
    let mut services = serde_json::Map::new();
    for mut client in state.privacy_clients() {
        match client
            .export_personal_data(signed_in.bearer().request(ExportPersonalDataRequest {}))
            .await
        {
            Ok(data) => {
                let data = data.into_inner();
                let json = serde_json::from_str(&data.json).map_err(|_| ApiError::unavailable())?;
                services.insert(data.service, json);
            }
            Err(status) => return Err(ApiError::from_status(status, "account_not_found")),
        }
    }
    let document = serde_json::json!({
        "exported_at": chrono::Utc::now(),
        "services": services,
    });
    Ok((
        [
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
            (
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"mes-donnees-guichet.json\""),
            ),
        ],
        Json(document),
    ))
}

/// Confirmation of an erasure.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct Erase {
    /// The account's password, typed again (none for a FranceConnect-only account).
    pub password: String,
}

/// Erases the signed-in resident's account. Every service removes or anonymises their
/// data; demands the city must keep stay, without the person.
#[utoipa::path(
    delete,
    path = "/api/v1/me",
    tag = "me",
    request_body = Erase,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Account erased"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn erase(
    signed_in: SignedIn,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<Erase>,
) -> Result<StatusCode, ApiError> {
    state
        .accounts
        .clone()
        .erase_account(signed_in.bearer().request(EraseAccountRequest {
            password: body.password,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?;
    Ok(StatusCode::NO_CONTENT)
}
