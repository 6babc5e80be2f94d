//! Residents hear about their demands. The `notifications.residents` consumer keeps what
//! the service knows of each demand (whom to tell: an account, or the contact left by a
//! resident without one), and turns each event into one delivery per recipient and
//! channel the resident chose, written in the transaction that records the event in the
//! inbox. The unique key (event, recipient, channel) means a redelivered event or a
//! restarted consumer never queues a second copy; [`crate::delivery`] sends them.
//!
//! Identity's e-mails (address verification, password reset) go through here too. Their
//! events carry a link request, never the link: the delivery keeps the message with a
//! slot for the link and the request's id, and the link is asked for when it is sent
//! ([`crate::links`]).
//!
//! Events arrive in any order (several relays, retries through the delay queues), and
//! each keeps its effect whatever came before it:
//! - a status change or an agent's message before the demand's filing fails, so the
//!   consumer retries it once the filing has told whom to tell;
//! - an older event never overwrites what a newer one said (the filing's « déposée »
//!   after a resolution, an old department after a reassignment), and a claim's account
//!   survives a filing that arrives after it;
//! - an account's erasure holds against events about it that arrive after it.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::{
    Clock,
    bus::{Event, Handler},
    grpc::datetime,
};
use guichet_proto::{
    complaints::v1::FollowerOutcome,
    demand::v1::{AuthorRole, DemandKind, Status},
    events::v1::{
        AccountErased, AccountVerificationRequested, ComplaintFiled, DemandClaimed, DemandFiled,
        DemandMessagePosted, DemandStatusChanged, PasswordResetRequested,
    },
    names,
    prost_types::Timestamp,
};
use sqlx::PgConnection;
use uuid::Uuid;

use crate::{
    config::PublicUrl,
    figures, grouping,
    queue::{Target, queue_grouped},
    templates::{self, About, Entry, Rendered},
};

/// Channels of a topic the resident has no preference for: the profile's
/// `preferred_channels`, or e-mail and the resident's space.
pub const DEFAULT_CHANNELS: &[&str] = &["email", "app"];

/// The consumer's handler.
pub struct Notifier {
    pub public_url: PublicUrl,
    pub clock: Clock,
    /// How long an agent's entries wait for the next one ([`crate::grouping`]).
    pub window: grouping::Window,
}

/// What the service knows of a demand.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DemandRow {
    pub tracking_number: String,
    pub kind: String,
    pub department: String,
    pub theme: String,
    pub title: String,
    pub teleservice: String,
    pub status: String,
    pub account_id: Option<String>,
    pub contact_email: String,
    pub contact_phone: String,
}

/// A demand as an event describes it.
struct Seen<'a> {
    tracking_number: &'a str,
    kind: DemandKind,
    department: &'a str,
    theme: &'a str,
    title: &'a str,
    /// A status change; `None` for other events, the filing included (a new row starts
    /// `submitted`).
    status: Option<Status>,
    /// When the event happened: of two events, the later one's description wins.
    at: DateTime<Utc>,
    /// Whether this is the demand's filing, which says whom to tell.
    filing: bool,
}

/// When what an event tells happened: its own timestamp, else its CloudEvents `time`.
fn happened(event: &Event, at: Option<&Timestamp>) -> DateTime<Utc> {
    at.and_then(datetime).unwrap_or(event.time)
}

impl Handler for Notifier {
    #[tracing::instrument(name = "Notify the resident", skip_all)]
    async fn handle(&self, conn: &mut PgConnection, event: &Event) -> anyhow::Result<()> {
        let verb = event.kind.split_once('.').map_or("", |(_, verb)| verb);
        let now = self.clock.now();
        match verb {
            "complaint.filed" => {
                let filed: ComplaintFiled = event.decode()?;
                let title = if filed.address.is_empty() {
                    filed.category_label.clone()
                } else {
                    format!("{} — {}", filed.category_label, filed.address)
                };
                let theme = format!("complaint:{}", filed.category);
                let seen = Seen {
                    tracking_number: &filed.tracking_number,
                    kind: DemandKind::Complaint,
                    department: &filed.department,
                    theme: &theme,
                    title: &title,
                    status: None,
                    at: happened(event, filed.filed_at.as_ref()),
                    filing: true,
                };
                let recipient = Recipient {
                    account_id: &filed.account_id,
                    email: &filed.contact_email,
                    phone: &filed.contact_phone,
                    teleservice: "",
                };
                self.filed(conn, event, &seen, &recipient, now).await?;
                let counted = figures::Filed {
                    tracking_number: &filed.tracking_number,
                    kind: "complaint",
                    department: &filed.department,
                    teleservice: "",
                    teleservice_label: "",
                    filed_at: filed.filed_at.as_ref().and_then(datetime),
                    due_at: filed.due_at.as_ref().and_then(datetime),
                };
                figures::filed(conn, &counted).await?;
            }
            "demand.filed" => {
                let filed: DemandFiled = event.decode()?;
                let seen = Seen {
                    tracking_number: &filed.tracking_number,
                    kind: DemandKind::try_from(filed.kind).unwrap_or_default(),
                    department: &filed.department,
                    theme: &filed.theme,
                    title: &filed.title,
                    status: None,
                    at: happened(event, filed.filed_at.as_ref()),
                    filing: true,
                };
                let recipient = Recipient {
                    account_id: &filed.account_id,
                    email: &filed.contact_email,
                    phone: &filed.contact_phone,
                    teleservice: &filed.teleservice,
                };
                self.filed(conn, event, &seen, &recipient, now).await?;
                let kind = names::kind(DemandKind::try_from(filed.kind).unwrap_or_default());
                let counted = figures::Filed {
                    tracking_number: &filed.tracking_number,
                    kind: &kind,
                    department: &filed.department,
                    teleservice: &filed.teleservice,
                    // A teleservice demand's title is its teleservice's.
                    teleservice_label: &filed.title,
                    filed_at: filed.filed_at.as_ref().and_then(datetime),
                    due_at: filed.due_at.as_ref().and_then(datetime),
                };
                figures::filed(conn, &counted).await?;
            }
            "demand.status_changed" => {
                let changed: DemandStatusChanged = event.decode()?;
                wait_for_filing(conn, &changed.tracking_number).await?;
                let status = Status::try_from(changed.status).unwrap_or_default();
                let seen = Seen {
                    tracking_number: &changed.tracking_number,
                    kind: DemandKind::try_from(changed.kind).unwrap_or_default(),
                    department: &changed.department,
                    theme: &changed.theme,
                    title: &changed.title,
                    status: Some(status),
                    at: happened(event, changed.at.as_ref()),
                    filing: false,
                };
                upsert(conn, &seen, now).await?;
                if matches!(status, Status::Resolved | Status::Rejected | Status::Closed) {
                    figures::answered(conn, &changed.tracking_number, seen.at).await?;
                }
                let invite = matches!(status, Status::Resolved | Status::Closed)
                    && invite_to_rate(conn, &changed.tracking_number, now).await?;
                let topic = templates::status_topic(status);
                let entry = Entry::Status {
                    status: names::status(status),
                    reason: changed.reason.clone(),
                    invite,
                };
                // The resident must hear at once of an outcome, or of questions they
                // must answer: the agent's earlier entries go with it.
                let flush = matches!(
                    status,
                    Status::Resolved | Status::Rejected | Status::Closed | Status::AwaitingResident
                );
                let by = grouping::author(changed.author.as_ref());
                self.notify_entry(
                    conn,
                    event,
                    &changed.tracking_number,
                    &topic,
                    by,
                    entry,
                    flush,
                )
                .await?;
            }
            "demand.message_posted" => {
                let posted: DemandMessagePosted = event.decode()?;
                let from_agent = posted
                    .author
                    .as_ref()
                    .is_some_and(|a| a.role() == AuthorRole::Agent);
                // Residents hear when agents write; their own messages are no news to them.
                if from_agent {
                    wait_for_filing(conn, &posted.tracking_number).await?;
                    let seen = Seen {
                        tracking_number: &posted.tracking_number,
                        kind: DemandKind::try_from(posted.kind).unwrap_or_default(),
                        department: &posted.department,
                        theme: &posted.theme,
                        title: &posted.title,
                        status: None,
                        at: happened(event, posted.at.as_ref()),
                        filing: false,
                    };
                    upsert(conn, &seen, now).await?;
                    let entry = Entry::Message {
                        text: posted.text.clone(),
                    };
                    let by = grouping::author(posted.author.as_ref());
                    self.notify_entry(
                        conn,
                        event,
                        &posted.tracking_number,
                        "message",
                        by,
                        entry,
                        false,
                    )
                    .await?;
                }
            }
            "demand.claimed" => {
                let claimed: DemandClaimed = event.decode()?;
                // Possibly before the filing: the row waits for it with the account.
                let seen = Seen {
                    tracking_number: &claimed.tracking_number,
                    kind: DemandKind::Unspecified,
                    department: &claimed.department,
                    theme: "",
                    title: "",
                    status: None,
                    at: happened(event, claimed.at.as_ref()),
                    filing: false,
                };
                upsert(conn, &seen, now).await?;
                claim(conn, &claimed.tracking_number, &claimed.account_id).await?;
            }
            "account.verification_requested" => {
                let asked: AccountVerificationRequested = event.decode()?;
                if erased(conn, &asked.account_id).await? {
                    return Ok(());
                }
                remember_email(conn, &asked.account_id, &asked.email, event.time, now).await?;
                let rendered = templates::verify_email(templates::LINK_SLOT);
                let target = Target::email(&asked.account_id, &asked.email);
                queue_link(conn, event, &target, &asked.request_id, &rendered, now).await?;
            }
            "account.password_reset_requested" => {
                let asked: PasswordResetRequested = event.decode()?;
                if erased(conn, &asked.account_id).await? {
                    return Ok(());
                }
                remember_email(conn, &asked.account_id, &asked.email, event.time, now).await?;
                let rendered = templates::reset_password(templates::LINK_SLOT);
                let target = Target::email(&asked.account_id, &asked.email);
                queue_link(conn, event, &target, &asked.request_id, &rendered, now).await?;
            }
            "follower.outcome_reached" => {
                let outcome: FollowerOutcome = event.decode()?;
                let status = Status::try_from(outcome.status).unwrap_or_default();
                let link = self.public_url.complaint(&outcome.complaint_id);
                let rendered =
                    templates::follower_outcome(&outcome.title, status, &outcome.reason, &link);
                for target in follower_targets(conn, &outcome).await? {
                    queue(conn, event, &target, "", &rendered, now).await?;
                }
            }
            "account.erased" => {
                let gone: AccountErased = event.decode()?;
                remember_erasure(conn, &gone.account_id, happened(event, gone.at.as_ref())).await?;
                crate::privacy::erase(conn, &gone.account_id).await?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Who a new demand's notifications go to, as its filing event says.
struct Recipient<'a> {
    account_id: &'a str,
    email: &'a str,
    phone: &'a str,
    teleservice: &'a str,
}

impl Notifier {
    /// A new demand, whatever its silo: remembered with its resident, acknowledged.
    async fn filed(
        &self,
        conn: &mut PgConnection,
        event: &Event,
        seen: &Seen<'_>,
        to: &Recipient<'_>,
        now: DateTime<Utc>,
    ) -> anyhow::Result<()> {
        upsert(conn, seen, now).await?;
        let number = seen.tracking_number;
        set_recipient(
            conn,
            number,
            to.account_id,
            to.email,
            to.phone,
            to.teleservice,
        )
        .await?;
        self.notify_demand(conn, event, number, "filed", templates::filed)
            .await
    }

    /// Tells the resident of one timeline entry on every channel they want `topic` on:
    /// alone and at once, or, when an agent wrote it (`by`), in the message that groups
    /// that agent's entries of the last moments (sent at once when `flush`).
    #[allow(clippy::too_many_arguments)] // one call per event kind, each naming them all
    async fn notify_entry(
        &self,
        conn: &mut PgConnection,
        event: &Event,
        tracking_number: &str,
        topic: &str,
        by: Option<&str>,
        entry: Entry,
        flush: bool,
    ) -> anyhow::Result<()> {
        let Some(author) = by else {
            return self
                .notify_demand(conn, event, tracking_number, topic, |about| {
                    templates::entries(about, std::slice::from_ref(&entry))
                })
                .await;
        };
        let Some(demand) = demand(conn, tracking_number).await? else {
            return Ok(());
        };
        let targets = targets(conn, &demand, topic).await?;
        let link = self.public_url.follow(tracking_number);
        let about = About {
            tracking_number,
            title: &demand.title,
            link: &link,
        };
        let now = self.clock.now();
        for target in &targets {
            let added = grouping::Added {
                author,
                entry: &entry,
                flush,
                now,
            };
            grouping::add(conn, event, target, &about, &added, &self.window).await?;
        }
        Ok(())
    }

    /// Queues one notification of `topic` about a demand to its resident, on every
    /// channel they want it on.
    async fn notify_demand(
        &self,
        conn: &mut PgConnection,
        event: &Event,
        tracking_number: &str,
        topic: &str,
        render: impl FnOnce(&About<'_>) -> Rendered,
    ) -> anyhow::Result<()> {
        let Some(demand) = demand(conn, tracking_number).await? else {
            return Ok(());
        };
        let targets = targets(conn, &demand, topic).await?;
        if targets.is_empty() {
            return Ok(());
        }
        let link = self.public_url.follow(tracking_number);
        let rendered = render(&About {
            tracking_number,
            title: &demand.title,
            link: &link,
        });
        let now = self.clock.now();
        for target in &targets {
            queue(conn, event, target, tracking_number, &rendered, now).await?;
        }
        Ok(())
    }
}

/// Records a demand's kind, department, theme, title and status as an event shows them:
/// an event older than the one a value came from only fills what is still blank, and
/// only a status change newer than the recorded one changes the status. A row made by
/// anything but the filing waits for it ([`wait_for_filing`]).
async fn upsert(
    conn: &mut PgConnection,
    seen: &Seen<'_>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let status = seen.status.map(names::status);
    sqlx::query(
        "INSERT INTO demands (tracking_number, kind, department, theme, title, status, status_at,
             described_at, filed_seen, updated_at)
         VALUES ($1, CASE WHEN $2 = 'unspecified' THEN '' ELSE $2 END, $3, $4, $5,
             coalesce($6, 'submitted'), CASE WHEN $6 IS NULL THEN NULL ELSE $7 END, $7, $8, $9)
         ON CONFLICT (tracking_number) DO UPDATE SET
             kind = CASE WHEN $2 = 'unspecified' THEN demands.kind
                         WHEN demands.kind IN ('', 'unspecified') OR demands.described_at IS NULL
                              OR demands.described_at <= $7 THEN $2
                         ELSE demands.kind END,
             department = CASE WHEN $3 = '' THEN demands.department
                               WHEN demands.department = '' OR demands.described_at IS NULL
                                    OR demands.described_at <= $7 THEN $3
                               ELSE demands.department END,
             theme = CASE WHEN $4 = '' THEN demands.theme
                          WHEN demands.theme = '' OR demands.described_at IS NULL
                               OR demands.described_at <= $7 THEN $4
                          ELSE demands.theme END,
             title = CASE WHEN $5 = '' THEN demands.title
                          WHEN demands.title = '' OR demands.described_at IS NULL
                               OR demands.described_at <= $7 THEN $5
                          ELSE demands.title END,
             status = CASE WHEN $6 IS NOT NULL
                                AND (demands.status_at IS NULL OR demands.status_at <= $7)
                           THEN $6 ELSE demands.status END,
             status_at = CASE WHEN $6 IS NOT NULL
                                   AND (demands.status_at IS NULL OR demands.status_at <= $7)
                              THEN $7 ELSE demands.status_at END,
             described_at = greatest(demands.described_at, $7),
             filed_seen = demands.filed_seen OR $8,
             updated_at = $9",
    )
    .bind(seen.tracking_number)
    .bind(names::kind(seen.kind))
    .bind(seen.department)
    .bind(seen.theme)
    .bind(seen.title)
    .bind(status)
    .bind(seen.at)
    .bind(seen.filing)
    .bind(now)
    .execute(conn)
    .await
    .context("recording a demand")?;
    Ok(())
}

/// A status change or an agent's message is news for the resident the filing names:
/// until the filing has been seen here, the event fails and the consumer retries it
/// (its transaction, inbox row included, rolls back), rather than telling nobody.
async fn wait_for_filing(conn: &mut PgConnection, tracking_number: &str) -> anyhow::Result<()> {
    let filed: Option<bool> =
        sqlx::query_scalar("SELECT filed_seen FROM demands WHERE tracking_number = $1")
            .bind(tracking_number)
            .fetch_optional(conn)
            .await
            .context("looking for a demand's filing")?;
    if filed != Some(true) {
        // The number is a demand's only credential when filed without an account.
        anyhow::bail!(
            "demand {} not yet filed here; waiting for its filing event",
            guichet_kit::tracking::redacted(tracking_number)
        );
    }
    Ok(())
}

/// Whom a new demand's notifications go to. A claim seen before keeps its account (a
/// demand is claimed only when filed without one), and a demand whose resident erased
/// their account meanwhile gets no contact back.
async fn set_recipient(
    conn: &mut PgConnection,
    tracking_number: &str,
    account: &str,
    email: &str,
    phone: &str,
    teleservice: &str,
) -> anyhow::Result<()> {
    let gone = erased(conn, account).await?;
    sqlx::query(
        "UPDATE demands SET
             account_id = CASE WHEN $6 THEN account_id
                               ELSE coalesce(account_id, nullif($2, '')) END,
             contact_email = CASE WHEN recipient_erased OR $6 THEN '' ELSE $3 END,
             contact_phone = CASE WHEN recipient_erased OR $6 THEN '' ELSE $4 END,
             recipient_erased = recipient_erased OR $6,
             teleservice = $5
         WHERE tracking_number = $1",
    )
    .bind(tracking_number)
    .bind(account.trim())
    .bind(email.trim())
    .bind(phone.trim())
    .bind(teleservice)
    .bind(gone)
    .execute(conn)
    .await
    .context("recording a demand's resident")?;
    Ok(())
}

/// Attaches a demand to the account that claimed it, before or after its filing. An
/// account erased by now leaves the demand as its erasure would have: no account, no
/// contact.
async fn claim(
    conn: &mut PgConnection,
    tracking_number: &str,
    account: &str,
) -> anyhow::Result<()> {
    let gone = erased(conn, account).await?;
    sqlx::query(
        "UPDATE demands SET
             account_id = CASE WHEN $3 THEN NULL ELSE coalesce(nullif($2, ''), account_id) END,
             contact_email = CASE WHEN $3 THEN '' ELSE contact_email END,
             contact_phone = CASE WHEN $3 THEN '' ELSE contact_phone END,
             recipient_erased = recipient_erased OR $3
         WHERE tracking_number = $1",
    )
    .bind(tracking_number)
    .bind(account.trim())
    .bind(gone)
    .execute(conn)
    .await
    .context("attaching a demand to an account")?;
    Ok(())
}

/// Remembers that an account was erased (by digest, the id itself being gone), and marks
/// its demands, before [`crate::privacy::erase`] detaches them: events about it that
/// arrive later bring nothing back.
async fn remember_erasure(
    conn: &mut PgConnection,
    account: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    if account.trim().is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO erased_accounts (account_digest, erased_at)
         VALUES (sha256(convert_to($1, 'UTF8')), $2) ON CONFLICT DO NOTHING",
    )
    .bind(account.trim())
    .bind(at)
    .execute(&mut *conn)
    .await
    .context("remembering an erased account")?;
    sqlx::query("UPDATE demands SET recipient_erased = true WHERE account_id = $1")
        .bind(account.trim())
        .execute(conn)
        .await
        .context("marking an erased account's demands")?;
    Ok(())
}

/// Whether `account` was erased.
async fn erased(conn: &mut PgConnection, account: &str) -> anyhow::Result<bool> {
    if account.trim().is_empty() {
        return Ok(false);
    }
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM erased_accounts
                        WHERE account_digest = sha256(convert_to($1, 'UTF8')))",
    )
    .bind(account.trim())
    .fetch_one(conn)
    .await
    .context("looking for an account's erasure")
}

/// Invites the resident to rate the answer, once per demand; true when they have not
/// rated it yet.
async fn invite_to_rate(
    conn: &mut PgConnection,
    tracking_number: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<bool> {
    sqlx::query(
        "INSERT INTO rating_invitations (tracking_number, invited_at) VALUES ($1, $2)
         ON CONFLICT DO NOTHING",
    )
    .bind(tracking_number)
    .bind(now)
    .execute(&mut *conn)
    .await
    .context("inviting to rate")?;
    let rated: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM ratings WHERE tracking_number = $1)")
            .bind(tracking_number)
            .fetch_one(conn)
            .await
            .context("looking for a rating")?;
    Ok(!rated)
}

pub async fn demand(
    conn: &mut PgConnection,
    tracking_number: &str,
) -> anyhow::Result<Option<DemandRow>> {
    sqlx::query_as(
        "SELECT tracking_number, kind, department, theme, title, teleservice, status, account_id,
                contact_email, contact_phone
         FROM demands WHERE tracking_number = $1",
    )
    .bind(tracking_number)
    .fetch_optional(conn)
    .await
    .context("reading a demand")
}

/// The targets of a topic for a demand's resident: an account's chosen channels (each
/// only where an address is known), or the contact left at filing (e-mail when given,
/// SMS otherwise).
async fn targets(
    conn: &mut PgConnection,
    demand: &DemandRow,
    topic: &str,
) -> anyhow::Result<Vec<Target>> {
    let Some(account) = &demand.account_id else {
        let target = if !demand.contact_email.is_empty() {
            Some(("email", &demand.contact_email))
        } else if !demand.contact_phone.is_empty() {
            Some(("sms", &demand.contact_phone))
        } else {
            None
        };
        return Ok(target
            .map(|(channel, recipient)| Target {
                channel,
                recipient: recipient.clone(),
                account: None,
            })
            .into_iter()
            .collect());
    };
    // An erasure processed before an older event about the account: nothing to tell.
    if erased(conn, account).await? {
        return Ok(Vec::new());
    }
    let contact: Option<(String, String)> =
        sqlx::query_as("SELECT email, phone FROM accounts WHERE account_id = $1")
            .bind(account)
            .fetch_optional(&mut *conn)
            .await
            .context("reading an account's contact")?;
    let (email, phone) = contact.unwrap_or_default();
    let channels = channels_for(conn, account, topic).await?;
    Ok(channels
        .iter()
        .filter_map(|channel| {
            let (channel, recipient) = match channel.as_str() {
                "email" if !email.is_empty() => ("email", email.clone()),
                "sms" if !phone.is_empty() => ("sms", phone.clone()),
                "app" => ("app", account.clone()),
                _ => return None,
            };
            Some(Target {
                channel,
                recipient,
                account: Some(account.clone()),
            })
        })
        .collect())
}

/// Where a « me too » follower hears the outcome: an account's channels for the
/// `follow` topic, or the e-mail (else the phone) left when following.
async fn follower_targets(
    conn: &mut PgConnection,
    outcome: &FollowerOutcome,
) -> anyhow::Result<Vec<Target>> {
    let follower = DemandRow {
        tracking_number: String::new(),
        kind: String::new(),
        department: String::new(),
        theme: String::new(),
        title: outcome.title.clone(),
        teleservice: String::new(),
        status: String::new(),
        account_id: Some(outcome.account_id.clone()).filter(|a| !a.is_empty()),
        contact_email: outcome.email.clone(),
        contact_phone: outcome.phone.clone(),
    };
    targets(conn, &follower, "follow").await
}

/// The channels an account wants for a topic.
pub async fn channels_for(
    conn: &mut PgConnection,
    account: &str,
    topic: &str,
) -> anyhow::Result<Vec<String>> {
    let chosen: Option<Vec<String>> =
        sqlx::query_scalar("SELECT channels FROM preferences WHERE account_id = $1 AND topic = $2")
            .bind(account)
            .bind(topic)
            .fetch_optional(&mut *conn)
            .await
            .context("reading preferences")?;
    if let Some(chosen) = chosen {
        return Ok(chosen);
    }
    default_channels(conn, account).await
}

/// The channels of topics without a preference.
pub async fn default_channels(
    conn: &mut PgConnection,
    account: &str,
) -> anyhow::Result<Vec<String>> {
    let preferred: Option<Option<Vec<String>>> =
        sqlx::query_scalar("SELECT preferred_channels FROM accounts WHERE account_id = $1")
            .bind(account)
            .fetch_optional(conn)
            .await
            .context("reading preferred channels")?;
    Ok(preferred
        .flatten()
        .filter(|c| !c.is_empty())
        .unwrap_or_else(|| DEFAULT_CHANNELS.iter().map(|c| (*c).to_owned()).collect()))
}

/// Queues one delivery, to send at once; an in-app message is stored at once and
/// counts as sent.
async fn queue(
    conn: &mut PgConnection,
    event: &Event,
    target: &Target,
    tracking_number: &str,
    rendered: &Rendered,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    queue_grouped(conn, event, target, tracking_number, rendered, now, None).await
}

/// Queues one of identity's e-mails: the message with [`templates::LINK_SLOT`] where the
/// link goes, and the link request the link is asked for when it is sent. An event
/// without a request (written before links were asked for) has nothing to send.
async fn queue_link(
    conn: &mut PgConnection,
    event: &Event,
    target: &Target,
    request: &str,
    rendered: &Rendered,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let Ok(request) = request.parse::<Uuid>() else {
        tracing::warn!(event = %event.id, kind = %event.kind, "account e-mail without a link request; nothing sent");
        return Ok(());
    };
    queue(conn, event, target, "", rendered, now).await?;
    sqlx::query(
        "UPDATE deliveries SET link_request = $3
         WHERE event_id = $1 AND channel = $2 AND link_request IS NULL",
    )
    .bind(event.id)
    .bind(target.channel)
    .bind(request)
    .execute(conn)
    .await
    .context("recording a delivery's link request")?;
    Ok(())
}

/// Records the address an identity event of time `at` gives an account, unless a newer
/// event gave another.
async fn remember_email(
    conn: &mut PgConnection,
    account: &str,
    email: &str,
    at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    if account.is_empty() || email.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO accounts (account_id, email, email_at, updated_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (account_id) DO UPDATE SET email = $2, email_at = $3, updated_at = $4
         WHERE accounts.email_at IS NULL OR accounts.email_at <= $3",
    )
    .bind(account)
    .bind(email)
    .bind(at)
    .bind(now)
    .execute(conn)
    .await
    .context("recording an account's e-mail")?;
    Ok(())
}
