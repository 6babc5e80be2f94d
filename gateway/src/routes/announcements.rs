//! The city's announcements: staff publish them, the web, app and kiosk show the current
//! ones, and an Atom 1.0 feed serves them to social-network tooling.

use std::io;

use axum::{
    Json,
    extract::{Path, State},
    http::header,
    response::{IntoResponse, Response},
};
use chrono::{DateTime, SecondsFormat, Utc};
use guichet_kit::{
    grpc::{datetime, timestamp},
    validate::xml_servable,
};
use guichet_proto::notifications::v1 as pb;
use quick_xml::{
    Writer,
    events::{BytesDecl, BytesText, Event},
};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::dto::Created;
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
) -> Result<Created<Json<Announcement>>, ApiError> {
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
    Ok(Created(
        format!("/api/v1/announcements/{}", published.id),
        Json(published.into()),
    ))
}

/// Every announcement, past, current and to come, newest first (administrators and
/// supervisors).
#[utoipa::path(
    get,
    path = "/api/v1/agent/announcements",
    tag = "agent",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Announcement>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_all(
    agent: Agent,
    State(state): State<AppState>,
) -> Result<Json<Vec<Announcement>>, ApiError> {
    let all = state
        .announcements
        .clone()
        .list_all(agent.bearer().request(pb::ListAllAnnouncementsRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "announcement_not_found"))?
        .into_inner()
        .announcements;
    Ok(Json(all.into_iter().map(Announcement::from).collect()))
}

/// Withdraws an announcement now: it stops showing, and stays in the publishers' list.
#[utoipa::path(
    delete,
    path = "/api/v1/agent/announcements/{id}",
    tag = "agent",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Announcement),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn withdraw(
    agent: Agent,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Announcement>, ApiError> {
    let withdrawn = state
        .announcements
        .clone()
        .withdraw(
            agent
                .bearer()
                .request(pb::WithdrawAnnouncementRequest { id }),
        )
        .await
        .map_err(|s| ApiError::from_status(s, "announcement_not_found"))?
        .into_inner();
    Ok(Json(withdrawn.into()))
}

/// One announcement, current or not (what the city published is public).
#[utoipa::path(
    get,
    path = "/api/v1/announcements/{id}",
    tag = "announcements",
    params(("id" = String, Path)),
    responses(
        (status = 200, body = Announcement),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 503, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Announcement>, ApiError> {
    let announcement = state
        .announcements
        .clone()
        .get(pb::GetAnnouncementRequest { id })
        .await
        .map_err(|s| ApiError::from_status(s, "announcement_not_found"))?
        .into_inner();
    Ok(Json(announcement.into()))
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
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

fn rfc3339(at: Option<&guichet_proto::prost_types::Timestamp>, default: DateTime<Utc>) -> String {
    at.and_then(datetime)
        .unwrap_or(default)
        .to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An Atom 1.0 document (RFC 4287): the feed's id, title, updated, author and self
/// link; each entry's id (`urn:uuid:`), title, updated, published, author and text
/// content. Written with quick-xml's writer, which escapes text; characters XML 1.0
/// forbids, which announcements stored before intake refused them may hold, are dropped.
pub fn atom_feed(announcements: &[pb::Announcement], now: DateTime<Utc>) -> String {
    let updated = announcements
        .iter()
        .filter_map(|a| a.updated_at.as_ref().and_then(datetime))
        .max()
        .unwrap_or(now);
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    write_feed(&mut writer, announcements, updated, now).expect("writing into memory cannot fail");
    let mut xml =
        String::from_utf8(writer.into_inner()).expect("quick-xml writes the UTF-8 it is given");
    xml.push('\n');
    xml
}

fn write_feed<W: io::Write>(
    writer: &mut Writer<W>,
    announcements: &[pb::Announcement],
    updated: DateTime<Utc>,
    now: DateTime<Utc>,
) -> io::Result<()> {
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    writer
        .create_element("feed")
        .with_attributes([("xmlns", "http://www.w3.org/2005/Atom"), ("xml:lang", "fr")])
        .write_inner_content(|feed| {
            text_element(feed, "id", "urn:guichet:announcements")?;
            text_element(feed, "title", "Annonces de la ville")?;
            text_element(
                feed,
                "updated",
                &updated.to_rfc3339_opts(SecondsFormat::Secs, true),
            )?;
            author(feed, "Ville — guichet unique")?;
            feed.create_element("link")
                .with_attributes([("rel", "self"), ("href", "/api/v1/announcements.atom")])
                .write_empty()?;
            for a in announcements {
                feed.create_element("entry").write_inner_content(|entry| {
                    text_element(entry, "id", &format!("urn:uuid:{}", a.id))?;
                    text_element(entry, "title", &a.title)?;
                    text_element(entry, "updated", &rfc3339(a.updated_at.as_ref(), now))?;
                    text_element(entry, "published", &rfc3339(a.valid_from.as_ref(), now))?;
                    author(
                        entry,
                        if a.author_name.is_empty() {
                            "Ville"
                        } else {
                            &a.author_name
                        },
                    )?;
                    entry
                        .create_element("content")
                        .with_attribute(("type", "text"))
                        .write_text_content(BytesText::new(&xml_servable(&a.body)))?;
                    Ok(())
                })?;
            }
            Ok(())
        })?;
    Ok(())
}

/// `<name>text</name>`, the text escaped and stripped of what XML 1.0 forbids.
fn text_element<W: io::Write>(writer: &mut Writer<W>, name: &str, text: &str) -> io::Result<()> {
    writer
        .create_element(name)
        .write_text_content(BytesText::new(&xml_servable(text)))?;
    Ok(())
}

/// `<author><name>…</name></author>`.
fn author<W: io::Write>(writer: &mut Writer<W>, name: &str) -> io::Result<()> {
    writer
        .create_element("author")
        .write_inner_content(|author| text_element(author, "name", name))?;
    Ok(())
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
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<feed "));
        assert!(xml.contains("<link rel=\"self\" href=\"/api/v1/announcements.atom\"/>"));
        for required in [
            "<id>urn:guichet:announcements</id>",
            "<updated>",
            "<author>",
        ] {
            assert!(xml.contains(required), "{required}");
        }
    }

    #[test]
    fn characters_xml_forbids_in_older_rows_are_dropped() {
        let now = Utc::now();
        let a = pb::Announcement {
            id: "0190f0c2-0000-7000-8000-000000000002".into(),
            title: "Tra\u{FFFF}vaux 🚧".into(),
            body: "Circulation\u{1B} perturbée\u{FFFE}.".into(),
            author_name: "Ville\u{8}".into(),
            ..Default::default()
        };
        let xml = atom_feed(&[a], now);
        assert!(xml.contains("<title>Travaux 🚧</title>"), "{xml}");
        assert!(xml.contains("<content type=\"text\">Circulation perturbée.</content>"));
        assert!(xml.contains("<name>Ville</name>"));
        assert!(!xml.contains(['\u{FFFF}', '\u{FFFE}', '\u{1B}', '\u{8}']));
    }
}
