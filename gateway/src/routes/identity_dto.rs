//! JSON shapes of the identity routes (accounts, profile, agents, devices, audit),
//! converted from and to the identity service's protobuf messages.
//!
//! Request bodies take every field as optional (`#[serde(default)]`), as the complaint
//! form does: the identity service judges what is missing and reports every wrong
//! field at once. Shapes that carry a password, a token or a secret have no `Debug`, so
//! they cannot end up in a log by accident.

use std::collections::BTreeMap;

use axum::{
    Json,
    http::{HeaderValue, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use guichet_kit::grpc::datetime;
use guichet_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// A JSON answer no cache may keep: tokens, secrets, personal data.
pub struct NoStore<T>(pub T);

impl<T: Serialize> IntoResponse for NoStore<T> {
    fn into_response(self) -> Response {
        let mut response = Json(self.0).into_response();
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        response
    }
}

// ------------------------------------------------------------------ residents

/// A new resident account.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct SignUp {
    pub email: String,
    /// At least the length the identity service requires; never stored in clear.
    pub password: String,
    /// Declared attributes (`given_name`, `family_name`, `phone`…), name → value.
    pub attributes: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AccountCreated {
    pub account_id: String,
}

/// The token from the link sent to the address being verified.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct VerifyEmail {
    pub token: String,
}

#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct Login {
    pub email: String,
    pub password: String,
}

/// A refresh token, for a new pair (`refresh`) or to end the session (`logout`).
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct RefreshToken {
    pub refresh_token: String,
}

#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct PasswordReset {
    pub email: String,
}

/// The token from the reset link and the new password.
#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct PasswordResetConfirm {
    pub token: String,
    pub new_password: String,
}

/// A session: a short-lived access token to send as `Authorization: Bearer …`, and a
/// single-use refresh token that `POST /api/v1/auth/refresh` exchanges for a new pair.
#[derive(Serialize, ToSchema)]
pub struct Tokens {
    pub access_token: String,
    pub refresh_token: String,
    /// Seconds the access token lives.
    pub expires_in: u32,
    /// `Bearer`.
    pub token_type: String,
}

impl From<pb::TokenPair> for Tokens {
    fn from(p: pb::TokenPair) -> Self {
        Self {
            access_token: p.access_token,
            refresh_token: p.refresh_token,
            expires_in: p.expires_in,
            token_type: if p.token_type.is_empty() {
                "Bearer".to_owned()
            } else {
                p.token_type
            },
        }
    }
}

// ------------------------------------------------------------------ profile

/// How an attribute is known, weakest first. A form can require a minimum level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Typed by the resident.
    Declared,
    /// Checked by the platform (a code sent to the address or phone).
    Verified,
    /// Checked by an agent against a document at a counter.
    CheckedAtCounter,
    /// Certified by FranceConnect.
    Franceconnect,
}

impl From<pb::Level> for Level {
    fn from(level: pb::Level) -> Self {
        match level {
            pb::Level::Unspecified | pb::Level::Declared => Self::Declared,
            pb::Level::Verified => Self::Verified,
            pb::Level::CheckedAtCounter => Self::CheckedAtCounter,
            pb::Level::Franceconnect => Self::Franceconnect,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Attribute {
    /// `given_name`, `family_name`, `civility`, `birthdate`, `birthplace`,
    /// `birthcountry`, `address`, `phone`, `email`, `preferred_channels`…
    pub name: String,
    pub value: String,
    pub level: Level,
    /// Certified by FranceConnect: the resident cannot change it here.
    pub read_only: bool,
    pub updated_at: Option<DateTime<Utc>>,
}

/// A business the account acts for; also the body that adds one.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Business {
    /// 14 digits.
    pub siret: String,
    pub name: String,
    pub address: String,
}

/// A resident's account as they see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Profile {
    pub account_id: String,
    pub email: String,
    pub email_verified: bool,
    pub franceconnect_linked: bool,
    pub attributes: Vec<Attribute>,
    /// Businesses the account acts for (professionals).
    pub businesses: Vec<Business>,
}

impl From<pb::Profile> for Profile {
    fn from(p: pb::Profile) -> Self {
        Self {
            account_id: p.account_id,
            email: p.email,
            email_verified: p.email_verified,
            franceconnect_linked: p.franceconnect_linked,
            attributes: p
                .attributes
                .into_iter()
                .map(|a| Attribute {
                    level: a.level().into(),
                    updated_at: a.updated_at.as_ref().and_then(datetime),
                    name: a.name,
                    value: a.value,
                    read_only: a.read_only,
                })
                .collect(),
            businesses: p
                .businesses
                .into_iter()
                .map(|b| Business {
                    siret: b.siret,
                    name: b.name,
                    address: b.address,
                })
                .collect(),
        }
    }
}

/// Attributes to set, at the `declared` level; an empty value removes one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ProfileUpdate {
    pub attributes: BTreeMap<String, String>,
}

// ------------------------------------------------------------------ agents

#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AgentLogin {
    pub login: String,
    pub password: String,
}

/// One tab of the agent's intranet: a theme or a department view.
#[derive(Debug, Serialize, ToSchema)]
pub struct Tab {
    /// Stable code: a theme (`complaint:NID_DE_POULE`, `rapo`) or a department view.
    pub code: String,
    pub label: String,
    pub department: String,
    pub hidden: bool,
    pub position: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Tabs {
    /// In the agent's order.
    pub tabs: Vec<Tab>,
}

impl From<pb::Tabs> for Tabs {
    fn from(t: pb::Tabs) -> Self {
        Self {
            tabs: t
                .tabs
                .into_iter()
                .map(|t| Tab {
                    code: t.code,
                    label: t.label,
                    department: t.department,
                    hidden: t.hidden,
                    position: t.position,
                })
                .collect(),
        }
    }
}

/// Where the agent wants a tab, and whether to show it.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct TabPreference {
    pub code: String,
    pub position: u32,
    pub hidden: bool,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct TabPreferences {
    pub preferences: Vec<TabPreference>,
}

// ------------------------------------------------------------------ administration

/// A department of the city and the themes it handles.
#[derive(Debug, Serialize, ToSchema)]
pub struct Department {
    /// `VOIRIE`, `POLICE_MUN`, `MRU`…
    pub code: String,
    pub label: String,
    /// `complaint:<CATEGORY>`, `teleservice:<THEME>`, `rapo`.
    pub themes: Vec<String>,
}

impl From<pb::Department> for Department {
    fn from(d: pb::Department) -> Self {
        Self {
            code: d.code,
            label: d.label,
            themes: d.themes,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Departments {
    pub departments: Vec<Department>,
}

/// A department's label and themes; its code is in the path.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DepartmentUpdate {
    pub label: String,
    pub themes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Agent {
    pub id: String,
    pub login: String,
    pub name: String,
    pub departments: Vec<String>,
    /// `agent`, `supervisor`, `form_designer`, `admin`.
    pub roles: Vec<String>,
    /// An inactive agent can no longer sign in.
    pub active: bool,
}

impl From<pb::Agent> for Agent {
    fn from(a: pb::Agent) -> Self {
        Self {
            id: a.id,
            login: a.login,
            name: a.name,
            departments: a.departments,
            roles: a.roles,
            active: a.active,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Agents {
    pub agents: Vec<Agent>,
}

#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewAgent {
    pub login: String,
    /// Initial password, handed to the agent.
    pub password: String,
    pub name: String,
    pub departments: Vec<String>,
    /// `agent`, `supervisor`, `form_designer`, `admin`.
    pub roles: Vec<String>,
}

/// What to change; a field left out keeps its value.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct AgentUpdate {
    /// The agent's departments, all of them (replaces the list).
    pub departments: Option<Vec<String>>,
    /// The agent's roles, all of them (replaces the list).
    pub roles: Option<Vec<String>>,
    /// `false` stops the agent from signing in.
    pub active: Option<bool>,
}

/// Devices an administrator registers. App installations register themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    /// A street or town-hall kiosk.
    Kiosk,
    /// An agent's counter workstation.
    Counter,
    /// A phone desk (Allô Mairie).
    Phone,
}

impl From<DeviceKind> for pb::DeviceKind {
    fn from(kind: DeviceKind) -> Self {
        match kind {
            DeviceKind::Kiosk => Self::Kiosk,
            DeviceKind::Counter => Self::Counter,
            DeviceKind::Phone => Self::Phone,
        }
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewDevice {
    pub kind: Option<DeviceKind>,
    pub label: String,
    /// Where it stands (town hall, annexe), for agents and audit.
    pub location: String,
    /// Its position, in decimal degrees: a kiosk files complaints there and shows the
    /// contact points near it. Both or neither.
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

/// A device's credentials. The secret is shown this once: store it on the device.
#[derive(Serialize, ToSchema)]
pub struct DeviceCredentials {
    pub device_id: String,
    pub secret: String,
}

impl From<pb::DeviceCredentials> for DeviceCredentials {
    fn from(c: pb::DeviceCredentials) -> Self {
        Self {
            device_id: c.device_id,
            secret: c.secret,
        }
    }
}

/// A registered device as administrators see it (never its secret).
#[derive(Serialize, ToSchema)]
pub struct Device {
    pub id: String,
    /// `kiosk`, `counter`, `phone` or `app`.
    pub kind: String,
    pub label: String,
    pub location: String,
    pub created_at: Option<DateTime<Utc>>,
    /// Set once revoked: the device can no longer sign in.
    pub revoked_at: Option<DateTime<Utc>>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
}

impl From<pb::Device> for Device {
    fn from(d: pb::Device) -> Self {
        let kind = match d.kind() {
            pb::DeviceKind::Kiosk => "kiosk",
            pb::DeviceKind::Counter => "counter",
            pb::DeviceKind::Phone => "phone",
            pb::DeviceKind::App | pb::DeviceKind::Unspecified => "app",
        };
        Self {
            id: d.id,
            kind: kind.to_owned(),
            label: d.label,
            location: d.location,
            created_at: d.created_at.as_ref().and_then(datetime),
            revoked_at: d.revoked_at.as_ref().and_then(datetime),
            latitude: d.latitude,
            longitude: d.longitude,
        }
    }
}

/// Filters of the audit log; all optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(default)]
pub struct AuditQuery {
    /// Only this agent's actions.
    pub actor_id: String,
    /// Only what touched this tracking number or account id.
    pub subject: String,
    /// Entries to return, newest first (100 unless asked, 1,000 at most).
    pub limit: u32,
    /// Where the page starts: from the previous page's `Link` header.
    pub cursor: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntry {
    pub id: String,
    pub at: Option<DateTime<Utc>>,
    pub actor_id: String,
    pub actor_name: String,
    pub channel: String,
    /// `read`, `change`…
    pub action: String,
    /// What was touched: a tracking number, an account id.
    pub subject: String,
    /// The service that recorded it.
    pub service: String,
    pub detail: String,
}

impl From<pb::AuditEntry> for AuditEntry {
    fn from(e: pb::AuditEntry) -> Self {
        Self {
            at: e.at.as_ref().and_then(datetime),
            id: e.id,
            actor_id: e.actor_id,
            actor_name: e.actor_name,
            channel: e.channel,
            action: e.action,
            subject: e.subject,
            service: e.service,
            detail: e.detail,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AuditLog {
    /// Newest first.
    pub entries: Vec<AuditEntry>,
}

// ------------------------------------------------------------------ devices

#[derive(Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct DeviceLogin {
    pub device_id: String,
    pub secret: String,
}

/// A mobile app installation registering itself.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct NewAppInstallation {
    /// What the resident may recognise (`iPhone de Camille`).
    pub label: String,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    #[test]
    fn levels_have_their_api_names() {
        let names: Vec<String> = [
            pb::Level::Unspecified,
            pb::Level::Declared,
            pb::Level::Verified,
            pb::Level::CheckedAtCounter,
            pb::Level::Franceconnect,
        ]
        .into_iter()
        .map(|l| serde_json::to_value(Level::from(l)).unwrap().to_string())
        .collect();
        assert_eq!(
            names,
            [
                "\"declared\"",
                "\"declared\"",
                "\"verified\"",
                "\"checked_at_counter\"",
                "\"franceconnect\""
            ]
        );
    }

    #[test]
    fn only_staff_devices_can_be_registered_by_kind() {
        let kiosk: NewDevice = serde_json::from_str(r#"{"kind": "kiosk"}"#).unwrap();
        assert_eq!(kiosk.kind, Some(DeviceKind::Kiosk));
        assert!(serde_json::from_str::<NewDevice>(r#"{"kind": "app"}"#).is_err());
    }
}
