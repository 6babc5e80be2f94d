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
    ports: &[u16],
    runs: impl IntoIterator<Item = tokio::task::JoinHandle<anyhow::Result<()>>>,
    stop: CancellationToken,
) {
    let channels: Vec<_> = ports
        .iter()
        .map(|port| grpc::connect_lazy(&format!("http://127.0.0.1:{port}")).unwrap())
        .collect();
    for (port, channel) in ports.iter().zip(&channels) {
        assert!(
            grpc::is_serving(channel.clone()).await,
            "port {port} answers health"
        );
    }
    stop.cancel();
    for run in runs {
        let stopped = tokio::time::timeout(Duration::from_secs(10), run)
            .await
            .expect("stops in time");
        assert!(stopped.unwrap().is_ok());
    }
    for channel in channels {
        assert!(!grpc::is_serving(channel).await);
    }
}

#[tokio::test]
async fn services_not_built_yet_start_answer_health_and_stop() {
    let stop = CancellationToken::new();
    let teleservices = guichet_teleservices::Application::build(settings("skel_tls").await)
        .await
        .unwrap();
    let rapo = guichet_rapo::Application::build(settings("skel_rapo").await)
        .await
        .unwrap();
    let ports = [teleservices.port(), rapo.port()];
    let runs = [
        tokio::spawn(teleservices.run(stop.clone().cancelled_owned())),
        tokio::spawn(rapo.run(stop.clone().cancelled_owned())),
    ];
    serves_then_stops(&ports, runs, stop).await;
}
