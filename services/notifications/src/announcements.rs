//! Institutional announcements: staff publish a title and body for an audience, on some
//! channels, between two dates; the web, app and kiosk show the current ones and an
//! Atom feed serves them to social-network tooling.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::{auth::Claims, grpc::Violation};
use sqlx::PgPool;
use uuid::Uuid;

use crate::error::Error;

pub const AUDIENCES: &[&str] = &["everyone", "residents", "professionals"];
pub const CHANNELS: &[&str] = &["web", "app", "kiosk", "counter"];
/// Roles allowed to publish.
pub const PUBLISHERS: &[&str] = &["admin", "supervisor"];

/// An announcement as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AnnouncementRow {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub audience: String,
    pub channels: Vec<String>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    pub author_name: String,
    pub published_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// What staff ask to publish.
#[derive(Debug, Clone)]
pub struct Draft {
    pub title: String,
    pub body: String,
    pub audience: String,
    pub channels: Vec<String>,
    pub valid_from: Option<DateTime<Utc>>,
    pub valid_until: Option<DateTime<Utc>>,
}

/// Every problem of a draft at once; the validity dates filled in.
pub fn check(draft: &Draft, now: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), Error> {
    let mut problems = Vec::new();
    let title = draft.title.trim().chars().count();
    if title == 0 || title > 200 {
        problems.push(Violation::new(
            "title",
            "Le titre doit contenir entre 1 et 200 caractères.",
        ));
    }
    let body = draft.body.trim().chars().count();
    if body == 0 || body > 10_000 {
        problems.push(Violation::new(
            "body",
            "Le texte doit contenir entre 1 et 10 000 caractères.",
        ));
    }
    if !AUDIENCES.contains(&draft.audience.as_str()) {
        problems.push(Violation::new(
            "audience",
            "Public possible : everyone, residents, professionals.",
        ));
    }
    if draft.channels.is_empty()
        || draft
            .channels
            .iter()
            .any(|c| !CHANNELS.contains(&c.as_str()))
    {
        problems.push(Violation::new(
            "channels",
            "Choisissez au moins un canal parmi web, app, kiosk, counter.",
        ));
    }
    let from = draft.valid_from.unwrap_or(now);
    match draft.valid_until {
        None => problems.push(Violation::new(
            "valid_until",
            "Indiquez jusqu'à quand l'annonce est valable.",
        )),
        Some(until) if until <= from => problems.push(Violation::new(
            "valid_until",
            "La fin de validité doit suivre le début.",
        )),
        Some(_) => {}
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    Ok((from, draft.valid_until.unwrap_or(from)))
}

pub async fn publish(
    pool: &PgPool,
    author: &Claims,
    draft: &Draft,
    now: DateTime<Utc>,
) -> Result<AnnouncementRow, Error> {
    may_publish(author)?;
    let (from, until) = check(draft, now)?;
    let row = sqlx::query_as(
        "INSERT INTO announcements (id, title, body, audience, channels, valid_from, valid_until,
             author_id, author_name, published_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         RETURNING id, title, body, audience, channels, valid_from, valid_until, author_name,
             published_at, updated_at",
    )
    .bind(Uuid::now_v7())
    .bind(draft.title.trim())
    .bind(draft.body.trim())
    .bind(&draft.audience)
    .bind(&draft.channels)
    .bind(from)
    .bind(until)
    .bind(&author.sub)
    .bind(&author.name)
    .bind(now)
    .fetch_one(pool)
    .await
    .context("publishing an announcement")?;
    Ok(row)
}

/// Announcements valid at `now`, newest first, for a channel and audience if given.
pub async fn current(
    pool: &PgPool,
    now: DateTime<Utc>,
    channel: &str,
    audience: &str,
) -> anyhow::Result<Vec<AnnouncementRow>> {
    sqlx::query_as(
        "SELECT id, title, body, audience, channels, valid_from, valid_until, author_name,
             published_at, updated_at
         FROM announcements
         WHERE valid_from <= $1 AND valid_until > $1
           AND ($2 = '' OR $2 = ANY(channels))
           AND ($3 = '' OR audience = 'everyone' OR audience = $3)
         ORDER BY valid_from DESC, published_at DESC
         LIMIT 100",
    )
    .bind(now)
    .bind(channel)
    .bind(audience)
    .fetch_all(pool)
    .await
    .context("reading current announcements")
}

/// Whether `who` may publish, list every announcement and withdraw one.
pub fn may_publish(who: &Claims) -> Result<(), Error> {
    if PUBLISHERS.iter().any(|r| who.has_role(r)) {
        Ok(())
    } else {
        Err(Error::Forbidden(
            "Seuls les administrateurs et les responsables publient des annonces.",
        ))
    }
}

/// Every announcement, newest first (the last 500).
pub async fn all(pool: &PgPool) -> anyhow::Result<Vec<AnnouncementRow>> {
    sqlx::query_as(
        "SELECT id, title, body, audience, channels, valid_from, valid_until, author_name,
             published_at, updated_at
         FROM announcements ORDER BY published_at DESC, id DESC LIMIT 500",
    )
    .fetch_all(pool)
    .await
    .context("listing announcements")
}

/// Ends an announcement at `now` (one already over keeps its end).
pub async fn withdraw(
    pool: &PgPool,
    id: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<AnnouncementRow>> {
    sqlx::query_as(
        "UPDATE announcements SET valid_until = least(valid_until, $2), updated_at = $2
         WHERE id = $1
         RETURNING id, title, body, audience, channels, valid_from, valid_until, author_name,
             published_at, updated_at",
    )
    .bind(id)
    .bind(now)
    .fetch_optional(pool)
    .await
    .context("withdrawing an announcement")
}

/// One announcement, whatever its dates.
pub async fn get(pool: &PgPool, id: Uuid) -> anyhow::Result<Option<AnnouncementRow>> {
    sqlx::query_as(
        "SELECT id, title, body, audience, channels, valid_from, valid_until, author_name,
             published_at, updated_at
         FROM announcements WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .context("reading an announcement")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> Draft {
        Draft {
            title: "Fermeture de la mairie annexe".into(),
            body: "La mairie annexe du Jas de Bouffan est fermée le 2 janvier.".into(),
            audience: "everyone".into(),
            channels: vec!["web".into(), "kiosk".into()],
            valid_from: None,
            valid_until: Some(Utc::now() + chrono::Duration::days(3)),
        }
    }

    #[test]
    fn a_complete_draft_is_valid_from_now() {
        let now = Utc::now();
        let (from, _) = check(&draft(), now).unwrap();
        assert_eq!(from, now);
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let bad = Draft {
            title: " ".into(),
            audience: "martians".into(),
            channels: vec!["fax".into()],
            valid_until: None,
            ..draft()
        };
        let Err(Error::Invalid(problems)) = check(&bad, Utc::now()) else {
            panic!("accepted");
        };
        let fields: Vec<&str> = problems.iter().map(|p| p.field.as_str()).collect();
        assert_eq!(fields, ["title", "audience", "channels", "valid_until"]);
    }

    #[test]
    fn an_announcement_ends_after_it_starts() {
        let now = Utc::now();
        let bad = Draft {
            valid_from: Some(now),
            valid_until: Some(now - chrono::Duration::hours(1)),
            ..draft()
        };
        assert!(check(&bad, now).is_err());
    }
}
