//! The identity service's gRPC face. One `Core` holds what every RPC needs; each
//! submodule implements one service of `guichet.identity.v1`.

mod accounts;
mod audit;
mod devices;
mod franceconnect;
mod keys;
mod links;
mod places;
mod privacy;
mod staff;

use chrono::{DateTime, Utc};
use guichet_kit::{
    Clock,
    auth::{self, Claims, Role},
};
use guichet_proto::{demand::v1::Channel, identity::v1::Client};
use sqlx::{PgConnection, PgPool};
use tonic::metadata::MetadataMap;
use uuid::Uuid;

use crate::{domain::Error, throttle::Throttle, tokens::Tokens};

pub use accounts::AccountsService;
pub use audit::AuditService;
pub use devices::DevicesService;
pub use franceconnect::FranceConnectService;
pub use keys::KeysService;
pub use links::LinksService;
pub use places::ContactPointsService;
pub use privacy::PrivacyService;
pub use staff::StaffService;
pub use staff::bootstrap_admin;

/// What every RPC needs.
#[derive(Clone)]
pub struct Core {
    pub pool: PgPool,
    pub clock: Clock,
    pub tokens: Tokens,
    pub throttle: Throttle,
    /// Base URL of the web front door, for links sent by e-mail.
    pub public_url: String,
}

impl Core {
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Verifies a token with this service's own published keys.
    pub async fn verify(&self, token: &str) -> Result<Claims, Error> {
        let keys =
            crate::keys::decoding_keys(&self.pool, self.now(), self.tokens.config().key_grace())
                .await?;
        auth::decode(token, &keys).map_err(|error| {
            tracing::info!(%error, "token refused");
            Error::Unauthenticated("Session expirée ou invalide : reconnectez-vous.")
        })
    }

    /// The verified caller, if a token came with the request.
    pub async fn caller(&self, metadata: &MetadataMap) -> Result<Option<Claims>, Error> {
        match auth::bearer(metadata) {
            Ok(None) => Ok(None),
            Ok(Some(token)) => self.verify(token).await.map(Some),
            Err(_) => Err(Error::Unauthenticated("En-tête d'autorisation illisible.")),
        }
    }

    pub async fn resident(&self, metadata: &MetadataMap) -> Result<Uuid, Error> {
        self.resident_claims(metadata)
            .await?
            .sub
            .parse()
            .map_err(|_| Error::Unauthenticated("Session invalide."))
    }

    /// The calling resident's claims (their session id among them).
    pub async fn resident_claims(&self, metadata: &MetadataMap) -> Result<Claims, Error> {
        match self.caller(metadata).await? {
            Some(claims) if claims.role == Role::Resident => Ok(claims),
            Some(_) => Err(Error::Forbidden("Cet espace est réservé aux usagers.")),
            None => Err(Error::Unauthenticated("Veuillez vous identifier.")),
        }
    }

    pub async fn agent(&self, metadata: &MetadataMap) -> Result<Claims, Error> {
        match self.caller(metadata).await? {
            Some(claims) if claims.role == Role::Agent => Ok(claims),
            Some(_) => Err(Error::Forbidden("Cet espace est réservé aux agents.")),
            None => Err(Error::Unauthenticated("Veuillez vous identifier.")),
        }
    }

    pub async fn admin(&self, metadata: &MetadataMap) -> Result<Claims, Error> {
        let claims = self.agent(metadata).await?;
        if claims.is_admin() {
            Ok(claims)
        } else {
            Err(Error::Forbidden("Action réservée aux administrateurs."))
        }
    }

    /// The channel and device a login comes through: from the device's own token, never
    /// from anything else the caller says. No device means the web portal.
    pub async fn channel_of(
        &self,
        client: Option<&Client>,
    ) -> Result<(Channel, Option<Uuid>), Error> {
        let token = client.map(|c| c.device_token.as_str()).unwrap_or_default();
        if token.is_empty() {
            return Ok((Channel::Web, None));
        }
        let claims = self.verify(token).await?;
        if claims.role != Role::Device {
            // A resident or agent token is not a device credential: ignore it.
            return Ok((Channel::Web, None));
        }
        Ok((claims.channel(), claims.sub.parse().ok()))
    }

    /// Appends to the audit log, in the caller's transaction.
    pub async fn audit(
        &self,
        conn: &mut PgConnection,
        actor: &Claims,
        action: &str,
        subject: &str,
        detail: &str,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO audit_log (id, at, actor_id, actor_name, channel, action, subject, service, detail)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'identity', $8)",
        )
        .bind(Uuid::now_v7())
        .bind(self.now())
        .bind(&actor.sub)
        .bind(&actor.name)
        .bind(&actor.channel)
        .bind(action)
        .bind(subject)
        .bind(detail)
        .execute(conn)
        .await?;
        Ok(())
    }
}

/// The caller's address, for throttling.
pub fn address(client: Option<&Client>) -> &str {
    client.map(|c| c.address.as_str()).unwrap_or_default()
}
