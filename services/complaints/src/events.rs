//! The events the complaints service publishes, built from what was just stored.

use chrono::{DateTime, Utc};
use guichet_kit::{bus::Event, grpc::timestamp};
use guichet_proto::{
    demand::v1::{Author, Channel, DemandKind, Status},
    events::v1::{ComplaintFiled, DemandMessagePosted, DemandStatusChanged},
};

use crate::{domain::NewComplaint, store::ComplaintRow};

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
    };
    Event::new(
        SOURCE,
        "complaints.complaint.filed",
        tracking_number,
        at,
        &body,
    )
}

pub struct Change<'a> {
    pub complaint: &'a ComplaintRow,
    pub author: Author,
    pub channel: Channel,
    pub at: DateTime<Utc>,
}

pub fn status_changed(
    change: &Change<'_>,
    status: Status,
    sub_status: &str,
    reason: &str,
) -> Event {
    let c = change.complaint;
    let body = DemandStatusChanged {
        tracking_number: c.tracking_number.clone(),
        kind: DemandKind::Complaint as i32,
        department: c.department.clone(),
        status: status as i32,
        sub_status: sub_status.to_owned(),
        reason: reason.to_owned(),
        author: Some(change.author.clone()),
        channel: change.channel as i32,
        at: Some(timestamp(change.at)),
        title: crate::domain::title(&c.category_label, &c.address),
        theme: crate::domain::theme(&c.category),
    };
    Event::new(
        SOURCE,
        "complaints.demand.status_changed",
        &c.tracking_number,
        change.at,
        &body,
    )
}

pub fn message_posted(change: &Change<'_>, text: &str) -> Event {
    let c = change.complaint;
    let body = DemandMessagePosted {
        tracking_number: c.tracking_number.clone(),
        kind: DemandKind::Complaint as i32,
        department: c.department.clone(),
        author: Some(change.author.clone()),
        channel: change.channel as i32,
        text: text.to_owned(),
        at: Some(timestamp(change.at)),
        title: crate::domain::title(&c.category_label, &c.address),
        theme: crate::domain::theme(&c.category),
    };
    Event::new(
        SOURCE,
        "complaints.demand.message_posted",
        &c.tracking_number,
        change.at,
        &body,
    )
}

/// An agent read or changed a complaint holding personal data.
pub fn audited(
    agent: &guichet_kit::auth::Claims,
    action: &str,
    tracking_number: &str,
    at: DateTime<Utc>,
) -> Event {
    let body = guichet_proto::events::v1::AuditRecorded {
        actor_id: agent.sub.clone(),
        actor_name: agent.name.clone(),
        channel: agent.channel() as i32,
        action: action.to_owned(),
        subject: tracking_number.to_owned(),
        detail: String::new(),
        at: Some(timestamp(at)),
    };
    Event::new(
        SOURCE,
        "complaints.audit.recorded",
        tracking_number,
        at,
        &body,
    )
}

/// A resident attached an anonymous complaint to their account.
pub fn claimed(tracking_number: &str, account: &str, department: &str, at: DateTime<Utc>) -> Event {
    let body = guichet_proto::events::v1::DemandClaimed {
        tracking_number: tracking_number.to_owned(),
        account_id: account.to_owned(),
        department: department.to_owned(),
        at: Some(timestamp(at)),
    };
    Event::new(
        SOURCE,
        "complaints.demand.claimed",
        tracking_number,
        at,
        &body,
    )
}
