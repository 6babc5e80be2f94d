//! Identity domain: how well an attribute is known, which attributes a profile has and
//! what a valid value is, passwords, and the domain errors (SIRET numbers are checked
//! by `guichet_kit::validate::Siret`).

pub mod password;

use guichet_kit::{
    grpc::Violation,
    validate::{is_email, is_french_phone},
};

pub use guichet_kit::profile::{ATTRIBUTES, Level};

/// Checks one declared attribute; `None` when the value is acceptable.
pub fn attribute_violation(name: &str, value: &str) -> Option<&'static str> {
    if !ATTRIBUTES.contains(&name) {
        return Some("Cette information ne fait pas partie du profil.");
    }
    if value.chars().count() > 300 {
        return Some("Cette valeur ne doit pas dépasser 300 caractères.");
    }
    match name {
        "civility" if !matches!(value, "M." | "Mme" | "") => Some("Indiquez « M. » ou « Mme »."),
        "birthdate"
            if !value.is_empty()
                && chrono::NaiveDate::parse_from_str(value, "%Y-%m-%d").is_err() =>
        {
            Some("La date de naissance doit être au format AAAA-MM-JJ.")
        }
        "phone" if !value.is_empty() && !is_french_phone(value) => {
            Some("Ce numéro de téléphone n'est pas valide (par exemple 06 12 34 56 78).")
        }
        "preferred_channels"
            if !value
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .all(|c| matches!(c, "email" | "sms" | "app")) =>
        {
            Some("Canaux possibles : email, sms, app.")
        }
        _ => None,
    }
}

/// A normalised e-mail address (trimmed, lower case).
pub fn normalize_email(input: &str) -> Result<String, Violation> {
    let email = input.trim().to_lowercase();
    if is_email(&email) {
        Ok(email)
    } else {
        Err(Violation::new(
            "email",
            "Cette adresse e-mail n'est pas valide.",
        ))
    }
}

/// What can go wrong in the identity service.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    /// Wrong credentials or a dead session; the message never says which part was wrong.
    #[error("unauthenticated: {0}")]
    Unauthenticated(&'static str),
    #[error("too many failed attempts")]
    Throttled { retry_after_secs: i64 },
    #[error("forbidden")]
    Forbidden(&'static str),
    #[error("not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// Something outside the platform it depends on (FranceConnect) does not answer:
    /// worth a retry later, not a failure of ours.
    #[error("unavailable: {0}")]
    Unavailable(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Error {
    pub fn field(field: &str, text: &str) -> Self {
        Error::Invalid(vec![Violation::new(field, text)])
    }
}

impl From<sqlx::Error> for Error {
    fn from(error: sqlx::Error) -> Self {
        Error::Unexpected(error.into())
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> Self {
        match error {
            Error::Invalid(violations) => {
                guichet_kit::grpc::invalid_argument("La demande contient des erreurs.", &violations)
            }
            Error::Unauthenticated(text) => tonic::Status::unauthenticated(text),
            Error::Throttled { retry_after_secs } => guichet_kit::grpc::resource_exhausted(
                &format!(
                    "Trop de tentatives. Réessayez dans {} minute(s).",
                    (retry_after_secs + 59) / 60
                ),
                std::time::Duration::from_secs(retry_after_secs.max(1).unsigned_abs()),
            ),
            Error::Forbidden(text) => tonic::Status::permission_denied(text),
            Error::NotFound(text) => tonic::Status::not_found(text),
            Error::Conflict(text) => tonic::Status::already_exists(text),
            Error::Unavailable(text) => tonic::Status::unavailable(text),
            Error::Unexpected(error) => guichet_kit::grpc::internal(&error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_are_checked_by_kind() {
        assert!(attribute_violation("birthdate", "1984-02-29").is_none());
        assert!(attribute_violation("birthdate", "29/02/1984").is_some());
        assert!(attribute_violation("phone", "06 12 34 56 78").is_none());
        assert!(attribute_violation("phone", "12").is_some());
        assert!(attribute_violation("preferred_channels", "email, sms").is_none());
        assert!(attribute_violation("preferred_channels", "pigeon").is_some());
        assert!(attribute_violation("shoe_size", "42").is_some());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            normalize_email(" Jeanne.Martin@Example.FR ").unwrap(),
            "jeanne.martin@example.fr"
        );
        assert!(normalize_email("jeanne").is_err());
    }
}
