//! The RAPO service: residents contest the city's parking fines (forfaits
//! post-stationnement, FPS) through the mandatory prior administrative appeal; the
//! municipal police read the dossier, talk to the resident and decide within the legal
//! month, or the scheduler records the implicit rejection the law gives to silence.

mod decision;
pub mod domain;
mod events;
mod grpc;
mod privacy;
pub mod scheduler;
mod store;

use std::{future::Future, time::Duration};

use guichet_kit::{Clock, auth::Verifier, bus::Bus, config::ServiceSettings, db};
use guichet_proto::{
    demand::v1::demands_server::DemandsServer, privacy::v1::privacy_server::PrivacyServer,
    rapo::v1::rapo_server::RapoServer,
};
use serde::Deserialize;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// Largest gRPC message accepted: a dispute with its pieces (10 MiB at most) or a large
/// registry import, with room for the protobuf framing.
pub const MAX_MESSAGE_BYTES: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    #[serde(flatten)]
    pub service: ServiceSettings,
    pub scheduler: SchedulerConfig,
}

/// The deadline scheduler.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SchedulerConfig {
    /// How often each replica looks for disputes whose month has passed. A minute is
    /// plenty for a deadline counted in days; tests tick much faster.
    pub tick_ms: u64,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        Self { tick_ms: 60_000 }
    }
}

/// The running service: its listener, database and bus, built before it serves so a
/// test knows its port.
pub struct Application {
    listener: TcpListener,
    pool: PgPool,
    bus: Bus,
    clock: Clock,
    verifier: Verifier,
    tick: Duration,
}

impl Application {
    /// Connects to the database (creating and migrating it) and binds the gRPC port.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let service = settings.service;
        let pool = db::connect(&service.database, &sqlx::migrate!("./migrations")).await?;
        let listener = guichet_kit::grpc::bind(&service.grpc).await?;
        Ok(Self {
            listener,
            pool,
            bus: Bus::new(service.amqp),
            clock,
            verifier: Verifier::new(&service.auth.identity_url)?,
            tick: Duration::from_millis(settings.scheduler.tick_ms.max(10)),
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The service's database, for tests that check what was (not) stored.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Serves gRPC, relays the outbox, anonymises erased accounts and runs the deadline
    /// scheduler until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let dependencies = guichet_kit::grpc::Dependencies {
            pool: self.pool.clone(),
            bus: self.bus.clone(),
        };
        let stop = CancellationToken::new();
        let relay = tokio::spawn(guichet_kit::bus::relay(
            self.pool.clone(),
            self.bus.clone(),
            stop.clone(),
        ));
        let anonymiser = tokio::spawn(guichet_kit::bus::consume(
            self.bus.clone(),
            self.pool.clone(),
            guichet_kit::bus::topology::RAPO_PRIVACY.subscription(),
            guichet_kit::demand::erasure::Eraser(privacy::Anonymiser),
            stop.clone(),
        ));
        let scheduler = tokio::spawn(scheduler::run(
            self.pool.clone(),
            self.clock.clone(),
            self.tick,
            stop.clone(),
        ));
        let service = grpc::RapoService::new(self.pool, self.clock, self.verifier);
        let services = guichet_kit::grpc::Services::default()
            .add_service(
                RapoServer::new(service.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES),
            )
            .add_service(DemandsServer::new(service.clone()))
            .add_service(PrivacyServer::new(service));
        let served =
            guichet_kit::grpc::serve(self.listener, services, Some(dependencies), shutdown).await;
        stop.cancel();
        relay.await.ok();
        anonymiser.await.ok();
        scheduler.await.ok();
        served
    }
}
