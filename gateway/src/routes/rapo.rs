//! RAPO: contesting a parking fine (forfait post-stationnement) with the city before any
//! court. Residents file (with or without an account) and follow their dispute; the
//! municipal police import the FPS registry, read dossiers and decide; messages go
//! through the shared `/api/v1/demands/{number}/messages`. Every route forwards the caller's token; the rapo service decides who may do what.

use axum::{
    Json,
    body::Bytes,
    extract::{DefaultBodyLimit, FromRequest as _, Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use chrono::{DateTime, Utc};
use guichet_kit::{
    Owner,
    calendar::{paris_date, paris_offset_hours},
    grpc::{datetime, timestamp},
};
use guichet_proto::{
    names,
    rapo::v1::{self as pb, DecisionKind},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{complaints::idempotency_key, demands::number_of, dto::Created};
use crate::{
    auth::{Agent, Bearer},
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::{self, Cursor, Page},
    state::AppState,
    upload,
};

/// Largest filing body: 10 MiB of pieces, base64-encoded (4/3), plus the form.
const MAX_FILING_BODY: usize = 16 * 1024 * 1024;
/// Largest registry import.
const MAX_IMPORT_BODY: usize = 16 * 1024 * 1024;

/// The RAPO routes, with the body limits their uploads need.
pub fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(file_dispute, list_disputes))
        .routes(routes!(import_fps))
        .layer(DefaultBodyLimit::max(MAX_FILING_BODY.max(MAX_IMPORT_BODY)));
    OpenApiRouter::new()
        .routes(routes!(get_dispute))
        .routes(routes!(decide))
        .routes(routes!(preview))
        .routes(routes!(letter))
        .routes(routes!(piece))
        .merge(uploads)
}

// --- JSON shapes ---------------------------------------------------------------------------

/// A piece as sent: its bytes in base64 inside the JSON. Accepted: PDF, JPEG, PNG (read
/// from the bytes), 3 MB each, 10 MB in all. The keys photos and draft uploads use,
/// `filename` and `content_base64`, are read too.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct PieceUpload {
    /// The file's name, as the device named it (`filename` is read too); made safe
    /// before it is kept.
    #[serde(alias = "filename")]
    pub name: String,
    /// The type the device declares (informative: the type is read from the bytes).
    pub content_type: String,
    /// The file's bytes, standard base64 (`content_base64` is read too).
    #[serde(alias = "content_base64")]
    #[schema(content_encoding = "base64")]
    pub data: String,
}

/// The pieces of a dispute.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct Pieces {
    /// Copy of the contested payment notice (required).
    pub payment_notice: Option<PieceUpload>,
    /// Registration certificate, or the next two together if the vehicle was sold.
    pub registration_certificate: Option<PieceUpload>,
    pub sale_declaration: Option<PieceUpload>,
    pub sale_registration_receipt: Option<PieceUpload>,
    /// Signed mandate, required when filing for the holder.
    pub mandate: Option<PieceUpload>,
    /// Ticket, app receipt, photos…
    pub supporting: Vec<PieceUpload>,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct Person {
    pub name: String,
    /// Postal address, for the decision letter.
    pub address: String,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct DisputeContact {
    pub email: String,
    /// French number.
    pub phone: String,
}

/// A new RAPO. Every problem (form, pieces, notice, deadline) is reported at once.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct NewDispute {
    /// The 26 digits of the payment notice (the 28-digit télépaiement number works too).
    pub notice_number: String,
    /// As on the notice (`AB-123-CD`).
    pub plate: String,
    /// `fps` (default) or `pv`: a classic fine is refused with where to go (ANTAI).
    pub notice_kind: String,
    /// The registration-certificate holder.
    pub holder: Option<Person>,
    /// Whoever files for the holder, under a mandate.
    pub representative: Option<Person>,
    pub contact: Option<DisputeContact>,
    /// Statement of the facts.
    pub facts: String,
    /// Why the FPS should be cancelled.
    pub grounds: String,
    pub pieces: Option<Pieces>,
    /// Desk and phone agents: the account filed for (from `/api/v1/agent/search`), so
    /// the dispute is in the resident's space at once.
    pub resident_id: String,
}

/// The contested FPS.
#[derive(Debug, Serialize, ToSchema)]
pub struct Fps {
    pub notice_number: String,
    pub plate: String,
    pub offence_at: Option<DateTime<Utc>>,
    /// Day of the offence, Paris time (`2026-03-12`).
    pub offence_day: String,
    /// Time of the offence, Paris time (`14:35`).
    pub offence_time: String,
    pub place: String,
    pub amount_cents: i64,
    /// `33,00 €`.
    pub amount: String,
    pub issuing_agent: String,
    pub notified_on: String,
    pub notification_channel: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Piece {
    pub id: String,
    /// `payment_notice`, `registration_certificate`, `sale_declaration`,
    /// `sale_registration_receipt`, `mandate`, `supporting`.
    pub role: String,
    pub name: String,
    /// Read from the bytes.
    pub content_type: String,
    pub size: u64,
    pub sha256: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Decision {
    /// `annulation_totale`, `annulation_partielle`, `rejet`, `rejet_implicite`.
    pub code: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub reasons: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rectified_amount_cents: Option<i64>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub rectified_notice_number: String,
    pub decided_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub decided_by: String,
}

/// Where to go next, and by when, after a decision that leaves something to pay.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextStep {
    pub body: String,
    pub address: String,
    pub website: String,
    /// Last day (`YYYY-MM-DD`, Paris).
    pub deadline: String,
    /// The advice, in French.
    pub text: String,
}

/// A dispute as residents and agents see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Dispute {
    pub tracking_number: String,
    pub fps: Option<Fps>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<Person>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub representative: Option<Person>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub facts: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub grounds: String,
    pub pieces: Vec<Piece>,
    pub received_at: Option<DateTime<Utc>>,
    /// Last day for the city's answer (`YYYY-MM-DD`, Paris); silence after it is a rejection.
    pub answer_by: String,
    pub due_at: Option<DateTime<Utc>>,
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sub_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<Decision>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_step: Option<NextStep>,
    /// Days left to answer (0 on the last day, negative once passed).
    pub days_left: i32,
    /// The month passed with no explicit decision.
    pub overdue: bool,
    pub channel: String,
    /// The e-mail and phone the resident gave, for the police to call back: agents
    /// and the resident who owns it only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact: Option<super::dto::Contact>,
}

fn paris_time(at: DateTime<Utc>) -> String {
    (at + chrono::Duration::hours(paris_offset_hours(at)))
        .format("%H:%M")
        .to_string()
}

fn euros(cents: i64) -> String {
    format!("{},{:02} €", cents / 100, (cents % 100).abs())
}

impl From<pb::Dispute> for Dispute {
    fn from(d: pb::Dispute) -> Self {
        let status = names::status(d.status());
        let channel = names::channel(d.channel());
        Self {
            fps: d.fps.map(|f| {
                let offence_at = f.offence_at.as_ref().and_then(datetime);
                Fps {
                    offence_day: offence_at
                        .map(|at| paris_date(at).to_string())
                        .unwrap_or_default(),
                    offence_time: offence_at.map(paris_time).unwrap_or_default(),
                    offence_at,
                    amount: euros(f.amount_cents),
                    notice_number: f.notice_number,
                    plate: f.plate,
                    place: f.place,
                    amount_cents: f.amount_cents,
                    issuing_agent: f.issuing_agent,
                    notified_on: f.notified_on,
                    notification_channel: f.notification_channel,
                }
            }),
            contact: d.contact.map(|c| super::dto::Contact {
                name: c.name,
                email: c.email,
                phone: c.phone,
            }),
            holder: d.holder.map(|p| Person {
                name: p.name,
                address: p.address,
            }),
            representative: d.representative.map(|p| Person {
                name: p.name,
                address: p.address,
            }),
            pieces: d
                .pieces
                .into_iter()
                .map(|p| Piece {
                    id: p.id,
                    role: p.role,
                    name: p.name,
                    content_type: p.content_type,
                    size: p.size,
                    sha256: p.sha256,
                })
                .collect(),
            received_at: d.received_at.as_ref().and_then(datetime),
            due_at: d.due_at.as_ref().and_then(datetime),
            decision: d.decision.map(|x| Decision {
                decided_at: x.decided_at.as_ref().and_then(datetime),
                code: x.code,
                reasons: x.reasons,
                rectified_amount_cents: (x.rectified_amount_cents > 0)
                    .then_some(x.rectified_amount_cents),
                rectified_notice_number: x.rectified_notice_number,
                decided_by: x.decided_by,
            }),
            next_step: d.next_step.map(|n| NextStep {
                body: n.body,
                address: n.address,
                website: n.website,
                deadline: n.deadline,
                text: n.text,
            }),
            tracking_number: d.tracking_number,
            facts: d.facts,
            grounds: d.grounds,
            answer_by: d.answer_by,
            status,
            sub_status: d.sub_status,
            days_left: d.days_left,
            overdue: d.overdue,
            channel,
        }
    }
}

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

// --- helpers -------------------------------------------------------------------------------

fn attachment(value: Option<PieceUpload>, path: &str) -> Result<Option<pb::Attachment>, ApiError> {
    let Some(value) = value else {
        return Ok(None);
    };
    let data = base64::engine::general_purpose::STANDARD
        .decode(value.data.trim())
        .map_err(|_| {
            ApiError::bad_field(
                "invalid_json",
                &format!("{path}.data"),
                "Le contenu du fichier doit être encodé en base64.",
            )
        })?;
    Ok(Some(pb::Attachment {
        name: value.name,
        content_type: value.content_type,
        data,
    }))
}

// --- routes --------------------------------------------------------------------------------

/// Files a RAPO against an FPS, with or without an account. Admissibility is checked at
/// once (the month to file, each required piece, the notice and its plate, a dispute
/// already filed, a PV that goes to the ANTAI instead) and every problem is answered in
/// French with its field; nothing is stored then. The answer carries the tracking
/// number, the FPS (day, time, place, amount) and the day the city must answer by.
#[utoipa::path(
    post,
    path = "/api/v1/rapo/disputes",
    tag = "rapo",
    request_body = NewDispute,
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key; the same key files once")),
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = Dispute, headers(("Location" = String, description = "Where to follow the dispute"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Pieces too large", body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "Too many uploads at once: retry"),
    )
)]
pub async fn file_dispute(
    bearer: Bearer,
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    let idempotency_key = idempotency_key(&headers)?;
    // The pieces stay in memory until the RAPO service has answered.
    let _admitted = upload::admit(&headers, MAX_FILING_BODY).await?;
    let ApiJson(body) = ApiJson::<NewDispute>::from_request(request, &state).await?;
    let pieces = body.pieces.unwrap_or_default();
    let mut supporting = Vec::with_capacity(pieces.supporting.len());
    for (i, piece) in pieces.supporting.into_iter().enumerate() {
        if let Some(piece) = attachment(Some(piece), &format!("pieces.supporting[{i}]"))? {
            supporting.push(piece);
        }
    }
    let holder = body.holder.unwrap_or_default();
    let representative = body.representative.unwrap_or_default();
    let contact = body.contact.unwrap_or_default();
    let request = pb::FileDisputeRequest {
        notice_number: body.notice_number,
        plate: body.plate,
        notice_kind: match body.notice_kind.trim().to_ascii_lowercase().as_str() {
            "pv" => pb::NoticeKind::Pv,
            _ => pb::NoticeKind::Fps,
        } as i32,
        holder: Some(pb::Person {
            name: holder.name,
            address: holder.address,
        }),
        representative: Some(pb::Person {
            name: representative.name,
            address: representative.address,
        }),
        contact: Some(pb::Contact {
            email: contact.email,
            phone: contact.phone,
        }),
        facts: body.facts,
        grounds: body.grounds,
        resident_id: body.resident_id,
        pieces: Some(pb::Pieces {
            payment_notice: attachment(pieces.payment_notice, "pieces.payment_notice")?,
            registration_certificate: attachment(
                pieces.registration_certificate,
                "pieces.registration_certificate",
            )?,
            sale_declaration: attachment(pieces.sale_declaration, "pieces.sale_declaration")?,
            sale_registration_receipt: attachment(
                pieces.sale_registration_receipt,
                "pieces.sale_registration_receipt",
            )?,
            mandate: attachment(pieces.mandate, "pieces.mandate")?,
            supporting,
        }),
        idempotency_key,
    };
    let filed = state
        .disputes
        .clone()
        .file_dispute(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    let dispute = Dispute::from(filed.dispute.ok_or_else(ApiError::unavailable)?);
    Ok(Created(
        format!("/api/v1/rapo/disputes/{}", dispute.tracking_number),
        Json(dispute),
    ))
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
    let after = Cursor::parse(&query.cursor)?;
    let size = page::size(query.limit, 50, 200);
    let listed = state
        .disputes
        .clone()
        .list_disputes(agent.bearer().request(pb::ListDisputesRequest {
            overdue: query.overdue,
            limit: size,
            after_due_at: after.as_ref().map(|c| timestamp(c.at)),
            after_number: after.map(|c| c.key).unwrap_or_default(),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    let next = page::next_after(&listed.disputes, size, |last| {
        Some(Cursor {
            at: datetime(last.due_at.as_ref()?)?,
            key: last.tracking_number.clone(),
        })
    });
    Ok(Page {
        items: listed.disputes.into_iter().map(Dispute::from).collect(),
        next,
        uri,
    })
}

/// A dispute with its FPS, pieces, deadlines, decision and next step, for its owner,
/// whoever holds the number of one filed without an account, and police agents (their
/// reads are audited). Lookups are rate limited.
#[utoipa::path(
    get,
    path = "/api/v1/rapo/disputes/{tracking_number}",
    tag = "rapo",
    params(("tracking_number" = String, Path, description = "As given at filing")),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Dispute),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_dispute(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
) -> Result<Json<Dispute>, ApiError> {
    let tracking_number = number_of(&tracking_number, Owner::Rapo)?;
    let dispute = state
        .disputes
        .clone()
        .get_dispute(bearer.request(pb::GetDisputeRequest { tracking_number }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Dispute::from(dispute)))
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

/// The decision letter, in French plain text, for whoever may read the dispute.
#[utoipa::path(
    get,
    path = "/api/v1/rapo/disputes/{tracking_number}/letter",
    tag = "rapo",
    params(("tracking_number" = String, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, content_type = "text/plain", body = String),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not decided yet", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn letter(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
) -> Result<Response, ApiError> {
    let tracking_number = number_of(&tracking_number, Owner::Rapo)?;
    let letter = state
        .disputes
        .clone()
        .get_letter(bearer.request(pb::GetLetterRequest { tracking_number }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    let disposition = upload::content_disposition("inline", &letter.file_name);
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        letter.text,
    )
        .into_response())
}

/// One piece of the dossier, as filed.
#[utoipa::path(
    get,
    path = "/api/v1/rapo/disputes/{tracking_number}/pieces/{piece_id}",
    tag = "rapo",
    params(("tracking_number" = String, Path), ("piece_id" = String, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The file, with its type", content_type = "application/octet-stream"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn piece(
    bearer: Bearer,
    State(state): State<AppState>,
    Path((tracking_number, piece_id)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let tracking_number = number_of(&tracking_number, Owner::Rapo)?;
    let content = state
        .disputes
        .clone()
        .get_piece(bearer.request(pb::GetPieceRequest {
            tracking_number,
            piece_id,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    let piece = content.piece.unwrap_or_default();
    let content_type =
        HeaderValue::from_str(&piece.content_type).map_err(|_| ApiError::unavailable())?;
    // Its name as the resident gave it (made safe when filed), accents included.
    let disposition = upload::content_disposition("attachment", &piece.name);
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        Bytes::from(content.data),
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
