//! What the notifications service offers besides the live feed: agents' unread counts,
//! read marks and the deliveries of a demand; residents' notification preferences and
//! in-app messages; rating a resolved demand and the satisfaction results.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, Uri},
};
use chrono::{DateTime, Utc};
use guichet_kit::{
    contract::is_final,
    grpc::{datetime, timestamp},
};
use guichet_proto::{demand::v1::GetDemandRequest, names, notifications::v1 as pb};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{demands::parse_number, dto::Created};
use crate::{
    auth::{Admin, Agent, Bearer, SignedIn},
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::{self, Cursor, Page},
    state::AppState,
};

// ------------------------------------------------------------------ agents

/// Unread items of one tab.
#[derive(Debug, Serialize, ToSchema)]
pub struct TabCount {
    /// A theme (`complaint:NID_DE_POULE`, `rapo`) or a department code (`VOIRIE`).
    pub tab: String,
    pub unread: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCounts {
    pub tabs: Vec<TabCount>,
    /// Unread items in the whole feed, each counted once.
    pub total: u32,
}

/// Unread items per tab of the agent's feed.
#[utoipa::path(
    get,
    path = "/api/v1/agent/feed/unread",
    tag = "agent",
    security(("bearer" = [])),
    responses(
        (status = 200, body = UnreadCounts),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn unread(
    agent: Agent,
    State(state): State<AppState>,
) -> Result<Json<UnreadCounts>, ApiError> {
    let counts = state
        .feed
        .clone()
        .unread_counts(agent.bearer().request(pb::UnreadCountsRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(UnreadCounts {
        tabs: counts
            .tabs
            .into_iter()
            .map(|t| TabCount {
                tab: t.tab,
                unread: t.unread,
            })
            .collect(),
        total: counts.total,
    }))
}

/// Items to mark read: by id, or everything (of one tab) up to a position.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct MarkRead {
    pub ids: Vec<String>,
    /// Mark every item of the feed (or of `tab`) up to `up_to_seq` (all when 0).
    pub all: bool,
    pub tab: String,
    pub up_to_seq: u64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Marked {
    /// Items newly marked read.
    pub marked: u32,
}

/// Marks feed items read for the calling agent.
#[utoipa::path(
    post,
    path = "/api/v1/agent/feed/read",
    tag = "agent",
    request_body = MarkRead,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Marked),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn mark_read(
    agent: Agent,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<MarkRead>,
) -> Result<Json<Marked>, ApiError> {
    let marked = state
        .feed
        .clone()
        .mark_read(agent.bearer().request(pb::MarkReadRequest {
            ids: body.ids,
            all: body.all,
            tab: body.tab,
            up_to_seq: body.up_to_seq,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(Marked {
        marked: marked.marked,
    }))
}

/// One message sent (or being sent) to the resident of a demand.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: String,
    /// `email`, `sms`, `app`.
    pub channel: String,
    /// Masked address (`j•••@example.org`).
    pub recipient: String,
    /// `pending`, `sent`, `failed` (for good).
    pub status: String,
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: String,
    pub subject: String,
    pub event_type: String,
    pub created_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
}

/// What was sent to the resident about a demand, and what failed for good: an agent
/// then knows to call or write by other means.
#[utoipa::path(
    get,
    path = "/api/v1/agent/demands/{tracking_number}/deliveries",
    tag = "agent",
    params(("tracking_number" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Delivery>),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn deliveries(
    agent: Agent,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    let number = parse_number(&tracking_number)?;
    let list = state
        .residents
        .clone()
        .list_deliveries(agent.bearer().request(pb::ListDeliveriesRequest {
            tracking_number: number.to_string(),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Json(
        list.deliveries
            .into_iter()
            .map(|d| Delivery {
                created_at: d.created_at.as_ref().and_then(datetime),
                sent_at: d.sent_at.as_ref().and_then(datetime),
                id: d.id,
                channel: d.channel,
                recipient: d.recipient,
                status: d.status,
                attempts: d.attempts,
                last_error: d.last_error,
                subject: d.subject,
                event_type: d.event_type,
            })
            .collect(),
    ))
}

// ------------------------------------------------------------------ residents

/// Channels for one topic.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Preference {
    /// `filed`, `status.received`, `status.in_progress`, `status.awaiting_resident`,
    /// `status.resolved`, `status.rejected`, `status.closed`, `message`.
    pub topic: String,
    /// Any of `email`, `sms`, `app`; empty for none.
    pub channels: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationSettings {
    /// Every topic with the channels in force.
    pub preferences: Vec<Preference>,
    /// Where e-mail and SMS go (masked), as the account's profile says.
    pub email: String,
    pub phone: String,
}

impl From<pb::Preferences> for NotificationSettings {
    fn from(p: pb::Preferences) -> Self {
        Self {
            preferences: p
                .preferences
                .into_iter()
                .map(|p| Preference {
                    topic: p.topic,
                    channels: p.channels,
                })
                .collect(),
            email: p.email,
            phone: p.phone,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NotificationSettingsUpdate {
    /// Topics not listed keep their channels.
    pub preferences: Vec<Preference>,
}

/// Which channels tell the resident about what.
#[utoipa::path(
    get,
    path = "/api/v1/me/notifications",
    tag = "me",
    security(("bearer" = [])),
    responses(
        (status = 200, body = NotificationSettings),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_settings(
    signed_in: SignedIn,
    State(state): State<AppState>,
) -> Result<Json<NotificationSettings>, ApiError> {
    let preferences = state
        .residents
        .clone()
        .get_preferences(signed_in.bearer().request(pb::GetPreferencesRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    Ok(Json(preferences.into()))
}

/// Chooses the channels of some topics; answers every topic as it now is.
#[utoipa::path(
    put,
    path = "/api/v1/me/notifications",
    tag = "me",
    request_body = NotificationSettingsUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, body = NotificationSettings),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn set_settings(
    signed_in: SignedIn,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NotificationSettingsUpdate>,
) -> Result<Json<NotificationSettings>, ApiError> {
    let request = pb::SetPreferencesRequest {
        preferences: body
            .preferences
            .into_iter()
            .map(|p| pb::Preference {
                topic: p.topic,
                channels: p.channels,
            })
            .collect(),
    };
    let preferences = state
        .residents
        .clone()
        .set_preferences(signed_in.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    Ok(Json(preferences.into()))
}

/// A message in the resident's space.
#[derive(Debug, Serialize, ToSchema)]
pub struct InAppMessage {
    pub id: String,
    pub tracking_number: String,
    pub subject: String,
    pub body: String,
    /// Where to follow the demand.
    pub link: String,
    pub at: Option<DateTime<Utc>>,
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct MessagesQuery {
    /// Newest first; 50 unless asked, 500 at most.
    pub limit: u32,
    /// Where the page starts: from the previous page's `Link` header.
    pub cursor: String,
}

/// The messages in the resident's space, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/me/messages",
    tag = "me",
    params(MessagesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<InAppMessage>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn messages(
    signed_in: SignedIn,
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<MessagesQuery>,
) -> Result<Page<Vec<InAppMessage>>, ApiError> {
    let after = Cursor::parse(&query.cursor)?;
    let size = page::size(query.limit, 50, 500);
    let list = state
        .residents
        .clone()
        .list_messages(signed_in.bearer().request(pb::ListMessagesRequest {
            limit: size,
            before_at: after.as_ref().map(|c| timestamp(c.at)),
            before_id: after.map(|c| c.key).unwrap_or_default(),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "account_not_found"))?
        .into_inner();
    let next = page::next_after(&list.messages, size, |last| {
        Some(Cursor {
            at: datetime(last.at.as_ref()?)?,
            key: last.id.clone(),
        })
    });
    Ok(Page {
        next,
        uri,
        items: list
            .messages
            .into_iter()
            .map(|m| InAppMessage {
                at: m.at.as_ref().and_then(datetime),
                id: m.id,
                tracking_number: m.tracking_number,
                subject: m.subject,
                body: m.body,
                link: m.link,
            })
            .collect(),
    })
}

// ------------------------------------------------------------------ satisfaction

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewRating {
    /// 1 (very unhappy) to 5 (very happy).
    pub score: u32,
    /// Optional, 2,000 characters at most.
    pub comment: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rating {
    pub tracking_number: String,
    pub score: u32,
    pub comment: String,
    pub at: Option<DateTime<Utc>>,
}

/// Rates the answer to a resolved or closed demand, once: its owner (signed in), or
/// whoever holds the number of one filed without account. A second rating is `409`.
#[utoipa::path(
    post,
    path = "/api/v1/demands/{tracking_number}/rating",
    tag = "demands",
    params(("tracking_number" = String, Path)),
    request_body = NewRating,
    security((), ("bearer" = [])),
    responses(
        (status = 201, body = Rating),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Already rated, or not resolved yet", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rate(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
    ApiJson(body): ApiJson<NewRating>,
) -> Result<Created<Json<Rating>>, ApiError> {
    // A rating is a lookup by number: the same limit keeps guessing hopeless.
    let number = parse_number(&tracking_number)?;
    // The service owning the demand decides who may reach it, as for reading it.
    let demand = state
        .demands_for(number.owner())
        .get_demand(bearer.request(GetDemandRequest {
            tracking_number: number.to_string(),
            ..GetDemandRequest::default()
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    if !is_final(&names::status(demand.status())) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "not_rateable_yet",
            "Vous pourrez noter la réponse une fois la demande résolue ou clôturée.",
        ));
    }
    let rating = state
        .satisfaction
        .clone()
        .rate(bearer.request(pb::RateRequest {
            tracking_number: number.to_string(),
            score: body.score,
            comment: body.comment,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?
        .into_inner();
    Ok(Created(
        format!("/api/v1/demands/{number}/rating"),
        Json(Rating::from(rating)),
    ))
}

impl From<pb::Rating> for Rating {
    fn from(rating: pb::Rating) -> Self {
        Self {
            at: rating.at.as_ref().and_then(datetime),
            tracking_number: rating.tracking_number,
            score: rating.score,
            comment: rating.comment,
        }
    }
}

/// The rating given to a demand, to whoever may rate it; `404` until it is rated.
#[utoipa::path(
    get,
    path = "/api/v1/demands/{tracking_number}/rating",
    tag = "demands",
    params(("tracking_number" = String, Path)),
    security((), ("bearer" = [])),
    responses(
        (status = 200, body = Rating),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 429, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn rating(
    bearer: Bearer,
    State(state): State<AppState>,
    Path(tracking_number): Path<String>,
) -> Result<Json<Rating>, ApiError> {
    let number = parse_number(&tracking_number)?;
    // Whoever may reach the demand, as for rating it.
    state
        .demands_for(number.owner())
        .get_demand(bearer.request(GetDemandRequest {
            tracking_number: number.to_string(),
            ..GetDemandRequest::default()
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "demand_not_found"))?;
    let rating = state
        .satisfaction
        .clone()
        .get_rating(bearer.request(pb::GetRatingRequest {
            tracking_number: number.to_string(),
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "rating_not_found"))?
        .into_inner();
    Ok(Json(Rating::from(rating)))
}

/// Ratings of one department or teleservice.
#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionGroup {
    pub key: String,
    pub label: String,
    pub count: u32,
    /// Mean score, two decimals (0 without ratings).
    pub average: f64,
    /// How many ratings of 1, 2, 3, 4 and 5.
    pub distribution: Vec<u32>,
    /// Resolved or closed demands whose resident was invited to rate.
    pub invited: u32,
}

impl From<pb::SatisfactionGroup> for SatisfactionGroup {
    fn from(g: pb::SatisfactionGroup) -> Self {
        Self {
            key: g.key,
            label: g.label,
            count: g.count,
            average: g.average,
            distribution: g.distribution,
            invited: g.invited,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionReport {
    pub overall: Option<SatisfactionGroup>,
    pub departments: Vec<SatisfactionGroup>,
    pub teleservices: Vec<SatisfactionGroup>,
}

/// Satisfaction results per department and per teleservice, for the city's workshops
/// with residents.
#[utoipa::path(
    get,
    path = "/api/v1/admin/satisfaction",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SatisfactionReport),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn satisfaction(
    admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<SatisfactionReport>, ApiError> {
    let report = state
        .satisfaction
        .clone()
        .get_satisfaction(admin.bearer().request(pb::GetSatisfactionRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(SatisfactionReport {
        overall: report.overall.map(Into::into),
        departments: report.departments.into_iter().map(Into::into).collect(),
        teleservices: report.teleservices.into_iter().map(Into::into).collect(),
    }))
}

// ------------------------------------------------------------------ figures

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct FiguresQuery {
    /// One department; every department the supervisor oversees when absent.
    pub department: String,
    /// Weeks back, the current one included (12 unless asked, 104 at most).
    pub weeks: u32,
}

/// One week, Monday first (Paris).
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresWeek {
    /// A Monday, `YYYY-MM-DD`.
    pub starts_on: String,
    pub received: u32,
    pub answered: u32,
    /// Answered by their due date.
    pub answered_on_time: u32,
}

/// The demands of one department or teleservice filed in the period.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresGroup {
    pub key: String,
    pub label: String,
    pub received: u32,
    pub answered: u32,
    pub answered_on_time: u32,
    pub open: u32,
    /// Open past their due date now.
    pub overdue: u32,
    /// Median days from filing to answer, for those answered.
    pub median_days_to_answer: Option<f64>,
    pub ratings: u32,
    pub average_rating: Option<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    pub weeks: Vec<FiguresWeek>,
    pub departments: Vec<FiguresGroup>,
    pub teleservices: Vec<FiguresGroup>,
}

impl From<pb::FiguresGroup> for FiguresGroup {
    fn from(g: pb::FiguresGroup) -> Self {
        Self {
            key: g.key,
            label: g.label,
            received: g.received,
            answered: g.answered,
            answered_on_time: g.answered_on_time,
            open: g.open,
            overdue: g.overdue,
            median_days_to_answer: g.median_days_to_answer,
            ratings: g.ratings,
            average_rating: g.average_rating,
        }
    }
}

/// Supervisors' figures: demands received and answered per week, answer times against
/// the due dates, open and overdue demands and satisfaction, per department and per
/// teleservice, over the last weeks. A supervisor sees their departments; the MRU's
/// supervisors and administrators the whole city.
#[utoipa::path(
    get,
    path = "/api/v1/agent/figures",
    tag = "agent",
    params(FiguresQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Figures),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn figures(
    agent: Agent,
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<FiguresQuery>,
) -> Result<Json<Figures>, ApiError> {
    let figures = state
        .satisfaction
        .clone()
        .get_figures(agent.bearer().request(pb::GetFiguresRequest {
            department: query.department,
            weeks: query.weeks,
        }))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok(Json(Figures {
        weeks: figures
            .weeks
            .into_iter()
            .map(|w| FiguresWeek {
                starts_on: w.starts_on,
                received: w.received,
                answered: w.answered,
                answered_on_time: w.answered_on_time,
            })
            .collect(),
        departments: figures.departments.into_iter().map(Into::into).collect(),
        teleservices: figures.teleservices.into_iter().map(Into::into).collect(),
    }))
}
