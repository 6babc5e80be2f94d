//! The notifications service's settings: the shared service sections, plus where
//! residents' messages go out (SMTP server, SMS provider) and how deliveries retry.

use secrecy::SecretString;
use serde::Deserialize;

pub use guichet_kit::config::ServiceSettings;

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Settings {
    #[serde(flatten)]
    pub service: ServiceSettings,
    /// Where residents' pages live, for the links in messages
    /// (`{public_url}/suivi/{number}`, `{public_url}/signalements/{id}`); the same key
    /// the identity service reads. The gateway's public address until a portal exists:
    /// it serves those pages.
    pub public_url: PublicUrl,
    pub smtp: SmtpConfig,
    pub sms: SmsConfig,
    pub delivery: DeliveryConfig,
    pub feed: FeedConfig,
    /// The key this service calls the identity service with in its own name
    /// (`GUICHET__SERVICE_KEY`, the value of identity's
    /// `GUICHET__SERVICE_KEYS__NOTIFICATIONS`): it gets the links of address-verification
    /// and password-reset e-mails when it sends them. Unset, those e-mails cannot go.
    pub service_key: SecretString,
}

/// The public address of the residents' site.
#[derive(Debug, Clone, Deserialize)]
#[serde(transparent)]
pub struct PublicUrl(pub String);

impl Default for PublicUrl {
    fn default() -> Self {
        Self("http://127.0.0.1:8080".to_owned())
    }
}

impl PublicUrl {
    /// Where a resident follows a demand.
    pub fn follow(&self, tracking_number: &str) -> String {
        format!("{}/suivi/{tracking_number}", self.0.trim_end_matches('/'))
    }

    /// The public page of a complaint, for those following it without its number.
    pub fn complaint(&self, id: &str) -> String {
        format!("{}/signalements/{id}", self.0.trim_end_matches('/'))
    }
}

/// How TLS is used with the SMTP server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain SMTP: a local relay or the local outbox only.
    None,
    /// STARTTLS on the submission port (587), required.
    Starttls,
    /// Implicit TLS (465).
    Tls,
}

/// The SMTP server residents' e-mail goes through.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SmtpConfig {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Empty: no authentication (a local relay).
    pub username: String,
    pub password: SecretString,
    /// `From:` of every message.
    pub from: String,
    /// Longest wait for the server in one attempt.
    pub timeout_ms: u64,
}

impl Default for SmtpConfig {
    fn default() -> Self {
        Self {
            host: "127.0.0.1".to_owned(),
            port: 2525,
            tls: SmtpTls::None,
            username: String::new(),
            password: SecretString::from(""),
            from: "Guichet de la ville <ne-pas-repondre@guichet.localhost>".to_owned(),
            timeout_ms: 10_000,
        }
    }
}

/// The SMS provider: an HTTP endpoint taking `{"to", "text", "sender", "reference"}` as
/// JSON with `Authorization: Bearer <key>`.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct SmsConfig {
    /// Empty: SMS are not sent (their deliveries fail for good, visibly).
    pub endpoint: String,
    pub api_key: SecretString,
    /// Sender name shown on the phone (11 characters at most with most providers).
    pub sender: String,
    pub timeout_ms: u64,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            endpoint: "http://127.0.0.1:2580/sms".to_owned(),
            api_key: SecretString::from(""),
            sender: "MAIRIE".to_owned(),
            timeout_ms: 10_000,
        }
    }
}

/// Retries of e-mail and SMS.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct DeliveryConfig {
    /// Attempts before a delivery fails for good.
    pub max_attempts: u32,
    /// Wait before the second attempt; doubled at each further one, at most 6 hours.
    pub retry_base_ms: u64,
    /// The worker looks for due deliveries at least this often (it is also woken by
    /// every new delivery).
    pub poll_ms: u64,
    /// Entries one agent writes in a demand's timeline within this many seconds of the
    /// previous one reach the resident as one message, sent this long after the last
    /// entry (a counter visit: a photo, then a note). 0 sends each entry alone, at once.
    pub grouping_window_seconds: u64,
    /// However busy the agent, a grouped message waits at most this long after its
    /// first entry.
    pub grouping_longest_seconds: u64,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            max_attempts: 8,
            retry_base_ms: 30_000,
            poll_ms: 5_000,
            grouping_window_seconds: 60,
            grouping_longest_seconds: 600,
        }
    }
}

/// Live feeds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct FeedConfig {
    /// Items replayed at most when a stream resumes after a `Last-Event-ID`.
    pub replay_limit: i64,
}

impl Default for FeedConfig {
    fn default() -> Self {
        Self { replay_limit: 500 }
    }
}
