//! Open311 GeoReport v2 at `/open311/v2/`, as <http://wiki.open311.org/GeoReport_v2>
//! writes it, so existing Open311 clients and validators work unmodified: services are
//! the complaint categories, service requests are complaints (public fields only: no
//! description, no person), `service_request_id` is the complaint's public id. Filing
//! (`POST requests`) needs an API key an administrator issued; it files on the web
//! channel without an account, and the answer's `service_notice` carries the tracking
//! number for the resident.
//!
//! Everything under `/open311/v2` answers in Open311's words, errors included: unknown
//! paths and methods, unreadable parameters and bodies get the specification's error
//! document in the format the path asks for, never another error format.

use std::borrow::Cow;

use axum::{
    Form, Router,
    body::to_bytes,
    extract::{
        DefaultBodyLimit, Extension, FromRequest as _, Multipart, Path, Query, Request, State,
        rejection::{FormRejection, QueryRejection},
    },
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    middleware::Next,
    response::{IntoResponse as _, Response},
    routing::{any, get, post},
};
use chrono::{DateTime, Months, NaiveDate, SecondsFormat, Utc};
use guichet_kit::{
    calendar::paris_start_of_day,
    grpc::{datetime, timestamp, violations},
    validate::first_non_xml_char,
};
use guichet_proto::complaints::v1::{self as pb, FileComplaintRequest, ListCategoriesRequest};
use tonic::Code;

use super::open311_format::{Format, Node, error, respond, respond_as};

use crate::{error::ApiError, state::AppState, upload};

/// The only jurisdiction this endpoint serves.
const JURISDICTION: &str = "aixenprovence.fr";
/// When this endpoint's behaviour last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-12-01T00:00:00+01:00";
/// Where the endpoint lives; every path under it is Open311's.
const ROOT: &str = "/open311/v2";

/// The query string's parameters, in order.
type Parameters = Vec<(String, String)>;

/// The endpoint's routes. The gateway wraps them, with every route, in [`errors`] and
/// answers a method a route does not take with `405` and `Allow`: both come out here
/// in Open311's words.
pub fn router() -> Router<AppState> {
    // The route paths stay `/open311/v2/{file}`…: the write limits name them.
    let v2 = Router::new()
        .route(
            "/{file}",
            get(top).merge(post(post_requests).layer(DefaultBodyLimit::max(MEDIA_BODY))),
        )
        .route("/services/{file}", get(service_definition))
        .route("/requests/{file}", get(one_request))
        .route("/tokens/{file}", get(token))
        // Any other path under the endpoint, `/open311/v2` itself included.
        .fallback(unknown_path);
    Router::new()
        .nest(ROOT, v2)
        .route("/open311/v2/", any(unknown_path))
}

fn is_ours(path: &str) -> bool {
    path.strip_prefix(ROOT)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

async fn unknown_path(uri: Uri) -> Response {
    error(
        Format::of_path(uri.path()),
        StatusCode::NOT_FOUND,
        &[format!(
            "Ressource introuvable : ce point d'accès sert {ROOT}/discovery.xml, services, \
             services/{{service_code}}, requests, requests/{{service_request_id}} et \
             tokens/{{token}} (.xml ou .json)."
        )],
    )
}

/// Says again in Open311's words any error answered under `/open311/v2` in another
/// format — an extractor's plain text, an empty `405`, the gateway's problem+json (write
/// limits, deadlines) — keeping its status and headers (`Allow`, `Retry-After`) and the
/// problem's French `detail` as the description. Anywhere else it changes nothing, so it
/// wraps the whole gateway, and sees what the layers around every route answer too.
pub(super) async fn errors(request: Request, next: Next) -> Response {
    if !is_ours(request.uri().path()) {
        return next.run(request).await;
    }
    let format = Format::of_path(request.uri().path());
    let response = next.run(request).await;
    let status = response.status();
    let content_type = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let open311 =
        content_type.starts_with("text/xml") || content_type.starts_with("application/json");
    if !(status.is_client_error() || status.is_server_error()) || open311 {
        return response;
    }
    let problem = content_type.starts_with("application/problem+json");
    let (parts, body) = response.into_parts();
    let detail = if problem {
        to_bytes(body, 64 * 1024)
            .await
            .ok()
            .and_then(|bytes| serde_json::from_slice::<serde_json::Value>(&bytes).ok())
            .and_then(|problem| problem["detail"].as_str().map(str::to_owned))
    } else {
        None
    };
    let description = detail.unwrap_or_else(|| generic_description(status).to_owned());
    let mut answer = error(format, status, &[description]);
    for (name, value) in &parts.headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            answer.headers_mut().append(name, value.clone());
        }
    }
    answer
}

fn generic_description(status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => "Ressource introuvable.",
        StatusCode::METHOD_NOT_ALLOWED => "Méthode non autorisée ici.",
        StatusCode::PAYLOAD_TOO_LARGE => "Corps de requête trop volumineux.",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "Corps attendu : application/x-www-form-urlencoded.",
        StatusCode::TOO_MANY_REQUESTS => "Trop de requêtes : réessayez plus tard.",
        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT => {
            "Service momentanément indisponible."
        }
        s if s.is_server_error() => "Erreur inattendue.",
        _ => "Requête invalide : vérifiez l'adresse et ses paramètres.",
    }
}

/// The query string's parameters, `None` when it cannot be read.
fn parameters(query: Result<Query<Parameters>, QueryRejection>) -> Option<Parameters> {
    query.ok().map(|Query(parameters)| parameters)
}

fn unreadable_query(format: Format) -> Response {
    bad_request(format, "Paramètres illisibles dans l'adresse.")
}

/// What a GET's query string alone earns: 400 when unreadable, 404 for another
/// jurisdiction.
fn refused_query(
    format: Format,
    query: Result<Query<Parameters>, QueryRejection>,
) -> Option<Response> {
    match parameters(query) {
        Some(query) => other_jurisdiction(format, &query),
        None => Some(unreadable_query(format)),
    }
}

/// `404` when `jurisdiction_id` names a jurisdiction other than ours, on every route;
/// empty counts as absent (the specification's "Optional Arguments").
fn other_jurisdiction(format: Format, parameters: &[(String, String)]) -> Option<Response> {
    parameters
        .iter()
        .filter(|(name, _)| name == "jurisdiction_id")
        .map(|(_, value)| value.trim())
        .any(|value| !value.is_empty() && !value.eq_ignore_ascii_case(JURISDICTION))
        .then(|| {
            error(
                format,
                StatusCode::NOT_FOUND,
                &[format!(
                    "jurisdiction_id inconnu : ce point d'accès ne sert que {JURISDICTION}."
                )],
            )
        })
}

/// ISO 8601 with the time zone, as the specification requires.
fn date(at: Option<&guichet_proto::prost_types::Timestamp>) -> Node {
    at.and_then(datetime)
        .map_or(Node::Null, |at: DateTime<Utc>| {
            Node::text(at.to_rfc3339_opts(SecondsFormat::Secs, false))
        })
}

fn not_found(format: Format) -> Response {
    error(
        format,
        StatusCode::NOT_FOUND,
        &["Ressource introuvable.".to_owned()],
    )
}

fn bad_request(format: Format, description: &str) -> Response {
    error(format, StatusCode::BAD_REQUEST, &[description.to_owned()])
}

/// The first parameter holding a character XML 1.0 forbids, answered 400 naming it:
/// what is filed must be servable in every output, and a filter holding one matches
/// nothing anyway.
fn unservable(format: Format, parameters: &[(String, String)]) -> Option<Response> {
    parameters.iter().find_map(|(name, value)| {
        let c = first_non_xml_char(name).or_else(|| first_non_xml_char(value))?;
        Some(bad_request(
            format,
            &format!(
                "{name} : caractère non autorisé (U+{:04X}), retirez-le.",
                u32::from(c)
            ),
        ))
    })
}

/// A request that announces no body: `Content-Length: 0`, or neither a length nor a
/// transfer encoding.
fn no_body(headers: &HeaderMap) -> bool {
    match headers.get(header::CONTENT_LENGTH) {
        Some(length) => length.as_bytes() == b"0",
        None => !headers.contains_key(header::TRANSFER_ENCODING),
    }
}

/// A service's refusal in Open311's words: 400 with one description per field at
/// fault, 403, 404, or a server error.
fn from_status(format: Format, status: &tonic::Status) -> Response {
    match status.code() {
        Code::InvalidArgument => {
            let mut descriptions: Vec<String> = violations(status)
                .into_iter()
                .map(|v| format!("{} : {}", open311_field(&v.field), v.description))
                .collect();
            if descriptions.is_empty() {
                descriptions.push(status.message().to_owned());
            }
            error(format, StatusCode::BAD_REQUEST, &descriptions)
        }
        Code::PermissionDenied | Code::Unauthenticated => error(
            format,
            StatusCode::FORBIDDEN,
            &["api_key absente ou invalide.".to_owned()],
        ),
        Code::NotFound => not_found(format),
        Code::Unavailable | Code::DeadlineExceeded => {
            tracing::warn!(%status, "the complaints service is unavailable");
            error(
                format,
                StatusCode::SERVICE_UNAVAILABLE,
                &["Service momentanément indisponible.".to_owned()],
            )
        }
        _ => {
            tracing::error!(%status, "the complaints service failed");
            error(
                format,
                StatusCode::INTERNAL_SERVER_ERROR,
                &["Erreur inattendue.".to_owned()],
            )
        }
    }
}

/// Our field paths in Open311's parameter names.
fn open311_field(field: &str) -> &str {
    match field {
        "category" => "service_code",
        "location" | "location.address" => "address_string",
        "location.latitude" => "lat",
        "location.longitude" => "long",
        "contact.email" => "email",
        "contact.phone" => "phone",
        other => other,
    }
}

/// `/open311/v2/discovery`, `/services`, `/requests` (GET).
async fn top(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    https: Option<Extension<crate::web::Https>>,
    query: Result<Query<Parameters>, QueryRejection>,
) -> Response {
    let Some((stem, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    let Some(query) = parameters(query) else {
        return unreadable_query(format);
    };
    if let Some(refused) = other_jurisdiction(format, &query) {
        return refused;
    }
    match stem {
        "discovery" => discovery(format, &headers, https.is_some_and(|Extension(h)| h.0)),
        "services" => services(&state, format).await,
        "requests" => requests(&state, format, query).await,
        _ => not_found(format),
    }
}

/// The discovery document; its endpoint is this host, over HTTPS when the request came
/// so (only a trusted proxy may say it did).
fn discovery(format: Format, headers: &HeaderMap, https: bool) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = if https { "https" } else { "http" };
    let document = Node::Object(vec![
        ("changeset", Node::text(CHANGESET)),
        (
            "contact",
            Node::text("Mairie d'Aix-en-Provence, Guichet unique — 04 42 91 90 00"),
        ),
        (
            "key_service",
            Node::text(
                "Clés d'API délivrées sur demande par l'administration de la ville (Guichet).",
            ),
        ),
        (
            "endpoints",
            Node::List(
                "endpoint",
                vec![Node::Object(vec![
                    (
                        "specification",
                        Node::text("http://wiki.open311.org/GeoReport_v2"),
                    ),
                    ("url", Node::text(format!("{scheme}://{host}/open311/v2"))),
                    ("changeset", Node::text(CHANGESET)),
                    ("type", Node::text("production")),
                    (
                        "formats",
                        Node::List(
                            "format",
                            vec![Node::text("text/xml"), Node::text("application/json")],
                        ),
                    ),
                ])],
            ),
        ),
    ]);
    // Exactly the media types `formats` lists, without parameters.
    respond_as(
        format.media_type(),
        format,
        StatusCode::OK,
        "discovery",
        &document,
    )
}

async fn categories(state: &AppState) -> Result<Vec<pb::Category>, tonic::Status> {
    Ok(state
        .complaints
        .clone()
        .list_categories(ListCategoriesRequest {
            include_inactive: false,
        })
        .await?
        .into_inner()
        .categories)
}

fn competence(code: &str) -> &'static str {
    match code {
        "metropole" => "Métropole Aix-Marseille-Provence",
        "partagee" => "partagée entre la commune et la Métropole",
        _ => "commune",
    }
}

async fn services(state: &AppState, format: Format) -> Response {
    let categories = match categories(state).await {
        Ok(categories) => categories,
        Err(status) => return from_status(format, &status),
    };
    let services = categories
        .into_iter()
        .map(|c| {
            Node::Object(vec![
                ("service_code", Node::text(c.code.clone())),
                ("service_name", Node::text(c.label.clone())),
                (
                    "description",
                    Node::text(format!(
                        "{} — service {}, délai visé {} jours.",
                        c.label, c.department, c.sla_days
                    )),
                ),
                // Every service has a definition (informational attributes).
                ("metadata", Node::Bool(true)),
                ("type", Node::text("realtime")),
                ("keywords", Node::text(c.priority.clone())),
                ("group", Node::text(c.department.clone())),
            ])
        })
        .collect();
    respond(
        format,
        StatusCode::OK,
        "services",
        &Node::List("service", services),
    )
}

/// `services/{service_code}`: the definition, whose attributes inform the resident
/// (`variable` false): the target delay and who does the work.
async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    query: Result<Query<Parameters>, QueryRejection>,
) -> Response {
    let Some((code, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    if let Some(refused) = refused_query(format, query) {
        return refused;
    }
    let categories = match categories(&state).await {
        Ok(categories) => categories,
        Err(status) => return from_status(format, &status),
    };
    let Some(category) = categories.into_iter().find(|c| c.code == code) else {
        return not_found(format);
    };
    let attribute = |order: i64, code: &str, description: String| {
        Node::Object(vec![
            ("variable", Node::Bool(false)),
            ("code", Node::text(code)),
            ("datatype", Node::text("string")),
            ("required", Node::Bool(false)),
            ("datatype_description", Node::text("")),
            ("order", Node::Integer(order)),
            ("description", Node::text(description)),
        ])
    };
    let definition = Node::Object(vec![
        ("service_code", Node::text(category.code.clone())),
        (
            "attributes",
            Node::List(
                "attribute",
                vec![
                    attribute(
                        1,
                        "DELAI_VISE",
                        format!("Délai d'intervention visé : {} jours.", category.sla_days),
                    ),
                    attribute(
                        2,
                        "COMPETENCE",
                        format!("Compétence : {}.", competence(&category.competence)),
                    ),
                ],
            ),
        ),
    ]);
    respond(format, StatusCode::OK, "service_definition", &definition)
}

fn request_node(c: &pb::PublicComplaint) -> Node {
    let coordinate = |v: Option<f64>| v.map_or(Node::Null, Node::Number);
    Node::Object(vec![
        ("service_request_id", Node::text(c.id.clone())),
        (
            "status",
            Node::text(if c.state == "open" { "open" } else { "closed" }),
        ),
        ("status_notes", Node::text(c.status_notes.clone())),
        ("service_name", Node::text(c.category_label.clone())),
        ("service_code", Node::text(c.category.clone())),
        // Residents' words stay private: they may name people.
        ("description", Node::text("")),
        ("agency_responsible", Node::text(c.department.clone())),
        ("service_notice", Node::text("")),
        ("requested_datetime", date(c.created_at.as_ref())),
        ("updated_datetime", date(c.updated_at.as_ref())),
        ("expected_datetime", date(c.due_at.as_ref())),
        ("address", Node::text(c.address.clone())),
        ("address_id", Node::text("")),
        ("zipcode", Node::text("")),
        ("lat", coordinate(c.latitude)),
        ("long", coordinate(c.longitude)),
        // Photos are not published: they may show faces and plates.
        ("media_url", Node::text("")),
    ])
}

/// Which end of the range a date bounds: a period (a day, a month, a year) counts from
/// its first instant as `start_date`, up to its last as `end_date`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Bound {
    Start,
    End,
}

/// A date in the W3C profile of ISO 8601 the specification asks for
/// (<https://www.w3.org/TR/NOTE-datetime>): `YYYY-MM-DDThh:mmTZD`,
/// `YYYY-MM-DDThh:mm:ssTZD` and its fractions of a second, with the zone (`Z` or
/// `±hh:mm`); or a period alone — `YYYY-MM-DD`, `YYYY-MM`, `YYYY` — in the city's time
/// (Europe/Paris).
fn parse_date(value: &str, bound: Bound) -> Option<DateTime<Utc>> {
    let value = plus_restored(value.trim());
    if value.contains(['T', 't']) {
        return date_time(&value);
    }
    let (first, next) = period(&value)?;
    Some(match bound {
        Bound::Start => paris_start_of_day(first),
        // The last instant PostgreSQL can tell from the next period's first.
        Bound::End => paris_start_of_day(next) - chrono::Duration::microseconds(1),
    })
}

/// A `+` sent unencoded in a query string arrives as a space
/// (`2026-11-02T09:00:00 01:00`): the zone's sign is given back.
fn plus_restored(value: &str) -> Cow<'_, str> {
    match value.rsplit_once(' ') {
        Some((time, zone)) if zone.len() == 5 && zone.as_bytes().get(2) == Some(&b':') => {
            Cow::Owned(format!("{time}+{zone}"))
        }
        _ => Cow::Borrowed(value),
    }
}

/// A complete date with hours and minutes, seconds and their fractions optional, and a
/// zone: RFC 3339, or the same without seconds (chrono's `%#z` reads `Z` as well as
/// `±hh:mm`).
fn date_time(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value)
        .or_else(|_| DateTime::parse_from_str(value, "%Y-%m-%dT%H:%M%#z"))
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// `YYYY-MM-DD`, `YYYY-MM` or `YYYY`: its first day and the day after its last.
fn period(value: &str) -> Option<(NaiveDate, NaiveDate)> {
    let digits = |part: &str, len: usize| {
        (part.len() == len && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    let mut parts = value.split('-');
    let year = i32::try_from(digits(parts.next()?, 4)?).ok()?;
    let month = parts.next().map(|m| digits(m, 2));
    let day = parts.next().map(|d| digits(d, 2));
    if parts.next().is_some() {
        return None;
    }
    match (month, day) {
        (None, None) => Some((
            NaiveDate::from_ymd_opt(year, 1, 1)?,
            NaiveDate::from_ymd_opt(year.checked_add(1)?, 1, 1)?,
        )),
        (Some(month), None) => {
            let first = NaiveDate::from_ymd_opt(year, month?, 1)?;
            Some((first, first.checked_add_months(Months::new(1))?))
        }
        (Some(month), Some(day)) => {
            let first = NaiveDate::from_ymd_opt(year, month?, day?)?;
            Some((first, first.succ_opt()?))
        }
        (None, Some(_)) => None,
    }
}

fn comma_list(value: &str) -> Vec<String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `GET requests`: `service_request_id` (comma list, overrides the rest),
/// `service_code`, `start_date`, `end_date`, `status` (`open`, `closed`).
async fn requests(state: &AppState, format: Format, query: Parameters) -> Response {
    if let Some(refused) = unservable(format, &query) {
        return refused;
    }
    let mut request = pb::ListRequestsRequest::default();
    for (name, value) in query {
        match name.as_str() {
            "service_request_id" => request.ids.extend(comma_list(&value)),
            "service_code" => request.service_codes.extend(comma_list(&value)),
            "start_date" | "end_date" => {
                let bound = if name == "start_date" {
                    Bound::Start
                } else {
                    Bound::End
                };
                let Some(at) = parse_date(&value, bound) else {
                    return bad_request(
                        format,
                        &format!(
                            "{name} : date W3C attendue (2026-11-02T09:00:00+01:00, \
                             2026-11-02T09:00Z ou 2026-11-02)."
                        ),
                    );
                };
                let at = Some(timestamp(at));
                if name == "start_date" {
                    request.start = at;
                } else {
                    request.end = at;
                }
            }
            "status" => {
                for status in comma_list(&value) {
                    if status != "open" && status != "closed" {
                        return bad_request(format, "status : open ou closed.");
                    }
                    request.statuses.push(status);
                }
            }
            _ => {}
        }
    }
    match state.complaints.clone().list_requests(request).await {
        Ok(found) => {
            let items = found
                .into_inner()
                .complaints
                .iter()
                .map(request_node)
                .collect();
            respond(
                format,
                StatusCode::OK,
                "service_requests",
                &Node::List("request", items),
            )
        }
        Err(status) => from_status(format, &status),
    }
}

/// `GET requests/{service_request_id}`: an array of one, or 404.
async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    query: Result<Query<Parameters>, QueryRejection>,
) -> Response {
    by_id(&state, &file, query, |c| request_node(&c)).await
}

/// `GET tokens/{token}`: requests are created at once, so a token is the request's id.
async fn token(
    State(state): State<AppState>,
    Path(file): Path<String>,
    query: Result<Query<Parameters>, QueryRejection>,
) -> Response {
    by_id(&state, &file, query, |c| {
        Node::Object(vec![
            ("service_request_id", Node::text(c.id.clone())),
            ("token", Node::text(c.id)),
        ])
    })
    .await
}

/// The request named by `file` (`<id>.<format>`), as `node` shows it in an array of
/// one; 404 when there is none.
async fn by_id(
    state: &AppState,
    file: &str,
    query: Result<Query<Parameters>, QueryRejection>,
    node: impl Fn(pb::PublicComplaint) -> Node,
) -> Response {
    let Some((id, format)) = Format::split(file) else {
        return not_found(Format::Xml);
    };
    if let Some(refused) = refused_query(format, query) {
        return refused;
    }
    let found = state
        .complaints
        .clone()
        .list_requests(pb::ListRequestsRequest {
            ids: vec![id.to_owned()],
            ..Default::default()
        })
        .await;
    match found {
        Ok(found) => {
            let items: Vec<Node> = found
                .into_inner()
                .complaints
                .into_iter()
                .map(node)
                .collect();
            if items.is_empty() {
                return not_found(format);
            }
            respond(
                format,
                StatusCode::OK,
                "service_requests",
                &Node::List("request", items),
            )
        }
        Err(status) => from_status(format, &status),
    }
}

/// `POST requests` (form-encoded): `api_key`, `service_code`, a location (`lat` and
/// `long`, or `address_string`), `description`, and the resident's `email`,
/// `first_name`, `last_name`, `phone`. Parameters are read from the body and from the
/// query string, where some clients put them all (the body wins when both have one).
/// The same as `multipart/form-data`, as clients send it with a photo: a `media` file
/// part (JPEG, PNG or WebP, 5 MiB), stored with the complaint like any photo.
/// `media_url` is not fetched (the gateway does not download what a client points it
/// at); `attribute[…]` is ignored (our attributes only inform).
async fn post_requests(
    State(state): State<AppState>,
    Path(file): Path<String>,
    headers: HeaderMap,
    query: Result<Query<Parameters>, QueryRejection>,
    request: Request,
) -> Response {
    let Some((stem, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    match stem {
        "requests" => {}
        "discovery" | "services" => {
            let mut refused = error(
                format,
                StatusCode::METHOD_NOT_ALLOWED,
                &["Seules les demandes se déposent.".to_owned()],
            );
            // Written as the router writes `Allow` on the other routes.
            refused
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static("GET,HEAD"));
            return refused;
        }
        _ => return not_found(format),
    }
    let Some(mut fields) = parameters(query) else {
        return unreadable_query(format);
    };
    let mut media = None;
    // Held until the complaints service has the photo.
    let mut _admitted = None;
    if upload::is_form(&headers) {
        match upload::admit(&headers, MEDIA_BODY).await {
            Ok(admitted) => _admitted = Some(admitted),
            Err(refused) => return refused.into_response(),
        }
        match media_form(request, &state).await {
            Ok((body, photo)) => {
                fields.extend(body);
                media = photo;
            }
            // Problems become Open311 errors in `errors`.
            Err(refused) => return refused.into_response(),
        }
    } else {
        match Form::<Parameters>::from_request(request, &state).await {
            Ok(Form(body)) => fields.extend(body),
            // Everything in the query string and no body at all, not even its type.
            Err(FormRejection::InvalidFormContentType(_)) if no_body(&headers) => {}
            Err(rejection) if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                return error(
                    format,
                    StatusCode::PAYLOAD_TOO_LARGE,
                    &[generic_description(StatusCode::PAYLOAD_TOO_LARGE).to_owned()],
                );
            }
            Err(_) => {
                return bad_request(
                    format,
                    "Corps attendu : application/x-www-form-urlencoded ou multipart/form-data.",
                );
            }
        }
    }
    if let Some(refused) = other_jurisdiction(format, &fields) {
        return refused;
    }
    // Judged after the key, like everything else.
    let mut refused = unservable(format, &fields);
    let mut api_key = String::new();
    let mut complaint = FileComplaintRequest::default();
    let mut location = pb::Location::default();
    let mut contact = pb::Contact::default();
    let (mut first, mut last) = (String::new(), String::new());
    for (name, value) in fields {
        match name.as_str() {
            // An empty one is as none (a client's unset key beside the real one).
            "api_key" if !value.trim().is_empty() => api_key = value,
            "service_code" => complaint.category = value,
            "description" => complaint.description = value,
            "address_string" => location.address = value,
            "lat" | "long" => {
                let Ok(degrees) = value.trim().parse::<f64>() else {
                    refused = refused.or_else(|| {
                        Some(bad_request(
                            format,
                            &format!("{name} : nombre décimal attendu."),
                        ))
                    });
                    continue;
                };
                if name == "lat" {
                    location.latitude = Some(degrees);
                } else {
                    location.longitude = Some(degrees);
                }
            }
            "email" => contact.email = value,
            "phone" => contact.phone = value,
            "first_name" => first = value,
            "last_name" => last = value,
            _ => {}
        }
    }
    // The key first: without it nothing else is judged.
    if api_key.trim().is_empty() {
        return error(
            format,
            StatusCode::FORBIDDEN,
            &["api_key absente ou invalide.".to_owned()],
        );
    }
    if let Some(refused) = refused {
        return refused;
    }
    if complaint.category.trim().is_empty() {
        return bad_request(format, "service_code : paramètre requis.");
    }
    contact.name = format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_owned();
    complaint.location = Some(location);
    complaint.contact = Some(contact);
    complaint.photos.extend(media);
    let filed = state
        .complaints
        .clone()
        .file_open311(pb::FileOpen311Request {
            api_key,
            complaint: Some(complaint),
        })
        .await;
    match filed {
        Ok(filed) => {
            let filed = filed.into_inner();
            let id = filed.complaint.map(|c| c.id).unwrap_or_default();
            let item = Node::Object(vec![
                ("service_request_id", Node::text(id)),
                (
                    "service_notice",
                    Node::text(format!(
                        "Numéro de suivi à conserver : {}",
                        filed.tracking_number
                    )),
                ),
                ("account_id", Node::Null),
            ]);
            respond(
                format,
                StatusCode::OK,
                "service_requests",
                &Node::List("request", vec![item]),
            )
        }
        Err(status) => from_status(format, &status),
    }
}

/// A photo and the form's fields: at most one photo, as the specification's `media`.
const MEDIA_BODY: usize = 6 * 1024 * 1024;
/// A text part: longer than any description the complaints service keeps.
const MEDIA_FORM_TEXT: usize = 16 * 1024;

/// Reads `POST requests` sent as `multipart/form-data`: its text parts as parameters,
/// and its `media` part, a photo.
async fn media_form(
    request: Request,
    state: &AppState,
) -> Result<(Parameters, Option<pb::Photo>), ApiError> {
    let mut form = Multipart::from_request(request, state)
        .await
        .map_err(|_| upload::invalid("media", "Formulaire multipart illisible."))?;
    let (mut fields, mut photo) = (Parameters::new(), None);
    while let Some(part) = upload::next_part(&mut form).await? {
        let name = part.name().unwrap_or_default().to_owned();
        if name == "media" {
            if photo.is_some() {
                return Err(upload::invalid("media", "Joignez une seule photo."));
            }
            let file = upload::read_file(part, "media", super::complaints::PHOTO).await?;
            photo = Some(pb::Photo {
                filename: file.filename,
                content: file.content,
            });
        } else {
            let value = upload::read_text(part, &name, MEDIA_FORM_TEXT).await?;
            fields.push((name, value));
        }
    }
    Ok((fields, photo))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use axum::{
        body::Body,
        routing::{get, post},
    };
    use chrono::TimeZone as _;
    use tower::ServiceExt as _;

    use super::*;

    fn at(rfc3339: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(rfc3339)
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn the_w3c_time_forms_are_read_with_their_zone() {
        for (value, expected) in [
            ("2026-11-02T09:00:00+01:00", "2026-11-02T08:00:00Z"),
            ("2026-11-02T09:00:00.250Z", "2026-11-02T09:00:00.250Z"),
            ("2026-11-02T09:00+01:00", "2026-11-02T08:00:00Z"),
            ("2026-11-02T09:00-05:00", "2026-11-02T14:00:00Z"),
            ("2026-11-02T09:00Z", "2026-11-02T09:00:00Z"),
            // A `+` sent unencoded arrives as a space.
            ("2026-11-02T09:00:00 01:00", "2026-11-02T08:00:00Z"),
            ("2026-11-02T09:00 01:00", "2026-11-02T08:00:00Z"),
            (" 2026-11-02T09:00Z ", "2026-11-02T09:00:00Z"),
        ] {
            assert_eq!(
                parse_date(value, Bound::Start),
                Some(at(expected)),
                "{value}"
            );
            // A moment is the same moment at either end.
            assert_eq!(parse_date(value, Bound::End), Some(at(expected)), "{value}");
        }
    }

    #[test]
    fn a_period_alone_runs_from_its_first_to_its_last_instant_in_paris() {
        let last = |rfc3339: &str| at(rfc3339) - chrono::Duration::microseconds(1);
        for (value, start, end) in [
            // Winter: Paris is UTC+1.
            (
                "2026-11-02",
                at("2026-11-01T23:00:00Z"),
                last("2026-11-02T23:00:00Z"),
            ),
            // Summer: UTC+2.
            (
                "2026-07-14",
                at("2026-07-13T22:00:00Z"),
                last("2026-07-14T22:00:00Z"),
            ),
            (
                "2026-02",
                at("2026-01-31T23:00:00Z"),
                last("2026-02-28T23:00:00Z"),
            ),
            (
                "2026",
                at("2025-12-31T23:00:00Z"),
                last("2026-12-31T23:00:00Z"),
            ),
        ] {
            assert_eq!(parse_date(value, Bound::Start), Some(start), "{value}");
            assert_eq!(parse_date(value, Bound::End), Some(end), "{value}");
        }
        assert_eq!(
            parse_date("2024-02-29", Bound::Start),
            Some(Utc.with_ymd_and_hms(2024, 2, 28, 23, 0, 0).unwrap())
        );
    }

    #[test]
    fn what_is_not_a_w3c_date_is_refused() {
        for value in [
            "",
            "hier",
            "2026-11-02T09:00",
            "2026-11-02T09:00:00",
            "2026-11-02T09+01:00",
            "2026-11-2",
            "2026-1",
            "26",
            "2026-13",
            "2026-02-30",
            "2026-11-02-01",
            "2026--02",
            "+2026",
            "2026-11-02Té9:00Z",
            "é2026-11-02T09:00",
        ] {
            assert_eq!(parse_date(value, Bound::Start), None, "{value}");
        }
    }

    fn problem(status: StatusCode, detail: &str) -> Response {
        Response::builder()
            .status(status)
            .header(header::CONTENT_TYPE, "application/problem+json")
            .header(header::RETRY_AFTER, "60")
            .body(Body::from(
                serde_json::json!({"status": status.as_u16(), "code": "x", "detail": detail})
                    .to_string(),
            ))
            .unwrap()
    }

    async fn call(app: &Router, method: &str, uri: &str) -> (StatusCode, HeaderMap, String) {
        let request = axum::http::Request::builder()
            .method(method)
            .uri(uri)
            .body(Body::empty())
            .unwrap();
        let response = app.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        let body = to_bytes(body, 1 << 20).await.unwrap();
        (
            parts.status,
            parts.headers,
            String::from_utf8(body.to_vec()).unwrap(),
        )
    }

    #[tokio::test]
    async fn other_error_formats_under_open311_v2_are_said_again_as_open311_errors() {
        let app = Router::new()
            .route(
                "/open311/v2/requests.json",
                post(|| async { problem(StatusCode::TOO_MANY_REQUESTS, "Trop de dépôts.") }),
            )
            .route("/open311/v2/services.xml", get(|| async { "" }))
            .route(
                "/open311/v2/tokens/{file}",
                get(|| async { (StatusCode::BAD_REQUEST, "Invalid URL") }),
            )
            .route(
                "/api/v1/complaints",
                post(|| async { problem(StatusCode::TOO_MANY_REQUESTS, "Trop de dépôts.") }),
            )
            .layer(axum::middleware::from_fn(errors));

        // A problem (a write limit, a deadline): its status, headers and detail kept.
        let (status, headers, body) = call(&app, "POST", "/open311/v2/requests.json").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(
            headers[header::CONTENT_TYPE],
            "application/json; charset=utf-8"
        );
        assert_eq!(headers[header::RETRY_AFTER], "60");
        assert_eq!(body, r#"[{"code":429,"description":"Trop de dépôts."}]"#);

        // axum's own empty 405, and an extractor's plain text.
        let (status, headers, body) = call(&app, "DELETE", "/open311/v2/services.xml").await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(headers[header::CONTENT_TYPE], "text/xml; charset=utf-8");
        assert!(body.contains("<code>405</code>"), "{body}");
        let (status, _, body) = call(&app, "GET", "/open311/v2/tokens/x.json").await;
        assert_eq!(status, StatusCode::BAD_REQUEST);
        assert!(body.starts_with(r#"[{"code":400,"#), "{body}");

        // Elsewhere, untouched.
        let (status, headers, _) = call(&app, "POST", "/api/v1/complaints").await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(headers[header::CONTENT_TYPE], "application/problem+json");
    }
}
