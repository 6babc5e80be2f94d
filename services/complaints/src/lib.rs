//! The complaints service: residents report problems in public space (potholes, broken
//! lights, fly-tipping…) on any channel; the complaint is routed to the department of its
//! category and followed like every other demand.

//!
//! Inside, as in every silo: `grpc` (the gRPC face) calls the use cases — `service`,
//! with `handling` and `public` — which call `store` (SQL), `views` (protobuf) and
//! `domain` (rules and types); `events` and `privacy` beside them.

pub mod domain;
mod events;
mod grpc;
mod handling;
mod privacy;
mod public;
mod service;
mod store;
mod views;

use std::future::Future;

use guichet_kit::{
    Clock, auth::Verifier, bus::topology::COMPLAINTS_PRIVACY, config::ServiceSettings,
    demand::erasure::Eraser, grpc::Parts, serve,
};
use guichet_proto::{
    complaints::v1::complaints_server::ComplaintsServer, demand::v1::demands_server::DemandsServer,
    privacy::v1::privacy_server::PrivacyServer,
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub use domain::Tuning;

/// The shared service settings and the complaints service's own (`[complaints]`).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    #[serde(flatten)]
    pub service: ServiceSettings,
    pub complaints: Tuning,
}

impl From<ServiceSettings> for Settings {
    fn from(service: ServiceSettings) -> Self {
        Self {
            service,
            ..Self::default()
        }
    }
}

/// Filings carry up to 5 photos of 5 MiB; photos are read back whole.
const MAX_MESSAGE: usize = 27 * 1024 * 1024;

/// The running service: its listener, database and bus, built before it serves so a
/// test knows its port.
pub struct Application {
    parts: Parts,
    clock: Clock,
    verifier: Verifier,
    tuning: Tuning,
}

impl Application {
    /// Connects to the database (creating and migrating it) and binds the gRPC port.
    pub async fn build(settings: impl Into<Settings>, clock: Clock) -> anyhow::Result<Self> {
        let Settings {
            service: settings,
            complaints: tuning,
        } = settings.into();
        Ok(Self {
            parts: Parts::open(&settings, &sqlx::migrate!("./migrations")).await?,
            clock,
            verifier: Verifier::new(&settings.auth.identity_url)?,
            tuning,
        })
    }

    pub fn port(&self) -> u16 {
        self.parts.port()
    }

    /// The service's database, for tests that check what was (not) stored.
    pub fn pool(&self) -> &PgPool {
        &self.parts.pool
    }

    /// Serves gRPC and relays the outbox until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let complaints = service::Complaints::new(self.parts.pool.clone(), self.clock, self.tuning);
        let service = grpc::Service::new(complaints, self.verifier);
        let complaints = ComplaintsServer::new(service.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let services = guichet_kit::grpc::Services::default()
            .add_service(complaints)
            .add_service(DemandsServer::new(service.clone()))
            .add_service(PrivacyServer::new(service));
        let eraser = Eraser {
            silo: events::SILO,
            also: privacy::Follows,
        };
        let privacy = (COMPLAINTS_PRIVACY.subscription(), eraser);
        serve::run(
            self.parts,
            privacy,
            services,
            shutdown,
            CancellationToken::new(),
        )
        .await
    }
}
