//! What every handler shares: one gRPC client per service, the token verifier and the
//! rate limiters.

use std::sync::Arc;

use axum::extract::FromRef;

use guichet_kit::{
    Owner,
    auth::Verifier,
    grpc::{TracedChannel, connect_lazy_with},
};
use guichet_proto::{
    complaints::v1::complaints_client::ComplaintsClient,
    demand::v1::demands_client::DemandsClient,
    identity::v1::{
        accounts_client::AccountsClient, audit_client::AuditClient,
        contact_points_client::ContactPointsClient, devices_client::DevicesClient,
        france_connect_client::FranceConnectClient, keys_client::KeysClient,
        staff_client::StaffClient,
    },
    notifications::v1::{
        announcements_client::AnnouncementsClient, feed_client::FeedClient,
        residents_client::ResidentsClient, satisfaction_client::SatisfactionClient,
    },
    privacy::v1::privacy_client::PrivacyClient,
    rapo::v1::rapo_client::RapoClient,
    teleservices::v1::teleservices_client::TeleservicesClient,
};

use crate::{client::TrustedProxies, config::Settings, limits::Limiters, portal::City};

/// Uploads travel inside gRPC messages: room for the largest file the teleservices
/// service keeps (10 MiB) and its envelope.
const UPLOAD_MESSAGE: usize = 10 * 1024 * 1024 + 64 * 1024;

/// Complaint filings carry up to 5 photos of 5 MiB; photos are downloaded whole.
const COMPLAINT_MESSAGE: usize = 27 * 1024 * 1024;

/// RAPO filings carry their pieces (10 MiB at most) and pieces are downloaded whole.
const RAPO_MESSAGE: usize = 16 * 1024 * 1024;

#[derive(Clone)]
pub struct AppState {
    /// Named channels, for readiness checks.
    pub services: Vec<(&'static str, TracedChannel)>,
    pub complaints: ComplaintsClient<TracedChannel>,
    /// Teleservices: catalogue, forms, drafts, uploads, submissions, designers.
    pub teleservices: TeleservicesClient<TracedChannel>,
    /// RAPO: the FPS registry, disputes with their pieces, decisions and letters.
    pub disputes: RapoClient<TracedChannel>,
    pub feed: FeedClient<TracedChannel>,
    /// Residents' notification preferences, in-app messages, deliveries.
    pub residents: ResidentsClient<TracedChannel>,
    /// Ratings of resolved demands and their results.
    pub satisfaction: SatisfactionClient<TracedChannel>,
    /// The city's announcements.
    pub announcements: AnnouncementsClient<TracedChannel>,
    /// Cancelled when the gateway shuts down: open SSE streams end, so graceful
    /// shutdown does not wait for clients that never leave.
    pub streams: tokio_util::sync::CancellationToken,
    /// Residents: sign-up, login, sessions, profile.
    pub accounts: AccountsClient<TracedChannel>,
    /// FranceConnect logins, with the identity service as relying party.
    pub franceconnect: FranceConnectClient<TracedChannel>,
    /// Agents, their tabs and departments.
    pub staff: StaffClient<TracedChannel>,
    /// Kiosks, counters, phone desks and app installations.
    pub devices: DevicesClient<TracedChannel>,
    /// The city's places where residents are received.
    pub contact_points: ContactPointsClient<TracedChannel>,
    /// The log of agents' actions.
    pub audit: AuditClient<TracedChannel>,
    /// The public keys tokens are signed with, republished for clients.
    pub keys: KeysClient<TracedChannel>,
    /// Checks agents' tokens before the agent and admin areas call anything.
    pub verifier: Verifier,
    teleservices_channel: TracedChannel,
    complaints_channel: TracedChannel,
    rapo: TracedChannel,
    /// Abuse limits, shared by every clone of the state.
    pub(crate) limiters: Arc<Limiters>,
    /// The reverse proxies whose forwarding headers name the client.
    pub(crate) proxies: Arc<TrustedProxies>,
    /// The city's look, for the screens.
    pub city: Arc<City>,
    /// The built front end, when there is one.
    pub portal: Option<crate::portal::Portal>,
    /// The longest a request may take (the live stream excepted).
    pub(crate) request_timeout: std::time::Duration,
}

// Parts handed to handlers and middleware that need only them, so the modules defining
// them do not depend on the whole state (no module cycle, tests/tests/module_cycles.rs).
impl FromRef<AppState> for Arc<TrustedProxies> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.proxies)
    }
}

impl FromRef<AppState> for Verifier {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

impl FromRef<AppState> for crate::limits::Counting {
    fn from_ref(state: &AppState) -> Self {
        Self {
            limiters: Arc::clone(&state.limiters),
            verifier: state.verifier.clone(),
        }
    }
}

impl FromRef<AppState> for Arc<City> {
    fn from_ref(state: &AppState) -> Self {
        Arc::clone(&state.city)
    }
}

impl AppState {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let urls = &settings.services;
        let deadline = std::time::Duration::from_secs(settings.timeouts.call_seconds);
        let connect = |url: &str| connect_lazy_with(url, deadline);
        let identity = connect(&urls.identity)?;
        let teleservices = connect(&urls.teleservices)?;
        let complaints = connect(&urls.complaints)?;
        let rapo = connect(&urls.rapo)?;
        let notifications = connect(&urls.notifications)?;
        Ok(Self {
            accounts: AccountsClient::new(identity.clone()),
            franceconnect: FranceConnectClient::new(identity.clone()),
            staff: StaffClient::new(identity.clone()),
            devices: DevicesClient::new(identity.clone()),
            contact_points: ContactPointsClient::new(identity.clone()),
            audit: AuditClient::new(identity.clone()),
            keys: KeysClient::new(identity.clone()),
            verifier: Verifier::new(&urls.identity)?,
            services: vec![
                ("identity", identity),
                ("teleservices", teleservices.clone()),
                ("complaints", complaints.clone()),
                ("rapo", rapo.clone()),
                ("notifications", notifications.clone()),
            ],
            complaints: ComplaintsClient::new(complaints.clone())
                .max_decoding_message_size(COMPLAINT_MESSAGE)
                .max_encoding_message_size(COMPLAINT_MESSAGE),
            feed: FeedClient::new(notifications.clone()),
            residents: ResidentsClient::new(notifications.clone()),
            satisfaction: SatisfactionClient::new(notifications.clone()),
            announcements: AnnouncementsClient::new(notifications),
            streams: tokio_util::sync::CancellationToken::new(),
            disputes: RapoClient::new(rapo.clone())
                .max_decoding_message_size(RAPO_MESSAGE)
                .max_encoding_message_size(RAPO_MESSAGE),
            teleservices: TeleservicesClient::new(teleservices.clone())
                .max_decoding_message_size(UPLOAD_MESSAGE)
                .max_encoding_message_size(UPLOAD_MESSAGE),
            teleservices_channel: teleservices,
            complaints_channel: complaints,
            rapo,
            limiters: Arc::new(Limiters::new(&settings.limits)),
            request_timeout: std::time::Duration::from_secs(settings.timeouts.request_seconds),
            city: Arc::new(settings.city.clone()),
            portal: crate::portal::Portal::open(&settings.web, &settings.city),
            proxies: Arc::new(TrustedProxies::parse(&settings.http.trusted_proxies)?),
        })
    }

    /// The `Demands` client of the service owning a tracking number: the number's first
    /// symbol routes the call, no lookup needed.
    pub fn demands_for(&self, owner: Owner) -> DemandsClient<TracedChannel> {
        DemandsClient::new(match owner {
            Owner::Teleservices => self.teleservices_channel.clone(),
            Owner::Complaints => self.complaints_channel.clone(),
            Owner::Rapo => self.rapo.clone(),
        })
    }

    /// The `Privacy` client of every service: each keeps residents' data.
    pub fn privacy_clients(&self) -> Vec<PrivacyClient<TracedChannel>> {
        self.services
            .iter()
            .map(|(_, channel)| PrivacyClient::new(channel.clone()))
            .collect()
    }
}
