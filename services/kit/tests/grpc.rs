//! gRPC start-up and shutdown: health and reflection report exactly the services a port
//! serves, and health turns NOT_SERVING before stopping.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use guichet_kit::{config::ServerConfig, grpc};
use guichet_proto::{
    identity::v1::{
        GetJwksRequest, Jwks,
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
