//! The events the complaints service publishes, built from what was just stored.

use chrono::{DateTime, Utc};
use guichet_kit::{
    bus::Event,
    demand::{
        Silo,
        events::{Act, Subject},
    },
    grpc::timestamp,
};
use guichet_proto::{
    complaints::v1::{ComplaintMerged, ComplaintReassigned, FollowerOutcome},
    demand::v1::{DemandKind, Status},
    events::v1::ComplaintFiled,
    names,
};

use crate::{
    domain::{NewComplaint, states},
    store::{ComplaintRow, Follower},
};

const SOURCE: &str = "/guichet/complaints";

pub fn filed(
    tracking_number: &str,
    complaint: &NewComplaint,
    at: DateTime<Utc>,
    due_at: DateTime<Utc>,
) -> Event {
    let body = ComplaintFiled {
        tracking_number: tracking_number.to_owned(),
        category: complaint.category.code.clone(),
        category_label: complaint.category.label.clone(),
        department: complaint.category.department.clone(),
        channel: complaint.channel as i32,
        description: complaint.description.clone(),
        latitude: complaint.latitude,
        longitude: complaint.longitude,
        address: complaint.address.clone(),
        filed_at: Some(timestamp(at)),
        due_at: Some(timestamp(due_at)),
        has_contact: !complaint.contact_email.is_empty() || !complaint.contact_phone.is_empty(),
        contact_email: complaint.contact_email.clone(),
        contact_phone: complaint.contact_phone.clone(),
        account_id: complaint.resident_id.clone().unwrap_or_default(),
    };
    Event::new(
        SOURCE,
        "complaints.complaint.filed",
        tracking_number,
        at,
        &body,
    )
}

/// The complaint as the shared demand events name it.
pub const SERVICE: &str = "complaints";

/// Complaints, as the kit's shared demand steps write to them.
pub const SILO: Silo = Silo {
    service: SERVICE,
    kind: DemandKind::Complaint,
    table: "complaints",
    changed_at: Some("updated_at"),
    erased: Some("contact_name = ''"),
};

pub fn subject<'a>(complaint: &'a ComplaintRow, title: &'a str, theme: &'a str) -> Subject<'a> {
    Subject {
        service: SERVICE,
        tracking_number: &complaint.tracking_number,
        kind: DemandKind::Complaint,
        department: &complaint.department,
        title,
        theme,
    }
}

/// One event per follower when a followed complaint reaches its outcome.
pub fn follower_outcome(
    complaint: &ComplaintRow,
    title: &str,
    status: Status,
    sub_status: &str,
    reason: &str,
    follower: &Follower,
    at: DateTime<Utc>,
) -> Event {
    let body = FollowerOutcome {
        complaint_id: complaint.id.to_string(),
        title: title.to_owned(),
        status: status as i32,
        sub_status: sub_status.to_owned(),
        state: states::state(&names::status(status)).to_owned(),
        reason: reason.to_owned(),
        at: Some(timestamp(at)),
        account_id: follower.resident_id.clone().unwrap_or_default(),
        name: follower.contact_name.clone(),
        email: follower.contact_email.clone(),
        phone: follower.contact_phone.clone(),
    };
    // The subject is the public id: a follower never holds the tracking number.
    Event::new(
        SOURCE,
        "complaints.follower.outcome_reached",
        &complaint.id.to_string(),
        at,
        &body,
    )
}

pub fn reassigned(complaint: &ComplaintRow, to: &str, reason: &str, act: &Act) -> Event {
    let body = ComplaintReassigned {
        tracking_number: complaint.tracking_number.clone(),
        from_department: complaint.department.clone(),
        to_department: to.to_owned(),
        reason: reason.to_owned(),
        author: Some(act.author.clone()),
        at: Some(timestamp(act.at)),
    };
    Event::new(
        SOURCE,
        "complaints.complaint.reassigned",
        &complaint.tracking_number,
        act.at,
        &body,
    )
}

pub fn merged(duplicate: &ComplaintRow, kept: &ComplaintRow, act: &Act) -> Event {
    let body = ComplaintMerged {
        duplicate: duplicate.tracking_number.clone(),
        kept: kept.tracking_number.clone(),
        department: kept.department.clone(),
        author: Some(act.author.clone()),
        at: Some(timestamp(act.at)),
    };
    Event::new(
        SOURCE,
        "complaints.complaint.merged",
        &duplicate.tracking_number,
        act.at,
        &body,
    )
}
