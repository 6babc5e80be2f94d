//! The city's announcements: staff publish them, the web, app and kiosk show the current
//! ones, and an Atom 1.0 feed serves them to social-network tooling.

use axum::{
    Json,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};
use guichet_kit::grpc::{datetime, timestamp};
use guichet_proto::notifications::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::{
    auth::Agent,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    state::AppState,
};

#[derive(Debug, Serialize, ToSchema)]
pub struct Announcement {
    pub id: String,
    pub title: String,
    pub body: String,
    /// `everyone`, `residents`, `professionals`.
    pub audience: String,
    /// `web`, `app`, `kiosk`, `counter`.
    pub channels: Vec<String>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
    pub published_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
    pub author_name: String,
}

impl From<pb::Announcement> for Announcement {
    fn from(a: pb::Announcement) -> Self {
        Self {
            valid_from: a.valid_from.as_ref().and_then(datetime),
            valid_until: a.valid_until.as_ref().and_then(datetime),
            published_at: a.published_at.as_ref().and_then(datetime),
            updated_at: a.updated_at.as_ref().and_then(datetime),
            id: a.id,
            title: a.title,
            body: a.body,
            audience: a.audience,
            channels: a.channels,
            author_name: a.author_name,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewAnnouncement {
    pub title: String,
    pub body: String,
    /// `everyone` (default), `residents`, `professionals`.
    pub audience: String,
    /// At least one of `web`, `app`, `kiosk`, `counter`.
    pub channels: Vec<String>,
    /// Default: now.
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// Publishes an announcement (administrators and supervisors).
#[utoipa::path(
    post,
    path = "/api/v1/agent/announcements",
    tag = "agent",
    request_body = NewAnnouncement,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Announcement),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn publish(
    agent: Agent,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewAnnouncement>,
) -> Result<(StatusCode, Json<Announcement>), ApiError> {
    let request = pb::PublishAnnouncementRequest {
        title: body.title,
        body: body.body,
        audience: body.audience,
        channels: body.channels,
        valid_from: body.valid_from.map(timestamp),
        valid_until: body.valid_until.map(timestamp),
    };
    let published = state
        .announcements
        .clone()
        .publish(agent.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner();
    Ok((StatusCode::CREATED, Json(published.into())))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(default)]
pub struct AnnouncementsQuery {
    /// Only those shown on this channel (`web`, `app`, `kiosk`, `counter`).
    pub channel: String,
    /// Only those for this audience (`residents`, `professionals`); `everyone`'s are
    /// always included.
    pub audience: String,
}

async fn current(
    state: &AppState,
    query: AnnouncementsQuery,
) -> Result<Vec<pb::Announcement>, ApiError> {
    Ok(state
        .announcements
        .clone()
        .list_current(pb::ListAnnouncementsRequest {
            channel: query.channel,
            audience: query.audience,
        })
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .announcements)
}

/// The announcements valid now, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/announcements",
    tag = "announcements",
    params(AnnouncementsQuery),
    responses(
        (status = 200, body = Vec<Announcement>),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AnnouncementsQuery>,
) -> Result<Json<Vec<Announcement>>, ApiError> {
    Ok(Json(
        current(&state, query)
            .await?
            .into_iter()
            .map(Announcement::from)
            .collect(),
    ))
}

/// The current announcements as an Atom 1.0 feed.
#[utoipa::path(
    get,
    path = "/api/v1/announcements.atom",
    tag = "announcements",
    params(AnnouncementsQuery),
    responses(
        (status = 200, description = "Atom 1.0 feed", content_type = "application/atom+xml", body = String),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn atom(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<AnnouncementsQuery>,
) -> Result<Response, ApiError> {
    let announcements = current(&state, query).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        atom_feed(&announcements, Utc::now()),
    )
        .into_response())
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 forbids are dropped rather than breaking the feed.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
    out
}

fn rfc3339(at: Option<&guichet_proto::prost_types::Timestamp>, default: DateTime<Utc>) -> String {
    at.and_then(datetime)
        .unwrap_or(default)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An Atom 1.0 document (RFC 4287): the feed's id, title, updated, author and self
/// link; each entry's id (`urn:uuid:`), title, updated, published, author and text
/// content.
pub fn atom_feed(announcements: &[pb::Announcement], now: DateTime<Utc>) -> String {
    let updated = announcements
        .iter()
        .filter_map(|a| a.updated_at.as_ref().and_then(datetime))
        .max()
        .unwrap_or(now);
    let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
    xml.push_str("<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"fr\">\n");
    xml.push_str("  <id>urn:guichet:announcements</id>\n");
    xml.push_str("  <title>Annonces de la ville</title>\n");
    xml.push_str(&format!(
        "  <updated>{}</updated>\n",
        updated.to_rfc3339_opts(SecondsFormat::Secs, true)
    ));
    xml.push_str("  <author><name>Ville — guichet unique</name></author>\n");
    xml.push_str("  <link rel=\"self\" href=\"/api/v1/announcements.atom\"/>\n");
    for a in announcements {
        let author = if a.author_name.is_empty() {
            "Ville"
        } else {
            &a.author_name
        };
        xml.push_str("  <entry>\n");
        xml.push_str(&format!("    <id>urn:uuid:{}</id>\n", escape(&a.id)));
        xml.push_str(&format!("    <title>{}</title>\n", escape(&a.title)));
        xml.push_str(&format!(
            "    <updated>{}</updated>\n",
            rfc3339(a.updated_at.as_ref(), now)
        ));
        xml.push_str(&format!(
            "    <published>{}</published>\n",
            rfc3339(a.valid_from.as_ref(), now)
        ));
        xml.push_str(&format!(
            "    <author><name>{}</name></author>\n",
            escape(author)
        ));
        xml.push_str(&format!(
            "    <content type=\"text\">{}</content>\n",
            escape(&a.body)
        ));
        xml.push_str("  </entry>\n");
    }
    xml.push_str("</feed>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_feed_escapes_text_and_carries_every_required_element() {
        let now = Utc::now();
        let a = pb::Announcement {
            id: "0190f0c2-0000-7000-8000-000000000001".into(),
            title: "Travaux <rue> & \"place\"".into(),
            body: "Circulation perturbée.\u{1}".into(),
            updated_at: Some(timestamp(now)),
            valid_from: Some(timestamp(now)),
            ..Default::default()
        };
        let xml = atom_feed(&[a], now);
        assert!(xml.contains("<title>Travaux &lt;rue&gt; &amp; &quot;place&quot;</title>"));
        assert!(xml.contains("<id>urn:uuid:0190f0c2-0000-7000-8000-000000000001</id>"));
        assert!(xml.contains("<content type=\"text\">Circulation perturbée.</content>"));
        for required in [
            "<id>urn:guichet:announcements</id>",
            "<updated>",
            "<author>",
        ] {
            assert!(xml.contains(required), "{required}");
        }
    }
}
