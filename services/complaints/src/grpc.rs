//! The gRPC face of the service: `Complaints` (catalogue and intake) and the shared
//! `Demands` contract over complaints.

use chrono::Duration;
use guichet_kit::{
    Clock, Owner, TrackingNumber, bus,
    grpc::{Violation, timestamp},
};
use guichet_proto::{
    complaints::v1::{
        self as pb, FileComplaintRequest, FileComplaintResponse, ListCategoriesRequest,
        ListCategoriesResponse, complaints_server::Complaints,
    },
    demand::v1::{
        Author, AuthorRole, ChangeStatusRequest, Channel, Demand, DemandKind, GetDemandRequest,
        ListDemandsRequest, ListDemandsResponse, PostMessageRequest, Status, TimelineEntry,
        TimelineEntryKind, demands_server::Demands,
    },
    names,
};
use sqlx::PgPool;
use tonic::{Request, Response};
use uuid::Uuid;

use crate::{
    domain::{self, Error, NewComplaint},
    events::{self, Change},
    store::{self, ComplaintRow, TimelineRow},
};

const DEFAULT_LIST: u32 = 50;
const MAX_LIST: u32 = 200;
const MAX_MESSAGE: usize = 4_000;

#[derive(Clone)]
pub struct ComplaintsService {
    pool: PgPool,
    clock: Clock,
}

impl ComplaintsService {
    pub fn new(pool: PgPool, clock: Clock) -> Self {
        Self { pool, clock }
    }

    #[tracing::instrument(name = "File a complaint", skip_all, fields(tracking = tracing::field::Empty))]
    async fn file(&self, request: FileComplaintRequest) -> Result<Demand, Error> {
        if !request.idempotency_key.is_empty()
            && let Some(existing) =
                store::by_idempotency_key(&self.pool, &request.idempotency_key).await?
        {
            return self.demand(&existing).await;
        }
        let category = store::category(&self.pool, &request.category).await?;
        let complaint = NewComplaint::parse(request, category).map_err(Error::Invalid)?;
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
            return self.demand(&existing).await;
        }
        let author = Author {
            role: AuthorRole::Resident as i32,
            name: complaint.contact_name.clone(),
            id: complaint.resident_id.clone().unwrap_or_default(),
        };
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
        self.demand(&tracking).await
    }

    async fn demand(&self, tracking: &str) -> Result<Demand, Error> {
        let (complaint, timeline) = store::load(&self.pool, tracking)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(to_demand(&complaint, &timeline))
    }

    #[tracing::instrument(name = "Change a complaint's status", skip_all, fields(tracking = %request.tracking_number))]
    async fn change_status(&self, request: ChangeStatusRequest) -> Result<Demand, Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let status = Status::try_from(request.status).unwrap_or(Status::Unspecified);
        domain::check_status_change(status, &request.reason).map_err(Error::Invalid)?;
        let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
        let complaint = store::lock(&mut tx, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let change = self.change(&complaint, request.author, request.channel);
        store::set_status(
            &mut tx,
            complaint.id,
            &names::status(status),
            &request.sub_status,
        )
        .await?;
        let entry = timeline_entry(
            TimelineEntryKind::StatusChange,
            &change.author,
            change.channel,
            change.at,
            Some(status),
            &request.sub_status,
            request.reason.trim(),
        );
        store::insert_timeline(&mut tx, complaint.id, &entry).await?;
        bus::enqueue(
            &mut tx,
            &events::status_changed(&change, status, &request.sub_status, request.reason.trim()),
        )
        .await?;
        tx.commit().await.map_err(anyhow::Error::from)?;
        self.demand(&tracking).await
    }

    #[tracing::instrument(name = "Post a message on a complaint", skip_all, fields(tracking = %request.tracking_number))]
    async fn post_message(&self, request: PostMessageRequest) -> Result<Demand, Error> {
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
        let change = self.change(&complaint, request.author, request.channel);
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
        self.demand(&tracking).await
    }

    fn change<'a>(
        &self,
        complaint: &'a ComplaintRow,
        author: Option<Author>,
        channel: i32,
    ) -> Change<'a> {
        Change {
            complaint,
            author: author.unwrap_or(Author {
                role: AuthorRole::System as i32,
                ..Author::default()
            }),
            channel: Channel::try_from(channel)
                .ok()
                .filter(|c| *c != Channel::Unspecified)
                .unwrap_or(Channel::System),
            at: self.clock.now(),
        }
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
        let demand = self.file(request.into_inner()).await?;
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
        let tracking = parse_tracking(&request.get_ref().tracking_number)?;
        Ok(Response::new(self.demand(&tracking).await?))
    }

    async fn list_demands(
        &self,
        request: Request<ListDemandsRequest>,
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let request = request.into_inner();
        let department = Some(request.department.as_str()).filter(|d| !d.is_empty());
        let resident = Some(request.resident_id.as_str()).filter(|r| !r.is_empty());
        if department.is_none() && resident.is_none() {
            return Err(Error::Invalid(vec![Violation::new(
                "department",
                "Précisez un service ou un usager.",
            )])
            .into());
        }
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
        Ok(Response::new(
            self.post_message(request.into_inner()).await?,
        ))
    }

    async fn change_status(
        &self,
        request: Request<ChangeStatusRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        Ok(Response::new(
            self.change_status(request.into_inner()).await?,
        ))
    }
}
