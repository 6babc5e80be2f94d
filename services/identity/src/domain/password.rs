//! Passwords: a length policy people can live with, hashed with Argon2id.
//!
//! Argon2id is slow on purpose (tens of milliseconds of CPU and 19 MiB each): run on
//! the async workers it would stall every request of the process while it computes. So
//! every hash and verification runs on tokio's blocking pool, and only a few at a time
//! ([`SLOTS`]): a burst of logins queues for a slot instead of growing the blocking pool
//! to hundreds of threads, each holding Argon2's memory, in a pod limited to 256 MiB.

use std::sync::LazyLock;

use anyhow::Context as _;
use argon2::{Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

/// Long enough to resist guessing, short enough to type on a kiosk.
pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

/// Argon2 computations at once: one per core the process may use (its cgroup's CPU
/// limit counts), at least two, at most eight.
static SLOTS: LazyLock<Semaphore> = LazyLock::new(|| {
    let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
    Semaphore::new(cores.clamp(2, 8))
});

/// What is wrong with a new password, in French, if anything.
pub fn policy_violation(password: &str) -> Option<&'static str> {
    let length = password.chars().count();
    if length < MIN_LENGTH {
        Some("Le mot de passe doit contenir au moins 10 caractères.")
    } else if length > MAX_LENGTH {
        Some("Le mot de passe ne doit pas dépasser 128 caractères.")
    } else {
        None
    }
}

/// Runs `work` on the blocking pool once a slot is free.
async fn off_the_workers<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<T> {
    let _slot = SLOTS
        .acquire()
        .await
        .context("the password slots are closed")?;
    tokio::task::spawn_blocking(work)
        .await
        .context("hashing a password on the blocking pool")
}

/// Hashes a new password (Argon2id, random salt) off the async workers.
pub async fn hash(password: &str) -> anyhow::Result<String> {
    let password = password.to_owned();
    off_the_workers(move || hash_now(&password)).await?
}

/// Checks a password against a stored hash, in constant time, off the async workers.
pub async fn verify(password: &str, stored: &str) -> bool {
    let (password, stored) = (password.to_owned(), stored.to_owned());
    match off_the_workers(move || verify_now(&password, &stored)).await {
        Ok(verified) => verified,
        Err(error) => {
            tracing::error!(error = format!("{error:#}"), "password check failed");
            false
        }
    }
}

/// Checks a password against a hash of nothing, when the account does not exist, so a
/// wrong e-mail and a wrong password take the same time.
pub async fn dummy_verify(password: &str) {
    let password = password.to_owned();
    let checked = off_the_workers(move || {
        static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
        if let Some(stored) = DUMMY.get_or_init(|| hash_now("guichet-dummy-password").ok()) {
            let _ = verify_now(&password, stored);
        }
    })
    .await;
    if let Err(error) = checked {
        tracing::error!(error = format!("{error:#}"), "password check failed");
    }
}

fn hash_now(password: &str) -> anyhow::Result<String> {
    // A random 16-byte salt from the OS, as before; the default parameters (19 MiB,
    // two passes, one lane) are those of the hashes already stored.
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h: PasswordHash| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

fn verify_now(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let stored = hash("correct horse battery").await.unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored).await);
        assert!(!verify("correct horse batterY", &stored).await);
        assert!(!verify("correct horse battery", "not a hash").await);
    }

    #[tokio::test]
    async fn hashes_stored_by_earlier_releases_still_verify() {
        // Made by argon2 0.5 with the same defaults, as accounts created before hold.
        let stored = "$argon2id$v=19$m=19456,t=2,p=1$QRdK1HPVItPM5xjBZdyuOA$\
                      oRwT5M9lpBrZv+/GgMctye4+v0gohnRCDVFBqOJUlR0";
        assert!(verify("correct horse battery", stored).await);
        assert!(!verify("correct horse batterY", stored).await);
        let fresh = hash("correct horse battery").await.unwrap();
        assert!(
            fresh.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{fresh}"
        );
    }

    #[tokio::test(flavor = "current_thread")]
    async fn hashing_leaves_the_async_worker_free() {
        // On a one-thread runtime, a hash computed on the worker would hold this ticker
        // back until it finished; on the blocking pool the ticker keeps running.
        let ticks = std::sync::Arc::new(std::sync::atomic::AtomicU32::new(0));
        let counter = ticks.clone();
        let ticker = tokio::spawn(async move {
            loop {
                counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tokio::task::yield_now().await;
            }
        });
        hash("une phrase de passe solide").await.unwrap();
        ticker.abort();
        assert!(ticks.load(std::sync::atomic::Ordering::Relaxed) > 1);
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(policy_violation("court").is_some());
        assert!(policy_violation(&"x".repeat(129)).is_some());
        assert!(policy_violation("une phrase de passe").is_none());
    }
}
