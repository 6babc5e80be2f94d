//! Complaints: the catalogue of categories, filing with photos from every channel
//! (desk and phone agents on a resident's behalf), the public map, duplicates and "me
//! too" followers, photos added later, and the agents' and administrators' handling
//! (reassignment, merges, overdue list, desk search, categories, Open311 keys).

pub mod admin;
pub mod agent;
pub mod public;

use axum::{extract::DefaultBodyLimit, http::HeaderMap};
use chrono::{DateTime, Utc};
use guichet_kit::grpc::datetime;
use guichet_proto::{complaints::v1 as pb, names};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{error::ApiError, state::AppState, upload};

/// Filing carries up to 5 photos of 5 MiB, base64 in JSON (or as a form, smaller).
const FILING_BODY: usize = 36 * 1024 * 1024;

/// One photo of 5 MiB, base64 in JSON (or as a form, smaller).
const PHOTO_BODY: usize = 8 * 1024 * 1024;

/// The complaint routes, with the larger body limits of the two that carry photos.
pub fn routes() -> OpenApiRouter<AppState> {
    let filing = OpenApiRouter::new()
        .routes(routes!(public::file_complaint))
        .layer(DefaultBodyLimit::max(FILING_BODY));
    let photo = OpenApiRouter::new()
        .routes(routes!(public::add_photo, public::list_photos))
        .layer(DefaultBodyLimit::max(PHOTO_BODY));
    OpenApiRouter::new()
        .routes(routes!(public::list_categories))
        .routes(routes!(public::nearby))
        .routes(routes!(public::duplicates))
        .routes(routes!(public::public_complaint))
        .routes(routes!(public::follow))
        .routes(routes!(public::photo_content))
        .routes(routes!(agent::reassign))
        .routes(routes!(agent::merge))
        .routes(routes!(agent::overdue))
        .routes(routes!(agent::search))
        .routes(routes!(admin::admin_categories))
        .routes(routes!(admin::upsert_category))
        .routes(routes!(admin::list_open311_keys, admin::issue_open311_key))
        .routes(routes!(admin::get_open311_key, admin::revoke_open311_key))
        .merge(filing)
        .merge(photo)
}

/// Longest `Idempotency-Key` accepted; UUIDs and ULIDs fit with room to spare.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// What anyone may know of a complaint: no description, no person, no tracking number.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicComplaint {
    /// Public reference (also the Open311 `service_request_id`); not a tracking number.
    pub id: String,
    pub category: String,
    pub category_label: String,
    pub department: String,
    /// Shared status (`submitted` … `closed`).
    pub status: String,
    /// FixMyStreet sub-status: `investigating`, `planned`, `in_progress`, `fixed`,
    /// `not_responsible`, `duplicate`, `unable_to_fix`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sub_status: String,
    /// FixMyStreet state: `open`, `fixed` or `closed`.
    pub state: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    /// Metres from the point asked about (map, duplicates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// How many residents said "me too".
    pub followers: u32,
    /// The last reason an agent gave.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status_notes: String,
    /// Status changes, oldest first (one complaint's view only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<PublicEntry>,
    /// Set when merged as a duplicate: the public id of the complaint kept.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub merged_into: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicEntry {
    pub at: Option<DateTime<Utc>>,
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sub_status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
}

impl PublicComplaint {
    fn from_pb(c: pb::PublicComplaint, with_distance: bool) -> Self {
        Self {
            status: names::status(c.status()),
            created_at: c.created_at.as_ref().and_then(datetime),
            updated_at: c.updated_at.as_ref().and_then(datetime),
            due_at: c.due_at.as_ref().and_then(datetime),
            distance_m: with_distance.then_some(c.distance_m),
            history: c
                .history
                .into_iter()
                .map(|h| PublicEntry {
                    status: names::status(h.status()),
                    at: h.at.as_ref().and_then(datetime),
                    sub_status: h.sub_status,
                    text: h.text,
                })
                .collect(),
            id: c.id,
            category: c.category,
            category_label: c.category_label,
            department: c.department,
            sub_status: c.sub_status,
            state: c.state,
            latitude: c.latitude,
            longitude: c.longitude,
            address: c.address,
            followers: c.followers,
            status_notes: c.status_notes,
            merged_into: c.merged_into,
        }
    }
}

/// What a photo part may be, as the complaints service judges photos.
pub(super) const PHOTO: upload::Rule = upload::Rule {
    max: 5 * 1024 * 1024,
    accepted: guichet_kit::upload::PHOTOS,
    refused: "Seules les photos JPEG, PNG ou WebP sont acceptées.",
};

pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(String::new());
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::bad_field(
                "invalid_idempotency_key",
                "Idempotency-Key",
                "L'en-tête Idempotency-Key doit contenir entre 1 et 255 caractères imprimables.",
            )
        })
}
