//! The events the rapo service publishes, built from what was just stored. Besides the
//! shared demand events (the police feed and residents' notifications hear those), a
//! filing and a decision have their own RAPO events for whoever needs their details.

use chrono::{DateTime, NaiveDate, Utc};
use guichet_kit::{
    bus::Event,
    demand::{Silo, events::Subject},
    grpc::timestamp,
};
use guichet_proto::{
    demand::v1::{Channel, DemandKind},
    rapo::v1::{DecisionKind, DisputeDecided, DisputeFiled},
};

use crate::{
    domain::{DEPARTMENT, THEME},
    store::DisputeRow,
};

pub const SERVICE: &str = "rapo";

/// Disputes, as the kit's shared demand steps write to them.
pub const SILO: Silo = Silo {
    service: SERVICE,
    kind: DemandKind::Rapo,
    table: "disputes",
    changed_at: None,
    // The holder and representative stay: the dispute is a record the city must keep.
    erased: None,
};
const SOURCE: &str = "/guichet/rapo";

/// The dispute's title, as feeds and lists show it.
pub fn title(notice_number: &str) -> String {
    format!("Recours RAPO contre le forfait post-stationnement n° {notice_number}")
}

/// The dispute as the shared demand events name it.
pub fn subject<'a>(dispute: &'a DisputeRow, title: &'a str) -> Subject<'a> {
    Subject {
        service: SERVICE,
        tracking_number: &dispute.tracking_number,
        kind: DemandKind::Rapo,
        department: &dispute.department,
        title,
        theme: THEME,
    }
}

pub fn filed(dispute: &DisputeRow, channel: Channel) -> Event {
    let body = DisputeFiled {
        tracking_number: dispute.tracking_number.clone(),
        notice_number: dispute.notice_number.clone(),
        department: DEPARTMENT.to_owned(),
        theme: THEME.to_owned(),
        channel: channel as i32,
        amount_cents: dispute.amount_cents,
        filed_at: Some(timestamp(dispute.received_at)),
        due_at: Some(timestamp(dispute.due_at)),
    };
    Event::new(
        SOURCE,
        "rapo.dispute.filed",
        &dispute.tracking_number,
        dispute.received_at,
        &body,
    )
}

/// What a decision says, for the `rapo.dispute.decided` event.
#[derive(Debug, Clone)]
pub struct Decided<'a> {
    pub kind: DecisionKind,
    pub code: &'a str,
    pub rectified_amount_cents: Option<i64>,
    pub rectified_notice_number: Option<&'a str>,
    pub decided_at: DateTime<Utc>,
    pub appeal_by: Option<NaiveDate>,
}

pub fn decided(dispute: &DisputeRow, decision: &Decided<'_>, at: DateTime<Utc>) -> Event {
    let body = DisputeDecided {
        tracking_number: dispute.tracking_number.clone(),
        notice_number: dispute.notice_number.clone(),
        department: dispute.department.clone(),
        kind: decision.kind as i32,
        code: decision.code.to_owned(),
        rectified_amount_cents: decision.rectified_amount_cents.unwrap_or_default(),
        rectified_notice_number: decision
            .rectified_notice_number
            .unwrap_or_default()
            .to_owned(),
        decided_at: Some(timestamp(decision.decided_at)),
        appeal_by: decision
            .appeal_by
            .map(|d| d.to_string())
            .unwrap_or_default(),
    };
    Event::new(
        SOURCE,
        "rapo.dispute.decided",
        &dispute.tracking_number,
        at,
        &body,
    )
}
