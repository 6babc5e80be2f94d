//! Conditional reads of what changes rarely (the catalogue, forms, complaint categories):
//! a strong `ETag` from the digest of the JSON answered, and `304 Not Modified` when the
//! client's `If-None-Match` names it, so screens and kiosks revalidate for free. The
//! answer may depend on the caller (a pilot's audience, a kiosk's channel), hence
//! `private`; `no-cache` makes every use revalidate.

use axum::{
    Json,
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use guichet_kit::upload::sha256_hex;
use serde::Serialize;

const CACHE_CONTROL: &str = "private, no-cache";

/// `body` as JSON with its `ETag`, or `304` if the client holds it already.
pub fn tagged<T: Serialize>(request: &HeaderMap, body: &T) -> Response {
    let Ok(bytes) = serde_json::to_vec(body) else {
        return Json(body).into_response();
    };
    let tag = format!("\"{}\"", sha256_hex(&bytes));
    let Ok(etag) = HeaderValue::from_str(&tag) else {
        return Json(body).into_response();
    };
    let headers = [
        (header::ETAG, etag),
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static(CACHE_CONTROL),
        ),
    ];
    if holds(request, &tag) {
        return (StatusCode::NOT_MODIFIED, headers).into_response();
    }
    (
        headers,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        bytes,
    )
        .into_response()
}

/// Whether `If-None-Match` names `tag` (weak comparison, as RFC 9110 asks for it) or is `*`.
fn holds(request: &HeaderMap, tag: &str) -> bool {
    crate::client::header_elements(request, header::IF_NONE_MATCH)
        .iter()
        .any(|candidate| candidate == "*" || candidate.trim_start_matches("W/") == tag)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_holding_the_tag_gets_304_and_another_the_body() {
        let first = tagged(&HeaderMap::new(), &vec!["a", "b"]);
        assert_eq!(first.status(), StatusCode::OK);
        let tag = first.headers()[header::ETAG].clone();
        let mut request = HeaderMap::new();
        request.insert(header::IF_NONE_MATCH, tag.clone());
        assert_eq!(
            tagged(&request, &vec!["a", "b"]).status(),
            StatusCode::NOT_MODIFIED
        );
        let weak = HeaderValue::from_str(&format!("\"x\", W/{}", tag.to_str().unwrap())).unwrap();
        request.insert(header::IF_NONE_MATCH, weak);
        assert_eq!(
            tagged(&request, &vec!["a", "b"]).status(),
            StatusCode::NOT_MODIFIED
        );
        request.insert(header::IF_NONE_MATCH, tag);
        let changed = tagged(&request, &vec!["a", "c"]);
        assert_eq!(
            changed.status(),
            StatusCode::OK,
            "a changed body is sent again"
        );
    }
}
