//! A database outage is not a poison message: while PostgreSQL is down, a consumer hands
//! its deliveries back untouched and dead-letters nothing; once the database is back,
//! every event is applied once. The test crashes a PostgreSQL cluster of its own, never
//! the machine's shared server.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use std::time::Duration;

use guichet_kit::{
    bus::{self, Bus, Publisher, Subscription, consumer},
    config::{DatabaseConfig, ServerConfig},
    db, grpc,
    testing::{self, cluster::Cluster},
};
use sqlx::migrate::Migrator;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn events_consumed_while_the_database_is_down_are_applied_once_it_is_back() {
    testing::init_logs();
    let cluster = Cluster::start().unwrap();
    // A short wait for a connection, so the outage outlasts it many times over.
    let database = DatabaseConfig {
        acquire_timeout_ms: 300,
        ..cluster.database("outage")
    };
    let pool = db::connect(&database, &Migrator::DEFAULT).await.unwrap();
    sqlx::query("CREATE TABLE effects (event_id UUID PRIMARY KEY, subject TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    // Fast retries: with the old behaviour, an outage dead-letters within a second.
    let mut amqp = testing::vhost("outage").await.unwrap();
    amqp.max_retries = 1;
    amqp.retry_base_ms = 50;
    let bus = Bus::new(amqp);
    let subscription = Subscription::new("test.outage", &["complaints.#"]);
    common::declare(&bus, &subscription).await;
    let stop = CancellationToken::new();
    tokio::spawn(bus::consume(
        bus.clone(),
        pool.clone(),
        subscription.clone(),
        common::Recorder,
        stop.clone(),
    ));

    cluster.crash().unwrap();
    let publisher = Publisher::open(&bus).await.unwrap();
    for n in 0..3 {
        publisher
            .publish(&common::filed(&format!("e{n}")))
            .await
            .unwrap();
    }
    // Several pauses' worth of outage: each delivery is tried and handed back.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(
        consumer::queue_depth(&bus, &subscription.dead_queue())
            .await
            .unwrap(),
        0,
        "nothing dead-lettered during the outage"
    );
    cluster.start_again().unwrap();

    let applied = testing::eventually(|| async {
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM effects")
            .fetch_one(&pool)
            .await
            .ok()?;
        (count == 3).then_some(())
    })
    .await;
    assert!(
        applied.is_some(),
        "every event applied once the database is back"
    );
    assert_eq!(
        consumer::queue_depth(&bus, &subscription.dead_queue())
            .await
            .unwrap(),
        0
    );
    stop.cancel();
    publisher.close().await;
    testing::delete_vhost_blocking(bus.config());
}

#[tokio::test]
async fn a_services_health_follows_its_database() {
    testing::init_logs();
    let cluster = Cluster::start().unwrap();
    let database = DatabaseConfig {
        acquire_timeout_ms: 300,
        ..cluster.database("health")
    };
    let pool = db::connect(&database, &Migrator::DEFAULT).await.unwrap();
    let bus = Bus::new(testing::vhost("health").await.unwrap());
    let listener = grpc::bind(&ServerConfig::on_port(0)).await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let stop = CancellationToken::new();
    tokio::spawn(grpc::serve(
        listener,
        grpc::Services::default(),
        Some(grpc::Dependencies {
            pool,
            bus: bus.clone(),
        }),
        stop.clone().cancelled_owned(),
    ));
    let channel = grpc::connect_lazy(&url).unwrap();
    let serving = |want: bool| {
        let channel = channel.clone();
        async move {
            // A check every few seconds: allow for two of them.
            for _ in 0..60 {
                if grpc::is_serving(channel.clone()).await == want {
                    return true;
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            false
        }
    };
    assert!(serving(true).await, "serving with its database");
    cluster.crash().unwrap();
    assert!(serving(false).await, "not serving without its database");
    cluster.start_again().unwrap();
    assert!(serving(true).await, "serving again once it is back");
    stop.cancel();
    testing::delete_vhost_blocking(bus.config());
}
