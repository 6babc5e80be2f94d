//! One message per visit: an agent's entries on a demand within the window make one
//! delivery per channel, an outcome sends it at once, another agent's entries and
//! entries after it went make messages of their own. The service's clock is moved,
//! never waited for; against real PostgreSQL and RabbitMQ.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::{DateTime, Duration, SubsecRound as _, Utc};
use guichet_kit::{Clock, bus::Event, testing};
use guichet_proto::{
    demand::v1::{Author, AuthorRole, DemandKind, Status},
    events::v1::{DemandMessagePosted, DemandStatusChanged},
};
use sqlx::PgPool;

mod common;

const NUMBER: &str = "CAAA-AAAA-AAAA-A1";
const PHONE: &str = "06 12 34 56 78";

fn agent(id: &str) -> Option<Author> {
    Some(Author {
        role: AuthorRole::Agent as i32,
        name: id.to_owned(),
        id: id.to_owned(),
    })
}

fn message(by: &str, text: &str) -> Event {
    let body = DemandMessagePosted {
        tracking_number: NUMBER.to_owned(),
        kind: DemandKind::Complaint as i32,
        department: "VOIRIE".to_owned(),
        author: agent(by),
        text: text.to_owned(),
        title: "Nid-de-poule — Cours Mirabeau".to_owned(),
        ..Default::default()
    };
    Event::new(
        "/guichet/complaints",
        "complaints.demand.message_posted",
        NUMBER,
        Utc::now(),
        &body,
    )
}

fn resolved(by: &str) -> Event {
    let body = DemandStatusChanged {
        tracking_number: NUMBER.to_owned(),
        kind: DemandKind::Complaint as i32,
        department: "VOIRIE".to_owned(),
        status: Status::Resolved as i32,
        reason: "Trou rebouché.".to_owned(),
        author: agent(by),
        title: "Nid-de-poule — Cours Mirabeau".to_owned(),
        ..Default::default()
    };
    Event::new(
        "/guichet/complaints",
        "complaints.demand.status_changed",
        NUMBER,
        Utc::now(),
        &body,
    )
}

/// One message to the caller's phone, as the worker sees it.
#[derive(Debug, sqlx::FromRow)]
struct Sms {
    group_author: Option<String>,
    body: String,
    status: String,
    attempts: i32,
    next_attempt_at: DateTime<Utc>,
    group_until: Option<DateTime<Utc>>,
}

async fn sms(pool: &PgPool) -> Vec<Sms> {
    sqlx::query_as(
        "SELECT group_author, body, status, attempts, next_attempt_at, group_until
         FROM deliveries WHERE channel = 'sms' ORDER BY created_at, id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Waits until the SMS rows satisfy `check` (events cross the broker asynchronously).
async fn until(pool: &PgPool, what: &str, check: impl Fn(&[Sms]) -> bool) -> Vec<Sms> {
    testing::eventually(|| async {
        let rows = sms(pool).await;
        check(&rows).then_some(rows)
    })
    .await
    .unwrap_or_else(|| panic!("{what}"))
}

#[tokio::test]
async fn an_agents_entries_within_the_window_make_one_sms_and_an_outcome_sends_it_at_once() {
    // Microseconds, as PostgreSQL keeps them.
    let start = Utc::now().trunc_subsecs(6);
    let clock = Clock::manual(start);
    let service =
        common::start_with("ntf_grouping", "notifications.residents", clock.clone()).await;
    let pool = &service.pool;
    // A caller without account, who left a phone number at filing.
    sqlx::query(
        "INSERT INTO demands (tracking_number, kind, department, title, status, contact_phone,
             updated_at)
         VALUES ($1, 'complaint', 'VOIRIE', 'Nid-de-poule — Cours Mirabeau', 'in_progress',
             $2, now())",
    )
    .bind(NUMBER)
    .bind(PHONE)
    .execute(pool)
    .await
    .unwrap();
    let publish = |event: Event| {
        let publisher = &service.publisher;
        async move { publisher.publish(&event).await.unwrap() }
    };

    // At the counter: a photo, then twenty seconds later a note.
    publish(message("karim", "Photo ajoutée.")).await;
    let rows = until(pool, "the photo was never told", |rows| rows.len() == 1).await;
    assert_eq!(rows[0].group_author.as_deref(), Some("karim"));
    assert_eq!(rows[0].next_attempt_at, start + Duration::seconds(60));
    clock.advance(Duration::seconds(20));
    publish(message("karim", "Nous passons jeudi matin.")).await;
    let rows = until(pool, "the note never joined the photo", |rows| {
        rows.len() == 1 && rows[0].body.contains("jeudi")
    })
    .await;
    let grouped = &rows[0];
    assert!(grouped.body.contains("Photo ajoutée."), "{grouped:?}");
    assert!(grouped.body.contains(NUMBER), "{grouped:?}");
    assert_eq!(grouped.status, "pending");
    assert_eq!(grouped.attempts, 0, "nothing sent while the agent works");
    // Each entry gives the agent another window.
    assert_eq!(grouped.next_attempt_at, start + Duration::seconds(80));

    // Another agent's entry is a message of its own.
    publish(message("ines", "Le service propreté passera aussi.")).await;
    until(pool, "another agent's entry", |rows| rows.len() == 2).await;

    // The outcome goes at once, with the entries before it.
    publish(resolved("karim")).await;
    let rows = until(pool, "the outcome was never sent", |rows| {
        rows[0].body.contains("résolue") && rows[0].group_until.is_none()
    })
    .await;
    assert_eq!(rows.len(), 2, "the outcome joined the open message");
    let told = &rows[0];
    assert!(told.body.contains("Photo ajoutée."), "{told:?}");
    assert!(told.body.contains("jeudi"), "{told:?}");
    assert!(told.attempts >= 1, "attempted at once: {told:?}");
    assert!(rows[1].attempts == 0, "the other agent's message waits");

    // After it went, the same agent's next entry makes a new message.
    publish(message("karim", "Merci de votre signalement.")).await;
    let rows = until(pool, "an entry after the message went", |rows| {
        rows.len() == 3
    })
    .await;
    assert!(rows[2].body.contains("Merci"), "{rows:#?}");
    assert!(!rows[2].body.contains("Photo"), "{rows:#?}");

    // The other agent's message goes once they have been quiet for the window.
    clock.advance(Duration::seconds(61));
    until(pool, "the window passed", |rows| {
        rows[1].attempts >= 1 && rows[1].group_until.is_none()
    })
    .await;
}
