//! What the complaints service does, one method per use: filing (with duplicates close
//! by), reading, and the shared `Demands` steps over complaints. Agents' handling is in
//! `handling`, the public face in `public`; both add methods to [`Complaints`].

use chrono::Duration;
use guichet_kit::{
    Clock, Owner, TrackingNumber,
    auth::{Caller, Claims},
    bus,
    demand::{
        Error,
        access::{self, ListScope},
        agent_author, audit, business_of, check_status_change, claim,
        events::{self as demand_events, Act},
        list,
        message::{self, Locked},
        parse_tracking,
        retry::Retry,
        status,
        timeline::{self, TimelineRow},
    },
};
use guichet_proto::{
    complaints::v1::{self as pb, FileComplaintRequest, FileComplaintResponse},
    demand::v1::{
        Author, AuthorRole, ChangeStatusRequest, Channel, ClaimDemandRequest, Demand,
        ListDemandsRequest, PostMessageRequest, Status,
    },
    names,
};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    domain::{self, NewComplaint, Tuning, photos, states},
    events::{self, SERVICE, SILO},
    store::{self, ComplaintRow},
    views::{answer, dossier, title_of, to_category, to_demand},
};

#[derive(Clone)]
pub struct Complaints {
    pub(crate) pool: PgPool,
    pub(crate) clock: Clock,
    pub(crate) tuning: Tuning,
}

impl Complaints {
    pub fn new(pool: PgPool, clock: Clock, tuning: Tuning) -> Self {
        Self {
            pool,
            clock,
            tuning,
        }
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
        let duplicates = if guichet_kit::contract::is_final(&complaint.status) {
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
    pub(crate) async fn read(
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
        let now = self.clock.now();
        audit::read(&self.pool, &SILO, caller, access, "read", tracking, now).await?;
        let mut demand = to_demand(&complaint, &timeline);
        if opens {
            let mut conn = self.pool.acquire().await.map_err(anyhow::Error::from)?;
            let photos = store::photos(&mut conn, complaint.id).await?;
            demand.dossier = Some(dossier(&complaint, &photos));
        }
        Ok(demand)
    }

    #[tracing::instrument(name = "Change a complaint's status", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    pub(crate) async fn change_status(
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
        let agent = agent_for(caller, &complaint)?;
        check_status_change(status, &request.reason)?;
        let sub_status = states::sub_status(status, &request.sub_status)?;
        let reason = request.reason.trim();
        let change = status::Change {
            status,
            sub_status: &sub_status,
            reason,
            at: self.clock.now(),
        };
        let locked = locked(&complaint);
        let act = status::change(&mut tx, &SILO, &locked, agent, caller.channel(), &change).await?;
        let outcome = names::status(status);
        if guichet_kit::contract::is_final(&outcome)
            && !guichet_kit::contract::is_final(&complaint.status)
        {
            // Every "me too" hears the outcome, each through their own event.
            for follower in store::followers(&mut tx, complaint.id).await? {
                let event = events::follower_outcome(
                    &complaint,
                    &locked.title,
                    status,
                    &sub_status,
                    reason,
                    &follower,
                    act.at,
                );
                bus::enqueue(&mut tx, &event).await?;
            }
        }
        guichet_kit::bus::commit(tx)
            .await
            .map_err(anyhow::Error::from)?;
        self.load(&tracking).await
    }

    #[tracing::instrument(name = "Post a message on a complaint", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    pub(crate) async fn post_message(
        &self,
        caller: &Caller,
        request: PostMessageRequest,
    ) -> Result<Demand, Error> {
        let (pool, clock) = (&self.pool, &self.clock);
        let tracking = message::post_message(pool, &SILO, clock, caller, &request, lock).await?;
        self.load(&tracking).await
    }

    /// Attaches an anonymous complaint to the calling resident, if the contact they give
    /// is the one left at filing. Every failure answers the same: nothing to probe.
    #[tracing::instrument(name = "Claim a complaint", skip_all)]
    pub(crate) async fn claim(
        &self,
        caller: &Caller,
        request: ClaimDemandRequest,
    ) -> Result<Demand, Error> {
        let (pool, clock) = (&self.pool, &self.clock);
        let tracking = claim::claim_demand(pool, &SILO, clock, caller, &request, lock).await?;
        self.load(&tracking).await
    }

    /// The catalogue of categories; inactive ones too when an administrator asks
    /// (`include_inactive`, checked by the caller).
    pub(crate) async fn categories(
        &self,
        include_inactive: bool,
    ) -> Result<Vec<pb::Category>, Error> {
        let categories = store::categories(&self.pool, include_inactive).await?;
        Ok(categories
            .into_iter()
            .map(|(c, active)| to_category(c, active))
            .collect())
    }

    /// A page of a resident's own complaints or of one of the agent's departments.
    pub(crate) async fn list(
        &self,
        caller: &Caller,
        request: &ListDemandsRequest,
    ) -> Result<Vec<Demand>, Error> {
        let scope = ListScope::for_caller(caller, &request.department)?;
        let mut page = list::Page::of(&scope, request);
        // The desk's list, for its supervisors, is every complaint of the city.
        if scope.department() == Some(domain::DESK)
            && caller.agent().is_some_and(domain::sees_every_complaint)
        {
            page.department = None;
        }
        let rows = store::list(&self.pool, &page).await?;
        Ok(rows.iter().map(|c| to_demand(c, &[])).collect())
    }

    pub(crate) fn act(&self, author: Author, channel: Channel) -> Act {
        Act {
            author,
            channel,
            at: self.clock.now(),
        }
    }
}

/// A complaint locked for one of the shared steps.
async fn lock(conn: &mut PgConnection, tracking: &str) -> anyhow::Result<Option<Locked>> {
    Ok(store::lock(conn, tracking).await?.as_ref().map(locked))
}

/// A complaint as the shared steps read it.
pub(crate) fn locked(complaint: &ComplaintRow) -> Locked {
    Locked {
        id: complaint.id,
        tracking_number: complaint.tracking_number.clone(),
        owner: complaint.resident_id.clone(),
        status: complaint.status.clone(),
        department: complaint.department.clone(),
        title: title_of(complaint),
        theme: domain::theme(&complaint.category),
        contact_email: complaint.contact_email.clone(),
        contact_phone: complaint.contact_phone.clone(),
    }
}

/// The agent allowed to act on a complaint: one handling its department or theme, or
/// an MRU supervisor.
pub(crate) fn agent_for<'a>(
    caller: &'a Caller,
    complaint: &ComplaintRow,
) -> Result<&'a Claims, Error> {
    if let Some(agent) = caller.agent()
        && domain::sees_every_complaint(agent)
    {
        return Ok(agent);
    }
    access::handling_agent(
        caller,
        &complaint.department,
        &domain::theme(&complaint.category),
    )
}
