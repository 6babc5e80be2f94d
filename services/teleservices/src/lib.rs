//! The teleservices service: procedures city staff design with the form generator,
//! pilot and publish, and the demands residents file with them.
//!
//! - [`form`]: the form generator's pure core (definitions, conditions, validation).
//! - [`pilot`]: who sees a teleservice while it is piloted.
//! - `service`: the use cases; `store`: their SQL; `grpc`: the gRPC face.

pub mod form;
mod grpc;
pub mod pilot;
mod privacy;
mod profile;
mod service;
mod store;

use std::future::Future;

use guichet_kit::{
    Clock, auth::Verifier, bus::Bus, bus::topology::TELESERVICES_PRIVACY, db, demand::serve,
    grpc::connect_lazy,
};
use guichet_proto::{
    demand::v1::demands_server::DemandsServer, identity::v1::accounts_client::AccountsClient,
    privacy::v1::privacy_server::PrivacyServer,
    teleservices::v1::teleservices_server::TeleservicesServer,
};
use sqlx::PgPool;
use tokio::net::TcpListener;
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
    listener: TcpListener,
    pool: PgPool,
    bus: Bus,
    service: service::Teleservices,
    verifier: Verifier,
}

impl Application {
    /// Connects to the database (creating and migrating it) and binds the gRPC port.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let pool = db::connect(&settings.database, &sqlx::migrate!("./migrations")).await?;
        let listener = guichet_kit::grpc::bind(&settings.grpc).await?;
        let accounts = AccountsClient::new(connect_lazy(&settings.auth.identity_url)?);
        Ok(Self {
            listener,
            service: service::Teleservices::new(pool.clone(), clock, accounts),
            pool,
            bus: Bus::new(settings.amqp),
            verifier: Verifier::new(&settings.auth.identity_url)?,
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
        let parts = serve::Parts {
            listener: self.listener,
            pool: self.pool,
            bus: self.bus,
        };
        let privacy = (TELESERVICES_PRIVACY.subscription(), privacy::Anonymiser);
        serve::run(parts, privacy, services, shutdown, CancellationToken::new()).await
    }
}
