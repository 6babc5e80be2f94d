//! A resident attaching a demand filed without an account, the same in every silo: the
//! number as typed, the contact left at filing as proof, one answer for every failure
//! (nothing to probe), the new owner, a timeline entry and the event.

use chrono::{DateTime, Utc};
use guichet_proto::demand::v1::ClaimDemandRequest;
use sqlx::PgConnection;

use super::{Error, Silo, contact_matches, message::Locked};
use crate::{TrackingNumber, auth::Caller};

/// The one answer to a claim that cannot be made, whatever the reason.
fn unknown() -> Error {
    Error::field(
        "tracking_number",
        "Aucune demande sans compte ne correspond à ce numéro et à ces coordonnées.",
    )
}

/// The number a signed-in resident claims, in its canonical form.
pub fn number(caller: &Caller, request: &ClaimDemandRequest) -> Result<String, Error> {
    caller.resident().ok_or(Error::Unauthenticated)?;
    TrackingNumber::parse(&request.tracking_number)
        .map(|t| t.to_string())
        .map_err(|_| unknown())
}

/// A demand as a claim checks it: locked, with the contact left at filing.
pub struct Claimable<'a> {
    pub demand: Locked<'a>,
    pub contact_email: &'a str,
    pub contact_phone: &'a str,
}

/// Attaches `demand` (locked in the caller's transaction; `None` when the number is
/// unknown) to the calling resident if nobody owns it and the request gives the contact
/// left at filing.
pub async fn attach(
    conn: &mut PgConnection,
    silo: &Silo,
    demand: Option<Claimable<'_>>,
    caller: &Caller,
    request: &ClaimDemandRequest,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    let resident = caller.resident().ok_or(Error::Unauthenticated)?;
    let Some(claimable) = demand.filter(|d| {
        d.demand.owner.is_none()
            && contact_matches(
                &request.email,
                &request.phone,
                d.contact_email,
                d.contact_phone,
            )
    }) else {
        return Err(unknown());
    };
    let demand = &claimable.demand;
    // The table name is the silo's constant, never input.
    let sql = format!("UPDATE {} SET resident_id = $2 WHERE id = $1", silo.table);
    sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(demand.id)
        .bind(resident)
        .execute(&mut *conn)
        .await
        .map_err(anyhow::Error::from)?;
    super::message::claimed(conn, demand.id, &demand.subject, caller, at).await
}
