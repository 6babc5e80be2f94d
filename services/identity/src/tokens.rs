//! Sessions and tokens. A session is a refresh-token family: every refresh spends the
//! presented token and returns a new one; presenting a spent token again means it was
//! stolen, and the whole family is revoked. Access tokens are short-lived EdDSA JWTs
//! whose claims are recomputed at each refresh, so a changed role takes effect quickly.

use anyhow::Context as _;
use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::{DateTime, Duration, Utc};
use guichet_kit::{
    Clock,
    auth::{AUDIENCE, BusinessClaim, Claims, ISSUER, Role},
};
use guichet_proto::{demand::v1::Channel, identity::v1::TokenPair, names};
use rand::RngCore as _;
use serde::Deserialize;
use sha2::{Digest as _, Sha256};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

use crate::{domain::Error, keys};

/// Lifetimes of tokens and sessions.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct TokenConfig {
    pub access_seconds: i64,
    /// Kiosks: a resident walks away; the session must die on its own, fast.
    pub kiosk_access_seconds: i64,
    pub kiosk_idle_seconds: i64,
    pub kiosk_max_seconds: i64,
    pub resident_idle_days: i64,
    pub agent_idle_hours: i64,
    pub agent_max_hours: i64,
    pub key_rotation_days: i64,
}

impl Default for TokenConfig {
    fn default() -> Self {
        Self {
            access_seconds: 600,
            kiosk_access_seconds: 120,
            kiosk_idle_seconds: 180,
            kiosk_max_seconds: 900,
            resident_idle_days: 30,
            agent_idle_hours: 8,
            agent_max_hours: 24,
            key_rotation_days: 30,
        }
    }
}

impl TokenConfig {
    /// How long a retired key stays published: longer than any access token lives.
    pub fn key_grace(&self) -> Duration {
        Duration::seconds(self.access_seconds.max(self.kiosk_access_seconds) + 60)
    }
}

/// What kind of party a session is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Resident,
    Agent,
    Device,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Resident => "resident",
            Kind::Agent => "agent",
            Kind::Device => "device",
        }
    }

    fn parse(text: &str) -> Self {
        match text {
            "agent" => Kind::Agent,
            "device" => Kind::Device,
            _ => Kind::Resident,
        }
    }
}

/// A session to open.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub subject: Uuid,
    pub kind: Kind,
    pub channel: Channel,
    pub device_id: Option<Uuid>,
    pub fc_id_token: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Session {
    pub id: Uuid,
    pub subject: Uuid,
    pub kind: String,
    pub channel: String,
    pub device_id: Option<Uuid>,
    pub last_seen_at: DateTime<Utc>,
    pub idle_seconds: i32,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
    pub fc_id_token: Option<String>,
}

/// Issues and rotates tokens.
#[derive(Clone)]
pub struct Tokens {
    pool: PgPool,
    clock: Clock,
    cfg: TokenConfig,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Secrets are stored as SHA-256 digests: a database leak yields nothing usable.
pub fn digest(secret: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(secret.as_bytes()))
}

impl Tokens {
    pub fn new(pool: PgPool, clock: Clock, cfg: TokenConfig) -> Self {
        Self { pool, clock, cfg }
    }

    pub fn config(&self) -> &TokenConfig {
        &self.cfg
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn limits(&self, session: &NewSession) -> (Duration, Duration) {
        let kiosk = session.channel == Channel::Kiosk;
        match session.kind {
            Kind::Resident if kiosk => (
                Duration::seconds(self.cfg.kiosk_idle_seconds),
                Duration::seconds(self.cfg.kiosk_max_seconds),
            ),
            Kind::Resident => (
                Duration::days(self.cfg.resident_idle_days),
                Duration::days(self.cfg.resident_idle_days * 3),
            ),
            Kind::Agent => (
                Duration::hours(self.cfg.agent_idle_hours),
                Duration::hours(self.cfg.agent_max_hours),
            ),
            Kind::Device => (Duration::days(30), Duration::days(365)),
        }
    }

    /// Opens a session and returns its first token pair.
    pub async fn open(
        &self,
        conn: &mut PgConnection,
        new: &NewSession,
    ) -> Result<TokenPair, Error> {
        let now = self.clock.now();
        let (idle, max) = self.limits(new);
        let session = Session {
            id: Uuid::now_v7(),
            subject: new.subject,
            kind: new.kind.as_str().to_owned(),
            channel: names::channel(new.channel),
            device_id: new.device_id,
            last_seen_at: now,
            idle_seconds: i32::try_from(idle.num_seconds()).unwrap_or(i32::MAX),
            expires_at: now + max,
            revoked_at: None,
            fc_id_token: new.fc_id_token.clone(),
        };
        sqlx::query(
            "INSERT INTO sessions (id, subject, kind, channel, device_id, created_at, last_seen_at,
                idle_seconds, expires_at, fc_id_token)
             VALUES ($1, $2, $3, $4, $5, $6, $6, $7, $8, $9)",
        )
        .bind(session.id)
        .bind(session.subject)
        .bind(&session.kind)
        .bind(&session.channel)
        .bind(session.device_id)
        .bind(now)
        .bind(session.idle_seconds)
        .bind(session.expires_at)
        .bind(&session.fc_id_token)
        .execute(&mut *conn)
        .await
        .context("opening a session")?;
        self.pair(conn, &session).await
    }

    /// Spends a refresh token and returns a new pair; a spent token revokes its family.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenPair, Error> {
        let dead = Error::Unauthenticated("Session expirée : reconnectez-vous.");
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let row: Option<(Uuid, Option<DateTime<Utc>>)> = sqlx::query_as(
            "SELECT session_id, used_at FROM refresh_tokens WHERE hash = $1 FOR UPDATE",
        )
        .bind(digest(refresh_token))
        .fetch_optional(&mut *tx)
        .await?;
        let Some((session_id, used_at)) = row else {
            return Err(dead);
        };
        if used_at.is_some() {
            // A spent token came back: someone else holds the family. End it for everyone.
            sqlx::query(
                "UPDATE sessions SET revoked_at = $2, revoked_reason = 'refresh token reused'
                 WHERE id = $1 AND revoked_at IS NULL",
            )
            .bind(session_id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            guichet_kit::bus::commit(tx).await?;
            tracing::warn!(session = %session_id, "refresh token reused; session revoked");
            return Err(dead);
        }
        let session: Session = sqlx::query_as(
            "SELECT id, subject, kind, channel, device_id, last_seen_at, idle_seconds, expires_at,
                revoked_at, fc_id_token FROM sessions WHERE id = $1 FOR UPDATE",
        )
        .bind(session_id)
        .fetch_one(&mut *tx)
        .await?;
        let idle_limit = session.last_seen_at + Duration::seconds(i64::from(session.idle_seconds));
        if session.revoked_at.is_some() || now >= session.expires_at || now >= idle_limit {
            return Err(dead);
        }
        sqlx::query("UPDATE refresh_tokens SET used_at = $2 WHERE hash = $1")
            .bind(digest(refresh_token))
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1")
            .bind(session.id)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        let pair = self.pair(&mut tx, &session).await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(pair)
    }

    /// Ends the session a refresh token belongs to; unknown tokens are ignored.
    pub async fn logout(&self, refresh_token: &str) -> Result<Option<Session>, Error> {
        let session: Option<Session> = sqlx::query_as(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = 'logout'
             WHERE id = (SELECT session_id FROM refresh_tokens WHERE hash = $1)
             RETURNING id, subject, kind, channel, device_id, last_seen_at, idle_seconds,
                expires_at, revoked_at, fc_id_token",
        )
        .bind(digest(refresh_token))
        .bind(self.clock.now())
        .fetch_optional(&self.pool)
        .await?;
        Ok(session)
    }

    async fn pair(&self, conn: &mut PgConnection, session: &Session) -> Result<TokenPair, Error> {
        let refresh = random_token();
        sqlx::query("INSERT INTO refresh_tokens (hash, session_id, issued_at) VALUES ($1, $2, $3)")
            .bind(digest(&refresh))
            .bind(session.id)
            .bind(self.clock.now())
            .execute(&mut *conn)
            .await
            .context("storing a refresh token")?;
        let (access, ttl) = self.access_token(conn, session).await?;
        Ok(TokenPair {
            access_token: access,
            refresh_token: refresh,
            expires_in: u32::try_from(ttl).unwrap_or(u32::MAX),
            token_type: "Bearer".to_owned(),
        })
    }

    /// Signs an access token with claims read fresh from the database.
    async fn access_token(
        &self,
        conn: &mut PgConnection,
        session: &Session,
    ) -> Result<(String, i64), Error> {
        let now = self.clock.now();
        let kind = Kind::parse(&session.kind);
        let ttl = if session.channel == "kiosk" && kind == Kind::Resident {
            self.cfg.kiosk_access_seconds
        } else {
            self.cfg.access_seconds
        };
        let mut claims = Claims {
            iss: ISSUER.to_owned(),
            aud: AUDIENCE.to_owned(),
            sub: session.subject.to_string(),
            exp: (now + Duration::seconds(ttl)).timestamp(),
            iat: now.timestamp(),
            jti: Uuid::new_v4().to_string(),
            role: Role::Resident,
            roles: Vec::new(),
            departments: Vec::new(),
            themes: Vec::new(),
            channel: session.channel.clone(),
            device: session.device_id.map(|d| d.to_string()),
            sid: Some(session.id.to_string()),
            name: String::new(),
            businesses: Vec::new(),
        };
        match kind {
            Kind::Resident => {
                claims.name = sqlx::query_scalar(
                    "SELECT coalesce(string_agg(value, ' ' ORDER BY name DESC), '') FROM attributes
                     WHERE account_id = $1 AND name IN ('given_name', 'family_name')",
                )
                .bind(session.subject)
                .fetch_one(&mut *conn)
                .await?;
                let businesses: Vec<(String, String)> = sqlx::query_as(
                    "SELECT siret, name FROM businesses WHERE account_id = $1 ORDER BY added_at",
                )
                .bind(session.subject)
                .fetch_all(&mut *conn)
                .await?;
                claims.businesses = businesses
                    .into_iter()
                    .map(|(siret, name)| BusinessClaim { siret, name })
                    .collect();
            }
            Kind::Agent => {
                let agent: Option<(String, Vec<String>, bool)> =
                    sqlx::query_as("SELECT name, roles, active FROM agents WHERE id = $1")
                        .bind(session.subject)
                        .fetch_optional(&mut *conn)
                        .await?;
                let Some((name, roles, true)) = agent else {
                    return Err(Error::Unauthenticated("Ce compte agent est désactivé."));
                };
                let (departments, themes): (Vec<String>, Vec<String>) = sqlx::query_as(
                    "SELECT coalesce(array_agg(DISTINCT d.code), '{}'),
                            coalesce(array_agg(DISTINCT t) FILTER (WHERE t IS NOT NULL), '{}')
                     FROM agent_departments a JOIN departments d ON d.code = a.department
                     LEFT JOIN LATERAL unnest(d.themes) t ON TRUE
                     WHERE a.agent_id = $1",
                )
                .bind(session.subject)
                .fetch_one(&mut *conn)
                .await?;
                claims.role = Role::Agent;
                claims.name = name;
                claims.roles = roles;
                claims.departments = departments;
                claims.themes = themes;
            }
            Kind::Device => {
                claims.role = Role::Device;
                claims.name = sqlx::query_scalar(
                    "SELECT label FROM devices WHERE id = $1 AND revoked_at IS NULL",
                )
                .bind(session.subject)
                .fetch_optional(&mut *conn)
                .await?
                .ok_or(Error::Unauthenticated("Cet appareil n'est plus autorisé."))?;
            }
        }
        let (kid, key) = keys::signing_key(&self.pool).await?;
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(kid);
        let token =
            jsonwebtoken::encode(&header, &claims, &key).context("signing an access token")?;
        Ok((token, ttl))
    }
}
