//! The gRPC face of the service: `Complaints` (catalogue and intake) and the shared
//! `Demands` contract over complaints.

use chrono::Duration;
use guichet_kit::{
    Clock, Owner, TrackingNumber,
    auth::{Caller, Verifier},
    bus,
    demand::{
        self as shared, Error,
        access::{self, Access, After, ListScope},
        agent_author, business_of, check_status_change,
        events::{self as demand_events, Act},
        message::{self, Locked},
        parse_tracking,
        retry::Retry,
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
        Author, AuthorRole, ChangeStatusRequest, Channel, ClaimDemandRequest, Contact, Demand,
        DemandKind, Dossier, GetDemandRequest, ListDemandsRequest, ListDemandsResponse, Piece,
        PostMessageRequest, SearchDemandsRequest, Status, demands_server::Demands,
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
    Tuning,
    domain::{self, NewComplaint, photos, states},
    events, handling, privacy, public,
    store::{self, ComplaintRow},
};

pub(crate) const SERVICE: &str = "complaints";

#[derive(Clone)]
pub struct ComplaintsService {
    pub(crate) pool: PgPool,
    pub(crate) clock: Clock,
    verifier: Verifier,
    pub(crate) tuning: Tuning,
}

impl ComplaintsService {
    pub fn new(pool: PgPool, clock: Clock, verifier: Verifier, tuning: Tuning) -> Self {
        Self {
            pool,
            clock,
            verifier,
            tuning,
        }
    }

    pub(crate) async fn caller(
        &self,
        metadata: &tonic::metadata::MetadataMap,
    ) -> Result<Caller, tonic::Status> {
        self.verifier.caller(metadata).await
    }

    /// Files a complaint from any channel; `open311` names the Open311 client it came
    /// through. The answer offers open complaints of the same category close by.
    #[tracing::instrument(name = "File a complaint", skip_all, fields(tracking = tracing::field::Empty))]
    pub(crate) async fn file(
        &self,
        caller: &Caller,
        mut request: FileComplaintRequest,
        open311: Option<String>,
    ) -> Result<FileComplaintResponse, Error> {
        // Who files, and through which channel, comes from the verified token only.
        request.channel = caller.channel() as i32;
        let agent = caller.agent();
        match caller.resident() {
            Some(resident) => request.resident_id = resident.to_owned(),
            // A desk or phone agent files on behalf of the resident the request names.
            None if agent.is_some() => request.resident_id = request.resident_id.trim().to_owned(),
            None => request.resident_id.clear(),
        }
        let key = std::mem::take(&mut request.idempotency_key);
        let retry = Retry::of(caller, &key, &request)?;
        if let Some(retry) = &retry
            && let Some(earlier) = retry.earlier(&self.pool).await?
        {
            return self.filed(&earlier).await;
        }
        let business = business_of(caller, &request.siret)?;
        let category = store::category(&self.pool, &request.category).await?;
        let photos = std::mem::take(&mut request.photos);
        // Every fault at once, the complaint's and the photos'.
        let (mut complaint, photos) = match (
            NewComplaint::parse(request, category, &self.tuning.territory),
            photos::check_all(photos),
        ) {
            (Ok(complaint), Ok(photos)) => (complaint, photos),
            (complaint, photos) => {
                let mut faults = complaint.err().unwrap_or_default();
                faults.extend(photos.err().unwrap_or_default());
                return Err(Error::Invalid(faults));
            }
        };
        complaint.business = business;
        complaint.open311_client = open311;
        // At the database's precision (microseconds): the answer is built from what is
        // written, and must equal what a retry or a lookup reads back.
        let now = chrono::SubsecRound::trunc_subsecs(self.clock.now(), 6);
        let due_at = now + Duration::days(i64::from(complaint.category.sla_days));
        let tracking = TrackingNumber::generate(Owner::Complaints).to_string();
        tracing::Span::current().record(
            "tracking",
            guichet_kit::tracking::redacted(&tracking).as_str(),
        );
        let id = Uuid::now_v7();

        // Open complaints of the same category close by, searched on another connection
        // while the filing's transaction runs; the new one, committed first or not, is
        // never its own duplicate.
        let duplicates = self.duplicates(
            &complaint.category.code,
            complaint.latitude,
            complaint.longitude,
            Some(id),
        );
        let write = async {
            let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
            let status = names::status(Status::Submitted);
            if let Some(retry) = &retry
                && !retry.record(&mut tx, &tracking).await?
            {
                return Ok(None);
            }
            let row =
                store::insert(&mut tx, id, &tracking, &complaint, &status, now, due_at).await?;
            let author = agent.map(agent_author).unwrap_or_else(|| Author {
                role: AuthorRole::Resident as i32,
                name: complaint.contact_name.clone(),
                id: complaint.resident_id.clone().unwrap_or_default(),
            });
            let entry = TimelineRow::status_change(
                &author,
                complaint.channel,
                now,
                Status::Submitted,
                "",
                "",
            );
            timeline::insert(&mut tx, id, &entry).await?;
            let channel = names::channel(complaint.channel);
            let mut stored = Vec::with_capacity(photos.len());
            for photo in &photos {
                stored.push(store::insert_photo(&mut tx, id, photo, &channel, now).await?);
            }
            bus::enqueue(&mut tx, &events::filed(&tracking, &complaint, now, due_at)).await?;
            if let Some(agent) = agent {
                // Filed for someone else: the desk's action is in the audit log.
                let audit = demand_events::audited(SERVICE, agent, "file", &tracking, now);
                bus::enqueue(&mut tx, &audit).await?;
            }
            bus::commit(tx).await.map_err(anyhow::Error::from)?;
            Ok::<_, Error>(Some((row, entry, stored)))
        };
        // The transaction's span, in the filing's trace; the event written inside it
        // carries it to the relay and the consumers.
        let write =
            tracing::Instrument::instrument(write, guichet_kit::telemetry::transaction_span());
        let (written, duplicates) = tokio::try_join!(write, duplicates)?;
        let Some((row, entry, stored)) = written else {
            // A concurrent retry with the same key won the race: answer with its complaint.
            let earlier = retry
                .as_ref()
                .ok_or(Error::NotFound)?
                .earlier(&self.pool)
                .await?
                .ok_or(Error::NotFound)?;
            return self.filed(&earlier).await;
        };
        tracing::info!(category = %complaint.category.code, photos = photos.len(), "complaint filed");
        // The answer is what was just written: reading it back would cost three queries.
        Ok(answer(&row, &[entry], &stored, &duplicates))
    }

    /// Open complaints of `category` within the duplicate radius of a place, but `except`.
    async fn duplicates(
        &self,
        category: &str,
        latitude: Option<f64>,
        longitude: Option<f64>,
        except: Option<Uuid>,
    ) -> Result<Vec<store::PublicRow>, Error> {
        let (Some(lat), Some(lon)) = (latitude, longitude) else {
            return Ok(Vec::new());
        };
        let radius = f64::from(self.tuning.duplicate_radius_m);
        Ok(store::nearby(&self.pool, lat, lon, radius, Some(category), except, 10).await?)
    }

    /// The answer to a retried filing: the complaint as stored, its photos, and possible
    /// duplicates.
    async fn filed(&self, tracking: &str) -> Result<FileComplaintResponse, Error> {
        let (complaint, timeline) = store::load(&self.pool, tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let duplicates = if shared::is_final(&complaint.status) {
            Vec::new()
        } else {
            let (lat, lon) = (complaint.latitude, complaint.longitude);
            self.duplicates(&complaint.category, lat, lon, Some(complaint.id))
                .await?
        };
        let mut conn = self.pool.acquire().await.map_err(anyhow::Error::from)?;
        let photos = store::photos(&mut conn, complaint.id).await?;
        Ok(answer(&complaint, &timeline, &photos, &duplicates))
    }

    /// A complaint as stored, after a change its caller was allowed to make.
    pub(crate) async fn load(&self, tracking: &str) -> Result<Demand, Error> {
        let (complaint, timeline) = store::load(&self.pool, tracking)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(to_demand(&complaint, &timeline))
    }

    /// A complaint for `caller`, if they may see it; agents' reads are audited.
    #[tracing::instrument(name = "Read a complaint", skip_all, fields(tracking = %guichet_kit::tracking::redacted(tracking)))]
    async fn read(
        &self,
        caller: &Caller,
        tracking: &str,
        proof: (&str, &str),
    ) -> Result<Demand, Error> {
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
        let opens = access::opens_dossier(
            access,
            complaint.resident_id.as_deref(),
            proof,
            (&complaint.contact_email, &complaint.contact_phone),
        );
        if access == Access::Agent
            && let Some(agent) = caller.agent()
        {
            let mut tx = self.pool.begin().await.map_err(anyhow::Error::from)?;
            bus::enqueue(
                &mut tx,
                &demand_events::audited(SERVICE, agent, "read", tracking, self.clock.now()),
            )
            .await?;
            guichet_kit::bus::commit(tx)
                .await
                .map_err(anyhow::Error::from)?;
        }
        let mut demand = to_demand(&complaint, &timeline);
        if opens {
            let mut conn = self.pool.acquire().await.map_err(anyhow::Error::from)?;
            let photos = store::photos(&mut conn, complaint.id).await?;
            demand.dossier = Some(dossier(&complaint, &photos));
        }
        Ok(demand)
    }

    #[tracing::instrument(name = "Change a complaint's status", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
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
        let agent = handling::agent_for(caller, &complaint)?;
        check_status_change(status, &request.reason)?;
        let sub_status = states::sub_status(status, &request.sub_status)?;
        let act = self.act(agent_author(agent), caller.channel());
        store::set_status(
            &mut tx,
            complaint.id,
            &names::status(status),
            &sub_status,
            act.at,
        )
        .await?;
        let reason = request.reason.trim();
        let entry = TimelineRow::status_change(
            &act.author,
            act.channel,
            act.at,
            status,
            &sub_status,
            reason,
        );
        timeline::insert(&mut tx, complaint.id, &entry).await?;
        let (title, theme) = (title_of(&complaint), domain::theme(&complaint.category));
        let subject = events::subject(&complaint, &title, &theme);
        let event = demand_events::status_changed(&subject, &act, status, &sub_status, reason);
        bus::enqueue(&mut tx, &event).await?;
        let outcome = names::status(status);
        if shared::is_final(&outcome) && !shared::is_final(&complaint.status) {
            // Every "me too" hears the outcome, each through their own event.
            for follower in store::followers(&mut tx, complaint.id).await? {
                let event = events::follower_outcome(
                    &complaint,
                    &title,
                    status,
                    &sub_status,
                    reason,
                    &follower,
                    act.at,
                );
                bus::enqueue(&mut tx, &event).await?;
            }
        }
        let audit = demand_events::audited(SERVICE, agent, "change", &tracking, act.at);
        bus::enqueue(&mut tx, &audit).await?;
        guichet_kit::bus::commit(tx)
            .await
            .map_err(anyhow::Error::from)?;
        self.load(&tracking).await
    }

    #[tracing::instrument(name = "Post a message on a complaint", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
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
        let (title, theme) = (title_of(&complaint), domain::theme(&complaint.category));
        let locked = Locked {
            id: complaint.id,
            owner: complaint.resident_id.as_deref(),
            status: &complaint.status,
            subject: events::subject(&complaint, &title, &theme),
        };
        let now = self.clock.now();
        if message::post(&mut tx, &locked, caller, text, now).await? {
            let in_progress = names::status(Status::InProgress);
            store::set_status(&mut tx, complaint.id, &in_progress, "", now).await?;
        }
        guichet_kit::bus::commit(tx)
            .await
            .map_err(anyhow::Error::from)?;
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
        message::claimed(&mut tx, row.id, &subject, caller, self.clock.now()).await?;
        guichet_kit::bus::commit(tx)
            .await
            .map_err(anyhow::Error::from)?;
        self.load(&tracking).await
    }

    pub(crate) fn act(&self, author: Author, channel: Channel) -> Act {
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

pub(crate) fn title_of(complaint: &ComplaintRow) -> String {
    domain::title(&complaint.category_label, &complaint.address)
}

/// What the resident reported and how to reach them, for those entitled to it.
fn dossier(complaint: &ComplaintRow, photos: &[store::PhotoRow]) -> Dossier {
    Dossier {
        description: complaint.description.clone(),
        contact: Some(Contact {
            name: complaint.contact_name.clone(),
            email: complaint.contact_email.clone(),
            phone: complaint.contact_phone.clone(),
        }),
        address: complaint.address.clone(),
        latitude: complaint.latitude,
        longitude: complaint.longitude,
        answers_json: String::new(),
        pieces: photos
            .iter()
            .map(|p| Piece {
                id: p.id.to_string(),
                filename: format!("photo-{}", p.id),
                mime_type: p.mime_type.clone(),
                size: u64::try_from(p.size).unwrap_or_default(),
                sha256: p.sha256.clone(),
            })
            .collect(),
    }
}

/// A filing's answer: the complaint, its photos, and open complaints close by.
fn answer(
    complaint: &ComplaintRow,
    timeline: &[TimelineRow],
    photos: &[store::PhotoRow],
    duplicates: &[store::PublicRow],
) -> FileComplaintResponse {
    FileComplaintResponse {
        demand: Some(to_demand(complaint, timeline)),
        duplicates: duplicates
            .iter()
            .map(|d| public::to_public(d, &[]))
            .collect(),
        photos: photos.iter().map(handling::photo_info).collect(),
    }
}

pub(crate) fn to_demand(complaint: &ComplaintRow, timeline: &[TimelineRow]) -> Demand {
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
        dossier: None,
    }
}

#[tonic::async_trait]
impl Complaints for ComplaintsService {
    async fn list_categories(
        &self,
        request: Request<ListCategoriesRequest>,
    ) -> Result<Response<ListCategoriesResponse>, tonic::Status> {
        let include_inactive = request.get_ref().include_inactive
            && self
                .caller(request.metadata())
                .await?
                .claims()
                .is_some_and(|c| c.is_admin());
        let categories = store::categories(&self.pool, include_inactive)
            .await
            .map_err(Error::from)?;
        Ok(Response::new(ListCategoriesResponse {
            categories: categories
                .into_iter()
                .map(|(c, active)| to_category(c, active))
                .collect(),
        }))
    }

    async fn file_complaint(
        &self,
        request: Request<FileComplaintRequest>,
    ) -> Result<Response<FileComplaintResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.file(&caller, request.into_inner(), None).await?,
        ))
    }

    async fn upsert_category(
        &self,
        request: Request<pb::UpsertCategoryRequest>,
    ) -> Result<Response<pb::Category>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let category = request.into_inner().category.unwrap_or_default();
        Ok(Response::new(
            self.upsert_category(&caller, &category).await?,
        ))
    }

    async fn add_photo(
        &self,
        request: Request<pb::AddPhotoRequest>,
    ) -> Result<Response<pb::PhotosResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.add_photo(&caller, request.into_inner()).await?,
        ))
    }

    async fn list_photos(
        &self,
        request: Request<pb::ListPhotosRequest>,
    ) -> Result<Response<pb::PhotosResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let tracking = parse_tracking(&request.get_ref().tracking_number)?;
        Ok(Response::new(self.list_photos(&caller, &tracking).await?))
    }

    async fn get_photo(
        &self,
        request: Request<pb::GetPhotoRequest>,
    ) -> Result<Response<pb::PhotoContent>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.get_photo(&caller, request.get_ref()).await?,
        ))
    }

    async fn nearby(
        &self,
        request: Request<pb::NearbyRequest>,
    ) -> Result<Response<pb::PublicComplaints>, tonic::Status> {
        Ok(Response::new(self.nearby(request.get_ref()).await?))
    }

    async fn find_duplicates(
        &self,
        request: Request<pb::FindDuplicatesRequest>,
    ) -> Result<Response<pb::PublicComplaints>, tonic::Status> {
        Ok(Response::new(
            self.find_duplicates(request.get_ref()).await?,
        ))
    }

    async fn get_public(
        &self,
        request: Request<pb::GetPublicRequest>,
    ) -> Result<Response<pb::PublicComplaint>, tonic::Status> {
        Ok(Response::new(self.public(&request.get_ref().id).await?))
    }

    async fn follow(
        &self,
        request: Request<pb::FollowRequest>,
    ) -> Result<Response<pb::FollowResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.follow(&caller, request.into_inner()).await?,
        ))
    }

    async fn reassign(
        &self,
        request: Request<pb::ReassignRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.reassign(&caller, request.into_inner()).await?,
        ))
    }

    async fn merge(
        &self,
        request: Request<pb::MergeRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.merge(&caller, request.into_inner()).await?,
        ))
    }

    async fn list_overdue(
        &self,
        request: Request<pb::ListOverdueRequest>,
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.overdue(&caller, request.get_ref()).await?,
        ))
    }

    async fn list_requests(
        &self,
        request: Request<pb::ListRequestsRequest>,
    ) -> Result<Response<pb::PublicComplaints>, tonic::Status> {
        Ok(Response::new(self.requests(request.get_ref()).await?))
    }

    async fn file_open311(
        &self,
        request: Request<pb::FileOpen311Request>,
    ) -> Result<Response<pb::FileOpen311Response>, tonic::Status> {
        Ok(Response::new(
            self.file_open311(request.into_inner()).await?,
        ))
    }

    async fn revoke_api_key(
        &self,
        request: Request<pb::RevokeApiKeyRequest>,
    ) -> Result<Response<pb::ApiKey>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.revoke_api_key(&caller, &request.get_ref().id).await?,
        ))
    }

    async fn list_api_keys(
        &self,
        request: Request<pb::ListApiKeysRequest>,
    ) -> Result<Response<pb::ListApiKeysResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(pb::ListApiKeysResponse {
            keys: self.api_keys(&caller).await?,
        }))
    }

    async fn issue_api_key(
        &self,
        request: Request<pb::IssueApiKeyRequest>,
    ) -> Result<Response<pb::ApiKey>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.issue_api_key(&caller, &request.get_ref().label)
                .await?,
        ))
    }
}

pub(crate) fn to_category(c: domain::Category, active: bool) -> pb::Category {
    pb::Category {
        code: c.code,
        label: c.label,
        department: c.department,
        priority: c.priority,
        sla_days: u32::try_from(c.sla_days).unwrap_or_default(),
        competence: c.competence,
        active,
    }
}

#[tonic::async_trait]
impl Demands for ComplaintsService {
    async fn get_demand(
        &self,
        request: Request<GetDemandRequest>,
    ) -> Result<Response<Demand>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let request = request.get_ref();
        let tracking = parse_tracking(&request.tracking_number)?;
        Ok(Response::new(
            self.read(&caller, &tracking, (&request.email, &request.phone))
                .await?,
        ))
    }

    async fn list_demands(
        &self,
        request: Request<ListDemandsRequest>,
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        let request = request.into_inner();
        let scope = ListScope::for_caller(&caller, &request.department)?;
        let limit = access::list_limit(request.limit);
        // The desk's list, for its supervisors, is every complaint of the city.
        let everything = scope.department() == Some(domain::DESK)
            && caller.agent().is_some_and(domain::sees_every_complaint);
        let department = if everything { None } else { scope.department() };
        let after = After::of(&request);
        let rows = store::list(
            &self.pool,
            department,
            scope.resident(),
            after.as_ref(),
            limit,
        )
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

    async fn search_demands(
        &self,
        request: Request<SearchDemandsRequest>,
    ) -> Result<Response<ListDemandsResponse>, tonic::Status> {
        let caller = self.caller(request.metadata()).await?;
        Ok(Response::new(
            self.search(&caller, request.get_ref()).await?,
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
