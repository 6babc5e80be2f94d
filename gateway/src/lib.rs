//! The gateway: the HTTP edge every channel (web, app, kiosk, counter, phone) goes
//! through. It speaks JSON under `/api/v1`, documents itself in OpenAPI, turns every
//! failure into a problem document, and calls the domain services over gRPC.

mod auth;
mod cache;
mod client;
mod config;
pub mod error;
mod limits;
mod page;
mod portal;
mod request_id;
mod routes;
mod state;
mod upload;
mod web;

use std::{future::Future, net::SocketAddr};

use anyhow::Context as _;
use tokio::net::TcpListener;

pub use config::{HttpConfig, Limits, ServiceUrls, Settings, Timeouts, WriteLimits};
pub use portal::{City, WebConfig};
pub use routes::openapi;

/// The gateway's whole HTTP router, as `Application` serves it, with lazy connections
/// to every service. Tests drive it in-process with `tower::ServiceExt::oneshot`; they
/// add `axum::extract::connect_info::MockConnectInfo`, which a real listener provides.
pub fn router(settings: &Settings) -> anyhow::Result<axum::Router> {
    routes::router(state::AppState::new(settings)?, &settings.http)
}

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    /// Ends the open SSE streams when shutdown begins.
    streams: tokio_util::sync::CancellationToken,
}

impl Application {
    /// Binds the HTTP port and prepares lazy connections to every service, so the
    /// gateway starts even while a service is still starting.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let addr = format!("{}:{}", settings.http.host, settings.http.port);
        let listener = TcpListener::bind(&addr)
            .await
            .with_context(|| format!("binding {addr}"))?;
        let state = state::AppState::new(&settings)?;
        let streams = state.streams.clone();
        Ok(Self {
            listener,
            router: routes::router(state, &settings.http)?,
            streams,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// Serves until `shutdown` completes, letting requests in flight finish.
    pub async fn run(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        tracing::info!(addr = ?self.listener.local_addr().ok(), "gateway listening");
        let streams = self.streams;
        let shutdown = async move {
            shutdown.await;
            // Live streams never finish by themselves: end them so in-flight requests
            // can drain. Clients reconnect elsewhere with their Last-Event-ID.
            streams.cancel();
        };
        // TCP_NODELAY: a response's last bytes must not wait for the client's delayed ACK.
        let listener = axum::serve::ListenerExt::tap_io(self.listener, |tcp| {
            if let Err(error) = tcp.set_nodelay(true) {
                tracing::debug!(%error, "setting TCP_NODELAY failed");
            }
        });
        axum::serve(
            listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
        .context("HTTP server failed")
    }
}
