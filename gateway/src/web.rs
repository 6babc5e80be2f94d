//! What makes the gateway safe to call from a browser, on every answer: the origins
//! allowed to read it (CORS), the security headers (CSP, `nosniff`, no referrer, no
//! framing, HSTS over HTTPS), the request id (`X-Request-Id`, the problem's `instance`)
//! and the trace id (`traceresponse`). Also the `405` problem and the browsable API
//! documentation at `/api/docs`, served from the gateway itself.
//!
//! Whether a request came over HTTPS, and whether its `X-Request-Id` is kept, is read
//! from forwarding headers only when the TCP peer is one of `http.trusted_proxies`, as
//! for the client's address (`client.rs`): anyone else could claim anything.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use anyhow::Context as _;
use axum::{
    extract::{ConnectInfo, Request, State, rejection::ExtensionRejection},
    http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use uuid::Uuid;

use crate::{client::TrustedProxies, config::HttpConfig, error::ApiError};

/// The header carrying the request id, both ways.
const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// W3C Trace Context Level 2: the trace the gateway answered in.
const TRACERESPONSE: HeaderName = HeaderName::from_static("traceresponse");

/// The JSON API (and anything without a policy of its own) loads nothing and is framed
/// nowhere.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// The documentation page loads its script and style from the gateway, reads the
/// OpenAPI document from it, and builds its content without HTML strings (Trusted
/// Types enforce it).
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; \
     require-trusted-types-for 'script'";

/// Methods a listed origin may use.
const ALLOW_METHODS: &str = "GET, HEAD, POST, PUT, PATCH, DELETE";

/// Methods every origin may use on Open311 reads.
const READ_METHODS: &str = "GET, HEAD";

/// Request headers the API reads, beyond those browsers always allow.
const ALLOW_HEADERS: &str = "authorization, content-type, idempotency-key, if-none-match, last-event-id, traceparent, tracestate";

/// Answer headers a script may read, beyond those browsers always show.
const EXPOSE_HEADERS: &str = "location, link, etag, retry-after, www-authenticate, content-disposition, allow, x-request-id, traceresponse";

/// How long a browser may reuse a preflight answer, in seconds.
const PREFLIGHT_MAX_AGE: &str = "3600";

/// What every origin may read: GeoReport v2 is meant for third-party clients.
const OPEN311: &str = "/open311/v2/";

/// The only routes reading a cookie (the FranceConnect sign-in's `guichet_fc`): a page
/// of a listed origin calls them with `credentials: "include"`.
const CREDENTIALED: &str = "/api/v1/auth/franceconnect/";

/// The settings of this module, read once at start.
#[derive(Debug)]
pub struct Edge {
    /// Serialized origins (`https://portail.example.org`), as browsers send them.
    origins: Vec<HeaderValue>,
    /// The reverse proxies whose `X-Forwarded-Proto`, `Forwarded` and `X-Request-Id`
    /// are believed: the very list the client's address is read with.
    proxies: Arc<TrustedProxies>,
    /// `Strict-Transport-Security`, if sent at all.
    hsts: Option<HeaderValue>,
    /// Every request is known to have come over HTTPS.
    behind_tls: bool,
}

impl Edge {
    /// A mistyped origin stops the gateway at start rather than silently refusing the
    /// city's own portal.
    pub fn new(http: &HttpConfig, proxies: Arc<TrustedProxies>) -> anyhow::Result<Arc<Self>> {
        let origins = http
            .cors_origins
            .iter()
            .map(|entry| entry.trim())
            // An empty setting (`GUICHET__HTTP__CORS_ORIGINS=""`) allows nobody.
            .filter(|entry| !entry.is_empty())
            .map(serialized_origin)
            .collect::<anyhow::Result<_>>()?;
        let hsts = (http.hsts_seconds > 0)
            .then(|| HeaderValue::try_from(format!("max-age={}", http.hsts_seconds)))
            .transpose()
            .context("http.hsts_seconds")?;
        Ok(Arc::new(Self {
            origins,
            proxies,
            hsts,
            behind_tls: http.behind_tls,
        }))
    }

    fn trusts(&self, peer: Option<IpAddr>) -> bool {
        peer.is_some_and(|peer| self.proxies.trusts(peer))
    }

    /// What `origin` (none for a same-origin or non-browser client) may do with `method`
    /// on `path`.
    fn grant(&self, origin: Option<&HeaderValue>, path: &str, method: &Method) -> Grant {
        if is_open_read(path, method) {
            Grant::Anyone
        } else if origin.is_some_and(|origin| self.origins.contains(origin)) {
            Grant::Listed {
                credentials: path.starts_with(CREDENTIALED),
            }
        } else {
            Grant::Refused
        }
    }
}

/// An origin as browsers serialize it: lower-case scheme and host, the port only when
/// it is not the scheme's default, no path.
fn serialized_origin(entry: &str) -> anyhow::Result<HeaderValue> {
    let invalid = || {
        format!(
            "http.cors_origins: {entry:?} is no origin: write it as `https://host` or \
             `https://host:port`, with no path (Open311 reads are open to every origin already)"
        )
    };
    let uri: http::Uri = entry.parse().with_context(invalid)?;
    let scheme = uri
        .scheme_str()
        .map(str::to_ascii_lowercase)
        .filter(|scheme| scheme == "https" || scheme == "http")
        .with_context(invalid)?;
    let authority = uri.authority().with_context(invalid)?;
    if authority.as_str().contains('@') || !matches!(uri.path(), "" | "/") || uri.query().is_some()
    {
        anyhow::bail!(invalid());
    }
    let host = authority.host().to_ascii_lowercase();
    let port = match (scheme.as_str(), authority.port_u16()) {
        (_, None) | ("https", Some(443)) | ("http", Some(80)) => String::new(),
        (_, Some(port)) => format!(":{port}"),
    };
    HeaderValue::try_from(format!("{scheme}://{host}{port}")).with_context(invalid)
}

/// A GET (or HEAD) under `/open311/v2/`.
fn is_open_read(path: &str, method: &Method) -> bool {
    path.starts_with(OPEN311) && (method == Method::GET || method == Method::HEAD)
}

/// What an origin may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Grant {
    /// Open311 reads: `Access-Control-Allow-Origin: *`, never credentials.
    Anyone,
    /// An origin of `http.cors_origins`, with the cookie where one is read.
    Listed {
        credentials: bool,
    },
    Refused,
}

/// Whether the request reached the city over HTTPS, as [`stamp`] judged it (the
/// settings, or a trusted proxy's word), for handlers that write absolute URLs.
#[derive(Debug, Clone, Copy)]
pub struct Https(pub bool);

/// The outermost middleware: gives the request its id (a UUID; kept from the trusted
/// proxy's `X-Request-Id` when it sends one, generated otherwise) and stamps every answer
/// with it, the security headers and, over HTTPS, HSTS. Headers a handler set itself
/// (the residents' pages' and the docs' own CSP) are kept.
pub async fn stamp(
    State(edge): State<Arc<Edge>>,
    peer: Result<ConnectInfo<SocketAddr>, ExtensionRejection>,
    mut request: Request,
    next: Next,
) -> Response {
    let trusted = edge.trusts(peer.ok().map(|ConnectInfo(peer)| peer.ip()));
    let id = trusted
        .then(|| incoming_id(request.headers()))
        .flatten()
        .unwrap_or_else(Uuid::new_v4);
    let https = edge.behind_tls || (trusted && forwarded_https(request.headers()));
    request.extensions_mut().insert(Https(https));

    let mut response = crate::request_id::scope(id, next.run(request)).await;

    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::try_from(id.to_string()) {
        headers.insert(X_REQUEST_ID, value);
    }
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let defaults = [
        (header::CONTENT_SECURITY_POLICY, API_CSP),
        // Links carry tokens and tracking numbers; no page of the gateway needs to
        // tell another site where the visitor came from.
        (header::REFERRER_POLICY, "no-referrer"),
        // `frame-ancestors` for browsers that predate it.
        (header::X_FRAME_OPTIONS, "DENY"),
    ];
    for (name, value) in defaults {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    if https && let Some(hsts) = &edge.hsts {
        headers.insert(header::STRICT_TRANSPORT_SECURITY, hsts.clone());
    }
    response
}

/// A trusted proxy's `X-Request-Id`, when it is a UUID (with or without hyphens, as
/// Envoy and nginx's `$request_id` write them); it comes back hyphenated.
fn incoming_id(headers: &HeaderMap) -> Option<Uuid> {
    Uuid::try_parse(headers.get(X_REQUEST_ID)?.to_str().ok()?.trim()).ok()
}

/// The request reached the proxy over HTTPS, per the nearest hop: the last element of
/// `Forwarded` when it says `proto=`, else the last value of `X-Forwarded-Proto`.
/// Earlier elements may have been written by the client.
fn forwarded_https(headers: &HeaderMap) -> bool {
    let last = |name: HeaderName| crate::client::header_elements(headers, name).pop();
    let proto = last(header::FORWARDED)
        .and_then(|element| crate::client::forwarded_param(&element, "proto").map(str::to_owned))
        .or_else(|| last(HeaderName::from_static("x-forwarded-proto")));
    proto.is_some_and(|proto| proto.eq_ignore_ascii_case("https"))
}

/// Cross-origin requests. A preflight is answered here, `204` with what the origin may
/// send, or `403` for an origin that may not; other requests go through, and their
/// answer says which origin may read it. Requests are never refused for their origin:
/// the gateway's own forms send one too, and a browser enforces the answer's headers.
pub async fn cors(State(edge): State<Arc<Edge>>, request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let requested = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_METHOD)
        .and_then(|v| Method::from_bytes(v.as_bytes()).ok());
    if request.method() == Method::OPTIONS
        && let (Some(origin), Some(method)) = (&origin, requested)
    {
        let grant = edge.grant(Some(origin), request.uri().path(), &method);
        return preflight(grant, origin.clone());
    }
    let grant = edge.grant(origin.as_ref(), request.uri().path(), request.method());
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    // Open311 reads are the same for every origin; any other answer depends on it, and
    // says so, so a cache never gives one origin's answer to another.
    if grant != Grant::Anyone {
        headers.append(header::VARY, HeaderValue::from_static("origin"));
    }
    if grant != Grant::Refused {
        allow(headers, grant, origin);
        // Also without `Origin` (an Open311 read): a shared cache may give the answer to
        // a browser's script.
        headers.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(EXPOSE_HEADERS),
        );
    }
    response
}

fn preflight(grant: Grant, origin: HeaderValue) -> Response {
    let mut response = match grant {
        Grant::Refused => ApiError::new(
            StatusCode::FORBIDDEN,
            "origin_not_allowed",
            "Ce site n'est pas autorisé à appeler le guichet depuis un navigateur.",
        )
        .into_response(),
        Grant::Anyone | Grant::Listed { .. } => {
            let mut response = StatusCode::NO_CONTENT.into_response();
            let headers = response.headers_mut();
            allow(headers, grant, Some(origin));
            let methods = if grant == Grant::Anyone {
                READ_METHODS
            } else {
                ALLOW_METHODS
            };
            for (name, value) in [
                (header::ACCESS_CONTROL_ALLOW_METHODS, methods),
                (header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS),
                (header::ACCESS_CONTROL_MAX_AGE, PREFLIGHT_MAX_AGE),
            ] {
                headers.insert(name, HeaderValue::from_static(value));
            }
            response
        }
    };
    response.headers_mut().append(
        header::VARY,
        HeaderValue::from_static(
            "origin, access-control-request-method, access-control-request-headers",
        ),
    );
    response
}

/// Who may read the answer: everyone, or the listed origin (with the cookie where one is
/// read).
fn allow(headers: &mut HeaderMap, grant: Grant, origin: Option<HeaderValue>) {
    match (grant, origin) {
        (Grant::Anyone, _) => {
            headers.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
        (Grant::Listed { credentials }, Some(origin)) => {
            headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            if credentials {
                headers.insert(
                    header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                    HeaderValue::from_static("true"),
                );
            }
        }
        _ => {}
    }
}

/// Inside the request's span: `traceresponse: 00-<trace-id>-<span-id>-<flags>` when the
/// request has a trace, so a client can find it; nothing otherwise. The W3C propagator
/// writes only valid contexts.
pub async fn trace_response(request: Request, next: Next) -> Response {
    let trace = guichet_kit::telemetry::current_traceparent()
        .and_then(|trace| HeaderValue::try_from(trace).ok());
    let mut response = next.run(request).await;
    if let Some(trace) = trace {
        response.headers_mut().insert(TRACERESPONSE, trace);
    }
    response
}

/// A route that exists, called with a method it does not serve. The router adds `Allow`.
pub async fn method_not_allowed(method: Method) -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "Cette adresse n'accepte pas la méthode {method} : l'en-tête Allow donne celles \
             qu'elle accepte."
        ),
    )
}

/// `GET /api/docs`: the API's reference, read from `/api/v1/openapi.json` by the page's
/// script. Nothing comes from another site.
pub async fn docs_page() -> Response {
    asset(
        "text/html; charset=utf-8",
        include_str!("../static/docs/index.html"),
        Some(DOCS_CSP),
    )
}

/// `GET /api/docs/docs.js`.
pub async fn docs_script() -> Response {
    asset(
        "text/javascript; charset=utf-8",
        include_str!("../static/docs/docs.js"),
        None,
    )
}

/// `GET /api/docs/docs.css`.
pub async fn docs_style() -> Response {
    asset(
        "text/css; charset=utf-8",
        include_str!("../static/docs/docs.css"),
        None,
    )
}

fn asset(content_type: &'static str, body: &'static str, csp: Option<&'static str>) -> Response {
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    // Revalidated on each visit, so a new gateway's page never runs an old script.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(csp) = csp {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

    use axum::{Router, body::Body, extract::connect_info::MockConnectInfo, routing::get};
    use tower::ServiceExt as _;

    use super::*;

    fn edge(origins: &[&str], proxies: &[&str]) -> Arc<Edge> {
        let proxies: Vec<String> = proxies.iter().map(|p| (*p).to_owned()).collect();
        Edge::new(
            &HttpConfig {
                cors_origins: origins.iter().map(|o| (*o).to_owned()).collect(),
                ..HttpConfig::default()
            },
            Arc::new(TrustedProxies::parse(&proxies).unwrap()),
        )
        .unwrap()
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap());
        }
        headers
    }

    /// A one-route app behind `stamp`, reached from `peer`.
    async fn stamped(edge: Arc<Edge>, peer: [u8; 4], pairs: &[(&'static str, &str)]) -> Response {
        let app = Router::new()
            .route("/x", get(|| async { ApiError::forbidden("non") }))
            .layer(axum::middleware::from_fn_with_state(edge, stamp))
            .layer(MockConnectInfo(SocketAddr::from((peer, 4000))));
        let mut request = Request::builder().uri("/x");
        for (name, value) in pairs {
            request = request.header(*name, *value);
        }
        app.oneshot(request.body(Body::empty()).unwrap())
            .await
            .unwrap()
    }

    #[test]
    fn origins_are_written_as_browsers_send_them_and_typos_stop_the_start() {
        let edge = edge(
            &[
                " HTTPS://Portail.Example.org/ ",
                "https://a.example:443",
                "http://localhost:5173",
                "",
            ],
            &[],
        );
        assert_eq!(
            edge.origins,
            [
                "https://portail.example.org",
                "https://a.example",
                "http://localhost:5173"
            ]
        );
        for typo in [
            "*",
            "null",
            "portail.example.org",
            "ftp://a.example",
            "https://a.example/app",
            "https://u@a.example",
        ] {
            let settings = HttpConfig {
                cors_origins: vec![typo.to_owned()],
                ..HttpConfig::default()
            };
            assert!(Edge::new(&settings, Arc::default()).is_err(), "{typo}");
        }
    }

    #[test]
    fn open311_reads_are_for_everyone_the_rest_for_listed_origins_and_cookies_for_franceconnect() {
        let edge = edge(&["https://portail.example.org"], &[]);
        let listed = HeaderValue::from_static("https://portail.example.org");
        let other = HeaderValue::from_static("https://ailleurs.example");
        assert_eq!(
            edge.grant(Some(&other), "/open311/v2/requests.json", &Method::GET),
            Grant::Anyone
        );
        assert_eq!(
            edge.grant(None, "/open311/v2/requests.json", &Method::GET),
            Grant::Anyone,
            "the same answer whoever asks"
        );
        assert_eq!(
            edge.grant(None, "/api/v1/complaints", &Method::GET),
            Grant::Refused
        );
        assert_eq!(
            edge.grant(Some(&other), "/open311/v2/requests.json", &Method::POST),
            Grant::Refused
        );
        assert_eq!(
            edge.grant(Some(&other), "/api/v1/complaints", &Method::GET),
            Grant::Refused
        );
        assert_eq!(
            edge.grant(Some(&listed), "/api/v1/complaints", &Method::POST),
            Grant::Listed { credentials: false }
        );
        assert_eq!(
            edge.grant(
                Some(&listed),
                "/api/v1/auth/franceconnect/link",
                &Method::POST
            ),
            Grant::Listed { credentials: true }
        );
    }

    #[test]
    fn https_is_read_from_the_nearest_hop() {
        assert!(forwarded_https(&headers(&[("x-forwarded-proto", "https")])));
        assert!(!forwarded_https(&headers(&[(
            "x-forwarded-proto",
            "https, http"
        )])));
        assert!(forwarded_https(&headers(&[(
            "forwarded",
            "for=1.2.3.4;proto=http, for=10.0.0.1;proto=\"HTTPS\""
        )])));
        assert!(!forwarded_https(&headers(&[(
            "forwarded",
            "for=1.2.3.4;proto=https, for=10.0.0.1;proto=http"
        )])));
        assert!(!forwarded_https(&HeaderMap::new()));
    }

    #[tokio::test]
    async fn a_request_id_is_kept_only_from_a_trusted_proxy_and_problems_quote_it() {
        let sent = "0f8fad5b-d9cb-469f-a165-70867728950e";
        let edge = edge(&[], &["10.0.0.0/8"]);

        let trusted = stamped(edge.clone(), [10, 0, 0, 1], &[("x-request-id", sent)]).await;
        assert_eq!(trusted.headers()[X_REQUEST_ID], sent);
        let body = axum::body::to_bytes(trusted.into_body(), 1 << 16)
            .await
            .unwrap();
        let problem: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(problem["instance"], format!("urn:uuid:{sent}"));

        // nginx's `$request_id`: 32 hex digits, the same id hyphenated.
        let nginx = stamped(
            edge.clone(),
            [10, 0, 0, 1],
            &[("x-request-id", "0f8fad5bd9cb469fa16570867728950e")],
        )
        .await;
        assert_eq!(nginx.headers()[X_REQUEST_ID], sent);

        for (peer, value) in [
            ([203, 0, 113, 7], sent),
            ([10, 0, 0, 1], "pas-un-uuid"),
            ([10, 0, 0, 1], ""),
        ] {
            let response = stamped(edge.clone(), peer, &[("x-request-id", value)]).await;
            let id = response.headers()[X_REQUEST_ID].to_str().unwrap();
            assert_ne!(id, sent);
            assert!(Uuid::try_parse(id).is_ok(), "{id}");
        }
    }

    #[tokio::test]
    async fn hsts_only_over_https_as_a_trusted_proxy_says_or_the_settings_do() {
        let edge = edge(&[], &["10.0.0.0/8"]);
        let https = [("x-forwarded-proto", "https")];
        let hsts = |response: &Response| {
            response
                .headers()
                .get(header::STRICT_TRANSPORT_SECURITY)
                .cloned()
        };
        let behind = stamped(edge.clone(), [10, 0, 0, 1], &https).await;
        assert_eq!(hsts(&behind).unwrap(), "max-age=31536000");
        assert!(hsts(&stamped(edge.clone(), [10, 0, 0, 1], &[]).await).is_none());
        assert!(hsts(&stamped(edge, [203, 0, 113, 7], &https).await).is_none());

        let always = Edge::new(
            &HttpConfig {
                behind_tls: true,
                ..HttpConfig::default()
            },
            Arc::default(),
        )
        .unwrap();
        assert!(hsts(&stamped(always, [203, 0, 113, 7], &[]).await).is_some());
        let never = Edge::new(
            &HttpConfig {
                behind_tls: true,
                hsts_seconds: 0,
                ..HttpConfig::default()
            },
            Arc::default(),
        )
        .unwrap();
        assert!(hsts(&stamped(never, [203, 0, 113, 7], &[]).await).is_none());
    }

    #[tokio::test]
    async fn security_headers_are_added_and_a_page_keeps_its_own_policy() {
        let app = Router::new()
            .route("/json", get(|| async { "{}" }))
            .route("/docs", get(docs_page))
            .layer(axum::middleware::from_fn_with_state(edge(&[], &[]), stamp));
        let get = |path: &'static str| {
            app.clone()
                .oneshot(Request::builder().uri(path).body(Body::empty()).unwrap())
        };
        let json = get("/json").await.unwrap();
        assert_eq!(json.headers()[header::CONTENT_SECURITY_POLICY], API_CSP);
        assert_eq!(json.headers()[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(json.headers()[header::REFERRER_POLICY], "no-referrer");
        assert_eq!(json.headers()[header::X_FRAME_OPTIONS], "DENY");
        let docs = get("/docs").await.unwrap();
        assert_eq!(docs.headers()[header::CONTENT_SECURITY_POLICY], DOCS_CSP);
    }
}
