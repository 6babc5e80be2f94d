//! Sends queued deliveries: e-mail over SMTP (`lettre`), SMS through the provider's HTTP
//! API. One worker per replica takes due deliveries one at a time under
//! `FOR UPDATE SKIP LOCKED` (replicas share the queue, none sends a row another holds),
//! sends, and records the outcome in the same transaction. A refusal the server calls
//! permanent (SMTP 5xx, HTTP 4xx) fails the delivery at once; anything else is retried
//! with back-off until `max_attempts`, then fails for good — agents see both on the
//! demand.
//!
//! A message grouping an agent's entries ([`crate::grouping`]) is due when its group's
//! time comes; taking it closes the group, so no entry joins a message once sent.
//!
//! A worker killed between the server's acceptance and its commit sends that message
//! again on the next attempt (at-least-once, like any mailer): each e-mail's
//! `Message-ID` is the delivery's id, so mail systems can tell the copies apart.
//!
//! Identity's e-mails get their link from the identity service at each attempt, put into
//! the message in memory only ([`crate::links`]).

use std::time::Duration;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::Clock;
use lettre::{
    AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
    transport::smtp::authentication::Credentials,
};
use secrecy::ExposeSecret as _;
use sqlx::{PgPool, postgres::PgListener};
use tokio_util::sync::CancellationToken;
use tracing::Instrument as _;
use uuid::Uuid;

use crate::{
    config::{DeliveryConfig, SmsConfig, SmtpConfig, SmtpTls},
    links::Links,
};

pub use crate::failure::Failure;

/// Longest wait between two attempts.
const MAX_BACKOFF_MS: u64 = 6 * 3600 * 1000;

/// One delivery to attempt.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Due {
    pub id: Uuid,
    pub channel: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub attempts: i32,
    /// Identity's link request, whose link goes into the body's slot when it is sent.
    pub link_request: Option<Uuid>,
    /// The trace of the change it tells of (queued by a consumer in that trace).
    pub traceparent: Option<String>,
}

/// The outgoing channels.
pub struct Senders {
    smtp: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    sms: SmsConfig,
    http: reqwest::Client,
    /// Where identity's e-mails get their links; without it they are not sent.
    links: Option<Links>,
}

impl Senders {
    pub fn new(smtp: &SmtpConfig, sms: &SmsConfig) -> anyhow::Result<Self> {
        let builder = match smtp.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&smtp.host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&smtp.host)
                .context("configuring SMTP with STARTTLS")?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&smtp.host)
                .context("configuring SMTP over TLS")?,
        };
        let mut builder = builder
            .port(smtp.port)
            .timeout(Some(Duration::from_millis(smtp.timeout_ms)));
        if !smtp.username.is_empty() {
            builder = builder.credentials(Credentials::new(
                smtp.username.clone(),
                smtp.password.expose_secret().to_owned(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_millis(sms.timeout_ms))
            .build()
            .context("building the SMS client")?;
        Ok(Self {
            smtp: builder.build(),
            from: smtp
                .from
                .parse()
                .with_context(|| format!("invalid smtp.from address {:?}", smtp.from))?,
            sms: sms.clone(),
            http,
            links: None,
        })
    }

    /// Gets the links of identity's e-mails from `links`.
    #[must_use]
    pub fn with_links(self, links: Links) -> Self {
        Self {
            links: Some(links),
            ..self
        }
    }

    /// The delivery as it goes out: with its link, for one of identity's e-mails.
    async fn complete(&self, due: &Due) -> Result<Due, Failure> {
        let Some(request) = due.link_request else {
            return Ok(due.clone());
        };
        let Some(links) = &self.links else {
            return Err(Failure::Transient(
                "aucun accès au service d'identité pour le lien".to_owned(),
            ));
        };
        Ok(Due {
            body: links.fill(request, &due.body).await?,
            ..due.clone()
        })
    }

    /// One attempt at one delivery.
    pub async fn send(&self, due: &Due) -> Result<(), Failure> {
        match due.channel.as_str() {
            "email" => self.email(due).await,
            "sms" => self.sms(due).await,
            other => Err(Failure::Permanent(format!("canal inconnu : {other}"))),
        }
    }

    async fn email(&self, due: &Due) -> Result<(), Failure> {
        let to: Mailbox = due
            .recipient
            .parse()
            .map_err(|_| Failure::Permanent("adresse e-mail invalide".to_owned()))?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&due.subject)
            .message_id(Some(format!("<{}@guichet>", due.id)))
            .header(ContentType::TEXT_PLAIN)
            .body(due.body.clone())
            .map_err(|e| Failure::Permanent(format!("message invalide : {e}")))?;
        match self.smtp.send(message).await {
            Ok(_) => Ok(()),
            Err(error) if error.is_permanent() => Err(Failure::Permanent(format!(
                "refus du serveur de messagerie : {error}"
            ))),
            Err(error) => Err(Failure::Transient(format!(
                "serveur de messagerie : {error}"
            ))),
        }
    }

    async fn sms(&self, due: &Due) -> Result<(), Failure> {
        if self.sms.endpoint.is_empty() {
            return Err(Failure::Permanent(
                "aucun fournisseur de SMS n'est configuré".to_owned(),
            ));
        }
        let mut request = self.http.post(&self.sms.endpoint).json(&serde_json::json!({
            "to": due.recipient,
            "text": due.body,
            "sender": self.sms.sender,
            "reference": due.id,
        }));
        let key = self.sms.api_key.expose_secret();
        if !key.is_empty() {
            request = request.bearer_auth(key);
        }
        let status = match request.send().await {
            Ok(response) => response.status(),
            Err(error) => return Err(Failure::Transient(format!("fournisseur de SMS : {error}"))),
        };
        if status.is_success() {
            Ok(())
        } else if status.is_server_error() || status.as_u16() == 408 || status.as_u16() == 429 {
            Err(Failure::Transient(format!(
                "fournisseur de SMS : HTTP {status}"
            )))
        } else {
            Err(Failure::Permanent(format!(
                "refus du fournisseur de SMS : HTTP {status}"
            )))
        }
    }
}

/// Wait before attempt `attempts + 1`: the base, doubled after each failure.
pub fn backoff(cfg: &DeliveryConfig, attempts: u32) -> Duration {
    let factor = 1u64 << attempts.saturating_sub(1).min(30);
    Duration::from_millis(cfg.retry_base_ms.saturating_mul(factor).min(MAX_BACKOFF_MS))
}

/// Sends due deliveries until `stop`, woken by every new delivery and by a timer.
pub async fn run(
    pool: PgPool,
    senders: Senders,
    clock: Clock,
    cfg: DeliveryConfig,
    stop: CancellationToken,
) {
    let poll = Duration::from_millis(cfg.poll_ms.max(10));
    let mut listener: Option<PgListener> = None;
    while !stop.is_cancelled() {
        loop {
            match attempt_one(&pool, &senders, &clock, &cfg).await {
                Ok(true) if !stop.is_cancelled() => {}
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(error = format!("{error:#}"), "delivery worker failed");
                    break;
                }
            }
        }
        if listener.is_none() {
            listener = listen(&pool).await;
        }
        let woken = async {
            match listener.as_mut() {
                Some(l) => l.recv().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        let woke = tokio::select! {
            () = stop.cancelled() => None,
            ok = woken => Some(ok),
            () = tokio::time::sleep(poll) => None,
        };
        if woke == Some(false) {
            // The connection dropped: listen again on the next turn.
            listener = None;
        }
    }
}

async fn listen(pool: &PgPool) -> Option<PgListener> {
    let mut listener = PgListener::connect_with(pool).await.ok()?;
    listener.listen("deliveries").await.ok()?;
    Some(listener)
}

/// Takes one due delivery, attempts it and records the outcome; false when none is due.
/// The span of one sending attempt, in the trace of the change the delivery tells of.
fn send_span(due: &Due) -> tracing::Span {
    if !guichet_kit::telemetry::exporting() {
        return tracing::Span::none();
    }
    let span = tracing::info_span!(
        "Send a delivery",
        otel.kind = "client",
        channel = %due.channel,
        attempt = due.attempts + 1,
    );
    guichet_kit::telemetry::adopt_traceparent(&span, due.traceparent.as_deref());
    span
}

pub async fn attempt_one(
    pool: &PgPool,
    senders: &Senders,
    clock: &Clock,
    cfg: &DeliveryConfig,
) -> anyhow::Result<bool> {
    let mut tx = pool.begin().await.context("starting a delivery")?;
    let due: Option<Due> = sqlx::query_as(
        "SELECT id, channel, recipient, subject, body, attempts, link_request, traceparent FROM deliveries
         WHERE status = 'pending' AND next_attempt_at <= $1
         ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .bind(clock.now())
    .fetch_optional(&mut *tx)
    .await
    .context("taking a due delivery")?;
    let Some(due) = due else {
        return Ok(false);
    };
    let span = send_span(&due);
    let outcome = async {
        match senders.complete(&due).await {
            Ok(complete) => senders.send(&complete).await,
            Err(failure) => Err(failure),
        }
    }
    .instrument(span)
    .await;
    let attempts = u32::try_from(due.attempts).unwrap_or(0) + 1;
    let now = clock.now();
    let (status, error, next): (&str, String, DateTime<Utc>) = match outcome {
        Ok(()) => {
            tracing::info!(delivery = %due.id, channel = %due.channel, "delivery sent");
            ("sent", String::new(), now)
        }
        Err(Failure::Permanent(error)) => {
            tracing::warn!(delivery = %due.id, channel = %due.channel, %error, "delivery refused for good");
            ("failed", error, now)
        }
        Err(Failure::Transient(error)) if attempts >= cfg.max_attempts => {
            tracing::warn!(delivery = %due.id, channel = %due.channel, %error, attempts, "delivery failed for good");
            ("failed", error, now)
        }
        Err(Failure::Transient(error)) => {
            let wait = backoff(cfg, attempts);
            tracing::info!(delivery = %due.id, channel = %due.channel, %error, attempts, ?wait, "delivery will be retried");
            let next = now + chrono::Duration::from_std(wait).unwrap_or_default();
            ("pending", error, next)
        }
    };
    sqlx::query(
        "UPDATE deliveries SET status = $2, attempts = $3, last_error = $4, next_attempt_at = $5,
             sent_at = CASE WHEN $2 = 'sent' THEN $6 ELSE sent_at END,
             group_until = NULL
         WHERE id = $1",
    )
    .bind(due.id)
    .bind(status)
    .bind(i32::try_from(attempts).unwrap_or(i32::MAX))
    .bind(&error)
    .bind(next)
    .bind(now)
    .execute(&mut *tx)
    .await
    .context("recording a delivery's outcome")?;
    guichet_kit::bus::commit(tx)
        .await
        .context("committing a delivery")?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_six_hours() {
        let cfg = DeliveryConfig {
            retry_base_ms: 30_000,
            ..DeliveryConfig::default()
        };
        assert_eq!(backoff(&cfg, 1), Duration::from_secs(30));
        assert_eq!(backoff(&cfg, 2), Duration::from_secs(60));
        assert_eq!(backoff(&cfg, 4), Duration::from_secs(240));
        assert_eq!(backoff(&cfg, 40), Duration::from_secs(6 * 3600));
    }
}
