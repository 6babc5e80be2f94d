//! RAPO for motorists, with an account or without: filing a dispute, reading it, its
//! decision letter and its pieces.

use axum::{
    Json,
    body::Bytes,
    extract::{FromRequest as _, Path, Request, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use guichet_kit::Owner;
use guichet_proto::rapo::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{Dispute, MAX_FILING_BODY, Person};
use crate::routes::{complaints::idempotency_key, demands::number_of, dto::Created};
use crate::{
    auth::Bearer,
    error::{ApiError, ApiJson, Problem},
    state::AppState,
    upload,
};

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
