//! The notifications service started in-process for its integration tests: its own
//! database and vhost, tokens from a real key server, stopped when dropped.

use guichet_kit::{
    Clock,
    bus::{Bus, Publisher, consumer},
    grpc::{self, TracedChannel},
    testing::{self, TokenIssuer},
};
use guichet_notifications::{Application, Settings};
use sqlx::PgPool;
use tokio_util::sync::{CancellationToken, DropGuard};

// Each test binary uses part of it.
#[allow(dead_code)]
pub struct Service {
    pub issuer: TokenIssuer,
    pub channel: TracedChannel,
    pub pool: PgPool,
    pub publisher: Publisher,
    /// Stops the service when the test ends.
    _stop: DropGuard,
}

/// Starts the service and waits until `queue` (the consumer under test) exists, so
/// nothing published afterwards is lost.
#[allow(dead_code)] // each test binary uses part of it
pub async fn start(hint: &str, queue: &str) -> Service {
    start_with(hint, queue, Clock::system()).await
}

/// The same on `clock`, sending e-mail and SMS nowhere (deliveries stay visible in the
/// database, and fail).
#[allow(dead_code)] // each test binary uses part of it
pub async fn start_with(hint: &str, queue: &str, clock: Clock) -> Service {
    testing::init_logs();
    let issuer = TokenIssuer::start().await.unwrap();
    let service = testing::service_settings(hint, &issuer.url).await.unwrap();
    let amqp = service.amqp.clone();
    let mut settings = Settings {
        service,
        ..Settings::default()
    };
    // Port 9 (discard): nothing answers, nothing leaves the machine.
    settings.smtp.port = 9;
    settings.sms.endpoint = "http://127.0.0.1:9/sms".to_owned();
    // Due deliveries are found at once when a test moves the clock.
    settings.delivery.poll_ms = 50;
    let app = Application::build(settings, clock).await.unwrap();
    let pool = app.pool().clone();
    let channel = grpc::connect_lazy(&format!("http://127.0.0.1:{}", app.port())).unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(app.run(stop.clone().cancelled_owned()));
    let bus = Bus::new(amqp);
    let declared =
        testing::eventually(|| async { consumer::queue_depth(&bus, queue).await.ok() }).await;
    assert!(declared.is_some(), "the consumer never declared {queue}");
    Service {
        issuer,
        channel,
        pool,
        publisher: Publisher::open(&bus).await.unwrap(),
        _stop: stop.drop_guard(),
    }
}
