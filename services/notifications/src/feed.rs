//! Agent feeds: every demand event becomes one item in the feed of the department that
//! handles the demand, with a French one-line summary.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::bus::{Event, Handler, Subscription};
use guichet_proto::{
    demand::v1::{AuthorRole, DemandKind, Status},
    events::v1::{ComplaintFiled, DemandFiled, DemandMessagePosted, DemandStatusChanged},
    names,
    prost_types::Timestamp,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The queue feeding agent feeds, and the events it needs.
pub fn subscription() -> Subscription {
    Subscription::new(
        "notifications.feed",
        &[
            "*.complaint.filed",
            "*.demand.filed",
            "*.demand.status_changed",
            "*.demand.message_posted",
        ],
    )
}

/// One feed item about to be written.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub department: String,
    pub tracking_number: String,
    pub kind: DemandKind,
    pub theme: String,
    pub title: String,
    pub at: DateTime<Utc>,
}

/// What an event means for the feed; `None` for events agents need not see.
pub fn item_for(event: &Event) -> anyhow::Result<Option<NewItem>> {
    let at = |ts: Option<&Timestamp>| {
        ts.and_then(guichet_kit::grpc::datetime)
            .unwrap_or(event.time)
    };
    let verb = event.kind.split('.').skip(1).collect::<Vec<_>>().join(".");
    let item = match verb.as_str() {
        "complaint.filed" => {
            let filed: ComplaintFiled = event.decode()?;
            let place = if filed.address.is_empty() {
                String::new()
            } else {
                format!(" — {}", filed.address)
            };
            Some(NewItem {
                at: at(filed.filed_at.as_ref()),
                title: format!("Nouvelle doléance : {}{place}", filed.category_label),
                theme: format!("complaint:{}", filed.category),
                department: filed.department,
                tracking_number: filed.tracking_number,
                kind: DemandKind::Complaint,
            })
        }
        "demand.filed" => {
            let filed: DemandFiled = event.decode()?;
            let kind = DemandKind::try_from(filed.kind).unwrap_or_default();
            let what = match kind {
                DemandKind::Rapo => "Nouveau recours (RAPO)",
                _ => "Nouvelle demande",
            };
            Some(NewItem {
                at: at(filed.filed_at.as_ref()),
                title: format!("{what} : {}", filed.title),
                theme: filed.theme,
                kind,
                department: filed.department,
                tracking_number: filed.tracking_number,
            })
        }
        "demand.status_changed" => {
            let changed: DemandStatusChanged = event.decode()?;
            let status = Status::try_from(changed.status).unwrap_or_default();
            Some(NewItem {
                at: at(changed.at.as_ref()),
                title: format!("{} : {}", status_label(status), changed.title),
                theme: changed.theme,
                kind: DemandKind::try_from(changed.kind).unwrap_or_default(),
                department: changed.department,
                tracking_number: changed.tracking_number,
            })
        }
        "demand.message_posted" => {
            let posted: DemandMessagePosted = event.decode()?;
            let from_resident = posted
                .author
                .as_ref()
                .is_some_and(|a| a.role() == AuthorRole::Resident);
            // Agents hear when residents write; their own messages are no news to them.
            from_resident.then(|| NewItem {
                at: at(posted.at.as_ref()),
                title: format!("Nouveau message de l'usager : {}", posted.title),
                theme: posted.theme,
                kind: DemandKind::try_from(posted.kind).unwrap_or_default(),
                department: posted.department,
                tracking_number: posted.tracking_number,
            })
        }
        _ => None,
    };
    Ok(item)
}

fn status_label(status: Status) -> &'static str {
    match status {
        Status::Submitted => "Déposée",
        Status::Received => "Reçue",
        Status::InProgress => "En cours de traitement",
        Status::AwaitingResident => "En attente de l'usager",
        Status::Resolved => "Résolue",
        Status::Rejected => "Rejetée",
        Status::Closed => "Clôturée",
        Status::Unspecified => "Mise à jour",
    }
}

/// The consumer's handler: writes the item in the transaction that records the event.
pub struct FeedWriter;

impl Handler for FeedWriter {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
        let Some(item) = item_for(event)? else {
            return Ok(());
        };
        sqlx::query(
            "INSERT INTO feed_items (id, event_id, department, tracking_number, kind, event_type, title, at, theme)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (event_id, department) DO NOTHING",
        )
        .bind(Uuid::now_v7())
        .bind(event.id)
        .bind(&item.department)
        .bind(&item.tracking_number)
        .bind(names::kind(item.kind))
        .bind(&event.kind)
        .bind(&item.title)
        .bind(item.at)
        .bind(&item.theme)
        .execute(conn)
        .await
        .context("writing a feed item")?;
        tracing::info!(department = %item.department, "feed item added");
        Ok(())
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRow {
    pub id: Uuid,
    pub department: String,
    pub tracking_number: String,
    pub kind: String,
    pub event_type: String,
    pub title: String,
    pub at: DateTime<Utc>,
}

/// Newest first: items of the given departments or themes.
pub async fn list(
    pool: &PgPool,
    departments: &[String],
    themes: &[String],
    limit: i64,
) -> anyhow::Result<Vec<ItemRow>> {
    sqlx::query_as(
        "SELECT id, department, tracking_number, kind, event_type, title, at FROM feed_items
         WHERE department = ANY($1) OR theme = ANY($2)
         ORDER BY at DESC, id DESC LIMIT $3",
    )
    .bind(departments)
    .bind(themes)
    .bind(limit)
    .fetch_all(pool)
    .await
    .context("reading the feed")
}
