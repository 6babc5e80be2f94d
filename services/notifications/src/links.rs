//! The links of identity's e-mails (address verification, password reset). Their events
//! carry only the link request's id; the delivery row keeps the message with
//! [`templates::LINK_SLOT`] where the link goes, and the request's id. When the worker
//! sends it, it asks the identity service for a fresh link (`Links.IssueLink`, with this
//! service's key) and puts it into the message in memory only: the link's secret is
//! never in an event, a queue, a table or a log.

use anyhow::Context as _;
use guichet_kit::grpc::{TracedChannel, connect_lazy};
use guichet_proto::identity::v1::{IssueLinkRequest, links_client::LinksClient};
use secrecy::{ExposeSecret as _, SecretString};
use tonic::Code;
use uuid::Uuid;

use crate::{failure::Failure, templates};

/// Asks the identity service for links.
#[derive(Clone)]
pub struct Links {
    client: LinksClient<TracedChannel>,
    key: SecretString,
}

impl std::fmt::Debug for Links {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Links").finish_non_exhaustive()
    }
}

/// Checks the configured key at start: it must travel in a header; without one,
/// identity's e-mails cannot be sent, which is said once.
pub fn check_key(key: &SecretString) -> anyhow::Result<()> {
    let text = key.expose_secret().trim();
    if !text.bytes().all(|b| b.is_ascii_graphic()) {
        anyhow::bail!("service_key must be printable ASCII without spaces");
    }
    if text.is_empty() {
        tracing::warn!(
            "no service_key: identity's e-mails (address verification, password reset) \
             cannot be sent; set GUICHET__SERVICE_KEY to the identity service's \
             GUICHET__SERVICE_KEYS__NOTIFICATIONS"
        );
    }
    Ok(())
}

impl Links {
    /// Links from the identity service at `identity_url`, asked with `key`
    /// (`service_key`; the identity service's `service_keys.notifications`).
    pub fn new(identity_url: &str, key: &SecretString) -> anyhow::Result<Self> {
        Ok(Self {
            client: LinksClient::new(connect_lazy(identity_url).context("identity's address")?),
            key: key.clone(),
        })
    }

    /// `body` with the link of `request` in its slot. A request with nothing left to
    /// send (expired, used, account erased) fails for good; anything else is retried.
    pub async fn fill(&self, request: Uuid, body: &str) -> Result<String, Failure> {
        let mut call = tonic::Request::new(IssueLinkRequest {
            request_id: request.to_string(),
        });
        if let Ok(value) = format!("Bearer {}", self.key.expose_secret().trim()).parse() {
            call.metadata_mut().insert("authorization", value);
        }
        match self.client.clone().issue_link(call).await {
            Ok(issued) => Ok(body.replace(templates::LINK_SLOT, &issued.into_inner().link)),
            Err(status) if status.code() == Code::NotFound => Err(Failure::Permanent(
                "lien expiré ou déjà utilisé : l'usager doit en demander un nouveau".to_owned(),
            )),
            Err(status) => {
                tracing::warn!(code = ?status.code(), message = status.message(), "cannot get a link from identity");
                Err(Failure::Transient(format!(
                    "service d'identité : {:?}",
                    status.code()
                )))
            }
        }
    }
}
