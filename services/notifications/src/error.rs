//! The service's domain errors, mapped once to gRPC statuses.

use guichet_kit::grpc::{Violation, internal, invalid_argument};

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("invalid request")]
    Invalid(Vec<Violation>),
    #[error("not signed in")]
    Unauthenticated,
    #[error("forbidden: {0}")]
    Forbidden(&'static str),
    #[error("not found: {0}")]
    NotFound(&'static str),
    /// The request is valid but the state does not allow it (already rated).
    #[error("conflict: {0}")]
    Conflict(&'static str),
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl Error {
    pub fn field(path: &str, text: &str) -> Self {
        Self::Invalid(vec![Violation::new(path, text)])
    }
}

impl From<Error> for tonic::Status {
    fn from(error: Error) -> Self {
        match error {
            Error::Invalid(violations) => {
                invalid_argument("La demande contient des erreurs.", &violations)
            }
            Error::Unauthenticated => tonic::Status::unauthenticated("Veuillez vous identifier."),
            Error::Forbidden(text) => tonic::Status::permission_denied(text),
            Error::NotFound(text) => tonic::Status::not_found(text),
            Error::Conflict(text) => tonic::Status::already_exists(text),
            Error::Unexpected(error) => internal(&error),
        }
    }
}
