//! The gRPC face of the service: agents' feeds (listed, streamed, counted, marked read),
//! residents' preferences, messages and deliveries, satisfaction and announcements, and
//! the export of what the service keeps about a resident (`Privacy`).
//! Every call verifies the caller's token itself.

use std::{collections::HashSet, pin::Pin, sync::Arc};

use anyhow::Context as _;
use guichet_kit::{
    Clock,
    auth::{Caller, Claims, Verifier, with_bearer},
    grpc::{TracedChannel, datetime, internal, timestamp},
};
use guichet_proto::{
    identity::v1::{GetProfileRequest, accounts_client::AccountsClient},
    names,
    notifications::v1::{
        self as pb, announcements_server::Announcements, feed_server::Feed,
        residents_server::Residents, satisfaction_server::Satisfaction,
    },
    privacy::v1::{ExportPersonalDataRequest, PersonalData, privacy_server::Privacy},
};
use sqlx::PgPool;
use tokio::sync::{broadcast::error::RecvError, mpsc};
use tokio_stream::{Stream, wrappers::ReceiverStream};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use crate::{
    announcements::{self, AnnouncementRow},
    error::Error,
    feed::{self, ItemRow, Mark, Scope},
    figures,
    live::Hub,
    privacy, residents, satisfaction,
    templates::{CHANNELS, TOPICS},
};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

/// What every RPC shares.
#[derive(Clone)]
pub struct Api {
    pub pool: PgPool,
    pub verifier: Verifier,
    pub hub: Hub,
    pub clock: Clock,
    /// Cancelled when the server shuts down: open streams end so shutdown never waits.
    pub stop: CancellationToken,
    /// The identity service, asked for a resident's contact with their own token.
    pub accounts: AccountsClient<TracedChannel>,
    pub replay_limit: i64,
}

impl Api {
    async fn caller<T>(&self, request: &Request<T>) -> Result<Caller, Status> {
        self.verifier.caller(request.metadata()).await
    }

    async fn agent<T>(&self, request: &Request<T>) -> Result<Claims, Status> {
        let caller = self.caller(request).await?;
        Ok(caller.require_agent()?.clone())
    }

    async fn resident<T>(&self, request: &Request<T>) -> Result<(String, Option<String>), Status> {
        let caller = self.caller(request).await?;
        match caller.resident() {
            Some(account) => Ok((
                account.to_owned(),
                guichet_kit::auth::bearer(request.metadata())
                    .ok()
                    .flatten()
                    .map(str::to_owned),
            )),
            None if caller.claims().is_none() => Err(Error::Unauthenticated.into()),
            None => Err(Error::Forbidden("Cet espace est réservé aux usagers.").into()),
        }
    }
}

fn item(row: ItemRow) -> pb::FeedItem {
    pb::FeedItem {
        id: row.id.to_string(),
        kind: names::parse_kind(&row.kind).unwrap_or_default() as i32,
        department: row.department,
        tracking_number: row.tracking_number,
        event_type: row.event_type,
        title: row.title,
        at: Some(timestamp(row.at)),
        theme: row.theme,
        seq: u64::try_from(row.seq).unwrap_or_default(),
        read: row.read,
    }
}

type FeedStream = Pin<Box<dyn Stream<Item = Result<pb::FeedItem, Status>> + Send>>;

#[tonic::async_trait]
impl Feed for Api {
    async fn list_feed(
        &self,
        request: Request<pb::ListFeedRequest>,
    ) -> Result<Response<pb::ListFeedResponse>, Status> {
        let agent = self.agent(&request).await?;
        let request = request.into_inner();
        // An agent reads the feeds of their own departments, and of the themes they handle.
        let (departments, themes) = if request.departments.is_empty() {
            (agent.departments.clone(), agent.themes.clone())
        } else if request
            .departments
            .iter()
            .all(|d| agent.departments.contains(d))
        {
            (request.departments, Vec::new())
        } else {
            return Err(Status::permission_denied(
                "Ce fil relève d'un autre service.",
            ));
        };
        let limit = match request.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let scope = Scope {
            agent: &agent.sub,
            departments: &departments,
            themes: &themes,
        };
        let before = request
            .before_at
            .as_ref()
            .and_then(datetime)
            .map(|at| (at, i64::try_from(request.before_seq).unwrap_or(i64::MAX)));
        let rows = feed::list(
            &self.pool,
            &scope,
            request.tab.trim(),
            request.unread_only,
            before,
            i64::from(limit),
        )
        .await
        .map_err(|e| internal(&e))?;
        Ok(Response::new(pb::ListFeedResponse {
            items: rows.into_iter().map(item).collect(),
        }))
    }

    type StreamFeedStream = FeedStream;

    async fn stream_feed(
        &self,
        request: Request<pb::StreamFeedRequest>,
    ) -> Result<Response<Self::StreamFeedStream>, Status> {
        let agent = self.agent(&request).await?;
        let after = i64::try_from(request.into_inner().after).unwrap_or(i64::MAX);
        // Subscribe before replaying, so nothing committed in between is missed.
        let live = self.hub.subscribe();
        let replay = if after > 0 {
            feed::after(
                &self.pool,
                &agent.departments,
                &agent.themes,
                after,
                self.replay_limit,
            )
            .await
            .map_err(|e| internal(&e))?
        } else {
            Vec::new()
        };
        let (sender, receiver) = mpsc::channel(64);
        tokio::spawn(forward(
            self.pool.clone(),
            agent,
            replay,
            live,
            sender,
            self.stop.clone(),
        ));
        Ok(Response::new(Box::pin(ReceiverStream::new(receiver))))
    }

    async fn unread_counts(
        &self,
        request: Request<pb::UnreadCountsRequest>,
    ) -> Result<Response<pb::UnreadCountsResponse>, Status> {
        let agent = self.agent(&request).await?;
        let scope = Scope {
            agent: &agent.sub,
            departments: &agent.departments,
            themes: &agent.themes,
        };
        let (tabs, total) = feed::unread_counts(&self.pool, &scope)
            .await
            .map_err(|e| internal(&e))?;
        let count = |n: i64| u32::try_from(n).unwrap_or(u32::MAX);
        Ok(Response::new(pb::UnreadCountsResponse {
            tabs: tabs
                .into_iter()
                .map(|(tab, n)| pb::TabCount {
                    tab,
                    unread: count(n),
                })
                .collect(),
            total: count(total),
        }))
    }

    async fn mark_read(
        &self,
        request: Request<pb::MarkReadRequest>,
    ) -> Result<Response<pb::MarkReadResponse>, Status> {
        let agent = self.agent(&request).await?;
        let request = request.into_inner();
        let mark = if request.all {
            Mark::UpTo {
                tab: request.tab.trim().to_owned(),
                seq: match request.up_to_seq {
                    0 => i64::MAX,
                    n => i64::try_from(n).unwrap_or(i64::MAX),
                },
            }
        } else {
            let ids = request
                .ids
                .iter()
                .map(|id| id.parse::<Uuid>())
                .collect::<Result<Vec<_>, _>>()
                .map_err(|_| Error::field("ids", "Identifiant d'élément invalide."))?;
            Mark::Items(ids)
        };
        let scope = Scope {
            agent: &agent.sub,
            departments: &agent.departments,
            themes: &agent.themes,
        };
        let marked = feed::mark_read(&self.pool, &scope, &mark, self.clock.now())
            .await
            .map_err(|e| internal(&e))?;
        Ok(Response::new(pb::MarkReadResponse {
            marked: u32::try_from(marked).unwrap_or(u32::MAX),
        }))
    }
}

/// Feeds one agent's stream: the replay, then live items they may see, until the
/// client leaves or the server stops. Items already replayed are not sent twice; a
/// stream that fell behind catches up from the table.
async fn forward(
    pool: PgPool,
    agent: Claims,
    replay: Vec<ItemRow>,
    mut live: tokio::sync::broadcast::Receiver<Arc<ItemRow>>,
    sender: mpsc::Sender<Result<pb::FeedItem, Status>>,
    stop: CancellationToken,
) {
    let mut sent: HashSet<i64> = HashSet::new();
    let mut last = 0;
    for row in replay {
        last = last.max(row.seq);
        sent.insert(row.seq);
        if sender.send(Ok(item(row))).await.is_err() {
            return;
        }
    }
    loop {
        let received = tokio::select! {
            () = stop.cancelled() => return,
            () = sender.closed() => return,
            received = live.recv() => received,
        };
        let rows = match received {
            Ok(row) => vec![(*row).clone()],
            Err(RecvError::Lagged(_)) => {
                match feed::after(&pool, &agent.departments, &agent.themes, last, 1_000).await {
                    Ok(rows) => rows,
                    Err(error) => {
                        tracing::warn!(
                            error = format!("{error:#}"),
                            "a lagging feed stream could not catch up"
                        );
                        return;
                    }
                }
            }
            Err(RecvError::Closed) => return,
        };
        for row in rows {
            if !row.visible_to(&agent.departments, &agent.themes) || !sent.insert(row.seq) {
                continue;
            }
            last = last.max(row.seq);
            if sender.send(Ok(item(row))).await.is_err() {
                return;
            }
        }
    }
}

/// `jeanne@example.org` → `j•••@example.org`; `06 12 34 56 78` → `06 •• •• •• 78`.
pub fn mask(channel: &str, recipient: &str) -> String {
    match channel {
        "email" => match recipient.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}•••@{domain}")
            }
            None => "•••".to_owned(),
        },
        "sms" => {
            let digits: Vec<char> = recipient.chars().filter(char::is_ascii_digit).collect();
            if digits.len() < 4 {
                return "•••".to_owned();
            }
            let head: String = digits[..2].iter().collect();
            let tail: String = digits[digits.len() - 2..].iter().collect();
            format!("{head} •• •• •• {tail}")
        }
        "app" => "espace usager".to_owned(),
        _ => "•••".to_owned(),
    }
}

impl Api {
    /// Refreshes what the service knows of an account's contact from the identity
    /// service, asked with the resident's own token. Best effort: preferences still
    /// answer when identity is down.
    async fn refresh_contact(&self, account: &str, token: Option<&str>) {
        let request = with_bearer(Request::new(GetProfileRequest {}), token);
        let profile = match self.accounts.clone().get_profile(request).await {
            Ok(profile) => profile.into_inner(),
            Err(status) => {
                tracing::warn!(%status, "cannot read the resident's profile");
                return;
            }
        };
        let attribute = |name: &str| {
            profile
                .attributes
                .iter()
                .find(|a| a.name == name)
                .map(|a| a.value.trim().to_owned())
                .unwrap_or_default()
        };
        let phone = attribute("phone");
        let preferred: Vec<String> = attribute("preferred_channels")
            .split(',')
            .map(str::trim)
            .filter(|c| CHANNELS.contains(c))
            .map(str::to_owned)
            .collect();
        let stored = sqlx::query(
            // The profile is the address as of now: an older e-mail request heard later
            // must not replace it (`email_at`).
            "INSERT INTO accounts (account_id, email, email_at, phone, preferred_channels, updated_at)
             VALUES ($1, $2, $5, $3, $4, $5)
             ON CONFLICT (account_id) DO UPDATE SET email = $2, email_at = $5, phone = $3,
                 preferred_channels = $4, updated_at = $5",
        )
        .bind(account)
        .bind(&profile.email)
        .bind(&phone)
        .bind(Some(preferred).filter(|p| !p.is_empty()))
        .bind(self.clock.now())
        .execute(&self.pool)
        .await;
        if let Err(error) = stored {
            tracing::warn!(%error, "cannot record the resident's contact");
        }
    }

    async fn preferences(&self, account: &str) -> Result<pb::Preferences, Error> {
        let mut conn = self.pool.acquire().await.context("connecting")?;
        let mut preferences = Vec::new();
        for topic in TOPICS {
            preferences.push(pb::Preference {
                topic: (*topic).to_owned(),
                channels: residents::channels_for(&mut conn, account, topic).await?,
            });
        }
        let contact: Option<(String, String)> =
            sqlx::query_as("SELECT email, phone FROM accounts WHERE account_id = $1")
                .bind(account)
                .fetch_optional(&mut *conn)
                .await
                .context("reading the contact")?;
        let (email, phone) = contact.unwrap_or_default();
        Ok(pb::Preferences {
            preferences,
            email: if email.is_empty() {
                email
            } else {
                mask("email", &email)
            },
            phone: if phone.is_empty() {
                phone
            } else {
                mask("sms", &phone)
            },
        })
    }
}

#[tonic::async_trait]
impl Residents for Api {
    async fn get_preferences(
        &self,
        request: Request<pb::GetPreferencesRequest>,
    ) -> Result<Response<pb::Preferences>, Status> {
        let (account, token) = self.resident(&request).await?;
        self.refresh_contact(&account, token.as_deref()).await;
        Ok(Response::new(self.preferences(&account).await?))
    }

    async fn set_preferences(
        &self,
        request: Request<pb::SetPreferencesRequest>,
    ) -> Result<Response<pb::Preferences>, Status> {
        let (account, token) = self.resident(&request).await?;
        let request = request.into_inner();
        let mut problems = Vec::new();
        for (i, preference) in request.preferences.iter().enumerate() {
            if !TOPICS.contains(&preference.topic.as_str()) {
                problems.push(guichet_kit::grpc::Violation::new(
                    &format!("preferences[{i}].topic"),
                    "Sujet inconnu.",
                ));
            }
            if preference
                .channels
                .iter()
                .any(|c| !CHANNELS.contains(&c.as_str()))
            {
                problems.push(guichet_kit::grpc::Violation::new(
                    &format!("preferences[{i}].channels"),
                    "Canaux possibles : email, sms, app.",
                ));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems).into());
        }
        self.refresh_contact(&account, token.as_deref()).await;
        let mut tx = self.pool.begin().await.map_err(|e| internal(&e.into()))?;
        for preference in &request.preferences {
            let mut channels: Vec<String> = Vec::new();
            for channel in &preference.channels {
                if !channels.contains(channel) {
                    channels.push(channel.clone());
                }
            }
            sqlx::query(
                "INSERT INTO preferences (account_id, topic, channels) VALUES ($1, $2, $3)
                 ON CONFLICT (account_id, topic) DO UPDATE SET channels = $3",
            )
            .bind(&account)
            .bind(&preference.topic)
            .bind(&channels)
            .execute(&mut *tx)
            .await
            .map_err(|e| internal(&e.into()))?;
        }
        guichet_kit::bus::commit(tx)
            .await
            .map_err(|e| internal(&e.into()))?;
        Ok(Response::new(self.preferences(&account).await?))
    }

    async fn list_messages(
        &self,
        request: Request<pb::ListMessagesRequest>,
    ) -> Result<Response<pb::ListMessagesResponse>, Status> {
        let (account, _) = self.resident(&request).await?;
        let request = request.into_inner();
        let limit = match request.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let before_at = request.before_at.as_ref().and_then(datetime);
        // A cursor names a message this list gave; another key resumes nowhere.
        let before_id = Uuid::parse_str(&request.before_id).unwrap_or(Uuid::nil());
        let rows: Vec<(
            Uuid,
            String,
            String,
            String,
            String,
            chrono::DateTime<chrono::Utc>,
        )> = sqlx::query_as(
            "SELECT id, tracking_number, subject, body, link, at FROM messages
                 WHERE account_id = $1 AND ($3::timestamptz IS NULL OR (at, id) < ($3, $4))
                 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(&account)
        .bind(i64::from(limit))
        .bind(before_at)
        .bind(before_id)
        .fetch_all(&self.pool)
        .await
        .map_err(|e| internal(&e.into()))?;
        Ok(Response::new(pb::ListMessagesResponse {
            messages: rows
                .into_iter()
                .map(
                    |(id, tracking_number, subject, body, link, at)| pb::InAppMessage {
                        id: id.to_string(),
                        tracking_number,
                        subject,
                        body,
                        link,
                        at: Some(timestamp(at)),
                    },
                )
                .collect(),
        }))
    }

    async fn list_deliveries(
        &self,
        request: Request<pb::ListDeliveriesRequest>,
    ) -> Result<Response<pb::ListDeliveriesResponse>, Status> {
        let agent = self.agent(&request).await?;
        let tracking = guichet_kit::demand::parse_tracking(&request.into_inner().tracking_number)?;
        let mut conn = self.pool.acquire().await.map_err(|e| internal(&e.into()))?;
        let Some(demand) = residents::demand(&mut conn, &tracking)
            .await
            .map_err(|e| internal(&e))?
        else {
            return Err(Error::NotFound("Aucune demande ne correspond à ce numéro.").into());
        };
        if !agent.handles(&demand.department, &demand.theme) {
            return Err(Error::Forbidden("Cette demande relève d'un autre service.").into());
        }
        type Row = (
            Uuid,
            String,
            String,
            String,
            i32,
            String,
            String,
            String,
            chrono::DateTime<chrono::Utc>,
            Option<chrono::DateTime<chrono::Utc>>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, channel, recipient, status, attempts, last_error, subject, event_type,
                 created_at, sent_at
             FROM deliveries WHERE tracking_number = $1 ORDER BY created_at, id",
        )
        .bind(&tracking)
        .fetch_all(&mut *conn)
        .await
        .map_err(|e| internal(&e.into()))?;
        Ok(Response::new(pb::ListDeliveriesResponse {
            deliveries: rows
                .into_iter()
                .map(
                    |(
                        id,
                        channel,
                        recipient,
                        status,
                        attempts,
                        last_error,
                        subject,
                        event_type,
                        created_at,
                        sent_at,
                    )| {
                        pb::Delivery {
                            id: id.to_string(),
                            recipient: mask(&channel, &recipient),
                            channel,
                            status,
                            attempts: u32::try_from(attempts).unwrap_or(0),
                            last_error,
                            subject,
                            event_type,
                            created_at: Some(timestamp(created_at)),
                            sent_at: sent_at.map(timestamp),
                        }
                    },
                )
                .collect(),
        }))
    }
}

#[tonic::async_trait]
impl Satisfaction for Api {
    async fn rate(
        &self,
        request: Request<pb::RateRequest>,
    ) -> Result<Response<pb::Rating>, Status> {
        let caller = self.caller(&request).await?;
        let request = request.into_inner();
        let tracking = guichet_kit::demand::parse_tracking(&request.tracking_number)?;
        let row = satisfaction::rate(
            &self.pool,
            &caller,
            &tracking,
            request.score,
            &request.comment,
            self.clock.now(),
        )
        .await?;
        Ok(Response::new(rating(row)))
    }

    async fn get_rating(
        &self,
        request: Request<pb::GetRatingRequest>,
    ) -> Result<Response<pb::Rating>, Status> {
        let caller = self.caller(&request).await?;
        let tracking = guichet_kit::demand::parse_tracking(&request.get_ref().tracking_number)?;
        let row = satisfaction::rating(&self.pool, &caller, &tracking).await?;
        Ok(Response::new(rating(row)))
    }

    async fn get_figures(
        &self,
        request: Request<pb::GetFiguresRequest>,
    ) -> Result<Response<pb::Figures>, Status> {
        let agent = self.agent(&request).await?;
        let request = request.into_inner();
        // Administrators and the MRU's supervisors oversee the whole city.
        let whole_city = agent.is_admin() || (agent.has_role("supervisor") && agent.at_desk());
        if !whole_city && !agent.has_role("supervisor") {
            return Err(Error::Forbidden("Réservé aux responsables de service.").into());
        }
        let asked = request.department.trim();
        let departments = if !asked.is_empty() {
            if !whole_city && !agent.departments.iter().any(|d| d == asked) {
                return Err(Error::Forbidden("Ce service n'est pas le vôtre.").into());
            }
            Some(vec![asked.to_owned()])
        } else if whole_city {
            None
        } else {
            Some(agent.departments.clone())
        };
        let weeks = match request.weeks {
            0 => 12,
            n => n.min(104),
        };
        let report = figures::report(&self.pool, departments.as_deref(), weeks, self.clock.now())
            .await
            .map_err(|e| internal(&e))?;
        let count = |n: i64| u32::try_from(n).unwrap_or(0);
        let group = |g: figures::Group| pb::FiguresGroup {
            key: g.key,
            label: g.label,
            received: count(g.received),
            answered: count(g.answered),
            answered_on_time: count(g.answered_on_time),
            open: count(g.open),
            overdue: count(g.overdue),
            median_days_to_answer: g.median_days_to_answer,
            ratings: count(g.ratings),
            average_rating: g.average_rating,
        };
        Ok(Response::new(pb::Figures {
            weeks: report
                .weeks
                .into_iter()
                .map(|w| pb::FiguresWeek {
                    starts_on: w.starts_on.to_string(),
                    received: count(w.received),
                    answered: count(w.answered),
                    answered_on_time: count(w.answered_on_time),
                })
                .collect(),
            departments: report.departments.into_iter().map(group).collect(),
            teleservices: report.teleservices.into_iter().map(group).collect(),
        }))
    }

    async fn get_satisfaction(
        &self,
        request: Request<pb::GetSatisfactionRequest>,
    ) -> Result<Response<pb::SatisfactionReport>, Status> {
        let agent = self.agent(&request).await?;
        if !agent.is_admin() {
            return Err(Error::Forbidden("Cet espace est réservé aux administrateurs.").into());
        }
        let report = satisfaction::report(&self.pool)
            .await
            .map_err(|e| internal(&e))?;
        let count = |n: i64| u32::try_from(n).unwrap_or(0);
        let group = |g: satisfaction::Group| pb::SatisfactionGroup {
            key: g.key,
            label: g.label,
            count: count(g.count),
            average: (g.average * 100.0).round() / 100.0,
            distribution: g.distribution.iter().map(|n| count(*n)).collect(),
            invited: count(g.invited),
        };
        Ok(Response::new(pb::SatisfactionReport {
            overall: Some(group(report.overall)),
            departments: report.departments.into_iter().map(group).collect(),
            teleservices: report.teleservices.into_iter().map(group).collect(),
        }))
    }
}

fn announcement(row: AnnouncementRow) -> pb::Announcement {
    pb::Announcement {
        id: row.id.to_string(),
        title: row.title,
        body: row.body,
        audience: row.audience,
        channels: row.channels,
        valid_from: Some(timestamp(row.valid_from)),
        valid_until: Some(timestamp(row.valid_until)),
        published_at: Some(timestamp(row.published_at)),
        updated_at: Some(timestamp(row.updated_at)),
        author_name: row.author_name,
    }
}

#[tonic::async_trait]
impl Announcements for Api {
    async fn publish(
        &self,
        request: Request<pb::PublishAnnouncementRequest>,
    ) -> Result<Response<pb::Announcement>, Status> {
        let agent = self.agent(&request).await?;
        let request = request.into_inner();
        let draft = announcements::Draft {
            title: request.title,
            body: request.body,
            audience: if request.audience.trim().is_empty() {
                "everyone".to_owned()
            } else {
                request.audience.trim().to_owned()
            },
            channels: request.channels,
            valid_from: request.valid_from.as_ref().and_then(datetime),
            valid_until: request.valid_until.as_ref().and_then(datetime),
        };
        let row = announcements::publish(&self.pool, &agent, &draft, self.clock.now()).await?;
        tracing::info!(announcement = %row.id, "announcement published");
        Ok(Response::new(announcement(row)))
    }

    async fn list_current(
        &self,
        request: Request<pb::ListAnnouncementsRequest>,
    ) -> Result<Response<pb::ListAnnouncementsResponse>, Status> {
        let request = request.into_inner();
        let rows = announcements::current(
            &self.pool,
            self.clock.now(),
            request.channel.trim(),
            request.audience.trim(),
        )
        .await
        .map_err(|e| internal(&e))?;
        Ok(Response::new(pb::ListAnnouncementsResponse {
            announcements: rows.into_iter().map(announcement).collect(),
        }))
    }

    async fn list_all(
        &self,
        request: Request<pb::ListAllAnnouncementsRequest>,
    ) -> Result<Response<pb::ListAnnouncementsResponse>, Status> {
        let agent = self.agent(&request).await?;
        announcements::may_publish(&agent)?;
        let rows = announcements::all(&self.pool)
            .await
            .map_err(|e| internal(&e))?;
        Ok(Response::new(pb::ListAnnouncementsResponse {
            announcements: rows.into_iter().map(announcement).collect(),
        }))
    }

    async fn withdraw(
        &self,
        request: Request<pb::WithdrawAnnouncementRequest>,
    ) -> Result<Response<pb::Announcement>, Status> {
        let agent = self.agent(&request).await?;
        announcements::may_publish(&agent)?;
        let unknown = || Error::NotFound("Aucune annonce ne correspond à cet identifiant.");
        let id = uuid::Uuid::parse_str(request.get_ref().id.trim()).map_err(|_| unknown())?;
        let row = announcements::withdraw(&self.pool, id, self.clock.now())
            .await
            .map_err(|e| internal(&e))?
            .ok_or_else(unknown)?;
        tracing::info!(announcement = %row.id, "announcement withdrawn");
        Ok(Response::new(announcement(row)))
    }

    async fn get(
        &self,
        request: Request<pb::GetAnnouncementRequest>,
    ) -> Result<Response<pb::Announcement>, Status> {
        let unknown = || Error::NotFound("Aucune annonce ne correspond à cet identifiant.");
        let id = uuid::Uuid::parse_str(request.get_ref().id.trim()).map_err(|_| unknown())?;
        let row = announcements::get(&self.pool, id)
            .await
            .map_err(|e| internal(&e))?
            .ok_or_else(unknown)?;
        Ok(Response::new(announcement(row)))
    }
}

#[tonic::async_trait]
impl Privacy for Api {
    /// Everything kept about the calling resident, addresses in full: it is their own.
    #[tracing::instrument(name = "Export a resident's notifications data", skip_all)]
    async fn export_personal_data(
        &self,
        request: Request<ExportPersonalDataRequest>,
    ) -> Result<Response<PersonalData>, Status> {
        let (account, _) = self.resident(&request).await?;
        let json = privacy::export(&self.pool, &account)
            .await
            .map_err(Error::from)?;
        Ok(Response::new(PersonalData {
            service: "notifications".to_owned(),
            json,
        }))
    }
}

fn rating(row: satisfaction::RatingRow) -> pb::Rating {
    pb::Rating {
        tracking_number: row.tracking_number,
        score: u32::try_from(row.score).unwrap_or(0),
        comment: row.comment,
        at: Some(timestamp(row.at)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_shown_to_agents_are_masked() {
        assert_eq!(mask("email", "jeanne@example.org"), "j•••@example.org");
        assert_eq!(mask("sms", "06 12 34 56 78"), "06 •• •• •• 78");
        assert_eq!(mask("app", "0190-…"), "espace usager");
    }
}
