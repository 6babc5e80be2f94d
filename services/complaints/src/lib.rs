//! The complaints service: residents report problems in public space (potholes, broken
//! lights, fly-tipping…) on any channel; the complaint is routed to the department of its
//! category and followed like every other demand.

pub mod domain;
mod events;
mod grpc;
mod privacy;
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

/// The running service: its listener, database and bus, built before it serves so a
/// test knows its port.
pub struct Application {
    listener: TcpListener,
    pool: PgPool,
    bus: Bus,
    clock: Clock,
    verifier: Verifier,
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
        let stop = CancellationToken::new();
        let relay = tokio::spawn(guichet_kit::bus::relay(
            self.pool.clone(),
            self.bus.clone(),
            stop.clone(),
        ));
        let anonymiser = tokio::spawn(guichet_kit::bus::consume(
            self.bus.clone(),
            self.pool.clone(),
            privacy::subscription(),
            privacy::Anonymiser,
            stop.clone(),
        ));
        let service = grpc::ComplaintsService::new(self.pool, self.clock, self.verifier);
        let routes = tonic::service::Routes::new(ComplaintsServer::new(service.clone()))
            .add_service(DemandsServer::new(service.clone()))
            .add_service(PrivacyServer::new(service));
        let served = guichet_kit::grpc::serve(
            self.listener,
            routes,
            &[
                "guichet.complaints.v1.Complaints",
                "guichet.demand.v1.Demands",
            ],
            shutdown,
        )
        .await;
        stop.cancel();
        relay.await.ok();
        anonymiser.await.ok();
        served
    }
}
