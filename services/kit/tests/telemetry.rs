//! Trace context without any exporter configured: a request's `traceparent` (HTTP header
//! or gRPC metadata) reaches the events built while serving it, so the trace crosses
//! RabbitMQ even where nothing is exported. Its own binary: it owns the subscriber.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::Utc;
use guichet_kit::{
    bus::Event,
    config::{ServerConfig, TelemetryConfig},
    grpc, telemetry,
};
use guichet_proto::{
    events::v1::ComplaintFiled,
    identity::v1::{
        GetJwksRequest, Jwks,
        keys_client::KeysClient,
        keys_server::{Keys, KeysServer},
    },
};
use tonic::{Request, Response, Status};

/// A sampled trace, as a browser or another platform would send it.
const SAMPLED: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
/// The same trace, not sampled by the caller.
const NOT_SAMPLED: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00";
const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Telemetry as a service without `otlp_endpoint` starts it; spans on, logs quiet.
fn init() {
    let cfg = TelemetryConfig {
        otlp_endpoint: None,
        log_level: "warn,telemetry=info,guichet_kit::telemetry=info".to_owned(),
        ..TelemetryConfig::default()
    };
    // Without an exporter the guard holds nothing.
    drop(telemetry::init("test", &cfg).unwrap());
}

fn event() -> Event {
    Event::new(
        "/test",
        "complaints.complaint.filed",
        "C-TEST",
        Utc::now(),
        &ComplaintFiled::default(),
    )
}

/// `traceparent` as `(trace id, parent id, flags)`.
fn parts(traceparent: &str) -> (String, String, String) {
    let parts: Vec<&str> = traceparent.split('-').collect();
    assert_eq!(parts.len(), 4, "{traceparent}");
    (parts[1].into(), parts[2].into(), parts[3].into())
}

#[test]
fn an_event_built_in_an_http_request_carries_its_trace() {
    init();
    for (incoming, flags) in [(SAMPLED, "01"), (NOT_SAMPLED, "00")] {
        let mut headers = http::HeaderMap::new();
        headers.insert("traceparent", incoming.parse().unwrap());
        let span = tracing::info_span!("http request");
        telemetry::adopt_http(&span, &headers);
        let event = span.in_scope(event);
        let traceparent = event.traceparent.expect("the event carries a traceparent");
        let (trace, parent, sampled) = parts(&traceparent);
        assert_eq!(trace, TRACE_ID, "{traceparent}");
        assert_ne!(
            parent, "00f067aa0ba902b7",
            "the request's own span is the parent"
        );
        assert_eq!(sampled, flags, "the caller's sampling decision is kept");
    }
}

#[test]
fn an_event_built_in_a_request_without_trace_starts_one() {
    init();
    let span = tracing::info_span!("http request");
    telemetry::adopt_http(&span, &http::HeaderMap::new());
    let traceparent = span.in_scope(event).traceparent.expect("a traceparent");
    let (trace, _, _) = parts(&traceparent);
    assert_ne!(trace, "0".repeat(32));
    assert_ne!(trace, TRACE_ID);
}

#[test]
fn an_event_built_outside_any_request_has_no_trace() {
    init();
    assert_eq!(event().traceparent, None);
}

/// Builds an event while serving the call and answers its `traceparent`.
#[derive(Clone)]
struct Producer;

#[tonic::async_trait]
impl Keys for Producer {
    async fn get_jwks(&self, _: Request<GetJwksRequest>) -> Result<Response<Jwks>, Status> {
        Ok(Response::new(Jwks {
            json: event().traceparent.unwrap_or_default(),
        }))
    }
}

#[tokio::test]
async fn an_event_built_while_serving_a_grpc_call_carries_the_callers_trace() {
    init();
    let listener = grpc::bind(&ServerConfig::on_port(0)).await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(grpc::serve(
        listener,
        grpc::Services::default().add_service(KeysServer::new(Producer)),
        None,
        async {
            stopped.await.ok();
        },
    ));
    // A bare channel: the caller's context is exactly the metadata below.
    let channel = tonic::transport::Endpoint::from_shared(url)
        .unwrap()
        .connect_lazy();
    let mut request = Request::new(GetJwksRequest {});
    request
        .metadata_mut()
        .insert("traceparent", SAMPLED.parse().unwrap());
    let traceparent = KeysClient::new(channel)
        .get_jwks(request)
        .await
        .unwrap()
        .into_inner()
        .json;
    let (trace, parent, sampled) = parts(&traceparent);
    assert_eq!(trace, TRACE_ID, "{traceparent}");
    assert_ne!(parent, "00f067aa0ba902b7");
    assert_eq!(sampled, "01");
    stop.send(()).ok();
}
