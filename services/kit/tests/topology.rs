//! The broker topology is declared before anything is published, and an event no queue
//! takes is kept in the outbox and counted instead of vanishing. Real PostgreSQL and
//! RabbitMQ, one database and vhost per test.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use chrono::Utc;
use guichet_kit::{
    bus::{self, Bus, Event, Publisher, Subscription, consumer, outbox, topology},
    db, testing,
};
use guichet_proto::events::v1::AccountErased;
use sqlx::{PgPool, migrate::Migrator};

async fn fixture(hint: &str) -> (PgPool, Bus) {
    testing::init_logs();
    let pool = db::connect(&testing::database(hint), &Migrator::DEFAULT)
        .await
        .expect("test database");
    let mut amqp = testing::vhost(hint).await.expect("test vhost");
    amqp.unroutable_retry_ms = 300;
    (pool, Bus::new(amqp))
}

async fn commit(pool: &PgPool, event: &Event) {
    let mut tx = pool.begin().await.unwrap();
    bus::enqueue(&mut tx, event).await.unwrap();
    guichet_kit::bus::commit(tx).await.unwrap();
}

async fn depth(bus: &Bus, queue: &str) -> u32 {
    consumer::queue_depth(bus, queue).await.unwrap()
}

#[tokio::test]
async fn events_wait_in_their_queues_for_consumers_that_never_ran() {
    let (pool, bus) = fixture("firstrun").await;
    commit(&pool, &common::event("complaints.complaint.filed", "C1")).await;
    let erased = AccountErased {
        account_id: "a-1".to_owned(),
        ..Default::default()
    };
    commit(
        &pool,
        &Event::new("/test", "identity.account.erased", "", Utc::now(), &erased),
    )
    .await;

    // A fresh vhost, no consumer ever connected: the relay's publisher declares it all.
    let publisher = Publisher::open(&bus).await.unwrap();
    assert_eq!(outbox::relay_once(&pool, &publisher).await.unwrap(), 2);
    assert_eq!(outbox::pending(&pool).await.unwrap(), 0);
    assert_eq!(depth(&bus, topology::NOTIFICATIONS_FEED.name).await, 1);
    assert_eq!(depth(&bus, topology::NOTIFICATIONS_RESIDENTS.name).await, 2);
    for queue in [
        topology::TELESERVICES_PRIVACY,
        topology::COMPLAINTS_PRIVACY,
        topology::RAPO_PRIVACY,
    ] {
        assert_eq!(depth(&bus, queue.name).await, 1, "{}", queue.name);
        let dead = queue.subscription().dead_queue();
        assert_eq!(depth(&bus, &dead).await, 0, "{dead} exists, empty");
    }
}

#[tokio::test]
async fn an_event_no_queue_takes_stays_in_the_outbox_until_one_does() {
    let (pool, bus) = fixture("unroutable").await;
    let orphan = common::event("tests.orphan.happened", "O1");
    commit(&pool, &orphan).await;
    commit(&pool, &common::event("complaints.complaint.filed", "C2")).await;

    let publisher = Publisher::open(&bus).await.unwrap();
    assert_eq!(outbox::relay_once(&pool, &publisher).await.unwrap(), 2);
    assert_eq!(
        outbox::pending(&pool).await.unwrap(),
        1,
        "the unroutable event is not marked published"
    );
    assert_eq!(outbox::unroutable(&pool).await.unwrap(), 1);
    assert_eq!(
        depth(&bus, topology::NOTIFICATIONS_FEED.name).await,
        1,
        "its neighbour went through"
    );
    assert_eq!(
        outbox::relay_once(&pool, &publisher).await.unwrap(),
        0,
        "set aside, it does not hold up the relay"
    );

    // A consumer for it appears; the next try, once its wait is over, delivers it.
    let subscription = Subscription::new("tests.orphans", &["tests.orphan.#"]);
    common::declare(&bus, &subscription).await;
    let delivered = testing::eventually(|| async {
        outbox::relay_once(&pool, &publisher).await.unwrap();
        (outbox::pending(&pool).await.unwrap() == 0).then_some(())
    })
    .await;
    assert!(delivered.is_some(), "the kept event is published at last");
    assert_eq!(depth(&bus, "tests.orphans").await, 1);
    assert_eq!(outbox::unroutable(&pool).await.unwrap(), 0);
}

#[tokio::test]
async fn kinds_nobody_consumes_yet_are_published_without_being_kept() {
    let (pool, bus) = fixture("unconsumed").await;
    for kind in topology::UNCONSUMED {
        commit(&pool, &common::event(kind, "R1")).await;
    }
    let publisher = Publisher::open(&bus).await.unwrap();
    outbox::relay_once(&pool, &publisher).await.unwrap();
    assert_eq!(outbox::pending(&pool).await.unwrap(), 0);
    assert_eq!(outbox::unroutable(&pool).await.unwrap(), 0);
}
