//! What every handler shares: one gRPC client per service, the token verifier and the
//! rate limiters.

use std::{hash::Hash, net::IpAddr, num::NonZeroU32, sync::Arc};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock as _};
use guichet_kit::{
    Owner,
    auth::{Role, Verifier},
    grpc::{TracedChannel, connect_lazy},
};
use guichet_proto::{
    complaints::v1::complaints_client::ComplaintsClient,
    demand::v1::{Channel, demands_client::DemandsClient},
    identity::v1::{
        accounts_client::AccountsClient, audit_client::AuditClient, devices_client::DevicesClient,
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

use crate::{
    auth::Bearer,
    config::{Limits, Settings},
    error::ApiError,
};

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
    /// The log of agents' actions.
    pub audit: AuditClient<TracedChannel>,
    /// The public keys tokens are signed with, republished for clients.
    pub keys: KeysClient<TracedChannel>,
    /// Checks agents' tokens before the agent and admin areas call anything.
    pub verifier: Verifier,
    teleservices_channel: TracedChannel,
    complaints_channel: TracedChannel,
    rapo: TracedChannel,
    lookups: Arc<Lookups>,
}

/// Tracking-number lookups left to each caller, counted apart (see [`Limits`]).
struct Lookups {
    /// Callers without a valid token, and app installations: by address.
    anonymous: DefaultKeyedRateLimiter<IpAddr>,
    /// Residents, and the kiosks, counters and phone desks the city registered: by
    /// account or device id.
    residents: DefaultKeyedRateLimiter<String>,
    /// Agents: by account.
    agents: DefaultKeyedRateLimiter<String>,
}

impl Lookups {
    fn new(limits: &Limits) -> Self {
        let per_minute = |n: u32| Quota::per_minute(NonZeroU32::new(n).unwrap_or(NonZeroU32::MIN));
        Self {
            anonymous: RateLimiter::keyed(per_minute(limits.lookups_per_minute)),
            residents: RateLimiter::keyed(per_minute(limits.resident_lookups_per_minute)),
            agents: RateLimiter::keyed(per_minute(limits.agent_lookups_per_minute)),
        }
    }
}

/// Counts one lookup for `key`; 429 with the true wait, in whole seconds, when its
/// quota is spent.
fn count<K: Hash + Eq + Clone>(
    limiter: &DefaultKeyedRateLimiter<K>,
    key: &K,
) -> Result<(), ApiError> {
    limiter.check_key(key).map_err(|refused| {
        let wait = refused.wait_time_from(limiter.clock().now());
        ApiError::too_many_requests((wait.as_secs() + u64::from(wait.subsec_nanos() > 0)).max(1))
    })
}

impl AppState {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let urls = &settings.services;
        let identity = connect_lazy(&urls.identity)?;
        let teleservices = connect_lazy(&urls.teleservices)?;
        let complaints = connect_lazy(&urls.complaints)?;
        let rapo = connect_lazy(&urls.rapo)?;
        let notifications = connect_lazy(&urls.notifications)?;
        Ok(Self {
            accounts: AccountsClient::new(identity.clone()),
            franceconnect: FranceConnectClient::new(identity.clone()),
            staff: StaffClient::new(identity.clone()),
            devices: DevicesClient::new(identity.clone()),
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
            lookups: Arc::new(Lookups::new(&settings.limits)),
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

    /// Counts one tracking-number lookup: against the account of a caller whose token
    /// verifies (agents and residents each with their own quota), else against the
    /// `address`. A token that fails verification buys nothing more than no token; the
    /// service called refuses it anyway.
    pub async fn check_lookup(&self, bearer: &Bearer, address: IpAddr) -> Result<(), ApiError> {
        let claims = match bearer.token() {
            Some(token) => self.verifier.verify(token).await.ok(),
            None => None,
        };
        let lookups = &self.lookups;
        match claims {
            Some(claims) if claims.role == Role::Agent => count(&lookups.agents, &claims.sub),
            // App installations register themselves: anyone can have as many as they
            // like, so they count as anonymous.
            Some(claims) if claims.role == Role::Resident || claims.channel() != Channel::App => {
                count(&lookups.residents, &claims.sub)
            }
            _ => count(&lookups.anonymous, &address),
        }
    }
}
