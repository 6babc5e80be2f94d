//! Teleservices: the catalogue each requester may use on their channel, the form
//! definitions every UI renders the same way, drafts resumed on any channel, uploads,
//! submission; and, for form designers, building, piloting and publishing.

pub mod admin;
pub mod agent;
pub mod public;
pub mod resident;

use axum::extract::DefaultBodyLimit;
use guichet_proto::{names, teleservices::v1 as pb};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{error::ApiError, state::AppState};

/// The teleservice routes, with the larger body limit of the two that carry files.
pub fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(public::upload))
        .routes(routes!(public::add_document))
        .layer(DefaultBodyLimit::max(UPLOAD_BODY));
    OpenApiRouter::new()
        .routes(routes!(public::catalog))
        .routes(routes!(public::form))
        .routes(routes!(public::start_draft))
        .routes(routes!(
            public::get_draft,
            public::save_draft,
            public::discard_draft
        ))
        .routes(routes!(resident::my_drafts))
        .routes(routes!(public::submit_draft))
        .routes(routes!(public::file_demand))
        .routes(routes!(public::answers))
        .routes(routes!(public::attachment))
        .routes(routes!(public::draft_attachment, public::remove_attachment))
        .routes(routes!(agent::designer_list, agent::save_definition))
        .routes(routes!(agent::designer_get))
        .routes(routes!(agent::change_state))
        .routes(routes!(admin::seed))
        .merge(uploads)
}

/// Uploads carry files of up to 10 MiB, base64 in JSON: 10 MiB base64-encoded, with room
/// for the JSON around it.
const UPLOAD_BODY: usize = 14 * 1024 * 1024;

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

fn is_zero(n: &u32) -> bool {
    *n == 0
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

fn teleservice_error(status: tonic::Status) -> ApiError {
    ApiError::from_status(status, "teleservice_not_found")
}

fn draft_error(status: tonic::Status) -> ApiError {
    ApiError::from_status(status, "draft_not_found")
}
