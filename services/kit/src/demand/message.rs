//! A message in a demand's timeline, the same in every silo: who may write, the entry,
//! its event, the audit of an agent's message, and a resident's answer handing a demand
//! that waited for them back to the agents.

use chrono::{DateTime, Utc};
use guichet_proto::demand::v1::{PostMessageRequest, Status};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use super::{
    Error, Silo,
    access::{self, Access},
    agent_author,
    events::{self, Act, Subject},
    message_text, parse_tracking, resident_author,
    timeline::{self, TimelineRow},
};
use crate::{Clock, auth::Caller, bus};

/// What a resident's answer says in the timeline when it resumes the handling.
pub const RESUMED: &str = "Réponse de l'usager reçue.";

/// A demand locked in a step's transaction, as the shared steps read it: the silo's
/// row reduced to what every silo has.
#[derive(Debug, Clone)]
pub struct Locked {
    pub id: Uuid,
    pub tracking_number: String,
    /// The owning account, if any.
    pub owner: Option<String>,
    /// Its shared status (`awaiting_resident`…).
    pub status: String,
    pub department: String,
    /// As agents' feeds show it.
    pub title: String,
    /// Agents handling the theme reach the demand whatever their department.
    pub theme: String,
    /// The contact left at filing, a claim's proof.
    pub contact_email: String,
    pub contact_phone: String,
}

impl Locked {
    /// The demand as the events of `silo` name it.
    pub fn subject<'a>(&'a self, silo: &Silo) -> Subject<'a> {
        Subject {
            service: silo.service,
            tracking_number: &self.tracking_number,
            kind: silo.kind,
            department: &self.department,
            title: &self.title,
            theme: &self.theme,
        }
    }
}

/// The `PostMessage` call: the number and the text checked, the demand locked by the
/// silo's `lock`, the message written ([`post`]) and committed. Answers the demand's
/// number, for the silo to read it back.
pub async fn post_message(
    pool: &PgPool,
    silo: &Silo,
    clock: &Clock,
    caller: &Caller,
    request: &PostMessageRequest,
    lock: impl AsyncFnOnce(&mut PgConnection, &str) -> anyhow::Result<Option<Locked>>,
) -> Result<String, Error> {
    let tracking = parse_tracking(&request.tracking_number)?;
    let text = message_text(&request.text)?;
    let mut tx = pool.begin().await?;
    let demand = lock(&mut tx, &tracking).await?.ok_or(Error::NotFound)?;
    post(&mut tx, silo, &demand, caller, text, clock.now()).await?;
    bus::commit(tx).await?;
    Ok(tracking)
}

/// Writes `text` (already checked with [`super::message_text`]) in the timeline of a
/// demand the caller may reach, with its event (and an audit entry for an agent). When a
/// resident answers a demand awaiting them, it is in progress again: in the timeline,
/// in an event and in the silo's table.
pub async fn post(
    conn: &mut PgConnection,
    silo: &Silo,
    demand: &Locked,
    caller: &Caller,
    text: &str,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let reached = access::reach(
        caller,
        demand.owner.as_deref(),
        &demand.department,
        &demand.theme,
    )?;
    let subject = demand.subject(silo);
    let agent = caller.agent().filter(|_| reached == Access::Agent);
    let act = Act {
        author: agent.map_or_else(|| resident_author(caller), agent_author),
        channel: caller.channel(),
        at,
    };
    let entry = TimelineRow::message(&act.author, act.channel, at, text);
    timeline::insert(conn, demand.id, &entry).await?;
    bus::enqueue(conn, &events::message_posted(&subject, &act, text)).await?;
    if let Some(agent) = agent {
        let audit = events::audited(silo.service, agent, "message", &demand.tracking_number, at);
        bus::enqueue(conn, &audit).await?;
    }
    let resumed = reached == Access::Resident && demand.status == "awaiting_resident";
    if resumed {
        let entry = TimelineRow::status_change(
            &act.author,
            act.channel,
            at,
            Status::InProgress,
            "",
            RESUMED,
        );
        timeline::insert(conn, demand.id, &entry).await?;
        let event = events::status_changed(&subject, &act, Status::InProgress, "", RESUMED);
        bus::enqueue(conn, &event).await?;
        let in_progress = guichet_proto::names::status(Status::InProgress);
        super::set_status(conn, silo, demand.id, &in_progress, "", at).await?;
    }
    Ok(())
}

/// What the timeline says when a resident attaches a demand filed without an account.
pub const CLAIMED: &str = "Demande rattachée au compte de l'usager.";

/// Records that the signed-in resident behind `caller` attached a demand to their
/// account (the silo has stored the new owner in the same transaction): an entry in the
/// timeline, so agents and the resident see when and where it happened, and the event.
pub async fn claimed(
    conn: &mut PgConnection,
    demand: Uuid,
    subject: &Subject<'_>,
    caller: &Caller,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let resident = caller.resident().ok_or(Error::Unauthenticated)?;
    let entry = TimelineRow::message(&resident_author(caller), caller.channel(), at, CLAIMED);
    timeline::insert(conn, demand, &entry).await?;
    bus::enqueue(conn, &events::claimed(subject, resident, at)).await?;
    Ok(())
}
