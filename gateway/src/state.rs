//! What every handler shares: one gRPC client per service and the rate limiters.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use guichet_kit::{
    Owner,
    grpc::{TracedChannel, connect_lazy},
};
use guichet_proto::{
    complaints::v1::complaints_client::ComplaintsClient, demand::v1::demands_client::DemandsClient,
    notifications::v1::feed_client::FeedClient,
};

use crate::{config::Settings, error::ApiError};

#[derive(Clone)]
pub struct AppState {
    /// Named channels, for readiness checks.
    pub services: Vec<(&'static str, TracedChannel)>,
    pub complaints: ComplaintsClient<TracedChannel>,
    pub feed: FeedClient<TracedChannel>,
    teleservices: TracedChannel,
    complaints_channel: TracedChannel,
    rapo: TracedChannel,
    lookups: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl AppState {
    pub fn new(settings: &Settings) -> anyhow::Result<Self> {
        let urls = &settings.services;
        let identity = connect_lazy(&urls.identity)?;
        let teleservices = connect_lazy(&urls.teleservices)?;
        let complaints = connect_lazy(&urls.complaints)?;
        let rapo = connect_lazy(&urls.rapo)?;
        let notifications = connect_lazy(&urls.notifications)?;
        let per_minute =
            NonZeroU32::new(settings.limits.lookups_per_minute).unwrap_or(NonZeroU32::MIN);
        Ok(Self {
            services: vec![
                ("identity", identity),
                ("teleservices", teleservices.clone()),
                ("complaints", complaints.clone()),
                ("rapo", rapo.clone()),
                ("notifications", notifications.clone()),
            ],
            complaints: ComplaintsClient::new(complaints.clone()),
            feed: FeedClient::new(notifications),
            teleservices,
            complaints_channel: complaints,
            rapo,
            lookups: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
        })
    }

    /// The `Demands` client of the service owning a tracking number: the number's first
    /// symbol routes the call, no lookup needed.
    pub fn demands_for(&self, owner: Owner) -> DemandsClient<TracedChannel> {
        DemandsClient::new(match owner {
            Owner::Teleservices => self.teleservices.clone(),
            Owner::Complaints => self.complaints_channel.clone(),
            Owner::Rapo => self.rapo.clone(),
        })
    }

    /// Counts one tracking-number lookup for `client`.
    pub fn check_lookup(&self, client: IpAddr) -> Result<(), ApiError> {
        self.lookups
            .check_key(&client)
            .map_err(|_| ApiError::too_many_requests(60))
    }
}
