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
mod service;
mod store;

use std::{future::Future, time::Duration};

use guichet_kit::{
    Clock, auth::Verifier, bus::Bus, bus::topology::RAPO_PRIVACY, config::ServiceSettings, db,
    demand::serve,
};
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

/// The shared service settings and the deadline scheduler's (`[scheduler]`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    #[serde(flatten)]
    pub service: ServiceSettings,
    pub scheduler: SchedulerConfig,
}

impl From<ServiceSettings> for Settings {
    fn from(service: ServiceSettings) -> Self {
        Self {
            service,
            ..Self::default()
        }
    }
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
    pub async fn build(settings: impl Into<Settings>, clock: Clock) -> anyhow::Result<Self> {
        let settings: Settings = settings.into();
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
        let stop = CancellationToken::new();
        let scheduler = tokio::spawn(scheduler::run(
            self.pool.clone(),
            self.clock.clone(),
            self.tick,
            stop.clone(),
        ));
        let rapo = service::Rapo::new(self.pool.clone(), self.clock);
        let service = grpc::Service::new(rapo, self.verifier);
        let services = guichet_kit::grpc::Services::default()
            .add_service(
                RapoServer::new(service.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES),
            )
            .add_service(DemandsServer::new(service.clone()))
            .add_service(PrivacyServer::new(service));
        let parts = serve::Parts {
            listener: self.listener,
            pool: self.pool,
            bus: self.bus,
        };
        let privacy = (RAPO_PRIVACY.subscription(), privacy::Anonymiser);
        let served = serve::run(parts, privacy, services, shutdown, stop).await;
        scheduler.await.ok();
        served
    }
}
