//! gRPC start-up and shutdown: health, reflection, and NOT_SERVING before stopping.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use guichet_kit::{config::ServerConfig, grpc};
use tokio::sync::oneshot;
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
        tonic::service::Routes::default(),
        &["guichet.test.v1.Nothing"],
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
            service: "guichet.test.v1.Nothing".into(),
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

#[tokio::test]
async fn reflection_lists_the_guichet_services() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let listener = grpc::bind(&ServerConfig::on_port(0)).await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let (stop, stopped) = oneshot::channel::<()>();
    tokio::spawn(grpc::serve(
        listener,
        tonic::service::Routes::default(),
        &[],
        None,
        async {
            stopped.await.ok();
        },
    ));
    let mut client = ServerReflectionClient::new(grpc::connect_lazy(&url).unwrap());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::FileContainingSymbol(
            "guichet.demand.v1.Demands".into(),
        )),
    };
    let mut responses = client
        .server_reflection_info(tokio_stream::iter([request]))
        .await
        .unwrap()
        .into_inner();
    let response = responses.message().await.unwrap().unwrap();
    assert!(matches!(
        response.message_response,
        Some(MessageResponse::FileDescriptorResponse(_))
    ));
    drop(responses);
    stop.send(()).ok();
}
