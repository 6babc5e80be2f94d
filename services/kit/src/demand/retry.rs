//! Retries of a filing, the same in every silo. An `Idempotency-Key` belongs to its
//! caller — the account, or, for anonymous callers, the key together with the request
//! it came with — so the same key and the same request answer the first filing and file
//! nothing, the same key with another request is refused, and a key never reaches a
//! demand its caller could not read. The table is `kit.retries` (kit's migration 0003).

use prost::Message;
use sha2::{Digest as _, Sha256};
use sqlx::{PgConnection, PgPool};

use super::Error;
use crate::auth::{Caller, Role};

/// Longest key kept; UUIDs and ULIDs fit with room to spare.
const MAX_KEY: usize = 255;

/// A filing's retry identity: whose key, which key, and the request it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retry {
    scope: String,
    key: String,
    fingerprint: Vec<u8>,
}

impl Retry {
    /// The retry identity of a filing, `None` when the caller sent no key. `request` is
    /// the request as received with its key field cleared, so only what was asked counts.
    pub fn of(caller: &Caller, key: &str, request: &impl Message) -> Result<Option<Self>, Error> {
        let key = key.trim();
        if key.is_empty() {
            return Ok(None);
        }
        if key.len() > MAX_KEY {
            return Err(Error::field(
                "Idempotency-Key",
                "L'en-tête Idempotency-Key doit contenir entre 1 et 255 caractères imprimables.",
            ));
        }
        Ok(Some(Self {
            scope: scope(caller),
            key: key.to_owned(),
            fingerprint: Sha256::digest(request.encode_to_vec()).to_vec(),
        }))
    }

    /// The demand an earlier request with this key filed, if any; [`Error::Reused`] when
    /// that request was a different one.
    pub async fn earlier(&self, pool: &PgPool) -> Result<Option<String>, Error> {
        let row: Option<(Vec<u8>, String)> = sqlx::query_as(
            "SELECT fingerprint, tracking_number FROM kit.retries WHERE scope = $1 AND key = $2",
        )
        .bind(&self.scope)
        .bind(&self.key)
        .fetch_optional(pool)
        .await?;
        match row {
            None => Ok(None),
            Some((fingerprint, tracking)) if fingerprint == self.fingerprint => Ok(Some(tracking)),
            Some(_) => Err(Error::Reused),
        }
    }

    /// Records, in the filing's transaction, that this key filed `tracking`; `false`
    /// when a concurrent request with the same key got there first (it waits for that
    /// one to commit): drop the transaction and ask [`Retry::earlier`] again.
    pub async fn record(&self, conn: &mut PgConnection, tracking: &str) -> Result<bool, Error> {
        let inserted = sqlx::query(
            "INSERT INTO kit.retries (scope, key, fingerprint, tracking_number)
             VALUES ($1, $2, $3, $4) ON CONFLICT (scope, key) DO NOTHING",
        )
        .bind(&self.scope)
        .bind(&self.key)
        .bind(&self.fingerprint)
        .bind(tracking)
        .execute(conn)
        .await?
        .rows_affected();
        Ok(inserted == 1)
    }
}

/// Whose keys these are: an account's own, or every anonymous caller's together (a
/// kiosk or counter device acting alone serves many people, so it is anonymous here).
fn scope(caller: &Caller) -> String {
    match caller.claims() {
        Some(claims) if claims.role == Role::Resident => format!("resident:{}", claims.sub),
        Some(claims) if claims.role == Role::Agent => format!("agent:{}", claims.sub),
        _ => "anonymous".to_owned(),
    }
}

/// An erased account's keys go with it.
pub async fn forget(conn: &mut PgConnection, account_id: &str) -> anyhow::Result<()> {
    sqlx::query("DELETE FROM kit.retries WHERE scope = $1")
        .bind(format!("resident:{account_id}"))
        .execute(conn)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Claims;

    fn request(text: &str) -> prost_types::Timestamp {
        // Any message will do: the fingerprint is of its encoding.
        prost_types::Timestamp {
            seconds: i64::try_from(text.len()).unwrap_or_default(),
            nanos: 0,
        }
    }

    #[test]
    fn no_key_no_retry_and_keys_are_trimmed() {
        assert_eq!(
            Retry::of(&Caller::Anonymous, "  ", &request("a")).unwrap(),
            None
        );
        let retry = Retry::of(&Caller::Anonymous, " k ", &request("a"))
            .unwrap()
            .unwrap();
        assert_eq!(retry.key, "k");
        assert!(Retry::of(&Caller::Anonymous, &"k".repeat(256), &request("a")).is_err());
    }

    #[test]
    fn a_key_belongs_to_its_account_and_its_request() {
        let resident = Caller::Token(Box::new(Claims {
            iss: String::new(),
            aud: String::new(),
            sub: "r1".into(),
            exp: 0,
            iat: 0,
            jti: String::new(),
            role: Role::Resident,
            roles: vec![],
            departments: vec![],
            themes: vec![],
            channel: "web".into(),
            device: None,
            sid: None,
            name: String::new(),
            businesses: Vec::new(),
        }));
        let a = Retry::of(&resident, "k", &request("a")).unwrap().unwrap();
        let b = Retry::of(&Caller::Anonymous, "k", &request("a"))
            .unwrap()
            .unwrap();
        assert_ne!(a.scope, b.scope);
        assert_eq!(a.fingerprint, b.fingerprint);
        let c = Retry::of(&Caller::Anonymous, "k", &request("ab"))
            .unwrap()
            .unwrap();
        assert_ne!(b.fingerprint, c.fingerprint);
    }
}
