//! The teleservices service: procedures city staff design with the form generator,
//! pilot and publish, and the demands residents file with them.
//!
//! - [`form`]: the form generator's pure core (definitions, conditions, validation).
//! - [`pilot`]: who sees a teleservice while it is piloted.
//! - `service`: the use cases; `store`: their SQL; `grpc`: the gRPC face.

mod design;
mod drafts;
pub mod form;
mod grpc;
pub mod pilot;
mod privacy;
mod profile;
mod service;
mod store;
mod views;

use std::future::Future;

use guichet_kit::{
    Clock,
    auth::Verifier,
    bus::topology::TELESERVICES_PRIVACY,
    demand::erasure::Eraser,
    grpc::{Parts, connect_lazy},
    serve,
};
use guichet_proto::{
    demand::v1::demands_server::DemandsServer, identity::v1::accounts_client::AccountsClient,
    privacy::v1::privacy_server::PrivacyServer,
    teleservices::v1::teleservices_server::TeleservicesServer,
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// The shared service settings: teleservices has no section of its own, so its
/// settings are exactly the kit's (complaints and RAPO add theirs beside them).
pub use guichet_kit::config::ServiceSettings as Settings;
pub use service::MAX_UPLOAD;

/// Uploads travel inside gRPC messages: room for the largest file and its envelope.
const MAX_MESSAGE: usize = MAX_UPLOAD + 64 * 1024;

/// The running service: its listener, database and bus, built before it serves so a
/// test knows its port.
pub struct Application {
    parts: Parts,
    service: service::Teleservices,
    verifier: Verifier,
}

impl Application {
    /// Connects to the database (creating and migrating it) and binds the gRPC port.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let parts = Parts::open(&settings, &sqlx::migrate!("./migrations")).await?;
        let accounts = AccountsClient::new(connect_lazy(&settings.auth.identity_url)?);
        Ok(Self {
            service: service::Teleservices::new(parts.pool.clone(), clock, accounts),
            parts,
            verifier: Verifier::new(&settings.auth.identity_url)?,
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
        let service = grpc::Service::new(self.service, self.verifier);
        let services = guichet_kit::grpc::Services::default()
            .add_service(
                TeleservicesServer::new(service.clone())
                    .max_decoding_message_size(MAX_MESSAGE)
                    .max_encoding_message_size(MAX_MESSAGE),
            )
            .add_service(DemandsServer::new(service.clone()))
            .add_service(PrivacyServer::new(service));
        let eraser = Eraser {
            silo: service::SILO,
            also: privacy::Drafts,
        };
        let privacy = (TELESERVICES_PRIVACY.subscription(), eraser);
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
