//! gRPC plumbing: starting a server with health and reflection that report exactly the
//! services it serves (each call measured when telemetry exports), shutting it down
//! gracefully, connecting clients that carry trace context — over TLS and balanced
//! across a service's replicas when the `grpc` settings ask for it — and the few
//! `Status` helpers every service needs to report errors the gateway can translate.

use std::{
    collections::HashSet,
    future::Future,
    net::SocketAddr,
    sync::{Arc, OnceLock},
    task::{Context, Poll},
    time::{Duration, Instant},
};

use anyhow::Context as _;
use futures::future::{BoxFuture, Either};
use tokio::net::TcpListener;
use tonic::{
    Code, Status,
    server::NamedService,
    service::Routes,
    transport::{
        Certificate, Channel, ClientTlsConfig, Endpoint, Identity, Server, ServerTlsConfig,
        channel::Change,
    },
};
use tonic_health::ServingStatus;
use tonic_types::{ErrorDetails, FieldViolation, StatusExt as _};
use tracing::Instrument as _;

use crate::config::{ServerConfig, TransportConfig};

/// Binds the configured address (port 0 picks a free one); the caller reads the port.
pub async fn bind(cfg: &ServerConfig) -> anyhow::Result<TcpListener> {
    let addr = format!("{}:{}", cfg.host, cfg.port);
    TcpListener::bind(&addr)
        .await
        .with_context(|| format!("binding {addr}"))
}

/// What a service opens before it serves, so that a test knows its port and its
/// database before anything runs: its gRPC listener, its database (created if the
/// settings allow, and migrated) and its broker.
#[cfg(feature = "bus")]
pub struct Parts {
    pub listener: TcpListener,
    pub pool: sqlx::PgPool,
    pub bus: crate::bus::Bus,
}

#[cfg(feature = "bus")]
impl Parts {
    pub async fn open(
        settings: &crate::config::ServiceSettings,
        migrator: &sqlx::migrate::Migrator,
    ) -> anyhow::Result<Self> {
        let pool = crate::db::connect(&settings.database, migrator).await?;
        let listener = bind(&settings.grpc).await?;
        Ok(Self {
            listener,
            pool,
            bus: crate::bus::Bus::new(settings.amqp.clone()),
        })
    }

    /// What the service's health follows.
    pub fn dependencies(&self) -> Dependencies {
        Dependencies {
            pool: self.pool.clone(),
            bus: self.bus.clone(),
        }
    }

    /// The port bound: the one the system chose when the settings asked for 0.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }
}

/// What a service needs to do its work: its health follows them.
#[cfg(feature = "bus")]
#[derive(Clone)]
pub struct Dependencies {
    pub pool: sqlx::PgPool,
    pub bus: crate::bus::Bus,
}

/// How often a service checks its database and broker for its health.
const HEALTH_EVERY: std::time::Duration = std::time::Duration::from_secs(5);
/// How long one check may take before it counts as a failure.
#[cfg(feature = "bus")]
const HEALTH_CHECK: std::time::Duration = std::time::Duration::from_secs(2);

/// Without a database and a broker (the `bus` feature off) a server depends on nothing:
/// no value of this type exists, so `serve` is always given `None`.
#[cfg(not(feature = "bus"))]
#[derive(Clone)]
pub enum Dependencies {}

#[cfg(not(feature = "bus"))]
impl Dependencies {
    pub async fn available(&self) -> bool {
        match *self {}
    }
}

#[cfg(feature = "bus")]
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
///
/// The server speaks TLS when the process's `grpc` settings name a certificate and key
/// ([`Transport::configured`]).
pub async fn serve(
    listener: TcpListener,
    services: Services,
    dependencies: Option<Dependencies>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let transport = Transport::configured()?.clone();
    // Boxed: the server's future is large, and every service's `run` awaits it.
    Box::pin(serve_with_transport(
        transport,
        listener,
        services,
        dependencies,
        shutdown,
    ))
    .await
}

/// [`serve`] with the given transport rather than the process's settings.
pub async fn serve_with_transport(
    transport: Transport,
    listener: TcpListener,
    services: Services,
    dependencies: Option<Dependencies>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let mut server = Server::builder();
    if let Some(tls) = &transport.server {
        server = server
            .tls_config(tls.clone())
            .context("the gRPC server's TLS certificate or key")?;
    }
    let Services { routes, names } = services;
    let (reporter, health) = tonic_health::server::health_reporter();
    let stopped = tokio_util::sync::CancellationToken::new();
    // However this function ends (a port that cannot be bound, a server error), the
    // health and backlog watchers end with it.
    let _watchers = stopped.clone().drop_guard();
    let watched = names.clone();
    #[cfg(feature = "bus")]
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
    #[cfg(feature = "bus")]
    if let Some(dependencies) = &dependencies_for_metrics {
        crate::bus::outbox::watch_backlog(dependencies.pool.clone(), stopped.clone());
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
    // The kubelet's gRPC probes speak plain text only: a TLS server answers them on a
    // port of its own serving health alone, the very statuses of the main port.
    let probes = match (transport.health_port, addr) {
        (Some(port), Some(addr)) => {
            let at = SocketAddr::new(addr.ip(), port);
            let listener = TcpListener::bind(at)
                .await
                .with_context(|| format!("binding the health port {at}"))?;
            tracing::info!(addr = ?at, "gRPC health (plain text) listening");
            Some(listener)
        }
        _ => None,
    };
    let probes_stop = tokio_util::sync::CancellationToken::new();
    let probes = probes.map(|listener| {
        Server::builder()
            .add_service(health.clone())
            .serve_with_incoming_shutdown(
                tonic::transport::server::TcpIncoming::from(listener),
                probes_stop.clone().cancelled_owned(),
            )
    });
    tracing::info!(
        ?addr,
        tls = transport.server.is_some(),
        "gRPC server listening"
    );
    let main = server
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
        );
    let main = async {
        let served = main.await;
        probes_stop.cancel();
        served.context("gRPC server failed")
    };
    match probes {
        None => main.await,
        Some(probes) => {
            let (served, probed) = tokio::join!(main, probes);
            probed.context("gRPC health port failed")?;
            served
        }
    }
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
/// TLS and balancing follow the process's `grpc` settings ([`Transport::configured`]).
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
    Transport::configured()?.connect(url, deadline)
}

/// How long a client waits for a connection (TCP and TLS) before the call fails.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Finds the addresses behind a name each time it is called (every
/// `grpc.resolve_seconds`): a DNS lookup in production, a list in tests.
pub type Resolve =
    Arc<dyn Fn() -> BoxFuture<'static, std::io::Result<Vec<SocketAddr>>> + Send + Sync>;

/// How one process's gRPC servers and clients travel: the TLS material, read and checked
/// once, and whether clients balance across every address of a name.
#[derive(Debug, Clone)]
pub struct Transport {
    server: Option<ServerTlsConfig>,
    client: Option<ClientTlsConfig>,
    domain: Option<String>,
    health_port: Option<u16>,
    balance: bool,
    resolve_every: Duration,
}

impl Default for Transport {
    /// Plain text to the one address each URL names.
    fn default() -> Self {
        Self {
            server: None,
            client: None,
            domain: None,
            health_port: None,
            balance: false,
            resolve_every: Duration::from_secs(TransportConfig::default().resolve_seconds),
        }
    }
}

/// The process's transport, read from its settings on first use.
static CONFIGURED: OnceLock<Result<Transport, String>> = OnceLock::new();

impl Transport {
    /// The process's transport, from the `grpc` section of its settings (file and
    /// `GUICHET__GRPC__...`), read once: every server and client of a binary follows it
    /// without each service handing it along.
    pub fn configured() -> anyhow::Result<&'static Self> {
        CONFIGURED
            .get_or_init(|| {
                crate::config::load_transport()
                    .and_then(|cfg| Self::from_config(&cfg))
                    .map_err(|error| format!("{error:#}"))
            })
            .as_ref()
            .map_err(|error| anyhow::anyhow!("gRPC transport settings: {error}"))
    }

    /// Reads the PEM files `cfg` names. A certificate without its key (or the reverse),
    /// or a file that cannot be read, stops the process at start.
    pub fn from_config(cfg: &TransportConfig) -> anyhow::Result<Self> {
        let read = |setting: &str, path: &std::path::Path| {
            std::fs::read(path)
                .with_context(|| format!("reading grpc.{setting} ({})", path.display()))
        };
        // Kubernetes may set a variable to an empty value rather than leave it out.
        let given = |path: &Option<std::path::PathBuf>| {
            path.clone().filter(|path| !path.as_os_str().is_empty())
        };
        let server = match (given(&cfg.tls_cert), given(&cfg.tls_key)) {
            (Some(cert), Some(key)) => Some(ServerTlsConfig::new().identity(Identity::from_pem(
                read("tls_cert", &cert)?,
                read("tls_key", &key)?,
            ))),
            (None, None) => None,
            _ => anyhow::bail!("grpc.tls_cert and grpc.tls_key must be set together"),
        };
        let client = given(&cfg.tls_ca)
            .map(|ca| {
                read("tls_ca", &ca).map(|pem| {
                    // Only the CAs given: no system or web roots.
                    ClientTlsConfig::new().ca_certificate(Certificate::from_pem(pem))
                })
            })
            .transpose()?;
        Ok(Self {
            server,
            client,
            domain: cfg.tls_domain.clone().filter(|domain| !domain.is_empty()),
            health_port: cfg.health_port,
            balance: cfg.balance,
            resolve_every: Duration::from_secs(cfg.resolve_seconds.max(1)),
        })
    }

    /// Resolves balancing clients' names every `every` rather than as configured.
    #[must_use]
    pub fn resolving_every(self, every: Duration) -> Self {
        Self {
            resolve_every: every,
            ..self
        }
    }

    /// A lazily connected channel to `url` (see [`connect_lazy_with`]). With
    /// `grpc.balance`, or a `dns:///host:port` URL, calls are spread over every address
    /// the host name resolves to, resolved again periodically.
    pub fn connect(&self, url: &str, deadline: Duration) -> anyhow::Result<TracedChannel> {
        let (target, balanced) = match url.strip_prefix("dns:///") {
            Some(authority) => (Target::parse(&format!("http://{authority}"), self)?, true),
            None => (Target::parse(url, self)?, self.balance),
        };
        if balanced {
            let resolve = lookup(target.host.clone(), target.port);
            return self.connect_resolved(&target.url, deadline, resolve);
        }
        let endpoint = self.endpoint(&target.url, &target.host, deadline)?;
        Ok(TracedChannel(endpoint.connect_lazy()))
    }

    /// A channel spreading calls over the addresses `resolve` finds, asked again every
    /// few seconds: a new replica gets calls, a gone one none. `url` gives the scheme,
    /// the port and the name certificates are checked against.
    pub fn connect_resolved(
        &self,
        url: &str,
        deadline: Duration,
        resolve: Resolve,
    ) -> anyhow::Result<TracedChannel> {
        let target = Target::parse(url, self)?;
        // Built now, so a bad URL or TLS setting fails at start rather than at each call.
        let by_name = self.endpoint(&target.url, &target.host, deadline)?;
        let (channel, changes) = Channel::balance_channel::<String>(64);
        let transport = self.clone();
        let at = move |address: SocketAddr| {
            let url = format!("{}://{address}", target.scheme);
            transport.endpoint(&url, &target.host, deadline)
        };
        tokio::spawn(follow(resolve, changes, by_name, at, self.resolve_every));
        Ok(TracedChannel(channel))
    }

    /// One address's endpoint: deadlines, and TLS checking the certificate against
    /// `host` (or `grpc.tls_domain`) whatever address is dialled.
    fn endpoint(&self, url: &str, host: &str, deadline: Duration) -> anyhow::Result<Endpoint> {
        let endpoint = Endpoint::from_shared(url.to_owned())
            .with_context(|| format!("invalid gRPC URL {url}"))?
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(deadline);
        let Some(tls) = &self.client else {
            return Ok(endpoint);
        };
        let domain = self.domain.clone().unwrap_or_else(|| host.to_owned());
        endpoint
            .tls_config(tls.clone().domain_name(domain))
            .context("the gRPC clients' TLS settings (grpc.tls_ca)")
    }
}

/// A URL split for dialling each of its addresses.
struct Target {
    /// The URL, its scheme `https` when clients speak TLS.
    url: String,
    scheme: &'static str,
    host: String,
    port: u16,
}

impl Target {
    fn parse(url: &str, transport: &Transport) -> anyhow::Result<Self> {
        let uri: http::Uri = url
            .parse()
            .with_context(|| format!("invalid gRPC URL {url}"))?;
        let host = uri
            .host()
            .with_context(|| format!("gRPC URL {url} names no host"))?
            .to_owned();
        // With a CA configured every call is encrypted, so an `http://` URL left over
        // from a workstation's settings never sends a request in clear.
        let scheme = if transport.client.is_some() || uri.scheme_str() == Some("https") {
            "https"
        } else {
            "http"
        };
        let port = uri
            .port_u16()
            .unwrap_or(if scheme == "https" { 443 } else { 80 });
        let path = uri.path_and_query().map_or("", |p| p.as_str());
        let path = if path == "/" { "" } else { path };
        Ok(Self {
            url: format!("{scheme}://{host}:{port}{path}"),
            scheme,
            host,
            port,
        })
    }
}

/// The DNS resolver of a balancing client.
fn lookup(host: String, port: u16) -> Resolve {
    Arc::new(move || {
        let host = host.clone();
        Box::pin(async move {
            tokio::net::lookup_host((host.as_str(), port))
                .await
                .map(Iterator::collect)
        })
    })
}

/// Keeps a balanced channel's endpoints those `resolve` finds, until the channel is
/// dropped. New addresses join before gone ones leave, so calls always have somewhere
/// to go. While nothing was ever found, calls go to the name itself and fail (or not)
/// as an unbalanced client's would, rather than wait for an address.
async fn follow(
    resolve: Resolve,
    changes: tokio::sync::mpsc::Sender<Change<String, Endpoint>>,
    by_name: Endpoint,
    at: impl Fn(SocketAddr) -> anyhow::Result<Endpoint>,
    every: Duration,
) {
    let name = by_name.uri().to_string();
    let mut current: HashSet<SocketAddr> = HashSet::new();
    let mut named = false;
    loop {
        let found: HashSet<SocketAddr> = match resolve().await {
            Ok(found) => found.into_iter().collect(),
            Err(error) => {
                tracing::warn!(service = name, %error, "resolving a gRPC service failed");
                HashSet::new()
            }
        };
        let mut sent = Vec::new();
        if found.is_empty() {
            // Nothing found now: keep the last addresses known.
            if current.is_empty() && !named {
                sent.push(Change::Insert(name.clone(), by_name.clone()));
                named = true;
            }
        } else {
            for address in found.difference(&current) {
                match at(*address) {
                    Ok(endpoint) => sent.push(Change::Insert(address.to_string(), endpoint)),
                    Err(error) => {
                        let error = format!("{error:#}");
                        tracing::warn!(service = name, %address, error, "gRPC endpoint refused");
                    }
                }
            }
            for address in current.difference(&found) {
                sent.push(Change::Remove(address.to_string()));
            }
            if named {
                sent.push(Change::Remove(name.clone()));
                named = false;
            }
            if !sent.is_empty() {
                let addresses: Vec<String> = found.iter().map(ToString::to_string).collect();
                tracing::info!(service = name, ?addresses, "gRPC service addresses changed");
            }
            current = found;
        }
        for change in sent {
            if changes.send(change).await.is_err() {
                return; // The channel is gone.
            }
        }
        tokio::select! {
            () = changes.closed() => return,
            () = tokio::time::sleep(every) => {}
        }
    }
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
    #[cfg(feature = "db")]
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_a_ca_every_url_is_dialled_over_tls_and_checked_against_its_host() {
        let plain = Target::parse("http://guichet-identity:50051", &Transport::default());
        assert_eq!(
            plain.map(|t| t.url).ok().as_deref(),
            Some("http://guichet-identity:50051")
        );
        let tls = Transport {
            client: Some(ClientTlsConfig::new()),
            ..Transport::default()
        };
        for url in [
            "http://guichet-identity:50051",
            "https://guichet-identity:50051",
        ] {
            let target = Target::parse(url, &tls).ok();
            assert_eq!(
                target.map(|t| (t.url, t.scheme, t.host, t.port)),
                Some((
                    "https://guichet-identity:50051".to_owned(),
                    "https",
                    "guichet-identity".to_owned(),
                    50051
                )),
                "{url}"
            );
        }
        assert!(Target::parse("not a url", &tls).is_err());
    }
}
