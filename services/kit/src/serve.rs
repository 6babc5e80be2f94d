//! A silo at work: its gRPC services, the outbox relay and the erasure consumer side by
//! side until shutdown, the same in every silo.

use std::future::Future;

use tokio_util::sync::CancellationToken;

use super::erasure::{Anonymise, Eraser};
use crate::{
    bus::{self, consumer::Subscription},
    grpc::{self, Parts, Services},
};

/// Serves `services`, relays the outbox and anonymises erased accounts (`privacy`: the
/// silo's queue and its anonymisation) until `shutdown` completes; then cancels `stop`,
/// which the silo's own background tasks also watch, and waits for the relay and the
/// consumer.
pub async fn run<A: Anonymise>(
    parts: Parts,
    privacy: (Subscription, Eraser<A>),
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
    let (subscription, eraser) = privacy;
    let eraser = tokio::spawn(bus::consume(
        bus.clone(),
        pool.clone(),
        subscription,
        eraser,
        stop.clone(),
    ));
    let served = grpc::serve(listener, services, Some(dependencies), shutdown).await;
    stop.cancel();
    relay.await.ok();
    eraser.await.ok();
    served
}
