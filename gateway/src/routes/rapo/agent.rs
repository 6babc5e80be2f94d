//! RAPO for police agents: the work list, deciding (and previewing the letter), importing
//! the FPS registry.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest as _, Path, Request, State},
    http::{HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use guichet_kit::Owner;
use guichet_proto::rapo::v1::{self as pb, DecisionKind};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Dispute;
use crate::routes::demands::{after_due, due_cursor, number_of};
use crate::{
    auth::Agent,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::{self, Page},
    state::AppState,
};

/// An agent's decision.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct NewDecision {
    /// `annulation_totale`, `annulation_partielle` or `rejet`.
    pub decision: String,
    /// Required for a rejection or a partial cancellation; written in the letter.
    pub reasons: String,
    /// Partial cancellation: the new amount, in cents, below the FPS's.
    pub rectified_amount_cents: i64,
}

/// What an import did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportReport {
    pub imported: u32,
    /// Already in the registry with the same data.
    pub unchanged: u32,
    pub rejected: Vec<RejectedLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RejectedLine {
    pub line: u32,
    /// Why, in French.
    pub reason: String,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DisputeQuery {
    /// Only disputes whose month to answer passed with no explicit decision.
    pub overdue: bool,
    /// At most (default 50, at most 200).
    pub limit: u32,
    /// Where the page starts: from the previous page's `Link` header.
    pub cursor: String,
}

/// Police agents' work list: disputes awaiting a decision, most urgent first, with the
/// days left; `overdue=true` for those whose month passed with no explicit decision.
#[utoipa::path(
    get,
    path = "/api/v1/rapo/disputes",
    tag = "rapo",
    params(DisputeQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Dispute>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_disputes(
    agent: Agent,
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<DisputeQuery>,
) -> Result<Page<Vec<Dispute>>, ApiError> {
    let (after_due_at, after_number) = after_due(&query.cursor)?;
    let size = page::size(query.limit, 50, 200);
    let listed = state
        .disputes
        .clone()
        .list_disputes(agent.bearer().request(pb::ListDisputesRequest {
            overdue: query.overdue,
            limit: size,
            after_due_at,
            after_number,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    let next = page::next_after(&listed.disputes, size, |last| {
        due_cursor(last.due_at.as_ref(), &last.tracking_number)
    });
    Ok(Page {
        items: listed.disputes.into_iter().map(Dispute::from).collect(),
        next,
        uri,
    })
}

/// A police agent decides: full cancellation, partial cancellation (a rectified notice
/// with the new amount is issued) or rejection with written reasons. The letter is
/// generated at once; a dispute is decided once.
#[utoipa::path(
    post,
    path = "/api/v1/rapo/disputes/{tracking_number}/decision",
    tag = "rapo",
    request_body = NewDecision,
    params(("tracking_number" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Dispute),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or the month has passed", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn decide(
    agent: Agent,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<NewDecision>,
) -> Result<Json<Dispute>, ApiError> {
    let request = decision_request(&tracking_number, body)?;
    let dispute = state
        .disputes
        .clone()
        .decide_dispute(agent.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Dispute::from(dispute)))
}

fn decision_request(
    tracking_number: &str,
    body: NewDecision,
) -> Result<pb::DecideDisputeRequest, ApiError> {
    let kind = match body.decision.trim() {
        "annulation_totale" => DecisionKind::FullCancellation,
        "annulation_partielle" => DecisionKind::PartialCancellation,
        "rejet" => DecisionKind::Rejection,
        _ => DecisionKind::Unspecified,
    };
    Ok(pb::DecideDisputeRequest {
        tracking_number: number_of(tracking_number, Owner::Rapo)?,
        kind: kind as i32,
        reasons: body.reasons,
        rectified_amount_cents: body.rectified_amount_cents,
    })
}

/// The letter a decision would send, checked as the decision is, recording nothing:
/// the agent reads it before deciding. French plain text.
#[utoipa::path(
    post,
    path = "/api/v1/rapo/disputes/{tracking_number}/decision/preview",
    tag = "rapo",
    request_body = NewDecision,
    params(("tracking_number" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, content_type = "text/plain", body = String),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already decided, or the month has passed", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn preview(
    agent: Agent,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<NewDecision>,
) -> Result<Response, ApiError> {
    let request = decision_request(&tracking_number, body)?;
    let letter = state
        .disputes
        .clone()
        .preview_decision(agent.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        )],
        letter.text,
    )
        .into_response())
}

/// Loads FPS notices from the municipal police system: the CSV file as the body
/// (`text/csv`), header line first. Importing the same notices again changes nothing;
/// refused lines come back with their number and the reason. Police agents and
/// administrators only.
#[utoipa::path(
    post,
    path = "/api/v1/rapo/fps/import",
    tag = "rapo",
    request_body(content = String, content_type = "text/csv"),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ImportReport),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn import_fps(
    agent: Agent,
    State(state): State<AppState>,
    request: Request,
) -> Result<Json<ImportReport>, ApiError> {
    let body = Bytes::from_request(request, &state)
        .await
        .map_err(crate::error::unreadable_body)?;
    let csv = String::from_utf8(body.to_vec()).map_err(|_| {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "Le fichier doit être un CSV encodé en UTF-8.",
        )
    })?;
    let report = state
        .disputes
        .clone()
        .import_fps(agent.bearer().request(pb::ImportFpsRequest { csv }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(ImportReport {
        imported: report.imported,
        unchanged: report.unchanged,
        rejected: report
            .rejected
            .into_iter()
            .map(|r| RejectedLine {
                line: r.line,
                reason: r.reason,
            })
            .collect(),
    }))
}
