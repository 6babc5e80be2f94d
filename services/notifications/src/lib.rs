//! The notifications service consumes demand events and makes sure the right people hear
//! about them. Today: each event becomes an item in the responsible department's feed.

pub mod feed;
mod grpc;

use std::future::Future;

use guichet_kit::{
    auth::Verifier,
    bus::{self, Bus},
    db,
};
use guichet_proto::notifications::v1::feed_server::FeedServer;
use sqlx::PgPool;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use guichet_kit::config::ServiceSettings as Settings;

pub struct Application {
    listener: TcpListener,
    pool: PgPool,
    bus: Bus,
    verifier: Verifier,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = db::connect(&settings.database, &sqlx::migrate!("./migrations")).await?;
        let listener = guichet_kit::grpc::bind(&settings.grpc).await?;
        Ok(Self {
            listener,
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

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Serves gRPC and consumes events until `shutdown` completes; the event in hand is
    /// finished before the consumer stops.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let consumer = tokio::spawn(bus::consume(
            self.bus.clone(),
            self.pool.clone(),
            feed::subscription(),
            feed::FeedWriter,
            stop.clone(),
        ));
        let routes = tonic::service::Routes::new(FeedServer::new(grpc::FeedService::new(
            self.pool,
            self.verifier,
        )));
        let served = guichet_kit::grpc::serve(
            self.listener,
            routes,
            &["guichet.notifications.v1.Feed"],
            shutdown,
        )
        .await;
        stop.cancel();
        consumer.await.ok();
        served
    }
}
