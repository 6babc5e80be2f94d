//! `guichet.identity.v1.Links`: the link of an e-mail being sent, for the notifications
//! service only, called with its service key ([`crate::callers`], [`crate::links`]).

use guichet_kit::grpc::timestamp;
use guichet_proto::identity::v1::{IssueLinkRequest, IssueLinkResponse, links_server::Links};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::Core;
use crate::{callers::Callers, domain::Error, links};

/// The one service that sends residents' e-mail.
const SENDER: &str = "notifications";

pub struct LinksService {
    pub core: Core,
    pub callers: Callers,
}

#[tonic::async_trait]
impl Links for LinksService {
    #[tracing::instrument(name = "Issue a link", skip_all, fields(request = tracing::field::Empty))]
    async fn issue_link(
        &self,
        request: Request<IssueLinkRequest>,
    ) -> Result<Response<IssueLinkResponse>, Status> {
        self.callers.require(request.metadata(), SENDER)?;
        let id: Uuid = request.get_ref().request_id.trim().parse().map_err(|_| {
            Error::NotFound("Cette demande de lien n'existe pas ou n'est plus valable.")
        })?;
        tracing::Span::current().record("request", tracing::field::display(id));
        let core = &self.core;
        let (link, expires_at) = links::issue(&core.pool, &core.public_url, id, core.now()).await?;
        tracing::info!("link issued");
        Ok(Response::new(IssueLinkResponse {
            link,
            expires_at: Some(timestamp(expires_at)),
        }))
    }
}
