//! What the teleservices service does, one method per use: residents (and desk agents)
//! find a teleservice, open its form and submit it; agents handle the demands through
//! the shared `Demands` contract. Designers' work is in `design.rs`, drafts and their
//! files in `drafts.rs`, the protobuf views in `views.rs`.

use chrono::Duration;
use guichet_kit::{
    Clock, Owner, TrackingNumber,
    auth::{Caller, Claims, Role},
    bus,
    calendar::paris_date,
    demand::{
        self as shared, Error, Silo,
        access::{self, Access, ListScope},
        agent_author, audit, business_of, check_status_change, claim,
        events::{self as demand_events, Act, Filing, Subject},
        list,
        message::{self, Locked},
        parse_tracking, resident_author,
        retry::Retry,
        search::search_demands,
        status,
        timeline::{self, TimelineRow},
    },
    grpc::{TracedChannel, Violation},
    upload,
    validate::{is_email, is_french_phone},
};
use guichet_proto::{
    demand::v1::{
        ChangeStatusRequest, Channel, ClaimDemandRequest, Contact, Demand, DemandKind, Dossier,
        ListDemandsRequest, Piece, PostMessageRequest, SearchDemandsRequest, Status,
    },
    identity::v1::accounts_client::AccountsClient,
    names,
    teleservices::v1 as pb,
};
use serde_json::Value;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{
    form::{self, AttachmentMeta, Definition, ProfileAttribute},
    profile,
    store::{self, DemandRow, LiveRow, NewAttachment, NewDemand},
    views::{attachment_proto, catalog_entry, to_demand, unsigned},
};

pub(crate) const SERVICE: &str = "teleservices";
/// Demands, as the kit's shared demand steps write to them.
pub(crate) const SILO: Silo = Silo {
    service: SERVICE,
    kind: DemandKind::Teleservice,
    table: "demands",
    changed_at: None,
    // The answers hold the person's identity: the demand keeps its status and timeline.
    erased: Some("contact_name = '', data = '{}'"),
};
pub use crate::form::field::MAX_UPLOAD;
pub(crate) const MAX_UPLOADS_PER_DRAFT: usize = 30;
/// Documents sent after filing, on top of the draft's: enough for every piece asked.
pub(crate) const MAX_UPLOADS_PER_DEMAND: usize = 60;
/// Largest answers document (JSON text) kept in a draft or a demand.
pub(crate) const MAX_ANSWERS: usize = 512 * 1024;
/// The largest magnitude of a number kept in answers or a definition: 2^53 − 1, the
/// largest integer every client holds exactly (I-JSON, RFC 7493). PostgreSQL would keep
/// larger ones, but gives them back written out in full, and a double that large may no
/// longer read back: what was accepted must stay readable.
pub(crate) const MAX_NUMBER: f64 = 9_007_199_254_740_991.0;

#[derive(Clone)]
pub struct Teleservices {
    pub(crate) pool: PgPool,
    pub(crate) clock: Clock,
    pub(crate) accounts: AccountsClient<TracedChannel>,
}

/// The caller and the token they came with (to read their profile on their behalf).
pub struct Requester<'a> {
    pub caller: &'a Caller,
    pub token: Option<&'a str>,
}

impl Teleservices {
    pub fn new(pool: PgPool, clock: Clock, accounts: AccountsClient<TracedChannel>) -> Self {
        Self {
            pool,
            clock,
            accounts,
        }
    }

    // ------------------------------------------------------------------ everyone

    /// What the caller may file on their channel; designers may ask for everything.
    pub async fn list(
        &self,
        caller: &Caller,
        all: bool,
    ) -> Result<pb::ListTeleservicesResponse, Error> {
        if all {
            designer(caller)?;
            let mut teleservices = Vec::new();
            for t in store::all_teleservices(&self.pool).await? {
                teleservices.push(self.designer_view(&t.slug, None, false).await?);
            }
            return Ok(pb::ListTeleservicesResponse {
                entries: Vec::new(),
                teleservices,
            });
        }
        let channel = form_channel(caller.channel());
        let entries = store::live(&self.pool)
            .await?
            .into_iter()
            .filter(|t| visible(t, caller))
            .filter(|t| channel.is_some_and(|c| t.definition.0.accepts(c)))
            .map(|t| catalog_entry(&t))
            .collect();
        Ok(pb::ListTeleservicesResponse {
            entries,
            teleservices: Vec::new(),
        })
    }

    /// The form to fill: the live definition (or an older frozen version a draft was
    /// started on), with what the resident's profile prefills.
    pub async fn form(
        &self,
        who: &Requester<'_>,
        slug: &str,
        version: u32,
    ) -> Result<pb::Form, Error> {
        let (live, definition, version) = self.fillable(who.caller, slug, version).await?;
        let profile = self.profile(who).await?;
        let prefill = profile
            .as_deref()
            .map(|p| definition.prefill(p))
            .unwrap_or_default();
        let admission = if who.caller.agent().is_some() {
            form::Admission::Admitted
        } else {
            definition.audience.admits(profile.as_deref())
        };
        Ok(pb::Form {
            slug: live.slug,
            version: unsigned(version),
            definition_json: definition.to_json().to_string(),
            prefill_json: Value::Object(prefill.values).to_string(),
            read_only: prefill.read_only,
            admission: admission.message().unwrap_or_default().to_owned(),
            pilot: live.state == "pilot",
        })
    }

    /// A teleservice the caller may file now, on their channel, at `version` (0: live).
    pub(crate) async fn fillable(
        &self,
        caller: &Caller,
        slug: &str,
        version: u32,
    ) -> Result<(LiveRow, Definition, i32), Error> {
        let live = store::live_one(&self.pool, slug)
            .await?
            .filter(|t| visible(t, caller))
            // A pilot outside its audience does not exist for the caller.
            .ok_or(Error::NotFound)?;
        let channel = form_channel(caller.channel());
        if !channel.is_some_and(|c| live.definition.0.accepts(c)) {
            return Err(Error::Conflict(
                "Cette démarche ne se fait pas depuis ce canal.",
            ));
        }
        let version = match i32::try_from(version).unwrap_or(0) {
            0 => live.live_version,
            asked => asked,
        };
        let definition = if version == live.live_version {
            live.definition.0.clone()
        } else {
            let mut conn = self.pool.acquire().await?;
            store::version(&mut conn, live.id, version, true)
                .await?
                .ok_or_else(|| {
                    Error::field("version", "Cette version de la démarche n'existe pas.")
                })?
                .0
        };
        Ok((live, definition, version))
    }

    async fn profile(&self, who: &Requester<'_>) -> Result<Option<Vec<ProfileAttribute>>, Error> {
        match (who.caller.resident(), who.token) {
            (Some(_), Some(token)) => Ok(Some(profile::fetch(&self.accounts, token).await?)),
            _ => Ok(None),
        }
    }

    // ------------------------------------------------------------------ submitting

    /// Judges the answers against the exact version filled and files the demand: one
    /// transaction stores it, its first timeline entry and the event agents' feeds hear.
    #[tracing::instrument(name = "Submit a teleservice", skip_all, fields(tracking = tracing::field::Empty))]
    pub async fn submit(
        &self,
        who: &Requester<'_>,
        mut request: pb::SubmitRequest,
    ) -> Result<Demand, Error> {
        let caller = who.caller;
        let key = std::mem::take(&mut request.idempotency_key);
        let retry = Retry::of(caller, &key, &request)?;
        if let Some(retry) = &retry
            && let Some(earlier) = retry.earlier(&self.pool).await?
        {
            return self.load(&earlier).await;
        }
        let mut tx = self.pool.begin().await?;
        let draft = if request.draft_id.is_empty() {
            None
        } else {
            let draft = self
                .reach_draft(&mut tx, caller, &request.draft_id, true)
                .await?;
            if let Some(tracking) = &draft.tracking_number {
                // Sent twice (a retry from another channel): the demand it became.
                let tracking = tracking.clone();
                drop(tx);
                return self.load(&tracking).await;
            }
            Some(draft)
        };
        let (slug, version) = match &draft {
            Some(d) => (d.slug.clone(), unsigned(d.version)),
            None => (request.slug.clone(), request.version),
        };
        let (live, definition, version) = self.fillable(caller, &slug, version).await?;
        let profile = self.profile(who).await?;
        if caller.agent().is_none()
            && let Some(message) = definition.audience.admits(profile.as_deref()).message()
        {
            return Err(match caller.resident() {
                None => Error::Unauthenticated,
                Some(_) => Error::Forbidden(message),
            });
        }
        let mut data = match (&draft, request.data_json.trim()) {
            (Some(d), "") => d.data.0.clone(),
            _ => answers(&request.data_json)?,
        };
        if let Some(profile) = &profile {
            definition.prefill(profile).lock(&mut data);
        }
        let uploads = match &draft {
            Some(d) => store::draft_attachments(&mut tx, d.id).await?,
            None => Vec::new(),
        };
        let metas: Vec<AttachmentMeta> = uploads
            .iter()
            .map(|a| AttachmentMeta {
                id: a.id.to_string(),
                mime_type: a.mime_type.clone(),
                size: u64::try_from(a.size).unwrap_or(u64::MAX),
                sha256: a.sha256.clone(),
            })
            .collect();
        let now = self.clock.now();
        // Relative bounds (`today+15d`) count from the city's day, not UTC's.
        let clean = form::validate(&definition, &data, &metas, paris_date(now))
            .map_err(|faults| Error::Invalid(prefixed("data", faults)))?;
        let contact = request.contact.unwrap_or_default();
        check_contact(&contact)?;
        let business = business_of(caller, &request.siret)?;
        // A desk agent files for the resident they found; nobody else names an account.
        let on_behalf_of = caller
            .agent()
            .map(|_| request.resident_id.trim().to_owned())
            .filter(|r| !r.is_empty());

        let tracking = TrackingNumber::generate(Owner::Teleservices).to_string();
        tracing::Span::current().record(
            "tracking",
            guichet_kit::tracking::redacted(&tracking).as_str(),
        );
        let id = Uuid::now_v7();
        let due_at = now + Duration::days(i64::from(definition.sla_days));
        let theme = theme(&definition);
        let channel = caller.channel();
        let kept: Vec<Uuid> = clean
            .attachments
            .iter()
            .filter_map(|a| Uuid::parse_str(&a.id).ok())
            .collect();
        let data = clean.into_value();
        if let Some(retry) = &retry
            && !retry.record(&mut tx, &tracking).await?
        {
            // A concurrent retry with the same key won the race: answer with its demand.
            drop(tx);
            let earlier = retry.earlier(&self.pool).await?.ok_or(Error::NotFound)?;
            return self.load(&earlier).await;
        }
        store::insert_demand(
            &mut tx,
            &NewDemand {
                id,
                tracking_number: &tracking,
                teleservice: live.id,
                version,
                title: &definition.title,
                theme: &theme,
                department: &definition.department,
                data: &data,
                resident: on_behalf_of.as_deref().or(caller.resident()),
                contact: (
                    contact.name.trim(),
                    contact.email.trim(),
                    contact.phone.trim(),
                ),
                business: business.as_ref(),
                channel: &names::channel(channel),
                at: now,
                due_at,
            },
        )
        .await?;
        store::attach(&mut tx, id, &kept).await?;
        if let Some(d) = &draft {
            store::mark_submitted(&mut tx, d.id, &tracking).await?;
        }
        let author = match caller.agent() {
            Some(agent) => agent_author(agent),
            None => resident_author(caller),
        };
        let act = Act {
            author,
            channel,
            at: now,
        };
        let entry =
            TimelineRow::status_change(&act.author, channel, now, Status::Submitted, "", "");
        timeline::insert(&mut tx, id, &entry).await?;
        let subject = subject(&tracking, &definition.department, &definition.title, &theme);
        let filing = Filing {
            contact_email: contact.email.trim(),
            contact_phone: contact.phone.trim(),
            teleservice: &definition.slug,
            on_behalf_of: on_behalf_of.as_deref().unwrap_or_default(),
        };
        let event = demand_events::filed(&subject, &act, due_at, &filing);
        bus::enqueue(&mut tx, &event).await?;
        guichet_kit::bus::commit(tx).await?;
        tracing::info!(slug = %definition.slug, version, "teleservice demand filed");
        self.load(&tracking).await
    }

    // ------------------------------------------------------------------ handling

    async fn load(&self, tracking: &str) -> Result<Demand, Error> {
        let (demand, entries) = store::read(&self.pool, tracking)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(to_demand(&demand, &entries))
    }

    /// A demand for `caller`, if they may see it, with its dossier for those entitled
    /// (`proof`: the contact a holder of the number gives); agents' reads are audited.
    pub async fn read(
        &self,
        caller: &Caller,
        tracking: &str,
        proof: (&str, &str),
    ) -> Result<Demand, Error> {
        let tracking = parse_tracking(tracking)?;
        let (row, entries) = store::read(&self.pool, &tracking)
            .await?
            .ok_or(Error::NotFound)?;
        let access = self.audit_read(caller, &row).await?;
        let mut demand = to_demand(&row, &entries);
        if access::opens_dossier(
            access,
            row.resident_id.as_deref(),
            proof,
            (&row.contact_email, &row.contact_phone),
        ) {
            let mut conn = self.pool.acquire().await?;
            let data = store::demand_data(&mut conn, row.id).await?;
            let attachments = store::demand_attachments(&mut conn, row.id).await?;
            demand.dossier = Some(Dossier {
                contact: Some(Contact {
                    name: row.contact_name.clone(),
                    email: row.contact_email.clone(),
                    phone: row.contact_phone.clone(),
                }),
                answers_json: data.to_string(),
                pieces: attachments
                    .iter()
                    .map(|a| Piece {
                        id: a.id.to_string(),
                        filename: a.filename.clone(),
                        mime_type: a.mime_type.clone(),
                        size: u64::try_from(a.size).unwrap_or_default(),
                        sha256: a.sha256.clone(),
                    })
                    .collect(),
                ..Dossier::default()
            });
        }
        Ok(demand)
    }

    /// A document sent for a demand already filed — most often the piece an agent asked
    /// for: checked as an upload at filing is, kept with the demand's files, and written
    /// in the timeline; a resident's document answers a demand awaiting them, as a
    /// message does.
    #[tracing::instrument(name = "Add a document to a teleservice demand", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    pub async fn add_demand_attachment(
        &self,
        caller: &Caller,
        request: pb::AddDemandAttachmentRequest,
    ) -> Result<Demand, Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let mime_type = check_document(&request.content)?;
        // A photo or scan is stored, hashed and served without its metadata.
        let content = upload::strip_metadata(mime_type, request.content)
            .map_err(|refused| Error::field("content", refused.message()))?;
        // The note is optional; when there is one, it is a message like any other.
        let note = if request.text.trim().is_empty() {
            ""
        } else {
            shared::message_text(&request.text)?
        };
        let mut tx = self.pool.begin().await?;
        let demand = store::demand(&mut tx, &tracking, true)
            .await?
            .ok_or(Error::NotFound)?;
        // Reached first: a stranger learns nothing, not even that the demand is closed.
        access::reach(
            caller,
            demand.resident_id.as_deref(),
            &demand.department,
            &demand.theme,
        )?;
        if guichet_kit::contract::is_final(&demand.status) {
            return Err(Error::Conflict(
                "Cette demande est terminée : elle ne reçoit plus de documents.",
            ));
        }
        if store::demand_attachments(&mut tx, demand.id).await?.len() >= MAX_UPLOADS_PER_DEMAND {
            return Err(Error::field(
                "content",
                "Cette demande a atteint le nombre maximal de fichiers.",
            ));
        }
        let filename = upload::safe_name(&request.filename, "document", mime_type);
        let sha256 = upload::sha256_hex(&content);
        let now = self.clock.now();
        store::insert_attachment(
            &mut tx,
            &NewAttachment {
                id: Uuid::now_v7(),
                draft: None,
                demand: Some(demand.id),
                filename: &filename,
                mime_type,
                sha256: &sha256,
                content: &content,
                at: now,
            },
        )
        .await?;
        let text = if note.is_empty() {
            format!("Document ajouté : {filename}")
        } else {
            format!("Document ajouté : {filename}\n{note}")
        };
        message::post(&mut tx, &SILO, &locked(&demand), caller, &text, now).await?;
        guichet_kit::bus::commit(tx).await?;
        tracing::info!(mime_type, "document added to a demand");
        self.load(&tracking).await
    }

    async fn audit_read(&self, caller: &Caller, demand: &DemandRow) -> Result<Access, Error> {
        let access = access::reach(
            caller,
            demand.resident_id.as_deref(),
            &demand.department,
            &demand.theme,
        )?;
        let (tracking, now) = (&demand.tracking_number, self.clock.now());
        audit::read(&self.pool, &SILO, caller, access, "read", tracking, now).await?;
        Ok(access)
    }

    /// The answers and files of a demand, with the definition of the version filled.
    pub async fn answers(&self, caller: &Caller, tracking: &str) -> Result<pb::Answers, Error> {
        let tracking = parse_tracking(tracking)?;
        let mut conn = self.pool.acquire().await?;
        let demand = store::demand(&mut conn, &tracking, false)
            .await?
            .ok_or(Error::NotFound)?;
        self.audit_read(caller, &demand).await?;
        let data = store::demand_data(&mut conn, demand.id).await?;
        let attachments = store::demand_attachments(&mut conn, demand.id).await?;
        let definition = store::version(&mut conn, demand.teleservice_id, demand.version, false)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(pb::Answers {
            slug: demand.slug,
            version: unsigned(demand.version),
            data_json: data.to_string(),
            attachments: attachments.iter().map(attachment_proto).collect(),
            definition_json: definition.0.to_json().to_string(),
        })
    }

    pub async fn attachment(
        &self,
        caller: &Caller,
        request: &pb::GetAttachmentRequest,
    ) -> Result<pb::AttachmentContent, Error> {
        let mut conn = self.pool.acquire().await?;
        let owner = if request.draft_id.is_empty() {
            let tracking = parse_tracking(&request.tracking_number)?;
            let demand = store::demand(&mut conn, &tracking, false)
                .await?
                .ok_or(Error::NotFound)?;
            self.audit_read(caller, &demand).await?;
            store::AttachmentOwner::Demand(demand.id)
        } else {
            let draft = self
                .reach_draft(&mut conn, caller, &request.draft_id, false)
                .await?;
            store::AttachmentOwner::Draft(draft.id)
        };
        let id = Uuid::parse_str(request.attachment_id.trim()).map_err(|_| Error::NotFound)?;
        let (row, content) = store::attachment_content(&mut conn, owner, id)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(pb::AttachmentContent {
            attachment: Some(attachment_proto(&row)),
            content,
        })
    }

    pub async fn list_demands(
        &self,
        caller: &Caller,
        request: &ListDemandsRequest,
    ) -> Result<Vec<Demand>, Error> {
        let scope = ListScope::for_caller(caller, &request.department)?;
        let rows = store::demands(&self.pool, &list::Page::of(&scope, request)).await?;
        Ok(rows.iter().map(|d| to_demand(d, &[])).collect())
    }

    /// The desk's search over the teleservice demands the agent reaches; audited.
    pub async fn search(
        &self,
        caller: &Caller,
        request: &SearchDemandsRequest,
    ) -> Result<Vec<Demand>, Error> {
        let (pool, clock) = (&self.pool, &self.clock);
        // No agent reaches every demand: the departments and themes decide.
        let rows: Vec<DemandRow> =
            search_demands(pool, &SILO, clock, caller, request, false, store::SEARCH).await?;
        Ok(rows.iter().map(|d| to_demand(d, &[])).collect())
    }

    /// An agent takes (in progress), asks the resident (awaiting resident, with what
    /// to provide), accepts (resolved), rejects with a reason, or closes a demand.
    #[tracing::instrument(name = "Change a demand's status", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    pub async fn change_status(
        &self,
        caller: &Caller,
        request: ChangeStatusRequest,
    ) -> Result<Demand, Error> {
        let tracking = parse_tracking(&request.tracking_number)?;
        let status = Status::try_from(request.status).unwrap_or(Status::Unspecified);
        let mut tx = self.pool.begin().await?;
        let demand = store::demand(&mut tx, &tracking, true)
            .await?
            .ok_or(Error::NotFound)?;
        let agent = access::handling_agent(caller, &demand.department, &demand.theme)?;
        check_status_change(status, &request.reason)?;
        if guichet_kit::contract::is_final(&demand.status) {
            return Err(Error::Conflict(
                "Cette demande est terminée : son statut ne change plus.",
            ));
        }
        let sub_status = request.sub_status.trim();
        if !sub_status.is_empty() {
            let definition = store::version(&mut tx, demand.teleservice_id, demand.version, false)
                .await?
                .ok_or(Error::NotFound)?;
            let known = definition.0.find_sub_status(sub_status).is_some_and(|s| {
                serde_json::to_value(s.status).ok() == Some(Value::String(names::status(status)))
            });
            if !known {
                return Err(Error::field(
                    "sub_status",
                    "Ce sous-statut n'existe pas pour cette démarche et ce statut.",
                ));
            }
        }
        let change = status::Change {
            status,
            sub_status,
            reason: request.reason.trim(),
            at: self.clock.now(),
        };
        let locked = locked(&demand);
        status::change(&mut tx, &SILO, &locked, agent, caller.channel(), &change).await?;
        if status == Status::InProgress {
            store::take(&mut tx, demand.id, (&agent.sub, &agent.name)).await?;
        }
        guichet_kit::bus::commit(tx).await?;
        self.load(&tracking).await
    }

    /// A message in the timeline. When the demand waits for the resident, their answer
    /// (from any channel) hands it back to the agents: it is in progress again.
    #[tracing::instrument(name = "Post a message", skip_all, fields(tracking = %guichet_kit::tracking::redacted(&request.tracking_number)))]
    pub async fn post_message(
        &self,
        caller: &Caller,
        request: PostMessageRequest,
    ) -> Result<Demand, Error> {
        let (pool, clock) = (&self.pool, &self.clock);
        let tracking = message::post_message(pool, &SILO, clock, caller, &request, lock).await?;
        self.load(&tracking).await
    }

    /// Attaches a demand filed without an account to the calling resident, if the
    /// contact they give is the one left at filing. Every failure answers the same.
    pub async fn claim(
        &self,
        caller: &Caller,
        request: ClaimDemandRequest,
    ) -> Result<Demand, Error> {
        let (pool, clock) = (&self.pool, &self.clock);
        let tracking = claim::claim_demand(pool, &SILO, clock, caller, &request, lock).await?;
        self.load(&tracking).await
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }
}

/// Form designers and administrators shape the catalogue.
pub(crate) fn designer(caller: &Caller) -> Result<&Claims, Error> {
    match caller.claims() {
        None => Err(Error::Unauthenticated),
        Some(c) if c.role == Role::Agent && (c.has_role("form_designer") || c.is_admin()) => Ok(c),
        Some(_) => Err(Error::Forbidden(
            "Réservé aux concepteurs de formulaires de la ville.",
        )),
    }
}

/// Whether the caller may see a live teleservice: published for everyone, a pilot for
/// its audience only.
pub(crate) fn visible(t: &LiveRow, caller: &Caller) -> bool {
    match t.state.as_str() {
        "published" => true,
        "pilot" => t
            .pilot
            .as_ref()
            .is_some_and(|p| p.0.admits(&t.slug, caller)),
        _ => false,
    }
}

pub(crate) fn form_channel(channel: Channel) -> Option<form::Channel> {
    match channel {
        Channel::Web => Some(form::Channel::Web),
        Channel::App => Some(form::Channel::App),
        Channel::Kiosk => Some(form::Channel::Kiosk),
        Channel::Counter => Some(form::Channel::Counter),
        Channel::Phone => Some(form::Channel::Phone),
        Channel::System | Channel::Unspecified => None,
    }
}

/// The answers as a JSON object.
pub(crate) fn answers(json: &str) -> Result<Value, Error> {
    let json = json.trim();
    if json.is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    if json.len() > MAX_ANSWERS {
        return Err(Error::field("data", "Les réponses sont trop volumineuses."));
    }
    match serde_json::from_str::<Value>(json) {
        Ok(value @ Value::Object(_)) => match oversized_number(&value, "data") {
            Some(path) => Err(Error::field(&path, TOO_LARGE_NUMBER)),
            None => Ok(value),
        },
        _ => Err(Error::field(
            "data",
            "Les réponses doivent être un objet : identifiant du champ → réponse.",
        )),
    }
}

pub(crate) const TOO_LARGE_NUMBER: &str = "Ce nombre est trop grand pour être enregistré (9 007 199 254 740 991 au plus, en valeur absolue).";

/// The path (under `path`) of the first number of `value` beyond ±[`MAX_NUMBER`].
pub(crate) fn oversized_number(value: &Value, path: &str) -> Option<String> {
    let under = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        Value::Number(n) => n
            .as_f64()
            .is_none_or(|f| f.abs() > MAX_NUMBER)
            .then(|| path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| oversized_number(item, &format!("{path}[{i}]"))),
        Value::Object(members) => members
            .iter()
            .find_map(|(key, member)| oversized_number(member, &under(key))),
        _ => None,
    }
}

/// Validation paths are relative to the answers: `data.children[0].birthdate`.
pub(crate) fn prefixed(prefix: &str, faults: Vec<Violation>) -> Vec<Violation> {
    faults
        .into_iter()
        .map(|v| {
            let path = if v.field.is_empty() {
                prefix.to_owned()
            } else {
                format!("{prefix}.{}", v.field)
            };
            Violation::new(&path, &v.description)
        })
        .collect()
}

pub(crate) fn check_contact(contact: &pb::Contact) -> Result<(), Error> {
    let mut faults = Vec::new();
    let email = contact.email.trim();
    if !email.is_empty() && !is_email(email) {
        faults.push(Violation::new(
            "contact.email",
            "Cette adresse e-mail n'est pas valide.",
        ));
    }
    let phone = contact.phone.trim();
    if !phone.is_empty() && !is_french_phone(phone) {
        faults.push(Violation::new(
            "contact.phone",
            "Ce numéro de téléphone n'est pas valide (par exemple 06 12 34 56 78).",
        ));
    }
    if faults.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(faults))
    }
}

pub(crate) fn theme(definition: &Definition) -> String {
    format!("teleservice:{}", definition.theme)
}

pub(crate) fn subject<'a>(
    tracking: &'a str,
    department: &'a str,
    title: &'a str,
    theme: &'a str,
) -> Subject<'a> {
    Subject {
        service: SERVICE,
        tracking_number: tracking,
        kind: DemandKind::Teleservice,
        department,
        title,
        theme,
    }
}

/// A demand locked for a shared step.
pub(crate) fn locked(demand: &DemandRow) -> Locked {
    Locked {
        id: demand.id,
        tracking_number: demand.tracking_number.clone(),
        owner: demand.resident_id.clone(),
        status: demand.status.clone(),
        department: demand.department.clone(),
        title: demand.title.clone(),
        theme: demand.theme.clone(),
        contact_email: demand.contact_email.clone(),
        contact_phone: demand.contact_phone.clone(),
    }
}

/// A demand locked for one of the shared steps.
async fn lock(conn: &mut PgConnection, tracking: &str) -> anyhow::Result<Option<Locked>> {
    Ok(store::demand(conn, tracking, true)
        .await?
        .as_ref()
        .map(locked))
}

/// A document sent after filing: not empty, within the upload limit, and of a type a
/// piece may be (PDF, JPEG, PNG), judged from its bytes.
fn check_document(content: &[u8]) -> Result<&'static str, Error> {
    if content.is_empty() {
        return Err(Error::field("content", "Le fichier est vide."));
    }
    if content.len() > MAX_UPLOAD {
        return Err(Error::field(
            "content",
            "Le fichier dépasse la taille maximale de 10 Mo.",
        ));
    }
    upload::sniff_among(content, upload::DOCUMENTS).ok_or_else(|| {
        Error::field(
            "content",
            "Ce type de fichier n'est pas accepté : envoyez un PDF, un JPEG ou un PNG.",
        )
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn numbers_beyond_what_every_client_holds_exactly_are_named_by_their_path() {
        let answers =
            json!({"nom": "Durand", "enfants": [{"age": 3}, {"age": 1.7976931348623157e308}]});
        assert_eq!(
            oversized_number(&answers, "data").as_deref(),
            Some("data.enfants[1].age")
        );
        let definition = json!({"pages": [{"fields": [{"max": -9_007_199_254_740_992_i64}]}]});
        assert_eq!(
            oversized_number(&definition, "").as_deref(),
            Some("pages[0].fields[0].max")
        );
        assert_eq!(
            oversized_number(&json!(u64::MAX), "n").as_deref(),
            Some("n")
        );
    }

    #[test]
    fn ordinary_numbers_pass() {
        let answers =
            json!({"montant": 1234.56, "n": -9_007_199_254_740_991_i64, "x": 1e-300, "vide": []});
        assert_eq!(oversized_number(&answers, "data"), None);
    }
}
