//! The RAPO service: residents contest the city's parking fines (forfaits
//! post-stationnement, FPS) through the mandatory prior administrative appeal; the
//! municipal police read the dossier, talk to the resident and decide within the legal
//! month, or the scheduler records the implicit rejection the law gives to silence.

mod decision;
pub mod domain;
mod events;
mod grpc;
mod privacy;
mod reading;
pub mod scheduler;
mod service;
mod store;
mod views;

use std::{future::Future, time::Duration};

use guichet_kit::{
    Clock, auth::Verifier, bus::topology::RAPO_PRIVACY, config::ServiceSettings,
    demand::erasure::Eraser, grpc::Parts, serve,
};
use guichet_proto::{
    demand::v1::demands_server::DemandsServer, privacy::v1::privacy_server::PrivacyServer,
    rapo::v1::rapo_server::RapoServer,
};
use serde::Deserialize;
use sqlx::PgPool;
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
    parts: Parts,
    clock: Clock,
    verifier: Verifier,
    tick: Duration,
}

impl Application {
    /// Connects to the database (creating and migrating it) and binds the gRPC port.
    pub async fn build(settings: impl Into<Settings>, clock: Clock) -> anyhow::Result<Self> {
        let settings: Settings = settings.into();
        let service = settings.service;
        Ok(Self {
            parts: Parts::open(&service, &sqlx::migrate!("./migrations")).await?,
            clock,
            verifier: Verifier::new(&service.auth.identity_url)?,
            tick: Duration::from_millis(settings.scheduler.tick_ms.max(10)),
        })
    }

    pub fn port(&self) -> u16 {
        self.parts.port()
    }

    /// The service's database, for tests that check what was (not) stored.
    pub fn pool(&self) -> &PgPool {
        &self.parts.pool
    }

    /// Serves gRPC, relays the outbox, anonymises erased accounts and runs the deadline
    /// scheduler until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let scheduler = tokio::spawn(scheduler::run(
            self.parts.pool.clone(),
            self.clock.clone(),
            self.tick,
            stop.clone(),
        ));
        let rapo = service::Rapo::new(self.parts.pool.clone(), self.clock);
        let service = grpc::Service::new(rapo, self.verifier);
        let services = guichet_kit::grpc::Services::default()
            .add_service(
                RapoServer::new(service.clone()).max_decoding_message_size(MAX_MESSAGE_BYTES),
            )
            .add_service(DemandsServer::new(service.clone()))
            .add_service(PrivacyServer::new(service));
        let eraser = Eraser {
            silo: events::SILO,
            also: (),
        };
        let privacy = (RAPO_PRIVACY.subscription(), eraser);
        let served = serve::run(self.parts, privacy, services, shutdown, stop).await;
        scheduler.await.ok();
        served
    }
}
