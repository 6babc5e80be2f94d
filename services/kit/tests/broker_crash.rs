//! A broker crash loses nothing and applies nothing twice: events written to the outbox
//! before, during and after RabbitMQ is killed (SIGKILL) and restarted all reach the
//! consumer, each applied exactly once, with nothing left unpublished or dead-lettered.
//! The test kills a RabbitMQ node of its own, never the machine's shared one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use std::{collections::BTreeSet, time::Duration};

use guichet_kit::{
    bus::{self, Bus, Subscription, consumer, outbox},
    db,
    testing::{self, broker::Broker},
};
use sqlx::{PgPool, migrate::Migrator};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

/// Events per batch; three batches.
const BATCH: usize = 100;

/// Commits `BATCH` events, one transaction each as a service would, and returns their ids.
async fn enqueue_batch(pool: &PgPool, batch: &str) -> Vec<Uuid> {
    let mut ids = Vec::with_capacity(BATCH);
    for n in 0..BATCH {
        let event = common::filed(&format!("{batch}-{n}"));
        let mut tx = pool.begin().await.unwrap();
        bus::enqueue(&mut tx, &event).await.unwrap();
        guichet_kit::bus::commit(tx).await.unwrap();
        ids.push(event.id);
    }
    ids
}

/// Polls `check` until it returns `Some` or `limit` passes.
async fn within<T, F, Fut>(limit: Duration, mut check: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        if let Some(value) = check().await {
            return Some(value);
        }
        if tokio::time::Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn effects(pool: &PgPool) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM effects")
        .fetch_one(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_around_a_broker_crash_are_each_applied_exactly_once() {
    testing::init_logs();
    // Starting and restarting block for seconds: off the runtime's workers, so the relay
    // and the consumer keep retrying meanwhile, as they would in production.
    let broker = tokio::task::block_in_place(Broker::start).unwrap();
    let pool = db::connect(&testing::database("broker_crash"), &Migrator::DEFAULT)
        .await
        .expect("test database");
    sqlx::query("CREATE TABLE effects (event_id UUID NOT NULL, subject TEXT NOT NULL)")
        .execute(&pool)
        .await
        .unwrap();
    let bus = Bus::new(broker.amqp());
    let subscription = Subscription::new("test.crash", &["complaints.#"]);
    let stop = CancellationToken::new();
    tokio::spawn(bus::consume(
        bus.clone(),
        pool.clone(),
        subscription.clone(),
        common::Recorder,
        stop.clone(),
    ));
    tokio::spawn(bus::relay(pool.clone(), bus.clone(), stop.clone()));
    // Events published before the consumer declared its queue would be unroutable.
    let declared = testing::eventually(|| async {
        consumer::queue_depth(&bus, &subscription.name).await.ok()
    })
    .await;
    assert!(declared.is_some(), "the consumer declares its queue");

    let mut sent = enqueue_batch(&pool, "before").await;
    // Crash while the first batch is crossing: some applied, the rest in flight.
    let flowing = testing::eventually(|| async { (effects(&pool).await > 0).then_some(()) }).await;
    assert!(flowing.is_some(), "events flow before the crash");
    tokio::task::block_in_place(|| broker.kill()).unwrap();

    sent.extend(enqueue_batch(&pool, "during").await);
    tokio::time::sleep(Duration::from_secs(2)).await;
    tokio::task::block_in_place(|| broker.start_again()).unwrap();
    sent.extend(enqueue_batch(&pool, "after").await);

    // Longer than `testing::eventually`: a node just restarted still recovers its quorum
    // queues, and the clients come back after their back-off.
    let all_applied = within(Duration::from_secs(45), || async {
        (effects(&pool).await >= sent.len() as i64).then_some(())
    })
    .await;
    assert!(
        all_applied.is_some(),
        "only {} of {} events applied; {} still in the outbox",
        effects(&pool).await,
        sent.len(),
        outbox::pending(&pool).await.unwrap()
    );
    // Redeliveries of events already applied are still being skipped: let them settle.
    let drained = testing::eventually(|| async {
        (consumer::queue_depth(&bus, &subscription.name).await.ok()? == 0).then_some(())
    })
    .await;
    assert!(drained.is_some(), "the queue drains");

    let applied: Vec<Uuid> = sqlx::query_scalar("SELECT event_id FROM effects")
        .fetch_all(&pool)
        .await
        .unwrap();
    let distinct: BTreeSet<Uuid> = applied.iter().copied().collect();
    assert_eq!(applied.len(), distinct.len(), "no event applied twice");
    assert_eq!(
        distinct,
        sent.iter().copied().collect::<BTreeSet<Uuid>>(),
        "every event applied, and nothing else"
    );
    let published =
        testing::eventually(|| async { (outbox::pending(&pool).await.ok()? == 0).then_some(()) })
            .await;
    assert!(published.is_some(), "no outbox row left unpublished");
    assert_eq!(
        consumer::queue_depth(&bus, &subscription.dead_queue())
            .await
            .unwrap(),
        0,
        "nothing dead-lettered"
    );
    stop.cancel();
}
