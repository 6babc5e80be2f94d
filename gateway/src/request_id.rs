//! The id of the request being answered (`X-Request-Id`), set by the outermost
//! middleware ([`crate::web::stamp`]) for the request's span and for the problem
//! documents made while answering it.

use std::future::Future;

use uuid::Uuid;

tokio::task_local! {
    static REQUEST_ID: Uuid;
}

/// Answers the request (`answer`) with `id` as its id.
pub async fn scope<F: Future>(id: Uuid, answer: F) -> F::Output {
    REQUEST_ID.scope(id, answer).await
}

/// The id of the request being answered.
pub fn current() -> Option<Uuid> {
    REQUEST_ID.try_with(|id| *id).ok()
}

/// The problem's `instance`: `urn:uuid:<X-Request-Id>` while a request is answered.
pub fn instance() -> Option<String> {
    current().map(|id| format!("urn:uuid:{id}"))
}
