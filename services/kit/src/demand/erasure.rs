//! The right to erasure, the same in every silo: identity publishes
//! `identity.account.erased`; each service anonymises what it keeps of that person in
//! the consumer's transaction, keeping the demands the city must keep, and the
//! person's name and id leave the timelines. Each silo's queue is in
//! [`crate::bus::topology`] (`complaints.privacy`).

use std::future::Future;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_proto::events::v1::AccountErased;
use sqlx::PgConnection;

use super::Silo;
use crate::bus::{Event, Handler};

/// What a silo keeps of a person besides its demands (follows, drafts, uploads).
pub trait Anonymise: Send + Sync + 'static {
    /// Removes `account_id`'s other data; runs before their demands lose their owner,
    /// so it can still find what hangs from them.
    fn anonymise(
        &self,
        conn: &mut PgConnection,
        account_id: &str,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// A silo that keeps nothing of a person beyond its demands.
impl Anonymise for () {
    async fn anonymise(&self, _: &mut PgConnection, _: &str) -> anyhow::Result<()> {
        Ok(())
    }
}

/// The consumer's handler: the silo's own data (`also`), then its demands (the
/// account link, the contact left at filing and [`Silo::erased`]), then the
/// timelines.
pub struct Eraser<A> {
    pub silo: Silo,
    pub also: A,
}

impl<A: Anonymise> Handler for Eraser<A> {
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
        let erased: AccountErased = event.decode()?;
        let at = erased
            .at
            .as_ref()
            .and_then(crate::grpc::datetime)
            .unwrap_or(event.time);
        self.also.anonymise(conn, &erased.account_id).await?;
        let demands = anonymise_demands(conn, &self.silo, &erased.account_id, at).await?;
        super::timeline::anonymise_resident(conn, &erased.account_id).await?;
        super::retry::forget(conn, &erased.account_id).await?;
        tracing::info!(demands, "erased resident's demands anonymised");
        Ok(())
    }
}

/// The city keeps the demand, not the person: the owner and the contact go.
async fn anonymise_demands(
    conn: &mut PgConnection,
    silo: &Silo,
    account_id: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<u64> {
    // Table and columns are the silo's constants, never input.
    let sql = format!(
        "UPDATE {} SET resident_id = NULL, contact_email = '', contact_phone = '',
            anonymised_at = $2{} WHERE resident_id = $1",
        silo.table,
        silo.erased
            .map(|columns| format!(", {columns}"))
            .unwrap_or_default()
    );
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(account_id)
        .bind(at)
        .execute(conn)
        .await
        .with_context(|| format!("anonymising {}", silo.table))?;
    Ok(done.rows_affected())
}
