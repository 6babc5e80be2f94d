//! The platform's metrics, exported over OTLP with the traces when
//! `telemetry.otlp_endpoint` is set ([`crate::telemetry::init`] installs them). Without
//! an endpoint no instrument exists and every function here returns at once, having
//! built nothing: the hot path pays one atomic load.
//!
//! Labels are bounded sets only: route templates and RPC names, never a raw path, a
//! tracking number or an id. docs/operations.md lists each metric with its alert.

use std::{
    sync::{
        OnceLock,
        atomic::{AtomicI64, Ordering},
    },
    time::Duration,
};

use opentelemetry::{
    KeyValue,
    metrics::{Counter, Histogram, Meter, ObservableGauge, UpDownCounter},
};
/// Latency buckets in seconds (OpenTelemetry's advice for HTTP and RPC durations).
const LATENCY: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// Consumer lag buckets in seconds: milliseconds when all is well, up to an hour when a
/// broker or consumer was away.
const LAG: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];

struct Instruments {
    http_duration: Histogram<f64>,
    rpc_duration: Histogram<f64>,
    published: Counter<u64>,
    unroutable: Counter<u64>,
    lag: Histogram<f64>,
    redeliveries: Counter<u64>,
    dead_letters: Counter<u64>,
    sse_streams: UpDownCounter<i64>,
    /// Observed from [`OUTBOX`]; kept so their callbacks stay registered.
    _outbox: (ObservableGauge<u64>, ObservableGauge<f64>),
}

static INSTRUMENTS: OnceLock<Instruments> = OnceLock::new();

/// The last outbox reading: pending rows, and the oldest one's age in milliseconds;
/// `-1` until the first reading.
struct OutboxReading {
    pending: AtomicI64,
    oldest_ms: AtomicI64,
}

static OUTBOX: OutboxReading = OutboxReading {
    pending: AtomicI64::new(-1),
    oldest_ms: AtomicI64::new(-1),
};

/// Creates the instruments on `meter` (once per process).
pub(crate) fn install(meter: &Meter) {
    INSTRUMENTS.get_or_init(|| Instruments {
        http_duration: meter
            .f64_histogram("http.server.request.duration")
            .with_unit("s")
            .with_description("HTTP requests served by the gateway, per route template")
            .with_boundaries(LATENCY.to_vec())
            .build(),
        rpc_duration: meter
            .f64_histogram("rpc.server.call.duration")
            .with_unit("s")
            .with_description("gRPC calls served, per service and method")
            .with_boundaries(LATENCY.to_vec())
            .build(),
        published: meter
            .u64_counter("guichet.outbox.published")
            .with_unit("{event}")
            .with_description("Events the relay published and the broker routed")
            .build(),
        unroutable: meter
            .u64_counter("guichet.outbox.unroutable")
            .with_unit("{event}")
            .with_description("Events the broker returned because no queue takes them")
            .build(),
        lag: meter
            .f64_histogram("guichet.consumer.lag")
            .with_unit("s")
            .with_description("From an event's time to its handling by a consumer")
            .with_boundaries(LAG.to_vec())
            .build(),
        redeliveries: meter
            .u64_counter("guichet.consumer.redeliveries")
            .with_unit("{delivery}")
            .with_description("Deliveries of an event a consumer had already been given")
            .build(),
        dead_letters: meter
            .u64_counter("guichet.consumer.dead_letters")
            .with_unit("{event}")
            .with_description("Events a consumer gave up on, parked in its dead-letter queue")
            .build(),
        sse_streams: meter
            .i64_up_down_counter("guichet.sse.streams")
            .with_unit("{stream}")
            .with_description("Agents' live feeds open on the gateway")
            .build(),
        _outbox: (
            meter
                .u64_observable_gauge("guichet.outbox.pending")
                .with_unit("{event}")
                .with_description("Events written and not yet confirmed by the broker")
                .with_callback(|gauge| {
                    if let Ok(pending) = u64::try_from(OUTBOX.pending.load(Ordering::Relaxed)) {
                        gauge.observe(pending, &[]);
                    }
                })
                .build(),
            meter
                .f64_observable_gauge("guichet.outbox.oldest_age")
                .with_unit("s")
                .with_description("Age of the oldest event waiting in the outbox; 0 when none")
                .with_callback(|gauge| {
                    let oldest = OUTBOX.oldest_ms.load(Ordering::Relaxed);
                    if oldest >= 0 {
                        #[allow(clippy::cast_precision_loss)] // milliseconds fit an f64
                        gauge.observe(oldest as f64 / 1000.0, &[]);
                    }
                })
                .build(),
        ),
    });
}

/// Whether metrics are recorded (an exporter is configured).
pub fn enabled() -> bool {
    INSTRUMENTS.get().is_some()
}

fn seconds(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64()
}

/// One HTTP request answered: `route` is the matched template
/// (`/api/v1/demands/{tracking_number}`), never the path.
pub fn http_request(method: &http::Method, route: &str, status: u16, elapsed: Duration) {
    let Some(m) = INSTRUMENTS.get() else { return };
    // Only standard methods are labels; anything else a client invents is one value.
    let method = match *method {
        http::Method::GET => "GET",
        http::Method::POST => "POST",
        http::Method::PUT => "PUT",
        http::Method::PATCH => "PATCH",
        http::Method::DELETE => "DELETE",
        http::Method::HEAD => "HEAD",
        http::Method::OPTIONS => "OPTIONS",
        _ => "_OTHER",
    };
    m.http_duration.record(
        seconds(elapsed),
        &[
            KeyValue::new("http.request.method", method),
            KeyValue::new("http.route", route.to_owned()),
            KeyValue::new("http.response.status_code", i64::from(status)),
        ],
    );
}

/// One gRPC call served: `path` is `/pkg.Service/Method`, `code` its gRPC status.
pub fn rpc_call(path: &str, code: i32, elapsed: Duration) {
    let Some(m) = INSTRUMENTS.get() else { return };
    let (service, method) = rpc_names(path);
    m.rpc_duration.record(
        seconds(elapsed),
        &[
            KeyValue::new("rpc.system", "grpc"),
            KeyValue::new("rpc.service", service.to_owned()),
            KeyValue::new("rpc.method", method.to_owned()),
            KeyValue::new("rpc.grpc.status_code", i64::from(code)),
        ],
    );
}

/// A relay batch committed: `routed` events published.
pub fn published(routed: usize) {
    let Some(m) = INSTRUMENTS.get() else { return };
    m.published
        .add(u64::try_from(routed).unwrap_or(u64::MAX), &[]);
}

/// The broker returned an event of `kind` (its routing key): no queue takes it.
pub fn unroutable(kind: &str) {
    let Some(m) = INSTRUMENTS.get() else { return };
    m.unroutable
        .add(1, &[KeyValue::new("event.type", kind.to_owned())]);
}

/// A consumer handled an event that happened at `time`.
pub fn consumed(consumer: &str, time: chrono::DateTime<chrono::Utc>) {
    let Some(m) = INSTRUMENTS.get() else { return };
    let lag = (chrono::Utc::now() - time).to_std().unwrap_or_default();
    m.lag.record(
        seconds(lag),
        &[KeyValue::new(
            "messaging.consumer.group.name",
            consumer.to_owned(),
        )],
    );
}

/// A consumer was given an event again: `cause` is `retry` (its own retry queue) or
/// `requeue` (the broker's redelivery after a consumer died or handed it back).
pub fn redelivered(consumer: &str, cause: &'static str) {
    let Some(m) = INSTRUMENTS.get() else { return };
    m.redeliveries.add(
        1,
        &[
            KeyValue::new("messaging.consumer.group.name", consumer.to_owned()),
            KeyValue::new("cause", cause),
        ],
    );
}

/// A consumer dead-lettered an event.
pub fn dead_lettered(consumer: &str) {
    let Some(m) = INSTRUMENTS.get() else { return };
    m.dead_letters.add(
        1,
        &[KeyValue::new(
            "messaging.consumer.group.name",
            consumer.to_owned(),
        )],
    );
}

/// Counts one open live feed for as long as it lives.
#[derive(Debug)]
pub struct OpenStream(bool);

/// A live feed opened; dropping the answer counts it closed.
pub fn stream_opened() -> OpenStream {
    let Some(m) = INSTRUMENTS.get() else {
        return OpenStream(false);
    };
    m.sse_streams.add(1, &[]);
    OpenStream(true)
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        if self.0
            && let Some(m) = INSTRUMENTS.get()
        {
            m.sse_streams.add(-1, &[]);
        }
    }
}

/// Keeps the outbox's last backlog reading for the outbox gauges (read by
/// `bus::outbox`, which owns the query).
#[cfg(feature = "bus")]
pub(crate) fn outbox_backlog(pending: i64, oldest_seconds: Option<f64>) {
    OUTBOX.pending.store(pending, Ordering::Relaxed);
    #[allow(clippy::cast_possible_truncation)] // milliseconds of an age
    let oldest_ms = (oldest_seconds.unwrap_or(0.0).max(0.0) * 1000.0) as i64;
    OUTBOX.oldest_ms.store(oldest_ms, Ordering::Relaxed);
}

/// `/pkg.Service/Method` as (`pkg.Service`, `Method`): the names metrics and spans
/// give a call.
pub fn rpc_names(path: &str) -> (&str, &str) {
    path.trim_start_matches('/')
        .split_once('/')
        .unwrap_or((path, ""))
}
