//! The gRPC face of the service: `Complaints` (catalogue and intake) and the shared
//! `Demands` contract over complaints.

use chrono::Duration;
use guichet_kit::{
    Clock, Owner, TrackingNumber,
    auth::{Caller, Claims, Role, Verifier},
    bus,
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
        TimelineEntry, TimelineEntryKind, demands_server::Demands,
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
    domain::{
        self, Error, NewComplaint,
        access::{self, Access},
    },
    events::{self, Change},
    privacy,
    store::{self, ComplaintRow, TimelineRow},
};

const DEFAULT_LIST: u32 = 50;
const MAX_LIST: u32 = 200;
const MAX_MESSAGE: usize = 4_000;

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
        let entry = timeline_entry(
            TimelineEntryKind::StatusChange,
            &author,
            complaint.channel,
            now,
            Some(Status::Submitted),
            "",
            "",
        );
        store::insert_timeline(&mut tx, id, &entry).await?;
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
                &events::audited(agent, "read", tracking, self.clock.now()),
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
        domain::check_status_change(status, &request.reason).map_err(Error::Invalid)?;
        let change = self.change(&complaint, agent_author(agent), caller.channel());
        store::set_status(
            &mut tx,
            complaint.id,
            &names::status(status),
            &request.sub_status,
        )
        .await?;
        let reason = request.reason.trim();
        let entry = timeline_entry(
            TimelineEntryKind::StatusChange,
            &change.author,
            change.channel,
            change.at,
            Some(status),
            &request.sub_status,
            reason,
        );
        store::insert_timeline(&mut tx, complaint.id, &entry).await?;
        bus::enqueue(
            &mut tx,
            &events::status_changed(&change, status, &request.sub_status, reason),
        )
        .await?;
        bus::enqueue(
            &mut tx,
            &events::audited(agent, "change", &tracking, change.at),
        )
        .await?;
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
        let text = request.text.trim();
        if text.is_empty() || text.chars().count() > MAX_MESSAGE {
            return Err(Error::Invalid(vec![Violation::new(
                "text",
                "Le message doit contenir entre 1 et 4 000 caractères.",
            )]));
        }
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
            Access::Resident => Author {
                role: AuthorRole::Resident as i32,
                name: caller.claims().map(|c| c.name.clone()).unwrap_or_default(),
                id: caller.resident().unwrap_or_default().to_owned(),
            },
        };
        let change = self.change(&complaint, author, caller.channel());
        let entry = timeline_entry(
            TimelineEntryKind::Message,
            &change.author,
            change.channel,
            change.at,
            None,
            "",
            text,
        );
        store::insert_timeline(&mut tx, complaint.id, &entry).await?;
        bus::enqueue(&mut tx, &events::message_posted(&change, text)).await?;
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
        if !privacy::contact_matches(
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
        let event = events::claimed(&tracking, &resident, &row.department, self.clock.now());
        bus::enqueue(&mut tx, &event).await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.load(&tracking).await
    }

    fn change<'a>(
        &self,
        complaint: &'a ComplaintRow,
        author: Author,
        channel: Channel,
    ) -> Change<'a> {
        Change {
            complaint,
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

/// The business a professional files for: one of their account's, or a refusal.
fn business_of(caller: &Caller, siret: &str) -> Result<Option<(String, String)>, Error> {
    let siret: String = siret.chars().filter(|c| !c.is_whitespace()).collect();
    if siret.is_empty() {
        return Ok(None);
    }
    caller
        .claims()
        .filter(|c| c.role == Role::Resident)
        .and_then(|c| c.businesses.iter().find(|b| b.siret == siret))
        .map(|b| Some((b.siret.clone(), b.name.clone())))
        .ok_or_else(|| {
            Error::Invalid(vec![Violation::new(
                "siret",
                "Ce SIRET n'est pas rattaché à votre compte : ajoutez l'entreprise à votre profil.",
            )])
        })
}

fn agent_author(agent: &Claims) -> Author {
    Author {
        role: AuthorRole::Agent as i32,
        name: agent.name.clone(),
        id: agent.sub.clone(),
    }
}

fn parse_tracking(input: &str) -> Result<String, Error> {
    TrackingNumber::parse(input)
        .map(|t| t.to_string())
        .map_err(|_| {
            Error::Invalid(vec![Violation::new(
                "tracking_number",
                "Ce numéro de suivi n'est pas valide.",
            )])
        })
}

fn timeline_entry(
    kind: TimelineEntryKind,
    author: &Author,
    channel: Channel,
    at: chrono::DateTime<chrono::Utc>,
    status: Option<Status>,
    sub_status: &str,
    text: &str,
) -> TimelineRow {
    TimelineRow {
        id: Uuid::now_v7(),
        at,
        kind: match kind {
            TimelineEntryKind::Message => "message".to_owned(),
            _ => "status_change".to_owned(),
        },
        author_role: names::author_role(author.role()),
        author_name: author.name.clone(),
        author_id: author.id.clone(),
        channel: names::channel(channel),
        status: status.map(names::status),
        sub_status: sub_status.to_owned(),
        text: text.to_owned(),
    }
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
        title: domain::title(&complaint.category_label, &complaint.address),
        department: complaint.department.clone(),
        channel: names::parse_channel(&complaint.channel).unwrap_or_default() as i32,
        status: names::parse_status(&complaint.status).unwrap_or_default() as i32,
        sub_status: complaint.sub_status.clone(),
        created_at: Some(timestamp(complaint.created_at)),
        due_at: Some(timestamp(complaint.due_at)),
        timeline: timeline
            .iter()
            .map(|t| TimelineEntry {
                id: t.id.to_string(),
                kind: if t.kind == "message" {
                    TimelineEntryKind::Message
                } else {
                    TimelineEntryKind::StatusChange
                } as i32,
                at: Some(timestamp(t.at)),
                author: Some(Author {
                    role: names::parse_author_role(&t.author_role).unwrap_or_default() as i32,
                    name: t.author_name.clone(),
                    id: t.author_id.clone(),
                }),
                channel: names::parse_channel(&t.channel).unwrap_or_default() as i32,
                status: t
                    .status
                    .as_deref()
                    .and_then(names::parse_status)
                    .unwrap_or_default() as i32,
                sub_status: t.sub_status.clone(),
                text: t.text.clone(),
            })
            .collect(),
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
        // Residents list their own demands; agents a department of theirs.
        let (department, resident) = match caller.claims() {
            None => return Err(Error::Unauthenticated.into()),
            Some(claims) if claims.role == Role::Resident => (None, Some(claims.sub.as_str())),
            Some(claims) if claims.role == Role::Agent => {
                if !claims.departments.contains(&request.department) {
                    return Err(Error::Invalid(vec![Violation::new(
                        "department",
                        "Choisissez un de vos services.",
                    )])
                    .into());
                }
                (Some(request.department.as_str()), None)
            }
            Some(_) => return Err(Error::Forbidden("Réservé aux usagers et aux agents.").into()),
        };
        let limit = match request.limit {
            0 => DEFAULT_LIST,
            n => n.min(MAX_LIST),
        };
        let rows = store::list(&self.pool, department, resident, i64::from(limit))
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
