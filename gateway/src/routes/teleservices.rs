//! Teleservices: the catalogue each requester may use on their channel, the form
//! definitions every UI renders the same way, drafts resumed on any channel, uploads,
//! submission; and, for form designers, building, piloting and publishing.

use axum::{
    Json,
    body::Bytes,
    extract::{Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::Engine as _;
use guichet_proto::{names, teleservices::v1 as pb};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{
    complaints::idempotency_key,
    demands::number_of,
    dto::{Contact, Created, Demand},
};
use crate::{
    auth::{Admin, Agent, Bearer, SignedIn},
    error::{ApiError, ApiJson, ApiQuery, Problem},
    state::AppState,
    upload,
};

// ------------------------------------------------------------------ JSON shapes

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

/// Answers saved to finish later, on any channel.
#[derive(Debug, Serialize, ToSchema)]
pub struct Draft {
    /// Keep it: it is how a resident without account finds the draft again.
    pub id: String,
    pub slug: String,
    /// The version the draft is filled against: it is judged by that version.
    pub version: u32,
    #[schema(value_type = Object)]
    pub data: Value,
    /// Where it was last saved from.
    pub channel: String,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
    pub attachments: Vec<Attachment>,
    /// The teleservice's title, in the version the draft is filled against.
    pub title: String,
    /// Set once submitted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracking_number: Option<String>,
}

impl From<pb::Draft> for Draft {
    fn from(d: pb::Draft) -> Self {
        Self {
            channel: names::channel(d.channel()),
            updated_at: d.updated_at.as_ref().and_then(guichet_kit::grpc::datetime),
            data: serde_json::from_str(&d.data_json).unwrap_or_default(),
            attachments: d.attachments.into_iter().map(Attachment::from).collect(),
            tracking_number: Some(d.tracking_number).filter(|t| !t.is_empty()),
            id: d.id,
            slug: d.slug,
            version: d.version,
            title: d.title,
        }
    }
}

/// An uploaded file: reference it by `id` in the answers of a file field.
#[derive(Debug, Serialize, ToSchema)]
pub struct Attachment {
    pub id: String,
    pub filename: String,
    /// Read from the content, not from what the client declared.
    pub mime_type: String,
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

impl From<pb::Attachment> for Attachment {
    fn from(a: pb::Attachment) -> Self {
        Self {
            id: a.id,
            filename: a.filename,
            mime_type: a.mime_type,
            size: a.size,
            sha256: a.sha256,
        }
    }
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

/// A teleservice as its designers see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Teleservice {
    pub slug: String,
    /// `draft`, `pilot`, `published` or `retired`.
    pub state: String,
    /// The version residents fill (absent before the first pilot or publication).
    pub live_version: Option<u32>,
    /// The version being edited, if any.
    pub draft_version: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilot: Option<Pilot>,
    /// Which version `definition` is.
    pub version: Option<u32>,
    /// Null when the version asked for has none (no draft being edited, say).
    #[schema(value_type = Option<Object>)]
    pub definition: Value,
    pub updated_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Who may use a piloted teleservice.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct Pilot {
    /// `agents`, `cohort` or `percentage`.
    pub mode: String,
    /// Account ids of the cohort.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub residents: Vec<String>,
    /// 1 to 99: share of residents, always the same ones.
    #[serde(skip_serializing_if = "is_zero")]
    pub percentage: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl From<pb::Teleservice> for Teleservice {
    fn from(t: pb::Teleservice) -> Self {
        let some = |n: u32| (n > 0).then_some(n);
        Self {
            live_version: some(t.live_version),
            draft_version: some(t.draft_version),
            version: some(t.version),
            pilot: t.pilot.map(|p| Pilot {
                mode: p.mode,
                residents: p.residents,
                percentage: p.percentage,
            }),
            definition: serde_json::from_str(&t.definition_json).unwrap_or_default(),
            updated_at: t.updated_at.as_ref().and_then(guichet_kit::grpc::datetime),
            slug: t.slug,
            state: t.state,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct StateChange {
    /// `pilot`, `published` or `retired`.
    pub state: String,
    /// Required for `pilot`.
    pub pilot: Option<Pilot>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct VersionQuery {
    /// A given version (a draft resumed after a new publication); omitted: the live one.
    pub version: u32,
    /// Designers: the version being edited.
    pub draft: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Seeded {
    /// Teleservices created and published; existing ones are left alone.
    pub created: u32,
}

// ------------------------------------------------------------------ residents

fn teleservice_error(status: tonic::Status) -> ApiError {
    ApiError::from_status(status, "teleservice_not_found")
}

fn draft_error(status: tonic::Status) -> ApiError {
    ApiError::from_status(status, "draft_not_found")
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

/// The signed-in resident's unfinished drafts, whatever channel they were saved from.
#[utoipa::path(
    get,
    path = "/api/v1/me/drafts",
    tag = "me",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Draft>), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
pub async fn my_drafts(
    signed_in: SignedIn,
    State(state): State<AppState>,
) -> Result<Json<Vec<Draft>>, ApiError> {
    let drafts = state
        .teleservices
        .clone()
        .list_drafts(signed_in.bearer().request(pb::ListDraftsRequest {}))
        .await
        .map_err(draft_error)?
        .into_inner()
        .drafts;
    Ok(Json(drafts.into_iter().map(Draft::from).collect()))
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

// ------------------------------------------------------------------ designers

/// Every teleservice in every state: the form designers' list.
#[utoipa::path(
    get,
    path = "/api/v1/agent/teleservices",
    tag = "agent",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Teleservice>), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
pub async fn designer_list(
    agent: Agent,
    State(state): State<AppState>,
) -> Result<Json<Vec<Teleservice>>, ApiError> {
    let list = state
        .teleservices
        .clone()
        .list_teleservices(
            agent
                .bearer()
                .request(pb::ListTeleservicesRequest { all: true }),
        )
        .await
        .map_err(teleservice_error)?
        .into_inner()
        .teleservices;
    Ok(Json(list.into_iter().map(Teleservice::from).collect()))
}

/// Saves a definition: creates the teleservice, or a new draft version of a published
/// one (what residents fill does not change until it is published), or replaces the
/// current draft. An invalid definition is refused with the path of each fault.
#[utoipa::path(
    post,
    path = "/api/v1/agent/teleservices",
    tag = "agent",
    request_body(content = Object, description = "The definition: slug, title, theme, department, description, audience, channels, sla_days, sub_statuses, pages"),
    params(("If-None-Match" = Option<String>, Header, description = "`*`: create only; a slug already taken is refused (422 on `slug`) instead of saving a new draft of that teleservice")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "An existing teleservice's draft saved", body = Teleservice),
        (status = 201, description = "The teleservice created", body = Teleservice),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn save_definition(
    agent: Agent,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(definition): ApiJson<Value>,
) -> Result<Response, ApiError> {
    let create_only = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| v.as_bytes().trim_ascii() == b"*");
    let saved = state
        .teleservices
        .clone()
        .save_definition(agent.bearer().request(pb::SaveDefinitionRequest {
            definition_json: definition.to_string(),
            create_only,
        }))
        .await
        .map_err(teleservice_error)?
        .into_inner();
    Ok(if saved.created {
        let location = format!("/api/v1/agent/teleservices/{}", saved.slug);
        Created(location, Json(Teleservice::from(saved))).into_response()
    } else {
        Json(Teleservice::from(saved)).into_response()
    })
}

/// A teleservice for its designers: the live version, the draft, or any version.
#[utoipa::path(
    get,
    path = "/api/v1/agent/teleservices/{slug}",
    tag = "agent",
    params(("slug" = String, Path), VersionQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Teleservice, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn designer_get(
    agent: Agent,
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
    ApiQuery(query): ApiQuery<VersionQuery>,
) -> Result<Response, ApiError> {
    let t = state
        .teleservices
        .clone()
        .get_definition(agent.bearer().request(pb::GetDefinitionRequest {
            slug,
            version: query.version,
            draft: query.draft,
        }))
        .await
        .map_err(teleservice_error)?
        .into_inner();
    Ok(crate::cache::tagged(&headers, &Teleservice::from(t)))
}

/// Pilots (agents, a cohort or a stable percentage of residents), publishes or retires
/// a teleservice. Piloting or publishing freezes the draft version; demands already
/// filed keep the version they were filled with.
#[utoipa::path(
    post,
    path = "/api/v1/agent/teleservices/{slug}/state",
    tag = "agent",
    params(("slug" = String, Path)),
    request_body = StateChange,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Teleservice),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn change_state(
    agent: Agent,
    State(state): State<AppState>,
    Path(slug): Path<String>,
    ApiJson(body): ApiJson<StateChange>,
) -> Result<Json<Teleservice>, ApiError> {
    let t = state
        .teleservices
        .clone()
        .change_state(agent.bearer().request(pb::ChangeStateRequest {
            slug,
            state: body.state,
            pilot: body.pilot.map(|p| pb::Pilot {
                mode: p.mode,
                residents: p.residents,
                percentage: p.percentage,
            }),
        }))
        .await
        .map_err(teleservice_error)?
        .into_inner();
    Ok(Json(Teleservice::from(t)))
}

/// Loads the city's starting catalogue of teleservices (demo data, first install).
#[utoipa::path(
    post,
    path = "/api/v1/admin/teleservices/seed",
    tag = "admin",
    security(("bearer" = [])),
    responses((status = 200, body = Seeded), (status = 403, body = Problem, content_type = "application/problem+json"))
)]
pub async fn seed(admin: Admin, State(state): State<AppState>) -> Result<Json<Seeded>, ApiError> {
    let created = state
        .teleservices
        .clone()
        .seed_catalog(admin.bearer().request(pb::SeedCatalogRequest {}))
        .await
        .map_err(teleservice_error)?
        .into_inner()
        .created;
    Ok(Json(Seeded { created }))
}
