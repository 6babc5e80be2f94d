//! An agent changing a demand's status, the same in every silo once the silo has
//! checked what is its own (who may decide, which sub-statuses exist, what a decision
//! needs): the new status in the silo's table, its timeline entry, its event, and the
//! agent's action in the audit log.

use chrono::{DateTime, Utc};
use guichet_proto::{
    demand::v1::{Channel, Status},
    names,
};
use sqlx::PgConnection;

use super::{
    Error, Silo, agent_author,
    events::{self, Act},
    message::Locked,
    timeline::{self, TimelineRow},
};
use crate::{auth::Claims, bus};

/// The status asked for, as the silo accepted it.
#[derive(Debug, Clone, Copy)]
pub struct Change<'a> {
    pub status: Status,
    pub sub_status: &'a str,
    /// Trimmed; required for a rejection or a request to the resident
    /// ([`super::check_status_change`]).
    pub reason: &'a str,
    pub at: DateTime<Utc>,
}

/// Records `change` on a demand locked in the caller's transaction, made by `agent`
/// (already allowed to) through `channel`; answers the act, for the silo's own events.
pub async fn change(
    conn: &mut PgConnection,
    silo: &Silo,
    demand: &Locked,
    agent: &Claims,
    channel: Channel,
    change: &Change<'_>,
) -> Result<Act, Error> {
    let at = change.at;
    let act = Act {
        author: agent_author(agent),
        channel,
        at,
    };
    let status = names::status(change.status);
    super::set_status(conn, silo, demand.id, &status, change.sub_status, at).await?;
    let entry = TimelineRow::status_change(
        &act.author,
        channel,
        at,
        change.status,
        change.sub_status,
        change.reason,
    );
    timeline::insert(conn, demand.id, &entry).await?;
    let event = events::status_changed(
        &demand.subject(silo),
        &act,
        change.status,
        change.sub_status,
        change.reason,
    );
    bus::enqueue(conn, &event).await?;
    let audit = events::audited(silo.service, agent, "change", &demand.tracking_number, at);
    bus::enqueue(conn, &audit).await?;
    Ok(act)
}
