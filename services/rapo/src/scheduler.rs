//! The deadline scheduler: once the month to answer has passed with no decision, the law
//! says the dispute is rejected (rejet implicite). Every replica runs it; each overdue
//! dispute is taken with `FOR UPDATE SKIP LOCKED` and recorded only if still undecided,
//! so a dispute is decided once, with one timeline entry and one set of events, however
//! many replicas tick at the same moment.

use std::time::Duration;

use anyhow::Context as _;
use guichet_kit::{
    Clock,
    demand::{events::Act, system_author},
};
use guichet_proto::{demand::v1::Channel, rapo::v1::DecisionKind};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::{
    decision::{self, Decision},
    store,
};

/// Disputes recorded per tick at most, so one tick never holds the database for long.
const PER_TICK: u32 = 500;

/// Records the implicit rejection of every overdue dispute no other replica is
/// recording; answers how many this call recorded.
pub async fn run_once(pool: &PgPool, clock: &Clock) -> anyhow::Result<u32> {
    let mut recorded = 0;
    while recorded < PER_TICK {
        let now = clock.now();
        let mut tx = pool
            .begin()
            .await
            .context("starting a scheduler transaction")?;
        let Some(dispute) = store::lock_next_overdue(&mut tx, now).await? else {
            break;
        };
        let act = Act {
            author: system_author(),
            channel: Channel::System,
            at: now,
        };
        let implicit = Decision {
            kind: DecisionKind::ImplicitRejection,
            reasons: "",
            rectified_amount_cents: None,
        };
        if decision::record(&mut tx, &dispute, &implicit, &act).await? {
            guichet_kit::bus::commit(tx)
                .await
                .context("committing an implicit rejection")?;
            tracing::info!(tracking = %guichet_kit::tracking::redacted(&dispute.tracking_number), "implicit rejection recorded");
            recorded += 1;
        } else {
            // Decided meanwhile (cannot happen under the lock): nothing to do.
            break;
        }
    }
    Ok(recorded)
}

/// Ticks every `every` until `shutdown`; a failed tick is logged and retried next time.
pub async fn run(pool: PgPool, clock: Clock, every: Duration, shutdown: CancellationToken) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            () = shutdown.cancelled() => break,
            _ = ticks.tick() => {
                if let Err(error) = run_once(&pool, &clock).await {
                    tracing::warn!(error = format!("{error:#}"), "deadline scheduler tick failed");
                }
            }
        }
    }
}
