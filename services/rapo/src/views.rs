//! How a dispute is shown: the shared demand model, its dossier and contact, and the
//! RAPO view with its notice, deadlines and decision.

use guichet_kit::{demand::timeline::TimelineRow, grpc::timestamp};
use guichet_proto::{
    demand::v1::{Contact, Demand, DemandKind, Dossier, Piece as DemandPiece},
    names,
    rapo::v1::{self as pb, DecisionKind, Dispute},
};

use crate::{
    domain::{days_left, letter, parse_decision_code},
    events,
    store::{DisputeRow, PieceRow},
};

/// The contact the resident gave at filing.
pub(crate) fn contact(row: &DisputeRow) -> Contact {
    Contact {
        name: row.holder_name.clone(),
        email: row.contact_email.clone(),
        phone: row.contact_phone.clone(),
    }
}

/// The dispute's dossier: the resident's own words, their contact and the pieces.
pub(crate) fn dossier(row: &DisputeRow, pieces: &[PieceRow]) -> Dossier {
    Dossier {
        description: format!("Faits : {}\n\nMotifs : {}", row.facts, row.grounds),
        contact: Some(contact(row)),
        address: row.place.clone(),
        latitude: None,
        longitude: None,
        answers_json: String::new(),
        pieces: pieces
            .iter()
            .map(|p| DemandPiece {
                id: p.id.to_string(),
                filename: p.name.clone(),
                mime_type: p.content_type.clone(),
                size: u64::try_from(p.size).unwrap_or_default(),
                sha256: p.sha256.clone(),
            })
            .collect(),
    }
}

/// The dispute as the shared demand model shows it.
pub(crate) fn to_demand(row: &DisputeRow, timeline: &[TimelineRow]) -> Demand {
    Demand {
        tracking_number: row.tracking_number.clone(),
        kind: DemandKind::Rapo as i32,
        title: events::title(&row.notice_number),
        department: row.department.clone(),
        channel: names::parse_channel(&row.channel).unwrap_or_default() as i32,
        status: names::parse_status(&row.status).unwrap_or_default() as i32,
        sub_status: row.sub_status.clone(),
        created_at: Some(timestamp(row.received_at)),
        due_at: Some(timestamp(row.due_at)),
        timeline: timeline.iter().map(TimelineRow::to_proto).collect(),
        business: None,
        dossier: None,
    }
}

/// The RAPO view: the FPS, the pieces, the deadlines, the decision and what comes next.
pub(crate) fn to_dispute(
    row: &DisputeRow,
    pieces: &[PieceRow],
    now: chrono::DateTime<chrono::Utc>,
) -> Dispute {
    let kind = row
        .decision
        .as_deref()
        .map(parse_decision_code)
        .unwrap_or_default();
    let person = |name: &str, address: &str| {
        (!name.is_empty()).then(|| pb::Person {
            name: name.to_owned(),
            address: address.to_owned(),
        })
    };
    Dispute {
        tracking_number: row.tracking_number.clone(),
        fps: Some(pb::Fps {
            notice_number: row.notice_number.clone(),
            plate: row.fps_plate.clone(),
            offence_at: Some(timestamp(row.offence_at)),
            place: row.place.clone(),
            amount_cents: row.amount_cents,
            issuing_agent: row.issuing_agent.clone(),
            notified_on: row.notified_on.to_string(),
            notification_channel: row.notification_channel.clone(),
            rectifies: String::new(),
        }),
        holder: person(&row.holder_name, &row.holder_address),
        representative: person(&row.representative_name, &row.representative_address),
        facts: row.facts.clone(),
        grounds: row.grounds.clone(),
        pieces: pieces
            .iter()
            .map(|p| pb::Piece {
                id: p.id.to_string(),
                role: p.role.clone(),
                name: p.name.clone(),
                content_type: p.content_type.clone(),
                size: u64::try_from(p.size).unwrap_or_default(),
                sha256: p.sha256.clone(),
            })
            .collect(),
        received_at: Some(timestamp(row.received_at)),
        answer_by: row.answer_by.to_string(),
        due_at: Some(timestamp(row.due_at)),
        status: names::parse_status(&row.status).unwrap_or_default() as i32,
        sub_status: row.sub_status.clone(),
        decision: row.decided_at.map(|decided_at| pb::Decision {
            kind: kind as i32,
            code: row.decision.clone().unwrap_or_default(),
            reasons: row.decision_reasons.clone(),
            rectified_amount_cents: row.rectified_amount_cents.unwrap_or_default(),
            rectified_notice_number: row.rectified_notice_number.clone().unwrap_or_default(),
            decided_at: Some(timestamp(decided_at)),
            decided_by: row.decided_by.clone(),
        }),
        next_step: row.appeal_by.map(letter::next_step),
        days_left: days_left(row.answer_by, now),
        overdue: (row.decision.is_none() && now >= row.due_at)
            || kind == DecisionKind::ImplicitRejection,
        channel: names::parse_channel(&row.channel).unwrap_or_default() as i32,
        contact: None,
    }
}
