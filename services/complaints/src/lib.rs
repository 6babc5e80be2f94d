//! The complaints service: residents report problems in public space (potholes, broken
//! lights, fly-tipping…) on any channel; the complaint is routed to the department of its
//! category and followed like every other demand.

pub mod domain;
mod events;
mod grpc;
mod handling;
mod privacy;
mod public;
mod store;

use std::future::Future;

use guichet_kit::{Clock, auth::Verifier, bus::Bus, db};
use guichet_proto::{
    complaints::v1::complaints_server::ComplaintsServer, demand::v1::demands_server::DemandsServer,
    privacy::v1::privacy_server::PrivacyServer,
};
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use guichet_kit::config::ServiceSettings as Settings;

/// The complaints service's own settings (`[complaints]`, `GUICHET__COMPLAINTS__*`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct Tuning {
    /// An open complaint of the same category within this many metres is offered as a
    /// duplicate (FixMyStreet uses about the same).
    pub duplicate_radius_m: u32,
    /// Radius of the map when the app does not say.
    pub nearby_default_radius_m: u32,
    /// Largest radius a map may ask for: a neighbourhood, not the whole city.
    pub nearby_max_radius_m: u32,
    /// Where complaints are taken (`[complaints.territory]`): Aix-en-Provence unless
    /// configured.
    pub territory: domain::geo::Territory,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            duplicate_radius_m: 50,
            nearby_default_radius_m: 300,
            nearby_max_radius_m: 2_000,
            territory: domain::geo::Territory::default(),
        }
    }
}

/// Filings carry up to 5 photos of 5 MiB; photos are read back whole.
const MAX_MESSAGE: usize = 27 * 1024 * 1024;

/// The running service: its listener, database and bus, built before it serves so a
/// test knows its port.
pub struct Application {
    listener: TcpListener,
    pool: PgPool,
    bus: Bus,
    clock: Clock,
    verifier: Verifier,
    tuning: Tuning,
}

impl Application {
    /// Connects to the database (creating and migrating it) and binds the gRPC port.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let pool = db::connect(&settings.database, &sqlx::migrate!("./migrations")).await?;
        let listener = guichet_kit::grpc::bind(&settings.grpc).await?;
        Ok(Self {
            listener,
            pool,
            bus: Bus::new(settings.amqp),
            clock,
            verifier: Verifier::new(&settings.auth.identity_url)?,
            tuning: Tuning::default(),
        })
    }

    /// Replaces the default tuning (duplicate radius, map radii).
    pub fn with_tuning(mut self, tuning: Tuning) -> Self {
        self.tuning = tuning;
        self
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

    /// Serves gRPC and relays the outbox until `shutdown` completes.
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
            guichet_kit::bus::topology::COMPLAINTS_PRIVACY.subscription(),
            guichet_kit::demand::erasure::Eraser(privacy::Anonymiser),
            stop.clone(),
        ));
        let service =
            grpc::ComplaintsService::new(self.pool, self.clock, self.verifier, self.tuning);
        let complaints = ComplaintsServer::new(service.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let services = guichet_kit::grpc::Services::default()
            .add_service(complaints)
            .add_service(DemandsServer::new(service.clone()))
            .add_service(PrivacyServer::new(service));
        let served =
            guichet_kit::grpc::serve(self.listener, services, Some(dependencies), shutdown).await;
        stop.cancel();
        relay.await.ok();
        anonymiser.await.ok();
        served
    }
}
