//! The teleservices service: procedures city staff design with the form generator,
//! pilot and publish, and the demands residents file with them. Until its issue is built it owns its database and
//! answers gRPC health, so the platform's shape is complete from day one.

pub mod form;

use std::future::Future;

use sqlx::{PgPool, migrate::Migrator};
use tokio::net::TcpListener;

pub use guichet_kit::config::ServiceSettings as Settings;

pub struct Application {
    listener: TcpListener,
    _pool: PgPool,
}

impl Application {
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let pool = guichet_kit::db::connect(&settings.database, &Migrator::DEFAULT).await?;
        let listener = guichet_kit::grpc::bind(&settings.grpc).await?;
        Ok(Self {
            listener,
            _pool: pool,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        guichet_kit::grpc::serve(
            self.listener,
            tonic::service::Routes::default(),
            &[],
            shutdown,
        )
        .await
    }
}
