//! The gRPC face of the service: `Rapo` (registry, filing, decisions, letters), the
//! shared `Demands` contract over disputes, and `Privacy`. Each method verifies the
//! caller's token and hands over to [`Rapo`].

use guichet_kit::{
    auth::{Caller, Verifier},
    demand::Error,
};
use guichet_proto::{
    demand::v1::{
        ChangeStatusRequest, ClaimDemandRequest, Demand, GetDemandRequest, ListDemandsRequest,
        ListDemandsResponse, PostMessageRequest, SearchDemandsRequest, demands_server::Demands,
    },
    privacy::v1::{ExportPersonalDataRequest, PersonalData, privacy_server::Privacy},
    rapo::v1::{
        DecideDisputeRequest, Dispute, FileDisputeRequest, FileDisputeResponse, GetDisputeRequest,
        GetLetterRequest, GetPieceRequest, ImportFpsRequest, ImportFpsResponse, Letter,
        ListDisputesRequest, ListDisputesResponse, PieceContent, rapo_server,
    },
};
use tonic::{Request, Response};

use crate::{events::SERVICE, privacy, service::Rapo};

#[derive(Clone)]
pub struct Service {
    inner: Rapo,
    verifier: Verifier,
}

impl Service {
    pub fn new(inner: Rapo, verifier: Verifier) -> Self {
        Self { inner, verifier }
    }

    async fn caller(
        &self,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<Caller, tonic::Status> {
        self.verifier.caller(metadata).await
    }
}

#[tonic::async_trait]
impl rapo_server::Rapo for Service {
    async fn import_fps(
        &self,
        request: Request<ImportFpsRequest>,
    ) -> Result<Response<ImportFpsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.import(&caller, &request.get_ref().csv).await?,
        ))
    }

    async fn file_dispute(
        &self,
        request: Request<FileDisputeRequest>,
    ) -> Result<Response<FileDisputeResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.file(&caller, request.into_inner()).await?,
        ))
    }

    async fn get_dispute(
        &self,
        request: Request<GetDisputeRequest>,
    ) -> Result<Response<Dispute>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let tracking = &request.get_ref().tracking_number;
        Ok(Response::new(self.inner.dispute(&caller, tracking).await?))
    }

    async fn list_disputes(
        &self,
        request: Request<ListDisputesRequest>,
    ) -> Result<Response<ListDisputesResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(ListDisputesResponse {
            disputes: self.inner.work_list(&caller, request.get_ref()).await?,
        }))
    }

    async fn decide_dispute(
        &self,
        request: Request<DecideDisputeRequest>,
    ) -> Result<Response<Dispute>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.decide(&caller, request.into_inner()).await?,
        ))
    }

    async fn preview_decision(
        &self,
        request: Request<DecideDisputeRequest>,
    ) -> Result<Response<Letter>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.preview(&caller, request.get_ref()).await?,
        ))
    }

    async fn get_letter(
        &self,
        request: Request<GetLetterRequest>,
    ) -> Result<Response<Letter>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let tracking = &request.get_ref().tracking_number;
        Ok(Response::new(self.inner.letter(&caller, tracking).await?))
    }

    async fn get_piece(
        &self,
        request: Request<GetPieceRequest>,
    ) -> Result<Response<PieceContent>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.piece(&caller, request.get_ref()).await?,
        ))
    }
}

#[tonic::async_trait]
impl Demands for Service {
    async fn get_demand(
        &self,
        request: Request<GetDemandRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.demand_read(&caller, request.get_ref()).await?,
        ))
    }

    async fn list_demands(
        &self,
        request: Request<ListDemandsRequest>,
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(ListDemandsResponse {
            demands: self.inner.list(&caller, request.get_ref()).await?,
        }))
    }

    async fn post_message(
        &self,
        request: Request<PostMessageRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
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
    ) -> Result<Response<Demand>, tonic::Status> {
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
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(ListDemandsResponse {
            demands: self.inner.search(&caller, request.get_ref()).await?,
        }))
    }

    async fn claim_demand(
        &self,
        request: Request<ClaimDemandRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
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
    ) -> Result<Response<PersonalData>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let resident = caller.resident().ok_or(Error::Unauthenticated)?;
        let json = privacy::export(&self.inner.pool, resident)
            .await
            .map_err(Error::from)?;
        Ok(Response::new(PersonalData {
            service: SERVICE.to_owned(),
            json,
        }))
    }
}
