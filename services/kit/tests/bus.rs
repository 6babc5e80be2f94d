//! The event bus against real PostgreSQL and RabbitMQ: outbox, relay and idempotent
//! consumers. Each test has its own database and vhost.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

mod common;

use std::sync::{
    Arc,
    atomic::{AtomicUsize, Ordering},
};

use guichet_kit::{
    bus::{self, Bus, Event, Handler, Publisher, Subscription, consumer, outbox},
    config::AmqpConfig,
    db, testing,
};
use guichet_proto::events::v1::ComplaintFiled;
use secrecy::ExposeSecret as _;
use sqlx::{PgConnection, PgPool, migrate::Migrator};
use tokio_util::sync::CancellationToken;

struct Fixture {
    pool: PgPool,
    bus: Bus,
    subscription: Subscription,
    stop: CancellationToken,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn fixture(hint: &str) -> Fixture {
    testing::init_logs();
    let pool = db::connect(&testing::database(hint), &Migrator::DEFAULT)
        .await
        .expect("test database");
    // `tx`: which transaction applied it, to tell events applied together.
    sqlx::query(
        "CREATE TABLE effects (event_id UUID NOT NULL, subject TEXT NOT NULL,
            tx BIGINT NOT NULL DEFAULT txid_current())",
    )
    .execute(&pool)
    .await
    .unwrap();
    let bus = Bus::new(testing::vhost(hint).await.expect("test vhost"));
    let subscription = Subscription::new("test.effects", &["complaints.#"]);
    // Declared up front so events published before the consumer starts are routed.
    common::declare(&bus, &subscription).await;
    Fixture {
        pool,
        bus,
        subscription,
        stop: CancellationToken::new(),
    }
}

/// Writes one row per event applied; fails every time for the subject `poison`, and
/// takes its time over `slow`.
#[derive(Clone, Default)]
struct Recorder {
    poison_calls: Arc<AtomicUsize>,
}

impl Handler for Recorder {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
        let body: ComplaintFiled = event.decode()?;
        sqlx::query("INSERT INTO effects (event_id, subject) VALUES ($1, $2)")
            .bind(event.id)
            .bind(&body.tracking_number)
            .execute(&mut *conn)
            .await?;
        if event.subject == "slow" {
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        }
        if event.subject == "poison" {
            self.poison_calls.fetch_add(1, Ordering::SeqCst);
            anyhow::bail!("this event always fails");
        }
        Ok(())
    }
}

impl Fixture {
    async fn commit(&self, event: &Event) {
        let mut tx = self.pool.begin().await.unwrap();
        bus::enqueue(&mut tx, event).await.unwrap();
        guichet_kit::bus::commit(tx).await.unwrap();
    }

    fn start_consumer(&self, recorder: Recorder) {
        tokio::spawn(bus::consume(
            self.bus.clone(),
            self.pool.clone(),
            self.subscription.clone(),
            recorder,
            self.stop.clone(),
        ));
    }

    fn start_relay(&self) {
        tokio::spawn(bus::relay(
            self.pool.clone(),
            self.bus.clone(),
            self.stop.clone(),
        ));
    }

    async fn effects(&self, subject: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM effects WHERE subject = $1")
            .bind(subject)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Waits until `subject` has been applied: deliveries are processed in order, so
    /// everything published before it has been handled too.
    async fn wait_applied(&self, subject: &str) {
        let applied =
            testing::eventually(|| async { (self.effects(subject).await > 0).then_some(()) }).await;
        assert!(applied.is_some(), "{subject} was never applied");
    }

    async fn depth(&self, queue: &str) -> u32 {
        consumer::queue_depth(&self.bus, queue).await.unwrap()
    }
}

#[tokio::test]
async fn a_rolled_back_transaction_publishes_nothing() {
    let f = fixture("rollback").await;
    let mut tx = f.pool.begin().await.unwrap();
    bus::enqueue(&mut tx, &common::filed("rolled-back"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    let publisher = Publisher::open(&f.bus).await.unwrap();
    assert_eq!(outbox::relay_once(&f.pool, &publisher).await.unwrap(), 0);
    assert_eq!(outbox::pending(&f.pool).await.unwrap(), 0);
    assert_eq!(f.depth(&f.subscription.name).await, 0);
}

#[tokio::test]
async fn a_committed_event_reaches_the_consumer_with_its_attributes() {
    let f = fixture("commit").await;
    let sent = common::filed("committed");
    f.commit(&sent).await;
    f.start_relay();
    f.start_consumer(Recorder::default());
    f.wait_applied("committed").await;

    let stored: uuid::Uuid =
        sqlx::query_scalar("SELECT event_id FROM effects WHERE subject = 'committed'")
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert_eq!(stored, sent.id, "the CloudEvents id survives the trip");
    let published = testing::eventually(|| async {
        (outbox::pending(&f.pool).await.unwrap() == 0).then_some(())
    })
    .await;
    assert!(
        published.is_some(),
        "the outbox row is stamped once confirmed"
    );
}

#[tokio::test]
async fn a_relay_killed_between_publishing_and_marking_leads_to_one_effect() {
    let f = fixture("relaykill").await;
    f.commit(&common::filed("twice-published")).await;

    // A relay publishes the batch, then dies before stamping: its transaction rolls back.
    let publisher = Publisher::open(&f.bus).await.unwrap();
    let (tx, events) = outbox::lock_pending(&f.pool).await.unwrap();
    assert_eq!(events.len(), 1);
    outbox::publish_all(&publisher, &events).await.unwrap();
    tx.rollback().await.unwrap(); // what a dead relay's closed connection does
    assert_eq!(
        outbox::pending(&f.pool).await.unwrap(),
        1,
        "the row is still pending"
    );

    // The next relay publishes it again.
    assert_eq!(outbox::relay_once(&f.pool, &publisher).await.unwrap(), 1);
    assert_eq!(outbox::pending(&f.pool).await.unwrap(), 0);
    assert_eq!(
        f.depth(&f.subscription.name).await,
        2,
        "two deliveries of one event"
    );

    f.commit(&common::filed("sentinel")).await;
    assert_eq!(outbox::relay_once(&f.pool, &publisher).await.unwrap(), 1);
    f.start_consumer(Recorder::default());
    f.wait_applied("sentinel").await;
    assert_eq!(f.effects("twice-published").await, 1);
}

#[tokio::test]
async fn an_event_delivered_twice_changes_nothing() {
    let f = fixture("twice").await;
    let publisher = Publisher::open(&f.bus).await.unwrap();
    let same = common::filed("duplicate");
    publisher.publish(&same).await.unwrap();
    publisher.publish(&same).await.unwrap();
    publisher.publish(&common::filed("sentinel")).await.unwrap();

    f.start_consumer(Recorder::default());
    f.wait_applied("sentinel").await;
    assert_eq!(f.effects("duplicate").await, 1);
    let recorded: i64 = sqlx::query_scalar("SELECT count(*) FROM kit.inbox WHERE event_id = $1")
        .bind(same.id)
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(recorded, 1);
}

#[tokio::test]
async fn a_message_that_always_fails_is_dead_lettered_and_the_queue_keeps_flowing() {
    let f = fixture("poison").await;
    let publisher = Publisher::open(&f.bus).await.unwrap();
    publisher.publish(&common::filed("poison")).await.unwrap();
    publisher.publish(&common::filed("healthy")).await.unwrap();

    let recorder = Recorder::default();
    f.start_consumer(recorder.clone());
    f.wait_applied("healthy").await;

    let dead = f.subscription.dead_queue();
    let parked = testing::eventually(|| async { (f.depth(&dead).await == 1).then_some(()) }).await;
    assert!(parked.is_some(), "the failing message ends in {dead}");
    let max_retries = f.bus.config().max_retries as usize;
    assert_eq!(
        recorder.poison_calls.load(Ordering::SeqCst),
        1 + max_retries
    );
    assert_eq!(
        f.effects("poison").await,
        0,
        "failed attempts roll back their writes"
    );
    assert_eq!(f.depth(&f.subscription.name).await, 0);

    // Later messages still flow.
    publisher.publish(&common::filed("after")).await.unwrap();
    f.wait_applied("after").await;
}

#[tokio::test]
async fn events_waiting_together_are_applied_together_and_one_that_fails_spoils_none_of_the_others()
{
    let f = fixture("batch").await;
    let publisher = Publisher::open(&f.bus).await.unwrap();
    // Published before the consumer starts; while it takes its time over the first,
    // the other nine reach it and wait, as under load.
    publisher.publish(&common::filed("slow")).await.unwrap();
    for i in 1..10 {
        let subject = if i == 4 {
            "poison".to_owned()
        } else {
            format!("ok-{i}")
        };
        publisher.publish(&common::filed(&subject)).await.unwrap();
    }
    let recorder = Recorder::default();
    f.start_consumer(recorder.clone());
    f.wait_applied("ok-9").await;
    for i in (1..10).filter(|i| *i != 4) {
        assert_eq!(
            f.effects(&format!("ok-{i}")).await,
            1,
            "ok-{i} applied once"
        );
    }
    let transactions: i64 =
        sqlx::query_scalar("SELECT count(DISTINCT tx) FROM effects WHERE subject LIKE 'ok-%'")
            .fetch_one(&f.pool)
            .await
            .unwrap();
    assert!(
        transactions < 8,
        "the eight that waited were applied together, not in {transactions} transactions"
    );
    let dead = f.subscription.dead_queue();
    let parked = testing::eventually(|| async { (f.depth(&dead).await == 1).then_some(()) }).await;
    assert!(parked.is_some(), "the failing event ends in {dead}");
    assert_eq!(
        recorder.poison_calls.load(Ordering::SeqCst),
        1 + f.bus.config().max_retries as usize,
        "the failing event is tried as often as if it had come alone"
    );
    assert_eq!(f.effects("poison").await, 0, "its writes are rolled back");
}

#[tokio::test]
async fn a_commit_wakes_the_relay_without_waiting_for_its_poll() {
    let mut f = fixture("wake").await;
    // A poll far longer than the test: only the commit's wake can publish in time.
    f.bus = Bus::new(AmqpConfig {
        relay_poll_ms: 3_600_000,
        ..f.bus.config().clone()
    });
    f.commit(&common::filed("before")).await;
    f.start_consumer(Recorder::default());
    f.start_relay();
    // Its first pass took this one; the relay now waits.
    f.wait_applied("before").await;
    f.commit(&common::filed("after")).await;
    f.wait_applied("after").await;
}

#[tokio::test]
async fn connections_ask_for_small_frames_unless_the_url_says_otherwise() {
    // lapin zero-fills 32 frames each way per connection: 8 MiB at RabbitMQ's default.
    let amqp = testing::vhost("frames").await.unwrap();
    let small = Bus::new(amqp.clone()).connect().await.unwrap();
    assert_eq!(small.configuration().frame_max(), 16 * 1024);
    let url = format!("{}?frame_max=65536", amqp.url.expose_secret());
    let asked = Bus::new(AmqpConfig {
        url: url.into(),
        ..amqp
    })
    .connect()
    .await
    .unwrap();
    assert_eq!(asked.configuration().frame_max(), 65_536);
}

#[tokio::test]
async fn a_message_that_is_not_a_cloud_event_is_dead_lettered() {
    let f = fixture("garbage").await;
    let connection = f.bus.connect().await.unwrap();
    let channel = connection.create_channel().await.unwrap();
    channel
        .basic_publish(
            f.bus.config().exchange.as_str().into(),
            "complaints.complaint.filed".into(),
            Default::default(),
            b"not protobuf",
            Default::default(),
        )
        .await
        .unwrap();
    let publisher = Publisher::open(&f.bus).await.unwrap();
    publisher.publish(&common::filed("healthy")).await.unwrap();

    f.start_consumer(Recorder::default());
    f.wait_applied("healthy").await;
    let dead = f.subscription.dead_queue();
    let parked = testing::eventually(|| async { (f.depth(&dead).await == 1).then_some(()) }).await;
    assert!(parked.is_some());
}

#[tokio::test]
async fn the_inbox_forgets_events_consumed_long_ago_and_keeps_recent_ones() {
    let f = fixture("inbox_purge").await;
    sqlx::query(
        "INSERT INTO kit.inbox (consumer, event_id, processed_at) VALUES
         ('test.effects', gen_random_uuid(), now() - make_interval(days => $1 + 1)),
         ('test.effects', gen_random_uuid(), now() - interval '1 day')",
    )
    .bind(outbox::INBOX_DAYS)
    .execute(&f.pool)
    .await
    .unwrap();
    assert_eq!(outbox::purge_inbox(&f.pool).await.unwrap(), 1);
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM kit.inbox")
        .fetch_one(&f.pool)
        .await
        .unwrap();
    assert_eq!(left, 1, "a recent event is still remembered");
}
