//! The gRPC face of the service: `Complaints` (catalogue, intake, handling, the public
//! face and Open311), the shared `Demands` contract and `Privacy`. Each method verifies
//! the caller's token and hands over to [`Complaints`].

use guichet_kit::{
    auth::{Caller, Verifier},
    demand::{Error, parse_tracking},
};
use guichet_proto::{
    complaints::v1::{
        self as pb, FileComplaintRequest, FileComplaintResponse, ListCategoriesRequest,
        ListCategoriesResponse, complaints_server,
    },
    demand::v1::{
        ChangeStatusRequest, ClaimDemandRequest, Demand, GetDemandRequest, ListDemandsRequest,
        ListDemandsResponse, PostMessageRequest, SearchDemandsRequest, demands_server::Demands,
    },
    privacy::v1::{ExportPersonalDataRequest, PersonalData, privacy_server::Privacy},
};
use tonic::{Request, Response};

use crate::{events::SERVICE, privacy, service::Complaints};

#[derive(Clone)]
pub struct Service {
    inner: Complaints,
    verifier: Verifier,
}

impl Service {
    pub fn new(inner: Complaints, verifier: Verifier) -> Self {
        Self { inner, verifier }
    }

    pub(crate) async fn caller(
        &self,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<Caller, tonic::Status> {
        self.verifier.caller(metadata).await
    }
}

#[tonic::async_trait]
impl complaints_server::Complaints for Service {
    async fn list_categories(
        &self,
        request: Request<ListCategoriesRequest>,
    ) -> Result<Response<ListCategoriesResponse>, tonic::Status> {
        // The public list needs no token: one is checked only for the inactive ones, so
        // a resident whose session expired still sees the form's categories.
        let include_inactive = request.get_ref().include_inactive
            && self
                .caller(request.metadata())
                .await?
                .claims()
                .is_some_and(|c| c.is_admin());
        Ok(Response::new(ListCategoriesResponse {
            categories: self.inner.categories(include_inactive).await?,
        }))
    }

    async fn file_complaint(
        &self,
        request: Request<FileComplaintRequest>,
    ) -> Result<Response<FileComplaintResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.file(&caller, request.into_inner(), None).await?,
        ))
    }

    async fn upsert_category(
        &self,
        request: Request<pb::UpsertCategoryRequest>,
    ) -> Result<Response<pb::Category>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let category = request.into_inner().category.unwrap_or_default();
        Ok(Response::new(
            self.inner.upsert_category(&caller, &category).await?,
        ))
    }

    async fn add_photo(
        &self,
        request: Request<pb::AddPhotoRequest>,
    ) -> Result<Response<pb::PhotosResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.add_photo(&caller, request.into_inner()).await?,
        ))
    }

    async fn list_photos(
        &self,
        request: Request<pb::ListPhotosRequest>,
    ) -> Result<Response<pb::PhotosResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let tracking = parse_tracking(&request.get_ref().tracking_number)?;
        Ok(Response::new(
            self.inner.list_photos(&caller, &tracking).await?,
        ))
    }

    async fn get_photo(
        &self,
        request: Request<pb::GetPhotoRequest>,
    ) -> Result<Response<pb::PhotoContent>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.get_photo(&caller, request.get_ref()).await?,
        ))
    }

    async fn nearby(
        &self,
        request: Request<pb::NearbyRequest>,
    ) -> Result<Response<pb::PublicComplaints>, tonic::Status> {
        Ok(Response::new(self.inner.nearby(request.get_ref()).await?))
    }

    async fn find_duplicates(
        &self,
        request: Request<pb::FindDuplicatesRequest>,
    ) -> Result<Response<pb::PublicComplaints>, tonic::Status> {
        Ok(Response::new(
            self.inner.find_duplicates(request.get_ref()).await?,
        ))
    }

    async fn get_public(
        &self,
        request: Request<pb::GetPublicRequest>,
    ) -> Result<Response<pb::PublicComplaint>, tonic::Status> {
        Ok(Response::new(
            self.inner.public(&request.get_ref().id).await?,
        ))
    }

    async fn follow(
        &self,
        request: Request<pb::FollowRequest>,
    ) -> Result<Response<pb::FollowResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.follow(&caller, request.into_inner()).await?,
        ))
    }

    async fn reassign(
        &self,
        request: Request<pb::ReassignRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.reassign(&caller, request.into_inner()).await?,
        ))
    }

    async fn merge(
        &self,
        request: Request<pb::MergeRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.merge(&caller, request.into_inner()).await?,
        ))
    }

    async fn list_overdue(
        &self,
        request: Request<pb::ListOverdueRequest>,
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.overdue(&caller, request.get_ref()).await?,
        ))
    }

    async fn list_requests(
        &self,
        request: Request<pb::ListRequestsRequest>,
    ) -> Result<Response<pb::PublicComplaints>, tonic::Status> {
        Ok(Response::new(self.inner.requests(request.get_ref()).await?))
    }

    async fn file_open311(
        &self,
        request: Request<pb::FileOpen311Request>,
    ) -> Result<Response<pb::FileOpen311Response>, tonic::Status> {
        Ok(Response::new(
            self.inner.file_open311(request.into_inner()).await?,
        ))
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::ApiKey>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner
                .revoke_api_key(&caller, &request.get_ref().id)
                .await?,
        ))
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> Result<Response<pb::ListApiKeysResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(pb::ListApiKeysResponse {
            keys: self.inner.api_keys(&caller).await?,
        }))
    }

    async fn issue_api_key(
        &self,
        request: Request<pb::IssueApiKeyRequest>,
    ) -> Result<Response<pb::ApiKey>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner
                .issue_api_key(&caller, &request.get_ref().label)
                .await?,
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
        let request = request.get_ref();
        let tracking = parse_tracking(&request.tracking_number)?;
        Ok(Response::new(
            self.inner
                .read(&caller, &tracking, (&request.email, &request.phone))
                .await?,
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

    async fn search_demands(
        &self,
        request: Request<SearchDemandsRequest>,
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.inner.search(&caller, request.get_ref()).await?,
        ))
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
