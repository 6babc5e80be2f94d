//! Slows down password guessing without locking out a building. After a few failures
//! an account must wait before trying again, even with the right password, and the
//! wait doubles with every further failure. An address that fails a lot is throttled
//! too, but only for what fails: while it waits, a wrong password (or an unknown
//! account) is refused, and so is any attempt on an account that already failed, yet
//! an account that has not failed and gives its right password still signs in. A town
//! hall or a call centre behind one address keeps working while someone there (or a
//! script behind the same address) mistypes.
//!
//! Every refusal says how long is left to wait, to the second.

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

/// What one login attempt is counted against: the account tried (whether it exists or
/// not) and the address it came from, if known.
#[derive(Debug, Clone)]
pub struct Attempt {
    account: String,
    address: Option<String>,
}

impl Attempt {
    /// `account` names the account within its kind (`jeanne@example.org`,
    /// `agent/jdupont`, `device/<id>`); an empty `address` is not counted.
    pub fn new(account: &str, address: &str) -> Self {
        Self {
            account: format!("account:{account}"),
            address: (!address.is_empty()).then(|| format!("address:{address}")),
        }
    }

    fn keys(&self) -> Vec<String> {
        std::iter::once(self.account.clone())
            .chain(self.address.clone())
            .collect()
    }
}

/// What [`Throttle::check`] let through: whether the address must wait, in which case
/// only a right password goes further.
#[derive(Debug, Clone, Copy)]
#[must_use]
pub struct Gate {
    address_waits: bool,
}

impl Throttle {
    pub fn new(pool: PgPool, clock: Clock) -> Self {
        Self { pool, clock }
    }

    /// Before the password is checked: refuses while the account must wait, and while
    /// the address must wait if the account already failed (a guesser behind a blocked
    /// address gets one try per account). These refusals happen whatever the password,
    /// so they tell a guesser nothing.
    pub async fn check(&self, attempt: &Attempt) -> Result<Gate, Error> {
        let now = self.clock.now();
        let rows: Vec<(String, i32, DateTime<Utc>)> = sqlx::query_as(
            "SELECT key, failures, last_failure_at FROM login_failures WHERE key = ANY($1)",
        )
        .bind(attempt.keys())
        .fetch_all(&self.pool)
        .await?;
        let mut account_failures = 0;
        let mut address_wait = None;
        for (key, failures, last) in rows {
            if key == attempt.account {
                if let Some(wait) = wait(failures, FREE_PER_ACCOUNT, last, now) {
                    tracing::info!(key = "account", "login throttled");
                    return Err(throttled(wait));
                }
                account_failures = recent(failures, last, now);
            } else {
                address_wait = wait(failures, FREE_PER_ADDRESS, last, now);
            }
        }
        match address_wait {
            Some(wait) if account_failures > 0 => {
                tracing::info!(key = "address", "login throttled");
                Err(throttled(wait))
            }
            _ => Ok(Gate {
                address_waits: address_wait.is_some(),
            }),
        }
    }

    /// After a wrong password or an unknown account: counts the failure against the
    /// account and the address, and says what to answer, `wrong` (the caller's own
    /// sentence) or, when the address was already waiting, how long it must wait now.
    pub async fn failed(&self, attempt: &Attempt, gate: Gate, wrong: &'static str) -> Error {
        match self.record(attempt).await {
            Ok(Some(wait)) if gate.address_waits => {
                tracing::info!(key = "address", "login throttled");
                throttled(wait)
            }
            Ok(_) => Error::Unauthenticated(wrong),
            Err(error) => error,
        }
    }

    /// Counts one failure on every key of `attempt`; the address's wait afterwards.
    async fn record(&self, attempt: &Attempt) -> Result<Option<Duration>, Error> {
        let now = self.clock.now();
        let mut address_wait = None;
        for key in attempt.keys() {
            let (failures, last): (i32, DateTime<Utc>) = sqlx::query_as(
                "INSERT INTO login_failures (key, failures, last_failure_at) VALUES ($1, 1, $2)
                 ON CONFLICT (key) DO UPDATE SET
                    failures = CASE WHEN login_failures.last_failure_at < $2 - interval '1 hour'
                                    THEN 1 ELSE login_failures.failures + 1 END,
                    last_failure_at = $2
                 RETURNING failures, last_failure_at",
            )
            .bind(&key)
            .bind(now)
            .fetch_one(&self.pool)
            .await?;
            if key != attempt.account {
                address_wait = wait(failures, FREE_PER_ADDRESS, last, now);
            }
        }
        Ok(address_wait)
    }

    /// A successful login clears the account's count (not the address's).
    pub async fn succeeded(&self, attempt: &Attempt) -> Result<(), Error> {
        sqlx::query("DELETE FROM login_failures WHERE key = $1")
            .bind(&attempt.account)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// How long a key with `failures` (the last at `last`) must still wait at `now`: none
/// within its `free` failures, then 1 minute, 2, 4… up to [`MAX_WAIT_MINUTES`] after
/// the last failure.
fn wait(failures: i32, free: i32, last: DateTime<Utc>, now: DateTime<Utc>) -> Option<Duration> {
    let over = failures - free;
    if over < 0 || now - last > MEMORY {
        return None;
    }
    let until = last + Duration::minutes((1i64 << over.min(6)).min(MAX_WAIT_MINUTES));
    (now < until).then(|| until - now)
}

/// The failures a key still remembers at `now`.
fn recent(failures: i32, last: DateTime<Utc>, now: DateTime<Utc>) -> i32 {
    if now - last > MEMORY { 0 } else { failures }
}

/// The refusal for a wait, in whole seconds rounded up: waiting that long is enough.
fn throttled(wait: Duration) -> Error {
    let millis = wait.num_milliseconds().max(1);
    Error::Throttled {
        retry_after_secs: (millis + 999) / 1000,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + seconds, 0).unwrap_or_default()
    }

    #[test]
    fn the_wait_starts_after_the_free_failures_and_doubles_up_to_an_hour() {
        let last = at(0);
        assert_eq!(wait(4, 5, last, last), None);
        let waits: Vec<_> = (5..13)
            .map(|failures| wait(failures, 5, last, last).map(|w| w.num_minutes()))
            .collect();
        assert_eq!(
            waits,
            [1, 2, 4, 8, 16, 32, 60, 60].map(Some).to_vec(),
            "minutes after the 5th, 6th… failure"
        );
    }

    #[test]
    fn the_wait_left_counts_down_from_the_last_failure() {
        assert_eq!(wait(7, 5, at(0), at(90)), Some(Duration::seconds(150)));
        assert_eq!(wait(7, 5, at(0), at(240)), None);
        // An hour later everything is forgotten.
        assert_eq!(recent(30, at(0), at(3_601)), 0);
        assert_eq!(recent(3, at(0), at(3_599)), 3);
    }

    #[test]
    fn a_refusal_rounds_the_wait_up_to_the_second() {
        let secs = |wait| match throttled(wait) {
            Error::Throttled { retry_after_secs } => retry_after_secs,
            _ => -1,
        };
        assert_eq!(secs(Duration::seconds(60)), 60);
        assert_eq!(secs(Duration::milliseconds(59_001)), 60);
        assert_eq!(secs(Duration::milliseconds(1)), 1);
    }

    #[test]
    fn an_attempt_without_address_counts_against_the_account_only() {
        assert_eq!(Attempt::new("jeanne@example.org", "").keys().len(), 1);
        assert_eq!(
            Attempt::new("agent/jdupont", "203.0.113.7").keys(),
            ["account:agent/jdupont", "address:203.0.113.7"]
        );
    }
}
