//! Verifying the access tokens the identity service issues. Every service checks the
//! token it is handed itself, with the identity service's published keys (JWKS, fetched
//! over gRPC and refetched when a token names an unknown key), and never trusts the
//! caller's word for who it is.
//!
//! Tokens are JWTs signed with EdDSA (Ed25519) only: `alg: none`, HMAC and every other
//! algorithm are refused, as are expired tokens and tokens for another issuer or audience.

use std::{
    collections::HashMap,
    sync::{Arc, RwLock},
    time::{Duration, Instant},
};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, jwk::JwkSet};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;
use tonic::{Status, metadata::MetadataMap};

use crate::grpc::TracedChannel;
use guichet_proto::{
    demand::v1::Channel,
    identity::v1::{GetJwksRequest, keys_client::KeysClient},
    names,
};

/// Who signs tokens and who they are for.
pub const ISSUER: &str = "guichet-identity";
pub const AUDIENCE: &str = "guichet";
/// Unknown key ids trigger at most one JWKS fetch per this interval, so forged tokens
/// cannot make a service hammer the identity service (one call a second at most), while
/// a token signed with a freshly rotated key is refused for at most that long.
const REFETCH_INTERVAL: Duration = Duration::from_secs(1);

/// What kind of party holds a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Resident,
    Agent,
    /// A registered kiosk, counter, phone desk or app installation acting on its own.
    Device,
}

/// The claims of a Guichet access token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// Account id (resident or agent) or device id.
    pub sub: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub role: Role,
    /// Agents: `agent`, `supervisor`, `form_designer`, `admin`.
    #[serde(default)]
    pub roles: Vec<String>,
    /// Agents: the departments they belong to.
    #[serde(default)]
    pub departments: Vec<String>,
    /// Agents: the themes their departments handle (`complaint:NID_DE_POULE`, `rapo`,
    /// `teleservice:ETAT_CIVIL`): what they may see and act on.
    #[serde(default)]
    pub themes: Vec<String>,
    /// Channel the holder uses, set by the identity service from the device or client
    /// the session was opened on, never from anything the caller chose.
    pub channel: String,
    /// The registered device the session was opened on, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Session (refresh-token family) the token belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// Display name for timelines and audit.
    #[serde(default)]
    pub name: String,
    /// Residents: the businesses (SIRET) the account may act for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub businesses: Vec<BusinessClaim>,
}

/// The department of the city's one desk (Mission Relation Usager and Allô Mairie).
pub const DESK: &str = "MRU";

/// A business a resident's account acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessClaim {
    pub siret: String,
    pub name: String,
}

impl Claims {
    pub fn channel(&self) -> Channel {
        names::parse_channel(&self.channel).unwrap_or(Channel::Web)
    }

    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    pub fn is_admin(&self) -> bool {
        self.role == Role::Agent && self.has_role("admin")
    }

    /// Whether the agent works at the city's one desk (MRU, Allô Mairie and the
    /// neighbourhood counters, department [`DESK`]): they answer callers about any
    /// demand, so they read and write to the resident in every silo, without deciding.
    pub fn at_desk(&self) -> bool {
        self.role == Role::Agent && self.departments.iter().any(|d| d == DESK)
    }

    /// Whether an agent handles demands of `department` or of `theme`.
    pub fn handles(&self, department: &str, theme: &str) -> bool {
        self.role == Role::Agent
            && (self.departments.iter().any(|d| d == department)
                || self.themes.iter().any(|t| t == theme))
    }
}

/// Why a token was refused; callers answer `Unauthenticated` whatever the reason.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("malformed authorization header")]
    Malformed,
    #[error("token refused: {0}")]
    Invalid(String),
    #[error("no published key for key id {0:?}")]
    UnknownKey(String),
}

impl From<AuthError> for Status {
    fn from(error: AuthError) -> Self {
        tracing::info!(%error, "token refused");
        Status::unauthenticated("Session expirée ou invalide : reconnectez-vous.")
    }
}

/// The verified party behind a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Caller {
    /// No token: a resident without account on the web.
    Anonymous,
    Token(Box<Claims>),
}

impl Caller {
    pub fn claims(&self) -> Option<&Claims> {
        match self {
            Caller::Anonymous => None,
            Caller::Token(claims) => Some(claims),
        }
    }

    pub fn role(&self) -> Option<Role> {
        self.claims().map(|c| c.role)
    }

    /// The channel of the request: from the token, or the web for anonymous callers.
    pub fn channel(&self) -> Channel {
        self.claims().map_or(Channel::Web, Claims::channel)
    }

    /// The signed-in resident's account id.
    pub fn resident(&self) -> Option<&str> {
        self.claims()
            .filter(|c| c.role == Role::Resident)
            .map(|c| c.sub.as_str())
    }

    /// The agent's claims, if an agent is calling.
    pub fn agent(&self) -> Option<&Claims> {
        self.claims().filter(|c| c.role == Role::Agent)
    }

    /// Refuses anyone but an agent.
    pub fn require_agent(&self) -> Result<&Claims, Status> {
        match self {
            Caller::Anonymous => Err(Status::unauthenticated("Veuillez vous identifier.")),
            Caller::Token(c) if c.role == Role::Agent => Ok(c),
            Caller::Token(_) => Err(Status::permission_denied(
                "Cet espace est réservé aux agents.",
            )),
        }
    }
}

/// The bearer token of a gRPC call, if any.
pub fn bearer(metadata: &MetadataMap) -> Result<Option<&str>, AuthError> {
    let Some(value) = metadata.get("authorization") else {
        return Ok(None);
    };
    let value = value.to_str().map_err(|_| AuthError::Malformed)?;
    value
        .strip_prefix("Bearer ")
        .map(|t| Some(t.trim()))
        .ok_or(AuthError::Malformed)
}

/// Checks a token's signature and claims against a set of public keys.
pub fn decode(token: &str, keys: &HashMap<String, DecodingKey>) -> Result<Claims, AuthError> {
    let header =
        jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
    if header.alg != Algorithm::EdDSA {
        return Err(AuthError::Invalid(format!("algorithm {:?}", header.alg)));
    }
    let kid = header
        .kid
        .ok_or_else(|| AuthError::Invalid("no key id".into()))?;
    let key = keys.get(&kid).ok_or(AuthError::UnknownKey(kid))?;
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    validation.leeway = 5;
    jsonwebtoken::decode::<Claims>(token, key, &validation)
        .map(|data| data.claims)
        .map_err(|e| AuthError::Invalid(e.to_string()))
}

/// Reads the Ed25519 keys of a JWKS document.
pub fn keys_from_jwks(json: &str) -> anyhow::Result<HashMap<String, DecodingKey>> {
    let set: JwkSet = serde_json::from_str(json)?;
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        if let Some(kid) = &jwk.common.key_id {
            keys.insert(kid.clone(), DecodingKey::from_jwk(jwk)?);
        }
    }
    Ok(keys)
}

/// Verifies tokens with the identity service's keys, cached and refetched on demand.
#[derive(Clone)]
pub struct Verifier {
    keys: Arc<RwLock<HashMap<String, DecodingKey>>>,
    client: KeysClient<TracedChannel>,
    last_fetch: Arc<Mutex<Option<Instant>>>,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier").finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier fetching keys from the identity service at `identity_url`, lazily.
    pub fn new(identity_url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            keys: Arc::default(),
            client: KeysClient::new(crate::grpc::connect_lazy(identity_url)?),
            last_fetch: Arc::default(),
        })
    }

    /// Verifies a bearer token.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let first = {
            let keys = self
                .keys
                .read()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            decode(token, &keys)
        };
        match first {
            Err(AuthError::UnknownKey(kid)) => {
                self.refresh().await;
                let keys = self
                    .keys
                    .read()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                match decode(token, &keys) {
                    Err(AuthError::UnknownKey(_)) => Err(AuthError::UnknownKey(kid)),
                    other => other,
                }
            }
            other => other,
        }
    }

    /// The caller of a gRPC request: anonymous without a token, refused with a bad one.
    pub async fn caller(&self, metadata: &MetadataMap) -> Result<Caller, Status> {
        match bearer(metadata)? {
            None => Ok(Caller::Anonymous),
            Some(token) => Ok(Caller::Token(Box::new(self.verify(token).await?))),
        }
    }

    async fn refresh(&self) {
        let mut last = self.last_fetch.lock().await;
        if last.is_some_and(|at| at.elapsed() < REFETCH_INTERVAL) {
            return;
        }
        *last = Some(Instant::now());
        match self.client.clone().get_jwks(GetJwksRequest {}).await {
            Ok(jwks) => match keys_from_jwks(&jwks.into_inner().json) {
                Ok(keys) => {
                    *self
                        .keys
                        .write()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = keys;
                }
                Err(error) => tracing::error!(%error, "identity published an unreadable JWKS"),
            },
            Err(status) => {
                // Let the next token retry at once: the identity service may be starting.
                *last = None;
                tracing::warn!(%status, "cannot fetch the identity service's keys");
            }
        }
    }
}

/// Adds a bearer token to a gRPC request's metadata (the gateway forwarding a caller's
/// token to a service).
pub fn with_bearer<T>(mut request: tonic::Request<T>, token: Option<&str>) -> tonic::Request<T> {
    if let Some(token) = token
        && let Ok(value) = format!("Bearer {token}").parse()
    {
        request.metadata_mut().insert("authorization", value);
    }
    request
}
