//! gRPC plumbing: starting a server with health and reflection that report exactly the
//! services it serves (each call measured when telemetry exports), shutting it down
//! gracefully, connecting clients that carry trace context, and the few `Status`
//! helpers every service needs to report errors the gateway can translate.

use std::{
    future::Future,
    net::SocketAddr,
    task::{Context, Poll},
    time::Instant,
};

use anyhow::Context as _;
use futures::future::{BoxFuture, Either};
use tokio::net::TcpListener;
use tonic::{
    Code, Status,
    server::NamedService,
    service::Routes,
    transport::{Channel, Endpoint, Server},
};
use tonic_health::ServingStatus;
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};
use tracing::Instrument as _;

use crate::config::ServerConfig;

/// Binds the configured address (port 0 picks a free one); the caller reads the port.
pub async fn bind(cfg: &ServerConfig) -> anyhow::Result<TcpListener> {
    let addr = format!("{}:{}", cfg.host, cfg.port);
    TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))
}

/// What a service needs to do its work: its health follows them.
#[derive(Clone)]
pub struct Dependencies {
    pub pool: sqlx::PgPool,
    pub bus: crate::bus::Bus,
}

/// How often a service checks its database and broker for its health.
const HEALTH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// How long one check may take before it counts as a failure.
const HEALTH_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

impl Dependencies {
    /// Whether the database answers a query and the broker a connection, now.
    pub async fn available(&self) -> bool {
        let database =
            tokio::time::timeout(HEALTH_CHECK, sqlx::query("SELECT 1").execute(&self.pool));
        let broker = tokio::time::timeout(HEALTH_CHECK, self.bus.ping());
        let (database, broker) = tokio::join!(database, broker);
        matches!(database, Ok(Ok(_))) && matches!(broker, Ok(true))
    }
}

/// The gRPC services one port serves, each under the name its generated server declares
/// (`NamedService::NAME`). Health and reflection report exactly these, so a service
/// cannot be served without being reported, nor reported without being served.
#[derive(Debug, Default)]
pub struct Services {
    routes: Routes,
    names: Vec<String>,
}

impl Services {
    /// Adds `service` to the routes and records its name.
    #[must_use]
    pub fn add_service<S>(mut self, service: S) -> Self
    where
        S: tower::Service<
                http::Request<tonic::body::Body>,
                Response = http::Response<tonic::body::Body>,
                Error = std::convert::Infallible,
            > + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        self.routes = self.routes.add_service(service);
        self.names.push(S::NAME.to_owned());
        self
    }

    /// The fully qualified names of the services added, in order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }
}

/// Serves `services` plus `grpc.health.v1` and reflection (v1 and v1alpha) until
/// `shutdown` completes. Health has an entry for each of `services` and the overall
/// `""`; reflection lists `services`, health and itself, nothing else of the platform.
/// Health is SERVING only while the service's database and broker answer (checked every
/// few seconds), and turns NOT_SERVING for good before the server stops accepting calls.
pub async fn serve(
    listener: TcpListener,
    services: Services,
    dependencies: Option<Dependencies>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let Services { routes, names } = services;
    let (reporter, health) = tonic_health::server::health_reporter();
    let stopped = tokio_util::sync::CancellationToken::new();
    let watched = names.clone();
    let dependencies_for_metrics = dependencies.clone();
    let watcher = {
        let (reporter, stopped) = (reporter.clone(), stopped.clone());
        tokio::spawn(async move {
            let mut last = None;
            while !stopped.is_cancelled() {
                // A stand-in server (tests) depends on nothing.
                let up = match &dependencies {
                    Some(dependencies) => dependencies.available().await,
                    None => true,
                };
                if last != Some(up) && !stopped.is_cancelled() {
                    let status = if up {
                        ServingStatus::Serving
                    } else {
                        tracing::warn!("database or broker unavailable: health NOT_SERVING");
                        ServingStatus::NotServing
                    };
                    for name in watched.iter().map(String::as_str).chain([""]) {
                        reporter.set_service_status(name, status).await;
                    }
                    last = Some(up);
                }
                tokio::select! {
                    () = stopped.cancelled() => {}
                    () = tokio::time::sleep(HEALTH_EVERY) => {}
                }
            }
        })
    };
    let reflection_v1 = reflection(&names)
        .build_v1()
        .context("building gRPC reflection v1")?;
    let reflection_v1alpha = reflection(&names)
        .build_v1alpha()
        .context("building gRPC reflection v1alpha")?;
    if let Some(dependencies) = &dependencies_for_metrics {
        crate::metrics::watch_outbox(dependencies.pool.clone(), stopped.clone());
    }
    let stopping = async move {
        shutdown.await;
        stopped.cancel();
        watcher.await.ok();
        for name in names.iter().map(String::as_str).chain([""]) {
            reporter
                .set_service_status(name, ServingStatus::NotServing)
                .await;
        }
        tracing::info!("gRPC server stopping");
    };
    let addr: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?addr, "gRPC server listening");
    Server::builder()
        .trace_fn(crate::telemetry::grpc_server_span)
        .layer(tower::layer::layer_fn(Measured))
        .add_routes(
            routes
                .add_service(health)
                .add_service(reflection_v1)
                .add_service(reflection_v1alpha),
        )
        .serve_with_incoming_shutdown(
            // Without TCP_NODELAY a reply's last HTTP/2 frames wait for the caller's
            // delayed ACK: 40 ms added to some calls. Tonic sets it only on sockets it
            // accepts itself.
            tonic::transport::server::TcpIncoming::from(listener).with_nodelay(Some(true)),
            stopping,
        )
        .await
        .context("gRPC server failed")
}

/// Reflection over every Guichet schema (so any type a served method uses resolves) that
/// lists only `served`, health and reflection itself, as a port answers nothing else.
fn reflection(served: &[String]) -> tonic_reflection::server::Builder<'static> {
    use tonic_reflection::pb::{v1, v1alpha};
    let builder = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(guichet_proto::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(v1::FILE_DESCRIPTOR_SET)
        .register_encoded_file_descriptor_set(v1alpha::FILE_DESCRIPTOR_SET);
    served
        .iter()
        .map(String::as_str)
        .chain([
            tonic_health::pb::health_server::SERVICE_NAME,
            v1::server_reflection_server::SERVICE_NAME,
            v1alpha::server_reflection_server::SERVICE_NAME,
        ])
        .fold(builder, |builder, name| builder.with_service_name(name))
}

/// Server side: each call's gRPC status on its span and in `rpc.server.call.duration`,
/// when exporting; otherwise the call passes through untouched.
#[derive(Clone)]
struct Measured<S>(S);

impl<S, ReqBody, ResBody> tower::Service<http::Request<ReqBody>> for Measured<S>
where
    S: tower::Service<http::Request<ReqBody>, Response = http::Response<ResBody>>,
    S::Future: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = Either<S::Future, BoxFuture<'static, Result<S::Response, S::Error>>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<ReqBody>) -> Self::Future {
        if !crate::telemetry::exporting() {
            return Either::Left(self.0.call(request));
        }
        let path = request.uri().path().to_owned();
        let started = Instant::now();
        let answer = self.0.call(request);
        // Polled inside the call's span (tonic enters it around the whole call).
        Either::Right(Box::pin(async move {
            let answer = answer.await;
            let code = answer.as_ref().map_or(Code::Unknown as i32, grpc_status);
            let span = tracing::Span::current();
            span.record("rpc.grpc.status_code", code);
            if is_server_error(code) {
                span.record("otel.status_code", "ERROR");
            }
            crate::metrics::rpc_call(&path, code, started.elapsed());
            answer
        }))
    }
}

/// The status a response's headers carry: a failure answers trailers-only, so its
/// `grpc-status` is there; a success sends it in the trailers, after the body.
fn grpc_status<B>(response: &http::Response<B>) -> i32 {
    response
        .headers()
        .get("grpc-status")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .unwrap_or(Code::Ok as i32)
}

/// The codes OpenTelemetry counts as a server's own error.
fn is_server_error(code: i32) -> bool {
    matches!(
        Code::from_i32(code),
        Code::Unknown
            | Code::DeadlineExceeded
            | Code::Unimplemented
            | Code::Internal
            | Code::Unavailable
            | Code::DataLoss
    )
}

/// A channel whose calls carry trace context, each in its own client span when spans
/// are exported; wrap it in any generated client.
#[derive(Debug, Clone)]
pub struct TracedChannel(Channel);

impl tower::Service<http::Request<tonic::body::Body>> for TracedChannel {
    type Response = http::Response<tonic::body::Body>;
    type Error = tonic::transport::Error;
    type Future = tracing::instrument::Instrumented<
        futures::future::Map<
            tonic::transport::channel::ResponseFuture,
            fn(Result<Self::Response, Self::Error>) -> Result<Self::Response, Self::Error>,
        >,
    >;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.0.poll_ready(cx)
    }

    fn call(&mut self, mut request: http::Request<tonic::body::Body>) -> Self::Future {
        use futures::FutureExt as _;
        let span = crate::telemetry::grpc_client_span(request.uri().path());
        // The callee's parent: this call's span, or the caller's when there is none.
        span.in_scope(|| crate::telemetry::inject_http(request.headers_mut()));
        let answer = self.0.call(request);
        answer
            .map(record_client_status as fn(_) -> _)
            .instrument(span)
    }
}

/// Client side: the status of a call that failed at once, on its span.
fn record_client_status(
    answer: Result<http::Response<tonic::body::Body>, tonic::transport::Error>,
) -> Result<http::Response<tonic::body::Body>, tonic::transport::Error> {
    if !crate::telemetry::exporting() {
        return answer;
    }
    let span = tracing::Span::current();
    match &answer {
        Ok(response) => {
            let code = grpc_status(response);
            span.record("rpc.grpc.status_code", code);
            if code != Code::Ok as i32 {
                span.record("otel.status_code", "ERROR");
            }
        }
        Err(_) => {
            span.record("otel.status_code", "ERROR");
        }
    }
    answer
}

/// The deadline of a call between services unless the caller sets another.
pub const CALL_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(20);

/// A lazily connected channel to `url`: the caller starts even if the callee is down
/// and each call reconnects as needed. Every call has a deadline ([`CALL_TIMEOUT`]).
pub fn connect_lazy(url: &str) -> anyhow::Result<TracedChannel> {
    connect_lazy_with(url, CALL_TIMEOUT)
}

/// [`connect_lazy`] with the deadline of each call: a hung callee answers
/// `DeadlineExceeded` after `deadline`, never holds the caller forever. A streaming
/// call's deadline covers its start, not the stream.
pub fn connect_lazy_with(
    url: &str,
    deadline: std::time::Duration,
) -> anyhow::Result<TracedChannel> {
    let channel = Endpoint::from_shared(url.to_owned())
        .with_context(|| format!("invalid gRPC URL {url}"))?
        .connect_timeout(std::time::Duration::from_secs(2))
        .timeout(deadline)
        .connect_lazy();
    Ok(TracedChannel(channel))
}

/// Asks a server's health service whether it serves.
pub async fn is_serving(channel: TracedChannel) -> bool {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response, health_client::HealthClient,
    };
    let mut client = HealthClient::new(channel);
    let asked = tokio::time::timeout(
        std::time::Duration::from_secs(2),
        client.check(HealthCheckRequest {
            service: String::new(),
        }),
    )
    .await;
    matches!(asked, Ok(Ok(r)) if r.get_ref().status() == health_check_response::ServingStatus::Serving)
}

/// One invalid field: its path in the request (`location.latitude`) and a French
/// sentence for the person who typed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    pub field: String,
    pub description: String,
}

impl Violation {
    pub fn new(field: &str, description: &str) -> Self {
        Self {
            field: field.to_owned(),
            description: description.to_owned(),
        }
    }
}

/// `InvalidArgument` with one field violation per problem, in `google.rpc.BadRequest`.
pub fn invalid_argument(message: &str, violations: &[Violation]) -> Status {
    let details = ErrorDetails::with_bad_request(
        violations
            .iter()
            .map(|v| FieldViolation::new(v.field.clone(), v.description.clone()))
            .collect::<Vec<_>>(),
    );
    Status::with_error_details(Code::InvalidArgument, message, details)
}

/// `InvalidArgument` with a stable reason (`google.rpc.ErrorInfo`) beside the field
/// violations, for a refusal clients must tell apart from ordinary validation.
pub fn invalid_argument_because(reason: &str, message: &str, violations: &[Violation]) -> Status {
    let mut details = ErrorDetails::with_bad_request(
        violations
            .iter()
            .map(|v| FieldViolation::new(v.field.clone(), v.description.clone()))
            .collect::<Vec<_>>(),
    );
    details.set_error_info(reason, "guichet", std::collections::HashMap::new());
    Status::with_error_details(Code::InvalidArgument, message, details)
}

/// The reason a status carries (`google.rpc.ErrorInfo`), if any.
pub fn reason(status: &Status) -> Option<String> {
    status.get_details_error_info().map(|info| info.reason)
}

/// `ResourceExhausted` saying how long to wait (`google.rpc.RetryInfo`), so the gateway
/// answers `Retry-After` with the true wait rather than a guess.
pub fn resource_exhausted(message: &str, retry_after: std::time::Duration) -> Status {
    let details = ErrorDetails::with_retry_info(Some(retry_after));
    Status::with_error_details(Code::ResourceExhausted, message, details)
}

/// The field violations carried by a status, if any.
pub fn violations(status: &Status) -> Vec<Violation> {
    status
        .get_details_bad_request()
        .map(|bad| {
            bad.field_violations
                .into_iter()
                .map(|v| Violation {
                    field: v.field,
                    description: v.description,
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The message of every `Internal` a service answers: the gateway tells a service's own
/// failure from a connection that broke off by it.
pub const INTERNAL: &str = "erreur interne";

/// Logs an unexpected error once, with its chain, and hides it from the caller. The
/// database being away (restarting, unreachable) is no fault of the request: that is
/// `Unavailable`, which the gateway answers 503 with `Retry-After`.
pub fn internal(error: &anyhow::Error) -> Status {
    if crate::db::is_unavailable(error) {
        tracing::warn!(error = format!("{error:#}"), "database unavailable");
        return Status::unavailable("base de données indisponible");
    }
    tracing::error!(error = format!("{error:#}"), "unexpected error");
    Status::internal(INTERNAL)
}

/// A protobuf timestamp for a domain time.
pub fn timestamp(at: chrono::DateTime<chrono::Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// A domain time from a protobuf timestamp (`None` when out of range).
pub fn datetime(at: &prost_types::Timestamp) -> Option<chrono::DateTime<chrono::Utc>> {
    chrono::DateTime::from_timestamp(at.seconds, u32::try_from(at.nanos).unwrap_or(0))
}
