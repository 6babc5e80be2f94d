//! Live feeds. The consumer writes feed items; a trigger `pg_notify`s each item's
//! position, delivered only when its transaction commits. One listener per replica
//! reads the committed item and broadcasts it to the streams open on that replica, so
//! every replica's agents hear every item whichever replica consumed the event.
//!
//! A listener that lost its connection catches up from the table (`seq` after the last
//! one it saw) before listening again; a stream that fell behind the broadcast does the
//! same for its agent.

use std::{sync::Arc, time::Duration};

use anyhow::Context as _;
use sqlx::{PgPool, postgres::PgListener};
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::feed::{self, ItemRow};

const CHANNEL: &str = "feed_items";
/// Items held for slow streams before they lag (and catch up from the table).
const CAPACITY: usize = 1024;

/// The in-process fan-out of committed feed items.
#[derive(Clone)]
pub struct Hub {
    sender: broadcast::Sender<Arc<ItemRow>>,
}

impl Default for Hub {
    fn default() -> Self {
        Self {
            sender: broadcast::channel(CAPACITY).0,
        }
    }
}

impl Hub {
    /// New items from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<ItemRow>> {
        self.sender.subscribe()
    }

    /// Listens for committed items until `stop`, reconnecting after failures.
    pub async fn run(self, pool: PgPool, stop: CancellationToken) {
        let mut cursor = match feed::last_seq(&pool).await {
            Ok(seq) => seq,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "cannot read the feed's position"
                );
                0
            }
        };
        while !stop.is_cancelled() {
            if let Err(error) = self.listen(&pool, &mut cursor, &stop).await {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "feed listener failed; reconnecting"
                );
                tokio::select! {
                    () = stop.cancelled() => {}
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }

    async fn listen(
        &self,
        pool: &PgPool,
        cursor: &mut i64,
        stop: &CancellationToken,
    ) -> anyhow::Result<()> {
        let mut listener = PgListener::connect_with(pool)
            .await
            .context("connecting the feed listener")?;
        listener
            .listen(CHANNEL)
            .await
            .context("listening for feed items")?;
        // Whatever committed while nobody listened.
        for item in feed::all_after(pool, *cursor, 10_000).await? {
            self.forward(cursor, item);
        }
        loop {
            let notification = tokio::select! {
                () = stop.cancelled() => return Ok(()),
                n = listener.recv() => n.context("receiving a feed notification")?,
            };
            let Ok(seq) = notification.payload().parse::<i64>() else {
                continue;
            };
            if let Some(item) = feed::by_seq(pool, seq).await? {
                self.forward(cursor, item);
            }
        }
    }

    fn forward(&self, cursor: &mut i64, item: ItemRow) {
        *cursor = (*cursor).max(item.seq);
        // No receiver is no error: nobody is watching right now.
        self.sender.send(Arc::new(item)).ok();
    }
}
