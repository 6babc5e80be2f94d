//! How complaints are shown: the shared demand model, the public view, photos and
//! categories, built from what the store reads.

use guichet_kit::{demand::timeline::TimelineRow, grpc::timestamp};
use guichet_proto::{
    complaints::v1::{self as pb, FileComplaintResponse},
    demand::v1::{Contact, Demand, DemandKind, Dossier, Piece},
    names,
};

use crate::{
    domain::{self, states},
    store::{self, ComplaintRow, PublicRow},
};

pub fn title_of(complaint: &ComplaintRow) -> String {
    domain::title(&complaint.category_label, &complaint.address)
}

/// What the resident reported and how to reach them, for those entitled to it.
pub fn dossier(complaint: &ComplaintRow, photos: &[store::PhotoRow]) -> Dossier {
    Dossier {
        description: complaint.description.clone(),
        contact: Some(Contact {
            name: complaint.contact_name.clone(),
            email: complaint.contact_email.clone(),
            phone: complaint.contact_phone.clone(),
        }),
        address: complaint.address.clone(),
        latitude: complaint.latitude,
        longitude: complaint.longitude,
        answers_json: String::new(),
        pieces: photos
            .iter()
            .map(|p| Piece {
                id: p.id.to_string(),
                filename: format!("photo-{}", p.id),
                mime_type: p.mime_type.clone(),
                size: u64::try_from(p.size).unwrap_or_default(),
                sha256: p.sha256.clone(),
            })
            .collect(),
    }
}

/// A filing's answer: the complaint, its photos, and open complaints close by.
pub fn answer(
    complaint: &ComplaintRow,
    timeline: &[TimelineRow],
    photos: &[store::PhotoRow],
    duplicates: &[store::PublicRow],
) -> FileComplaintResponse {
    FileComplaintResponse {
        demand: Some(to_demand(complaint, timeline)),
        duplicates: duplicates.iter().map(|d| to_public(d, &[])).collect(),
        photos: photos.iter().map(photo_info).collect(),
    }
}

pub fn to_demand(complaint: &ComplaintRow, timeline: &[TimelineRow]) -> Demand {
    Demand {
        business: complaint.business_siret.clone().map(|siret| {
            guichet_proto::demand::v1::Business {
                siret,
                name: complaint.business_name.clone().unwrap_or_default(),
            }
        }),
        tracking_number: complaint.tracking_number.clone(),
        kind: DemandKind::Complaint as i32,
        title: title_of(complaint),
        department: complaint.department.clone(),
        channel: names::parse_channel(&complaint.channel).unwrap_or_default() as i32,
        status: names::parse_status(&complaint.status).unwrap_or_default() as i32,
        sub_status: complaint.sub_status.clone(),
        created_at: Some(timestamp(complaint.created_at)),
        due_at: Some(timestamp(complaint.due_at)),
        timeline: timeline.iter().map(TimelineRow::to_proto).collect(),
        dossier: None,
    }
}

pub fn to_category(c: domain::Category, active: bool) -> pb::Category {
    pb::Category {
        code: c.code,
        label: c.label,
        department: c.department,
        priority: c.priority,
        sla_days: u32::try_from(c.sla_days).unwrap_or_default(),
        competence: c.competence,
        active,
    }
}

pub fn photo_info(row: &store::PhotoRow) -> pb::PhotoInfo {
    pb::PhotoInfo {
        id: row.id.to_string(),
        mime_type: row.mime_type.clone(),
        size: u64::try_from(row.size).unwrap_or_default(),
        sha256: row.sha256.clone(),
        added_at: Some(timestamp(row.added_at)),
        channel: names::parse_channel(&row.channel).unwrap_or_default() as i32,
    }
}

pub fn to_public(row: &PublicRow, history: &[TimelineRow]) -> pb::PublicComplaint {
    pb::PublicComplaint {
        id: row.id.to_string(),
        category: row.category.clone(),
        category_label: row.category_label.clone(),
        department: row.department.clone(),
        status: names::parse_status(&row.status).unwrap_or_default() as i32,
        sub_status: row.sub_status.clone(),
        state: states::state(&row.status).to_owned(),
        latitude: row.latitude,
        longitude: row.longitude,
        address: row.address.clone(),
        created_at: Some(timestamp(row.created_at)),
        updated_at: Some(timestamp(row.updated_at)),
        due_at: Some(timestamp(row.due_at)),
        distance_m: (row.distance_m * 10.0).round() / 10.0,
        followers: u32::try_from(row.followers).unwrap_or_default(),
        status_notes: row.status_notes.clone(),
        history: history
            .iter()
            .filter(|t| t.kind == "status_change")
            .map(|t| pb::PublicEntry {
                at: Some(timestamp(t.at)),
                status: t
                    .status
                    .as_deref()
                    .and_then(names::parse_status)
                    .unwrap_or_default() as i32,
                sub_status: t.sub_status.clone(),
                // Agents' reasons are for the public; a resident's words are not.
                text: if t.author_role == "agent" {
                    t.text.clone()
                } else {
                    String::new()
                },
            })
            .collect(),
        merged_into: row.merged_into.map(|id| id.to_string()).unwrap_or_default(),
    }
}
