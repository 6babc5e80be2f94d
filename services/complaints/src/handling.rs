//! What agents and residents do with a complaint besides the shared `Demands`
//! contract: photos, reassignment, merging duplicates, the supervisors' overdue list,
//! the desk search, and the administrators' category catalogue.

use guichet_kit::{
    auth::{Caller, Claims},
    bus,
    demand::{
        self as shared, Error,
        access::{self, Access, After},
        agent_author, audit, events as demand_events, parse_tracking, resident_author,
        search::search_demands,
        status,
        timeline::{self, TimelineRow},
    },
};
use guichet_proto::{
    complaints::v1 as pb,
    demand::v1::{ListDemandsResponse, SearchDemandsRequest, Status},
    names,
};
use uuid::Uuid;

use crate::{
    domain::{self, photos},
    events::{self, SERVICE, SILO},
    service::{Complaints, agent_for, locked},
    store::{self, ComplaintRow, Follower, Reach},
    views::{photo_info, title_of, to_category, to_demand},
};

/// How a caller reaches a complaint (MRU supervisors as agents).
fn reach(caller: &Caller, complaint: &ComplaintRow) -> Result<Access, Error> {
    if caller.agent().is_some_and(domain::sees_every_complaint) {
        return Ok(Access::Agent);
    }
    access::reach(
        caller,
        complaint.resident_id.as_deref(),
        &complaint.department,
        &domain::theme(&complaint.category),
    )
}

fn agent_reach(agent: &Claims) -> Reach<'_> {
    Reach {
        everything: domain::sees_every_complaint(agent),
        departments: &agent.departments,
        themes: &agent.themes,
    }
}

impl Complaints {
    /// Adds a photo to a complaint, for whoever may reach it: its owner, the holder of
    /// its number (the caller back in the app), an agent handling it.
    #[tracing::instrument(name = "Add a photo to a complaint", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    pub(crate) async fn add_photo(
        &self,
        caller: &Caller,
        request: pb::AddPhotoRequest,
    ) -> Result<pb::PhotosResponse, Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let photo = photos::check(request.photo.unwrap_or_default(), "photo")
            .map_err(|fault| Error::Invalid(vec![fault]))?;
        let mut tx = self.pool.begin().await?;
        let complaint = store::lock(&mut tx, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let author = match reach(caller, &complaint)? {
            Access::Agent => caller.agent().map(agent_author).unwrap_or_default(),
            Access::Resident => resident_author(caller),
        };
        if guichet_kit::contract::is_final(&complaint.status) {
            return Err(Error::Conflict(
                "Ce signalement est clos : il ne reçoit plus de photos.",
            ));
        }
        let existing = store::photos(&mut tx, complaint.id).await?;
        if existing.len() >= photos::MAX_PHOTOS {
            return Err(Error::field("photo", "Ce signalement a déjà 5 photos."));
        }
        let act = self.act(author, caller.channel());
        store::insert_photo(
            &mut tx,
            complaint.id,
            &photo,
            &names::channel(act.channel),
            act.at,
        )
        .await?;
        let text = "Photo ajoutée.";
        let entry = TimelineRow::message(&act.author, act.channel, act.at, text);
        timeline::insert(&mut tx, complaint.id, &entry).await?;
        let (title, theme) = (title_of(&complaint), domain::theme(&complaint.category));
        let event =
            demand_events::message_posted(&events::subject(&complaint, &title, &theme), &act, text);
        bus::enqueue(&mut tx, &event).await?;
        let photos = store::photos(&mut tx, complaint.id).await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(pb::PhotosResponse {
            photos: photos.iter().map(photo_info).collect(),
        })
    }

    pub(crate) async fn list_photos(
        &self,
        caller: &Caller,
        tracking: &str,
    ) -> Result<pb::PhotosResponse, Error> {
        let (complaint, _) = store::load(&self.pool, tracking)
            .await?
            .ok_or(Error::NotFound)?;
        reach(caller, &complaint)?;
        let mut conn = self.pool.acquire().await?;
        let photos = store::photos(&mut conn, complaint.id).await?;
        Ok(pb::PhotosResponse {
            photos: photos.iter().map(photo_info).collect(),
        })
    }

    pub(crate) async fn get_photo(
        &self,
        caller: &Caller,
        request: &pb::GetPhotoRequest,
    ) -> Result<pb::PhotoContent, Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let (complaint, _) = store::load(&self.pool, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let access = reach(caller, &complaint)?;
        let id: Uuid = request.photo_id.parse().map_err(|_| Error::NotFound)?;
        let (info, content) = store::photo(&self.pool, complaint.id, id)
            .await?
            .ok_or(Error::NotFound)?;
        let now = self.clock.now();
        audit::read(&self.pool, &SILO, caller, access, "read", &tracking, now).await?;
        Ok(pb::PhotoContent {
            info: Some(photo_info(&info)),
            content,
        })
    }

    /// Sends a complaint to another department, with the reason, in the timeline.
    #[tracing::instrument(name = "Reassign a complaint", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    pub(crate) async fn reassign(
        &self,
        caller: &Caller,
        request: pb::ReassignRequest,
    ) -> Result<guichet_proto::demand::v1::Demand, Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let department = request.department.trim().to_owned();
        let reason = request.reason.trim().to_owned();
        let mut faults = Vec::new();
        if department.is_empty() {
            faults.push(guichet_kit::grpc::Violation::new(
                "department",
                "Choisissez le service destinataire.",
            ));
        }
        if !guichet_kit::validate::has_visible_content(&reason)
            || reason.chars().count() > shared::MAX_MESSAGE
        {
            faults.push(guichet_kit::grpc::Violation::new(
                "reason",
                "Indiquez pourquoi le signalement change de service.",
            ));
        }
        if !faults.is_empty() {
            return Err(Error::Invalid(faults));
        }
        let mut tx = self.pool.begin().await?;
        let complaint = store::lock(&mut tx, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let agent = agent_for(caller, &complaint)?;
        // A department that handles no category would never see it: the complaint would
        // vanish from every feed.
        if department != domain::DESK && !store::handles_complaints(&mut tx, &department).await? {
            return Err(Error::field(
                "department",
                "Ce service ne traite pas les signalements : choisissez un service existant qui en traite.",
            ));
        }
        if complaint.department == department {
            return Err(Error::field(
                "department",
                "Le signalement est déjà confié à ce service.",
            ));
        }
        if guichet_kit::contract::is_final(&complaint.status) {
            return Err(Error::Conflict("Ce signalement est clos."));
        }
        let act = self.act(agent_author(agent), caller.channel());
        store::set_department(&mut tx, complaint.id, &department, act.at).await?;
        let status = names::parse_status(&complaint.status).unwrap_or(Status::Submitted);
        let text = format!("Confié au service {department} : {reason}");
        let entry = TimelineRow::status_change(
            &act.author,
            act.channel,
            act.at,
            status,
            &complaint.sub_status,
            &text,
        );
        timeline::insert(&mut tx, complaint.id, &entry).await?;
        bus::enqueue(
            &mut tx,
            &events::reassigned(&complaint, &department, &reason, &act),
        )
        .await?;
        // The new department's feed hears of it like any other change.
        let (title, theme) = (title_of(&complaint), domain::theme(&complaint.category));
        let mut subject = events::subject(&complaint, &title, &theme);
        subject.department = &department;
        let event =
            demand_events::status_changed(&subject, &act, status, &complaint.sub_status, &text);
        bus::enqueue(&mut tx, &event).await?;
        let audit = demand_events::audited(SERVICE, agent, "change", &tracking, act.at);
        bus::enqueue(&mut tx, &audit).await?;
        guichet_kit::bus::commit(tx).await?;
        self.load(&tracking).await
    }

    /// Closes `duplicate` as a duplicate of `kept`: its author and followers follow
    /// `kept` from then on, and hear its outcome.
    #[tracing::instrument(name = "Merge duplicate complaints", skip_all)]
    pub(crate) async fn merge(
        &self,
        caller: &Caller,
        request: pb::MergeRequest,
    ) -> Result<guichet_proto::demand::v1::Demand, Error> {
        let duplicate = parse_tracking(&request.duplicate)
            .map_err(|_| Error::field("duplicate", "Ce numéro de suivi n'est pas valide."))?;
        let kept = parse_tracking(&request.kept)
            .map_err(|_| Error::field("kept", "Ce numéro de suivi n'est pas valide."))?;
        if duplicate == kept {
            return Err(Error::field(
                "kept",
                "Un signalement ne peut être fusionné avec lui-même.",
            ));
        }
        let mut tx = self.pool.begin().await?;
        // Lock both in one order, whoever merges which way.
        let (first, second) = if duplicate < kept {
            (&duplicate, &kept)
        } else {
            (&kept, &duplicate)
        };
        let a = store::lock(&mut tx, first).await?.ok_or(Error::NotFound)?;
        let b = store::lock(&mut tx, second).await?.ok_or(Error::NotFound)?;
        let (dup, keep) = if a.tracking_number == duplicate {
            (a, b)
        } else {
            (b, a)
        };
        let agent = agent_for(caller, &dup)?;
        agent_for(caller, &keep)?;
        if guichet_kit::contract::is_final(&dup.status)
            || guichet_kit::contract::is_final(&keep.status)
        {
            return Err(Error::Conflict(
                "Seuls deux signalements encore ouverts peuvent être fusionnés.",
            ));
        }
        let text = format!(
            "Doublon : ce problème est déjà signalé et suivi (référence publique {}). Vous serez informé de son issue.",
            keep.id
        );
        let change = status::Change {
            status: Status::Closed,
            sub_status: "duplicate",
            reason: &text,
            at: self.clock.now(),
        };
        let act = status::change(
            &mut tx,
            &SILO,
            &locked(&dup),
            agent,
            caller.channel(),
            &change,
        )
        .await?;
        store::mark_merged(&mut tx, dup.id, keep.id).await?;
        // The duplicate's author now follows the kept complaint, then its followers.
        let author = Follower {
            resident_id: dup.resident_id.clone(),
            contact_name: dup.contact_name.clone(),
            contact_email: dup.contact_email.clone(),
            contact_phone: dup.contact_phone.clone(),
        };
        if author.is_reachable() {
            store::add_follower(&mut tx, keep.id, &author, &dup.channel, act.at).await?;
        }
        store::move_followers(&mut tx, dup.id, keep.id).await?;
        bus::enqueue(&mut tx, &events::merged(&dup, &keep, &act)).await?;
        // The kept complaint changed too: it gained followers.
        let audit = demand_events::audited(SERVICE, agent, "change", &keep.tracking_number, act.at);
        bus::enqueue(&mut tx, &audit).await?;
        guichet_kit::bus::commit(tx).await?;
        self.load(&keep.tracking_number).await
    }

    /// Open complaints past their due date: supervisors only; MRU supervisors see the
    /// whole city.
    pub(crate) async fn overdue(
        &self,
        caller: &Caller,
        request: &pb::ListOverdueRequest,
    ) -> Result<ListDemandsResponse, Error> {
        let agent = caller.agent().ok_or(match caller.role() {
            None => Error::Unauthenticated,
            Some(_) => Error::Forbidden("Réservé aux agents."),
        })?;
        if !agent.has_role("supervisor") {
            return Err(Error::Forbidden("Réservé aux responsables de service."));
        }
        let department = Some(request.department.trim()).filter(|d| !d.is_empty());
        let rows = store::overdue(
            &self.pool,
            &agent_reach(agent),
            department,
            self.clock.now(),
            After::at(request.after_due_at.as_ref(), &request.after_number).as_ref(),
            guichet_kit::contract::list_limit(request.limit),
        )
        .await?;
        Ok(ListDemandsResponse {
            demands: rows.iter().map(|c| to_demand(c, &[])).collect(),
        })
    }

    /// The desk's search over complaints the agent reaches (every one for MRU
    /// supervisors); audited.
    pub(crate) async fn search(
        &self,
        caller: &Caller,
        request: &SearchDemandsRequest,
    ) -> Result<ListDemandsResponse, Error> {
        let everything = caller.agent().is_some_and(domain::sees_every_complaint);
        let (pool, clock) = (&self.pool, &self.clock);
        let rows: Vec<ComplaintRow> = search_demands(
            pool,
            &SILO,
            clock,
            caller,
            request,
            everything,
            store::SEARCH,
        )
        .await?;
        Ok(ListDemandsResponse {
            demands: rows.iter().map(|c| to_demand(c, &[])).collect(),
        })
    }

    /// Administrators create or edit a category: label, department, SLA, active.
    /// Complaints already filed keep the department they were routed to.
    pub(crate) async fn upsert_category(
        &self,
        caller: &Caller,
        category: &pb::Category,
    ) -> Result<pb::Category, Error> {
        let admin = match caller.claims() {
            None => return Err(Error::Unauthenticated),
            Some(c) if c.is_admin() => c,
            Some(_) => return Err(Error::Forbidden("Réservé aux administrateurs.")),
        };
        let (category, active) = domain::check_category(category).map_err(Error::Invalid)?;
        let mut tx = self.pool.begin().await?;
        let (saved, active) = store::upsert_category(&mut tx, &category, active).await?;
        let subject = format!("category:{}", saved.code);
        let audit = demand_events::audited(SERVICE, admin, "change", &subject, self.clock.now());
        bus::enqueue(&mut tx, &audit).await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(to_category(saved, active))
    }
}
