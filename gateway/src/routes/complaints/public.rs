//! Complaints for anyone, with an account or without: the categories, filing with
//! photos, the complaints nearby and the possible duplicates, a complaint's public page,
//! following one, and a demand's photos.

use axum::{
    Json,
    body::Bytes,
    extract::{Multipart, Path, Request, State},
    http::{HeaderMap, HeaderValue, header},
    response::{IntoResponse, Response},
};
use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use guichet_kit::{Owner, grpc::datetime};
use guichet_proto::{
    complaints::v1::{self as pb, FileComplaintRequest, ListCategoriesRequest},
    demand::v1::Channel,
    names,
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{FILING_BODY, PHOTO, PHOTO_BODY, PublicComplaint, idempotency_key};
use crate::routes::demands::number_of;
use crate::routes::dto::{Category, Created, Demand, NewComplaint, PhotoUpload};
use crate::{
    auth::Bearer,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    state::AppState,
    upload,
};

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
    pub contact: Option<crate::routes::dto::Contact>,
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
