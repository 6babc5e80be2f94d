//! Events reach the residents' consumer in any order (several relays, retries through
//! the delay queues): each keeps its effect. A status change or an agent's message
//! before the filing waits for it instead of reaching nobody, an older event never
//! undoes a newer one, a claim survives a later filing, and an erasure holds against
//! events about the account that arrive after it. Against real PostgreSQL and RabbitMQ.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::{DateTime, Duration, SubsecRound as _, Utc};
use guichet_kit::{
    bus::{self, Event},
    grpc::timestamp,
    testing,
};
use guichet_proto::{
    demand::v1::{Author, AuthorRole, DemandKind, Status},
    events::v1::{
        AccountErased, AccountVerificationRequested, ComplaintFiled, DemandClaimed,
        DemandMessagePosted, DemandStatusChanged,
    },
};
use sqlx::PgPool;
use uuid::Uuid;

mod common;

const NUMBER: &str = "CAAA-AAAA-AAAA-A1";
const SOURCE: &str = "/guichet/complaints";
const TITLE: &str = "Nid-de-poule — Cours Mirabeau";
const CONTACT: &str = "contact.voirie@example.org";

fn agent() -> Option<Author> {
    Some(Author {
        role: AuthorRole::Agent as i32,
        name: "Karim".to_owned(),
        id: "karim".to_owned(),
    })
}

/// Filed at `at` without an account, leaving an e-mail address (or, with `account`,
/// while signed in).
fn filed(at: DateTime<Utc>, account: &str) -> Event {
    let body = ComplaintFiled {
        tracking_number: NUMBER.to_owned(),
        category: "NID_DE_POULE".to_owned(),
        category_label: "Nid-de-poule".to_owned(),
        department: "VOIRIE".to_owned(),
        address: "Cours Mirabeau".to_owned(),
        filed_at: Some(timestamp(at)),
        has_contact: true,
        contact_email: CONTACT.to_owned(),
        account_id: account.to_owned(),
        ..Default::default()
    };
    Event::new(SOURCE, "complaints.complaint.filed", NUMBER, at, &body)
}

fn claimed(at: DateTime<Utc>, account: &str) -> Event {
    let body = DemandClaimed {
        tracking_number: NUMBER.to_owned(),
        account_id: account.to_owned(),
        department: "VOIRIE".to_owned(),
        at: Some(timestamp(at)),
    };
    Event::new(SOURCE, "complaints.demand.claimed", NUMBER, at, &body)
}

fn message(at: DateTime<Utc>, text: &str) -> Event {
    let body = DemandMessagePosted {
        tracking_number: NUMBER.to_owned(),
        kind: DemandKind::Complaint as i32,
        department: "VOIRIE".to_owned(),
        author: agent(),
        text: text.to_owned(),
        at: Some(timestamp(at)),
        title: TITLE.to_owned(),
        theme: "complaint:NID_DE_POULE".to_owned(),
        ..Default::default()
    };
    Event::new(
        SOURCE,
        "complaints.demand.message_posted",
        NUMBER,
        at,
        &body,
    )
}

fn status(at: DateTime<Utc>, status: Status, reason: &str) -> Event {
    titled(at, status, reason, TITLE)
}

fn titled(at: DateTime<Utc>, status: Status, reason: &str, title: &str) -> Event {
    let body = DemandStatusChanged {
        tracking_number: NUMBER.to_owned(),
        kind: DemandKind::Complaint as i32,
        department: "VOIRIE".to_owned(),
        status: status as i32,
        reason: reason.to_owned(),
        author: agent(),
        at: Some(timestamp(at)),
        title: title.to_owned(),
        theme: "complaint:NID_DE_POULE".to_owned(),
        ..Default::default()
    };
    Event::new(
        SOURCE,
        "complaints.demand.status_changed",
        NUMBER,
        at,
        &body,
    )
}

fn erased(account: &str) -> Event {
    let body = AccountErased {
        account_id: account.to_owned(),
        at: Some(timestamp(Utc::now())),
    };
    Event::new(
        "/guichet/identity",
        "identity.account.erased",
        account,
        Utc::now(),
        &body,
    )
}

fn verification(account: &str, email: &str, at: DateTime<Utc>) -> Event {
    let body = AccountVerificationRequested {
        account_id: account.to_owned(),
        email: email.to_owned(),
        request_id: Uuid::new_v4().to_string(),
        ..Default::default()
    };
    Event::new(
        "/guichet/identity",
        "identity.account.verification_requested",
        account,
        at,
        &body,
    )
}

/// Sends `events` in this order, back to back, and only then waits for the broker's
/// confirms: they reach the queue in this order before the consumer takes the first.
async fn publish_in_order(service: &common::Service, events: &[&Event]) {
    let mut confirms = Vec::new();
    for event in events {
        confirms.push(service.publisher.send(event).await.unwrap());
    }
    for confirm in confirms {
        bus::confirmed(confirm).await.unwrap();
    }
}

/// Waits until the consumer committed every one of `events`: an event it failed for
/// good would be dead-lettered and never recorded in its inbox.
async fn all_consumed(pool: &PgPool, events: &[&Event]) {
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let done = testing::eventually(|| async {
        let recorded: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM kit.inbox
             WHERE consumer = 'notifications.residents' AND event_id = ANY($1)",
        )
        .bind(&ids)
        .fetch_one(pool)
        .await
        .unwrap();
        (recorded == i64::try_from(ids.len()).unwrap()).then_some(())
    })
    .await;
    assert!(
        done.is_some(),
        "an event was never consumed (dead-lettered?)"
    );
}

/// What the service knows of the demand.
#[derive(Debug, sqlx::FromRow)]
struct Demand {
    status: String,
    account_id: Option<String>,
    contact_email: String,
    department: String,
    title: String,
}

async fn demand(pool: &PgPool) -> Demand {
    sqlx::query_as(
        "SELECT status, account_id, contact_email, department, title FROM demands
         WHERE tracking_number = $1",
    )
    .bind(NUMBER)
    .fetch_one(pool)
    .await
    .unwrap()
}

/// Everything queued for the demand on `channel` to `recipient`, bodies joined.
async fn told(pool: &PgPool, channel: &str, recipient: &str) -> String {
    let bodies: Vec<String> = sqlx::query_scalar(
        "SELECT body FROM deliveries
         WHERE tracking_number = $1 AND channel = $2 AND recipient = $3
         ORDER BY created_at, id",
    )
    .bind(NUMBER)
    .bind(channel)
    .bind(recipient)
    .fetch_all(pool)
    .await
    .unwrap();
    bodies.join("\n---\n")
}

#[tokio::test]
async fn a_resolution_a_message_and_a_claim_heard_before_the_filing_all_keep_their_effect() {
    let service = common::start("ntf_order", "notifications.residents").await;
    let pool = &service.pool;
    // Jeanne's contact, as her profile gave it.
    sqlx::query(
        "INSERT INTO accounts (account_id, email, updated_at)
         VALUES ('acc-jeanne', 'jeanne@example.org', now())",
    )
    .execute(pool)
    .await
    .unwrap();
    let t0 = Utc::now().trunc_subsecs(6) - Duration::minutes(10);
    // Filed without an account, claimed by Jeanne, answered, resolved…
    let filing = filed(t0, "");
    let claim = claimed(t0 + Duration::minutes(1), "acc-jeanne");
    let note = message(t0 + Duration::minutes(2), "Nous passons jeudi matin.");
    let resolution = status(
        t0 + Duration::minutes(3),
        Status::Resolved,
        "Trou rebouché.",
    );

    // …and heard the other way round.
    let events = [&resolution, &note, &claim, &filing];
    publish_in_order(&service, &events).await;
    all_consumed(pool, &events).await;

    let demand = demand(pool).await;
    assert_eq!(demand.status, "resolved", "{demand:?}");
    assert_eq!(
        demand.account_id.as_deref(),
        Some("acc-jeanne"),
        "the claim"
    );
    assert_eq!(demand.contact_email, CONTACT, "{demand:?}");
    // The filing was acknowledged (to Jeanne, known by then)…
    let acknowledged: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM deliveries
         WHERE tracking_number = $1 AND event_type = 'complaints.complaint.filed'",
    )
    .bind(NUMBER)
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(acknowledged > 0, "the filing was never acknowledged");
    // …and the news reached every channel Jeanne has, none lost for want of a recipient.
    for (channel, recipient) in [("email", "jeanne@example.org"), ("app", "acc-jeanne")] {
        let text = told(pool, channel, recipient).await;
        assert!(
            text.contains("Nous passons jeudi matin."),
            "{channel}: {text}"
        );
        assert!(text.contains("Trou rebouché."), "{channel}: {text}");
        assert!(text.contains("notez la réponse"), "{channel}: {text}");
    }
    let in_app: Vec<String> =
        sqlx::query_scalar("SELECT body FROM messages WHERE account_id = 'acc-jeanne'")
            .fetch_all(pool)
            .await
            .unwrap();
    let in_app = in_app.join("\n");
    assert!(in_app.contains("Nous passons jeudi matin."), "{in_app}");
    assert!(in_app.contains("Trou rebouché."), "{in_app}");
    let invited: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM rating_invitations WHERE tracking_number = $1)",
    )
    .bind(NUMBER)
    .fetch_one(pool)
    .await
    .unwrap();
    assert!(invited, "the resolution invites to rate");
}

#[tokio::test]
async fn an_older_status_change_heard_last_neither_reopens_the_demand_nor_restores_its_old_title() {
    let service = common::start("ntf_order_status", "notifications.residents").await;
    let pool = &service.pool;
    let t0 = Utc::now().trunc_subsecs(6) - Duration::minutes(10);
    let filing = filed(t0, "");
    let started = status(
        t0 + Duration::minutes(1),
        Status::InProgress,
        "Équipe en route.",
    );
    // Resolved, under a title corrected meanwhile.
    let corrected = "Nid-de-poule — Cours Mirabeau, devant le n° 12";
    let resolution = titled(
        t0 + Duration::minutes(2),
        Status::Resolved,
        "Trou rebouché.",
        corrected,
    );

    // The change to « en cours » is heard after the resolution.
    let events = [&filing, &resolution, &started];
    publish_in_order(&service, &events).await;
    all_consumed(pool, &events).await;

    let demand = demand(pool).await;
    assert_eq!(demand.status, "resolved", "{demand:?}");
    assert_eq!(demand.title, corrected, "{demand:?}");
    assert_eq!(demand.department, "VOIRIE");
    // The resident was still told of both changes.
    let text = told(pool, "email", CONTACT).await;
    assert!(text.contains("bien été enregistrée"), "{text}");
    assert!(text.contains("Équipe en route."), "{text}");
    assert!(text.contains("Trou rebouché."), "{text}");
}

#[tokio::test]
async fn an_erasure_holds_against_a_claim_a_filing_and_an_address_request_heard_after_it() {
    let service = common::start("ntf_order_erased", "notifications.residents").await;
    let pool = &service.pool;
    let t0 = Utc::now().trunc_subsecs(6) - Duration::minutes(10);

    // Paul filed without an account, claimed the demand, then erased his account; the
    // erasure is heard first.
    let erasure = erased("acc-paul");
    publish_in_order(&service, &[&erasure]).await;
    all_consumed(pool, &[&erasure]).await;
    let filing = filed(t0, "");
    let claim = claimed(t0 + Duration::minutes(1), "acc-paul");
    let note = message(t0 + Duration::minutes(2), "Nous passons jeudi matin.");
    let request = verification("acc-paul", "paul@example.org", t0);
    let events = [&claim, &note, &filing, &request];
    publish_in_order(&service, &events).await;
    all_consumed(pool, &events).await;

    let demand = demand(pool).await;
    assert_eq!(demand.account_id, None, "{demand:?}");
    assert_eq!(demand.contact_email, "", "{demand:?}");
    for needle in ["acc-paul", "paul@example.org", CONTACT] {
        let rows = testing::rows_mentioning(pool, needle).await.unwrap();
        assert!(rows.is_empty(), "{needle} back in {rows:#?}");
    }

    // Another resident's address requests, heard newest first: the newer address stays.
    let older = verification("acc-ines", "ines@ancien.example.org", t0);
    let newer = verification("acc-ines", "ines@example.org", t0 + Duration::minutes(5));
    let events = [&newer, &older];
    publish_in_order(&service, &events).await;
    all_consumed(pool, &events).await;
    let email: String =
        sqlx::query_scalar("SELECT email FROM accounts WHERE account_id = 'acc-ines'")
            .fetch_one(pool)
            .await
            .unwrap();
    assert_eq!(email, "ines@example.org");
}
