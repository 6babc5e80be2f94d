//! gRPC start-up and shutdown: health and reflection report exactly the services a port
//! serves, and health turns NOT_SERVING before stopping. Between services, gRPC goes over
//! TLS when configured, and a balancing client spreads calls over every replica found.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::{
    net::SocketAddr,
    path::PathBuf,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::Duration,
};

use guichet_kit::{
    config::{ServerConfig, TransportConfig},
    grpc::{self, Transport},
};
use guichet_proto::{
    identity::v1::{
        GetJwksRequest, Jwks,
        keys_client::KeysClient,
        keys_server::{Keys, KeysServer},
    },
    privacy::v1::{
        ExportPersonalDataRequest, PersonalData,
        privacy_server::{Privacy, PrivacyServer},
    },
};
use tokio::sync::oneshot;
use tonic::{Request, Response, Status};
use tonic_health::pb::{
    HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
};

#[tokio::test]
async fn health_turns_not_serving_then_the_server_stops() {
    let listener = grpc::bind(&ServerConfig::on_port(0)).await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(grpc::serve(
        listener,
        grpc::Services::default().add_service(KeysServer::new(StandInKeys)),
        None,
        async {
            stopped.await.ok();
        },
    ));

    let channel = grpc::connect_lazy(&url).unwrap();
    assert!(grpc::is_serving(channel.clone()).await);
    let mut health = HealthClient::new(channel.clone());
    let named = health
        .check(HealthCheckRequest {
            service: "guichet.identity.v1.Keys".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(named.status(), ServingStatus::Serving);

    let mut watch = health
        .watch(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        watch.message().await.unwrap().unwrap().status(),
        ServingStatus::Serving
    );

    stop.send(()).unwrap();
    let update = tokio::time::timeout(Duration::from_secs(5), watch.message())
        .await
        .expect("an update before stopping")
        .unwrap()
        .unwrap();
    assert_eq!(update.status(), ServingStatus::NotServing);
    drop(watch);
    drop(health);

    let result = tokio::time::timeout(Duration::from_secs(10), server)
        .await
        .expect("the server stops");
    assert!(result.unwrap().is_ok());
    assert!(!grpc::is_serving(channel).await);
}

/// A stand-in for `guichet.identity.v1.Keys`.
#[derive(Clone)]
struct StandInKeys;

#[tonic::async_trait]
impl Keys for StandInKeys {
    async fn get_jwks(&self, _: Request<GetJwksRequest>) -> Result<Response<Jwks>, Status> {
        Ok(Response::new(Jwks::default()))
    }
}

/// A stand-in for `guichet.privacy.v1.Privacy`.
#[derive(Clone)]
struct StandInPrivacy;

#[tonic::async_trait]
impl Privacy for StandInPrivacy {
    async fn export_personal_data(
        &self,
        _: Request<ExportPersonalDataRequest>,
    ) -> Result<Response<PersonalData>, Status> {
        Ok(Response::new(PersonalData::default()))
    }
}

/// A port serving Keys and Privacy, as a service's own server is started.
async fn keys_and_privacy() -> (String, oneshot::Sender<()>) {
    let listener = grpc::bind(&ServerConfig::on_port(0)).await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (stop, stopped) = oneshot::channel::<()>();
    let services = grpc::Services::default()
        .add_service(KeysServer::new(StandInKeys))
        .add_service(PrivacyServer::new(StandInPrivacy));
    assert_eq!(
        services.names().collect::<Vec<_>>(),
        ["guichet.identity.v1.Keys", "guichet.privacy.v1.Privacy"]
    );
    tokio::spawn(grpc::serve(listener, services, None, async {
        stopped.await.ok();
    }));
    (url, stop)
}

/// What reflection `v1` lists, sorted, and whether it describes `symbol`.
async fn reflection_v1(url: &str, symbol: &str) -> (Vec<String>, bool) {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut client = ServerReflectionClient::new(grpc::connect_lazy(url).unwrap());
    let requests = [
        MessageRequest::ListServices(String::new()),
        MessageRequest::FileContainingSymbol(symbol.to_owned()),
    ]
    .map(|request| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    });
    let mut responses = client
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.message().await.unwrap().unwrap().message_response
    else {
        panic!("reflection v1 did not list services");
    };
    let described = matches!(
        responses.message().await.unwrap().unwrap().message_response,
        Some(MessageResponse::FileDescriptorResponse(_))
    );
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    (names, described)
}

/// What reflection `v1alpha` lists, sorted, and whether it describes `symbol`.
async fn reflection_v1alpha(url: &str, symbol: &str) -> (Vec<String>, bool) {
    use tonic_reflection::pb::v1alpha::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let mut client = ServerReflectionClient::new(grpc::connect_lazy(url).unwrap());
    let requests = [
        MessageRequest::ListServices(String::new()),
        MessageRequest::FileContainingSymbol(symbol.to_owned()),
    ]
    .map(|request| ServerReflectionRequest {
        host: String::new(),
        message_request: Some(request),
    });
    let mut responses = client
        .server_reflection_info(tokio_stream::iter(requests))
        .await
        .unwrap()
        .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.message().await.unwrap().unwrap().message_response
    else {
        panic!("reflection v1alpha did not list services");
    };
    let described = matches!(
        responses.message().await.unwrap().unwrap().message_response,
        Some(MessageResponse::FileDescriptorResponse(_))
    );
    let mut names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    names.sort();
    (names, described)
}

/// Exactly what the port answers: its services, health and reflection itself.
const SERVED: [&str; 5] = [
    "grpc.health.v1.Health",
    "grpc.reflection.v1.ServerReflection",
    "grpc.reflection.v1alpha.ServerReflection",
    "guichet.identity.v1.Keys",
    "guichet.privacy.v1.Privacy",
];

#[tokio::test]
async fn reflection_v1_lists_exactly_the_services_the_port_serves() {
    let (url, _stop) = keys_and_privacy().await;
    let (listed, described) = reflection_v1(&url, "guichet.privacy.v1.Privacy").await;
    assert_eq!(listed, SERVED);
    assert!(described, "a served service is described");
}

#[tokio::test]
async fn reflection_v1alpha_lists_exactly_the_services_the_port_serves() {
    let (url, _stop) = keys_and_privacy().await;
    let (listed, described) = reflection_v1alpha(&url, "guichet.identity.v1.Keys").await;
    assert_eq!(listed, SERVED);
    assert!(described, "a served service is described");
}

#[tokio::test]
async fn health_reports_every_service_the_port_serves_and_no_other() {
    let (url, _stop) = keys_and_privacy().await;
    let mut health = HealthClient::new(grpc::connect_lazy(&url).unwrap());
    for service in ["", "guichet.identity.v1.Keys", "guichet.privacy.v1.Privacy"] {
        // The first statuses are set as the server starts: allow it a moment.
        let mut status = None;
        for _ in 0..50 {
            let answer = health
                .check(HealthCheckRequest {
                    service: service.into(),
                })
                .await;
            status = answer.ok().map(|r| r.into_inner().status());
            if status == Some(ServingStatus::Serving) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(
            status,
            Some(ServingStatus::Serving),
            "health of {service:?}"
        );
    }
    let unknown = health
        .check(HealthCheckRequest {
            service: "guichet.complaints.v1.Complaints".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
}

/// A stand-in for `guichet.identity.v1.Keys` counting the calls it answers.
#[derive(Clone)]
struct CountingKeys(Arc<AtomicUsize>);

#[tonic::async_trait]
impl Keys for CountingKeys {
    async fn get_jwks(&self, _: Request<GetJwksRequest>) -> Result<Response<Jwks>, Status> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(Response::new(Jwks::default()))
    }
}

/// A replica serving Keys over `transport`: its address, its call count, its stop.
async fn replica(transport: Transport) -> (SocketAddr, Arc<AtomicUsize>, oneshot::Sender<()>) {
    let listener = grpc::bind(&ServerConfig::on_port(0)).await.unwrap();
    let address = listener.local_addr().unwrap();
    let calls = Arc::new(AtomicUsize::new(0));
    let (stop, stopped) = oneshot::channel::<()>();
    let services =
        grpc::Services::default().add_service(KeysServer::new(CountingKeys(calls.clone())));
    tokio::spawn(grpc::serve_with_transport(
        transport,
        listener,
        services,
        None,
        async {
            stopped.await.ok();
        },
    ));
    (address, calls, stop)
}

/// Whether a call through `channel` is answered.
async fn answered(channel: grpc::TracedChannel) -> bool {
    refusal(channel).await.is_none()
}

/// Why a call through `channel` was refused, if it was: the status code and message.
async fn refusal(channel: grpc::TracedChannel) -> Option<(tonic::Code, String)> {
    KeysClient::new(channel)
        .get_jwks(GetJwksRequest::default())
        .await
        .err()
        .map(|status| (status.code(), format!("{status:?}")))
}

/// A CA and a server certificate for `localhost` it signed, in PEM files; and a second
/// CA, unrelated.
struct Pki {
    dir: PathBuf,
    ca: PathBuf,
    other_ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

fn pki() -> Pki {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    let dir = std::env::temp_dir().join(format!("guichet-tls-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |file: &str, pem: String| {
        let path = dir.join(file);
        std::fs::write(&path, pem).unwrap();
        path
    };
    let authority = |file: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let key = KeyPair::generate().unwrap();
        let cert = params.self_signed(&key).unwrap();
        (write(file, cert.pem()), Issuer::new(params, key))
    };
    let (ca, issuer) = authority("ca.crt");
    let (other_ca, _) = authority("other-ca.crt");
    let key = KeyPair::generate().unwrap();
    let cert = CertificateParams::new(vec!["localhost".to_owned()])
        .unwrap()
        .signed_by(&key, &issuer)
        .unwrap();
    Pki {
        dir: dir.clone(),
        ca,
        other_ca,
        cert: write("tls.crt", cert.pem()),
        key: write("tls.key", key.serialize_pem()),
    }
}

#[tokio::test]
async fn only_a_client_trusting_the_services_ca_reaches_a_tls_server() {
    let pki = pki();
    // A free port for the kubelet's plain-text probes.
    let health_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let server = Transport::from_config(&TransportConfig {
        tls_cert: Some(pki.cert.clone()),
        tls_key: Some(pki.key.clone()),
        health_port: Some(health_port),
        ..TransportConfig::default()
    })
    .unwrap();
    let (address, calls, _stop) = replica(server).await;
    // The workstation's URL: with a CA configured the client speaks TLS all the same.
    let url = format!("http://127.0.0.1:{}", address.port());
    let client = |ca: &PathBuf, domain: Option<&str>| {
        Transport::from_config(&TransportConfig {
            tls_ca: Some(ca.clone()),
            tls_domain: domain.map(str::to_owned),
            ..TransportConfig::default()
        })
        .unwrap()
        .connect(&url, Duration::from_secs(5))
        .unwrap()
    };

    let trusting = client(&pki.ca, Some("localhost"));
    assert!(
        answered(trusting.clone()).await,
        "a client with the CA is answered"
    );
    assert!(grpc::is_serving(trusting).await);
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let plain = Transport::default()
        .connect(&url, Duration::from_secs(5))
        .unwrap();
    // Each refused by the connection itself, for its own reason.
    let (_, why) = refusal(plain)
        .await
        .expect("a plain-text client is refused");
    assert!(
        why.contains("Transport"),
        "refused by the TLS server: {why}"
    );
    let other = client(&pki.other_ca, Some("localhost"));
    let (code, why) = refusal(other)
        .await
        .expect("a client trusting another CA is refused");
    assert_eq!(code, tonic::Code::Unavailable, "{why}");
    assert!(
        why.contains("invalid peer certificate: BadSignature"),
        "{why}"
    );
    // The certificate names `localhost`, not the address dialled.
    let misnamed = client(&pki.ca, None);
    let (code, why) = refusal(misnamed)
        .await
        .expect("a certificate for another name is refused");
    assert_eq!(code, tonic::Code::Unavailable, "{why}");
    assert!(why.contains("not valid for name"), "{why}");
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    // Balanced over TLS: each address dialled, each certificate checked against the name.
    let resolve: grpc::Resolve = Arc::new(move || Box::pin(async move { Ok(vec![address]) }));
    let balanced = Transport::from_config(&TransportConfig {
        tls_ca: Some(pki.ca.clone()),
        ..TransportConfig::default()
    })
    .unwrap()
    .connect_resolved("https://localhost:443", Duration::from_secs(5), resolve)
    .unwrap();
    assert!(answered(balanced).await);
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    // The probes' port answers health in plain text, and nothing else.
    let probes = Transport::default()
        .connect(
            &format!("http://127.0.0.1:{health_port}"),
            Duration::from_secs(5),
        )
        .unwrap();
    assert!(
        grpc::is_serving(probes.clone()).await,
        "the kubelet's probe"
    );
    let refused = refusal(probes).await.map(|(code, _)| code);
    assert_eq!(
        refused,
        Some(tonic::Code::Unimplemented),
        "no service but health in plain text"
    );
    assert_eq!(calls.load(Ordering::SeqCst), 2);

    let half = Transport::from_config(&TransportConfig {
        tls_cert: Some(pki.cert.clone()),
        ..TransportConfig::default()
    });
    assert!(
        half.is_err(),
        "a certificate without its key stops the start"
    );
    std::fs::remove_dir_all(&pki.dir).ok();
}

#[tokio::test]
async fn a_balancing_client_calls_every_replica_found_and_leaves_a_gone_one() {
    let (first, first_calls, stop_first) = replica(Transport::default()).await;
    let (second, second_calls, _stop_second) = replica(Transport::default()).await;
    // What DNS would answer for a headless Service, changing as replicas come and go.
    let replicas = Arc::new(Mutex::new(vec![first]));
    let resolve: grpc::Resolve = {
        let replicas = replicas.clone();
        Arc::new(move || {
            let found = replicas.lock().unwrap().clone();
            Box::pin(async move { Ok(found) })
        })
    };
    let every = Duration::from_millis(100);
    let channel = Transport::default()
        .resolving_every(every)
        .connect_resolved(
            "http://keys.guichet.svc:50051",
            Duration::from_secs(5),
            resolve,
        )
        .unwrap();

    for _ in 0..10 {
        assert!(answered(channel.clone()).await);
    }
    assert_eq!(first_calls.load(Ordering::SeqCst), 10);

    // A new replica gets calls once it is found (re-resolving every 100 ms; a loaded
    // machine may take longer, so the test waits for it rather than a fixed time).
    replicas.lock().unwrap().push(second);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    let mut calls = 10;
    while second_calls.load(Ordering::SeqCst) == 0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the new replica was never called"
        );
        assert!(answered(channel.clone()).await);
        calls += 1;
        tokio::time::sleep(every / 10).await;
    }
    for _ in 0..40 {
        assert!(answered(channel.clone()).await);
    }
    calls += 40;
    let (on_first, on_second) = (
        first_calls.load(Ordering::SeqCst),
        second_calls.load(Ordering::SeqCst),
    );
    assert_eq!(on_first + on_second, calls);
    assert!(on_first > 10 && on_second > 1, "{on_first} and {on_second}");

    // The first replica leaves the answer: once the client has seen it (20 calls in a
    // row on the second), the first stops, and calls keep being answered by the second.
    replicas.lock().unwrap().retain(|address| *address != first);
    let mut in_a_row = 0;
    while in_a_row < 20 {
        assert!(
            tokio::time::Instant::now() < deadline + Duration::from_secs(10),
            "the client kept calling a replica no longer found"
        );
        let before = first_calls.load(Ordering::SeqCst);
        assert!(answered(channel.clone()).await);
        in_a_row = if first_calls.load(Ordering::SeqCst) == before {
            in_a_row + 1
        } else {
            0
        };
    }
    let (on_first, on_second) = (
        first_calls.load(Ordering::SeqCst),
        second_calls.load(Ordering::SeqCst),
    );
    stop_first.send(()).unwrap();
    for _ in 0..20 {
        assert!(
            answered(channel.clone()).await,
            "a call after a replica left"
        );
    }
    assert_eq!(first_calls.load(Ordering::SeqCst), on_first);
    assert_eq!(second_calls.load(Ordering::SeqCst), on_second + 20);
}
