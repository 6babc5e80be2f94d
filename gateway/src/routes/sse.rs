//! The agent's live feed as Server-Sent Events: each new item of their departments and
//! themes is one `feed_item` event whose id is the item's position, so a client that
//! reconnects with `Last-Event-ID` gets what it missed first. Comments are sent as a
//! heartbeat so proxies keep the connection open; the stream ends cleanly when the
//! gateway shuts down (the client then reconnects, to another replica if need be).
//!
//! The token travels in the `Authorization` header, never in the address (which proxies
//! and logs keep): browsers use a fetch-based EventSource that can send headers.

use std::{convert::Infallible, time::Duration};

use axum::{
    extract::State,
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use futures::{Stream, StreamExt as _};
use guichet_proto::notifications::v1::StreamFeedRequest;
use serde::Deserialize;
use utoipa::IntoParams;

use super::dto::FeedItem;
use crate::{
    auth::Agent,
    error::{ApiError, ApiQuery, Problem},
    state::AppState,
};

/// Heartbeat comments keep idle connections open through proxies.
const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct StreamQuery {
    /// Resume after this position, for clients that cannot set `Last-Event-ID`; the
    /// header wins when both are given.
    pub after: Option<u64>,
}

/// The position a client resumes after: `Last-Event-ID`, else `?after=`, else live only.
fn resume_after(headers: &HeaderMap, query: &StreamQuery) -> Result<u64, ApiError> {
    match headers.get("last-event-id") {
        Some(value) => {
            let value = value.to_str().unwrap_or_default().trim();
            if value.is_empty() {
                return Ok(query.after.unwrap_or(0));
            }
            value.parse().map_err(|_| {
                ApiError::bad_field(
                    "invalid_last_event_id",
                    "Last-Event-ID",
                    "L'identifiant du dernier événement reçu est invalide.",
                )
            })
        }
        None => Ok(query.after.unwrap_or(0)),
    }
}

/// New items of the agent's feed, live (`text/event-stream`). Each event is
/// `event: feed_item`, `id: <position>`, `data: <item as JSON>`; send the last id back
/// as `Last-Event-ID` to get what was missed.
#[utoipa::path(
    get,
    path = "/api/v1/agent/feed/stream",
    tag = "agent",
    params(StreamQuery, ("Last-Event-ID" = Option<String>, Header, description = "Position of the last item received")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Server-Sent Events, one `feed_item` per item", content_type = "text/event-stream", body = FeedItem),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn feed_stream(
    agent: Agent,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiQuery(query): ApiQuery<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let after = resume_after(&headers, &query)?;
    let items = state
        .feed
        .clone()
        .stream_feed(agent.bearer().request(StreamFeedRequest { after }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    let events = items
        // An upstream failure ends the stream: the client reconnects and resumes.
        .take_while(|item| std::future::ready(item.is_ok()))
        .filter_map(|item| async move {
            let item = item.ok()?;
            let id = item.seq.to_string();
            let event = Event::default()
                .event("feed_item")
                .id(id)
                .json_data(FeedItem::from(item))
                .ok()?;
            Some(Ok(event))
        })
        .take_until(state.streams.clone().cancelled_owned());
    // A first comment at once: proxies that hold the headers until the body's first
    // bytes (Node's, some load balancers) would otherwise leave the client waiting for
    // the first heartbeat before it knows the stream is open.
    let opened = futures::stream::once(std::future::ready(Ok(Event::default().comment("ouvert"))));
    // Counted in `guichet.sse.streams` until the stream is dropped, however it ends.
    let open = guichet_kit::metrics::stream_opened();
    let events = opened.chain(events).map(move |event| {
        let _open = &open;
        event
    });
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(HEARTBEAT).text("heartbeat")))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn the_header_wins_over_the_query_and_garbage_is_refused() {
        let mut headers = HeaderMap::new();
        let query = StreamQuery { after: Some(3) };
        assert_eq!(resume_after(&headers, &query).unwrap(), 3);
        headers.insert("last-event-id", HeaderValue::from_static("42"));
        assert_eq!(resume_after(&headers, &query).unwrap(), 42);
        headers.insert("last-event-id", HeaderValue::from_static("x"));
        assert!(resume_after(&headers, &query).is_err());
        assert_eq!(
            resume_after(&HeaderMap::new(), &StreamQuery::default()).unwrap(),
            0
        );
    }
}
