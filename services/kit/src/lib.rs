//! Plumbing shared by every Guichet service, and nothing else: loading configuration,
//! telemetry and metrics, the PostgreSQL pool and migrations, the event bus (outbox
//! relay and idempotent consumers), gRPC start-up, shutdown, tracking numbers and a
//! clock.
//!
//! Functions and small types only: each service's `main.rs` must still read top to
//! bottom without a framework in between.

pub mod auth;
#[cfg(feature = "bus")]
pub mod bus;
pub mod calendar;
pub mod clock;
pub mod config;
pub mod contract;
#[cfg(feature = "db")]
pub mod db;
#[cfg(feature = "bus")]
pub mod demand;
pub mod grpc;
pub mod metrics;
pub mod profile;
#[cfg(feature = "bus")]
pub mod serve;
pub mod shutdown;
pub mod telemetry;
pub mod tracking;
pub mod upload;
pub mod validate;

#[cfg(feature = "test-util")]
pub mod testing;

pub use clock::Clock;
pub use tracking::{Owner, TrackingNumber};
