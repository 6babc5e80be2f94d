//! Services calling the identity service in their own name, not for a person: today the
//! notifications service, asking for the link of an e-mail it is sending
//! ([`crate::links`]). Each holds a key of its own (`service_keys.<name>` here, the
//! same value as its `service_key`), sent as `authorization: Bearer <key>`. Only the
//! keys' SHA-256 digests are kept in memory, compared in constant time.

use std::collections::HashMap;

use anyhow::bail;
use secrecy::{ExposeSecret as _, SecretString};
use sha2::{Digest as _, Sha256};
use tonic::metadata::MetadataMap;

use crate::domain::Error;

/// A key shorter than this is refused at start: it must not be guessable.
pub const MIN_KEY_LENGTH: usize = 32;

/// The services that may call in their own name, by name.
#[derive(Clone, Default)]
pub struct Callers {
    keys: Vec<(String, [u8; 32])>,
}

impl std::fmt::Debug for Callers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.keys.iter().map(|(name, _)| name.as_str()).collect();
        f.debug_struct("Callers").field("names", &names).finish()
    }
}

impl Callers {
    /// From the configured keys; refuses a short one, or one that cannot travel in a
    /// header (printable ASCII only, no spaces).
    pub fn new(keys: &HashMap<String, SecretString>) -> anyhow::Result<Self> {
        let mut known = Vec::new();
        for (name, key) in keys {
            let key = key.expose_secret().trim();
            if key.len() < MIN_KEY_LENGTH || !key.bytes().all(|b| b.is_ascii_graphic()) {
                bail!(
                    "service_keys.{name} must be at least {MIN_KEY_LENGTH} printable ASCII \
                     characters without spaces (e.g. openssl rand -base64 32)"
                );
            }
            known.push((name.clone(), Sha256::digest(key.as_bytes()).into()));
        }
        Ok(Self { keys: known })
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// The calling service, which must be `allowed`: its key is in the request's
    /// metadata. Every known key is compared, whichever matches.
    pub fn require(&self, metadata: &MetadataMap, allowed: &str) -> Result<(), Error> {
        let presented = match guichet_kit::auth::bearer(metadata) {
            Ok(Some(key)) => key,
            Ok(None) => return Err(Error::Unauthenticated("Clé de service manquante.")),
            Err(_) => return Err(Error::Unauthenticated("En-tête d'autorisation illisible.")),
        };
        let digest: [u8; 32] = Sha256::digest(presented.as_bytes()).into();
        let mut caller = None;
        for (name, known) in &self.keys {
            let difference = known
                .iter()
                .zip(digest.iter())
                .fold(0u8, |acc, (a, b)| acc | (a ^ b));
            if difference == 0 {
                caller = Some(name.as_str());
            }
        }
        match caller {
            Some(name) if name == allowed => Ok(()),
            Some(name) => {
                tracing::warn!(caller = name, "service call refused: not allowed");
                Err(Error::Forbidden(
                    "Ce service n'a pas accès à cette fonction.",
                ))
            }
            None => {
                tracing::warn!("service call refused: unknown key");
                Err(Error::Unauthenticated("Clé de service inconnue."))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_key(key: &str) -> MetadataMap {
        let mut metadata = MetadataMap::new();
        metadata.insert("authorization", format!("Bearer {key}").parse().unwrap());
        metadata
    }

    fn callers() -> Callers {
        Callers::new(&HashMap::from([
            (
                "notifications".to_owned(),
                SecretString::from("n".repeat(40)),
            ),
            ("complaints".to_owned(), SecretString::from("c".repeat(40))),
        ]))
        .unwrap()
    }

    #[test]
    fn only_the_allowed_service_with_its_own_key_gets_through() {
        let callers = callers();
        assert!(
            callers
                .require(&with_key(&"n".repeat(40)), "notifications")
                .is_ok()
        );
        assert!(matches!(
            callers.require(&with_key(&"c".repeat(40)), "notifications"),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            callers.require(&with_key(&"x".repeat(40)), "notifications"),
            Err(Error::Unauthenticated(_))
        ));
        assert!(matches!(
            callers.require(&MetadataMap::new(), "notifications"),
            Err(Error::Unauthenticated(_))
        ));
    }

    #[test]
    fn a_short_key_or_one_no_header_can_carry_is_refused_at_start() {
        for key in ["court", "clé de service avec des accents et des espaces"] {
            let keys = HashMap::from([("notifications".to_owned(), SecretString::from(key))]);
            assert!(Callers::new(&keys).is_err(), "{key}");
        }
    }
}
