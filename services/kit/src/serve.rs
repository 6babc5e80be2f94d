//! A service at work: its gRPC services, the outbox relay and its one consumer side by
//! side until shutdown. The silos' consumer anonymises erased accounts (their
//! `erasure::Eraser`); identity's writes the audit log. Notifications, with two
//! consumers and a delivery worker, starts its own.

use std::future::Future;

use tokio_util::sync::CancellationToken;

use crate::{
    bus::{self, Handler, consumer::Subscription},
    grpc::{self, Parts, Services},
};

/// Serves `services`, relays the outbox and consumes `consumer` (its queue and its
/// handler) until `shutdown` completes; then cancels `stop`, which the service's own
/// background tasks also watch, and waits for the relay and the consumer.
pub async fn run<H: Handler>(
    parts: Parts,
    consumer: (Subscription, H),
    services: Services,
    shutdown: impl Future<Output = ()> + Send,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let dependencies = parts.dependencies();
    let Parts {
        listener,
        pool,
        bus,
    } = parts;
    let relay = tokio::spawn(bus::relay(pool.clone(), bus.clone(), stop.clone()));
    let (subscription, handler) = consumer;
    let consumer = tokio::spawn(bus::consume(
        bus.clone(),
        pool.clone(),
        subscription,
        handler,
        stop.clone(),
    ));
    let served = grpc::serve(listener, services, Some(dependencies), shutdown).await;
    stop.cancel();
    relay.await.ok();
    consumer.await.ok();
    served
}
