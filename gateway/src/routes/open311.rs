//! Open311 GeoReport v2 at `/open311/v2/`, as <http://wiki.open311.org/GeoReport_v2>
//! writes it, so existing Open311 clients and validators work unmodified: services are
//! the complaint categories, service requests are complaints (public fields only: no
//! description, no person), `service_request_id` is the complaint's public id. Filing
//! (`POST requests`) needs an API key an administrator issued; it files on the web
//! channel without an account, and the answer's `service_notice` carries the tracking
//! number for the resident.

use axum::{
    Form, Router,
    extract::{Path, Query, State, rejection::FormRejection},
    http::{HeaderMap, StatusCode, header},
    response::Response,
    routing::get,
};
use chrono::{DateTime, SecondsFormat, Utc};
use guichet_kit::{
    grpc::{datetime, timestamp, violations},
    validate::first_non_xml_char,
};
use guichet_proto::complaints::v1::{self as pb, FileComplaintRequest, ListCategoriesRequest};
use tonic::Code;

use super::open311_format::{Format, Node, error, respond};

use crate::state::AppState;

/// The only jurisdiction this endpoint serves.
const JURISDICTION: &str = "aixenprovence.fr";
/// When this endpoint's behaviour last changed (discovery's `changeset`).
const CHANGESET: &str = "2026-12-01T00:00:00+01:00";

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(top).post(post_requests))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
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
    Query(query): Query<Vec<(String, String)>>,
) -> Response {
    let Some((stem, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    match stem {
        "discovery" => discovery(format, &headers),
        "services" => services(&state, format).await,
        "requests" => requests(&state, format, query).await,
        _ => not_found(format),
    }
}

fn discovery(format: Format, headers: &HeaderMap) -> Response {
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let scheme = headers
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .filter(|p| *p == "https")
        .unwrap_or("http");
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
    respond(format, StatusCode::OK, "discovery", &document)
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
async fn service_definition(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((code, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
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

fn parse_date(value: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(value.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc))
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
async fn requests(state: &AppState, format: Format, query: Vec<(String, String)>) -> Response {
    if let Some(refused) = unservable(format, &query) {
        return refused;
    }
    let mut request = pb::ListRequestsRequest::default();
    for (name, value) in query {
        match name.as_str() {
            "service_request_id" => request.ids.extend(comma_list(&value)),
            "service_code" => request.service_codes.extend(comma_list(&value)),
            "start_date" | "end_date" => {
                let Some(at) = parse_date(&value) else {
                    return bad_request(
                        format,
                        &format!(
                            "{name} : date ISO 8601 avec fuseau attendue (2026-11-02T09:00:00+01:00)."
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
async fn one_request(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((id, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
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
                .iter()
                .map(request_node)
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

/// `GET tokens/{token}`: requests are created at once, so a token is the request's id.
async fn token(State(state): State<AppState>, Path(file): Path<String>) -> Response {
    let Some((token, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    let found = state
        .complaints
        .clone()
        .list_requests(pb::ListRequestsRequest {
            ids: vec![token.to_owned()],
            ..Default::default()
        })
        .await;
    match found {
        Ok(found) => {
            let items: Vec<Node> = found
                .into_inner()
                .complaints
                .into_iter()
                .map(|c| {
                    Node::Object(vec![
                        ("service_request_id", Node::text(c.id.clone())),
                        ("token", Node::text(c.id)),
                    ])
                })
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
/// `first_name`, `last_name`, `phone`. `media_url` is not fetched (the gateway does not
/// download what a client points it at); `attribute[…]` is ignored (our attributes
/// only inform).
async fn post_requests(
    State(state): State<AppState>,
    Path(file): Path<String>,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Response {
    let Some((stem, format)) = Format::split(&file) else {
        return not_found(Format::Xml);
    };
    if stem != "requests" {
        return error(
            format,
            StatusCode::METHOD_NOT_ALLOWED,
            &["Seules les demandes se déposent.".to_owned()],
        );
    }
    let Ok(Form(fields)) = form else {
        return bad_request(format, "Corps attendu : application/x-www-form-urlencoded.");
    };
    let refused = unservable(format, &fields);
    let mut api_key = String::new();
    let mut complaint = FileComplaintRequest::default();
    let mut location = pb::Location::default();
    let mut contact = pb::Contact::default();
    let (mut first, mut last) = (String::new(), String::new());
    for (name, value) in fields {
        match name.as_str() {
            "api_key" => api_key = value,
            "jurisdiction_id" if !value.is_empty() && value != JURISDICTION => {
                return not_found(format);
            }
            "service_code" => complaint.category = value,
            "description" => complaint.description = value,
            "address_string" => location.address = value,
            "lat" | "long" => {
                let Ok(degrees) = value.trim().parse::<f64>() else {
                    return bad_request(format, &format!("{name} : nombre décimal attendu."));
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
    if complaint.category.trim().is_empty() {
        return bad_request(format, "service_code : paramètre requis.");
    }
    if let Some(refused) = refused {
        return refused;
    }
    contact.name = format!("{} {}", first.trim(), last.trim())
        .trim()
        .to_owned();
    complaint.location = Some(location);
    complaint.contact = Some(contact);
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
