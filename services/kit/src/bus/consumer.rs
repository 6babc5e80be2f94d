//! Idempotent consumers. Each consumer owns a quorum queue `<consumer>.<purpose>` bound to
//! the events it needs. A delivery is processed in one database transaction that also
//! records the event id in `kit.inbox`, and acknowledged only after that commit: a second
//! delivery of the same event changes nothing. A failure is retried through delay queues
//! (`<queue>.retry.<n>`, back-off doubling each time), then parked in `<queue>.dead`, and
//! the queue keeps flowing. Only the handler's own refusals count: while the database is
//! away, deliveries go back to the queue untouched, after a pause.

use std::{future::Future, time::Duration};

use anyhow::Context as _;
use futures::{FutureExt as _, StreamExt as _};
use lapin::{
    Channel,
    message::Delivery,
    options::{
        BasicAckOptions, BasicConsumeOptions, BasicNackOptions, BasicQosOptions, QueueBindOptions,
        QueueDeclareOptions,
    },
    types::{AMQPValue, FieldTable, ShortString},
};
use sqlx::{PgConnection, PgPool};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;

use super::{Bus, Event, Publisher};

/// Header counting how many times a message has been retried.
const ATTEMPT_HEADER: &str = "x-guichet-attempt";
/// Header saying why a message was dead-lettered.
const ERROR_HEADER: &str = "x-guichet-error";
const BACKOFF: Duration = Duration::from_secs(1);
/// How long a consumer waits before handing a delivery back while the database is away.
const OUTAGE_PAUSE: Duration = Duration::from_secs(2);
/// How often a waiting consumer checks that its connection still stands, and the
/// longest it waits for the broker to take an acknowledgement: a connection lost
/// without the delivery stream noticing (seen when the broker is killed under load)
/// must end in a reconnection, never in a consumer waiting for good. What was applied
/// and not acknowledged comes back and is recognised by the inbox.
const BROKER_WATCH: Duration = Duration::from_secs(5);

/// What a consumer listens to.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// `<consumer>.<purpose>` (`notifications.feed`): the queue name and inbox key.
    pub name: String,
    /// Routing-key patterns bound to the queue (`complaints.#`, `*.demand.*`).
    pub bindings: Vec<String>,
}

impl Subscription {
    pub fn new(name: &str, bindings: &[&str]) -> Self {
        Self {
            name: name.to_owned(),
            bindings: bindings.iter().map(|b| (*b).to_owned()).collect(),
        }
    }

    pub fn retry_queue(&self, attempt: u32) -> String {
        format!("{}.retry.{attempt}", self.name)
    }

    pub fn dead_queue(&self) -> String {
        format!("{}.dead", self.name)
    }
}

/// A consumer's domain logic: apply one event inside the transaction it is given.
/// Returning an error rolls the transaction back and schedules a retry.
pub trait Handler: Send + Sync + 'static {
    fn handle(
        &self,
        conn: &mut PgConnection,
        event: &Event,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Consumes until `shutdown` is cancelled, reconnecting after broker failures. The
/// message in hand is finished and acknowledged before returning.
pub async fn consume<H: Handler>(
    bus: Bus,
    pool: PgPool,
    subscription: Subscription,
    handler: H,
    shutdown: CancellationToken,
) {
    while !shutdown.is_cancelled() {
        if let Err(error) =
            consume_until_failure(&bus, &pool, &subscription, &handler, &shutdown).await
        {
            tracing::warn!(
                consumer = %subscription.name,
                error = format!("{error:#}"),
                "consumer failed; reconnecting"
            );
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(BACKOFF) => {}
            }
        }
    }
}

/// Declares the consumer's queues (idempotent): the main quorum queue with its bindings,
/// one delay queue per retry that dead-letters back into it, and the dead-letter queue.
pub async fn declare(
    bus: &Bus,
    channel: &Channel,
    subscription: &Subscription,
) -> anyhow::Result<()> {
    bus.declare_exchange(channel).await?;
    let durable = QueueDeclareOptions {
        durable: true,
        ..QueueDeclareOptions::default()
    };
    let quorum = || {
        let mut args = FieldTable::default();
        args.insert(
            "x-queue-type".into(),
            AMQPValue::LongString("quorum".into()),
        );
        args
    };
    channel
        .queue_declare(subscription.name.as_str().into(), durable, quorum())
        .await
        .with_context(|| format!("declaring queue {}", subscription.name))?;
    for binding in &subscription.bindings {
        channel
            .queue_bind(
                subscription.name.as_str().into(),
                bus.config().exchange.as_str().into(),
                binding.as_str().into(),
                QueueBindOptions::default(),
                FieldTable::default(),
            )
            .await
            .with_context(|| format!("binding {} to {binding}", subscription.name))?;
    }
    let cfg = bus.config();
    for attempt in 1..=cfg.max_retries {
        let mut args = quorum();
        let delay = retry_delay(cfg.retry_base_ms, attempt);
        args.insert(
            "x-message-ttl".into(),
            AMQPValue::LongLongInt(i64::try_from(delay).unwrap_or(i64::MAX)),
        );
        args.insert(
            "x-dead-letter-exchange".into(),
            AMQPValue::LongString("".into()),
        );
        args.insert(
            "x-dead-letter-routing-key".into(),
            AMQPValue::LongString(subscription.name.clone().into()),
        );
        // At-least-once dead-lettering: a broker crash while a retry expires loses nothing.
        args.insert(
            "x-dead-letter-strategy".into(),
            AMQPValue::LongString("at-least-once".into()),
        );
        args.insert(
            "x-overflow".into(),
            AMQPValue::LongString("reject-publish".into()),
        );
        let queue = subscription.retry_queue(attempt);
        channel
            .queue_declare(queue.as_str().into(), durable, args)
            .await
            .with_context(|| format!("declaring queue {queue}"))?;
    }
    let dead = subscription.dead_queue();
    channel
        .queue_declare(dead.as_str().into(), durable, quorum())
        .await
        .with_context(|| format!("declaring queue {dead}"))?;
    Ok(())
}

/// Delay before retry number `attempt` (1-based): base, 2×base, 4×base…
fn retry_delay(base_ms: u64, attempt: u32) -> u64 {
    base_ms.saturating_mul(1u64 << attempt.saturating_sub(1).min(20))
}

async fn consume_until_failure<H: Handler>(
    bus: &Bus,
    pool: &PgPool,
    subscription: &Subscription,
    handler: &H,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let connection = bus.connect().await?;
    let channel = connection
        .create_channel()
        .await
        .context("opening a channel")?;
    declare(bus, &channel, subscription).await?;
    channel
        .basic_qos(bus.config().prefetch, BasicQosOptions::default())
        .await
        .context("setting prefetch")?;
    let publisher = Publisher::open(bus).await?;
    let mut deliveries = channel
        .basic_consume(
            subscription.name.as_str().into(),
            ShortString::from(format!("{}-{}", subscription.name, uuid::Uuid::new_v4())),
            BasicConsumeOptions::default(),
            FieldTable::default(),
        )
        .await
        .context("starting to consume")?;
    tracing::info!(consumer = %subscription.name, "consuming");
    let mut watch = tokio::time::interval(BROKER_WATCH);
    watch.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let outcome = loop {
        // The delivery in hand is processed outside the select, so shutdown never
        // interrupts it half-way.
        let delivery = tokio::select! {
            biased;
            () = shutdown.cancelled() => break Ok(()),
            delivery = deliveries.next() => delivery,
            _ = watch.tick() => {
                if connection.status().connected() && channel.status().connected() {
                    continue;
                }
                break Err(anyhow::anyhow!("the connection to the broker is lost"));
            }
        };
        match delivery {
            None => break Err(anyhow::anyhow!("the broker cancelled the consumer")),
            Some(Err(error)) => break Err(error).context("receiving a delivery"),
            Some(Ok(delivery)) => {
                // What the broker has already sent is applied in one transaction: under
                // load one commit serves many events, and order is kept.
                let mut batch = vec![delivery];
                let mut ended = None;
                while batch.len() < usize::from(bus.config().prefetch.max(1)) {
                    match deliveries.next().now_or_never() {
                        Some(Some(Ok(delivery))) => batch.push(delivery),
                        Some(Some(Err(error))) => {
                            ended = Some(Err(
                                anyhow::Error::from(error).context("receiving a delivery")
                            ));
                            break;
                        }
                        Some(None) => {
                            ended = Some(Err(anyhow::anyhow!("the broker cancelled the consumer")));
                            break;
                        }
                        None => break,
                    }
                }
                if let Err(error) =
                    settle(bus, pool, subscription, handler, &publisher, &batch).await
                {
                    break Err(error);
                }
                if let Some(ended) = ended {
                    break ended;
                }
            }
        }
    };
    // Closing waits for the broker's Close-Ok: one that stopped answering gets the same
    // few seconds as an acknowledgement, then the connection is dropped.
    let closed = async {
        publisher.close().await;
        channel.close(200, "bye".into()).await.ok();
        connection.close(200, "bye".into()).await.ok();
    };
    tokio::time::timeout(BROKER_WATCH, closed).await.ok();
    outcome
}

/// Applies a batch of deliveries in one transaction, each event behind its own
/// savepoint so one that fails leaves the others applied, then settles each: a failed
/// one goes to its retry or dead-letter queue as if processed alone. When the batch
/// itself cannot run (the database is away, a delivery is not an event) each is
/// processed alone.
async fn settle<H: Handler>(
    bus: &Bus,
    pool: &PgPool,
    subscription: &Subscription,
    handler: &H,
    publisher: &Publisher,
    batch: &[Delivery],
) -> anyhow::Result<()> {
    if batch.len() > 1
        && let Ok(events) = batch
            .iter()
            .map(Event::from_delivery)
            .collect::<anyhow::Result<Vec<_>>>()
        && let Ok(outcomes) = apply_all(pool, subscription, handler, &events).await
    {
        for ((delivery, event), outcome) in batch.iter().zip(&events).zip(outcomes) {
            count_redelivery(subscription, delivery);
            if outcome.is_ok() {
                crate::metrics::consumed(&subscription.name, event.time);
            }
            conclude(bus, subscription, publisher, delivery, outcome).await?;
        }
        return Ok(());
    }
    // Nothing of a batch that could not run was committed: each is applied alone.
    for delivery in batch {
        if let Err(error) = process(bus, pool, subscription, handler, publisher, delivery).await {
            // Could not even reschedule it: give it back to the broker.
            tracing::error!(error = format!("{error:#}"), "cannot settle a delivery");
            give_back(delivery).await?;
            return Err(error);
        }
    }
    Ok(())
}

/// The span of one event's processing, in the trace of the change that produced it.
fn event_span(subscription: &Subscription, event: &Event) -> tracing::Span {
    let span = tracing::info_span!(
        "consume event",
        otel.name = tracing::field::Empty,
        otel.kind = "consumer",
        otel.status_code = tracing::field::Empty,
        messaging.system = tracing::field::Empty,
        messaging.operation.type = tracing::field::Empty,
        consumer = %subscription.name,
        event.kind = %event.kind,
        event.id = %event.id,
        subject = %crate::tracking::redacted(&event.subject),
    );
    // What only an exporter reads is not formatted into every log line's span.
    if crate::telemetry::exporting() {
        span.record(
            "otel.name",
            tracing::field::display(format_args!("{} process", subscription.name)),
        );
        span.record("messaging.system", "rabbitmq");
        span.record("messaging.operation.type", "process");
    }
    crate::telemetry::adopt_traceparent(&span, event.traceparent.as_deref());
    span
}

async fn process<H: Handler>(
    bus: &Bus,
    pool: &PgPool,
    subscription: &Subscription,
    handler: &H,
    publisher: &Publisher,
    delivery: &Delivery,
) -> anyhow::Result<()> {
    count_redelivery(subscription, delivery);
    let outcome = match Event::from_delivery(delivery) {
        Err(error) => Err(error),
        Ok(event) => {
            let span = event_span(subscription, &event);
            let applied = apply(pool, subscription, handler, &event)
                .instrument(span.clone())
                .await;
            match &applied {
                Ok(()) => crate::metrics::consumed(&subscription.name, event.time),
                Err(_) => {
                    span.record("otel.status_code", "ERROR");
                }
            }
            applied
        }
    };
    conclude(bus, subscription, publisher, delivery, outcome).await
}

/// Settles one delivery after its attempt: acknowledged if applied; requeued untouched
/// while the database is away; otherwise sent to its retry queue or, after the last
/// retry, to its dead-letter queue.
async fn conclude(
    bus: &Bus,
    subscription: &Subscription,
    publisher: &Publisher,
    delivery: &Delivery,
    outcome: anyhow::Result<()>,
) -> anyhow::Result<()> {
    let attempt = attempt_of(delivery);
    if let Err(error) = &outcome
        && crate::db::is_unavailable(error)
    {
        // The database is away: no fault of the message. Wait, then give it back to the
        // broker as it was, without counting an attempt, so an outage of any length
        // dead-letters nothing.
        tracing::warn!(consumer = %subscription.name, error = format!("{error:#}"), "database unavailable; delivery requeued");
        tokio::time::sleep(OUTAGE_PAUSE).await;
        return give_back(delivery).await;
    }
    if let Err(error) = outcome {
        let max = bus.config().max_retries;
        let reason = format!("{error:#}");
        let mut properties = delivery.properties.clone();
        let mut headers = properties.headers().clone().unwrap_or_default();
        if attempt < max {
            tracing::warn!(consumer = %subscription.name, attempt = attempt + 1, error = %reason, "event failed; will retry");
            headers.insert(
                ATTEMPT_HEADER.into(),
                AMQPValue::LongLongInt(i64::from(attempt + 1)),
            );
            properties = properties.with_headers(headers);
            publisher
                .to_queue(
                    &subscription.retry_queue(attempt + 1),
                    &delivery.data,
                    properties,
                )
                .await?;
        } else {
            tracing::error!(consumer = %subscription.name, error = %reason, "event failed for good; dead-lettered");
            crate::metrics::dead_lettered(&subscription.name);
            headers.insert(ERROR_HEADER.into(), AMQPValue::LongString(reason.into()));
            properties = properties.with_headers(headers);
            publisher
                .to_queue(&subscription.dead_queue(), &delivery.data, properties)
                .await?;
        }
    }
    tokio::time::timeout(BROKER_WATCH, delivery.ack(BasicAckOptions::default()))
        .await
        .context("the broker did not take an acknowledgement")?
        .context("acknowledging a delivery")?;
    Ok(())
}

/// Returns a delivery to its queue untouched, for a later try.
async fn give_back(delivery: &Delivery) -> anyhow::Result<()> {
    let requeue = delivery.nack(BasicNackOptions {
        requeue: true,
        ..BasicNackOptions::default()
    });
    tokio::time::timeout(BROKER_WATCH, requeue)
        .await
        .context("the broker did not take a delivery back")?
        .context("returning a delivery to its queue")?;
    Ok(())
}

fn count_redelivery(subscription: &Subscription, delivery: &Delivery) {
    if attempt_of(delivery) > 0 {
        crate::metrics::redelivered(&subscription.name, "retry");
    } else if delivery.redelivered {
        crate::metrics::redelivered(&subscription.name, "requeue");
    }
}

fn attempt_of(delivery: &Delivery) -> u32 {
    delivery
        .properties
        .headers()
        .as_ref()
        .and_then(|h| match h.inner().get(ATTEMPT_HEADER) {
            Some(AMQPValue::LongLongInt(n)) => u32::try_from(*n).ok(),
            Some(AMQPValue::LongInt(n)) => u32::try_from(*n).ok(),
            _ => None,
        })
        .unwrap_or(0)
}

/// Applies the event once: the inbox row and the handler's writes commit together.
async fn apply<H: Handler>(
    pool: &PgPool,
    subscription: &Subscription,
    handler: &H,
    event: &Event,
) -> anyhow::Result<()> {
    let mut tx = pool
        .begin()
        .await
        .context("starting the consumer transaction")?;
    apply_in(&mut tx, subscription, handler, event).await?;
    crate::bus::commit(tx)
        .await
        .context("committing the consumer transaction")?;
    Ok(())
}

/// Applies several events in order in one transaction, each in its own span and behind
/// its own savepoint; says what became of each. Fails as a whole (nothing committed)
/// when the database does.
async fn apply_all<H: Handler>(
    pool: &PgPool,
    subscription: &Subscription,
    handler: &H,
    events: &[Event],
) -> anyhow::Result<Vec<anyhow::Result<()>>> {
    let mut tx = pool
        .begin()
        .await
        .context("starting the consumer transaction")?;
    let mut outcomes = Vec::with_capacity(events.len());
    for event in events {
        sqlx::query("SAVEPOINT event").execute(&mut *tx).await?;
        let span = event_span(subscription, event);
        let outcome = apply_in(&mut tx, subscription, handler, event)
            .instrument(span.clone())
            .await;
        if outcome
            .as_ref()
            .err()
            .is_some_and(crate::db::is_unavailable)
        {
            return outcome.map(|()| Vec::new());
        }
        let settle = if outcome.is_ok() {
            "RELEASE SAVEPOINT event"
        } else {
            span.record("otel.status_code", "ERROR");
            "ROLLBACK TO SAVEPOINT event"
        };
        sqlx::query(settle).execute(&mut *tx).await?;
        outcomes.push(outcome);
    }
    crate::bus::commit(tx)
        .await
        .context("committing the consumer transaction")?;
    Ok(outcomes)
}

/// The inbox row, then the handler's writes, unless the event was already applied.
async fn apply_in<H: Handler>(
    conn: &mut PgConnection,
    subscription: &Subscription,
    handler: &H,
    event: &Event,
) -> anyhow::Result<()> {
    let fresh = sqlx::query(
        "INSERT INTO kit.inbox (consumer, event_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(&subscription.name)
    .bind(event.id)
    .execute(&mut *conn)
    .await
    .context("recording the event in the inbox")?
    .rows_affected()
        == 1;
    if !fresh {
        tracing::info!("event already processed; ignored");
        return Ok(());
    }
    handler.handle(conn, event).await
}

/// Messages waiting in a queue (tests, operations).
pub async fn queue_depth(bus: &Bus, queue: &str) -> anyhow::Result<u32> {
    let connection = bus.connect().await?;
    let channel = connection.create_channel().await?;
    let declared = channel
        .queue_declare(
            queue.into(),
            QueueDeclareOptions {
                passive: true,
                ..QueueDeclareOptions::default()
            },
            FieldTable::default(),
        )
        .await
        .with_context(|| format!("inspecting queue {queue}"))?;
    connection.close(200, "bye".into()).await.ok();
    Ok(declared.message_count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially() {
        assert_eq!(retry_delay(1000, 1), 1000);
        assert_eq!(retry_delay(1000, 2), 2000);
        assert_eq!(retry_delay(1000, 4), 8000);
    }
}
