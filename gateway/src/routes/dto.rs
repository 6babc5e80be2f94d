//! JSON shapes of the public API, converted from and to the protobuf messages.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use guichet_kit::grpc::datetime;
use guichet_proto::{
    complaints::v1 as complaints,
    demand::v1::{self as demand, TimelineEntryKind},
    names,
    notifications::v1 as notifications,
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;

/// A `201 Created` answer: the body (`Json` or `NoStore`), and in `Location` the address
/// where what was created is read or acted on.
pub struct Created<T>(pub String, pub T);

impl<T: IntoResponse> IntoResponse for Created<T> {
    fn into_response(self) -> Response {
        // Addresses are built from ids and tracking numbers, always valid header values.
        match HeaderValue::from_str(&self.0) {
            Ok(location) => {
                (StatusCode::CREATED, [(header::LOCATION, location)], self.1).into_response()
            }
            Err(_) => ApiError::unavailable().into_response(),
        }
    }
}

/// A complaint category residents choose from.
#[derive(Debug, Serialize, ToSchema)]
pub struct Category {
    /// Stable code to send when filing (`NID_DE_POULE`).
    pub code: String,
    /// French label to show.
    pub label: String,
    /// Department that handles it.
    pub department: String,
    /// `P1` danger, `P2` normal, `P3` cosmetic.
    pub priority: String,
    /// Service-level target, in days.
    pub sla_days: u32,
    /// Who does the work: `commune`, `metropole` or `partagee`.
    pub competence: String,
}

impl From<complaints::Category> for Category {
    fn from(c: complaints::Category) -> Self {
        Self {
            code: c.code,
            label: c.label,
            department: c.department,
            priority: c.priority,
            sla_days: c.sla_days,
            competence: c.competence,
        }
    }
}

/// A new complaint. Missing fields are reported together, in French, by field.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct NewComplaint {
    /// Category code from `/api/v1/complaints/categories`.
    pub category: String,
    pub description: String,
    pub location: Option<Location>,
    /// How to reach a resident without an account, to keep them informed.
    pub contact: Option<Contact>,
    /// A professional filing for one of their account's businesses.
    pub siret: String,
    /// Up to 5 photos (JPEG, PNG, WebP or HEIC; 5 MiB each), checked from their bytes.
    pub photos: Vec<PhotoUpload>,
    /// Desk and phone agents only: the account of the resident they file for, as found
    /// with `/api/v1/agent/search`. Ignored for anyone else.
    pub resident_id: String,
}

/// A photo sent in JSON.
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct PhotoUpload {
    /// As the device named it; informative only.
    pub filename: String,
    /// The file, base64 (standard alphabet, with padding).
    pub content_base64: String,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct Location {
    /// WGS84 degrees, with `longitude`.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct Contact {
    pub name: String,
    pub email: String,
    /// French number (`06 12 34 56 78`, `+33 6…`).
    pub phone: String,
}

/// Any demand, whatever the silo: the one shape every channel shows.
#[derive(Debug, Serialize, ToSchema)]
pub struct Demand {
    /// The number to quote on every channel (`CK7Q-M2XH-D9WP-AR`).
    pub tracking_number: String,
    /// `teleservice`, `complaint` or `rapo`.
    pub kind: String,
    pub title: String,
    pub department: String,
    /// Channel it was filed on.
    pub channel: String,
    /// `submitted`, `received`, `in_progress`, `awaiting_resident`, `resolved`, `rejected`, `closed`.
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sub_status: String,
    pub created_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    pub timeline: Vec<TimelineEntry>,
    /// The business it was filed for, if a professional filed it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub business: Option<DemandBusiness>,
    /// What the resident wrote and how to reach them: only for its handling agents and
    /// the desk, the resident who owns it, or whoever gave the contact left at filing
    /// (`POST /api/v1/demands/{tracking_number}/dossier`). Absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dossier: Option<Dossier>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Dossier {
    /// The resident's own words: a complaint's description, a dispute's facts and
    /// grounds (teleservices: see `answers`).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The contact left at filing (by the resident, or the desk agent for them).
    pub contact: Contact,
    /// What it is about: a complaint's address, an FPS's place.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    /// A teleservice's answers (field id → value), judged by the version filled.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub answers: Option<serde_json::Value>,
    /// The files that came with it; each `href` serves the bytes to the same people.
    pub pieces: Vec<DossierPiece>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DossierPiece {
    pub id: String,
    pub filename: String,
    pub mime_type: String,
    pub size: u64,
    pub sha256: String,
    /// Where to download it.
    pub href: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DemandBusiness {
    pub siret: String,
    pub name: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TimelineEntry {
    pub id: String,
    /// `status_change` or `message`.
    pub kind: String,
    pub at: Option<DateTime<Utc>>,
    pub author: Author,
    pub channel: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sub_status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Author {
    /// `resident`, `agent` or `system`.
    pub role: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub name: String,
}

impl From<demand::Demand> for Demand {
    fn from(mut d: demand::Demand) -> Self {
        let dossier = d
            .dossier
            .take()
            .map(|dossier| Dossier::new(dossier, &d.tracking_number, d.kind()));
        Self {
            dossier,
            kind: names::kind(d.kind()),
            channel: names::channel(d.channel()),
            status: names::status(d.status()),
            created_at: d.created_at.as_ref().and_then(datetime),
            due_at: d.due_at.as_ref().and_then(datetime),
            tracking_number: d.tracking_number,
            title: d.title,
            department: d.department,
            sub_status: d.sub_status,
            timeline: d.timeline.into_iter().map(TimelineEntry::from).collect(),
            business: d.business.map(|b| DemandBusiness {
                siret: b.siret,
                name: b.name,
            }),
        }
    }
}

impl Dossier {
    fn new(d: demand::Dossier, tracking_number: &str, kind: demand::DemandKind) -> Self {
        let contact = d.contact.unwrap_or_default();
        let href = |id: &str| match kind {
            demand::DemandKind::Complaint => {
                format!("/api/v1/demands/{tracking_number}/photos/{id}")
            }
            demand::DemandKind::Rapo => {
                format!("/api/v1/rapo/disputes/{tracking_number}/pieces/{id}")
            }
            _ => format!("/api/v1/demands/{tracking_number}/attachments/{id}"),
        };
        Self {
            description: d.description,
            contact: Contact {
                name: contact.name,
                email: contact.email,
                phone: contact.phone,
            },
            address: d.address,
            latitude: d.latitude,
            longitude: d.longitude,
            answers: (!d.answers_json.is_empty())
                .then(|| serde_json::from_str(&d.answers_json).ok())
                .flatten(),
            pieces: d
                .pieces
                .into_iter()
                .map(|p| DossierPiece {
                    href: href(&p.id),
                    id: p.id,
                    filename: p.filename,
                    mime_type: p.mime_type,
                    size: p.size,
                    sha256: p.sha256,
                })
                .collect(),
        }
    }
}

impl From<demand::TimelineEntry> for TimelineEntry {
    fn from(t: demand::TimelineEntry) -> Self {
        let is_status = t.kind() == TimelineEntryKind::StatusChange;
        let author = t.author.clone().unwrap_or_default();
        Self {
            kind: if is_status {
                "status_change"
            } else {
                "message"
            }
            .to_owned(),
            at: t.at.as_ref().and_then(datetime),
            author: Author {
                role: names::author_role(author.role()),
                name: author.name,
            },
            channel: names::channel(t.channel()),
            status: is_status.then(|| names::status(t.status())),
            id: t.id,
            sub_status: t.sub_status,
            text: t.text,
        }
    }
}

/// An agent's feed, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    pub items: Vec<FeedItem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeedItem {
    pub id: String,
    pub department: String,
    pub tracking_number: String,
    pub kind: String,
    /// Event that produced it (`complaints.complaint.filed`).
    pub event_type: String,
    /// French one-line summary.
    pub title: String,
    pub at: Option<DateTime<Utc>>,
    /// The demand's theme (`complaint:NID_DE_POULE`): the tab it belongs to.
    pub theme: String,
    /// Position in the feed: the SSE event id to resume after.
    pub seq: u64,
    /// Whether the agent marked it read.
    pub read: bool,
}

impl From<notifications::FeedItem> for FeedItem {
    fn from(i: notifications::FeedItem) -> Self {
        Self {
            kind: names::kind(i.kind()),
            at: i.at.as_ref().and_then(datetime),
            theme: i.theme,
            seq: i.seq,
            read: i.read,
            id: i.id,
            department: i.department,
            tracking_number: i.tracking_number,
            event_type: i.event_type,
            title: i.title,
        }
    }
}
