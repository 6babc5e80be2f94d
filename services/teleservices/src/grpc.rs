//! The gRPC face of the service: `Teleservices` (designers, forms, drafts, uploads,
//! submission), the shared `Demands` contract and `Privacy`. Each method verifies the
//! caller's token and hands over to [`Teleservices`].

use guichet_kit::auth::{Caller, Verifier, bearer};
use guichet_proto::{
    demand::v1::{
        ChangeStatusRequest, ClaimDemandRequest, Demand, GetDemandRequest, ListDemandsRequest,
        ListDemandsResponse, PostMessageRequest, SearchDemandsRequest, demands_server::Demands,
    },
    privacy::v1::{ExportPersonalDataRequest, PersonalData, privacy_server::Privacy},
    teleservices::v1::{self as pb, teleservices_server},
};
use tonic::{Request, Response, Status, metadata::MetadataMap};

use crate::{
    privacy,
    service::{Requester, Teleservices},
};

#[derive(Clone)]
pub struct Service {
    inner: Teleservices,
    verifier: Verifier,
}

impl Service {
    pub fn new(inner: Teleservices, verifier: Verifier) -> Self {
        Self { inner, verifier }
    }

    async fn caller(&self, metadata: &MetadataMap) -> Result<Caller, Status> {
        self.verifier.caller(metadata).await
    }
}

/// The verified caller and the token they came with.
async fn requester(
    service: &Service,
    metadata: &MetadataMap,
) -> Result<(Caller, Option<String>), Status> {
    let caller = service.caller(metadata).await?;
    let token = bearer(metadata).ok().flatten().map(str::to_owned);
    Ok((caller, token))
}

#[tonic::async_trait]
impl teleservices_server::Teleservices for Service {
    async fn save_definition(
        &self,
        request: Request<pb::SaveDefinitionRequest>,
    ) -> Result<Response<pb::Teleservice>, Status> {
        let caller = self.caller(request.metadata()).await?;
        let saved = self
            .inner
            .save_definition(
                &caller,
                &request.get_ref().definition_json,
                request.get_ref().create_only,
            )
            .await?;
        Ok(Response::new(saved))
    }

    async fn change_state(
        &self,
        request: Request<pb::ChangeStateRequest>,
    ) -> Result<Response<pb::Teleservice>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner
                .change_state(&caller, request.into_inner())
                .await?,
        ))
    }

    async fn get_definition(
        &self,
        request: Request<pb::GetDefinitionRequest>,
    ) -> Result<Response<pb::Teleservice>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner
                .get_definition(&caller, request.get_ref())
                .await?,
        ))
    }

    async fn seed_catalog(
        &self,
        request: Request<pb::SeedCatalogRequest>,
    ) -> Result<Response<pb::SeedCatalogResponse>, Status> {
        let caller = self.caller(request.metadata()).await?;
        let created = self.inner.seed_catalog(&caller).await?;
        Ok(Response::new(pb::SeedCatalogResponse { created }))
    }

    async fn list_teleservices(
        &self,
        request: Request<pb::ListTeleservicesRequest>,
    ) -> Result<Response<pb::ListTeleservicesResponse>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.list(&caller, request.get_ref().all).await?,
        ))
    }

    async fn get_form(
        &self,
        request: Request<pb::GetDefinitionRequest>,
    ) -> Result<Response<pb::Form>, Status> {
        let (caller, token) = requester(self, request.metadata()).await?;
        let who = Requester {
            caller: &caller,
            token: token.as_deref(),
        };
        let asked = request.get_ref();
        Ok(Response::new(
            self.inner.form(&who, &asked.slug, asked.version).await?,
        ))
    }

    async fn save_draft(
        &self,
        request: Request<pb::SaveDraftRequest>,
    ) -> Result<Response<pb::Draft>, Status> {
        let (caller, token) = requester(self, request.metadata()).await?;
        let who = Requester {
            caller: &caller,
            token: token.as_deref(),
        };
        Ok(Response::new(
            self.inner.save_draft(&who, request.into_inner()).await?,
        ))
    }

    async fn get_draft(
        &self,
        request: Request<pb::GetDraftRequest>,
    ) -> Result<Response<pb::Draft>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.get_draft(&caller, &request.get_ref().id).await?,
        ))
    }

    async fn list_drafts(
        &self,
        request: Request<pb::ListDraftsRequest>,
    ) -> Result<Response<pb::ListDraftsResponse>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(pb::ListDraftsResponse {
            drafts: self.inner.drafts(&caller).await?,
        }))
    }

    async fn upload_attachment(
        &self,
        request: Request<pb::UploadAttachmentRequest>,
    ) -> Result<Response<pb::Attachment>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.upload(&caller, request.into_inner()).await?,
        ))
    }

    async fn submit(
        &self,
        request: Request<pb::SubmitRequest>,
    ) -> Result<Response<Demand>, Status> {
        let (caller, token) = requester(self, request.metadata()).await?;
        let who = Requester {
            caller: &caller,
            token: token.as_deref(),
        };
        Ok(Response::new(
            self.inner.submit(&who, request.into_inner()).await?,
        ))
    }

    async fn get_answers(
        &self,
        request: Request<pb::GetAnswersRequest>,
    ) -> Result<Response<pb::Answers>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner
                .answers(&caller, &request.get_ref().tracking_number)
                .await?,
        ))
    }

    async fn discard_draft(
        &self,
        request: Request<pb::DiscardDraftRequest>,
    ) -> Result<Response<pb::DiscardDraftResponse>, Status> {
        let caller = self.caller(request.metadata()).await?;
        self.inner
            .discard_draft(&caller, &request.get_ref().id)
            .await?;
        Ok(Response::new(pb::DiscardDraftResponse {}))
    }

    async fn remove_attachment(
        &self,
        request: Request<pb::RemoveAttachmentRequest>,
    ) -> Result<Response<pb::Draft>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner
                .remove_attachment(&caller, request.get_ref())
                .await?,
        ))
    }

    async fn get_attachment(
        &self,
        request: Request<pb::GetAttachmentRequest>,
    ) -> Result<Response<pb::AttachmentContent>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.attachment(&caller, request.get_ref()).await?,
        ))
    }

    async fn add_demand_attachment(
        &self,
        request: Request<pb::AddDemandAttachmentRequest>,
    ) -> Result<Response<Demand>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner
                .add_demand_attachment(&caller, request.into_inner())
                .await?,
        ))
    }
}

#[tonic::async_trait]
impl Demands for Service {
    async fn get_demand(
        &self,
        request: Request<GetDemandRequest>,
    ) -> Result<Response<Demand>, Status> {
        let caller = self.caller(request.metadata()).await?;
        let request = request.get_ref();
        Ok(Response::new(
            self.inner
                .read(
                    &caller,
                    &request.tracking_number,
                    (&request.email, &request.phone),
                )
                .await?,
        ))
    }

    async fn list_demands(
        &self,
        request: Request<ListDemandsRequest>,
    ) -> Result<Response<ListDemandsResponse>, Status> {
        let caller = self.caller(request.metadata()).await?;
        let asked = request.get_ref();
        Ok(Response::new(ListDemandsResponse {
            demands: self.inner.list_demands(&caller, asked).await?,
        }))
    }

    async fn post_message(
        &self,
        request: Request<PostMessageRequest>,
    ) -> Result<Response<Demand>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner
                .post_message(&caller, request.into_inner())
                .await?,
        ))
    }

    async fn change_status(
        &self,
        request: Request<ChangeStatusRequest>,
    ) -> Result<Response<Demand>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner
                .change_status(&caller, request.into_inner())
                .await?,
        ))
    }

    async fn search_demands(
        &self,
        request: Request<SearchDemandsRequest>,
    ) -> Result<Response<ListDemandsResponse>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(ListDemandsResponse {
            demands: self.inner.search(&caller, request.get_ref()).await?,
        }))
    }

    async fn claim_demand(
        &self,
        request: Request<ClaimDemandRequest>,
    ) -> Result<Response<Demand>, Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.claim(&caller, request.into_inner()).await?,
        ))
    }
}

#[tonic::async_trait]
impl Privacy for Service {
    async fn export_personal_data(
        &self,
        request: Request<ExportPersonalDataRequest>,
    ) -> Result<Response<PersonalData>, Status> {
        let caller = self.caller(request.metadata()).await?;
        let resident = caller
            .resident()
            .ok_or_else(|| Status::unauthenticated("Veuillez vous identifier."))?;
        let json = privacy::export(self.inner.pool(), resident)
            .await
            .map_err(|e| guichet_kit::grpc::internal(&e))?;
        Ok(Response::new(PersonalData {
            service: "teleservices".to_owned(),
            json,
        }))
    }
}
