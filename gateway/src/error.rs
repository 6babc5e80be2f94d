//! The gateway's one error type. Every failure leaves as an RFC 9457
//! `application/problem+json` document with a stable `code`, a French `detail` for
//! people and, for validation errors, the path of each field at fault. Internal causes
//! are logged once and never sent.

use std::fmt;

use axum::{
    Json,
    extract::{FromRequest, FromRequestParts, Query, Request},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use guichet_kit::{
    contract::IDEMPOTENCY_KEY_REUSED,
    grpc::violations,
    validate::{first_non_xml_char, is_xml_char, non_xml_char_message},
};
use http::request::Parts;
use serde::{
    Serialize,
    de::{self, DeserializeOwned, DeserializeSeed, MapAccess, SeqAccess, Visitor},
};
use tonic::Code;
use tonic_types::StatusExt as _;
use utoipa::ToSchema;

/// `Retry-After` when a service throttles without saying for how long.
const DEFAULT_RETRY_AFTER: u64 = 60;

/// Seconds a client waits before retrying a call a service could not answer: services
/// restart and reconnect within seconds.
const UNAVAILABLE_RETRY_AFTER: u64 = 5;

/// A problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// `urn:guichet:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    /// Stable machine-readable code (`validation_failed`, `demand_not_found`…).
    pub code: String,
    /// What happened, in French, for the person using the application.
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// This answer's request, `urn:uuid:<X-Request-Id>`: what to quote to support.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
}

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FieldError {
    /// Path of the field in the request (`location.latitude`).
    pub field: String,
    pub detail: String,
}

#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    detail: String,
    errors: Vec<FieldError>,
    retry_after: Option<u64>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, detail: impl Into<String>) -> Self {
        Self {
            status,
            code,
            detail: detail.into(),
            errors: Vec::new(),
            retry_after: None,
        }
    }

    /// 400 for one bad field the gateway itself can judge.
    pub fn bad_field(code: &'static str, field: &str, detail: &str) -> Self {
        let mut error = Self::new(StatusCode::BAD_REQUEST, code, detail);
        error.errors.push(FieldError {
            field: field.to_owned(),
            detail: detail.to_owned(),
        });
        error
    }

    /// 401: no usable credentials. Answers carry `WWW-Authenticate: Bearer`.
    pub fn unauthenticated(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthenticated", detail)
    }

    /// 403: the caller is known but may not do this.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", detail)
    }

    pub fn too_many_requests(retry_after: u64) -> Self {
        let wait = match retry_after {
            0..=1 => "une seconde".to_owned(),
            2..=59 => format!("{retry_after} secondes"),
            60..=119 => "une minute".to_owned(),
            _ => format!("{} minutes", retry_after.div_ceil(60)),
        };
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("Trop de demandes en peu de temps. Réessayez dans {wait}."),
        );
        error.retry_after = Some(retry_after);
        error
    }

    /// Translates a service's status; `not_found_code` names what was not found.
    ///
    /// Services word their refusals in French for people (validation, conflicts,
    /// failed logins, throttling), so their message becomes the `detail` where one is
    /// given; "not found" keeps a fixed sentence per code, so it never tells apart
    /// what does not exist from what belongs to someone else.
    pub fn from_status(status: tonic::Status, not_found_code: &'static str) -> Self {
        let message = status.message().trim().to_owned();
        let or = |default: &str| {
            if message.is_empty() {
                default.to_owned()
            } else {
                message.clone()
            }
        };
        match status.code() {
            Code::InvalidArgument => {
                // A reason clients must tell apart keeps its own stable code.
                let code = match guichet_kit::grpc::reason(&status).as_deref() {
                    Some(IDEMPOTENCY_KEY_REUSED) => IDEMPOTENCY_KEY_REUSED,
                    _ => "validation_failed",
                };
                let mut error = Self::new(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    code,
                    or("La demande contient des erreurs."),
                );
                error.errors = violations(&status)
                    .into_iter()
                    .map(|v| FieldError {
                        field: v.field,
                        detail: v.description,
                    })
                    .collect();
                error
            }
            Code::NotFound => Self::not_found(not_found_code),
            Code::AlreadyExists | Code::FailedPrecondition | Code::Aborted => Self::new(
                StatusCode::CONFLICT,
                "conflict",
                or("Cette opération entre en conflit avec l'état actuel."),
            ),
            Code::PermissionDenied => {
                Self::forbidden(or("Vous n'avez pas accès à cette ressource."))
            }
            Code::Unauthenticated => Self::unauthenticated(or("Veuillez vous identifier.")),
            Code::ResourceExhausted => {
                // The service may say how long to wait (google.rpc.RetryInfo).
                let retry_after = status
                    .get_details_retry_info()
                    .and_then(|info| info.retry_delay)
                    .map_or(DEFAULT_RETRY_AFTER, |delay| {
                        delay.as_secs() + u64::from(delay.subsec_nanos() > 0)
                    })
                    .max(1);
                let mut error = Self::too_many_requests(retry_after);
                if !message.is_empty() {
                    error.detail = message;
                }
                error
            }
            Code::Unavailable | Code::DeadlineExceeded | Code::Cancelled => {
                tracing::warn!(%status, "a service is unavailable");
                Self::unavailable()
            }
            // A service's own failure always says `kit::grpc::INTERNAL`; anything else
            // unknown or internal is the connection dropping under the call (a service
            // killed or restarting): worth a retry, not an error of ours.
            Code::Unknown | Code::Internal if message != guichet_kit::grpc::INTERNAL => {
                tracing::warn!(%status, "a call to a service broke off");
                Self::unavailable()
            }
            _ => {
                tracing::error!(%status, "a service failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "Une erreur inattendue est survenue. Réessayez plus tard.",
                )
            }
        }
    }

    /// 404 with the fixed sentence of `code` (`agent_not_found`…).
    pub fn not_found(code: &'static str) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, not_found_detail(code))
    }

    /// 504 with `Retry-After`: the request outlived the gateway's limit.
    pub fn gateway_timeout() -> Self {
        let mut error = Self::new(
            StatusCode::GATEWAY_TIMEOUT,
            "gateway_timeout",
            "Le service met trop de temps à répondre. Réessayez dans quelques instants.",
        );
        error.retry_after = Some(UNAVAILABLE_RETRY_AFTER);
        error
    }

    /// 503 with `Retry-After`, so clients (and their `Idempotency-Key`) retry.
    pub fn unavailable() -> Self {
        let mut error = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "service_unavailable",
            "Le service est momentanément indisponible. Réessayez dans quelques instants.",
        );
        error.retry_after = Some(UNAVAILABLE_RETRY_AFTER);
        error
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let problem = Problem {
            kind: format!("urn:guichet:problem:{}", self.code),
            title: self.status.canonical_reason().unwrap_or("Error").to_owned(),
            status: self.status.as_u16(),
            code: self.code.to_owned(),
            detail: self.detail,
            errors: self.errors,
            instance: crate::request_id::instance(),
        };
        let mut response = (self.status, Json(problem)).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            // RFC 9110 §15.5.2: a 401 names the scheme that would work.
            headers.insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"guichet\""),
            );
        }
        response
    }
}

/// The sentence shown for each "not found" code.
fn not_found_detail(code: &str) -> &'static str {
    match code {
        "demand_not_found" => "Aucune demande ne correspond à ce numéro.",
        "account_not_found" => "Aucun compte ne correspond.",
        "agent_not_found" => "Aucun agent ne correspond à cet identifiant.",
        "department_not_found" => "Aucun service municipal ne correspond à ce code.",
        "device_not_found" => "Aucun appareil ne correspond à cet identifiant.",
        "teleservice_not_found" => "Cette démarche n'existe pas ou ne vous est pas proposée.",
        "draft_not_found" => "Ce brouillon n'existe pas ou n'est pas le vôtre.",
        "attachment_not_found" => "Ce fichier n'existe pas.",
        "contact_point_not_found" => "Aucun lieu d'accueil ne correspond à ce code.",
        "link_not_found" => "Ce lien n'est pas ou plus valide : demandez-en un nouveau.",
        _ => "Cette ressource n'existe pas.",
    }
}

/// JSON body extractor whose failures are problems naming the field at fault.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                let mime = v.split(';').next().unwrap_or_default().trim();
                mime == "application/json" || mime.ends_with("+json")
            });
        if !is_json {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Le corps de la requête doit être du JSON (Content-Type: application/json).",
            ));
        }
        let bytes = axum::body::Bytes::from_request(request, state)
            .await
            .map_err(unreadable_body)?;
        // Every body of the API is an object; serde would also fill a struct from an
        // array of its fields in order, which the document does not allow.
        if bytes.trim_ascii_start().first() != Some(&b'{') {
            return Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "Le corps de la requête doit être un objet JSON ({ … }).",
            ));
        }
        let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(&mut deserializer) {
            Ok(value) => {
                refuse_unservable_text(&bytes)?;
                Ok(Self(value))
            }
            Err(error) if error.inner().is_data() => {
                let field = error.path().to_string();
                Err(ApiError::bad_field(
                    "invalid_json",
                    &field,
                    &format!("Valeur invalide pour le champ « {field} »."),
                ))
            }
            Err(_) => Err(ApiError::new(
                StatusCode::BAD_REQUEST,
                "invalid_json",
                "Le corps de la requête n'est pas un JSON valide.",
            )),
        }
    }
}

/// A body that could not be read: `413` past the route's limit, `400` otherwise.
pub fn unreadable_body(rejection: axum::extract::rejection::BytesRejection) -> ApiError {
    if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "La requête dépasse la taille maximale acceptée.",
        )
    } else {
        ApiError::new(
            StatusCode::BAD_REQUEST,
            "invalid_body",
            "Le corps de la requête est illisible.",
        )
    }
}

/// The 422 for a text holding a character XML 1.0 forbids, naming where it is.
fn invalid_character(field: &str, c: char) -> ApiError {
    let detail = non_xml_char_message(c);
    let mut error = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_character",
        format!(
            "Le champ « {field} » contient un caractère non autorisé (U+{:04X}).",
            u32::from(c)
        ),
    );
    error.errors.push(FieldError {
        field: field.to_owned(),
        detail,
    });
    error
}

/// Refuses a JSON document any of whose texts, values or object keys, holds a character
/// XML 1.0 forbids (NUL and the other C0 controls but tab and line breaks, U+FFFE,
/// U+FFFF): what the platform accepts must be servable in every output, Open311 XML and
/// the Atom feed included. One streaming pass over the bytes, no tree built.
fn refuse_unservable_text(bytes: &[u8]) -> Result<(), ApiError> {
    let mut walk = Walk::default();
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    // The document already parsed: the walk fails only where it stops at what it found.
    let _stopped = Scan(&mut walk).deserialize(&mut deserializer);
    match walk.found {
        Some((field, c)) => Err(invalid_character(&field, c)),
        None => Ok(()),
    }
}

/// A step of the path to a value in a JSON document.
#[derive(Debug)]
enum Step {
    Key(String),
    Index(usize),
}

/// Where the walk is, and the first forbidden character it met with its field path.
#[derive(Debug, Default)]
struct Walk {
    steps: Vec<Step>,
    found: Option<(String, char)>,
}

impl Walk {
    /// The path as `serde_path_to_error` writes it (`photos[0].filename`), `.` for the
    /// document itself.
    fn path(&self) -> String {
        let mut path = String::new();
        for step in &self.steps {
            match step {
                Step::Key(key) => {
                    if !path.is_empty() {
                        path.push('.');
                    }
                    path.push_str(key);
                }
                Step::Index(index) => path.push_str(&format!("[{index}]")),
            }
        }
        if path.is_empty() {
            ".".to_owned()
        } else {
            path
        }
    }

    /// Records `c` found at the current path and stops the walk.
    fn stop<E: de::Error>(&mut self, c: char) -> E {
        self.found = Some((self.path(), c));
        E::custom("forbidden character")
    }
}

/// Visits every value of a document, checking each text.
struct Scan<'w>(&'w mut Walk);

impl<'de> DeserializeSeed<'de> for Scan<'_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Scan<'_> {
    type Value = ();

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("a JSON value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<(), E> {
        match first_non_xml_char(text) {
            Some(c) => Err(self.0.stop(c)),
            None => Ok(()),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        for index in 0.. {
            self.0.steps.push(Step::Index(index));
            let item = seq.next_element_seed(Scan(&mut *self.0))?;
            self.0.steps.pop();
            if item.is_none() {
                break;
            }
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(key) = map.next_key::<String>()? {
            if let Some(c) = first_non_xml_char(&key) {
                // Named with the character shown as U+FFFD, so the answer is servable too.
                self.0.steps.push(Step::Key(shown(&key)));
                return Err(self.0.stop(c));
            }
            self.0.steps.push(Step::Key(key));
            map.next_value_seed(Scan(&mut *self.0))?;
            self.0.steps.pop();
        }
        Ok(())
    }
}

/// A name holding a forbidden character, that character shown as U+FFFD, so the problem
/// naming it can be served too.
fn shown(name: &str) -> String {
    name.replace(|c: char| !is_xml_char(c), "\u{FFFD}")
}

/// Query-string extractor whose failures are problems (`400 invalid_query`; `422
/// invalid_character` for a parameter holding a character XML 1.0 forbids, as in bodies).
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S, T> FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        if let Ok(Query(pairs)) = Query::<Vec<(String, String)>>::try_from_uri(&parts.uri) {
            for (name, value) in &pairs {
                if let Some(c) = first_non_xml_char(name).or_else(|| first_non_xml_char(value)) {
                    return Err(invalid_character(&shown(name), c));
                }
            }
        }
        Query::try_from_uri(&parts.uri)
            .map(|Query(value)| Self(value))
            .map_err(|_| {
                ApiError::new(
                    StatusCode::BAD_REQUEST,
                    "invalid_query",
                    "Les paramètres de l'adresse sont invalides.",
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(json: &str) -> Option<(String, char)> {
        let mut walk = Walk::default();
        let mut deserializer = serde_json::Deserializer::from_str(json);
        let _stopped = Scan(&mut walk).deserialize(&mut deserializer);
        walk.found
    }

    #[test]
    fn the_walk_names_the_first_text_holding_a_forbidden_character() {
        assert_eq!(
            found(r#"{"location": {"address": "Cours\uFFFF"}}"#),
            Some(("location.address".to_owned(), '\u{FFFF}'))
        );
        assert_eq!(
            found(r#"{"photos": [{"filename": "a.png"}, {"filename": "b\u0000.png"}]}"#),
            Some(("photos[1].filename".to_owned(), '\u{0}'))
        );
        assert_eq!(
            found("{\"data\": {\"nom\": \"Durand\u{FFFE}\"}}"),
            Some(("data.nom".to_owned(), '\u{FFFE}'))
        );
        assert_eq!(
            found(r#"{"contact": {"note\u001b": 1}}"#),
            Some(("contact.note\u{FFFD}".to_owned(), '\u{1B}'))
        );
        assert_eq!(found(r#""\u0007""#), Some((".".to_owned(), '\u{7}')));
        assert_eq!(
            found(r#"[[1, "x"], {"a": [null, true, 2.5, "\u0001"]}]"#),
            Some(("[1].a[3]".to_owned(), '\u{1}'))
        );
    }

    #[test]
    fn tabs_line_breaks_escapes_and_any_other_character_pass() {
        assert_eq!(
            found(
                r#"{"description": "Trou\t<profond> & \"large\"\r\n🚧 é \u00e9 \ud83d\udea7", "n": [1, -2, 3.5, null, false], "vide": {}}"#
            ),
            None
        );
    }

    #[test]
    fn a_refusal_is_a_422_naming_the_field_in_french() {
        let error = invalid_character("location.address", '\u{FFFF}');
        assert_eq!(error.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(error.code, "invalid_character");
        assert!(error.detail.contains("« location.address »"));
        assert_eq!(error.errors[0].field, "location.address");
        assert!(error.errors[0].detail.contains("U+FFFF"));
    }
}
