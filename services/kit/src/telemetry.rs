//! Logs and traces in one place. `init` installs the W3C trace-context propagator, JSON
//! (or pretty) logs and the OpenTelemetry layer, exporting over OTLP when an endpoint is
//! configured. Without one, spans still get trace ids and adopt the caller's, so trace
//! context keeps flowing (and events keep their `traceparent`) with nothing exported.
//! The functions below carry trace context across gRPC metadata and AMQP headers so one
//! trace runs from the HTTP request to the consumer; handlers never touch it.

use std::collections::HashMap;

use anyhow::Context as _;
use opentelemetry::{
    global,
    propagation::{Extractor, Injector},
    trace::TracerProvider as _,
};
use opentelemetry_sdk::{Resource, propagation::TraceContextPropagator, trace::SdkTracerProvider};
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use tracing_subscriber::{
    EnvFilter, Layer as _, layer::SubscriberExt as _, util::SubscriberInitExt as _,
};

use crate::config::TelemetryConfig;

/// Keeps the trace exporter alive; dropping it flushes the spans still buffered. Without
/// an exporter it holds nothing: the tracer that only hands out ids lives in the layer.
#[must_use = "dropping the guard stops trace export"]
pub struct Guard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take()
            && let Err(error) = provider.shutdown()
        {
            tracing::warn!(%error, "flushing traces failed");
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
    let mut provider = SdkTracerProvider::builder().with_resource(
        Resource::builder()
            .with_service_name(service.to_owned())
            .build(),
    );
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
    if installed.is_ok() {
        global::set_tracer_provider(provider.clone());
    }
    Ok(Guard {
        provider: exporting.then_some(provider),
    })
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
    let mut carrier = HashMap::new();
    inject(&mut carrier);
    carrier.remove("traceparent")
}

/// Makes `span` a child of a stored `traceparent`.
pub fn adopt_traceparent(span: &tracing::Span, traceparent: Option<&str>) {
    if let Some(traceparent) = traceparent {
        let carrier = HashMap::from([("traceparent".to_owned(), traceparent.to_owned())]);
        adopt(span, &carrier);
    }
}

/// gRPC client interceptor: sends the caller's trace context in the request metadata.
pub fn inject_grpc(mut request: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
    inject(&mut MetadataInjector(request.metadata_mut()));
    Ok(request)
}

/// gRPC server side: a span per call, child of the caller's context.
pub fn grpc_server_span(request: &http::Request<()>) -> tracing::Span {
    let span = tracing::info_span!(
        "grpc request",
        otel.kind = "server",
        rpc.method = %request.uri().path(),
    );
    adopt(&span, &HeaderExtractor(request.headers()));
    span
}

/// HTTP server side (gateway): adopts a `traceparent` sent by the client, if any.
pub fn adopt_http(span: &tracing::Span, headers: &http::HeaderMap) {
    adopt(span, &HeaderExtractor(headers));
}

struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value),
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
