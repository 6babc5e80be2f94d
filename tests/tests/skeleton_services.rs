//! Services whose issues are not built yet still start with their own database, answer
//! gRPC health and stop cleanly when asked.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use guichet_kit::{
    config::{ServerConfig, ServiceSettings},
    grpc, testing,
};
use tokio_util::sync::CancellationToken;

async fn settings(hint: &str) -> ServiceSettings {
    ServiceSettings {
        database: testing::database(hint),
        amqp: testing::vhost(hint).await.unwrap(),
        grpc: ServerConfig::on_port(0),
        ..ServiceSettings::default()
    }
}

async fn serves_then_stops(
    port: u16,
    run: tokio::task::JoinHandle<anyhow::Result<()>>,
    stop: CancellationToken,
) {
    let channel = grpc::connect_lazy(&format!("http://127.0.0.1:{port}")).unwrap();
    assert!(
        grpc::is_serving(channel.clone()).await,
        "port {port} answers health"
    );
    stop.cancel();
    let stopped = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("stops in time");
    assert!(stopped.unwrap().is_ok());
    assert!(!grpc::is_serving(channel).await);
}

#[tokio::test]
async fn identity_starts_answers_health_and_stops() {
    let app = guichet_identity::Application::build(settings("skel_id").await)
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let port = app.port();
    serves_then_stops(
        port,
        tokio::spawn(app.run(stop.clone().cancelled_owned())),
        stop,
    )
    .await;
}

#[tokio::test]
async fn teleservices_starts_answers_health_and_stops() {
    let app = guichet_teleservices::Application::build(settings("skel_tls").await)
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let port = app.port();
    serves_then_stops(
        port,
        tokio::spawn(app.run(stop.clone().cancelled_owned())),
        stop,
    )
    .await;
}

#[tokio::test]
async fn rapo_starts_answers_health_and_stops() {
    let app = guichet_rapo::Application::build(settings("skel_rapo").await)
        .await
        .unwrap();
    let stop = CancellationToken::new();
    let port = app.port();
    serves_then_stops(
        port,
        tokio::spawn(app.run(stop.clone().cancelled_owned())),
        stop,
    )
    .await;
}
