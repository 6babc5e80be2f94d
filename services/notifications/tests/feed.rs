//! The notifications service turns demand events into agent feed items, exactly once,
//! against real PostgreSQL and RabbitMQ.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::Utc;
use guichet_kit::{
    auth::with_bearer,
    bus::{self, Event, outbox},
    db, grpc, testing,
};
use guichet_proto::{
    demand::v1::{Author, AuthorRole, DemandKind, Status},
    events::v1::{ComplaintFiled, DemandMessagePosted, DemandStatusChanged},
    notifications::v1::{FeedItem, ListFeedRequest, feed_client::FeedClient},
};
use sqlx::{PgPool, migrate::Migrator};

mod common;

struct Fixture {
    service: common::Service,
    feed: FeedClient<grpc::TracedChannel>,
    /// A producer's database with the kit's outbox, standing in for a domain service.
    producer: PgPool,
}

async fn start(hint: &str) -> Fixture {
    let service = common::start(hint, "notifications.feed").await;
    let producer = db::connect(
        &testing::database(&format!("{hint}_producer")),
        &Migrator::DEFAULT,
    )
    .await
    .unwrap();
    Fixture {
        feed: FeedClient::new(service.channel.clone()),
        service,
        producer,
    }
}

fn filed(tracking: &str, department: &str) -> Event {
    let body = ComplaintFiled {
        tracking_number: tracking.into(),
        category: "NID_DE_POULE".into(),
        category_label: "Nid-de-poule / chaussée dégradée".into(),
        department: department.into(),
        address: "Cours Mirabeau".into(),
        ..Default::default()
    };
    Event::new(
        "/guichet/complaints",
        "complaints.complaint.filed",
        tracking,
        Utc::now(),
        &body,
    )
}

impl Fixture {
    /// The feed as an agent of `department` (with `themes`) sees it.
    async fn items_as(
        &mut self,
        department: &str,
        themes: &[&str],
    ) -> Result<Vec<FeedItem>, tonic::Status> {
        let token = self
            .service
            .issuer
            .agent("Agent", &[department], themes, "web");
        self.feed
            .list_feed(with_bearer(
                tonic::Request::new(ListFeedRequest::default()),
                Some(&token),
            ))
            .await
            .map(|r| r.into_inner().items)
    }

    async fn items(&mut self, department: &str) -> Vec<FeedItem> {
        self.items_as(department, &[]).await.unwrap()
    }

    async fn wait_for(&mut self, department: &str, tracking: &str) -> Vec<FeedItem> {
        let feed = self.feed.clone();
        let token = self
            .service
            .issuer
            .agent("Agent", &[department], &[], "web");
        let items = testing::eventually(|| {
            let mut feed = feed.clone();
            let request = with_bearer(
                tonic::Request::new(ListFeedRequest::default()),
                Some(&token),
            );
            async move {
                let items = feed.list_feed(request).await.ok()?.into_inner().items;
                items
                    .iter()
                    .any(|i| i.tracking_number == tracking)
                    .then_some(items)
            }
        })
        .await;
        items.unwrap_or_else(|| panic!("{tracking} never reached the {department} feed"))
    }

    async fn commit(&self, event: &Event) {
        let mut tx = self.producer.begin().await.unwrap();
        bus::enqueue(&mut tx, event).await.unwrap();
        guichet_kit::bus::commit(tx).await.unwrap();
    }
}

#[tokio::test]
async fn a_filed_complaint_appears_in_its_department_feed_only() {
    let mut f = start("feed").await;
    f.service
        .publisher
        .publish(&filed("CAAA-AAAA-AAAA-A1", "VOIRIE"))
        .await
        .unwrap();
    let items = f.wait_for("VOIRIE", "CAAA-AAAA-AAAA-A1").await;
    assert_eq!(items.len(), 1);
    assert_eq!(
        items[0].title,
        "Nouvelle doléance : Nid-de-poule / chaussée dégradée — Cours Mirabeau"
    );
    assert_eq!(items[0].event_type, "complaints.complaint.filed");
    assert_eq!(items[0].kind(), DemandKind::Complaint);
    assert!(f.items("POLICE_MUN").await.is_empty());
    // The MRU desk handles every complaint theme, whatever the department.
    let desk = f
        .items_as("MRU", &["complaint:NID_DE_POULE"])
        .await
        .unwrap();
    assert_eq!(desk.len(), 1);
}

#[tokio::test]
async fn only_agents_read_feeds_and_only_their_departments() {
    let mut f = start("feedrights").await;
    let resident = f.service.issuer.resident("alice");
    let refused = f
        .feed
        .list_feed(with_bearer(
            tonic::Request::new(ListFeedRequest::default()),
            Some(&resident),
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    let anonymous = f
        .feed
        .list_feed(ListFeedRequest::default())
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), tonic::Code::Unauthenticated);
    let roads = f.service.issuer.agent("Karim", &["VOIRIE"], &[], "web");
    let other = ListFeedRequest {
        departments: vec!["POLICE_MUN".into()],
        ..Default::default()
    };
    let refused = f
        .feed
        .list_feed(with_bearer(tonic::Request::new(other), Some(&roads)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
}

#[tokio::test]
async fn a_relay_killed_between_publishing_and_marking_still_shows_one_item() {
    let mut f = start("relaykill").await;
    f.commit(&filed("CBBB-BBBB-BBBB-B1", "PROPRETE")).await;
    // The relay publishes, then dies before stamping the row…
    let (tx, events) = outbox::lock_pending(&f.producer).await.unwrap();
    outbox::publish_all(&f.service.publisher, &events)
        .await
        .unwrap();
    tx.rollback().await.unwrap(); // what a dead relay's closed connection does
    // …so the next relay publishes the same event again.
    assert_eq!(
        outbox::relay_once(&f.producer, &f.service.publisher)
            .await
            .unwrap(),
        1
    );

    f.commit(&filed("CSEN-TINE-LLLL-L1", "PROPRETE")).await;
    assert_eq!(
        outbox::relay_once(&f.producer, &f.service.publisher)
            .await
            .unwrap(),
        1
    );
    let items = f.wait_for("PROPRETE", "CSEN-TINE-LLLL-L1").await;
    let copies = items
        .iter()
        .filter(|i| i.tracking_number == "CBBB-BBBB-BBBB-B1")
        .count();
    assert_eq!(copies, 1, "the feed shows one item: {items:?}");
}

#[tokio::test]
async fn residents_messages_and_status_changes_reach_the_feed_but_agents_messages_do_not() {
    let mut f = start("messages").await;
    let message = |role: AuthorRole, text: &str| {
        let body = DemandMessagePosted {
            tracking_number: "CCCC-CCCC-CCCC-C1".into(),
            kind: DemandKind::Complaint as i32,
            department: "ECLAIRAGE".into(),
            author: Some(Author {
                role: role as i32,
                ..Default::default()
            }),
            text: text.into(),
            title: "Éclairage public en panne".into(),
            ..Default::default()
        };
        Event::new(
            "/guichet/complaints",
            "complaints.demand.message_posted",
            "CCCC-CCCC-CCCC-C1",
            Utc::now(),
            &body,
        )
    };
    f.service
        .publisher
        .publish(&message(AuthorRole::Agent, "Nous passons demain."))
        .await
        .unwrap();
    f.service
        .publisher
        .publish(&message(AuthorRole::Resident, "Toujours en panne ce soir."))
        .await
        .unwrap();
    let resolved = DemandStatusChanged {
        tracking_number: "CDDD-DDDD-DDDD-D1".into(),
        kind: DemandKind::Complaint as i32,
        department: "ECLAIRAGE".into(),
        status: Status::Resolved as i32,
        title: "Éclairage public en panne — Rue d'Italie".into(),
        ..Default::default()
    };
    f.service
        .publisher
        .publish(&Event::new(
            "/guichet/complaints",
            "complaints.demand.status_changed",
            "CDDD-DDDD-DDDD-D1",
            Utc::now(),
            &resolved,
        ))
        .await
        .unwrap();
    let items = f.wait_for("ECLAIRAGE", "CDDD-DDDD-DDDD-D1").await;
    let titles: Vec<&str> = items.iter().map(|i| i.title.as_str()).collect();
    assert_eq!(
        titles,
        [
            "Résolue : Éclairage public en panne — Rue d'Italie",
            "Nouveau message de l'usager : Éclairage public en panne",
        ]
    );
}

/// Two writers on two replicas: the second waits for the first to commit, so feed
/// positions follow commit order and a stream resumed after `Last-Event-ID` misses
/// nothing.
#[tokio::test]
async fn feed_positions_follow_commit_order_across_writers() {
    use guichet_kit::bus::Handler as _;
    use guichet_notifications::feed::FeedWriter;

    let f = start("ntf_order").await;
    let pool = &f.service.pool;
    let mut first = pool.begin().await.unwrap();
    FeedWriter
        .handle(&mut first, &filed("CAAA-AAAA-AAAA-A1", "VOIRIE"))
        .await
        .unwrap();
    let second = tokio::spawn({
        let pool = pool.clone();
        async move {
            let mut tx = pool.begin().await.unwrap();
            FeedWriter
                .handle(&mut tx, &filed("CAAA-AAAA-AAAA-B2", "VOIRIE"))
                .await
                .unwrap();
            guichet_kit::bus::commit(tx).await.unwrap();
        }
    });
    // The second writer waits on the feed's lock while the first is open.
    let waiting = testing::eventually(|| async {
        let waiting: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM pg_stat_activity
             WHERE datname = current_database() AND wait_event_type = 'Lock'
               AND wait_event = 'advisory'",
        )
        .fetch_one(pool)
        .await
        .unwrap();
        (waiting == 1).then_some(())
    })
    .await;
    assert!(
        waiting.is_some(),
        "the second writer did not wait for the first"
    );
    assert!(!second.is_finished());
    guichet_kit::bus::commit(first).await.unwrap();
    second.await.unwrap();
    let order: Vec<String> =
        sqlx::query_scalar("SELECT tracking_number FROM feed_items ORDER BY seq")
            .fetch_all(pool)
            .await
            .unwrap();
    assert_eq!(order, ["CAAA-AAAA-AAAA-A1", "CAAA-AAAA-AAAA-B2"]);
}
