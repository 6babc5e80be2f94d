//! The events the complaints service publishes, built from what was just stored.

use chrono::{DateTime, Utc};
use guichet_kit::{bus::Event, demand::events::Subject, grpc::timestamp};
use guichet_proto::{demand::v1::DemandKind, events::v1::ComplaintFiled};

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

/// The complaint as the shared demand events name it.
pub fn subject<'a>(complaint: &'a ComplaintRow, title: &'a str, theme: &'a str) -> Subject<'a> {
    Subject {
        service: "complaints",
        tracking_number: &complaint.tracking_number,
        kind: DemandKind::Complaint,
        department: &complaint.department,
        title,
        theme,
    }
}
