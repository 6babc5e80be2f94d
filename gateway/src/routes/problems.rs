//! The problems the API answers, documented in one place: every status a problem may
//! carry, with its `code`s, as a reusable response of the OpenAPI document, and the rules
//! that give each operation the ones it can return from what it takes — a body, a query,
//! a path, a token, a limit — on top of those its own annotation lists (`404` with the
//! code of what was not found, `409`…).

use http::Method;
use utoipa::openapi::{
    ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder,
    header::HeaderBuilder,
    path::{Operation, ParameterIn},
    schema::{
        AdditionalProperties, ArrayItems, KnownFormat, ObjectBuilder, Schema, SchemaFormat, Type,
    },
};

/// Every status a problem may carry: the name of its response in
/// `#/components/responses`, and what it means, with the `code`s it comes with.
const STATUSES: &[(u16, &str, &str)] = &[
    (
        400,
        "BadRequest",
        "The request is malformed. Codes: `invalid_json` (not JSON, or a field of the wrong \
         type: `errors` names it), `invalid_body` (unreadable body), `invalid_multipart`, \
         `invalid_base64`, `invalid_query` (a query parameter of the wrong type), \
         `invalid_tracking_number` (not a tracking number: a symbol was mistyped), \
         `invalid_idempotency_key`, `invalid_last_event_id`.",
    ),
    (
        401,
        "Unauthorized",
        "No usable credentials: `unauthenticated` (no token where one is required, a \
         malformed `Authorization` header, an expired or refused token, wrong login or \
         password), `franceconnect_cancelled`. Comes with `WWW-Authenticate: Bearer`.",
    ),
    (
        403,
        "Forbidden",
        "The caller is known but may not do this: `forbidden` (another role's area, a \
         channel the operation is not offered on), `franceconnect_browser_mismatch`, \
         `origin_not_allowed` (a preflight from a site not in `http.cors_origins`). A \
         method a route does not serve is `405` `method_not_allowed`, with `Allow`.",
    ),
    (
        404,
        "NotFound",
        "Nothing of that name, or nothing the caller may see (the two are never told \
         apart): `demand_not_found`, `complaint_not_found`, `draft_not_found`, \
         `teleservice_not_found`, `attachment_not_found`, `account_not_found`, \
         `agent_not_found`, `department_not_found`, `device_not_found`, `theme_not_found`, \
         `link_not_found`, `rating_not_found`, `session_not_found`, `contact_point_not_found`, `announcement_not_found`, `not_found`.",
    ),
    (
        408,
        "RequestTimeout",
        "`request_timeout`: a file stopped arriving for 30 seconds. Send it again.",
    ),
    (
        409,
        "Conflict",
        "The request conflicts with the current state: `conflict` (the detail says why), \
         `not_rateable_yet`.",
    ),
    (
        413,
        "PayloadTooLarge",
        "`payload_too_large`: the body, or one of its files, passes the route's limit.",
    ),
    (
        415,
        "UnsupportedMediaType",
        "`unsupported_media_type`: the body is not of a type the route reads (JSON, or \
         `multipart/form-data` where files are taken).",
    ),
    (
        422,
        "UnprocessableEntity",
        "The request is well formed but refused; `errors` names each field at fault. \
         Codes: `validation_failed`, `invalid_character` (a text holds a character that \
         cannot be stored or served: NUL and the other control characters but tab and line \
         breaks, U+FFFE, U+FFFF), `idempotency_key_reused`.",
    ),
    (
        429,
        "TooManyRequests",
        "`too_many_requests`: a limit against abuse was reached. Retry after \
         `Retry-After` seconds.",
    ),
    (
        503,
        "ServiceUnavailable",
        "`service_unavailable`: a service is restarting or too busy (uploads wait their \
         turn). Retry after `Retry-After` seconds, with the same `Idempotency-Key`.",
    ),
    (
        504,
        "GatewayTimeout",
        "`gateway_timeout`: a service took too long to answer. Retry after `Retry-After` \
         seconds, with the same `Idempotency-Key`.",
    ),
];

/// Adds the problem responses and the tracking-number schema to the components, then to
/// each operation the statuses it can answer.
pub(super) fn document(openapi: &mut OpenApi) {
    let components = openapi.components.get_or_insert_with(Default::default);
    for (status, name, description) in STATUSES {
        components
            .responses
            .insert((*name).to_owned(), RefOr::T(response(*status, description)));
    }
    components.schemas.insert(
        TRACKING_NUMBER.to_owned(),
        ObjectBuilder::new()
            .schema_type(Type::String)
            .pattern(Some(TRACKING_NUMBER_PATTERN))
            .description(Some(
                "A tracking number as given at filing (`CK7Q-M2XH-D9WP-AR`): 14 Crockford \
                 base32 symbols, the first naming the service, the last a check symbol. \
                 Case, dashes and spaces are ignored; O reads as 0, I and L as 1.",
            ))
            .examples(["CK7Q-M2XH-D9WP-AR"])
            .into(),
    );
    for schema in components.schemas.values_mut() {
        bound_integers(schema);
    }
    for (path, item) in &mut openapi.paths.paths {
        let operations = [
            (Method::GET, &mut item.get),
            (Method::PUT, &mut item.put),
            (Method::POST, &mut item.post),
            (Method::DELETE, &mut item.delete),
            (Method::PATCH, &mut item.patch),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation {
                complete(path, &method, operation);
            }
        }
    }
}

/// The name of the tracking-number schema, which every `tracking_number` path parameter
/// refers to.
const TRACKING_NUMBER: &str = "TrackingNumber";

/// What may be typed as a tracking number: 14 symbols, dashes or spaces anywhere.
const TRACKING_NUMBER_PATTERN: &str = "^[ -]*([0-9A-Za-z][ -]*){14}$";

fn response(status: u16, description: &str) -> utoipa::openapi::Response {
    let mut builder = ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    );
    if matches!(status, 429 | 503 | 504) {
        builder = builder.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds to wait before retrying"))
                .build(),
        );
    }
    if status == 401 {
        builder = builder.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some("`Bearer realm=\"guichet\"`"))
                .build(),
        );
    }
    builder.build()
}

/// The statuses `operation`, served at `path`, can answer, from what it takes.
fn statuses(path: &str, method: &Method, operation: &Operation) -> Vec<u16> {
    let parameters = operation.parameters.as_deref().unwrap_or_default();
    let takes = |place: ParameterIn| parameters.iter().any(|p| p.parameter_in == place);
    let mut statuses = vec![503];
    // A stream has no deadline (`super::deadline`), hence no `504`.
    if !super::STREAMS.contains(&path) {
        statuses.push(504);
    }
    if let Some(body) = &operation.request_body {
        statuses.extend([400, 413, 415, 422]);
        if body.content.contains_key("multipart/form-data") {
            statuses.push(408);
        }
    }
    if takes(ParameterIn::Query) {
        statuses.extend([400, 422]);
    }
    if takes(ParameterIn::Header) {
        statuses.push(400);
    }
    if takes(ParameterIn::Path) {
        statuses.push(404);
    }
    if path.contains("{tracking_number}") {
        statuses.push(400);
    }
    if operation.security.is_some() {
        statuses.extend([401, 403]);
    }
    if crate::limits::limited(method, path) {
        statuses.push(429);
    }
    statuses.sort_unstable();
    statuses.dedup();
    statuses
}

/// Adds to `operation` the problem responses it lacks, replaces the problems its
/// annotation lists without a word of its own by the shared ones (which list the
/// codes), and gives its `tracking_number` parameter the tracking-number schema.
fn complete(path: &str, method: &Method, operation: &mut Operation) {
    for (status, response) in &mut operation.responses.responses {
        let shared = STATUSES.iter().find(|(s, _, _)| s.to_string() == *status);
        if let (Some((_, name, _)), RefOr::T(given)) = (shared, &*response)
            && given.description.is_empty()
        {
            *response = RefOr::Ref(Ref::from_response_name(*name));
        }
    }
    for status in statuses(path, method, operation) {
        let Some((_, name, _)) = STATUSES.iter().find(|(s, _, _)| *s == status) else {
            continue;
        };
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(*name)));
    }
    // Every creation says where what it created is read (`dto::Created`).
    if let Some(RefOr::T(created)) = operation.responses.responses.get_mut("201") {
        created
            .headers
            .entry("Location".to_owned())
            .or_insert_with(|| {
                HeaderBuilder::new()
                    .schema(ObjectBuilder::new().schema_type(Type::String))
                    .description(Some("Where what was created is read or acted on"))
                    .build()
            });
    }
    // Every list taking a cursor says where its next page is (`page::Page`).
    let paged = operation
        .parameters
        .iter()
        .flatten()
        .any(|p| p.name == "cursor" && p.parameter_in == ParameterIn::Query);
    if let Some(RefOr::T(page)) = operation.responses.responses.get_mut("200")
        && paged
    {
        page.headers.entry("Link".to_owned()).or_insert_with(|| {
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::String))
                .description(Some(
                    "`<…&cursor=…>; rel=\"next\"`: the next page, while more may follow",
                ))
                .build()
        });
    }
    for parameter in operation.parameters.iter_mut().flatten() {
        if parameter.name == "tracking_number" {
            parameter.schema = Some(RefOr::Ref(Ref::from_schema_name(TRACKING_NUMBER)));
        }
        if let Some(schema) = &mut parameter.schema {
            bound_integers(schema);
        }
    }
    let bodies = operation
        .request_body
        .iter_mut()
        .flat_map(|b| b.content.values_mut());
    for content in bodies {
        if let Some(schema) = &mut content.schema {
            bound_integers(schema);
        }
    }
}

/// Gives every unsigned integer its type's largest value as `maximum`, so the document
/// says exactly which numbers are read (a larger one is refused with `400`), down to
/// nested properties and items.
fn bound_integers(schema: &mut RefOr<Schema>) {
    let RefOr::T(schema) = schema else {
        return;
    };
    match schema {
        Schema::Object(object) => {
            let largest = match &object.format {
                Some(SchemaFormat::KnownFormat(KnownFormat::UInt8)) => Some(u64::from(u8::MAX)),
                Some(SchemaFormat::KnownFormat(KnownFormat::UInt16)) => Some(u64::from(u16::MAX)),
                Some(SchemaFormat::KnownFormat(KnownFormat::UInt32)) => Some(u64::from(u32::MAX)),
                Some(SchemaFormat::KnownFormat(KnownFormat::UInt64)) => Some(u64::MAX),
                _ => None,
            };
            if let Some(largest) = largest {
                object.maximum = Some(largest.into());
            }
            for property in object.properties.values_mut() {
                bound_integers(property);
            }
            if let Some(AdditionalProperties::RefOr(schema)) =
                object.additional_properties.as_deref_mut()
            {
                bound_integers(schema);
            }
        }
        Schema::Array(array) => {
            if let ArrayItems::RefOrSchema(items) = &mut array.items {
                bound_integers(items);
            }
        }
        Schema::OneOf(one_of) => one_of.items.iter_mut().for_each(bound_integers),
        Schema::AllOf(all_of) => all_of.items.iter_mut().for_each(bound_integers),
        Schema::AnyOf(any_of) => any_of.items.iter_mut().for_each(bound_integers),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use std::collections::HashSet;

    use serde_json::Value;

    fn document() -> Value {
        serde_json::to_value(crate::routes::openapi()).unwrap()
    }

    fn operations(doc: &Value) -> Vec<(String, String, Value)> {
        let mut all = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                all.push((path.clone(), method.clone(), operation.clone()));
            }
        }
        all
    }

    #[test]
    fn operation_ids_are_unique() {
        let doc = document();
        let mut seen = HashSet::new();
        for (path, method, operation) in operations(&doc) {
            let id = operation["operationId"].as_str().unwrap().to_owned();
            assert!(seen.insert(id.clone()), "{method} {path}: {id} repeats");
        }
    }

    #[test]
    fn path_parameters_are_in_the_path_and_query_parameters_in_the_query() {
        let doc = document();
        for (path, method, operation) in operations(&doc) {
            for parameter in operation["parameters"].as_array().into_iter().flatten() {
                let name = parameter["name"].as_str().unwrap();
                let in_path = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    parameter["in"] == "path",
                    in_path,
                    "{method} {path}: parameter {name} is declared in {}",
                    parameter["in"]
                );
            }
        }
    }

    #[test]
    fn every_answer_but_success_is_a_problem() {
        let doc = document();
        for (path, method, operation) in operations(&doc) {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('2') || status.starts_with('3') {
                    continue;
                }
                let is_ref = response["$ref"]
                    .as_str()
                    .is_some_and(|r| r.starts_with("#/components/responses/"));
                let schema = &response["content"]["application/problem+json"]["schema"];
                assert!(
                    is_ref || schema["$ref"] == "#/components/schemas/Problem",
                    "{method} {path}: {status} is not a problem"
                );
            }
        }
    }

    #[test]
    fn every_operation_documents_the_answers_it_can_give_whatever_it_does() {
        let doc = document();
        for (path, method, operation) in operations(&doc) {
            let responses = &operation["responses"];
            assert!(responses["503"].is_object(), "{method} {path}: no 503");
            if operation["requestBody"].is_object() {
                for status in ["400", "413", "415", "422"] {
                    assert!(
                        responses[status].is_object(),
                        "{method} {path}: no {status}"
                    );
                }
            }
            if operation["security"].is_array() {
                assert!(responses["401"].is_object(), "{method} {path}: no 401");
            }
        }
        let photos = &doc["paths"]["/api/v1/demands/{tracking_number}/photos"]["post"];
        for status in ["400", "404", "408", "429"] {
            assert!(
                photos["responses"][status].is_object(),
                "photos: no {status}"
            );
        }
    }
}
