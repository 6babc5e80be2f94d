//! The desk's search, the same in every silo: a query is a tracking number, an e-mail
//! address, a phone number or words of a name; the identity service adds the accounts
//! it matched. Each silo runs [`Search`] over its own contact columns, with the
//! parameters [`search_demands`] binds.

use anyhow::Context as _;
use guichet_proto::demand::v1::SearchDemandsRequest;
use sqlx::{FromRow, PgPool, postgres::PgRow};

use super::{Error, Silo, events};
use crate::{
    Clock, TrackingNumber,
    auth::{Caller, Claims, Role},
    bus,
    validate::national_phone,
};

/// The `SearchDemands` call: only agents search; the query is read once, the silo's
/// `sql` run over what the agent reaches, and the search written in the audit log.
///
/// `sql` selects the silo's rows with these parameters: `$1` the agent reaches every
/// demand (`everything`, the silo's rule), `$2` their departments, `$3` their themes;
/// then [`Search`]'s `$4` tracking number, `$5` e-mail, `$6` phone, `$7` words, `$8`
/// accounts; `$9` the most rows, `$10` the query as typed (trimmed).
pub async fn search_demands<R>(
    pool: &PgPool,
    silo: &Silo,
    clock: &Clock,
    caller: &Caller,
    request: &SearchDemandsRequest,
    everything: bool,
    sql: &'static str,
) -> Result<Vec<R>, Error>
where
    R: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let agent = searching_agent(caller)?;
    let search = Search::parse(request)?;
    let rows = sqlx::query_as(sql)
        .bind(everything)
        .bind(&agent.departments)
        .bind(&agent.themes)
        .bind(&search.tracking_number)
        .bind(&search.email)
        .bind(&search.phone)
        .bind(&search.words)
        .bind(&search.resident_ids)
        .bind(crate::contract::list_limit(request.limit))
        .bind(request.query.trim())
        .fetch_all(pool)
        .await
        .with_context(|| format!("searching {}", silo.table))?;
    let mut tx = pool.begin().await?;
    let audit = events::audited(silo.service, agent, "search", silo.service, clock.now());
    bus::enqueue(&mut tx, &audit).await?;
    bus::commit(tx).await?;
    Ok(rows)
}

/// What to look for, read from the query once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Search {
    pub tracking_number: Option<String>,
    pub email: Option<String>,
    /// National form (`0612345678`).
    pub phone: Option<String>,
    /// Words that must all appear in the name left at filing (`%`, `_` and `\` removed,
    /// ready for `LIKE`), compared through `kit.fold` (no case, no accents) on both sides.
    pub words: Vec<String>,
    pub resident_ids: Vec<String>,
}

impl Search {
    pub fn parse(request: &SearchDemandsRequest) -> Result<Self, Error> {
        let query = request.query.trim();
        if query.chars().count() < 2 && request.resident_ids.is_empty() {
            return Err(Error::field("q", "Saisissez au moins deux caractères."));
        }
        let phone = national_phone(query);
        let plain_words = !query.contains('@') && !query.chars().any(|c| c.is_ascii_digit());
        Ok(Self {
            tracking_number: TrackingNumber::parse(query).ok().map(|t| t.to_string()),
            email: query.contains('@').then(|| query.to_lowercase()),
            phone: (phone.len() >= 9 && phone.chars().all(|c| c.is_ascii_digit())).then_some(phone),
            words: if plain_words {
                query
                    .split_whitespace()
                    .map(|w| w.replace(['%', '_', '\\'], ""))
                    .filter(|w| !w.is_empty())
                    .collect()
            } else {
                Vec::new()
            },
            resident_ids: request.resident_ids.clone(),
        })
    }
}

/// Only agents search.
pub fn searching_agent(caller: &Caller) -> Result<&Claims, Error> {
    match caller.claims() {
        None => Err(Error::Unauthenticated),
        Some(c) if c.role == Role::Agent => Ok(c),
        Some(_) => Err(Error::Forbidden("Réservé aux agents.")),
    }
}

/// SQL that puts a phone column in national form, to compare with [`Search::phone`].
#[macro_export]
macro_rules! national_phone_sql {
    ($column:literal) => {
        concat!(
            "regexp_replace(regexp_replace(",
            $column,
            ", '[ .-]', '', 'g'), '^(\\+33|0033)', '0')"
        )
    };
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    fn parse(query: &str) -> Search {
        Search::parse(&SearchDemandsRequest {
            query: query.into(),
            resident_ids: vec![],
            limit: 0,
        })
        .unwrap()
    }

    #[test]
    fn a_query_is_read_as_what_it_looks_like() {
        assert_eq!(
            parse("+33 6 12 34 56 78").phone.as_deref(),
            Some("0612345678")
        );
        assert_eq!(
            parse("Jeanne@Example.fr").email.as_deref(),
            Some("jeanne@example.fr")
        );
        assert_eq!(parse("Jeanne Mar%tin").words, ["Jeanne", "Martin"]);
        assert!(parse("06 12").phone.is_none());
        assert!(
            Search::parse(&SearchDemandsRequest {
                query: "a".into(),
                ..Default::default()
            })
            .is_err()
        );
    }
}
