//! What agents and residents read of disputes besides the shared steps: a dispute (with
//! the contact for the police), the police's work list, a decision letter (drafted
//! before it is sent, or as sent), a piece, and the shared `Demands` reads — one
//! dispute, a page of a list, the desk's search.

use guichet_kit::{
    auth::Caller,
    demand::{
        Error,
        access::{self, After, ListScope},
        list,
        search::search_demands,
    },
};
use guichet_proto::{
    demand::v1::{Demand, GetDemandRequest, ListDemandsRequest, SearchDemandsRequest},
    rapo::v1::{
        self as pb, DecideDisputeRequest, DecisionKind, Dispute, GetPieceRequest, Letter,
        ListDisputesRequest, PieceContent,
    },
};
use uuid::Uuid;

use crate::{
    decision,
    domain::{DEPARTMENT, THEME, letter},
    events::SILO,
    service::{Rapo, Read},
    store::{self, DisputeRow},
    views::{contact, dossier, to_demand, to_dispute},
};

impl Rapo {
    /// A dispute, with how to reach the resident for an agent handling it: the police
    /// call back to check what happened, and the number alone does not show that.
    pub(crate) async fn dispute(&self, caller: &Caller, tracking: &str) -> Result<Dispute, Error> {
        let read = self.read(caller, tracking, "read").await?;
        let mut dispute = to_dispute(&read.row, &read.pieces, self.clock.now());
        if read.opens_dossier(("", "")) {
            dispute.contact = Some(contact(&read.row));
        }
        Ok(dispute)
    }

    /// The police's disputes by due date (only the overdue ones when asked), resumed
    /// after the last one shown.
    pub(crate) async fn work_list(
        &self,
        caller: &Caller,
        request: &ListDisputesRequest,
    ) -> Result<Vec<Dispute>, Error> {
        access::handling_agent(caller, DEPARTMENT, THEME)?;
        let now = self.clock.now();
        let rows = store::work_list(
            &self.pool,
            request.overdue,
            now,
            After::at(request.after_due_at.as_ref(), &request.after_number).as_ref(),
            guichet_kit::contract::list_limit(request.limit),
        )
        .await?;
        Ok(rows.iter().map(|r| to_dispute(r, &[], now)).collect())
    }

    /// The letter a decision would send, drafted under the same lock and checks as
    /// deciding, and released unrecorded.
    pub(crate) async fn preview(
        &self,
        caller: &Caller,
        request: &DecideDisputeRequest,
    ) -> Result<Letter, Error> {
        let mut tx = self.pool.begin().await?;
        let (dispute, agent, decision) = self.judge(&mut tx, caller, request).await?;
        let pending = (decision.kind == DecisionKind::PartialCancellation)
            .then_some("(numéro attribué à l'envoi)");
        let now = self.clock.now();
        let text = decision::letter_of(&dispute, &decision, now, &agent.name, pending);
        Ok(letter_file(&dispute.tracking_number, text))
    }

    /// The decision letter as it was sent.
    pub(crate) async fn letter(&self, caller: &Caller, tracking: &str) -> Result<Letter, Error> {
        let Read { row, .. } = self.read(caller, tracking, "read_letter").await?;
        let text = row.letter.ok_or(Error::Conflict(
            "Aucune décision n'a encore été rendue sur ce recours.",
        ))?;
        Ok(letter_file(&row.tracking_number, text))
    }

    /// One piece filed with a dispute the caller may read.
    pub(crate) async fn piece(
        &self,
        caller: &Caller,
        request: &GetPieceRequest,
    ) -> Result<PieceContent, Error> {
        let piece_id: Uuid = request.piece_id.parse().map_err(|_| Error::NotFound)?;
        let Read { row, .. } = self
            .read(caller, &request.tracking_number, "read_piece")
            .await?;
        let (piece, data) = store::piece(&self.pool, row.id, piece_id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(PieceContent {
            piece: Some(pb::Piece {
                id: piece.id.to_string(),
                role: piece.role,
                name: piece.name,
                content_type: piece.content_type,
                size: u64::try_from(piece.size).unwrap_or_default(),
                sha256: piece.sha256,
            }),
            data,
        })
    }

    /// A dispute as the shared contract shows it; what the resident wrote and how to
    /// reach them for those entitled (or proving the contact left at filing).
    pub(crate) async fn demand_read(
        &self,
        caller: &Caller,
        request: &GetDemandRequest,
    ) -> Result<Demand, Error> {
        let read = self.read(caller, &request.tracking_number, "read").await?;
        let mut demand = to_demand(&read.row, &read.timeline);
        if read.opens_dossier((&request.email, &request.phone)) {
            demand.dossier = Some(dossier(&read.row, &read.pieces));
        }
        Ok(demand)
    }

    /// A page of a resident's own disputes or of the police's.
    pub(crate) async fn list(
        &self,
        caller: &Caller,
        request: &ListDemandsRequest,
    ) -> Result<Vec<Demand>, Error> {
        let scope = ListScope::for_caller(caller, &request.department)?;
        let rows = store::list(&self.pool, &list::Page::of(&scope, request)).await?;
        Ok(rows.iter().map(|r| to_demand(r, &[])).collect())
    }

    /// The desk's search; agents of the `rapo` theme reach every dispute.
    pub(crate) async fn search(
        &self,
        caller: &Caller,
        request: &SearchDemandsRequest,
    ) -> Result<Vec<Demand>, Error> {
        let everything = caller
            .agent()
            .is_some_and(|agent| agent.themes.iter().any(|t| t == THEME));
        let (pool, clock) = (&self.pool, &self.clock);
        let rows: Vec<DisputeRow> = search_demands(
            pool,
            &SILO,
            clock,
            caller,
            request,
            everything,
            store::SEARCH,
        )
        .await?;
        Ok(rows.iter().map(|r| to_demand(r, &[])).collect())
    }
}

fn letter_file(tracking: &str, text: String) -> Letter {
    Letter {
        file_name: letter::file_name(tracking),
        content_type: "text/plain; charset=utf-8".to_owned(),
        text,
    }
}
