//! The event bus: one durable topic exchange, events as CloudEvents 1.0 in AMQP binary
//! mode (attributes as `cloudEvents:*` headers, protobuf body, `traceparent` header),
//! published from a transactional outbox and consumed idempotently.
//!
//! Every process owns its own connections and reconnects after a broker restart; nothing
//! accepted is lost because the outbox keeps unpublished events and consumers ack only
//! after their transaction committed.

pub mod consumer;
pub mod outbox;
pub mod topology;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Utc};
use lapin::{
    BasicProperties, Channel, Connection, ConnectionProperties, ExchangeKind, PublisherConfirm,
    message::Delivery,
    options::{BasicPublishOptions, ConfirmSelectOptions, ExchangeDeclareOptions},
    types::{AMQPValue, FieldTable, ShortString},
};
use secrecy::ExposeSecret as _;
use uuid::Uuid;

use crate::config::AmqpConfig;

pub use consumer::{Handler, Subscription, consume};
pub use outbox::{commit, enqueue, relay};

const CONTENT_TYPE: &str = "application/protobuf";

/// The largest AMQP frame asked of the broker (bytes); larger messages span frames.
const FRAME_MAX: u32 = 16 * 1024;

/// What comes before a protobuf message's full name in an event's `dataschema`, which
/// CloudEvents requires to be a URI: `urn:guichet:proto:guichet.events.v1.ComplaintFiled`.
pub const DATASCHEMA_PREFIX: &str = "urn:guichet:proto:";

/// The `dataschema` of an event whose body is an `M`.
pub fn dataschema<M: prost::Name>() -> String {
    format!("{DATASCHEMA_PREFIX}{}", M::full_name())
}

/// The protobuf full name a `dataschema` designates. Rows written before it was a URI
/// hold the bare name, which designates itself.
fn schema_name(dataschema: &str) -> &str {
    dataschema
        .strip_prefix(DATASCHEMA_PREFIX)
        .unwrap_or(dataschema)
}

/// One domain event, as stored in the outbox and carried on the wire.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// CloudEvents `id`: unique per event; consumers deduplicate on it.
    pub id: Uuid,
    /// CloudEvents `type`, equal to the routing key (`complaints.complaint.filed`).
    pub kind: String,
    /// CloudEvents `source`: the producing service (`/guichet/complaints`).
    pub source: String,
    /// CloudEvents `subject`: the tracking number concerned.
    pub subject: String,
    pub time: DateTime<Utc>,
    /// Protobuf-encoded body.
    pub data: Vec<u8>,
    /// CloudEvents `dataschema`: the body's protobuf message as a URI
    /// (`urn:guichet:proto:<full name>`, see [`dataschema`]); older outbox rows hold
    /// the bare full name, which [`Event::decode`] still accepts.
    pub dataschema: String,
    /// W3C trace context of the change that produced the event.
    pub traceparent: Option<String>,
}

impl Event {
    /// A new event in the current trace.
    pub fn new<M: prost::Name>(
        source: &str,
        kind: &str,
        subject: &str,
        time: DateTime<Utc>,
        message: &M,
    ) -> Self {
        Self {
            id: Uuid::now_v7(),
            kind: kind.to_owned(),
            source: source.to_owned(),
            subject: subject.to_owned(),
            time,
            data: message.encode_to_vec(),
            dataschema: dataschema::<M>(),
            traceparent: crate::telemetry::current_traceparent(),
        }
    }

    /// Decodes the body, checking it is the message the consumer expects.
    pub fn decode<M: prost::Name + Default>(&self) -> anyhow::Result<M> {
        if schema_name(&self.dataschema) != M::full_name() {
            bail!(
                "event {} carries {}, not {}",
                self.id,
                self.dataschema,
                M::full_name()
            );
        }
        M::decode(self.data.as_slice()).with_context(|| format!("decoding event {}", self.id))
    }

    fn properties(&self) -> BasicProperties {
        let mut headers = FieldTable::default();
        let mut put = |key: &str, value: &str| {
            headers.insert(
                ShortString::from(key),
                AMQPValue::LongString(value.to_owned().into()),
            );
        };
        put("cloudEvents:specversion", "1.0");
        put("cloudEvents:id", &self.id.to_string());
        put("cloudEvents:type", &self.kind);
        put("cloudEvents:source", &self.source);
        put("cloudEvents:subject", &self.subject);
        put("cloudEvents:time", &self.time.to_rfc3339());
        if !self.dataschema.is_empty() {
            // A row from before `dataschema` was a URI leaves as one all the same.
            let schema = format!("{DATASCHEMA_PREFIX}{}", schema_name(&self.dataschema));
            put("cloudEvents:dataschema", &schema);
        }
        if let Some(traceparent) = &self.traceparent {
            put("traceparent", traceparent);
        }
        BasicProperties::default()
            .with_message_id(self.id.to_string().into())
            .with_content_type(CONTENT_TYPE.into())
            .with_delivery_mode(2)
            .with_headers(headers)
    }

    /// Reads an event back from a delivery; a message without the required attributes
    /// cannot be processed and goes to the dead-letter queue.
    pub fn from_delivery(delivery: &Delivery) -> anyhow::Result<Self> {
        let headers = delivery.properties.headers().clone().unwrap_or_default();
        let get = |key: &str| header_str(&headers, key);
        let required = |key: &str| get(key).with_context(|| format!("missing header {key}"));
        Ok(Self {
            id: required("cloudEvents:id")?
                .parse()
                .context("cloudEvents:id is not a UUID")?,
            kind: required("cloudEvents:type")?,
            source: required("cloudEvents:source")?,
            subject: get("cloudEvents:subject").unwrap_or_default(),
            time: DateTime::parse_from_rfc3339(&required("cloudEvents:time")?)
                .context("cloudEvents:time is not RFC 3339")?
                .with_timezone(&Utc),
            data: delivery.data.clone(),
            dataschema: get("cloudEvents:dataschema").unwrap_or_default(),
            traceparent: get("traceparent"),
        })
    }
}

pub(crate) fn header_str(headers: &FieldTable, key: &str) -> Option<String> {
    match headers.inner().get(key)? {
        AMQPValue::LongString(s) => Some(String::from_utf8_lossy(s.as_bytes()).into_owned()),
        AMQPValue::ShortString(s) => Some(s.as_str().to_owned()),
        _ => None,
    }
}

/// Where the broker is and how its exchange is named; cheap to clone.
#[derive(Debug, Clone)]
pub struct Bus {
    cfg: AmqpConfig,
}

impl Bus {
    pub fn new(cfg: AmqpConfig) -> Self {
        Self { cfg }
    }

    pub fn config(&self) -> &AmqpConfig {
        &self.cfg
    }

    /// A fresh connection; callers keep it for as long as it works and reconnect after.
    pub async fn connect(&self) -> anyhow::Result<Connection> {
        let mut uri: lapin::uri::AMQPUri = self
            .cfg
            .url
            .expose_secret()
            .parse()
            .map_err(|error: String| anyhow::anyhow!(error))
            .context("invalid GUICHET__AMQP__URL")?;
        // lapin keeps 32 frames per direction per connection, allocated and zeroed at
        // once: at RabbitMQ's default 128 KiB frame that is 8 MiB resident for each of a
        // service's connections. Events are a few KiB; a URL's own `frame_max` wins.
        uri.query.frame_max.get_or_insert(FRAME_MAX);
        Connection::connect_uri(uri, ConnectionProperties::default())
            .await
            .context("connecting to RabbitMQ")
    }

    /// Declares the durable topic exchange (idempotent).
    pub async fn declare_exchange(&self, channel: &Channel) -> anyhow::Result<()> {
        channel
            .exchange_declare(
                self.cfg.exchange.as_str().into(),
                ExchangeKind::Topic,
                ExchangeDeclareOptions {
                    durable: true,
                    ..ExchangeDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await
            .context("declaring the events exchange")
    }

    /// Readiness: the broker accepts a connection.
    pub async fn ping(&self) -> bool {
        match self.connect().await {
            Ok(conn) => {
                conn.close(200, "ping".into()).await.ok();
                true
            }
            Err(_) => false,
        }
    }
}

/// A channel in publisher-confirm mode on its own connection, opened once the whole
/// topology is declared.
pub struct Publisher {
    channel: Channel,
    exchange: String,
    connection: Connection,
    /// How long the relay sets aside an event no queue took.
    pub(crate) unroutable_retry_ms: u64,
}

impl Publisher {
    pub async fn open(bus: &Bus) -> anyhow::Result<Self> {
        let connection = bus.connect().await?;
        let channel = connection
            .create_channel()
            .await
            .context("opening a channel")?;
        topology::declare(bus, &channel).await?;
        channel
            .confirm_select(ConfirmSelectOptions::default())
            .await
            .context("enabling publisher confirms")?;
        Ok(Self {
            channel,
            exchange: bus.cfg.exchange.clone(),
            connection,
            unroutable_retry_ms: bus.cfg.unroutable_retry_ms,
        })
    }

    /// Sends an event to the exchange; await the returned confirm before counting it
    /// as published. The broker returns it if no queue takes it, unless its kind is
    /// one nobody consumes yet ([`topology::UNCONSUMED`]).
    pub async fn send(&self, event: &Event) -> anyhow::Result<PublisherConfirm> {
        self.channel
            .basic_publish(
                self.exchange.as_str().into(),
                event.kind.as_str().into(),
                BasicPublishOptions {
                    mandatory: topology::must_route(&event.kind),
                    ..BasicPublishOptions::default()
                },
                &event.data,
                event.properties(),
            )
            .await
            .context("publishing an event")
    }

    /// Publishes one event and waits for the broker's acknowledgement.
    pub async fn publish(&self, event: &Event) -> anyhow::Result<Published> {
        confirmed(self.send(event).await?).await
    }

    /// Sends raw bytes straight to a queue (retries, dead letters) and waits for the ack.
    pub(crate) async fn to_queue(
        &self,
        queue: &str,
        data: &[u8],
        properties: BasicProperties,
    ) -> anyhow::Result<()> {
        let confirm = self
            .channel
            .basic_publish(
                "".into(),
                queue.into(),
                BasicPublishOptions {
                    mandatory: true,
                    ..BasicPublishOptions::default()
                },
                data,
                properties,
            )
            .await
            .context("publishing to a queue")?;
        match confirmed(confirm).await? {
            Published::Routed => Ok(()),
            Published::Unroutable => bail!("queue {queue} does not exist"),
        }
    }

    pub async fn close(self) {
        self.channel.close(200, "bye".into()).await.ok();
        self.connection.close(200, "bye".into()).await.ok();
    }
}

/// The longest wait for a publisher confirm: a broker that stops answering never holds
/// the relay's row locks (or a consumer's retry) for long.
const CONFIRM_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// What the broker did with a message it acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Published {
    /// In at least one queue (or of a kind nobody needs routed).
    Routed,
    /// Returned: no queue is bound for it. It was not delivered anywhere.
    Unroutable,
}

/// Waits, bounded, for a publisher confirm and fails unless the broker acknowledged.
pub async fn confirmed(confirm: PublisherConfirm) -> anyhow::Result<Published> {
    let confirmation = tokio::time::timeout(CONFIRM_TIMEOUT, confirm)
        .await
        .context("the broker did not confirm in time")?
        .context("waiting for the broker's confirm")?;
    if !confirmation.is_ack() {
        bail!("the broker refused the message");
    }
    Ok(match confirmation.take_message() {
        Some(_) => Published::Unroutable,
        None => Published::Routed,
    })
}
