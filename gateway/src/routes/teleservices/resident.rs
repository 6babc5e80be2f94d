//! Teleservices for a signed-in resident: their drafts, whatever the channel.

use axum::{Json, extract::State};
use guichet_proto::teleservices::v1 as pb;

use super::{Draft, draft_error};
use crate::{
    auth::SignedIn,
    error::{ApiError, Problem},
    state::AppState,
};

/// The signed-in resident's unfinished drafts, whatever channel they were saved from.
#[utoipa::path(
    get,
    path = "/api/v1/me/drafts",
    tag = "me",
    security(("bearer" = [])),
    responses((status = 200, body = Vec<Draft>), (status = 401, body = Problem, content_type = "application/problem+json"))
)]
pub async fn my_drafts(
    signed_in: SignedIn,
    State(state): State<AppState>,
) -> Result<Json<Vec<Draft>>, ApiError> {
    let drafts = state
        .teleservices
        .clone()
        .list_drafts(signed_in.bearer().request(pb::ListDraftsRequest {}))
        .await
        .map_err(draft_error)?
        .into_inner()
        .drafts;
    Ok(Json(drafts.into_iter().map(Draft::from).collect()))
}
