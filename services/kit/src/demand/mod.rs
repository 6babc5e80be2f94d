//! What every service implementing the shared `Demands` contract needs besides its own
//! aggregate: one error type and its mapping to gRPC, who may reach a demand, the
//! timeline (stored in each service's `timeline` table, defined by the kit's migrations,
//! see [`timeline`]), the events published about a demand's life, and the steps every
//! silo takes the same way — a status change ([`status`]), a message ([`message`]), a
//! claim ([`claim`]), a page of a list ([`list`]) — each over the silo's own table,
//! described by a [`Silo`].

pub mod access;
pub mod audit;
pub mod claim;
pub mod erasure;
pub mod events;
pub mod list;
pub mod message;
pub mod retry;
pub mod search;
pub mod status;
pub mod timeline;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_proto::demand::v1::{Author, AuthorRole, DemandKind, Status};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    TrackingNumber,
    auth::{Caller, Claims},
    grpc::Violation,
};

use crate::contract::IDEMPOTENCY_KEY_REUSED;

/// Longest message kept in a timeline.
pub const MAX_MESSAGE: usize = 4_000;

/// What can go wrong when handling a demand, in any silo.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    #[error("no such demand")]
    NotFound,
    #[error("not allowed")]
    Forbidden(&'static str),
    #[error("not signed in")]
    Unauthenticated,
    /// An `Idempotency-Key` sent again with a different request.
    #[error("idempotency key reused")]
    Reused,
    /// The request is valid but the demand's state does not allow it now.
    #[error("conflict")]
    Conflict(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Error {
    /// One invalid field.
    pub fn field(path: &str, text: &str) -> Self {
        Self::Invalid(vec![Violation::new(path, text)])
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Self::Unexpected(error.into())
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> Self {
        match error {
            Error::Invalid(violations) => {
                crate::grpc::invalid_argument("La demande contient des erreurs.", &violations)
            }
            Error::NotFound => {
                tonic::Status::not_found("Aucune demande ne correspond à ce numéro.")
            }
            Error::Reused => crate::grpc::invalid_argument_because(
                IDEMPOTENCY_KEY_REUSED,
                "Cette clé d'idempotence a déjà servi pour une autre demande : \
                 utilisez une nouvelle clé pour une nouvelle demande.",
                &[Violation::new(
                    "Idempotency-Key",
                    "Clé déjà utilisée avec un contenu différent.",
                )],
            ),
            Error::Forbidden(text) => tonic::Status::permission_denied(text),
            Error::Unauthenticated => tonic::Status::unauthenticated("Veuillez vous identifier."),
            Error::Conflict(text) => tonic::Status::failed_precondition(text),
            Error::Unexpected(error) => crate::grpc::internal(&error),
        }
    }
}

/// What the shared steps need to know of a silo: its name and kind, and its table of
/// demands, whose columns `id`, `tracking_number`, `resident_id`, `department`,
/// `status`, `sub_status`, `contact_email`, `contact_phone` and `anonymised_at` every
/// silo names the same.
#[derive(Debug, Clone, Copy)]
pub struct Silo {
    /// `teleservices`, `complaints`, `rapo`: the events' routing key and source.
    pub service: &'static str,
    pub kind: DemandKind,
    /// The table of demands (`complaints`, `disputes`, `demands`).
    pub table: &'static str,
    /// A column set to the time of each status change, for a silo that keeps one.
    pub changed_at: Option<&'static str>,
    /// What erasure empties besides the owner and the contact left at filing, as SQL
    /// assignments (`contact_name = ''`).
    pub erased: Option<&'static str>,
}

/// Stores a demand's new status in its silo's table (its timeline entry and event are
/// the caller's: [`status::change`], [`message::post`]).
pub async fn set_status(
    conn: &mut PgConnection,
    silo: &Silo,
    id: Uuid,
    status: &str,
    sub_status: &str,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    // Table and column names are the silo's constants, never input.
    let stamp = silo
        .changed_at
        .map(|column| format!(", {column} = $4"))
        .unwrap_or_default();
    let sql = format!(
        "UPDATE {} SET status = $2, sub_status = $3{stamp} WHERE id = $1",
        silo.table
    );
    let query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(id)
        .bind(status)
        .bind(sub_status);
    let query = if silo.changed_at.is_some() {
        query.bind(at)
    } else {
        query
    };
    query
        .execute(conn)
        .await
        .context("changing a demand's status")?;
    Ok(())
}

/// A tracking number as typed (case, dashes and look-alike symbols forgiven), in its
/// canonical form.
pub fn parse_tracking(input: &str) -> Result<String, Error> {
    TrackingNumber::parse(input)
        .map(|t| t.to_string())
        .map_err(|_| Error::field("tracking_number", "Ce numéro de suivi n'est pas valide."))
}

/// A message's text, trimmed, or the reason it is refused.
pub fn message_text(text: &str) -> Result<&str, Error> {
    let text = text.trim();
    if !crate::validate::has_visible_content(text) || text.chars().count() > MAX_MESSAGE {
        return Err(Error::field(
            "text",
            "Le message doit contenir entre 1 et 4 000 caractères.",
        ));
    }
    if let Some(c) = crate::validate::first_non_xml_char(text) {
        return Err(Error::field(
            "text",
            &crate::validate::non_xml_char_message(c),
        ));
    }
    Ok(text)
}

pub fn agent_author(agent: &Claims) -> Author {
    Author {
        role: AuthorRole::Agent as i32,
        name: agent.name.clone(),
        id: agent.sub.clone(),
    }
}

/// The resident behind a request: signed in, or anonymous holding the number.
pub fn resident_author(caller: &Caller) -> Author {
    Author {
        role: AuthorRole::Resident as i32,
        name: caller.claims().map(|c| c.name.clone()).unwrap_or_default(),
        id: caller.resident().unwrap_or_default().to_owned(),
    }
}

/// The platform itself (schedulers, consumers).
pub fn system_author() -> Author {
    Author {
        role: AuthorRole::System as i32,
        name: "Guichet".to_owned(),
        id: String::new(),
    }
}

/// Checks a status an agent asks for against the shared vocabulary.
pub fn check_status_change(status: Status, reason: &str) -> Result<(), Error> {
    match status {
        Status::Unspecified | Status::Submitted => {
            Err(Error::field("status", "Ce statut ne peut pas être choisi."))
        }
        Status::Rejected if !crate::validate::has_visible_content(reason) => {
            Err(Error::field("reason", "Indiquez le motif du rejet."))
        }
        Status::AwaitingResident if !crate::validate::has_visible_content(reason) => {
            Err(Error::field(
                "reason",
                "Indiquez ce que l'usager doit fournir ou préciser.",
            ))
        }
        _ => Ok(()),
    }
}

/// Whether the contact a resident gives when claiming a demand filed without an account
/// matches the one left when filing (e-mail case-insensitive, phone in national form).
pub fn contact_matches(email: &str, phone: &str, stored_email: &str, stored_phone: &str) -> bool {
    let email = email.trim();
    let phone = phone.trim();
    (!email.is_empty() && email.eq_ignore_ascii_case(stored_email.trim()))
        || (!phone.is_empty()
            && !stored_phone.is_empty()
            && crate::validate::national_phone(phone)
                == crate::validate::national_phone(stored_phone))
}

/// The business a professional files for: one of their account's, or a refusal.
pub fn business_of(caller: &Caller, siret: &str) -> Result<Option<(String, String)>, Error> {
    let siret: String = siret.chars().filter(|c| !c.is_whitespace()).collect();
    if siret.is_empty() {
        return Ok(None);
    }
    caller
        .claims()
        .filter(|c| c.role == crate::auth::Role::Resident)
        .and_then(|c| c.businesses.iter().find(|b| b.siret == siret))
        .map(|b| Some((b.siret.clone(), b.name.clone())))
        .ok_or_else(|| {
            Error::field(
                "siret",
                "Ce SIRET n'est pas rattaché à votre compte : ajoutez l'entreprise à votre profil.",
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rejection_and_a_request_for_information_need_a_reason() {
        assert!(check_status_change(Status::Rejected, " ").is_err());
        assert!(check_status_change(Status::Rejected, "Hors compétence communale").is_ok());
        assert!(check_status_change(Status::AwaitingResident, "").is_err());
        assert!(check_status_change(Status::Submitted, "").is_err());
        assert!(check_status_change(Status::InProgress, "").is_ok());
    }

    #[test]
    fn a_claim_needs_the_contact_given_at_filing() {
        assert!(contact_matches(
            "Jeanne@Example.fr",
            "",
            "jeanne@example.fr",
            ""
        ));
        assert!(contact_matches(
            "",
            "+33 6 12 34 56 78",
            "",
            "06 12 34 56 78"
        ));
        assert!(!contact_matches(
            "autre@example.fr",
            "",
            "jeanne@example.fr",
            ""
        ));
        assert!(!contact_matches("", "", "", ""));
        assert!(!contact_matches("", "06 12 34 56 78", "", ""));
    }
}
