//! What the RAPO service does, one method per use: importing the FPS registry, filing
//! a dispute, reading it, deciding it (and previewing the letter), and the shared
//! `Demands` steps over disputes.

use guichet_kit::{
    Clock, Owner, TrackingNumber,
    auth::{Caller, Claims},
    bus,
    demand::{
        Error,
        access::{self, Access},
        agent_author, audit, check_status_change, claim,
        events::{self as demand_events, Act},
        message::{self, Locked},
        parse_tracking,
        retry::Retry,
        status,
        timeline::{self, TimelineRow},
    },
    grpc::Violation,
};
use guichet_proto::{
    demand::v1::{
        Author, AuthorRole, ChangeStatusRequest, Channel, ClaimDemandRequest, Demand,
        PostMessageRequest, Status,
    },
    names,
    rapo::v1::{
        DecideDisputeRequest, DecisionKind, Dispute, FileDisputeRequest, FileDisputeResponse,
        ImportFpsResponse, NoticeKind, RejectedLine,
    },
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    decision::{self, Decision},
    domain::{
        DEPARTMENT, Notice, THEME, answer_deadline,
        filing::{self, NewDispute},
        registry,
    },
    events::{self, SERVICE, SILO},
    store::{self, DisputeRow, Filing, Imported, PieceRow},
    views::{to_demand, to_dispute},
};

#[derive(Clone)]
pub struct Rapo {
    pub(crate) pool: PgPool,
    pub(crate) clock: Clock,
}

impl Rapo {
    pub fn new(pool: PgPool, clock: Clock) -> Self {
        Self { pool, clock }
    }

    fn act(&self, author: Author, channel: Channel) -> Act {
        Act {
            author,
            channel,
            at: self.clock.now(),
        }
    }

    #[tracing::instrument(name = "Import FPS notices", skip_all, fields(lines = tracing::field::Empty))]
    pub(crate) async fn import(
        &self,
        caller: &Caller,
        csv: &str,
    ) -> Result<ImportFpsResponse, Error> {
        let agent = match caller.agent() {
            Some(agent) if agent.handles(DEPARTMENT, THEME) || agent.is_admin() => agent,
            Some(_) => {
                return Err(Error::Forbidden(
                    "L'import des forfaits post-stationnement est réservé à la police municipale.",
                ));
            }
            None if caller.claims().is_some() => {
                return Err(Error::Forbidden("Réservé aux agents."));
            }
            None => return Err(Error::Unauthenticated),
        };
        let parsed = registry::parse(csv);
        tracing::Span::current().record("lines", parsed.records.len() + parsed.rejected.len());
        let mut response = ImportFpsResponse::default();
        let mut rejected = parsed.rejected;
        let now = self.clock.now();
        let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
        for (line, record) in &parsed.records {
            match store::import_fps(&mut tx, record, now).await? {
                Imported::New => response.imported += 1,
                Imported::Unchanged => response.unchanged += 1,
                Imported::Conflicting => rejected.push((
                    *line,
                    format!(
                        "L'avis n° {} est déjà enregistré avec d'autres données : il n'a pas été modifié.",
                        record.notice_number
                    ),
                )),
            }
        }
        let audit = demand_events::audited(SERVICE, agent, "import_fps", "fps", now);
        bus::enqueue(&mut tx, &audit).await?;
        guichet_kit::bus::commit(tx)
            .await
            .map_err(anyhow::Error::from)?;
        rejected.sort_by_key(|(line, _)| *line);
        response.rejected = rejected
            .into_iter()
            .map(|(line, reason)| RejectedLine { line, reason })
            .collect();
        tracing::info!(
            imported = response.imported,
            unchanged = response.unchanged,
            rejected = response.rejected.len(),
            "FPS imported"
        );
        Ok(response)
    }

    #[tracing::instrument(name = "File a RAPO dispute", skip_all, fields(tracking = tracing::field::Empty))]
    pub(crate) async fn file(
        &self,
        caller: &Caller,
        mut request: FileDisputeRequest,
    ) -> Result<FileDisputeResponse, Error> {
        // Who files, and through which channel, comes from the verified token only.
        let channel = caller.channel();
        let resident = match caller.resident() {
            Some(resident) => Some(resident.to_owned()),
            // A desk or phone agent files for the resident the request names.
            None if caller.agent().is_some() => {
                Some(request.resident_id.trim().to_owned()).filter(|id| !id.is_empty())
            }
            None => None,
        };
        let key = std::mem::take(&mut request.idempotency_key);
        let retry = Retry::of(caller, &key, &request)?;
        if let Some(retry) = &retry
            && let Some(earlier) = retry.earlier(&self.pool).await?
        {
            return self.filed(&earlier).await;
        }
        let form = filing::parse(&request);
        let mut violations = form.as_ref().err().cloned().unwrap_or_default();
        // A PV is refused on its own (with where to go): the registry has nothing to say.
        if let Notice::Fps(number) = Notice::parse(&request.notice_number)
            && request.notice_kind() != NoticeKind::Pv
        {
            let (notice, disputed) = store::registered_notice(&self.pool, &number).await?;
            violations.extend(filing::check_notice(
                &request.plate,
                notice.as_ref(),
                disputed,
                self.clock.now(),
            ));
        }
        let dispute = match form {
            Ok(dispute) if violations.is_empty() => dispute,
            _ => return Err(Error::Invalid(violations)),
        };
        self.store_filing(
            caller,
            channel,
            resident.as_deref(),
            &dispute,
            retry.as_ref(),
        )
        .await
    }

    pub(crate) async fn store_filing(
        &self,
        caller: &Caller,
        channel: Channel,
        resident: Option<&str>,
        dispute: &NewDispute,
        retry: Option<&Retry>,
    ) -> Result<FileDisputeResponse, Error> {
        let now = self.clock.now();
        let (answer_by, due_at) = answer_deadline(now);
        let tracking = TrackingNumber::generate(Owner::Rapo).to_string();
        tracing::Span::current().record(
            "tracking",
            guichet_kit::tracking::redacted(&tracking).as_str(),
        );
        let id = Uuid::now_v7();
        let status = names::status(Status::Submitted);
        let channel_name = names::channel(channel);
        let filing = Filing {
            id,
            tracking_number: &tracking,
            resident_id: resident,
            channel: &channel_name,
            status: &status,
            received_at: now,
            answer_by,
            due_at,
        };
        let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
        if let Some(retry) = retry
            && !retry.record(&mut tx, &tracking).await?
        {
            // A concurrent retry with the same key won the race: answer with its dispute.
            drop(tx);
            let earlier = retry.earlier(&self.pool).await?.ok_or(Error::NotFound)?;
            return self.filed(&earlier).await;
        }
        if !store::insert_dispute(&mut tx, &filing, dispute, DEPARTMENT).await? {
            drop(tx);
            return Err(Error::field(
                "notice_number",
                "Un recours administratif préalable a déjà été déposé pour cet avis de paiement : \
                 suivez-le avec le numéro de suivi reçu lors du dépôt.",
            ));
        }
        store::insert_pieces(&mut tx, id, &dispute.pieces).await?;
        let author = match caller.agent() {
            Some(agent) => agent_author(agent),
            None => Author {
                role: AuthorRole::Resident as i32,
                name: if dispute.representative_name.is_empty() {
                    dispute.holder_name.clone()
                } else {
                    dispute.representative_name.clone()
                },
                id: resident.unwrap_or_default().to_owned(),
            },
        };
        let entry = TimelineRow::status_change(
            &author,
            channel,
            now,
            Status::Submitted,
            "",
            "Recours administratif préalable obligatoire déposé.",
        );
        timeline::insert(&mut tx, id, &entry).await?;
        let row = store::lock(&mut tx, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        bus::enqueue(&mut tx, &events::filed(&row, channel)).await?;
        // The shared event the police feed and residents' notifications hear.
        let title = events::title(&row.notice_number);
        let act = Act {
            author,
            channel,
            at: now,
        };
        let filing = demand_events::Filing {
            contact_email: &row.contact_email,
            contact_phone: &row.contact_phone,
            teleservice: "",
            on_behalf_of: "",
        };
        let filed = demand_events::filed(&events::subject(&row, &title), &act, row.due_at, &filing);
        bus::enqueue(&mut tx, &filed).await?;
        guichet_kit::bus::commit(tx)
            .await
            .map_err(anyhow::Error::from)?;
        tracing::info!("RAPO dispute filed");
        self.filed(&tracking).await
    }

    pub(crate) async fn filed(&self, tracking: &str) -> Result<FileDisputeResponse, Error> {
        let (row, timeline, pieces) = store::load(&self.pool, tracking)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(FileDisputeResponse {
            demand: Some(to_demand(&row, &timeline)),
            dispute: Some(to_dispute(&row, &pieces, self.clock.now())),
        })
    }

    /// A dispute for `caller`, if they may see it; agents' reads are audited as `action`.
    pub(crate) async fn read(
        &self,
        caller: &Caller,
        tracking: &str,
        action: &str,
    ) -> Result<Read, Error> {
        let tracking = parse_tracking(tracking)?;
        let (row, timeline, pieces) = store::load(&self.pool, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let access = access::reach(caller, row.resident_id.as_deref(), &row.department, THEME)?;
        let now = self.clock.now();
        audit::read(&self.pool, &SILO, caller, access, action, &tracking, now).await?;
        Ok(Read {
            row,
            timeline,
            pieces,
            access,
        })
    }

    #[tracing::instrument(name = "Decide a RAPO dispute", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    /// Checks a decision on a dispute the caller may decide, locked in `tx`: the
    /// dispute, and the agent deciding.
    pub(crate) async fn judge<'a>(
        &self,
        tx: &mut sqlx::PgConnection,
        caller: &'a Caller,
        request: &'a DecideDisputeRequest,
    ) -> Result<(DisputeRow, &'a Claims, Decision<'a>), Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let kind = DecisionKind::try_from(request.kind).unwrap_or_default();
        let reasons = request.reasons.trim();
        let dispute = store::lock(&mut *tx, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let agent = access::handling_agent(caller, &dispute.department, THEME)?;
        let mut violations = Vec::new();
        match kind {
            DecisionKind::FullCancellation | DecisionKind::Rejection => {}
            DecisionKind::PartialCancellation => {
                let amount = request.rectified_amount_cents;
                if amount <= 0 || amount >= dispute.amount_cents {
                    violations.push(Violation::new(
                        "rectified_amount_cents",
                        &format!(
                            "Le montant rectifié doit être supérieur à zéro et inférieur au montant du forfait ({}).",
                            crate::domain::euros(dispute.amount_cents)
                        ),
                    ));
                }
            }
            DecisionKind::ImplicitRejection | DecisionKind::Unspecified => {
                violations.push(Violation::new(
                    "kind",
                    "Choisissez l'annulation totale, l'annulation partielle ou le rejet.",
                ));
            }
        }
        if matches!(
            kind,
            DecisionKind::Rejection | DecisionKind::PartialCancellation
        ) && reasons.is_empty()
        {
            violations.push(Violation::new(
                "reasons",
                "Motivez la décision : les motifs figurent dans le courrier adressé à l'usager.",
            ));
        }
        if reasons.chars().count() > 4_000 {
            violations.push(Violation::new("reasons", "4 000 caractères au plus."));
        }
        if !violations.is_empty() {
            return Err(Error::Invalid(violations));
        }
        if dispute.decision.is_some() {
            return Err(Error::Conflict(
                "Ce recours a déjà fait l'objet d'une décision.",
            ));
        }
        if self.clock.now() >= dispute.due_at {
            return Err(Error::Conflict(
                "Le délai d'un mois pour répondre est écoulé : le recours est rejeté implicitement.",
            ));
        }
        let decision = Decision {
            kind,
            reasons,
            rectified_amount_cents: (kind == DecisionKind::PartialCancellation)
                .then_some(request.rectified_amount_cents),
        };
        Ok((dispute, agent, decision))
    }

    pub(crate) async fn decide(
        &self,
        caller: &Caller,
        request: DecideDisputeRequest,
    ) -> Result<Dispute, Error> {
        let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
        let (dispute, agent, decision) = self.judge(&mut tx, caller, &request).await?;
        let (tracking, kind, now) = (
            dispute.tracking_number.clone(),
            decision.kind,
            self.clock.now(),
        );
        let act = self.act(agent_author(agent), caller.channel());
        if !decision::record(&mut tx, &dispute, &decision, &act).await? {
            return Err(Error::Conflict(
                "Ce recours a déjà fait l'objet d'une décision.",
            ));
        }
        let audit = demand_events::audited(SERVICE, agent, "decide", &tracking, now);
        bus::enqueue(&mut tx, &audit).await?;
        guichet_kit::bus::commit(tx)
            .await
            .map_err(anyhow::Error::from)?;
        tracing::info!(
            decision = crate::domain::decision_code(kind),
            "RAPO dispute decided"
        );
        let (row, _, pieces) = store::load(&self.pool, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(to_dispute(&row, &pieces, self.clock.now()))
    }

    #[tracing::instrument(name = "Change a dispute's status", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    pub(crate) async fn change_status(
        &self,
        caller: &Caller,
        request: ChangeStatusRequest,
    ) -> Result<Demand, Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let status = Status::try_from(request.status).unwrap_or(Status::Unspecified);
        let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
        let dispute = store::lock(&mut tx, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let agent = access::handling_agent(caller, &dispute.department, THEME)?;
        check_status_change(status, &request.reason)?;
        if matches!(status, Status::Resolved | Status::Rejected | Status::Closed) {
            return Err(Error::field(
                "status",
                "Un recours RAPO se clôt par une décision : annulation totale, annulation partielle ou rejet.",
            ));
        }
        if dispute.decision.is_some() {
            return Err(Error::Conflict(
                "Ce recours a déjà fait l'objet d'une décision.",
            ));
        }
        let change = status::Change {
            status,
            sub_status: &request.sub_status,
            reason: request.reason.trim(),
            at: self.clock.now(),
        };
        let locked = locked(&dispute);
        status::change(&mut tx, &SILO, &locked, agent, caller.channel(), &change).await?;
        guichet_kit::bus::commit(tx)
            .await
            .map_err(anyhow::Error::from)?;
        self.demand(&tracking).await
    }

    #[tracing::instrument(name = "Post a message on a dispute", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    pub(crate) async fn post_message(
        &self,
        caller: &Caller,
        request: PostMessageRequest,
    ) -> Result<Demand, Error> {
        let (pool, clock) = (&self.pool, &self.clock);
        let tracking = message::post_message(pool, &SILO, clock, caller, &request, lock).await?;
        self.demand(&tracking).await
    }

    /// Attaches a dispute filed without an account to the calling resident, if the
    /// contact they give is the one left at filing. Every failure answers the same.
    #[tracing::instrument(name = "Claim a dispute", skip_all)]
    pub(crate) async fn claim(
        &self,
        caller: &Caller,
        request: ClaimDemandRequest,
    ) -> Result<Demand, Error> {
        let (pool, clock) = (&self.pool, &self.clock);
        let tracking = claim::claim_demand(pool, &SILO, clock, caller, &request, lock).await?;
        self.demand(&tracking).await
    }

    pub(crate) async fn demand(&self, tracking: &str) -> Result<Demand, Error> {
        let (row, timeline, _) = store::load(&self.pool, tracking)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(to_demand(&row, &timeline))
    }
}

/// A dispute locked for one of the shared steps.
async fn lock(conn: &mut PgConnection, tracking: &str) -> anyhow::Result<Option<Locked>> {
    Ok(store::lock(conn, tracking).await?.as_ref().map(locked))
}

/// A dispute as the shared steps read it.
fn locked(dispute: &DisputeRow) -> Locked {
    Locked {
        id: dispute.id,
        tracking_number: dispute.tracking_number.clone(),
        owner: dispute.resident_id.clone(),
        status: dispute.status.clone(),
        department: dispute.department.clone(),
        title: events::title(&dispute.notice_number),
        theme: THEME.to_owned(),
        contact_email: dispute.contact_email.clone(),
        contact_phone: dispute.contact_phone.clone(),
    }
}

/// A dispute the caller reached, and how.
pub(crate) struct Read {
    pub(crate) row: DisputeRow,
    pub(crate) timeline: Vec<TimelineRow>,
    pub(crate) pieces: Vec<PieceRow>,
    access: Access,
}

impl Read {
    /// Whether the caller may read the dossier (what the resident wrote, their contact).
    pub(crate) fn opens_dossier(&self, proof: (&str, &str)) -> bool {
        access::opens_dossier(
            self.access,
            self.row.resident_id.as_deref(),
            proof,
            (&self.row.contact_email, &self.row.contact_phone),
        )
    }
}
