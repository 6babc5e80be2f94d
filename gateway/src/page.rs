//! Cursor pagination, the same on every list: `limit` and an opaque `cursor` in the
//! query; while more may follow, the answer's `Link` header (RFC 8288) gives the next
//! page's address with `rel="next"`. Bodies stay what they were, so a client that
//! ignores the header keeps working.
//!
//! A cursor names the last item of the page (its time and key), so a page never
//! repeats nor skips items when new ones arrive at the top of a newest-first list.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::IntoParams;

use crate::error::ApiError;

/// Where a list resumes: after the item at `at` whose key is `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub key: String,
}

impl Cursor {
    /// The query's `cursor`: none when empty, `400 invalid_cursor` when not one of ours.
    pub fn parse(text: &str) -> Result<Option<Self>, ApiError> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(None);
        }
        let cursor = text
            .split_once('_')
            .and_then(|(micros, key)| {
                let at = DateTime::from_timestamp_micros(micros.parse().ok()?)?;
                let valid = !key.is_empty()
                    && key.len() <= 64
                    && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                valid.then(|| Self {
                    at,
                    key: key.to_owned(),
                })
            })
            .ok_or_else(|| {
                ApiError::bad_field(
                    "invalid_cursor",
                    "cursor",
                    "Ce curseur de pagination n'est pas valide : reprenez le lien de la page précédente.",
                )
            })?;
        Ok(Some(cursor))
    }

    /// As written in a `cursor` parameter.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.at.timestamp_micros(), self.key)
    }
}

/// How many items a page holds: `asked`, or `default` when not asked, `max` at most.
/// The gateway sends this to the service, so a full page means more may follow.
pub fn size(asked: u32, default: u32, max: u32) -> u32 {
    match asked {
        0 => default,
        n => n.min(max),
    }
}

/// The cursor after the last of `items` when the page is full (`size` of them).
pub fn next_after<T>(items: &[T], size: u32, key: impl Fn(&T) -> Option<Cursor>) -> Option<Cursor> {
    let full = u32::try_from(items.len()).is_ok_and(|n| n >= size);
    items.last().filter(|_| full).and_then(key)
}

/// The query of a list with no filter of its own.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct PageQuery {
    /// At most this many (50 unless asked, 200 at most).
    pub limit: u32,
    /// Where the page starts: from the previous page's `Link` header.
    pub cursor: String,
}

/// A page of `items`: `next`, when given, is where the following page starts.
pub struct Page<T> {
    pub items: T,
    pub next: Option<Cursor>,
    /// The request's address, whose other parameters the next page keeps.
    pub uri: Uri,
}

impl<T: Serialize> IntoResponse for Page<T> {
    fn into_response(self) -> Response {
        let mut response = (StatusCode::OK, Json(self.items)).into_response();
        if let Some(next) = &self.next
            && let Ok(link) = HeaderValue::from_str(&next_link(&self.uri, next))
        {
            response.headers_mut().insert(header::LINK, link);
        }
        response
    }
}

/// `<path?…&cursor=…>; rel="next"`: the request's address with the cursor replaced.
fn next_link(uri: &Uri, next: &Cursor) -> String {
    let kept = url::form_urlencoded::parse(uri.query().unwrap_or_default().as_bytes())
        .filter(|(name, _)| name != "cursor");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(kept)
        .append_pair("cursor", &next.encode())
        .finish();
    format!("<{}?{query}>; rel=\"next\"", uri.path())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    #[test]
    fn a_cursor_reads_back_what_it_wrote() {
        let cursor = Cursor {
            at: DateTime::from_timestamp_micros(1_764_944_000_123_456).unwrap(),
            key: "CK7QM2XHD9WPAR".to_owned(),
        };
        assert_eq!(Cursor::parse(&cursor.encode()).unwrap(), Some(cursor));
        assert_eq!(Cursor::parse(" ").unwrap(), None);
        for bad in ["abc", "12_", "_CK7Q", "12_a b", "99999999999999999999_x"] {
            assert!(Cursor::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn the_next_link_keeps_the_other_parameters_and_replaces_the_cursor() {
        let uri: Uri = "/api/v1/agent/demands?department=VOIRIE&cursor=1_A&limit=20"
            .parse()
            .unwrap();
        let next = Cursor {
            at: DateTime::from_timestamp_micros(2).unwrap(),
            key: "B".to_owned(),
        };
        assert_eq!(
            next_link(&uri, &next),
            "</api/v1/agent/demands?department=VOIRIE&limit=20&cursor=2_B>; rel=\"next\""
        );
    }
}
