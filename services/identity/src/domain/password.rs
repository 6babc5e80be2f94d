//! Passwords: a length policy people can live with, hashed with Argon2id.

use argon2::{
    Argon2, PasswordHash, PasswordHasher as _, PasswordVerifier as _,
    password_hash::{SaltString, rand_core::OsRng},
};

/// Long enough to resist guessing, short enough to type on a kiosk.
pub const MIN_LENGTH: usize = 10;
pub const MAX_LENGTH: usize = 128;

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

pub fn hash(password: &str) -> anyhow::Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("hashing a password: {e}"))
}

/// Constant-time check of a password against a stored hash.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A hash of nothing, checked when the account does not exist, so a wrong e-mail and a
/// wrong password take the same time.
pub fn dummy_verify(password: &str) {
    static DUMMY: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();
    if let Some(stored) = DUMMY.get_or_init(|| hash("guichet-dummy-password").ok()) {
        let _ = verify(password, stored);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_only_its_password() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterY", &stored));
        assert!(!verify("correct horse battery", "not a hash"));
    }

    #[test]
    fn short_and_huge_passwords_are_refused() {
        assert!(policy_violation("court").is_some());
        assert!(policy_violation(&"x".repeat(129)).is_some());
        assert!(policy_violation("une phrase de passe").is_none());
    }
}
