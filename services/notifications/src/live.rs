//! Live feeds. The consumer writes feed items; a trigger `pg_notify`s each item's
//! position, delivered only when its transaction commits. One listener per replica
//! reads the committed item and broadcasts it to the streams open on that replica, so
//! every replica's agents hear every item whichever replica consumed the event.
//!
//! A listener that lost its connection (a database restart, a terminated backend) starts
//! over: it listens again, then catches up from the table (`seq` after the last one it
//! forwarded), so nothing committed meanwhile is missed and nothing is sent twice; a
//! stream that fell behind the broadcast does the same for its agent.

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
        let mut cursor = Cursor::at(match feed::last_seq(&pool).await {
            Ok(seq) => seq,
            Err(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "cannot read the feed's position"
                );
                0
            }
        });
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
        cursor: &mut Cursor,
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
        for item in feed::all_after(pool, cursor.resume_after(), 10_000).await? {
            self.forward(cursor, item);
        }
        loop {
            // `try_recv`, not `recv`: `recv` reconnects by itself and silently drops what
            // was notified meanwhile. A lost connection ends this listen, and the next one
            // catches up from the table once it listens again.
            let notification = tokio::select! {
                () = stop.cancelled() => return Ok(()),
                n = listener.try_recv() => n.context("receiving a feed notification")?,
            };
            let Some(notification) = notification else {
                anyhow::bail!("the feed listener's connection was lost");
            };
            let Ok(seq) = notification.payload().parse::<i64>() else {
                continue;
            };
            if let Some(item) = feed::by_seq(pool, seq).await? {
                self.forward(cursor, item);
            }
        }
    }

    fn forward(&self, cursor: &mut Cursor, item: ItemRow) {
        // The catch-up and a late notification may bring the same item: once only.
        if !cursor.first_time(item.seq) {
            return;
        }
        // No receiver is no error: nobody is watching right now.
        self.sender.send(Arc::new(item)).ok();
    }
}

/// Where the listener stands: the items it forwarded lately, so that an item is sent
/// once whether the catch-up or a notification brings it, even when transactions commit
/// out of `seq` order (several consumers).
struct Cursor {
    highest: i64,
    recent: std::collections::VecDeque<i64>,
}

/// Items remembered, and how far below the highest one a catch-up looks again for
/// items that committed late.
const REMEMBERED: usize = 4096;
const LATE_WINDOW: i64 = 256;

impl Cursor {
    fn at(seq: i64) -> Self {
        Self {
            highest: seq,
            recent: std::collections::VecDeque::new(),
        }
    }

    /// Where a catch-up starts (remembered items below it are skipped as seen).
    fn resume_after(&self) -> i64 {
        match self.recent.iter().min() {
            Some(&lowest) => (self.highest - LATE_WINDOW).max(lowest - 1),
            None => self.highest,
        }
    }

    /// Records `seq`; `false` if it was already forwarded.
    fn first_time(&mut self, seq: i64) -> bool {
        if self.recent.contains(&seq) || (self.recent.is_empty() && seq <= self.highest) {
            return false;
        }
        if let Some(&lowest) = self.recent.iter().min()
            && seq < lowest
            && self.recent.len() >= REMEMBERED
        {
            return false;
        }
        self.recent.push_back(seq);
        if self.recent.len() > REMEMBERED {
            self.recent.pop_front();
        }
        self.highest = self.highest.max(seq);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_item_is_forwarded_once_whatever_brings_it() {
        let mut cursor = Cursor::at(10);
        assert!(!cursor.first_time(9), "before the start: already history");
        assert!(cursor.first_time(12));
        assert!(cursor.first_time(11), "committed late, still new");
        assert!(!cursor.first_time(12));
        assert!(!cursor.first_time(11));
        assert_eq!(cursor.resume_after(), 10);
    }
}
