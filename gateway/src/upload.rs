//! Files residents send — photos, documents, pieces — read with bounded memory.
//!
//! Each upload route takes its file either as `multipart/form-data` (read part by part:
//! a part is refused as soon as it passes its size limit, and its type is sniffed from
//! its first bytes, so a 10 MB executable is refused after a few bytes, not after it was
//! all received) or, as before, base64 inside JSON. Either way the request first waits
//! for its share of the gateway's upload budget ([`admit`]): at most [`BUDGET_KIB`] of
//! upload bodies are read and held at once, whatever the number of uploads; the others
//! wait their turn, first come first served, and are told to retry (503) after 20 seconds.
//!
//! Files still reach the services whole, inside one gRPC message: the budget, not
//! streaming to the database, is what bounds memory.

use std::time::Duration;

use axum::{
    extract::{FromRequest, Multipart, Request, multipart::Field},
    http::{HeaderMap, HeaderValue, StatusCode, header},
};
use guichet_kit::{grpc::Violation, upload};
use serde::de::DeserializeOwned;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::error::{ApiError, ApiJson};

/// Upload bytes admitted at once, all requests together, in KiB. An admitted byte
/// costs about two in the gateway while its request runs (the bytes read, then their
/// gRPC encoding; base64 JSON: the body, then the decoded file) and about two in the
/// service that stores it (the message received, then the rows written). 32 MiB — one
/// full filing (5 photos of 5 MiB) or three 10 MiB documents at a time — keeps the
/// gateway and each service well under their 256 MiB pod limits (`k8s/base`) with 20
/// full-size uploads arriving together, and room for a second gateway replica in front
/// of the same service (see `infra/bench uploads` and `docs/operations.md`).
pub const BUDGET_KIB: usize = 32 * 1024;

/// How long a request waits for its share of the budget before it is told to retry:
/// shorter than the request deadline (`timeouts.request_seconds`, 30 s by default), so a
/// JSON upload waiting its turn gets this `503` rather than a `504`.
const ADMISSION_WAIT: Duration = Duration::from_secs(20);

/// How long a part may send nothing before the upload is abandoned.
const IDLE: Duration = Duration::from_secs(30);

/// Bytes sniffed before the rest of a part is read.
const SNIFF: usize = 512;

/// The gateway's upload budget, in KiB.
static BUDGET: Budget = Budget::new(BUDGET_KIB);

/// Upload bytes admitted at once, counted in KiB.
pub struct Budget {
    kib: Semaphore,
    total: usize,
}

/// A request's share of the budget, given back when it is dropped: keep it until the
/// file has been passed on.
#[must_use = "the share is given back when dropped"]
pub struct Admission<'a> {
    _share: SemaphorePermit<'a>,
}

impl Budget {
    pub const fn new(kib: usize) -> Self {
        Self {
            kib: Semaphore::const_new(kib),
            total: kib,
        }
    }

    /// Waits for the body's share: its declared `Content-Length`, at most `limit` (the
    /// route's body limit), or `limit` when the client declares none (chunked).
    pub async fn admit(
        &self,
        headers: &HeaderMap,
        limit: usize,
    ) -> Result<Admission<'_>, ApiError> {
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<usize>().ok())
            .map_or(limit, |n| n.min(limit));
        let kib = declared.div_ceil(1024).clamp(1, self.total);
        let kib = u32::try_from(kib).unwrap_or(u32::MAX);
        match tokio::time::timeout(ADMISSION_WAIT, self.kib.acquire_many(kib)).await {
            Ok(Ok(share)) => Ok(Admission { _share: share }),
            // Never closed; a wait this long means the gateway is saturated.
            Ok(Err(_)) | Err(_) => {
                tracing::warn!(kib, "upload budget exhausted: an upload was turned away");
                Err(ApiError::unavailable())
            }
        }
    }
}

/// Waits for the request's share of the gateway's upload budget (see [`Budget::admit`]).
pub async fn admit(headers: &HeaderMap, limit: usize) -> Result<Admission<'static>, ApiError> {
    BUDGET.admit(headers, limit).await
}

/// An upload's body: JSON as before (files in base64), or a multipart form to read
/// part by part.
pub enum Body<T> {
    Json(T),
    Form(Multipart),
}

/// The request's media type, lower case, without its parameters.
fn media_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default()
}

/// Whether the request sends a `multipart/form-data` form, read part by part.
pub fn is_form(headers: &HeaderMap) -> bool {
    media_type(headers) == "multipart/form-data"
}

impl<T: DeserializeOwned> Body<T> {
    /// Reads JSON whole, or opens a multipart form; anything else is 415.
    pub async fn read<S: Send + Sync>(request: Request, state: &S) -> Result<Self, ApiError> {
        let mime = media_type(request.headers());
        if mime == "multipart/form-data" {
            Multipart::from_request(request, state)
                .await
                .map(Body::Form)
                .map_err(|_| malformed())
        } else if mime == "application/json" || mime.ends_with("+json") {
            ApiJson::from_request(request, state)
                .await
                .map(|ApiJson(value)| Body::Json(value))
        } else {
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Envoyez le fichier en multipart/form-data, ou en JSON (base64).",
            ))
        }
    }
}

/// A file read from a form.
#[derive(Debug)]
pub struct File {
    /// As the device named it; the services make it safe.
    pub filename: String,
    pub content: Vec<u8>,
}

/// What a file part may be.
#[derive(Debug, Clone, Copy)]
pub struct Rule {
    /// Largest file, in bytes.
    pub max: usize,
    /// Types accepted, as sniffed from the first bytes; empty: any (the service judges).
    pub accepted: &'static [&'static str],
    /// What to tell the resident when the type is refused, in French.
    pub refused: &'static str,
}

/// The next part of a form, or `None` at its end.
pub async fn next_part(form: &mut Multipart) -> Result<Option<Field<'_>>, ApiError> {
    match tokio::time::timeout(IDLE, form.next_field()).await {
        Ok(Ok(field)) => Ok(field),
        Ok(Err(error)) => Err(multipart_error(&error)),
        Err(_) => Err(timed_out()),
    }
}

/// Reads the one file part named `name` of a form; other parts are skipped.
pub async fn single_file(form: &mut Multipart, name: &str, rule: Rule) -> Result<File, ApiError> {
    let mut file = None;
    while let Some(part) = next_part(form).await? {
        if part.name() == Some(name) {
            if file.is_some() {
                return Err(invalid(name, "Envoyez un seul fichier à la fois."));
            }
            file = Some(read_file(part, name, rule).await?);
        }
    }
    file.ok_or_else(|| missing(name))
}

/// Reads a file part, refusing it as soon as it passes `rule.max` (413) or once its
/// first bytes show a type `rule` does not accept (422). `path` names the field in
/// answers (`photo`, `photos[2]`).
pub async fn read_file(mut field: Field<'_>, path: &str, rule: Rule) -> Result<File, ApiError> {
    let filename = field.file_name().unwrap_or_default().to_owned();
    let mut chunks = Vec::new();
    let mut size = 0;
    let mut sniffed = rule.accepted.is_empty();
    loop {
        let chunk = match tokio::time::timeout(IDLE, field.chunk()).await {
            Ok(Ok(Some(chunk))) => chunk,
            Ok(Ok(None)) => break,
            Ok(Err(error)) => return Err(multipart_error(&error)),
            Err(_) => return Err(timed_out()),
        };
        size += chunk.len();
        if size > rule.max {
            return Err(too_large(path, rule.max));
        }
        chunks.push(chunk);
        if !sniffed && size >= SNIFF {
            check_type(&concat(&chunks, SNIFF), path, rule)?;
            sniffed = true;
        }
    }
    let content = concat(&chunks, size);
    drop(chunks);
    if !sniffed && !content.is_empty() {
        check_type(&content, path, rule)?;
    }
    Ok(File { filename, content })
}

/// Reads a JSON part of at most `max` bytes, judged as a JSON body is ([`ApiJson`]:
/// the same refusals, naming the same fields).
pub async fn read_json<T: DeserializeOwned>(
    field: Field<'_>,
    path: &str,
    max: usize,
) -> Result<T, ApiError> {
    let text = read_text(field, path, max).await?;
    let body = Request::builder()
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from(text))
        .map_err(|_| malformed())?;
    let ApiJson(value) = ApiJson::from_request(body, &()).await?;
    Ok(value)
}

/// Reads a text part of at most `max` bytes (a JSON document, a message).
pub async fn read_text(mut field: Field<'_>, path: &str, max: usize) -> Result<String, ApiError> {
    let mut text = Vec::new();
    loop {
        match tokio::time::timeout(IDLE, field.chunk()).await {
            Ok(Ok(Some(chunk))) => {
                if text.len() + chunk.len() > max {
                    return Err(too_large(path, max));
                }
                text.extend_from_slice(&chunk);
            }
            Ok(Ok(None)) => break,
            Ok(Err(error)) => return Err(multipart_error(&error)),
            Err(_) => return Err(timed_out()),
        }
    }
    let text = String::from_utf8(text)
        .map_err(|_| invalid(path, "Ce champ doit être du texte (UTF-8)."))?;
    // What is accepted must be servable everywhere, XML included (as `ApiJson` judges).
    if let Some(c) = guichet_kit::validate::first_non_xml_char(&text) {
        return Err(invalid(
            path,
            &guichet_kit::validate::non_xml_char_message(c),
        ));
    }
    Ok(text)
}

/// `Content-Disposition` for a stored file served back (`attachment` or `inline`), its
/// name readable whatever its characters (RFC 6266): `filename` in quotes for old
/// clients, every character it cannot carry as `_`, and, when the name is not plain
/// ASCII, `filename*` in percent-encoded UTF-8, which browsers prefer: `reçu d'été.pdf`
/// is saved as `reçu d'été.pdf`, not `re_u d'_t_.pdf`.
pub fn content_disposition(disposition: &'static str, name: &str) -> HeaderValue {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut value = format!("{disposition}; filename=\"{fallback}\"");
    if fallback != name {
        value.push_str("; filename*=UTF-8''");
        for byte in name.bytes() {
            // RFC 8187 `attr-char`; everything else percent-encoded.
            if byte.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&byte) {
                value.push(char::from(byte));
            } else {
                value.push_str(&format!("%{byte:02X}"));
            }
        }
    }
    // Only visible ASCII is left: always a valid header value.
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(disposition))
}

/// The first `len` bytes of `chunks`, in one buffer of exactly that size.
fn concat(chunks: &[axum::body::Bytes], len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    for chunk in chunks {
        let room = len - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() == len {
            break;
        }
    }
    out
}

fn check_type(head: &[u8], path: &str, rule: Rule) -> Result<(), ApiError> {
    if upload::sniff_among(head, rule.accepted).is_some() {
        Ok(())
    } else {
        Err(invalid(path, rule.refused))
    }
}

/// 422 naming one field, as the services answer for the JSON path.
pub fn invalid(path: &str, detail: &str) -> ApiError {
    ApiError::from_status(
        guichet_kit::grpc::invalid_argument(detail, &[Violation::new(path, detail)]),
        "not_found",
    )
}

/// 422: a form without the file it must carry.
pub fn missing(path: &str) -> ApiError {
    invalid(path, &format!("Joignez le fichier (champ « {path} »)."))
}

/// 413 for a file sent in base64 JSON that, decoded, passes `max`, as a form part would
/// be refused: it never reaches a service (whose message limit it could pass).
pub fn check_size(content: &[u8], path: &str, max: usize) -> Result<(), ApiError> {
    if content.len() > max {
        Err(too_large(path, max))
    } else {
        Ok(())
    }
}

fn too_large(path: &str, max: usize) -> ApiError {
    ApiError::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        format!(
            "Le champ « {path} » dépasse la taille maximale de {}.",
            human(max)
        ),
    )
}

fn human(bytes: usize) -> String {
    if bytes >= 1024 * 1024 {
        format!("{} Mo", bytes / (1024 * 1024))
    } else {
        format!("{} ko", bytes.div_ceil(1024))
    }
}

fn malformed() -> ApiError {
    ApiError::new(
        StatusCode::BAD_REQUEST,
        "invalid_multipart",
        "Le formulaire multipart/form-data est illisible.",
    )
}

fn timed_out() -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_TIMEOUT,
        "request_timeout",
        "L'envoi du fichier s'est interrompu : réessayez.",
    )
}

fn multipart_error(error: &axum::extract::multipart::MultipartError) -> ApiError {
    if error.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "La requête dépasse la taille maximale acceptée.",
        )
    } else {
        malformed()
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

    use super::*;

    fn declaring(length: usize) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_LENGTH, length.into());
        headers
    }

    #[tokio::test]
    async fn uploads_past_the_budget_wait_for_the_ones_before_them() {
        let budget = Budget::new(10);
        let first = budget.admit(&declaring(8 * 1024), 1 << 20).await.unwrap();
        // 4 KiB more do not fit beside the first 8 KiB: the second upload waits.
        let four_kib = declaring(4 * 1024);
        let second = budget.admit(&four_kib, 1 << 20);
        tokio::pin!(second);
        let waited = tokio::time::timeout(Duration::from_millis(50), &mut second).await;
        assert!(waited.is_err(), "admitted past the budget");
        drop(first);
        let second = tokio::time::timeout(Duration::from_secs(1), second).await;
        assert!(
            matches!(second, Ok(Ok(_))),
            "not admitted once room was made"
        );
    }

    #[tokio::test]
    async fn a_body_without_length_counts_as_its_route_limit_and_never_more_than_the_budget() {
        let budget = Budget::new(16);
        // No Content-Length (chunked): the route's limit, 16 KiB, takes it all.
        let all = budget.admit(&HeaderMap::new(), 16 * 1024).await.unwrap();
        assert_eq!(budget.kib.available_permits(), 0);
        drop(all);
        // A declared length above the route's limit counts as the limit; a limit above
        // the whole budget as the budget, so it is admitted once alone.
        let capped = budget.admit(&declaring(1 << 30), 1 << 30).await.unwrap();
        assert_eq!(budget.kib.available_permits(), 0);
        drop(capped);
        assert_eq!(budget.kib.available_permits(), 16);
    }

    #[tokio::test]
    async fn every_upload_route_waits_for_its_share_of_the_budget_before_reading() {
        use std::net::SocketAddr;

        use axum::{body::Body, extract::connect_info::MockConnectInfo};
        use guichet_kit::{Owner, tracking::TrackingNumber};
        use tower::ServiceExt as _;

        // No service listens there: a request that is not held answers 503 at once.
        const NOWHERE: &str = "http://127.0.0.1:9";
        let settings = crate::Settings {
            services: crate::ServiceUrls {
                identity: NOWHERE.to_owned(),
                teleservices: NOWHERE.to_owned(),
                complaints: NOWHERE.to_owned(),
                rapo: NOWHERE.to_owned(),
                notifications: NOWHERE.to_owned(),
            },
            ..crate::Settings::default()
        };
        let app = crate::router(&settings)
            .unwrap()
            .layer(MockConnectInfo(SocketAddr::from(([192, 0, 2, 7], 40_000))));
        let complaint = TrackingNumber::generate(Owner::Complaints);
        let demand = TrackingNumber::generate(Owner::Teleservices);
        for path in [
            "/api/v1/complaints".to_owned(),
            format!("/api/v1/demands/{complaint}/photos"),
            "/api/v1/drafts/0190f3a2-0000-7000-8000-000000000000/attachments".to_owned(),
            format!("/api/v1/demands/{demand}/attachments"),
            "/api/v1/rapo/disputes".to_owned(),
        ] {
            // The gateway's whole budget is taken: the upload must wait for it.
            let all = admit(&HeaderMap::new(), BUDGET_KIB * 1024).await.unwrap();
            let request = Request::post(&path)
                .header(header::CONTENT_TYPE, "application/json")
                .header(header::CONTENT_LENGTH, 2)
                .body(Body::from("{}"))
                .unwrap();
            let answer = tokio::spawn(app.clone().oneshot(request));
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert!(!answer.is_finished(), "{path} was read past the budget");
            drop(all);
            let answer = tokio::time::timeout(Duration::from_secs(10), answer).await;
            assert!(
                matches!(answer, Ok(Ok(Ok(_)))),
                "{path} was not answered once admitted"
            );
        }
    }

    #[test]
    fn a_name_with_accents_is_served_back_readable() {
        assert_eq!(
            content_disposition("attachment", "reçu d'été \"2026\".pdf"),
            "attachment; filename=\"re_u d'_t_ _2026_.pdf\"; \
             filename*=UTF-8''re%C3%A7u%20d%27%C3%A9t%C3%A9%20%222026%22.pdf"
        );
        // A plain name is given once.
        assert_eq!(
            content_disposition("inline", "R-2026-ABCD.txt"),
            "inline; filename=\"R-2026-ABCD.txt\""
        );
    }
}
