//! Transactional outbox. A service writes its state change and its event in one
//! transaction (`enqueue`); the relay publishes pending rows with publisher confirms and
//! stamps them only after the broker acknowledged. `FOR UPDATE SKIP LOCKED` lets
//! replicas share the work.
//!
//! The relay wakes within the same process as soon as a transaction commits through
//! [`commit`], and polls every `amqp.relay_poll_ms` for rows written by other replicas. It used to be woken by a trigger's `pg_notify`,
//! which serialises every commit of the database on the notification queue's lock.
//!
//! A relay that dies after publishing and before stamping publishes the rows again on
//! its next run: delivery is at least once and consumers deduplicate on the event id.
//!
//! An event the broker returns as unroutable (no queue bound for its kind) is not
//! stamped: it is set aside, logged and counted ([`unroutable`]), and tried again after
//! `amqp.unroutable_retry_ms`, so it is delivered once its queue exists.

use std::{
    sync::{
        LazyLock,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use anyhow::Context as _;
use futures::future::try_join_all;
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Bus, Event, Published, Publisher, confirmed};
use crate::{metrics, telemetry};

/// Rows published per transaction.
const BATCH: i64 = 100;
/// How often the relay deletes what it no longer keeps: hourly is plenty for rows kept
/// days, and it keeps the deletes away from busy ticks.
const PURGE_EVERY: Duration = Duration::from_secs(3600);
/// Delay before reconnecting after the broker or database failed.
const BACKOFF: Duration = Duration::from_secs(1);
/// Published rows are kept this long for investigation, then deleted.
const RETENTION_DAYS: i32 = 7;
/// Consumed event ids are remembered this long, then forgotten.
pub const INBOX_DAYS: i32 = 30;

/// Counts this process's commits; every relay of the process watches it. A `watch`
/// rather than a `Notify`: each relay (tests run several services in one process) sees
/// every bump, and bumps that come while it is busy fold into one more pass.
static COMMITS: LazyLock<watch::Sender<u64>> = LazyLock::new(|| watch::Sender::new(0));

/// Commits `tx` and wakes this process's relays, so the events it wrote leave at once.
/// Every service commits through it (`clippy.toml` forbids `Transaction::commit`).
#[allow(clippy::disallowed_methods)] // the one place that commits
pub async fn commit(tx: Transaction<'_, Postgres>) -> Result<(), sqlx::Error> {
    tx.commit().await?;
    COMMITS.send_modify(|n| *n = n.wrapping_add(1));
    Ok(())
}

/// Records `event` in the caller's transaction; it is published after commit.
pub async fn enqueue(conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO kit.outbox (id, routing_key, source, subject, time, data, dataschema, traceparent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(event.id)
    .bind(&event.kind)
    .bind(&event.source)
    .bind(&event.subject)
    .bind(event.time)
    .bind(&event.data)
    .bind(&event.dataschema)
    .bind(&event.traceparent)
    .execute(conn)
    .await
    .context("writing the event to the outbox")?;
    Ok(())
}

/// Publishes outbox rows until `shutdown` is cancelled, reconnecting after failures.
pub async fn relay(pool: PgPool, bus: Bus, shutdown: CancellationToken) {
    while !shutdown.is_cancelled() {
        if let Err(error) = relay_until_failure(&pool, &bus, &shutdown).await {
            tracing::warn!(
                error = format!("{error:#}"),
                "outbox relay failed; retrying"
            );
            tokio::select! {
                () = shutdown.cancelled() => {}
                () = tokio::time::sleep(BACKOFF) => {}
            }
        }
    }
}

async fn relay_until_failure(
    pool: &PgPool,
    bus: &Bus,
    shutdown: &CancellationToken,
) -> anyhow::Result<()> {
    let publisher = Publisher::open(bus).await?;
    // Subscribed before the first pass: a commit during it is not missed.
    let mut commits = COMMITS.subscribe();
    let mut purged_at: Option<Instant> = None;
    let poll = Duration::from_millis(bus.config().relay_poll_ms);
    let outcome = async {
        loop {
            commits.mark_unchanged();
            let published = relay_once(pool, &publisher).await?;
            if published == BATCH as usize {
                continue;
            }
            if published == 0 && purged_at.is_none_or(|at| at.elapsed() >= PURGE_EVERY) {
                purge_published(pool).await?;
                purged_at = Some(Instant::now());
            }
            tokio::select! {
                () = shutdown.cancelled() => return Ok(()),
                // The sender is a static: it never closes.
                _ = commits.changed() => {}
                () = tokio::time::sleep(poll) => {}
            }
        }
    }
    .await;
    publisher.close().await;
    outcome
}

/// One batch: lock pending rows, publish them, wait for every confirm, stamp those the
/// broker routed and set the others aside for `amqp.unroutable_retry_ms`, commit.
/// Returns how many rows were handled.
pub async fn relay_once(pool: &PgPool, publisher: &Publisher) -> anyhow::Result<usize> {
    let (mut tx, events) = lock_pending(pool).await?;
    if events.is_empty() {
        return Ok(0);
    }
    let outcomes = publish_all(publisher, &events).await?;
    let (mut routed, mut unroutable) = (Vec::new(), Vec::new());
    for (event, outcome) in events.iter().zip(outcomes) {
        match outcome {
            Published::Routed => routed.push(event.id),
            Published::Unroutable => {
                tracing::warn!(event.kind = %event.kind, event.id = %event.id, "no queue takes this event; kept in the outbox");
                crate::metrics::unroutable(&event.kind);
                unroutable.push(event.id);
            }
        }
    }
    sqlx::query("UPDATE kit.outbox SET published_at = now() WHERE id = ANY($1)")
        .bind(&routed)
        .execute(&mut *tx)
        .await
        .context("marking events published")?;
    if !unroutable.is_empty() {
        sqlx::query(
            "UPDATE kit.outbox
             SET retry_after = now() + make_interval(secs => $2::float8 / 1000),
                 unroutable_count = unroutable_count + 1
             WHERE id = ANY($1)",
        )
        .bind(&unroutable)
        .bind(i64::try_from(publisher.unroutable_retry_ms).unwrap_or(i64::MAX))
        .execute(&mut *tx)
        .await
        .context("setting unroutable events aside")?;
    }
    #[allow(clippy::disallowed_methods)] // its own commit must not wake the relay again
    tx.commit().await.context("committing published events")?;
    crate::metrics::published(routed.len());
    tracing::debug!(
        published = routed.len(),
        unroutable = unroutable.len(),
        "outbox batch relayed"
    );
    Ok(events.len())
}

/// Locks a batch of unpublished rows for this relay; other replicas skip them, and rows
/// set aside as unroutable wait for their `retry_after`.
pub async fn lock_pending(
    pool: &PgPool,
) -> anyhow::Result<(Transaction<'static, Postgres>, Vec<Event>)> {
    let mut tx = pool
        .begin()
        .await
        .context("starting the relay transaction")?;
    let rows: Vec<OutboxRow> = sqlx::query_as(
        "SELECT id, routing_key, source, subject, time, data, dataschema, traceparent
         FROM kit.outbox
         WHERE published_at IS NULL AND (retry_after IS NULL OR retry_after <= now())
         ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED",
    )
    .bind(BATCH)
    .fetch_all(&mut *tx)
    .await
    .context("reading pending events")?;
    Ok((tx, rows.into_iter().map(Event::from).collect()))
}

/// Publishes every event and waits for all confirms; fails if any was refused. Says,
/// in order, what the broker did with each.
pub async fn publish_all(
    publisher: &Publisher,
    events: &[Event],
) -> anyhow::Result<Vec<Published>> {
    let mut confirms = Vec::with_capacity(events.len());
    for event in events {
        // Each publication in the trace of the change that wrote the event, from the
        // send to the broker's confirm.
        let span = publish_span(event, &publisher.exchange);
        let sent = tracing::Instrument::instrument(publisher.send(event), span.clone()).await?;
        confirms.push(tracing::Instrument::instrument(confirmed(sent), span));
    }
    try_join_all(confirms).await
}

async fn purge_published(pool: &PgPool) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM kit.outbox WHERE published_at < now() - make_interval(days => $1)")
        .bind(RETENTION_DAYS)
        .execute(pool)
        .await
        .context("purging published events")?;
    purge_inbox(pool).await?;
    Ok(())
}

/// Forgets the ids of events consumed more than [`INBOX_DAYS`] ago: far beyond any
/// redelivery (retries take seconds, a relay restart minutes), and the window within
/// which an operator replays a dead letter without it being applied twice.
pub async fn purge_inbox(pool: &PgPool) -> anyhow::Result<u64> {
    let purged =
        sqlx::query("DELETE FROM kit.inbox WHERE processed_at < now() - make_interval(days => $1)")
            .bind(INBOX_DAYS)
            .execute(pool)
            .await
            .context("purging the inbox")?
            .rows_affected();
    Ok(purged)
}

/// Events the broker returned because no queue takes them, still waiting in the outbox.
pub async fn unroutable(pool: &PgPool) -> anyhow::Result<i64> {
    sqlx::query_scalar(
        "SELECT count(*) FROM kit.outbox WHERE published_at IS NULL AND unroutable_count > 0",
    )
    .fetch_one(pool)
    .await
    .context("counting unroutable events")
}

/// Events written but not yet confirmed by the broker (for readiness and tests).
pub async fn pending(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(backlog(pool).await?.pending)
}

/// What waits in the outbox: the events not yet confirmed by the broker, and how long
/// the oldest of them has waited. Counts over the partial index of pending rows.
pub async fn backlog(pool: &PgPool) -> anyhow::Result<Backlog> {
    let (pending, oldest_seconds) = sqlx::query_as(
        "SELECT count(*),
                (SELECT extract(epoch FROM now() - time)::float8 FROM kit.outbox
                 WHERE published_at IS NULL ORDER BY seq LIMIT 1)
         FROM kit.outbox WHERE published_at IS NULL",
    )
    .fetch_one(pool)
    .await
    .context("reading the outbox backlog")?;
    Ok(Backlog {
        pending,
        oldest_seconds,
    })
}

/// See [`backlog`].
pub struct Backlog {
    pub pending: i64,
    /// `None` when nothing waits.
    pub oldest_seconds: Option<f64>,
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: Uuid,
    routing_key: String,
    source: String,
    subject: String,
    time: chrono::DateTime<chrono::Utc>,
    data: Vec<u8>,
    dataschema: String,
    traceparent: Option<String>,
}

impl From<OutboxRow> for Event {
    fn from(row: OutboxRow) -> Self {
        Self {
            id: row.id,
            kind: row.routing_key,
            source: row.source,
            subject: row.subject,
            time: row.time,
            data: row.data,
            dataschema: row.dataschema,
            traceparent: row.traceparent,
        }
    }
}

/// The relay's span for publishing one event: a producer span, child of the
/// `traceparent` stored with the event; none without an exporter. No subject: it is a
/// tracking number, a credential.
fn publish_span(event: &Event, exchange: &str) -> tracing::Span {
    if !telemetry::exporting() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "publish event",
        otel.name = %format_args!("{} publish", event.kind),
        otel.kind = "producer",
        otel.status_code = tracing::field::Empty,
        messaging.system = "rabbitmq",
        messaging.operation.type = "send",
        messaging.destination.name = exchange,
        messaging.rabbitmq.destination.routing_key = %event.kind,
        messaging.message.id = %event.id,
    );
    telemetry::adopt_traceparent(&span, event.traceparent.as_deref());
    span
}

/// How often the outbox gauges are read from the database: cheap enough to be
/// negligible, fresh enough for an alert over minutes.
const BACKLOG_EVERY: Duration = Duration::from_secs(10);
/// One backlog reader per process (tests run several services in one).
static BACKLOG_WATCHED: AtomicBool = AtomicBool::new(false);

/// Reads the outbox's backlog every few seconds until `stop`, for the outbox gauges;
/// nothing without metrics, and one reader per process.
pub(crate) fn watch_backlog(pool: PgPool, stop: CancellationToken) {
    if !metrics::enabled() || BACKLOG_WATCHED.swap(true, Ordering::Relaxed) {
        return;
    }
    tokio::spawn(async move {
        while !stop.is_cancelled() {
            match backlog(&pool).await {
                Ok(backlog) => metrics::outbox_backlog(backlog.pending, backlog.oldest_seconds),
                // The database is away: health says so; the gauges keep the last reading.
                Err(error) => tracing::debug!(
                    error = format!("{error:#}"),
                    "cannot read the outbox backlog"
                ),
            }
            tokio::select! {
                () = stop.cancelled() => {}
                () = tokio::time::sleep(BACKLOG_EVERY) => {}
            }
        }
        BACKLOG_WATCHED.store(false, Ordering::Relaxed);
    });
}
