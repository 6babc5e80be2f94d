//! What the kit's bus tests share: an event, a handler writing one row per event it
//! applies, a consumer's queues declared up front.

#![allow(dead_code, clippy::unwrap_used)] // each test file uses part of it; tests fail loudly

use chrono::Utc;
use guichet_kit::bus::{Bus, Event, Handler, Subscription, consumer};
use guichet_proto::events::v1::ComplaintFiled;
use sqlx::PgConnection;

/// A complaint filed, routed `kind`, about `subject`.
pub fn event(kind: &str, subject: &str) -> Event {
    let body = ComplaintFiled {
        tracking_number: subject.to_owned(),
        ..Default::default()
    };
    Event::new("/test", kind, subject, Utc::now(), &body)
}

/// A complaint filed, as the complaints service publishes it.
pub fn filed(subject: &str) -> Event {
    event("complaints.complaint.filed", subject)
}

/// Inserts one row into the test's `effects (event_id, subject)` table per event.
pub struct Recorder;

impl Handler for Recorder {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
        sqlx::query("INSERT INTO effects (event_id, subject) VALUES ($1, $2)")
            .bind(event.id)
            .bind(&event.subject)
            .execute(&mut *conn)
            .await?;
        Ok(())
    }
}

/// Declares `subscription`'s queues, so events published before its consumer starts
/// are routed.
pub async fn declare(bus: &Bus, subscription: &Subscription) {
    let connection = bus.connect().await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    consumer::declare(bus, &channel, subscription)
        .await
        .unwrap();
    connection.close(200, "bye".into()).await.unwrap();
}
