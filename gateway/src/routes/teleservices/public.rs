//! Teleservices for every requester, with an account or without: the catalogue, the
//! forms, drafts and their files, submission, and a filed demand's answers and documents.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use guichet_proto::teleservices::v1 as pb;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::{Attachment, Draft, VersionQuery, draft_error, teleservice_error};
use crate::routes::{
    complaints::idempotency_key,
    demands::number_of,
    dto::{Contact, Created, Demand},
};
use crate::{
    auth::Bearer,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    state::AppState,
    upload,
};

/// One teleservice of the catalogue.
#[derive(Debug, Serialize, ToSchema)]
pub struct CatalogEntry {
    pub slug: String,
    pub title: String,
    /// Theme, as agents' tabs name it (`ETAT_CIVIL`).
    pub theme: String,
    pub department: String,
    pub description: String,
    /// Whether filing needs a signed-in resident.
    pub account_required: bool,
    /// `web`, `app`, `kiosk`, `counter`, `phone`.
    pub channels: Vec<String>,
    /// The version filled now.
    pub version: u32,
    /// Service-level target, in days.
    pub sla_days: u32,
    /// Shown to its pilot audience only.
    pub pilot: bool,
}

impl From<pb::CatalogEntry> for CatalogEntry {
    fn from(e: pb::CatalogEntry) -> Self {
        Self {
            slug: e.slug,
            title: e.title,
            theme: e.theme,
            department: e.department,
            description: e.description,
            account_required: e.account_required,
            channels: e.channels,
            version: e.version,
            sla_days: e.sla_days,
            pilot: e.pilot,
        }
    }
}

/// The form to render: the definition (pages of typed fields with conditions), what
/// the resident's profile prefills, and whether the requester may file.
#[derive(Debug, Serialize, ToSchema)]
pub struct Form {
    pub slug: String,
    /// The version to send back when submitting.
    pub version: u32,
    #[schema(value_type = Object)]
    pub definition: Value,
    /// Field id → answer from the signed-in resident's profile.
    #[schema(value_type = Object)]
    pub prefill: Value,
    /// Fields filled from certified attributes: show them read-only.
    pub read_only: Vec<String>,
    /// Set when the requester may not file yet, saying what to do (in French).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub admission: Option<String>,
    pub pilot: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DraftBody {
    /// Field id → answer, as far as the resident got.
    #[schema(value_type = Object)]
    pub data: Value,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct Upload {
    pub filename: String,
    /// The file's bytes, base64 (standard alphabet).
    pub content_base64: String,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct Submission {
    /// Field id → answer. With a draft, replaces the saved answers when given.
    #[schema(value_type = Object)]
    pub data: Option<Value>,
    /// The version filled (from the form); omitted: the live one.
    pub version: u32,
    /// How to reach a resident without account.
    pub contact: Option<Contact>,
    /// A professional filing for one of their account's businesses.
    pub siret: String,
    /// Desk and phone agents: the account filed for (from `/api/v1/agent/search`).
    pub resident_id: String,
}

/// The answers of a demand, with the definition of the version filled.
#[derive(Debug, Serialize, ToSchema)]
pub struct Answers {
    pub slug: String,
    pub version: u32,
    #[schema(value_type = Object)]
    pub data: Value,
    pub attachments: Vec<Attachment>,
    #[schema(value_type = Object)]
    pub definition: Value,
}

/// The teleservices the caller may file on their channel (a kiosk sees the kiosk's,
/// a pilot shows to its audience only).
#[utoipa::path(
    get,
    path = "/api/v1/teleservices",
    tag = "teleservices",
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Vec<CatalogEntry>, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`."),
        (status = 401, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn catalog(
    bearer: Bearer,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let entries = state
        .teleservices
        .clone()
        .list_teleservices(bearer.request(pb::ListTeleservicesRequest { all: false }))
        .await
        .map_err(teleservice_error)?
        .into_inner()
        .entries;
    let entries: Vec<CatalogEntry> = entries.into_iter().map(CatalogEntry::from).collect();
    Ok(crate::cache::tagged(&headers, &entries))
}

/// A teleservice's form as JSON, the same for the web, app, kiosk and agent UIs, with
/// what the signed-in resident's profile prefills.
#[utoipa::path(
    get,
    path = "/api/v1/teleservices/{slug}",
    tag = "teleservices",
    params(("slug" = String, Path), VersionQuery),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Form, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`."),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn form(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ApiQuery(query): ApiQuery<VersionQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let form = state
        .teleservices
        .clone()
        .get_form(bearer.request(pb::GetDefinitionRequest {
            slug,
            version: query.version,
            draft: false,
        }))
        .await
        .map_err(teleservice_error)?
        .into_inner();
    let form = Form {
        definition: serde_json::from_str(&form.definition_json).unwrap_or_default(),
        prefill: serde_json::from_str(&form.prefill_json).unwrap_or_default(),
        read_only: form.read_only,
        admission: Some(form.admission).filter(|a| !a.is_empty()),
        pilot: form.pilot,
        slug: form.slug,
        version: form.version,
    };
    Ok(crate::cache::tagged(&headers, &form))
}

/// Starts a draft of a teleservice; keep its `id` to resume it on any channel.
#[utoipa::path(
    post,
    path = "/api/v1/teleservices/{slug}/drafts",
    tag = "teleservices",
    params(("slug" = String, Path)),
    request_body = DraftBody,
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = Draft),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn start_draft(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<impl IntoResponse, ApiError> {
    let draft = state
        .teleservices
        .clone()
        .save_draft(bearer.request(pb::SaveDraftRequest {
            id: String::new(),
            slug,
            data_json: data_json(&body.data),
        }))
        .await
        .map_err(teleservice_error)?
        .into_inner();
    Ok(Created(
        format!("/api/v1/drafts/{}", draft.id),
        Json(Draft::from(draft)),
    ))
}

/// Discards a draft not yet submitted, with its files (`409` once submitted).
#[utoipa::path(
    delete,
    path = "/api/v1/drafts/{id}",
    tag = "teleservices",
    params(("id" = String, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 204, description = "Discarded"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn discard_draft(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    state
        .teleservices
        .clone()
        .discard_draft(bearer.request(pb::DiscardDraftRequest { id }))
        .await
        .map_err(draft_error)?;
    Ok(StatusCode::NO_CONTENT)
}

/// Removes one file of a draft not yet submitted; answers the draft.
#[utoipa::path(
    delete,
    path = "/api/v1/drafts/{id}/attachments/{attachment_id}",
    tag = "teleservices",
    params(("id" = String, Path), ("attachment_id" = String, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Draft),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove_attachment(
    bearer: Bearer,
    State(state): State<AppState>,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<Json<Draft>, ApiError> {
    let draft = state
        .teleservices
        .clone()
        .remove_attachment(bearer.request(pb::RemoveAttachmentRequest {
            draft_id: id,
            attachment_id,
        }))
        .await
        .map_err(draft_error)?
        .into_inner();
    Ok(Json(Draft::from(draft)))
}

/// A draft, from any channel: a resident's own, or one started without account whose
/// id the caller holds.
#[utoipa::path(
    get,
    path = "/api/v1/drafts/{id}",
    tag = "teleservices",
    params(("id" = String, Path)),
    security((), ("bearer" = [])),
    responses((status = 200, body = Draft), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
pub async fn get_draft(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Draft>, ApiError> {
    let draft = state
        .teleservices
        .clone()
        .get_draft(bearer.request(pb::GetDraftRequest { id }))
        .await
        .map_err(draft_error)?
        .into_inner();
    Ok(Json(Draft::from(draft)))
}

/// Saves the answers of a draft.
#[utoipa::path(
    put,
    path = "/api/v1/drafts/{id}",
    tag = "teleservices",
    params(("id" = String, Path)),
    request_body = DraftBody,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Draft),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn save_draft(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DraftBody>,
) -> Result<Json<Draft>, ApiError> {
    let draft = state
        .teleservices
        .clone()
        .save_draft(bearer.request(pb::SaveDraftRequest {
            id,
            slug: String::new(),
            data_json: data_json(&body.data),
        }))
        .await
        .map_err(draft_error)?
        .into_inner();
    Ok(Json(Draft::from(draft)))
}

/// A file sent as `multipart/form-data`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; read part by part.
pub struct FileForm {
    /// The file, 10 MiB at most; its name is kept, made safe.
    #[schema(content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
}

/// A document sent as `multipart/form-data`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; read part by part.
pub struct DocumentForm {
    /// PDF, JPEG or PNG, 10 MiB at most; its name is kept, made safe.
    #[schema(content_media_type = "application/octet-stream")]
    pub file: Vec<u8>,
    /// Optional words to go with it (up to 4,000 characters).
    pub text: Option<String>,
}

/// A draft's file: any type here, since the form's field judges it at submission.
const DRAFT_FILE: upload::Rule = upload::Rule {
    max: 10 * 1024 * 1024,
    accepted: &[],
    refused: "",
};

/// A document after filing: what a piece may be (`kit::upload::DOCUMENTS`).
const DOCUMENT: upload::Rule = upload::Rule {
    max: 10 * 1024 * 1024,
    accepted: guichet_kit::upload::DOCUMENTS,
    refused: "Ce type de fichier n'est pas accepté : envoyez un PDF, un JPEG ou un PNG.",
};

/// The words sent with a document: 4,000 characters, of up to 4 bytes each.
const DOCUMENT_TEXT: usize = 16 * 1024;

/// A file in base64 JSON, decoded.
fn decode_content(content_base64: &str) -> Result<Vec<u8>, ApiError> {
    base64::engine::general_purpose::STANDARD
        .decode(content_base64.trim())
        .map_err(|_| {
            ApiError::bad_field(
                "validation_failed",
                "content_base64",
                "Le contenu du fichier doit être encodé en base64.",
            )
        })
}

/// Uploads a file to a draft. Its real type is read from its bytes; the form's file
/// field says which types and sizes it accepts, checked at submission. In JSON
/// (base64) or as `multipart/form-data` with one `file` part, refused as soon as it
/// passes 10 MiB. Photos and scans are stored without their metadata.
#[utoipa::path(
    post,
    path = "/api/v1/drafts/{id}/attachments",
    tag = "teleservices",
    params(("id" = String, Path)),
    request_body(content(
        (Upload = "application/json"),
        (FileForm = "multipart/form-data"),
    )),
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = Attachment),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "Too many uploads at once: retry"),
    )
)]
pub async fn upload(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    let _admitted = upload::admit(request.headers(), super::UPLOAD_BODY).await?;
    let (filename, content) = match upload::Body::<Upload>::read(request, &state).await? {
        upload::Body::Json(body) => {
            let content = decode_content(&body.content_base64)?;
            upload::check_size(&content, "content_base64", DRAFT_FILE.max)?;
            (body.filename, content)
        }
        upload::Body::Form(mut form) => {
            let file = upload::single_file(&mut form, "file", DRAFT_FILE).await?;
            (file.filename, file.content)
        }
    };
    let attachment = state
        .teleservices
        .clone()
        .upload_attachment(bearer.request(pb::UploadAttachmentRequest {
            draft_id: id.clone(),
            filename,
            content,
        }))
        .await
        .map_err(draft_error)?
        .into_inner();
    Ok(Created(
        format!("/api/v1/drafts/{id}/attachments/{}", attachment.id),
        Json(Attachment::from(attachment)),
    ))
}

/// A document for a demand already filed — the piece an agent asked for — from the
/// resident who owns it, whoever holds the number of one filed without account, or an
/// agent handling it for a caller. Checked from its bytes (PDF, JPEG or PNG, 10 MiB at
/// most), kept with the demand's files and written in the timeline; a demand awaiting
/// the resident goes back to the agents. Teleservice demands (complaints take photos
/// at `…/photos`). In JSON (base64) or as `multipart/form-data` with a `file` part
/// (refused as soon as it passes 10 MiB or shows another type) and an optional `text`
/// part. Photos and scans are stored without their metadata.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{tracking_number}/attachments",
    tag = "demands",
    params(("tracking_number" = String, Path)),
    request_body(content(
        (DemandDocument = "application/json"),
        (DocumentForm = "multipart/form-data"),
    )),
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = Demand),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "Too many uploads at once: retry"),
    )
)]
pub async fn add_document(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(number): Path<String>,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    let tracking_number = number_of(&number, guichet_kit::Owner::Teleservices)?;
    let _admitted = upload::admit(request.headers(), super::UPLOAD_BODY).await?;
    let (filename, content, text) = match upload::Body::<DemandDocument>::read(request, &state)
        .await?
    {
        upload::Body::Json(body) => {
            let content = decode_content(&body.content_base64)?;
            upload::check_size(&content, "content_base64", DOCUMENT.max)?;
            (body.filename, content, body.text)
        }
        upload::Body::Form(mut form) => {
            let (mut file, mut text) = (None, String::new());
            while let Some(part) = upload::next_part(&mut form).await? {
                match part.name() {
                    Some("file") if file.is_some() => {
                        return Err(upload::invalid(
                            "file",
                            "Envoyez un seul fichier à la fois.",
                        ));
                    }
                    Some("file") => file = Some(upload::read_file(part, "file", DOCUMENT).await?),
                    Some("text") => text = upload::read_text(part, "text", DOCUMENT_TEXT).await?,
                    _ => {}
                }
            }
            let file = file.ok_or_else(|| upload::missing("file"))?;
            (file.filename, file.content, text)
        }
    };
    let demand = state
        .teleservices
        .clone()
        .add_demand_attachment(bearer.request(pb::AddDemandAttachmentRequest {
            tracking_number,
            filename,
            content,
            text,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    let demand = Demand::from(demand);
    Ok(Created(
        format!("/api/v1/demands/{}", demand.tracking_number),
        Json(demand),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DemandDocument {
    /// As the device named it; made safe before it is kept.
    pub filename: String,
    /// The file's bytes, base64 (standard alphabet).
    pub content_base64: String,
    /// Optional words to go with it (up to 4,000 characters).
    pub text: String,
}

/// Submits a draft: judged by the version it was filled against; answers the
/// tracking number. Send an `Idempotency-Key` so a retry never files twice.
#[utoipa::path(
    post,
    path = "/api/v1/drafts/{id}/submit",
    tag = "teleservices",
    params(("id" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "The same key files once")),
    request_body = Submission,
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = Demand),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn submit_draft(
    bearer: Bearer,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<Submission>,
) -> Result<impl IntoResponse, ApiError> {
    let request = submission(String::new(), id, body, idempotency_key(&headers)?);
    submit(&state, &bearer, request, draft_error).await
}

/// Files a teleservice in one go (answers without uploads), against `version` or the
/// live one. Send an `Idempotency-Key` so a retry never files twice.
#[utoipa::path(
    post,
    path = "/api/v1/teleservices/{slug}/demands",
    tag = "teleservices",
    params(("slug" = String, Path), ("Idempotency-Key" = Option<String>, Header, description = "The same key files once")),
    request_body = Submission,
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = Demand),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn file_demand(
    bearer: Bearer,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<Submission>,
) -> Result<impl IntoResponse, ApiError> {
    let request = submission(slug, String::new(), body, idempotency_key(&headers)?);
    submit(&state, &bearer, request, teleservice_error).await
}

fn submission(slug: String, draft_id: String, body: Submission, key: String) -> pb::SubmitRequest {
    let contact = body.contact.unwrap_or_default();
    pb::SubmitRequest {
        draft_id,
        slug,
        version: body.version,
        data_json: body.data.as_ref().map(data_json).unwrap_or_default(),
        contact: Some(pb::Contact {
            name: contact.name,
            email: contact.email,
            phone: contact.phone,
        }),
        idempotency_key: key,
        siret: body.siret,
        resident_id: body.resident_id,
    }
}

async fn submit(
    state: &AppState,
    bearer: &Bearer,
    request: pb::SubmitRequest,
    not_found: fn(tonic::Status) -> ApiError,
) -> Result<impl IntoResponse + use<>, ApiError> {
    let demand = state
        .teleservices
        .clone()
        .submit(bearer.request(request))
        .await
        .map_err(not_found)?
        .into_inner();
    let demand = Demand::from(demand);
    Ok(Created(
        format!("/api/v1/demands/{}", demand.tracking_number),
        Json(demand),
    ))
}

fn data_json(data: &Value) -> String {
    match data {
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// The answers of a teleservice demand and its files, with the definition of the
/// version filled, for the resident who filed it or an agent handling it.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{tracking_number}/answers",
    tag = "demands",
    params(("tracking_number" = String, Path)),
    security((), ("bearer" = [])),
    responses((status = 200, body = Answers), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
pub async fn answers(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(number): Path<String>,
) -> Result<Json<Answers>, ApiError> {
    let answers = state
        .teleservices
        .clone()
        .get_answers(bearer.request(pb::GetAnswersRequest {
            tracking_number: number_of(&number, guichet_kit::Owner::Teleservices)?,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Answers {
        data: serde_json::from_str(&answers.data_json).unwrap_or_default(),
        definition: serde_json::from_str(&answers.definition_json).unwrap_or_default(),
        attachments: answers
            .attachments
            .into_iter()
            .map(Attachment::from)
            .collect(),
        slug: answers.slug,
        version: answers.version,
    }))
}

/// A file attached to a teleservice demand, as uploaded.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{tracking_number}/attachments/{id}",
    tag = "demands",
    params(("tracking_number" = String, Path), ("id" = String, Path)),
    security((), ("bearer" = [])),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
pub async fn attachment(
    bearer: Bearer,
    State(state): State<AppState>,
    Path((number, id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    file(
        &state,
        bearer.request(pb::GetAttachmentRequest {
            tracking_number: number_of(&number, guichet_kit::Owner::Teleservices)?,
            attachment_id: id,
            draft_id: String::new(),
        }),
    )
    .await
}

/// A file uploaded to a draft, as uploaded: a draft resumed elsewhere shows its files.
#[utoipa::path(
    get,
    path = "/api/v1/drafts/{id}/attachments/{attachment_id}",
    tag = "teleservices",
    params(("id" = String, Path), ("attachment_id" = String, Path)),
    security((), ("bearer" = [])),
    responses((status = 200, content_type = "application/octet-stream"), (status = 404, body = Problem, content_type = "application/problem+json"))
)]
pub async fn draft_attachment(
    bearer: Bearer,
    State(state): State<AppState>,
    Path((id, attachment_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    file(
        &state,
        bearer.request(pb::GetAttachmentRequest {
            tracking_number: String::new(),
            attachment_id,
            draft_id: id,
        }),
    )
    .await
}

/// A stored file as a download, under the name it was uploaded with.
async fn file(
    state: &AppState,
    request: tonic::Request<pb::GetAttachmentRequest>,
) -> Result<impl IntoResponse + use<>, ApiError> {
    let file = state
        .teleservices
        .clone()
        .get_attachment(request)
        .await
        .map_err(|s| ApiError::from_status(s, "attachment_not_found"))?
        .into_inner();
    let meta = file.attachment.unwrap_or_default();
    let content_type = HeaderValue::from_str(&meta.mime_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let disposition = upload::content_disposition("attachment", &meta.filename);
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CONTENT_DISPOSITION, disposition),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        Bytes::from(file.content),
    ))
}
