//! How teleservices, their demands and files are shown: the protobuf views.

use guichet_kit::{demand::timeline::TimelineRow, grpc::timestamp};
use guichet_proto::{
    demand::v1::{Business, Demand, DemandKind},
    names,
    teleservices::v1 as pb,
};
use sqlx::types::Json;

use crate::{
    form::Definition,
    pilot::Pilot,
    store::{AttachmentRow, DemandRow, LiveRow},
};

pub(crate) fn unsigned(n: i32) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

pub(crate) fn pilot_proto(pilot: &Pilot) -> pb::Pilot {
    match pilot {
        Pilot::Agents => pb::Pilot {
            mode: "agents".to_owned(),
            ..Default::default()
        },
        Pilot::Cohort { residents } => pb::Pilot {
            mode: "cohort".to_owned(),
            residents: residents.clone(),
            percentage: 0,
        },
        Pilot::Percentage { percentage } => pb::Pilot {
            mode: "percentage".to_owned(),
            residents: Vec::new(),
            percentage: u32::from(*percentage),
        },
    }
}

pub(crate) fn catalog_entry(t: &LiveRow) -> pb::CatalogEntry {
    let d: &Json<Definition> = &t.definition;
    pb::CatalogEntry {
        slug: t.slug.clone(),
        title: d.title.clone(),
        theme: d.theme.clone(),
        department: d.department.clone(),
        description: d.description.clone(),
        account_required: d.audience.requires_account(),
        channels: d
            .channels
            .iter()
            .filter_map(|c| serde_json::to_value(c).ok())
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        version: unsigned(t.live_version),
        sla_days: d.sla_days,
        pilot: t.state == "pilot",
    }
}

pub(crate) fn attachment_proto(a: &AttachmentRow) -> pb::Attachment {
    pb::Attachment {
        id: a.id.to_string(),
        filename: a.filename.clone(),
        mime_type: a.mime_type.clone(),
        size: u64::try_from(a.size).unwrap_or(0),
        sha256: a.sha256.clone(),
    }
}

pub(crate) fn to_demand(d: &DemandRow, entries: &[TimelineRow]) -> Demand {
    Demand {
        tracking_number: d.tracking_number.clone(),
        kind: DemandKind::Teleservice as i32,
        title: d.title.clone(),
        department: d.department.clone(),
        channel: names::parse_channel(&d.channel).unwrap_or_default() as i32,
        status: names::parse_status(&d.status).unwrap_or_default() as i32,
        sub_status: d.sub_status.clone(),
        created_at: Some(timestamp(d.created_at)),
        due_at: Some(timestamp(d.due_at)),
        timeline: entries.iter().map(TimelineRow::to_proto).collect(),
        business: d.business_siret.clone().map(|siret| Business {
            siret,
            name: d.business_name.clone().unwrap_or_default(),
        }),
        dossier: None,
    }
}
