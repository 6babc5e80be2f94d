//! The gRPC face of the service: `Complaints` (catalogue and intake) and the shared
//! `Demands` contract over complaints.

use chrono::Duration;
use guichet_kit::{
    Clock, Owner, TrackingNumber,
    auth::{Caller, Verifier},
    bus,
    demand::{
        self as shared, Error,
        access::{self, Access, ListScope},
        agent_author, business_of, check_status_change,
        events::{self as demand_events, Act},
        parse_tracking, resident_author,
        timeline::{self, TimelineRow},
    },
    grpc::{Violation, timestamp},
};
use guichet_proto::{
    complaints::v1::{
        self as pb, FileComplaintRequest, FileComplaintResponse, ListCategoriesRequest,
        ListCategoriesResponse, complaints_server::Complaints,
    },
    demand::v1::{
        Author, AuthorRole, ChangeStatusRequest, Channel, ClaimDemandRequest, Demand, DemandKind,
        GetDemandRequest, ListDemandsRequest, ListDemandsResponse, PostMessageRequest, Status,
        demands_server::Demands,
    },
    names,
};
use sqlx::PgPool;
use tonic::{Request, Response};
use uuid::Uuid;

use guichet_proto::privacy::v1::{
    ExportPersonalDataRequest, PersonalData, privacy_server::Privacy,
};

use crate::{
    domain::{self, NewComplaint},
    events, privacy,
    store::{self, ComplaintRow},
};

const SERVICE: &str = "complaints";

#[derive(Clone)]
pub struct ComplaintsService {
    pool: PgPool,
    clock: Clock,
    verifier: Verifier,
}

impl ComplaintsService {
    pub fn new(pool: PgPool, clock: Clock, verifier: Verifier) -> Self {
        Self {
            pool,
            clock,
            verifier,
        }
    }

    async fn caller(
        &self,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<Caller, tonic::Status> {
        self.verifier.caller(metadata).await
    }

    #[tracing::instrument(name = "File a complaint", skip_all, fields(tracking = tracing::field::Empty))]
    async fn file(
        &self,
        caller: &Caller,
        mut request: FileComplaintRequest,
    ) -> Result<Demand, Error> {
        // Who files, and through which channel, comes from the verified token only.
        request.channel = caller.channel() as i32;
        let agent = caller.agent().map(agent_author);
        match caller.resident() {
            Some(resident) => request.resident_id = resident.to_owned(),
            // A desk or phone agent files on behalf of the resident the request names.
            None if agent.is_some() => {}
            None => request.resident_id.clear(),
        }
        if !request.idempotency_key.is_empty()
            && let Some(existing) =
                store::by_idempotency_key(&self.pool, &request.idempotency_key).await?
        {
            return self.load(&existing).await;
        }
        let business = business_of(caller, &request.siret)?;
        let category = store::category(&self.pool, &request.category).await?;
        let mut complaint = NewComplaint::parse(request, category).map_err(Error::Invalid)?;
        complaint.business = business;
        let now = self.clock.now();
        let due_at = now + Duration::days(i64::from(complaint.category.sla_days));
        let tracking = TrackingNumber::generate(Owner::Complaints).to_string();
        tracing::Span::current().record("tracking", tracking.as_str());
        let id = Uuid::now_v7();

        let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
        let status = names::status(Status::Submitted);
        if !store::insert(&mut tx, id, &tracking, &complaint, &status, now, due_at).await? {
            // Another request with the same key won the race: answer with its complaint.
            drop(tx);
            let key = complaint.idempotency_key.as_deref().unwrap_or_default();
            let existing = store::by_idempotency_key(&self.pool, key)
                .await?
                .ok_or(Error::NotFound)?;
            return self.load(&existing).await;
        }
        let author = agent.unwrap_or_else(|| Author {
            role: AuthorRole::Resident as i32,
            name: complaint.contact_name.clone(),
            id: complaint.resident_id.clone().unwrap_or_default(),
        });
        let entry =
            TimelineRow::status_change(&author, complaint.channel, now, Status::Submitted, "", "");
        timeline::insert(&mut tx, id, &entry).await?;
        bus::enqueue(&mut tx, &events::filed(&tracking, &complaint, now, due_at)).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        tracing::info!(category = %complaint.category.code, "complaint filed");
        self.load(&tracking).await
    }

    /// A complaint as stored, after a change its caller was allowed to make.
    async fn load(&self, tracking: &str) -> Result<Demand, Error> {
        let (complaint, timeline) = store::load(&self.pool, tracking)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(to_demand(&complaint, &timeline))
    }

    /// A complaint for `caller`, if they may see it; agents' reads are audited.
    #[tracing::instrument(name = "Read a complaint", skip_all, fields(tracking = %tracking))]
    async fn read(&self, caller: &Caller, tracking: &str) -> Result<Demand, Error> {
        let (complaint, timeline) = store::load(&self.pool, tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let theme = domain::theme(&complaint.category);
        let access = access::reach(
            caller,
            complaint.resident_id.as_deref(),
            &complaint.department,
            &theme,
        )?;
        if access == Access::Agent
            && let Some(agent) = caller.agent()
        {
            let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
            bus::enqueue(
                &mut tx,
                &demand_events::audited(SERVICE, agent, "read", tracking, self.clock.now()),
            )
            .await?;
            tx.commit().await.map_err(anyhow::Error::from)?;
        }
        Ok(to_demand(&complaint, &timeline))
    }

    #[tracing::instrument(name = "Change a complaint's status", skip_all, fields(tracking = %request.tracking_number))]
    async fn change_status(
        &self,
        caller: &Caller,
        request: ChangeStatusRequest,
    ) -> Result<Demand, Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let status = Status::try_from(request.status).unwrap_or(Status::Unspecified);
        let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
        let complaint = store::lock(&mut tx, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let agent = access::handling_agent(
            caller,
            &complaint.department,
            &domain::theme(&complaint.category),
        )?;
        check_status_change(status, &request.reason)?;
        let act = self.act(agent_author(agent), caller.channel());
        store::set_status(
            &mut tx,
            complaint.id,
            &names::status(status),
            &request.sub_status,
        )
        .await?;
        let reason = request.reason.trim();
        let entry = TimelineRow::status_change(
            &act.author,
            act.channel,
            act.at,
            status,
            &request.sub_status,
            reason,
        );
        timeline::insert(&mut tx, complaint.id, &entry).await?;
        let (title, theme) = (title_of(&complaint), domain::theme(&complaint.category));
        let subject = events::subject(&complaint, &title, &theme);
        let event =
            demand_events::status_changed(&subject, &act, status, &request.sub_status, reason);
        bus::enqueue(&mut tx, &event).await?;
        let audit = demand_events::audited(SERVICE, agent, "change", &tracking, act.at);
        bus::enqueue(&mut tx, &audit).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.load(&tracking).await
    }

    #[tracing::instrument(name = "Post a message on a complaint", skip_all, fields(tracking = %request.tracking_number))]
    async fn post_message(
        &self,
        caller: &Caller,
        request: PostMessageRequest,
    ) -> Result<Demand, Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let text = shared::message_text(&request.text)?;
        let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
        let complaint = store::lock(&mut tx, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let theme = domain::theme(&complaint.category);
        let author = match access::reach(
            caller,
            complaint.resident_id.as_deref(),
            &complaint.department,
            &theme,
        )? {
            Access::Agent => caller.agent().map(agent_author).unwrap_or_default(),
            Access::Resident => resident_author(caller),
        };
        let act = self.act(author, caller.channel());
        let entry = TimelineRow::message(&act.author, act.channel, act.at, text);
        timeline::insert(&mut tx, complaint.id, &entry).await?;
        let title = title_of(&complaint);
        let event =
            demand_events::message_posted(&events::subject(&complaint, &title, &theme), &act, text);
        bus::enqueue(&mut tx, &event).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.load(&tracking).await
    }

    /// Attaches an anonymous complaint to the calling resident, if the contact they give
    /// is the one left at filing. Every failure answers the same: nothing to probe.
    #[tracing::instrument(name = "Claim a complaint", skip_all)]
    async fn claim(&self, caller: &Caller, request: ClaimDemandRequest) -> Result<Demand, Error> {
        let resident = caller.resident().ok_or(Error::Unauthenticated)?.to_owned();
        let unknown = || {
            Error::Invalid(vec![Violation::new(
                "tracking_number",
                "Aucune demande sans compte ne correspond à ce numéro et à ces coordonnées.",
            )])
        };
        let tracking = TrackingNumber::parse(&request.tracking_number)
            .map_err(|_| unknown())?
            .to_string();
        let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
        let row: Option<ClaimRow> = sqlx::query_as(
            "SELECT id, resident_id, contact_email, contact_phone, department FROM complaints
             WHERE tracking_number = $1 FOR UPDATE",
        )
        .bind(&tracking)
        .fetch_optional(&mut *tx)
        .await
        .map_err(anyhow::Error::from)?;
        let Some(row) = row.filter(|r| r.resident_id.is_none()) else {
            return Err(unknown());
        };
        if !shared::contact_matches(
            &request.email,
            &request.phone,
            &row.contact_email,
            &row.contact_phone,
        ) {
            return Err(unknown());
        }
        sqlx::query("UPDATE complaints SET resident_id = $2 WHERE id = $1")
            .bind(row.id)
            .bind(&resident)
            .execute(&mut *tx)
            .await
            .map_err(anyhow::Error::from)?;
        let subject = demand_events::Subject {
            service: SERVICE,
            tracking_number: &tracking,
            kind: DemandKind::Complaint,
            department: &row.department,
            title: "",
            theme: "",
        };
        let event = demand_events::claimed(&subject, &resident, self.clock.now());
        bus::enqueue(&mut tx, &event).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.load(&tracking).await
    }

    fn act(&self, author: Author, channel: Channel) -> Act {
        Act {
            author,
            channel,
            at: self.clock.now(),
        }
    }
}

#[derive(sqlx::FromRow)]
struct ClaimRow {
    id: Uuid,
    resident_id: Option<String>,
    contact_email: String,
    contact_phone: String,
    department: String,
}

fn title_of(complaint: &ComplaintRow) -> String {
    domain::title(&complaint.category_label, &complaint.address)
}

fn to_demand(complaint: &ComplaintRow, timeline: &[TimelineRow]) -> Demand {
    Demand {
        business: complaint.business_siret.clone().map(|siret| {
            guichet_proto::demand::v1::Business {
                siret,
                name: complaint.business_name.clone().unwrap_or_default(),
            }
        }),
        tracking_number: complaint.tracking_number.clone(),
        kind: DemandKind::Complaint as i32,
        title: title_of(complaint),
        department: complaint.department.clone(),
        channel: names::parse_channel(&complaint.channel).unwrap_or_default() as i32,
        status: names::parse_status(&complaint.status).unwrap_or_default() as i32,
        sub_status: complaint.sub_status.clone(),
        created_at: Some(timestamp(complaint.created_at)),
        due_at: Some(timestamp(complaint.due_at)),
        timeline: timeline.iter().map(TimelineRow::to_proto).collect(),
    }
}

#[tonic::async_trait]
impl Complaints for ComplaintsService {
    async fn list_categories(
        &self,
        _request: Request<ListCategoriesRequest>,
    ) -> Result<Response<ListCategoriesResponse>, tonic::Status> {
        let categories = store::categories(&self.pool).await.map_err(Error::from)?;
        Ok(Response::new(ListCategoriesResponse {
            categories: categories
                .into_iter()
                .map(|c| pb::Category {
                    code: c.code,
                    label: c.label,
                    department: c.department,
                    priority: c.priority,
                    sla_days: u32::try_from(c.sla_days).unwrap_or_default(),
                    competence: c.competence,
                })
                .collect(),
        }))
    }

    async fn file_complaint(
        &self,
        request: Request<FileComplaintRequest>,
    ) -> Result<Response<FileComplaintResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let demand = self.file(&caller, request.into_inner()).await?;
        Ok(Response::new(FileComplaintResponse {
            demand: Some(demand),
        }))
    }
}

#[tonic::async_trait]
impl Demands for ComplaintsService {
    async fn get_demand(
        &self,
        request: Request<GetDemandRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let tracking = parse_tracking(&request.get_ref().tracking_number)?;
        Ok(Response::new(self.read(&caller, &tracking).await?))
    }

    async fn list_demands(
        &self,
        request: Request<ListDemandsRequest>,
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let scope = ListScope::for_caller(&caller, &request.department)?;
        let limit = access::list_limit(request.limit);
        let rows = store::list(&self.pool, scope.department(), scope.resident(), limit)
            .await
            .map_err(Error::from)?;
        Ok(Response::new(ListDemandsResponse {
            demands: rows.iter().map(|c| to_demand(c, &[])).collect(),
        }))
    }

    async fn post_message(
        &self,
        request: Request<PostMessageRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.post_message(&caller, request.into_inner()).await?,
        ))
    }

    async fn claim_demand(
        &self,
        request: Request<ClaimDemandRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.claim(&caller, request.into_inner()).await?,
        ))
    }

    async fn change_status(
        &self,
        request: Request<ChangeStatusRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.change_status(&caller, request.into_inner()).await?,
        ))
    }
}

#[tonic::async_trait]
impl Privacy for ComplaintsService {
    async fn export_personal_data(
        &self,
        request: Request<ExportPersonalDataRequest>,
    ) -> Result<Response<PersonalData>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let resident = caller.resident().ok_or(Error::Unauthenticated)?;
        let json = privacy::export(&self.pool, resident)
            .await
            .map_err(Error::from)?;
        Ok(Response::new(PersonalData {
            service: "complaints".to_owned(),
            json,
        }))
    }
}
