//! Residents' accounts: sign-up, e-mail verification, login, refresh, logout, password
//! reset, and the profile that prefills forms.

use std::collections::HashMap;

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::{
    bus::{self, Event},
    grpc::{Violation, timestamp},
    validate::Siret,
};
use guichet_proto::{
    events::v1::{AccountErased, AccountVerificationRequested, PasswordResetRequested},
    identity::v1::{
        AddBusinessRequest, Attribute, Business, CertifyAttributeRequest, EndSessionRequest,
        EndSessionResponse, EraseAccountRequest, EraseAccountResponse, GetProfileRequest,
        ListSessionsRequest, ListSessionsResponse, LoginRequest, LogoutRequest, LogoutResponse,
        Profile, RefreshRequest, RequestPasswordResetRequest, RequestPasswordResetResponse,
        ResetPasswordRequest, ResetPasswordResponse, Session, SignUpRequest, SignUpResponse,
        TokenPair, UpdateProfileRequest, VerifyEmailRequest, VerifyEmailResponse,
        accounts_server::Accounts,
    },
};
use sqlx::PgConnection;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Core, address};
use crate::{
    domain::{Error, Level, attribute_violation, normalize_email, password},
    links::{self, Purpose},
    throttle,
    tokens::{Kind, NewSession},
};

const SOURCE: &str = "/guichet/identity";
const WRONG_CREDENTIALS: &str = "Adresse e-mail ou mot de passe incorrect.";

pub struct AccountsService(pub Core);

impl AccountsService {
    #[tracing::instrument(name = "Sign up a resident", skip_all)]
    async fn sign_up(&self, request: SignUpRequest) -> Result<Uuid, Error> {
        let core = &self.0;
        let mut problems = Vec::new();
        let email = normalize_email(&request.email)
            .map_err(|v| problems.push(v))
            .ok();
        if let Some(text) = password::policy_violation(&request.password) {
            problems.push(Violation::new("password", text));
        }
        for (name, value) in &request.attributes {
            if let Some(text) = attribute_violation(name, value.trim()) {
                problems.push(Violation::new(&format!("attributes.{name}"), text));
            }
        }
        let Some(email) = email.filter(|_| problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        let hash = password::hash(&request.password).await?;
        let now = core.now();
        let id = Uuid::now_v7();
        let mut tx = core.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO accounts (id, email, password_hash, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (email) DO NOTHING",
        )
        .bind(id)
        .bind(&email)
        .bind(&hash)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(Error::Conflict(
                "Un compte existe déjà avec cette adresse e-mail.",
            ));
        }
        for (name, value) in &request.attributes {
            set_attribute(&mut tx, id, name, value.trim(), Level::Declared, now).await?;
        }
        self.send_link(&mut tx, id, &email, Purpose::VerifyEmail)
            .await?;
        guichet_kit::bus::commit(tx).await?;
        tracing::info!(account = %id, "resident signed up");
        Ok(id)
    }

    /// Asks for an e-mail with a link: records the link request and publishes its
    /// event, which carries the request's id and never the link ([`links`]).
    async fn send_link(
        &self,
        conn: &mut PgConnection,
        account: Uuid,
        email: &str,
        purpose: Purpose,
    ) -> Result<(), Error> {
        let core = &self.0;
        let (request, expires_at) =
            links::request(&mut *conn, account, purpose, core.now()).await?;
        let event = match purpose {
            Purpose::VerifyEmail => Event::new(
                SOURCE,
                "identity.account.verification_requested",
                &account.to_string(),
                core.now(),
                &AccountVerificationRequested {
                    account_id: account.to_string(),
                    email: email.to_owned(),
                    expires_at: Some(timestamp(expires_at)),
                    request_id: request.to_string(),
                },
            ),
            Purpose::ResetPassword => Event::new(
                SOURCE,
                "identity.account.password_reset_requested",
                &account.to_string(),
                core.now(),
                &PasswordResetRequested {
                    account_id: account.to_string(),
                    email: email.to_owned(),
                    expires_at: Some(timestamp(expires_at)),
                    request_id: request.to_string(),
                },
            ),
        };
        bus::enqueue(conn, &event).await?;
        Ok(())
    }

    /// Spends a link's secret (and every other link of its request); the account it
    /// was for.
    async fn spend(
        &self,
        conn: &mut PgConnection,
        token: &str,
        purpose: Purpose,
    ) -> Result<Uuid, Error> {
        links::spend(conn, token, purpose, self.0.now()).await
    }

    /// Sets a new password with a reset link's secret. The secret is checked (its
    /// digest looked up, unused, unexpired) and spent before `hash` runs: a bogus link
    /// costs a lookup, never an Argon2 computation. Spent in the transaction that
    /// stores the new hash, so a failure leaves the link usable.
    async fn reset<H, F>(&self, token: &str, new_password: String, hash: H) -> Result<(), Error>
    where
        H: FnOnce(String) -> F,
        F: Future<Output = anyhow::Result<String>>,
    {
        let core = &self.0;
        let mut tx = core.pool.begin().await?;
        let account = self.spend(&mut tx, token, Purpose::ResetPassword).await?;
        let hash = hash(new_password).await?;
        sqlx::query("UPDATE accounts SET password_hash = $2 WHERE id = $1")
            .bind(account)
            .bind(hash)
            .execute(&mut *tx)
            .await?;
        // Whoever knew the old password is signed out everywhere.
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = 'password reset'
             WHERE subject = $1 AND revoked_at IS NULL",
        )
        .bind(account)
        .bind(core.now())
        .execute(&mut *tx)
        .await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(())
    }

    #[tracing::instrument(name = "Resident login", skip_all)]
    async fn login(&self, request: LoginRequest) -> Result<TokenPair, Error> {
        let core = &self.0;
        let email = request.email.trim().to_lowercase();
        let attempt = throttle::Attempt::new(&email, address(request.client.as_ref()));
        let gate = core.throttle.check(&attempt).await?;
        let account: Option<(Uuid, Option<String>)> = sqlx::query_as(
            "SELECT id, password_hash FROM accounts WHERE email = $1 AND erased_at IS NULL",
        )
        .bind(&email)
        .fetch_optional(&core.pool)
        .await?;
        let verified = match &account {
            Some((_, Some(hash))) => password::verify(&request.password, hash).await,
            _ => {
                password::dummy_verify(&request.password).await;
                false
            }
        };
        let Some((id, _)) = account.filter(|_| verified) else {
            return Err(core
                .throttle
                .failed(&attempt, gate, WRONG_CREDENTIALS)
                .await);
        };
        core.throttle.succeeded(&attempt).await?;
        let (channel, device_id) = core.channel_of(request.client.as_ref()).await?;
        let mut tx = core.pool.begin().await?;
        let session = NewSession {
            subject: id,
            kind: Kind::Resident,
            channel,
            device_id,
            fc_id_token: None,
        };
        let pair = core.tokens.open(&mut tx, &session).await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(pair)
    }

    async fn profile(&self, account: Uuid) -> Result<Profile, Error> {
        profile(&self.0, account).await
    }

    async fn update_profile(
        &self,
        account: Uuid,
        request: UpdateProfileRequest,
    ) -> Result<Profile, Error> {
        let core = &self.0;
        let current = current_levels(&core.pool, account).await?;
        let mut problems = Vec::new();
        for (name, value) in &request.attributes {
            if current
                .get(name)
                .is_some_and(|level| *level == Level::FranceConnect)
            {
                problems.push(Violation::new(
                    &format!("attributes.{name}"),
                    "Cette information vient de FranceConnect et ne peut pas être modifiée ici.",
                ));
            } else if let Some(text) = attribute_violation(name, value.trim()) {
                problems.push(Violation::new(&format!("attributes.{name}"), text));
            }
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems));
        }
        let now = core.now();
        let mut tx = core.pool.begin().await?;
        for (name, value) in &request.attributes {
            set_attribute(&mut tx, account, name, value.trim(), Level::Declared, now).await?;
        }
        guichet_kit::bus::commit(tx).await?;
        self.profile(account).await
    }

    async fn add_business(
        &self,
        account: Uuid,
        request: AddBusinessRequest,
    ) -> Result<Profile, Error> {
        let core = &self.0;
        let mut problems = Vec::new();
        let siret = Siret::parse(&request.siret);
        if siret.is_none() {
            problems.push(Violation::new(
                "siret",
                "Ce numéro SIRET n'est pas valide (14 chiffres).",
            ));
        }
        let name = request.name.trim();
        if name.is_empty() || name.chars().count() > 200 {
            problems.push(Violation::new(
                "name",
                "Indiquez la raison sociale (200 caractères au plus).",
            ));
        }
        let Some(siret) = siret.filter(|_| problems.is_empty()) else {
            return Err(Error::Invalid(problems));
        };
        sqlx::query(
            "INSERT INTO businesses (account_id, siret, name, address, added_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (account_id, siret) DO UPDATE SET name = $3, address = $4",
        )
        .bind(account)
        .bind(siret.as_str())
        .bind(name)
        .bind(request.address.trim())
        .bind(core.now())
        .execute(&core.pool)
        .await?;
        self.profile(account).await
    }
}

impl AccountsService {
    /// RGPD erasure: removes the account's personal data, ends its sessions, and tells
    /// every service to anonymise what it keeps.
    #[tracing::instrument(name = "Erase an account", skip_all, fields(%account))]
    async fn erase(&self, account: Uuid, password_text: &str) -> Result<(), Error> {
        let core = &self.0;
        let stored: Option<Option<String>> = sqlx::query_scalar(
            "SELECT password_hash FROM accounts WHERE id = $1 AND erased_at IS NULL",
        )
        .bind(account)
        .fetch_optional(&core.pool)
        .await?;
        match stored {
            None => return Err(Error::Unauthenticated("Ce compte n'existe plus.")),
            Some(Some(hash)) if !password::verify(password_text, &hash).await => {
                return Err(Error::field("password", "Mot de passe incorrect."));
            }
            // FranceConnect-only accounts have no password: the fresh session suffices.
            Some(_) => {}
        }
        let now = core.now();
        let mut tx = core.pool.begin().await?;
        sqlx::query(
            "UPDATE accounts SET email = NULL, password_hash = NULL, fc_sub = NULL,
                email_verified_at = NULL, erased_at = $2 WHERE id = $1",
        )
        .bind(account)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        for table in [
            "attributes",
            "businesses",
            "one_time_tokens",
            "link_requests",
        ] {
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DELETE FROM {table} WHERE account_id = $1"
            )))
            .bind(account)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = 'account erased', fc_id_token = NULL
             WHERE subject = $1 AND revoked_at IS NULL",
        )
        .bind(account)
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let erased = AccountErased {
            account_id: account.to_string(),
            at: Some(timestamp(now)),
        };
        bus::enqueue(
            &mut tx,
            &Event::new(
                SOURCE,
                "identity.account.erased",
                &account.to_string(),
                now,
                &erased,
            ),
        )
        .await?;
        guichet_kit::bus::commit(tx).await?;
        tracing::info!("account erased");
        Ok(())
    }
}

/// Sets an attribute unless a stronger level already vouches for another value; an
/// empty declared value removes a declared attribute.
pub async fn set_attribute(
    conn: &mut PgConnection,
    account: Uuid,
    name: &str,
    value: &str,
    level: Level,
    at: DateTime<Utc>,
) -> Result<(), Error> {
    if value.is_empty() && level == Level::Declared {
        sqlx::query("DELETE FROM attributes WHERE account_id = $1 AND name = $2 AND level <= $3")
            .bind(account)
            .bind(name)
            .bind(level as i16)
            .execute(conn)
            .await?;
        return Ok(());
    }
    sqlx::query(
        "INSERT INTO attributes (account_id, name, value, level, updated_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account_id, name) DO UPDATE SET value = $3, level = $4, updated_at = $5
         WHERE attributes.level <= $4",
    )
    .bind(account)
    .bind(name)
    .bind(value)
    .bind(level as i16)
    .bind(at)
    .execute(conn)
    .await
    .context("storing an attribute")?;
    Ok(())
}

async fn current_levels(
    pool: &sqlx::PgPool,
    account: Uuid,
) -> Result<HashMap<String, Level>, Error> {
    let rows: Vec<(String, i16)> =
        sqlx::query_as("SELECT name, level FROM attributes WHERE account_id = $1")
            .bind(account)
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .map(|(n, l)| (n, Level::from_db(l)))
        .collect())
}

#[derive(sqlx::FromRow)]
struct AccountRow {
    email: Option<String>,
    email_verified_at: Option<DateTime<Utc>>,
    fc_sub: Option<String>,
}

/// A resident's whole profile.
pub async fn profile(core: &Core, account: Uuid) -> Result<Profile, Error> {
    let row: Option<AccountRow> = sqlx::query_as(
        "SELECT email, email_verified_at, fc_sub FROM accounts WHERE id = $1 AND erased_at IS NULL",
    )
    .bind(account)
    .fetch_optional(&core.pool)
    .await?;
    let Some(AccountRow {
        email,
        email_verified_at: verified_at,
        fc_sub,
    }) = row
    else {
        return Err(Error::Unauthenticated("Ce compte n'existe plus."));
    };
    let attributes: Vec<(String, String, i16, DateTime<Utc>)> = sqlx::query_as(
        "SELECT name, value, level, updated_at FROM attributes WHERE account_id = $1 ORDER BY name",
    )
    .bind(account)
    .fetch_all(&core.pool)
    .await?;
    let businesses: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT siret, name, address FROM businesses WHERE account_id = $1 ORDER BY added_at",
    )
    .bind(account)
    .fetch_all(&core.pool)
    .await?;
    Ok(Profile {
        account_id: account.to_string(),
        email: email.unwrap_or_default(),
        email_verified: verified_at.is_some(),
        franceconnect_linked: fc_sub.is_some(),
        attributes: attributes
            .into_iter()
            .map(|(name, value, level, at)| {
                let level = Level::from_db(level);
                Attribute {
                    name,
                    value,
                    level: level.to_proto() as i32,
                    updated_at: Some(timestamp(at)),
                    read_only: level == Level::FranceConnect,
                }
            })
            .collect(),
        businesses: businesses
            .into_iter()
            .map(|(siret, name, address)| Business {
                siret,
                name,
                address,
            })
            .collect(),
    })
}

#[tonic::async_trait]
impl Accounts for AccountsService {
    async fn sign_up(
        &self,
        request: Request<SignUpRequest>,
    ) -> Result<Response<SignUpResponse>, Status> {
        let id = self.sign_up(request.into_inner()).await?;
        Ok(Response::new(SignUpResponse {
            account_id: id.to_string(),
        }))
    }

    async fn verify_email(
        &self,
        request: Request<VerifyEmailRequest>,
    ) -> Result<Response<VerifyEmailResponse>, Status> {
        let core = &self.0;
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        let account = self
            .spend(&mut tx, &request.get_ref().token, Purpose::VerifyEmail)
            .await?;
        let email: Option<String> = sqlx::query_scalar(
            "UPDATE accounts SET email_verified_at = coalesce(email_verified_at, $2) WHERE id = $1 RETURNING email",
        )
        .bind(account)
        .bind(core.now())
        .fetch_one(&mut *tx)
        .await
        .map_err(Error::from)?;
        if let Some(email) = email {
            set_attribute(
                &mut tx,
                account,
                "email",
                &email,
                Level::Verified,
                core.now(),
            )
            .await?;
        }
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(VerifyEmailResponse {}))
    }

    async fn login(&self, request: Request<LoginRequest>) -> Result<Response<TokenPair>, Status> {
        Ok(Response::new(self.login(request.into_inner()).await?))
    }

    async fn refresh(
        &self,
        request: Request<RefreshRequest>,
    ) -> Result<Response<TokenPair>, Status> {
        Ok(Response::new(
            self.0
                .tokens
                .refresh(&request.get_ref().refresh_token)
                .await?,
        ))
    }

    async fn logout(
        &self,
        request: Request<LogoutRequest>,
    ) -> Result<Response<LogoutResponse>, Status> {
        self.0
            .tokens
            .logout(&request.get_ref().refresh_token)
            .await?;
        Ok(Response::new(LogoutResponse {}))
    }

    async fn request_password_reset(
        &self,
        request: Request<RequestPasswordResetRequest>,
    ) -> Result<Response<RequestPasswordResetResponse>, Status> {
        let core = &self.0;
        let email = request.get_ref().email.trim().to_lowercase();
        let account: Option<Uuid> =
            sqlx::query_scalar("SELECT id FROM accounts WHERE email = $1 AND erased_at IS NULL")
                .bind(&email)
                .fetch_optional(&core.pool)
                .await
                .map_err(Error::from)?;
        // The answer is the same whether the address is known or not.
        if let Some(account) = account {
            let mut tx = core.pool.begin().await.map_err(Error::from)?;
            self.send_link(&mut tx, account, &email, Purpose::ResetPassword)
                .await?;
            guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        }
        Ok(Response::new(RequestPasswordResetResponse {}))
    }

    async fn reset_password(
        &self,
        request: Request<ResetPasswordRequest>,
    ) -> Result<Response<ResetPasswordResponse>, Status> {
        let request = request.into_inner();
        // Judged first, as the pages expect: a refused password leaves the link unspent.
        if let Some(text) = password::policy_violation(&request.new_password) {
            return Err(Error::field("new_password", text).into());
        }
        self.reset(
            &request.token,
            request.new_password,
            |new: String| async move { password::hash(&new).await },
        )
        .await?;
        Ok(Response::new(ResetPasswordResponse {}))
    }

    async fn get_profile(
        &self,
        request: Request<GetProfileRequest>,
    ) -> Result<Response<Profile>, Status> {
        let account = self.0.resident(request.metadata()).await?;
        Ok(Response::new(self.profile(account).await?))
    }

    async fn update_profile(
        &self,
        request: Request<UpdateProfileRequest>,
    ) -> Result<Response<Profile>, Status> {
        let account = self.0.resident(request.metadata()).await?;
        Ok(Response::new(
            self.update_profile(account, request.into_inner()).await?,
        ))
    }

    async fn list_sessions(
        &self,
        request: Request<ListSessionsRequest>,
    ) -> Result<Response<ListSessionsResponse>, Status> {
        let core = &self.0;
        let claims = core.resident_claims(request.metadata()).await?;
        let account: Uuid = claims
            .sub
            .parse()
            .map_err(|_| Error::Unauthenticated("Session invalide."))?;
        // Open ones only: not revoked, not past their absolute or idle limit.
        let rows: Vec<(Uuid, String, DateTime<Utc>, DateTime<Utc>, bool)> = sqlx::query_as(
            "SELECT id, channel, created_at, last_seen_at, fc_id_token IS NOT NULL FROM sessions
             WHERE subject = $1 AND kind = 'resident' AND revoked_at IS NULL
               AND expires_at > $2 AND last_seen_at + make_interval(secs => idle_seconds) > $2
             ORDER BY last_seen_at DESC, id",
        )
        .bind(account)
        .bind(core.now())
        .fetch_all(&core.pool)
        .await
        .map_err(Error::from)?;
        let current = claims.sid.as_deref().unwrap_or_default();
        Ok(Response::new(ListSessionsResponse {
            sessions: rows
                .into_iter()
                .map(
                    |(id, channel, created_at, last_seen_at, franceconnect)| Session {
                        current: id.to_string() == current,
                        id: id.to_string(),
                        channel,
                        created_at: Some(timestamp(created_at)),
                        last_seen_at: Some(timestamp(last_seen_at)),
                        franceconnect,
                    },
                )
                .collect(),
        }))
    }

    async fn end_session(
        &self,
        request: Request<EndSessionRequest>,
    ) -> Result<Response<EndSessionResponse>, Status> {
        let core = &self.0;
        let account = core.resident(request.metadata()).await?;
        let unknown = || Error::NotFound("Cette session n'existe pas ou est déjà terminée.");
        let id: Uuid = request
            .get_ref()
            .session_id
            .trim()
            .parse()
            .map_err(|_| unknown())?;
        // Another resident's session answers as one that does not exist.
        let ended = sqlx::query(
            "UPDATE sessions SET revoked_at = $3, revoked_reason = 'ended by the resident'
             WHERE id = $1 AND subject = $2 AND kind = 'resident' AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(account)
        .bind(core.now())
        .execute(&core.pool)
        .await
        .map_err(Error::from)?;
        if ended.rows_affected() == 0 {
            return Err(unknown().into());
        }
        Ok(Response::new(EndSessionResponse {}))
    }

    async fn erase_account(
        &self,
        request: Request<EraseAccountRequest>,
    ) -> Result<Response<EraseAccountResponse>, Status> {
        let account = self.0.resident(request.metadata()).await?;
        self.erase(account, &request.get_ref().password).await?;
        Ok(Response::new(EraseAccountResponse {}))
    }

    async fn certify_attribute(
        &self,
        request: Request<CertifyAttributeRequest>,
    ) -> Result<Response<Profile>, Status> {
        let core = &self.0;
        let agent = core.agent(request.metadata()).await?;
        if agent.channel() != guichet_proto::demand::v1::Channel::Counter {
            return Err(Error::Forbidden(
                "Seul un agent au guichet peut certifier une information sur pièce.",
            )
            .into());
        }
        let request = request.into_inner();
        let account: Uuid = request
            .account_id
            .parse()
            .map_err(|_| Error::NotFound("Compte inconnu."))?;
        let value = request.value.trim();
        if value.is_empty() {
            return Err(Error::field("value", "Indiquez la valeur vérifiée.").into());
        }
        if let Some(text) = attribute_violation(&request.name, value) {
            return Err(Error::field("name", text).into());
        }
        let current = current_levels(&core.pool, account).await?;
        if current
            .get(&request.name)
            .is_some_and(|l| *l == Level::FranceConnect)
        {
            return Err(
                Error::Conflict("Cette information est déjà certifiée par FranceConnect.").into(),
            );
        }
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1 AND erased_at IS NULL)",
        )
        .bind(account)
        .fetch_one(&mut *tx)
        .await
        .map_err(Error::from)?;
        if !exists {
            return Err(Error::NotFound("Compte inconnu.").into());
        }
        set_attribute(
            &mut tx,
            account,
            &request.name,
            value,
            Level::CheckedAtCounter,
            core.now(),
        )
        .await?;
        core.audit(
            &mut tx,
            &agent,
            "change",
            &account.to_string(),
            &format!("{} vérifié au guichet", request.name),
        )
        .await?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(profile(core, account).await?))
    }

    async fn add_business(
        &self,
        request: Request<AddBusinessRequest>,
    ) -> Result<Response<Profile>, Status> {
        let account = self.0.resident(request.metadata()).await?;
        Ok(Response::new(
            self.add_business(account, request.into_inner()).await?,
        ))
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use guichet_kit::{Clock, testing};

    use super::*;
    use crate::{
        throttle::Throttle,
        tokens::{TokenConfig, Tokens},
    };

    const NEW_PASSWORD: &str = "un tout nouveau mot de passe";

    /// The accounts service over a fresh database, with one account.
    async fn service(hint: &str) -> (AccountsService, Uuid) {
        let pool =
            guichet_kit::db::connect(&testing::database(hint), &sqlx::migrate!("./migrations"))
                .await
                .unwrap();
        let clock = Clock::system();
        let account = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO accounts (id, email, password_hash, created_at)
             VALUES ($1, 'jeanne@example.org', 'ancien', now())",
        )
        .bind(account)
        .execute(&pool)
        .await
        .unwrap();
        let core = Core {
            tokens: Tokens::new(pool.clone(), clock.clone(), TokenConfig::default()),
            throttle: Throttle::new(pool.clone(), clock.clone()),
            public_url: "https://guichet.ville.example".to_owned(),
            pool,
            clock,
        };
        (AccountsService(core), account)
    }

    /// A hasher that counts its calls instead of running Argon2.
    fn counting(
        calls: &AtomicU32,
    ) -> impl FnOnce(String) -> std::future::Ready<anyhow::Result<String>> {
        move |_| {
            calls.fetch_add(1, Ordering::SeqCst);
            std::future::ready(Ok("nouveau".to_owned()))
        }
    }

    #[tokio::test]
    async fn a_reset_with_an_unknown_token_is_refused_before_any_hashing() {
        let (service, _) = service("reset_unknown").await;
        let calls = AtomicU32::new(0);
        let refused = service
            .reset("inconnu", NEW_PASSWORD.to_owned(), counting(&calls))
            .await;
        assert!(
            matches!(&refused, Err(Error::Invalid(v)) if v[0].field == "token"),
            "{refused:?}"
        );
        assert_eq!(
            calls.load(Ordering::SeqCst),
            0,
            "no hashing for a bogus token"
        );
    }

    #[tokio::test]
    async fn a_reset_link_hashes_once_and_spends_every_link_of_its_request() {
        let (service, account) = service("reset_valid").await;
        let core = &service.0;
        let mut tx = core.pool.begin().await.unwrap();
        let (request, _) = links::request(&mut tx, account, Purpose::ResetPassword, core.now())
            .await
            .unwrap();
        guichet_kit::bus::commit(tx).await.unwrap();
        // Two links for one request: the e-mail was retried.
        let secret = |link: String| link.split_once("?jeton=").unwrap().1.to_owned();
        let (first, _) = links::issue(&core.pool, &core.public_url, request, core.now())
            .await
            .unwrap();
        let (second, _) = links::issue(&core.pool, &core.public_url, request, core.now())
            .await
            .unwrap();
        assert!(
            first.starts_with("https://guichet.ville.example/compte/nouveau-mot-de-passe?jeton=")
        );
        assert_ne!(first, second);

        let calls = AtomicU32::new(0);
        service
            .reset(&secret(second), NEW_PASSWORD.to_owned(), counting(&calls))
            .await
            .unwrap();
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        let stored: String = sqlx::query_scalar("SELECT password_hash FROM accounts WHERE id = $1")
            .bind(account)
            .fetch_one(&core.pool)
            .await
            .unwrap();
        assert_eq!(stored, "nouveau");
        // The other link of the request is spent with it, and no new one is issued.
        let again = service
            .reset(&secret(first), NEW_PASSWORD.to_owned(), counting(&calls))
            .await;
        assert!(matches!(again, Err(Error::Invalid(_))), "{again:?}");
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert!(matches!(
            links::issue(&core.pool, &core.public_url, request, core.now()).await,
            Err(Error::NotFound(_))
        ));
    }
}
