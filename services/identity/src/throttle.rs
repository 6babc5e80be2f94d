//! Slows down password guessing: after a few failures an account, or an address, must
//! wait before trying again, and the wait doubles with every further failure.

use chrono::{DateTime, Duration, Utc};
use guichet_kit::Clock;
use sqlx::PgPool;

use crate::domain::Error;

/// Failures allowed before waiting starts: a person mistypes; a script does not stop.
const FREE_PER_ACCOUNT: i32 = 5;
const FREE_PER_ADDRESS: i32 = 20;
const MAX_WAIT_MINUTES: i64 = 60;
/// Failures older than this are forgotten.
const MEMORY: Duration = Duration::hours(1);

#[derive(Clone)]
pub struct Throttle {
    pool: PgPool,
    clock: Clock,
}

/// Throttling keys for a login attempt.
pub fn keys(account: &str, address: &str) -> Vec<String> {
    let mut keys = vec![format!("account:{account}")];
    if !address.is_empty() {
        keys.push(format!("address:{address}"));
    }
    keys
}

fn free(key: &str) -> i32 {
    if key.starts_with("address:") {
        FREE_PER_ADDRESS
    } else {
        FREE_PER_ACCOUNT
    }
}

impl Throttle {
    pub fn new(pool: PgPool, clock: Clock) -> Self {
        Self { pool, clock }
    }

    /// Refuses an attempt while any of its keys must wait.
    pub async fn check(&self, keys: &[String]) -> Result<(), Error> {
        let now = self.clock.now();
        let rows: Vec<(String, i32, DateTime<Utc>)> = sqlx::query_as(
            "SELECT key, failures, last_failure_at FROM login_failures WHERE key = ANY($1)",
        )
        .bind(keys)
        .fetch_all(&self.pool)
        .await?;
        for (key, failures, last) in rows {
            let over = failures - free(&key);
            if over < 0 || now - last > MEMORY {
                continue;
            }
            let wait = Duration::minutes((1i64 << over.min(6)).min(MAX_WAIT_MINUTES));
            let until = last + wait;
            if now < until {
                tracing::info!(
                    key = key.split(':').next().unwrap_or_default(),
                    "login throttled"
                );
                return Err(Error::Throttled {
                    retry_after_secs: (until - now).num_seconds().max(1),
                });
            }
        }
        Ok(())
    }

    pub async fn failed(&self, keys: &[String]) -> Result<(), Error> {
        let now = self.clock.now();
        for key in keys {
            sqlx::query(
                "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 1, $2)
                 ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN login_failures.last_failure_at < $2 - interval '1 hour'
                                    THEN 1 ELSE login_failures.failures + 1 END,
                    last_failure_at = $2",
            )
            .bind(key)
            .bind(now)
            .execute(&self.pool)
            .await?;
        }
        Ok(())
    }

    /// A successful login clears the account's count (not the address's).
    pub async fn succeeded(&self, account_key: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(account_key)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
