//! The right to erasure, the same in every silo: identity publishes
//! `identity.account.erased`; each service anonymises what it keeps of that person in
//! the consumer's transaction, keeping the demands the city must keep, and the
//! person's name and id leave the timelines. Each silo's queue is in
//! [`crate::bus::topology`] (`complaints.privacy`).

use std::future::Future;

use chrono::{DateTime, Utc};
use guichet_proto::events::v1::AccountErased;
use sqlx::PgConnection;

use crate::bus::{Event, Handler};

/// What one service does with an erased resident's data.
pub trait Anonymise: Send + Sync + 'static {
    /// Removes or anonymises `account_id`'s data (erased at `at`); answers how many
    /// demands were anonymised, for the log.
    fn anonymise(
        &self,
        conn: &mut PgConnection,
        account_id: &str,
        at: DateTime<Utc>,
    ) -> impl Future<Output = anyhow::Result<u64>> + Send;
}

/// The consumer's handler: the service's own anonymisation, then the timelines.
pub struct Eraser<A>(pub A);

impl<A: Anonymise> Handler for Eraser<A> {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
        let erased: AccountErased = event.decode()?;
        let at = erased
            .at
            .as_ref()
            .and_then(crate::grpc::datetime)
            .unwrap_or(event.time);
        let demands = self.0.anonymise(conn, &erased.account_id, at).await?;
        super::timeline::anonymise_resident(conn, &erased.account_id).await?;
        super::retry::forget(conn, &erased.account_id).await?;
        tracing::info!(demands, "erased resident's demands anonymised");
        Ok(())
    }
}
