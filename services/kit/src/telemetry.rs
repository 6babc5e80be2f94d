//! Logs and traces in one place. `init` installs the W3C trace-context propagator, JSON
//! (or pretty) logs and the OpenTelemetry layer, exporting over OTLP when an endpoint is
//! configured. Without one, spans still get trace ids and adopt the caller's, so trace
//! context keeps flowing (and events keep their `traceparent`) with nothing exported.
//! The functions below carry trace context across gRPC metadata and AMQP headers so one
//! trace runs from the HTTP request to the consumer; handlers never touch it.
//!
//! The spans of one filing, from the edge to the consumers: the gateway's `http request`
//! (server, the root), its `grpc call` (client), the service's `grpc request` (server),
//! the use case's own span, `db transaction` around its transaction, then the relay's
//! `publish event` (producer, child of the `traceparent` stored with the outbox row) and
//! each consumer's `consume event` (consumer, child of the event's `traceparent`).
//! Spans that only an exporter would read (`grpc call`, `db transaction`, `publish
//! event`) are not made without one: context flows through the others.
//!
//! With an endpoint, metrics ([`crate::metrics`]) are exported over OTLP as well.

use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context as _;
use opentelemetry::{
    global,
    propagation::{Extractor, Injector},
    trace::TracerProvider as _,
};
use opentelemetry_sdk::{
    Resource, metrics::SdkMeterProvider, propagation::TraceContextPropagator,
    trace::SdkTracerProvider,
};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::{
    EnvFilter, Layer as _, layer::SubscriberExt as _, util::SubscriberInitExt as _,
};

use crate::config::TelemetryConfig;

/// Whether this process exports spans: set once, by the `init` that installed an exporter.
static EXPORTING: AtomicBool = AtomicBool::new(false);

/// Whether spans are exported. Spans nobody would read are skipped when they are not.
pub fn exporting() -> bool {
    EXPORTING.load(Ordering::Relaxed)
}

/// Keeps the trace and metric exporters alive; dropping it flushes what is still
/// buffered. Without an exporter it holds nothing: the tracer that only hands out ids
/// lives in the layer.
#[must_use = "dropping the guard stops trace export"]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
    meters: Option<SdkMeterProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing traces failed");
        }
        if let Some(meters) = self.meters.take()
            && let Err(error) = meters.shutdown()
        {
            tracing::warn!(%error, "flushing metrics failed");
        }
    }
}

/// Installs logging and tracing for `service`. Safe to call more than once (tests): only
/// the first call installs a subscriber.
pub fn init(service: &str, cfg: &TelemetryConfig) -> anyhow::Result<Guard> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&cfg.log_level))
        .context("invalid log level")?;
    let fmt = if cfg.log_format == "pretty" {
        tracing_subscriber::fmt::layer().boxed()
    } else {
        tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .boxed()
    };
    // Without an exporter the provider has no processor: spans still get ids and follow
    // the caller's trace (and its sampled flag), and their data is dropped as they end.
    let resource = Resource::builder()
        .with_service_name(service.to_owned())
        .build();
    let mut provider = SdkTracerProvider::builder().with_resource(resource.clone());
    if let Some(endpoint) = &cfg.otlp_endpoint {
        use opentelemetry_otlp::WithExportConfig as _;
        let exporter = opentelemetry_otlp::SpanExporter::builder()
            .with_tonic()
            .with_endpoint(endpoint)
            .build()
            .context("building the OTLP exporter")?;
        provider = provider.with_batch_exporter(exporter);
    }
    let provider = provider.build();
    let exporting = cfg.otlp_endpoint.is_some();
    let otel = tracing_opentelemetry::layer()
        .with_tracer(provider.tracer(service.to_owned()))
        // What only an exporter would read is not gathered when there is none.
        .with_location(exporting)
        .with_threads(exporting)
        .with_tracked_inactivity(exporting);
    let installed = tracing_subscriber::registry()
        .with(filter)
        .with(fmt)
        .with(otel)
        .try_init();
    let mut meters = None;
    if installed.is_ok() {
        global::set_tracer_provider(provider.clone());
        if let Some(endpoint) = &cfg.otlp_endpoint {
            EXPORTING.store(true, Ordering::Relaxed);
            let provider = meter_provider(endpoint, resource)?;
            global::set_meter_provider(provider.clone());
            crate::metrics::install(&global::meter("guichet"));
            meters = Some(provider);
        }
    }
    Ok(Guard {
        provider: exporting.then_some(provider),
        meters,
    })
}

/// Metrics pushed over OTLP/gRPC every `OTEL_METRIC_EXPORT_INTERVAL` milliseconds (60 s
/// by default), cumulative, so a collector's Prometheus exporter can serve them as is.
fn meter_provider(endpoint: &str, resource: Resource) -> anyhow::Result<SdkMeterProvider> {
    use opentelemetry_otlp::WithExportConfig as _;
    let exporter = opentelemetry_otlp::MetricExporter::builder()
        .with_tonic()
        .with_endpoint(endpoint)
        .build()
        .context("building the OTLP metric exporter")?;
    Ok(SdkMeterProvider::builder()
        .with_resource(resource)
        .with_periodic_exporter(exporter)
        .build())
}

/// Writes the current span's context as W3C headers through `set`.
fn inject(set: &mut dyn Injector) {
    let context = tracing::Span::current().context();
    global::get_text_map_propagator(|p| p.inject_context(&context, set));
}

/// Makes `span` a child of the context found in the carrier.
fn adopt(span: &tracing::Span, get: &dyn Extractor) {
    let parent = global::get_text_map_propagator(|p| p.extract(get));
    // An absent or invalid context leaves the span a root: nothing to report.
    let _ = span.set_parent(parent);
}

/// The current span's `traceparent`, stored with an outbox row so the relay publishes
/// the event in the trace of the request that caused it.
pub fn current_traceparent() -> Option<String> {
    let mut slot = TraceparentSlot(None);
    inject(&mut slot);
    slot.0
}

/// Makes `span` a child of a stored `traceparent`.
pub fn adopt_traceparent(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(traceparent) = traceparent {
        adopt(span, &Traceparent(traceparent));
    }
}

/// gRPC client side: the span of one outgoing call (`guichet.complaints.v1.Complaints/
/// FileComplaint`), child of the current span, or none without an exporter (the
/// current span's context is sent instead).
pub fn grpc_client_span(path: &str) -> tracing::Span {
    if !exporting() {
        return tracing::Span::none();
    }
    let (service, method) = crate::metrics::rpc_names(path);
    tracing::info_span!(
        "grpc call",
        otel.name = path.trim_start_matches('/'),
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        rpc.system = "grpc",
        rpc.service = service,
        rpc.method = method,
        rpc.grpc.status_code = tracing::field::Empty,
    )
}

/// Sends the current span's context in an outgoing request's headers.
pub fn inject_http(headers: &mut http::HeaderMap) {
    inject(&mut HeaderInjector(headers));
}

/// Names `span` as exported (`POST /api/v1/complaints`), even once it started, which
/// its `otel.name` field cannot do; nothing without an exporter.
pub fn rename(span: &tracing::Span, name: impl FnOnce() -> String) {
    if exporting() {
        use opentelemetry::trace::TraceContextExt as _;
        span.context().span().update_name(name());
    }
}

/// gRPC server side: a span per call, child of the caller's context.
pub fn grpc_server_span(request: &http::Request<()>) -> tracing::Span {
    let span = tracing::info_span!(
        "grpc request",
        otel.name = tracing::field::Empty,
        otel.kind = "server",
        otel.status_code = tracing::field::Empty,
        rpc.system = tracing::field::Empty,
        rpc.method = %request.uri().path(),
        rpc.grpc.status_code = tracing::field::Empty,
    );
    // What only an exporter reads is not formatted into every log line's span.
    if exporting() {
        span.record("otel.name", request.uri().path().trim_start_matches('/'));
        span.record("rpc.system", "grpc");
    }
    adopt(&span, &HeaderExtractor(request.headers()));
    span
}

/// A span around one database transaction (`db transaction`, PostgreSQL), child of the
/// current span; none without an exporter. Run the transaction inside it, so the
/// events it writes carry it as their parent:
///
/// ```ignore
/// async { /* begin, write, enqueue, commit */ }
///     .instrument(guichet_kit::telemetry::transaction_span())
///     .await
/// ```
pub fn transaction_span() -> tracing::Span {
    if !exporting() {
        return tracing::Span::none();
    }
    tracing::info_span!(
        "db transaction",
        otel.kind = "client",
        otel.status_code = tracing::field::Empty,
        db.system = "postgresql",
        db.operation.name = "TRANSACTION",
    )
}

/// HTTP server side (gateway): adopts a `traceparent` sent by the client, if any.
pub fn adopt_http(span: &tracing::Span, headers: &http::HeaderMap) {
    adopt(span, &HeaderExtractor(headers));
}

/// One stored `traceparent`, read as a carrier without copying it.
struct Traceparent<'a>(&'a str);

impl Extractor for Traceparent<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent").then_some(self.0)
    }
    fn keys(&self) -> Vec<&str> {
        vec!["traceparent"]
    }
}

/// Keeps the `traceparent` an injection writes, and nothing else.
struct TraceparentSlot(Option<String>);

impl Injector for TraceparentSlot {
    fn set(&mut self, key: &str, value: String) {
        if key == "traceparent" {
            self.0 = Some(value);
        }
    }
}

struct HeaderInjector<'a>(&'a mut http::HeaderMap);

impl Injector for HeaderInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            http::HeaderName::from_bytes(key.as_bytes()),
            http::HeaderValue::try_from(value),
        ) {
            self.0.insert(key, value);
        }
    }
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}
