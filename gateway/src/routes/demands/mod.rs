//! Any demand by its tracking number, from any channel.

pub mod agent;
pub mod public;

use std::future::Future;

use axum::http::Uri;
use guichet_kit::{
    Owner, TrackingNumber,
    contract::list_limit,
    grpc::{TracedChannel, datetime, timestamp},
};
use guichet_proto::demand::v1::{
    self as demand_pb, ListDemandsRequest, ListDemandsResponse, demands_client::DemandsClient,
};

use guichet_proto::prost_types::Timestamp;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::dto::Demand;
use crate::{
    auth::Bearer,
    error::ApiError,
    page::{Cursor, Page},
    state::AppState,
};

/// The routes of any demand, whatever its silo.
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(public::get_demand))
        .routes(routes!(public::dossier))
        .routes(routes!(public::post_message))
        .routes(routes!(agent::change_status))
        .routes(routes!(agent::agent_list))
}

/// Where a page of a list ordered by due date (most urgent first) starts, as a silo's
/// list request takes it: after the due date and number of the previous page's last
/// demand, read from the query's `cursor`.
pub(super) fn after_due(cursor: &str) -> Result<(Option<Timestamp>, String), ApiError> {
    let after = Cursor::parse(cursor)?;
    Ok((
        after.as_ref().map(|c| timestamp(c.at)),
        after.map(|c| c.key).unwrap_or_default(),
    ))
}

/// The cursor of the page after one ending on a demand due at `due_at` (none without a
/// due date).
pub(super) fn due_cursor(due_at: Option<&Timestamp>, tracking_number: &str) -> Option<Cursor> {
    Some(Cursor {
        at: datetime(due_at?)?,
        key: tracking_number.to_owned(),
    })
}

/// Every silo that owns demands.
pub(super) const OWNERS: [Owner; 3] = [Owner::Teleservices, Owner::Complaints, Owner::Rapo];

/// Asks every silo the same `Demands` question and merges the answers newest first
/// (then by number, as the silos sort), `limit` at most (as
/// `kit::contract::list_limit` reads it); says too whether a silo may hold more.
async fn merged<F, Fut>(
    state: &AppState,
    limit: u32,
    ask: F,
) -> Result<(Vec<demand_pb::Demand>, bool), ApiError>
where
    F: Fn(DemandsClient<TracedChannel>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<ListDemandsResponse>, tonic::Status>>,
{
    let limit = usize::try_from(list_limit(limit)).unwrap_or(usize::MAX);
    let (mut demands, mut more) = (Vec::new(), false);
    for owner in OWNERS {
        let answer = ask(state.demands_for(owner))
            .await
            .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
            .into_inner()
            .demands;
        more |= answer.len() >= limit;
        demands.extend(answer);
    }
    demands.sort_by(|a, b| sort_key(b).cmp(&sort_key(a)));
    more |= demands.len() > limit;
    demands.truncate(limit);
    Ok((demands, more))
}

fn sort_key(demand: &demand_pb::Demand) -> (Option<(i64, i32)>, &str) {
    (
        demand.created_at.map(|t| (t.seconds, t.nanos)),
        demand.tracking_number.as_str(),
    )
}

/// [`merged`], as the API shows demands.
pub(super) async fn from_every_silo<F, Fut>(
    state: &AppState,
    limit: u32,
    ask: F,
) -> Result<Vec<Demand>, ApiError>
where
    F: Fn(DemandsClient<TracedChannel>) -> Fut,
    Fut: Future<Output = Result<tonic::Response<ListDemandsResponse>, tonic::Status>>,
{
    let (demands, _) = merged(state, limit, ask).await?;
    Ok(demands.into_iter().map(Demand::from).collect())
}

/// One page of a list of every silo's demands (`list` selects whose), newest first,
/// from the query's cursor on.
pub(super) async fn page_of_every_silo(
    state: &AppState,
    bearer: &Bearer,
    uri: Uri,
    list: ListDemandsRequest,
    cursor: &str,
) -> Result<Page<Vec<Demand>>, ApiError> {
    let after = Cursor::parse(cursor)?;
    let request = ListDemandsRequest {
        before_created_at: after.as_ref().map(|c| timestamp(c.at)),
        before_number: after.map(|c| c.key).unwrap_or_default(),
        ..list
    };
    let (demands, more) = merged(state, request.limit, |mut silo| {
        let request = bearer.request(request.clone());
        async move { silo.list_demands(request).await }
    })
    .await?;
    let next = demands.last().filter(|_| more).and_then(|last| {
        Some(Cursor {
            at: datetime(last.created_at.as_ref()?)?,
            key: last.tracking_number.clone(),
        })
    });
    Ok(Page {
        items: demands.into_iter().map(Demand::from).collect(),
        next,
        uri,
    })
}

/// A tracking number as typed (case, dashes and look-alikes forgiven), or 400 naming
/// the field. The one parser every route taking a number uses.
pub(super) fn parse_number(input: &str) -> Result<TrackingNumber, ApiError> {
    TrackingNumber::parse(input).map_err(|_| {
        ApiError::bad_field(
            "invalid_tracking_number",
            "tracking_number",
            "Ce numéro de suivi n'est pas valide : vérifiez chaque caractère.",
        )
    })
}

/// A number of `owner`'s silo, canonical; another silo's number answers as an unknown
/// one would.
pub(super) fn number_of(input: &str, owner: Owner) -> Result<String, ApiError> {
    let number = parse_number(input)?;
    if number.owner() == owner {
        Ok(number.to_string())
    } else {
        Err(ApiError::not_found("demand_not_found"))
    }
}
