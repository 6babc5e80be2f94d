//! The whole broker topology, in one list: every consumer queue of the platform and the
//! events bound to it. Every publisher declares all of it before its first message, so
//! an event finds its queues even when their consumer has never run (a first
//! deployment, a consumer added later), and services take their subscription from here
//! rather than spelling their own.
//!
//! Events are published `mandatory`: one the broker cannot route to any queue is
//! returned, kept in the outbox and counted, never marked published. Kinds published
//! for integrations to come, which no queue takes today, are listed in [`UNCONSUMED`]
//! and published without that check.

use lapin::Channel;

use super::{Bus, Subscription, consumer};

/// One consumer's queue: `<consumer>.<purpose>` and the routing-key patterns bound to it.
#[derive(Debug, Clone, Copy)]
pub struct Queue {
    pub name: &'static str,
    pub bindings: &'static [&'static str],
}

impl Queue {
    pub fn subscription(&self) -> Subscription {
        Subscription::new(self.name, self.bindings)
    }

    /// Whether a message routed `kind` lands in this queue.
    pub fn takes(&self, kind: &str) -> bool {
        self.bindings.iter().any(|pattern| matches(pattern, kind))
    }
}

/// Identity's audit trail: every silo's audit records.
pub const IDENTITY_AUDIT: Queue = Queue {
    name: "identity.audit",
    bindings: &["*.audit.recorded"],
};

/// Erasure of an account's data in each silo.
pub const TELESERVICES_PRIVACY: Queue = privacy("teleservices.privacy");
pub const COMPLAINTS_PRIVACY: Queue = privacy("complaints.privacy");
pub const RAPO_PRIVACY: Queue = privacy("rapo.privacy");

const fn privacy(name: &'static str) -> Queue {
    Queue {
        name,
        bindings: &["identity.account.erased"],
    }
}

/// Agents' live feeds.
pub const NOTIFICATIONS_FEED: Queue = Queue {
    name: "notifications.feed",
    bindings: &[
        "*.complaint.filed",
        "*.demand.filed",
        "*.demand.status_changed",
        "*.demand.message_posted",
    ],
};

/// What residents are told, by mail, SMS and in their space.
pub const NOTIFICATIONS_RESIDENTS: Queue = Queue {
    name: "notifications.residents",
    bindings: &[
        "*.complaint.filed",
        "*.demand.filed",
        "*.demand.status_changed",
        "*.demand.message_posted",
        "*.demand.claimed",
        "complaints.follower.outcome_reached",
        "identity.account.verification_requested",
        "identity.account.password_reset_requested",
        "identity.account.erased",
    ],
};

/// Every consumer queue of the platform.
pub const QUEUES: &[Queue] = &[
    IDENTITY_AUDIT,
    TELESERVICES_PRIVACY,
    COMPLAINTS_PRIVACY,
    RAPO_PRIVACY,
    NOTIFICATIONS_FEED,
    NOTIFICATIONS_RESIDENTS,
];

/// Kinds published for consumers to come (statistics, open data, integrations) that no
/// queue takes today: published without `mandatory`, so the broker drops them quietly.
pub const UNCONSUMED: &[&str] = &[
    "complaints.complaint.merged",
    "complaints.complaint.reassigned",
    "rapo.dispute.filed",
    "rapo.dispute.decided",
];

/// Whether the broker must be able to route `kind` (see [`UNCONSUMED`]).
pub fn must_route(kind: &str) -> bool {
    !UNCONSUMED.contains(&kind)
}

/// The name of every queue [`declare`] creates, retry and dead-letter queues included.
pub fn queue_names(max_retries: u32) -> Vec<String> {
    QUEUES
        .iter()
        .flat_map(|queue| {
            let subscription = queue.subscription();
            std::iter::once(subscription.name.clone())
                .chain((1..=max_retries).map(|n| subscription.retry_queue(n)))
                .chain(std::iter::once(subscription.dead_queue()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Declares the exchange and every queue with its bindings, retry and dead-letter
/// queues (idempotent).
pub async fn declare(bus: &Bus, channel: &Channel) -> anyhow::Result<()> {
    bus.declare_exchange(channel).await?;
    for queue in QUEUES {
        consumer::declare(bus, channel, &queue.subscription()).await?;
    }
    Ok(())
}

/// AMQP topic matching: words split on `.`, `*` is one word, `#` zero or more.
fn matches(pattern: &str, key: &str) -> bool {
    fn go(pattern: &[&str], key: &[&str]) -> bool {
        match (pattern.split_first(), key.split_first()) {
            (None, None) => true,
            (Some((&"#", rest)), _) => go(rest, key) || (!key.is_empty() && go(pattern, &key[1..])),
            (Some((p, prest)), Some((k, krest))) => (*p == "*" || p == k) && go(prest, krest),
            _ => false,
        }
    }
    let pattern: Vec<&str> = pattern.split('.').collect();
    let key: Vec<&str> = key.split('.').collect();
    go(&pattern, &key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_patterns_match_as_the_broker_does() {
        assert!(matches("*.demand.filed", "rapo.demand.filed"));
        assert!(!matches("*.demand.filed", "rapo.demand.filed.again"));
        assert!(matches("complaints.#", "complaints.complaint.filed"));
        assert!(matches("complaints.#", "complaints"));
        assert!(matches("#", "anything.at.all"));
        assert!(!matches(
            "identity.account.erased",
            "identity.account.created"
        ));
    }

    #[test]
    fn every_event_a_silo_publishes_about_a_demand_has_a_queue() {
        let privacy = [TELESERVICES_PRIVACY, COMPLAINTS_PRIVACY, RAPO_PRIVACY];
        for (service, privacy) in ["teleservices", "complaints", "rapo"]
            .into_iter()
            .zip(privacy)
        {
            for verb in ["filed", "status_changed", "message_posted", "claimed"] {
                let kind = format!("{service}.demand.{verb}");
                assert!(QUEUES.iter().any(|q| q.takes(&kind)), "{kind}");
            }
            assert!(IDENTITY_AUDIT.takes(&format!("{service}.audit.recorded")));
            assert_eq!(privacy.name, format!("{service}.privacy"));
            assert!(privacy.takes("identity.account.erased"));
        }
    }

    #[test]
    fn kinds_listed_as_unconsumed_really_have_no_queue() {
        // Otherwise the list is stale and hides a lost event from the check.
        for kind in UNCONSUMED {
            assert!(QUEUES.iter().all(|q| !q.takes(kind)), "{kind} has a queue");
        }
    }

    #[test]
    fn queue_names_are_unique() {
        let mut names: Vec<&str> = QUEUES.iter().map(|q| q.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), QUEUES.len());
    }
}
