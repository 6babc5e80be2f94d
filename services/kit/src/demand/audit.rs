//! An agent reading a demand's personal data, written to the audit log (identity keeps
//! it) the same way in every silo. A resident reading their own demand is not audited.

use chrono::{DateTime, Utc};
use sqlx::PgPool;

use super::{Error, Silo, access::Access, events};
use crate::{auth::Caller, bus};

/// Records that `caller` read `tracking` (`action`: `read`, `read_letter`…) if they
/// reached it as an agent. Its own transaction: a read changes nothing else.
pub async fn read(
    pool: &PgPool,
    silo: &Silo,
    caller: &Caller,
    access: Access,
    action: &str,
    tracking: &str,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let (Access::Agent, Some(agent)) = (access, caller.agent()) else {
        return Ok(());
    };
    let mut tx = pool.begin().await.map_err(anyhow::Error::from)?;
    let event = events::audited(silo.service, agent, action, tracking, at);
    bus::enqueue(&mut tx, &event).await?;
    bus::commit(tx).await.map_err(anyhow::Error::from)?;
    Ok(())
}
