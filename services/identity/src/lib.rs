//! The identity service: residents (password or FranceConnect), professionals, agents
//! with their departments and tabs, registered devices, the audit log, and the signed
//! tokens every other service verifies.

mod audit;
mod callers;
pub mod domain;
pub mod franceconnect;
mod grpc;
mod keys;
mod links;
mod throttle;
pub mod tokens;

use std::{collections::HashMap, future::Future, time::Duration};

use guichet_kit::{Clock, config::ServiceSettings, grpc::Parts};
use guichet_proto::identity::v1::{
    accounts_server::AccountsServer, audit_server::AuditServer,
    contact_points_server::ContactPointsServer, devices_server::DevicesServer,
    france_connect_server::FranceConnectServer, keys_server::KeysServer, links_server::LinksServer,
    staff_server::StaffServer,
};
use guichet_proto::privacy::v1::privacy_server::PrivacyServer;
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{callers::Callers, grpc::Core, throttle::Throttle, tokens::Tokens};

pub use tokens::TokenConfig;

/// How often replicas check whether the signing key is due for rotation.
const KEY_CHECK: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    #[serde(flatten)]
    pub service: ServiceSettings,
    pub tokens: TokenConfig,
    /// Base URL of the web front door, for the links sent by e-mail.
    pub public_url: Option<String>,
    pub bootstrap: Bootstrap,
    pub franceconnect: franceconnect::FranceConnectConfig,
    /// Keys of the services calling in their own name, by service name
    /// (`GUICHET__SERVICE_KEYS__NOTIFICATIONS`): the notifications service asks for the
    /// links of the e-mails it sends with it. 32 characters at least; none by default,
    /// and then no such e-mail can be sent.
    pub service_keys: HashMap<String, SecretString>,
}

/// The first administrator, created at start when a password is configured, so a fresh
/// installation can be administered.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct Bootstrap {
    pub admin_login: String,
    pub admin_name: String,
    pub admin_password: Option<SecretString>,
}

impl Default for Bootstrap {
    fn default() -> Self {
        Self {
            admin_login: "admin".to_owned(),
            admin_name: "Administrateur".to_owned(),
            admin_password: None,
        }
    }
}

pub struct Application {
    parts: Parts,
    core: Core,
    franceconnect: franceconnect::FranceConnectConfig,
    callers: Callers,
}

impl Application {
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let callers = Callers::new(&settings.service_keys)?;
        if callers.is_empty() {
            tracing::warn!(
                "no service_keys: the notifications service cannot get the links of \
                 address-verification and password-reset e-mails; set \
                 GUICHET__SERVICE_KEYS__NOTIFICATIONS"
            );
        }
        let parts = Parts::open(&settings.service, &sqlx::migrate!("./migrations")).await?;
        let pool = parts.pool.clone();
        let rotation = chrono::Duration::days(settings.tokens.key_rotation_days);
        keys::rotate_if_due(&pool, &clock, rotation).await?;
        let core = Core {
            tokens: Tokens::new(pool.clone(), clock.clone(), settings.tokens.clone()),
            throttle: Throttle::new(pool.clone(), clock.clone()),
            public_url: settings
                .public_url
                .clone()
                .unwrap_or_else(|| "http://127.0.0.1:8080".to_owned()),
            pool,
            clock,
        };
        if let Some(password) = &settings.bootstrap.admin_password {
            grpc::bootstrap_admin(
                &core,
                &settings.bootstrap.admin_login,
                password.expose_secret(),
                &settings.bootstrap.admin_name,
            )
            .await?;
        }
        Ok(Self {
            parts,
            core,
            franceconnect: settings.franceconnect,
            callers,
        })
    }

    pub fn port(&self) -> u16 {
        self.parts.port()
    }

    pub fn pool(&self) -> &PgPool {
        &self.core.pool
    }

    /// Rotates the signing key now if it is older than `max_age` (operators, tests).
    pub async fn rotate_keys_if_due(&self, max_age: chrono::Duration) -> anyhow::Result<()> {
        keys::rotate_if_due(&self.core.pool, &self.core.clock, max_age).await
    }

    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let stop = CancellationToken::new();
        let core = self.core;
        let rotation = tokio::spawn(rotate_keys(core.clone(), stop.clone()));
        let services = guichet_kit::grpc::Services::default()
            .add_service(AccountsServer::new(grpc::AccountsService(core.clone())))
            .add_service(StaffServer::new(grpc::StaffService(core.clone())))
            .add_service(DevicesServer::new(grpc::DevicesService(core.clone())))
            .add_service(ContactPointsServer::new(grpc::ContactPointsService(
                core.clone(),
            )))
            .add_service(KeysServer::new(grpc::KeysService(core.clone())))
            .add_service(AuditServer::new(grpc::AuditService(core.clone())))
            .add_service(PrivacyServer::new(grpc::PrivacyService(core.clone())))
            .add_service(LinksServer::new(grpc::LinksService {
                core: core.clone(),
                callers: self.callers,
            }))
            .add_service(FranceConnectServer::new(grpc::FranceConnectService::new(
                core,
                self.franceconnect,
            )));
        let audit = (
            guichet_kit::bus::topology::IDENTITY_AUDIT.subscription(),
            audit::AuditWriter,
        );
        let served = guichet_kit::serve::run(self.parts, audit, services, shutdown, stop).await;
        rotation.await.ok();
        served
    }
}

async fn rotate_keys(core: Core, stop: CancellationToken) {
    let max_age = chrono::Duration::days(core.tokens.config().key_rotation_days);
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            () = tokio::time::sleep(KEY_CHECK) => {}
        }
        if let Err(error) = keys::rotate_if_due(&core.pool, &core.clock, max_age).await {
            tracing::error!(error = format!("{error:#}"), "key rotation failed");
        }
    }
}
