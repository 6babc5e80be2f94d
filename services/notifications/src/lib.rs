//! The notifications service consumes demand and account events and makes sure the right
//! people hear about them, fast:
//!
//! - agents: each event becomes an item in the feeds of the departments and themes
//!   concerned, listed with read marks and unread counts, and streamed live
//!   ([`feed`], [`live`]);
//! - residents: e-mail (SMTP), SMS (an HTTP provider) and messages in their space, in
//!   French, on the channels they chose, with retries ([`residents`], [`delivery`]),
//!   an agent's entries of one visit told in one message ([`grouping`]);
//! - satisfaction ratings of resolved demands, and the city's announcements;
//! - residents' RGPD rights over all of the above: export and erasure ([`privacy`]).

pub mod announcements;
pub mod config;
pub mod delivery;
mod error;
mod failure;
pub mod feed;
pub mod figures;
pub mod grouping;
mod grpc;
pub mod links;
pub mod live;
pub mod privacy;
mod queue;
pub mod residents;
pub mod satisfaction;
pub mod templates;

use std::future::Future;

use guichet_kit::{Clock, auth::Verifier, bus, grpc::Parts};
use guichet_proto::{
    identity::v1::accounts_client::AccountsClient,
    notifications::v1::{
        announcements_server::AnnouncementsServer, feed_server::FeedServer,
        residents_server::ResidentsServer, satisfaction_server::SatisfactionServer,
    },
    privacy::v1::privacy_server::PrivacyServer,
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

pub use config::Settings;

pub struct Application {
    parts: Parts,
    verifier: Verifier,
    identity_url: String,
    clock: Clock,
    settings: Settings,
}

impl Application {
    /// Connects to the database (migrating it), binds the gRPC port and checks the
    /// delivery settings, so a test knows the port before anything runs.
    pub async fn build(settings: Settings, clock: Clock) -> anyhow::Result<Self> {
        let service = &settings.service;
        let parts = Parts::open(service, &sqlx::migrate!("./migrations")).await?;
        // Fail at start, not at the first e-mail, when the SMTP settings are unusable.
        delivery::Senders::new(&settings.smtp, &settings.sms)?;
        links::check_key(&settings.service_key)?;
        Ok(Self {
            parts,
            verifier: Verifier::new(&service.auth.identity_url)?,
            identity_url: service.auth.identity_url.clone(),
            clock,
            settings,
        })
    }

    pub fn port(&self) -> u16 {
        self.parts.port()
    }

    pub fn pool(&self) -> &PgPool {
        &self.parts.pool
    }

    /// Serves gRPC, consumes events, streams feeds and sends deliveries until
    /// `shutdown` completes. Open feed streams end first (so the server is not held by
    /// them), the event in hand is finished before the consumers stop, and the message
    /// being sent is recorded before the worker stops.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) -> anyhow::Result<()> {
        let dependencies = self.parts.dependencies();
        let Parts {
            listener,
            pool,
            bus,
        } = self.parts;
        let stop = CancellationToken::new();
        let hub = live::Hub::default();
        let senders = delivery::Senders::new(&self.settings.smtp, &self.settings.sms)?.with_links(
            links::Links::new(&self.identity_url, &self.settings.service_key)?,
        );
        let tasks = vec![
            tokio::spawn(bus::consume(
                bus.clone(),
                pool.clone(),
                guichet_kit::bus::topology::NOTIFICATIONS_FEED.subscription(),
                feed::FeedWriter,
                stop.clone(),
            )),
            tokio::spawn(bus::consume(
                bus.clone(),
                pool.clone(),
                guichet_kit::bus::topology::NOTIFICATIONS_RESIDENTS.subscription(),
                residents::Notifier {
                    public_url: self.settings.public_url.clone(),
                    clock: self.clock.clone(),
                    window: grouping::Window::from_config(&self.settings.delivery),
                },
                stop.clone(),
            )),
            tokio::spawn(hub.clone().run(pool.clone(), stop.clone())),
            tokio::spawn(delivery::run(
                pool.clone(),
                senders,
                self.clock.clone(),
                self.settings.delivery.clone(),
                stop.clone(),
            )),
        ];
        let api = grpc::Api {
            pool,
            verifier: self.verifier,
            hub,
            clock: self.clock,
            stop: stop.clone(),
            accounts: AccountsClient::new(guichet_kit::grpc::connect_lazy(&self.identity_url)?),
            replay_limit: self.settings.feed.replay_limit.max(1),
        };
        let services = guichet_kit::grpc::Services::default()
            .add_service(FeedServer::new(api.clone()))
            .add_service(ResidentsServer::new(api.clone()))
            .add_service(SatisfactionServer::new(api.clone()))
            .add_service(AnnouncementsServer::new(api.clone()))
            .add_service(PrivacyServer::new(api));
        let stopping = stop.clone();
        let served = guichet_kit::grpc::serve(listener, services, Some(dependencies), async move {
            shutdown.await;
            stopping.cancel();
        })
        .await;
        stop.cancel();
        for task in tasks {
            task.await.ok();
        }
        served
    }
}
