//! The events every silo publishes about a demand's life, routed
//! `<service>.demand.<verb>` and `<service>.audit.recorded`.

use chrono::{DateTime, Utc};
use guichet_proto::{
    demand::v1::{Author, AuthorRole, Channel, DemandKind, Status},
    events::v1::{
        AuditRecorded, DemandClaimed, DemandFiled, DemandMessagePosted, DemandStatusChanged,
    },
};

use crate::{auth::Claims, bus::Event, grpc::timestamp};

/// The demand an event is about, as agents' feeds show it.
#[derive(Debug, Clone)]
pub struct Subject<'a> {
    /// `teleservices`, `complaints`, `rapo`: the routing key's first word.
    pub service: &'a str,
    pub tracking_number: &'a str,
    pub kind: DemandKind,
    pub department: &'a str,
    pub title: &'a str,
    /// Agents handling the theme hear about it whatever their department.
    pub theme: &'a str,
}

impl Subject<'_> {
    fn source(&self) -> String {
        format!("/guichet/{}", self.service)
    }

    fn event(&self, verb: &str, at: DateTime<Utc>, body: &impl prost::Name) -> Event {
        Event::new(
            &self.source(),
            &format!("{}.{verb}", self.service),
            self.tracking_number,
            at,
            body,
        )
    }
}

/// Who did something, through which channel, when.
#[derive(Debug, Clone)]
pub struct Act {
    pub author: Author,
    pub channel: Channel,
    pub at: DateTime<Utc>,
}

/// Who to tell of a new demand's progress besides its account, and which teleservice
/// it is, for notifications and satisfaction results.
#[derive(Debug, Clone, Copy, Default)]
pub struct Filing<'a> {
    pub contact_email: &'a str,
    pub contact_phone: &'a str,
    /// A teleservice's slug; empty for other silos.
    pub teleservice: &'a str,
    /// The account a desk or phone agent filed for; empty when the author is the
    /// resident (their account is taken from the author) or nobody's.
    pub on_behalf_of: &'a str,
}

/// A new demand, for agents' feeds and residents' notifications.
pub fn filed(
    subject: &Subject<'_>,
    act: &Act,
    due_at: DateTime<Utc>,
    filing: &Filing<'_>,
) -> Event {
    let body = DemandFiled {
        tracking_number: subject.tracking_number.to_owned(),
        kind: subject.kind as i32,
        department: subject.department.to_owned(),
        theme: subject.theme.to_owned(),
        title: subject.title.to_owned(),
        channel: act.channel as i32,
        filed_at: Some(timestamp(act.at)),
        due_at: Some(timestamp(due_at)),
        // A resident filing while signed in: notifications know whom to tell.
        account_id: if !filing.on_behalf_of.is_empty() {
            filing.on_behalf_of.to_owned()
        } else if act.author.role == AuthorRole::Resident as i32 {
            act.author.id.clone()
        } else {
            String::new()
        },
        contact_email: filing.contact_email.to_owned(),
        contact_phone: filing.contact_phone.to_owned(),
        teleservice: filing.teleservice.to_owned(),
    };
    subject.event("demand.filed", act.at, &body)
}

pub fn status_changed(
    subject: &Subject<'_>,
    act: &Act,
    status: Status,
    sub_status: &str,
    reason: &str,
) -> Event {
    let body = DemandStatusChanged {
        tracking_number: subject.tracking_number.to_owned(),
        kind: subject.kind as i32,
        department: subject.department.to_owned(),
        status: status as i32,
        sub_status: sub_status.to_owned(),
        reason: reason.to_owned(),
        author: Some(act.author.clone()),
        channel: act.channel as i32,
        at: Some(timestamp(act.at)),
        title: subject.title.to_owned(),
        theme: subject.theme.to_owned(),
    };
    subject.event("demand.status_changed", act.at, &body)
}

pub fn message_posted(subject: &Subject<'_>, act: &Act, text: &str) -> Event {
    let body = DemandMessagePosted {
        tracking_number: subject.tracking_number.to_owned(),
        kind: subject.kind as i32,
        department: subject.department.to_owned(),
        author: Some(act.author.clone()),
        channel: act.channel as i32,
        text: text.to_owned(),
        at: Some(timestamp(act.at)),
        title: subject.title.to_owned(),
        theme: subject.theme.to_owned(),
    };
    subject.event("demand.message_posted", act.at, &body)
}

/// A resident attached a demand filed without an account.
pub fn claimed(subject: &Subject<'_>, account: &str, at: DateTime<Utc>) -> Event {
    let body = DemandClaimed {
        tracking_number: subject.tracking_number.to_owned(),
        account_id: account.to_owned(),
        department: subject.department.to_owned(),
        at: Some(timestamp(at)),
    };
    subject.event("demand.claimed", at, &body)
}

/// An agent read or changed personal data; identity keeps the audit log.
pub fn audited(
    service: &str,
    agent: &Claims,
    action: &str,
    subject: &str,
    at: DateTime<Utc>,
) -> Event {
    let body = AuditRecorded {
        actor_id: agent.sub.clone(),
        actor_name: agent.name.clone(),
        channel: agent.channel() as i32,
        action: action.to_owned(),
        subject: subject.to_owned(),
        detail: String::new(),
        at: Some(timestamp(at)),
    };
    Event::new(
        &format!("/guichet/{service}"),
        &format!("{service}.audit.recorded"),
        subject,
        at,
        &body,
    )
}
