//! Complaints: the catalogue of categories, filing with photos from every channel
//! (desk and phone agents on a resident's behalf), the public map, duplicates and "me
//! too" followers, photos added later, and the agents' and administrators' handling
//! (reassignment, merges, overdue list, desk search, categories, Open311 keys).

use axum::{
    Json,
    body::Bytes,
    extract::{DefaultBodyLimit, Multipart, Path, Request, State},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header},
    response::{IntoResponse, Response},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use guichet_kit::{
    Owner, TrackingNumber,
    grpc::{datetime, timestamp},
};
use guichet_proto::{
    complaints::v1::{self as pb, FileComplaintRequest, ListCategoriesRequest},
    demand::v1::{Channel, SearchDemandsRequest},
    identity::v1::FindResidentsRequest,
    names,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};

use super::demands::{from_every_silo, number_of};
use super::dto::{Category, Created, Demand, NewComplaint, PhotoUpload};
use crate::{
    auth::{Admin, Agent, Bearer},
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::{self, Cursor, Page},
    state::AppState,
    upload,
};

/// Filing carries up to 5 photos of 5 MiB, base64 in JSON (or as a form, smaller).
const FILING_BODY: usize = 36 * 1024 * 1024;
/// One photo of 5 MiB, base64 in JSON (or as a form, smaller).
const PHOTO_BODY: usize = 8 * 1024 * 1024;

/// The complaint routes, with the larger body limits of the two that carry photos.
pub fn routes() -> OpenApiRouter<AppState> {
    let filing = OpenApiRouter::new()
        .routes(routes!(file_complaint))
        .layer(DefaultBodyLimit::max(FILING_BODY));
    let photo = OpenApiRouter::new()
        .routes(routes!(add_photo, list_photos))
        .layer(DefaultBodyLimit::max(PHOTO_BODY));
    OpenApiRouter::new()
        .routes(routes!(list_categories))
        .routes(routes!(nearby))
        .routes(routes!(duplicates))
        .routes(routes!(public_complaint))
        .routes(routes!(follow))
        .routes(routes!(photo_content))
        .routes(routes!(reassign))
        .routes(routes!(merge))
        .routes(routes!(overdue))
        .routes(routes!(search))
        .routes(routes!(admin_categories))
        .routes(routes!(upsert_category))
        .routes(routes!(list_open311_keys, issue_open311_key))
        .routes(routes!(get_open311_key, revoke_open311_key))
        .merge(filing)
        .merge(photo)
}

/// Longest `Idempotency-Key` accepted; UUIDs and ULIDs fit with room to spare.
const MAX_IDEMPOTENCY_KEY: usize = 255;

/// Complaint categories, in the order residents see them.
#[utoipa::path(
    get,
    path = "/api/v1/complaints/categories",
    tag = "complaints",
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Vec<Category>, headers(("ETag" = String))),
        (status = 304, description = "Unchanged since the `ETag` sent in `If-None-Match`."),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_categories(
    bearer: Bearer,
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let categories = state
        .complaints
        .clone()
        .list_categories(bearer.request(ListCategoriesRequest {
            include_inactive: false,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .categories;
    let categories: Vec<Category> = categories.into_iter().map(Category::from).collect();
    Ok(crate::cache::tagged(&headers, &categories))
}

/// A filed complaint, with what the resident may do instead.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiledComplaint {
    #[serde(flatten)]
    pub demand: Demand,
    /// Open complaints of the same category close by (50 m): offer the resident to follow
    /// one of them ("me too", `POST /api/v1/complaints/{id}/followers`).
    pub duplicates: Vec<PublicComplaint>,
    pub photos: Vec<PhotoInfo>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotoInfo {
    pub id: String,
    /// Sniffed from the bytes: `image/jpeg`, `image/png`, `image/webp`, `image/heif`.
    pub mime_type: String,
    pub size: u64,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub added_at: Option<DateTime<Utc>>,
    /// Channel it was added from.
    pub channel: String,
}

impl From<pb::PhotoInfo> for PhotoInfo {
    fn from(p: pb::PhotoInfo) -> Self {
        Self {
            channel: names::channel(p.channel()),
            added_at: p.added_at.as_ref().and_then(datetime),
            id: p.id,
            mime_type: p.mime_type,
            size: p.size,
            sha256: p.sha256,
        }
    }
}

/// What anyone may know of a complaint: no description, no person, no tracking number.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicComplaint {
    /// Public reference (also the Open311 `service_request_id`); not a tracking number.
    pub id: String,
    pub category: String,
    pub category_label: String,
    pub department: String,
    /// Shared status (`submitted` … `closed`).
    pub status: String,
    /// FixMyStreet sub-status: `investigating`, `planned`, `in_progress`, `fixed`,
    /// `not_responsible`, `duplicate`, `unable_to_fix`.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sub_status: String,
    /// FixMyStreet state: `open`, `fixed` or `closed`.
    pub state: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
    /// Metres from the point asked about (map, duplicates).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
    /// How many residents said "me too".
    pub followers: u32,
    /// The last reason an agent gave.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub status_notes: String,
    /// Status changes, oldest first (one complaint's view only).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub history: Vec<PublicEntry>,
    /// Set when merged as a duplicate: the public id of the complaint kept.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub merged_into: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PublicEntry {
    pub at: Option<DateTime<Utc>>,
    pub status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sub_status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub text: String,
}

impl PublicComplaint {
    fn from_pb(c: pb::PublicComplaint, with_distance: bool) -> Self {
        Self {
            status: names::status(c.status()),
            created_at: c.created_at.as_ref().and_then(datetime),
            updated_at: c.updated_at.as_ref().and_then(datetime),
            due_at: c.due_at.as_ref().and_then(datetime),
            distance_m: with_distance.then_some(c.distance_m),
            history: c
                .history
                .into_iter()
                .map(|h| PublicEntry {
                    status: names::status(h.status()),
                    at: h.at.as_ref().and_then(datetime),
                    sub_status: h.sub_status,
                    text: h.text,
                })
                .collect(),
            id: c.id,
            category: c.category,
            category_label: c.category_label,
            department: c.department,
            sub_status: c.sub_status,
            state: c.state,
            latitude: c.latitude,
            longitude: c.longitude,
            address: c.address,
            followers: c.followers,
            status_notes: c.status_notes,
            merged_into: c.merged_into,
        }
    }
}

/// The photos of a JSON filing, decoded; faults name `photos[i].content_base64`.
fn decode_photos(photos: Vec<PhotoUpload>) -> Result<Vec<pb::Photo>, ApiError> {
    if photos.len() > MAX_PHOTOS {
        return Err(upload::invalid("photos", "Joignez 5 photos au plus."));
    }
    photos
        .into_iter()
        .enumerate()
        .map(|(i, p)| decode_photo(p, &format!("photos[{i}].content_base64")))
        .collect()
}

/// A complaint sent as `multipart/form-data`: the complaint as JSON, and its photos as
/// files, each read with its limits enforced while it arrives.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; read part by part.
pub struct ComplaintForm {
    /// The complaint, as the JSON body of the JSON variant (64 KiB at most; photos may
    /// be left out of it).
    pub complaint: NewComplaint,
    /// Up to 5 photos (JPEG, PNG or WebP, 5 MiB each), one part each, all named
    /// `photos`.
    #[schema(content_media_type = "application/octet-stream")]
    pub photos: Vec<Vec<u8>>,
}

/// A photo sent as `multipart/form-data`.
#[derive(Debug, ToSchema)]
#[allow(dead_code)] // Describes the form in the OpenAPI document; read part by part.
pub struct PhotoForm {
    /// JPEG, PNG or WebP, 5 MiB at most; its file name is informative.
    #[schema(content_media_type = "application/octet-stream")]
    pub photo: Vec<u8>,
}

/// What a photo part may be, as the complaints service judges photos.
pub(super) const PHOTO: upload::Rule = upload::Rule {
    max: 5 * 1024 * 1024,
    accepted: guichet_kit::upload::PHOTOS,
    refused: "Seules les photos JPEG, PNG ou WebP sont acceptées.",
};
/// Photos per complaint.
const MAX_PHOTOS: usize = 5;
/// The `complaint` part of a form: JSON, no file in it.
const COMPLAINT_PART: usize = 64 * 1024;

/// Reads a complaint sent as a form: its `complaint` part (JSON) and its `photos`.
async fn complaint_form(form: &mut Multipart) -> Result<(NewComplaint, Vec<pb::Photo>), ApiError> {
    let mut complaint: Option<NewComplaint> = None;
    let mut photos = Vec::new();
    while let Some(part) = upload::next_part(form).await? {
        match part.name() {
            Some("complaint") => {
                complaint = Some(upload::read_json(part, "complaint", COMPLAINT_PART).await?);
            }
            Some("photos") => {
                if photos.len() == MAX_PHOTOS {
                    return Err(upload::invalid("photos", "Joignez 5 photos au plus."));
                }
                let path = format!("photos[{}]", photos.len());
                let file = upload::read_file(part, &path, PHOTO).await?;
                photos.push(pb::Photo {
                    filename: file.filename,
                    content: file.content,
                });
            }
            _ => {}
        }
    }
    let mut complaint = complaint.ok_or_else(|| {
        upload::invalid(
            "complaint",
            "Joignez la doléance en JSON (champ « complaint »).",
        )
    })?;
    // Photos also given in the JSON part (base64) come first.
    let mut all = decode_photos(std::mem::take(&mut complaint.photos))?;
    all.extend(photos);
    Ok((complaint, all))
}

fn decode_photo(photo: PhotoUpload, field: &str) -> Result<pb::Photo, ApiError> {
    let content = STANDARD.decode(photo.content_base64.trim()).map_err(|_| {
        ApiError::bad_field(
            "invalid_base64",
            field,
            "Le contenu de la photo doit être encodé en base64.",
        )
    })?;
    upload::check_size(&content, field, PHOTO.max)?;
    Ok(pb::Photo {
        filename: photo.filename,
        content,
    })
}

/// Files a complaint, with or without an account, with up to 5 photos: in JSON (photos
/// in base64), or as `multipart/form-data` (a `complaint` part in JSON and one
/// `photos` part per photo, each refused as soon as it passes 5 MiB or shows a type
/// that is no photo). Photos are stored without their metadata (EXIF, GPS position).
/// The answer carries the tracking number to follow it on any channel, and open
/// complaints of the same category within 50 m, which the resident may follow instead ("me too"). Send
/// an `Idempotency-Key` header so a retry never files twice. A signed-in resident, or a
/// kiosk, counter or phone desk, sends its token as `Authorization: Bearer …`; the
/// complaints service takes the account and channel from it. A desk or phone agent
/// files on a resident's behalf: the channel is the agent's desk, the agent the author.
#[utoipa::path(
    post,
    path = "/api/v1/complaints",
    tag = "complaints",
    request_body(content(
        (NewComplaint = "application/json"),
        (ComplaintForm = "multipart/form-data"),
    )),
    params(("Idempotency-Key" = Option<String>, Header, description = "Client-chosen key; the same key files once")),
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = FiledComplaint, headers(("Location" = String, description = "Where to follow the demand"))),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json", description = "A photo or the whole request too large"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "Too many uploads at once: retry"),
    )
)]
pub async fn file_complaint(
    bearer: Bearer,
    State(state): State<AppState>,
    headers: HeaderMap,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    let idempotency_key = idempotency_key(&headers)?;
    // Held until the complaints service has answered: the photos are in memory till then.
    let _admitted = upload::admit(&headers, FILING_BODY).await?;
    let (body, photos) = match upload::Body::<NewComplaint>::read(request, &state).await? {
        upload::Body::Json(mut body) => {
            let photos = decode_photos(std::mem::take(&mut body.photos))?;
            (body, photos)
        }
        upload::Body::Form(mut form) => complaint_form(&mut form).await?,
    };
    let location = body.location.unwrap_or_default();
    let contact = body.contact.unwrap_or_default();
    let request = FileComplaintRequest {
        category: body.category,
        description: body.description,
        location: Some(pb::Location {
            latitude: location.latitude,
            longitude: location.longitude,
            address: location.address,
        }),
        contact: Some(pb::Contact {
            name: contact.name,
            email: contact.email,
            phone: contact.phone,
        }),
        // What an anonymous web caller is; with a token, the complaints service takes
        // the channel and the account from the verified token instead.
        channel: Channel::Web as i32,
        idempotency_key,
        resident_id: body.resident_id,
        siret: body.siret,
        photos,
    };
    let filed = state
        .complaints
        .clone()
        .file_complaint(bearer.request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    let demand = Demand::from(filed.demand.ok_or_else(ApiError::unavailable)?);
    let location = format!("/api/v1/demands/{}", demand.tracking_number);
    let filed = FiledComplaint {
        demand,
        duplicates: filed
            .duplicates
            .into_iter()
            .map(|d| PublicComplaint::from_pb(d, true))
            .collect(),
        photos: filed.photos.into_iter().map(PhotoInfo::from).collect(),
    };
    Ok(Created(location, Json(filed)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct NearbyQuery {
    /// WGS84 latitude of the map's centre.
    pub lat: f64,
    /// WGS84 longitude of the map's centre.
    pub lon: f64,
    /// Metres (300 unless asked, 2,000 at most).
    pub radius: u32,
    /// Only this category.
    pub category: String,
}

/// Open complaints around a point, nearest first, for the app's and the kiosk's maps.
/// Public fields only.
#[utoipa::path(
    get,
    path = "/api/v1/complaints/nearby",
    tag = "complaints",
    params(NearbyQuery),
    responses(
        (status = 200, body = Vec<PublicComplaint>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn nearby(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<NearbyQuery>,
) -> Result<Json<Vec<PublicComplaint>>, ApiError> {
    let found = state
        .complaints
        .clone()
        .nearby(pb::NearbyRequest {
            latitude: query.lat,
            longitude: query.lon,
            radius_m: query.radius,
            category: query.category,
            limit: 0,
        })
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(
        found
            .complaints
            .into_iter()
            .map(|c| PublicComplaint::from_pb(c, true))
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct DuplicatesQuery {
    pub category: String,
    pub lat: f64,
    pub lon: f64,
}

/// Before filing: open complaints of the same category within the duplicate radius
/// (50 m), to offer "me too" instead.
#[utoipa::path(
    get,
    path = "/api/v1/complaints/duplicates",
    tag = "complaints",
    params(DuplicatesQuery),
    responses(
        (status = 200, body = Vec<PublicComplaint>),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn duplicates(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<DuplicatesQuery>,
) -> Result<Json<Vec<PublicComplaint>>, ApiError> {
    let found = state
        .complaints
        .clone()
        .find_duplicates(pb::FindDuplicatesRequest {
            category: query.category,
            latitude: query.lat,
            longitude: query.lon,
        })
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(
        found
            .complaints
            .into_iter()
            .map(|c| PublicComplaint::from_pb(c, true))
            .collect(),
    ))
}

/// One complaint's public view, by its public id: what a "me too" follower watches.
#[utoipa::path(
    get,
    path = "/api/v1/complaints/{id}",
    tag = "complaints",
    params(("id" = String, Path, description = "Public id (not a tracking number)")),
    responses(
        (status = 200, body = PublicComplaint),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn public_complaint(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<PublicComplaint>, ApiError> {
    let found = state
        .complaints
        .clone()
        .get_public(pb::GetPublicRequest { id })
        .await
        .map_err(|s| ApiError::from_status(s, "complaint_not_found"))?
        .into_inner();
    Ok(Json(PublicComplaint::from_pb(found, false)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct FollowBody {
    /// Without an account: an e-mail or a phone number to hear the outcome.
    pub contact: Option<super::dto::Contact>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Following {
    pub complaint: PublicComplaint,
    /// Already followed by the caller: nothing changed.
    pub already: bool,
}

/// "Me too": follow an open complaint instead of filing another. A signed-in resident
/// follows with their account; anyone else leaves an e-mail or a phone number. Every
/// follower hears the outcome.
#[utoipa::path(
    post,
    path = "/api/v1/complaints/{id}/followers",
    tag = "complaints",
    params(("id" = String, Path, description = "Public id")),
    request_body = FollowBody,
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Following),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn follow(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<FollowBody>,
) -> Result<Json<Following>, ApiError> {
    let contact = body.contact.unwrap_or_default();
    let followed = state
        .complaints
        .clone()
        .follow(bearer.request(pb::FollowRequest {
            id,
            contact: Some(pb::Contact {
                name: contact.name,
                email: contact.email,
                phone: contact.phone,
            }),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "complaint_not_found"))?
        .into_inner();
    Ok(Json(Following {
        complaint: PublicComplaint::from_pb(
            followed.complaint.ok_or_else(ApiError::unavailable)?,
            false,
        ),
        already: followed.already,
    }))
}

/// Adds a photo to a complaint: whoever may see it (its owner, whoever holds the number
/// of one filed without account, an agent handling it). 5 photos per complaint. In
/// JSON (base64) or as `multipart/form-data` with one `photo` part, refused as soon as
/// it passes 5 MiB or shows a type that is no photo. Stored without its metadata.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{tracking_number}/photos",
    tag = "complaints",
    params(("tracking_number" = String, Path)),
    request_body(content(
        (PhotoUpload = "application/json"),
        (PhotoForm = "multipart/form-data"),
    )),
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = Vec<PhotoInfo>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 413, body = Problem, content_type = "application/problem+json"),
        (status = 415, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json", description = "Too many uploads at once: retry"),
    )
)]
pub async fn add_photo(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    request: Request,
) -> Result<impl IntoResponse, ApiError> {
    let tracking_number = number_of(&tracking_number, Owner::Complaints)?;
    let _admitted = upload::admit(request.headers(), PHOTO_BODY).await?;
    let photo = match upload::Body::<PhotoUpload>::read(request, &state).await? {
        upload::Body::Json(body) => decode_photo(body, "content_base64")?,
        upload::Body::Form(mut form) => {
            let file = upload::single_file(&mut form, "photo", PHOTO).await?;
            pb::Photo {
                filename: file.filename,
                content: file.content,
            }
        }
    };
    let photos = state
        .complaints
        .clone()
        .add_photo(bearer.request(pb::AddPhotoRequest {
            tracking_number: tracking_number.clone(),
            photo: Some(photo),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    // Photos come oldest first: the new one is the last.
    let added = photos
        .photos
        .last()
        .map(|p| p.id.clone())
        .unwrap_or_default();
    Ok(Created(
        format!("/api/v1/demands/{tracking_number}/photos/{added}"),
        Json(
            photos
                .photos
                .into_iter()
                .map(PhotoInfo::from)
                .collect::<Vec<_>>(),
        ),
    ))
}

/// A complaint's photos, for whoever may see it.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{tracking_number}/photos",
    tag = "complaints",
    params(("tracking_number" = String, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Vec<PhotoInfo>),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_photos(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
) -> Result<Json<Vec<PhotoInfo>>, ApiError> {
    let tracking_number = number_of(&tracking_number, Owner::Complaints)?;
    let photos = state
        .complaints
        .clone()
        .list_photos(bearer.request(pb::ListPhotosRequest { tracking_number }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(
        photos.photos.into_iter().map(PhotoInfo::from).collect(),
    ))
}

/// One photo's bytes.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{tracking_number}/photos/{photo_id}",
    tag = "complaints",
    params(("tracking_number" = String, Path), ("photo_id" = String, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, description = "The photo", content_type = "image/*"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn photo_content(
    bearer: Bearer,
    State(state): State<AppState>,
    Path((tracking_number, photo_id)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let tracking_number = number_of(&tracking_number, Owner::Complaints)?;
    let photo = state
        .complaints
        .clone()
        .get_photo(bearer.request(pb::GetPhotoRequest {
            tracking_number,
            photo_id,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "attachment_not_found"))?
        .into_inner();
    let info = photo.info.unwrap_or_default();
    let content_type = HeaderValue::from_str(&info.mime_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::X_CONTENT_TYPE_OPTIONS,
                HeaderValue::from_static("nosniff"),
            ),
        ],
        Bytes::from(photo.content),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct Reassignment {
    /// The department that will handle it (`ECLAIRAGE`).
    pub department: String,
    /// Why: shown in the timeline.
    pub reason: String,
}

/// Sends a complaint to another department, with the reason (timeline and event).
#[utoipa::path(
    post,
    path = "/api/v1/agent/complaints/{tracking_number}/reassign",
    tag = "agent",
    params(("tracking_number" = String, Path)),
    request_body = Reassignment,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Demand),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn reassign(
    agent: Agent,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<Reassignment>,
) -> Result<Json<Demand>, ApiError> {
    let demand = state
        .complaints
        .clone()
        .reassign(agent.bearer().request(pb::ReassignRequest {
            tracking_number: number_of(&tracking_number, Owner::Complaints)?,
            department: body.department,
            reason: body.reason,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Demand::from(demand)))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct MergeBody {
    /// Tracking number of the complaint kept; the one in the path is closed as its
    /// duplicate.
    pub into: String,
}

/// Merges a duplicate into the complaint kept: the duplicate is closed (`duplicate`),
/// its author and followers follow the kept one and hear its outcome.
#[utoipa::path(
    post,
    path = "/api/v1/agent/complaints/{tracking_number}/merge",
    tag = "agent",
    params(("tracking_number" = String, Path, description = "The duplicate")),
    request_body = MergeBody,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Demand, description = "The complaint kept"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn merge(
    agent: Agent,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<MergeBody>,
) -> Result<Json<Demand>, ApiError> {
    let demand = state
        .complaints
        .clone()
        .merge(agent.bearer().request(pb::MergeRequest {
            duplicate: number_of(&tracking_number, Owner::Complaints)?,
            kept: body.into,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(Demand::from(demand)))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct OverdueQuery {
    /// One department; every department the supervisor sees when absent.
    pub department: String,
    /// At most (default 50, at most 200).
    pub limit: u32,
    /// Where the page starts: from the previous page's `Link` header.
    pub cursor: String,
}

/// Supervisors: open complaints past their service-level date, most overdue first. MRU
/// supervisors see the whole city.
#[utoipa::path(
    get,
    path = "/api/v1/agent/complaints/overdue",
    tag = "agent",
    params(OverdueQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Demand>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn overdue(
    agent: Agent,
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<OverdueQuery>,
) -> Result<Page<Vec<Demand>>, ApiError> {
    let after = Cursor::parse(&query.cursor)?;
    let size = page::size(query.limit, 50, 200);
    let listed = state
        .complaints
        .clone()
        .list_overdue(agent.bearer().request(pb::ListOverdueRequest {
            department: query.department,
            limit: size,
            after_due_at: after.as_ref().map(|c| timestamp(c.at)),
            after_number: after.map(|c| c.key).unwrap_or_default(),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    let next = page::next_after(&listed.demands, size, |last| {
        Some(Cursor {
            at: datetime(last.due_at.as_ref()?)?,
            key: last.tracking_number.clone(),
        })
    });
    Ok(Page {
        items: listed.demands.into_iter().map(Demand::from).collect(),
        next,
        uri,
    })
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct SearchQuery {
    /// A tracking number, a name, an e-mail address or a phone number.
    pub q: String,
}

/// A resident's account the desk may file for.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentMatch {
    /// Send as `resident_id` when filing on their behalf.
    pub account_id: String,
    pub name: String,
    pub email: String,
    pub phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// Accounts matching the query (name, e-mail, phone).
    pub residents: Vec<ResidentMatch>,
    /// Demands matching the query or filed by those accounts, newest first.
    pub demands: Vec<Demand>,
}

/// The desk finds any demand by tracking number, resident name, e-mail or phone, and
/// the residents' accounts to file for. Every lookup is audited.
#[utoipa::path(
    get,
    path = "/api/v1/agent/search",
    tag = "agent",
    params(SearchQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = SearchResults),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn search(
    agent: Agent,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> Result<Json<SearchResults>, ApiError> {
    let q = query.q.trim().to_owned();
    // A tracking number names one demand: no account to look for.
    let residents = if TrackingNumber::parse(&q).is_ok() {
        Vec::new()
    } else {
        state
            .staff
            .clone()
            .find_residents(agent.bearer().request(FindResidentsRequest {
                query: q.clone(),
                limit: 0,
            }))
            .await
            .map_err(|s| ApiError::from_status(s, "account_not_found"))?
            .into_inner()
            .residents
    };
    let resident_ids: Vec<String> = residents.iter().map(|r| r.account_id.clone()).collect();
    // Every silo answers the same search over what the agent reaches.
    let demands = from_every_silo(&state, 0, |mut silo| {
        let request = agent.bearer().request(SearchDemandsRequest {
            query: q.clone(),
            resident_ids: resident_ids.clone(),
            limit: 0,
        });
        async move { silo.search_demands(request).await }
    })
    .await?;
    Ok(Json(SearchResults {
        residents: residents
            .into_iter()
            .map(|r| ResidentMatch {
                account_id: r.account_id,
                name: r.name,
                email: r.email,
                phone: r.phone,
            })
            .collect(),
        demands,
    }))
}

/// A category as administrators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminCategory {
    #[serde(flatten)]
    pub category: Category,
    pub active: bool,
}

/// Every complaint category, inactive ones included.
#[utoipa::path(
    get,
    path = "/api/v1/admin/complaints/categories",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<AdminCategory>),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn admin_categories(
    admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<Vec<AdminCategory>>, ApiError> {
    let categories = state
        .complaints
        .clone()
        .list_categories(admin.bearer().request(ListCategoriesRequest {
            include_inactive: true,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .categories;
    Ok(Json(
        categories
            .into_iter()
            .map(|c| AdminCategory {
                active: c.active,
                category: Category::from(c),
            })
            .collect(),
    ))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct CategoryEdit {
    pub label: String,
    /// Department new complaints of this category are routed to.
    pub department: String,
    /// Service-level target, days.
    pub sla_days: u32,
    /// Offered to residents.
    pub active: bool,
    /// `P1`, `P2` (default), `P3`.
    pub priority: String,
    /// `commune` (default), `metropole`, `partagee`.
    pub competence: String,
}

/// Creates or edits a complaint category. Complaints already filed keep their
/// department.
#[utoipa::path(
    put,
    path = "/api/v1/admin/complaints/categories/{code}",
    tag = "admin",
    params(("code" = String, Path)),
    request_body = CategoryEdit,
    security(("bearer" = [])),
    responses(
        (status = 200, body = AdminCategory),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upsert_category(
    admin: Admin,
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<CategoryEdit>,
) -> Result<Json<AdminCategory>, ApiError> {
    let saved = state
        .complaints
        .clone()
        .upsert_category(admin.bearer().request(pb::UpsertCategoryRequest {
            category: Some(pb::Category {
                code,
                label: body.label,
                department: body.department,
                priority: body.priority,
                sla_days: body.sla_days,
                competence: body.competence,
                active: body.active,
            }),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(AdminCategory {
        active: saved.active,
        category: Category::from(saved),
    }))
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewApiKey {
    /// Who the key is for.
    pub label: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct IssuedApiKey {
    pub id: String,
    pub label: String,
    /// Shown this once: only its SHA-256 is kept.
    pub api_key: String,
    pub created_at: Option<DateTime<Utc>>,
}

/// Issues an Open311 API key for a client application (`POST /open311/v2/requests`).
#[utoipa::path(
    post,
    path = "/api/v1/admin/open311/keys",
    tag = "admin",
    request_body = NewApiKey,
    security(("bearer" = [])),
    responses(
        (status = 201, body = IssuedApiKey),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn issue_open311_key(
    admin: Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewApiKey>,
) -> Result<impl IntoResponse, ApiError> {
    let key = state
        .complaints
        .clone()
        .issue_api_key(
            admin
                .bearer()
                .request(pb::IssueApiKeyRequest { label: body.label }),
        )
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Created(
        format!("/api/v1/admin/open311/keys/{}", key.id),
        Json(IssuedApiKey {
            created_at: key.created_at.as_ref().and_then(datetime),
            id: key.id,
            label: key.label,
            api_key: key.key,
        }),
    ))
}

/// An issued key, as administrators see it (the key itself is never shown again).
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyInfo {
    pub id: String,
    pub label: String,
    pub created_at: Option<DateTime<Utc>>,
    /// Set once revoked: requests signed with it are refused.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl From<pb::ApiKey> for ApiKeyInfo {
    fn from(key: pb::ApiKey) -> Self {
        Self {
            created_at: key.created_at.as_ref().and_then(datetime),
            revoked_at: key.revoked_at.as_ref().and_then(datetime),
            id: key.id,
            label: key.label,
        }
    }
}

async fn open311_keys(admin: &Admin, state: &AppState) -> Result<Vec<ApiKeyInfo>, ApiError> {
    let keys = state
        .complaints
        .clone()
        .list_api_keys(admin.bearer().request(pb::ListApiKeysRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .keys;
    Ok(keys.into_iter().map(ApiKeyInfo::from).collect())
}

/// Every Open311 key issued, revoked ones included, oldest first.
#[utoipa::path(
    get,
    path = "/api/v1/admin/open311/keys",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<ApiKeyInfo>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_open311_keys(
    admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<Vec<ApiKeyInfo>>, ApiError> {
    Ok(Json(open311_keys(&admin, &state).await?))
}

/// One Open311 key.
#[utoipa::path(
    get,
    path = "/api/v1/admin/open311/keys/{id}",
    tag = "admin",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ApiKeyInfo),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_open311_key(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    open311_keys(&admin, &state)
        .await?
        .into_iter()
        .find(|key| key.id == id.trim())
        .map(Json)
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "not_found",
                "Aucune clé ne correspond à cet identifiant.",
            )
        })
}

/// Revokes an Open311 API key: requests signed with it get 403 from then on.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/open311/keys/{id}",
    tag = "admin",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ApiKeyInfo),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_open311_key(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    let key = state
        .complaints
        .clone()
        .revoke_api_key(admin.bearer().request(pb::RevokeApiKeyRequest { id }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(ApiKeyInfo::from(key)))
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> Result<String, ApiError> {
    let Some(value) = headers.get("idempotency-key") else {
        return Ok(String::new());
    };
    value
        .to_str()
        .ok()
        .map(str::trim)
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY)
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::bad_field(
                "invalid_idempotency_key",
                "Idempotency-Key",
                "L'en-tête Idempotency-Key doit contenir entre 1 et 255 caractères imprimables.",
            )
        })
}
