//! The agents' intranet: the live feed of what concerns their departments.

use axum::{
    Json,
    extract::{Query, State},
};
use guichet_proto::notifications::v1::ListFeedRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::{Feed, FeedItem};
use crate::{
    error::{ApiError, Problem},
    state::AppState,
};

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct FeedQuery {
    /// Comma-separated department codes (`VOIRIE,PROPRETE`); empty for all.
    pub department: String,
    /// Items to return, newest first (default 50, at most 500).
    pub limit: u32,
}

/// Recent feed items of the given departments.
#[utoipa::path(
    get,
    path = "/api/v1/agent/feed",
    tag = "agent",
    params(FeedQuery),
    responses((status = 200, body = Feed), (status = 503, body = Problem, content_type = "application/problem+json"))
)]
pub async fn feed(
    State(state): State<AppState>,
    Query(query): Query<FeedQuery>,
) -> Result<Json<Feed>, ApiError> {
    let departments = query
        .department
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(str::to_owned)
        .collect();
    let items = state
        .feed
        .clone()
        .list_feed(ListFeedRequest {
            departments,
            limit: query.limit,
        })
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .items;
    Ok(Json(Feed {
        items: items.into_iter().map(FeedItem::from).collect(),
    }))
}
