//! The gRPC face of the service: `Rapo` (registry, filing, decisions, letters), the
//! shared `Demands` contract over disputes, and `Privacy`. Each method verifies the
//! caller's token and hands over to [`Rapo`].

use guichet_kit::{
    auth::{Caller, Verifier},
    bus,
    demand::{
        Error,
        access::{self, After, ListScope},
        events::{self as demand_events},
        list,
        search::{Search, searching_agent},
    },
};
use guichet_proto::{
    demand::v1::{
        ChangeStatusRequest, ClaimDemandRequest, Demand, GetDemandRequest, ListDemandsRequest,
        ListDemandsResponse, PostMessageRequest, SearchDemandsRequest, demands_server::Demands,
    },
    privacy::v1::{ExportPersonalDataRequest, PersonalData, privacy_server::Privacy},
    rapo::v1::{
        self as pb, DecideDisputeRequest, DecisionKind, Dispute, FileDisputeRequest,
        FileDisputeResponse, GetDisputeRequest, GetLetterRequest, GetPieceRequest,
        ImportFpsRequest, ImportFpsResponse, Letter, ListDisputesRequest, ListDisputesResponse,
        PieceContent, rapo_server,
    },
};
use tonic::{Request, Response};
use uuid::Uuid;

use crate::{
    decision::{self},
    domain::{DEPARTMENT, THEME, letter},
    events::SERVICE,
    privacy,
    service::{Rapo, Read, contact, dossier, to_demand, to_dispute},
    store::{self},
};

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
        let read = self
            .inner
            .read(&caller, &request.get_ref().tracking_number, "read")
            .await?;
        let mut dispute = to_dispute(&read.row, &read.pieces, self.inner.clock.now());
        // The police call the resident back to check what happened; the number alone
        // does not show how to reach them.
        if read.opens_dossier(("", "")) {
            dispute.contact = Some(contact(&read.row));
        }
        Ok(Response::new(dispute))
    }

    async fn list_disputes(
        &self,
        request: Request<ListDisputesRequest>,
    ) -> Result<Response<ListDisputesResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        access::handling_agent(&caller, DEPARTMENT, THEME)?;
        let request = request.into_inner();
        let now = self.inner.clock.now();
        let rows = store::work_list(
            &self.inner.pool,
            request.overdue,
            now,
            After::at(request.after_due_at.as_ref(), &request.after_number).as_ref(),
            guichet_kit::contract::list_limit(request.limit),
        )
        .await
        .map_err(Error::from)?;
        Ok(Response::new(ListDisputesResponse {
            disputes: rows.iter().map(|r| to_dispute(r, &[], now)).collect(),
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
        let request = request.into_inner();
        // The lock is taken as for deciding, and released unrecorded (no commit).
        let mut tx = self
            .inner
            .pool
            .begin()
            .await
            .map_err(anyhow::Error::from)
            .map_err(Error::from)?;
        let (dispute, agent, decision) = self.inner.judge(&mut tx, &caller, &request).await?;
        let pending = (decision.kind == DecisionKind::PartialCancellation)
            .then_some("(numéro attribué à l'envoi)");
        let text = decision::letter_of(
            &dispute,
            &decision,
            self.inner.clock.now(),
            &agent.name,
            pending,
        );
        Ok(Response::new(Letter {
            file_name: letter::file_name(&dispute.tracking_number),
            content_type: "text/plain; charset=utf-8".to_owned(),
            text,
        }))
    }

    async fn get_letter(
        &self,
        request: Request<GetLetterRequest>,
    ) -> Result<Response<Letter>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let Read { row, .. } = self
            .inner
            .read(&caller, &request.get_ref().tracking_number, "read_letter")
            .await?;
        let text = row.letter.ok_or(Error::Conflict(
            "Aucune décision n'a encore été rendue sur ce recours.",
        ))?;
        Ok(Response::new(Letter {
            file_name: letter::file_name(&row.tracking_number),
            content_type: "text/plain; charset=utf-8".to_owned(),
            text,
        }))
    }

    async fn get_piece(
        &self,
        request: Request<GetPieceRequest>,
    ) -> Result<Response<PieceContent>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let piece_id: Uuid = request.piece_id.parse().map_err(|_| Error::NotFound)?;
        let Read { row, .. } = self
            .inner
            .read(&caller, &request.tracking_number, "read_piece")
            .await?;
        let (piece, data) = store::piece(&self.inner.pool, row.id, piece_id)
            .await
            .map_err(Error::from)?
            .ok_or(Error::NotFound)?;
        Ok(Response::new(PieceContent {
            piece: Some(pb::Piece {
                id: piece.id.to_string(),
                role: piece.role,
                name: piece.name,
                content_type: piece.content_type,
                size: u64::try_from(piece.size).unwrap_or_default(),
                sha256: piece.sha256,
            }),
            data,
        }))
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
        let read = self
            .inner
            .read(&caller, &request.tracking_number, "read")
            .await?;
        let mut demand = to_demand(&read.row, &read.timeline);
        if read.opens_dossier((&request.email, &request.phone)) {
            demand.dossier = Some(dossier(&read.row, &read.pieces));
        }
        Ok(Response::new(demand))
    }

    async fn list_demands(
        &self,
        request: Request<ListDemandsRequest>,
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let scope = ListScope::for_caller(&caller, &request.department)?;
        let rows = store::list(&self.inner.pool, &list::Page::of(&scope, &request))
            .await
            .map_err(Error::from)?;
        Ok(Response::new(ListDemandsResponse {
            demands: rows.iter().map(|r| to_demand(r, &[])).collect(),
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
        let asked = request.get_ref();
        let agent = searching_agent(&caller)?;
        let search = Search::parse(asked)?;
        let rows = store::search(
            &self.inner.pool,
            &agent.departments,
            agent.themes.iter().any(|t| t == crate::domain::THEME),
            &asked.query,
            &search,
            guichet_kit::contract::list_limit(asked.limit),
        )
        .await
        .map_err(Error::from)?;
        let mut tx = self.inner.pool.begin().await.map_err(Error::from)?;
        let audit =
            demand_events::audited(SERVICE, agent, "search", SERVICE, self.inner.clock.now());
        bus::enqueue(&mut tx, &audit).await.map_err(Error::from)?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(ListDemandsResponse {
            demands: rows.iter().map(|r| to_demand(r, &[])).collect(),
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
