//! A resident attaching a demand filed without an account, the same in every silo: the
//! number as typed, the contact left at filing as proof, one answer for every failure
//! (nothing to probe), the new owner, a timeline entry and the event.

use chrono::{DateTime, Utc};
use guichet_proto::demand::v1::ClaimDemandRequest;
use sqlx::{PgConnection, PgPool};

use super::{Error, Silo, contact_matches, message::Locked};
use crate::{Clock, TrackingNumber, auth::Caller, bus};

/// The one answer to a claim that cannot be made, whatever the reason.
fn unknown() -> Error {
    Error::field(
        "tracking_number",
        "Aucune demande sans compte ne correspond à ce numéro et à ces coordonnées.",
    )
}

/// The number a signed-in resident claims, in its canonical form.
fn number(request: &ClaimDemandRequest) -> Result<String, Error> {
    TrackingNumber::parse(&request.tracking_number)
        .map(|t| t.to_string())
        .map_err(|_| unknown())
}

/// The `ClaimDemand` call: the number read, the demand locked by the silo's `lock`,
/// attached ([`attach`]) and committed. Answers the demand's number, for the silo to
/// read it back.
pub async fn claim_demand(
    pool: &PgPool,
    silo: &Silo,
    clock: &Clock,
    caller: &Caller,
    request: &ClaimDemandRequest,
    lock: impl AsyncFnOnce(&mut PgConnection, &str) -> anyhow::Result<Option<Locked>>,
) -> Result<String, Error> {
    caller.resident().ok_or(Error::Unauthenticated)?;
    let tracking = number(request)?;
    let mut tx = pool.begin().await?;
    let demand = lock(&mut tx, &tracking).await?;
    attach(&mut tx, silo, demand.as_ref(), caller, request, clock.now()).await?;
    bus::commit(tx).await?;
    Ok(tracking)
}

/// Attaches `demand` (locked in the caller's transaction; `None` when the number is
/// unknown) to the calling resident if nobody owns it and the request gives the contact
/// left at filing.
async fn attach(
    conn: &mut PgConnection,
    silo: &Silo,
    demand: Option<&Locked>,
    caller: &Caller,
    request: &ClaimDemandRequest,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let resident = caller.resident().ok_or(Error::Unauthenticated)?;
    let Some(demand) = demand.filter(|d| {
        d.owner.is_none()
            && contact_matches(
                &request.email,
                &request.phone,
                &d.contact_email,
                &d.contact_phone,
            )
    }) else {
        return Err(unknown());
    };
    // The table name is the silo's constant, never input.
    let sql = format!("UPDATE {} SET resident_id = $2 WHERE id = $1", silo.table);
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(demand.id)
        .bind(resident)
        .execute(&mut *conn)
        .await
        .map_err(anyhow::Error::from)?;
    super::message::claimed(conn, demand.id, &demand.subject(silo), caller, at).await
}
