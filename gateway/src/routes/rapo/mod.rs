//! RAPO: contesting a parking fine (forfait post-stationnement) with the city before any
//! court. Residents file (with or without an account) and follow their dispute; the
//! municipal police import the FPS registry, read dossiers and decide; messages go
//! through the shared `/api/v1/demands/{number}/messages`. Every route forwards the caller's token; the rapo service decides who may do what.

pub mod agent;
pub mod public;

use axum::extract::DefaultBodyLimit;
use chrono::{DateTime, Utc};
use guichet_kit::{
    calendar::{paris_date, paris_offset_hours},
    grpc::datetime,
};
use guichet_proto::{names, rapo::v1 as pb};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::state::AppState;

/// Largest filing body: 10 MiB of pieces, base64-encoded (4/3), plus the form.
const MAX_FILING_BODY: usize = 16 * 1024 * 1024;

/// Largest registry import.
const MAX_IMPORT_BODY: usize = 16 * 1024 * 1024;

/// The RAPO routes, with the body limits their uploads need.
pub fn routes() -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(public::file_dispute, agent::list_disputes))
        .routes(routes!(agent::import_fps))
        .layer(DefaultBodyLimit::max(MAX_FILING_BODY.max(MAX_IMPORT_BODY)));
    OpenApiRouter::new()
        .routes(routes!(public::get_dispute))
        .routes(routes!(agent::decide))
        .routes(routes!(agent::preview))
        .routes(routes!(public::letter))
        .routes(routes!(public::piece))
        .merge(uploads)
}

#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(default)]
pub struct Person {
    pub name: String,
    /// Postal address, for the decision letter.
    pub address: String,
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
