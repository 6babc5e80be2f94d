//! Signing in with FranceConnect. The identity service is the relying party: it keeps
//! `state` and `nonce` server-side, exchanges the code, and either signs the resident in
//! to the account already linked, links the account whose verified e-mail matches, links
//! the signed-in resident's account (on request), or creates one. Attributes received
//! from FranceConnect are stored at the FranceConnect level and become read-only.

use chrono::Duration;
use guichet_proto::identity::v1::{
    FinishFranceConnectRequest, FinishFranceConnectResponse, FranceConnectLogoutRequest,
    FranceConnectLogoutResponse, StartFranceConnectRequest, StartFranceConnectResponse,
    france_connect_server::FranceConnect as FranceConnectRpc,
};
use tokio::sync::OnceCell;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Core, accounts::set_attribute};
use crate::{
    domain::{Error, Level},
    franceconnect::{FcIdentity, FranceConnect, FranceConnectConfig},
    tokens::{Kind, NewSession},
};

/// A login must come back from FranceConnect within this delay.
const LOGIN_TIMEOUT: Duration = Duration::minutes(10);

pub struct FranceConnectService {
    core: Core,
    config: FranceConnectConfig,
    /// Discovered on first use, so the service starts while the provider is down.
    client: OnceCell<FranceConnect>,
}

impl FranceConnectService {
    pub fn new(core: Core, config: FranceConnectConfig) -> Self {
        Self {
            core,
            config,
            client: OnceCell::new(),
        }
    }

    async fn client(&self) -> Result<&FranceConnect, Error> {
        self.client
            .get_or_try_init(|| FranceConnect::discover(&self.config))
            .await
            .map_err(|error| {
                tracing::error!(error = %error, "FranceConnect unavailable");
                Error::Unavailable("FranceConnect est momentanément indisponible.")
            })
    }

    #[tracing::instrument(name = "Finish a FranceConnect login", skip_all)]
    async fn finish(
        &self,
        request: FinishFranceConnectRequest,
    ) -> Result<FinishFranceConnectResponse, Error> {
        let core = &self.core;
        let expired = || {
            Error::field(
                "state",
                "Cette connexion FranceConnect a expiré : recommencez.",
            )
        };
        let pending: Option<(String, Option<Uuid>, chrono::DateTime<chrono::Utc>)> = sqlx::query_as(
            "DELETE FROM franceconnect_logins WHERE state = $1 RETURNING nonce, link_account_id, created_at",
        )
        .bind(&request.state)
        .fetch_optional(&core.pool)
        .await?;
        let Some((nonce, link_account, started)) = pending else {
            return Err(expired());
        };
        if core.now() - started > LOGIN_TIMEOUT {
            return Err(expired());
        }
        let identity = self
            .client()
            .await?
            .exchange(&request.code, &nonce)
            .await
            .map_err(|error| {
                tracing::warn!(error = %error, "FranceConnect login refused");
                Error::Unauthenticated("La connexion FranceConnect a échoué : recommencez.")
            })?;
        let (channel, device_id) = core.channel_of(request.client.as_ref()).await?;
        let mut tx = core.pool.begin().await?;
        let (account, created, linked) =
            resolve_account(&mut tx, core, &identity, link_account).await?;
        let now = core.now();
        for (name, value) in [
            ("given_name", &identity.given_name),
            ("family_name", &identity.family_name),
            ("preferred_username", &identity.preferred_username),
            ("gender", &identity.gender),
            ("birthplace", &identity.birthplace),
            ("birthcountry", &identity.birthcountry),
            ("email", &identity.email),
        ] {
            if !value.is_empty() {
                set_attribute(&mut tx, account, name, value, Level::FranceConnect, now).await?;
            }
        }
        if let Some(birthdate) = &identity.birthdate {
            set_attribute(
                &mut tx,
                account,
                "birthdate",
                birthdate,
                Level::FranceConnect,
                now,
            )
            .await?;
        }
        let session = NewSession {
            subject: account,
            kind: Kind::Resident,
            channel,
            device_id,
            fc_id_token: Some(identity.id_token.clone()),
        };
        let tokens = core.tokens.open(&mut tx, &session).await?;
        guichet_kit::bus::commit(tx).await?;
        tracing::info!(%account, created, linked, "FranceConnect login");
        Ok(FinishFranceConnectResponse {
            tokens: Some(tokens),
            created,
            linked,
        })
    }
}

/// The account a FranceConnect identity signs in to: (account, created, newly linked).
async fn resolve_account(
    conn: &mut sqlx::PgConnection,
    core: &Core,
    identity: &FcIdentity,
    link_account: Option<Uuid>,
) -> Result<(Uuid, bool, bool), Error> {
    let known: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM accounts WHERE fc_sub = $1 AND erased_at IS NULL")
            .bind(&identity.sub)
            .fetch_optional(&mut *conn)
            .await?;
    if let Some(account) = known {
        if link_account.is_some_and(|wanted| wanted != account) {
            return Err(Error::Conflict(
                "Cette identité FranceConnect est déjà liée à un autre compte.",
            ));
        }
        return Ok((account, false, false));
    }
    // Linking asked by a signed-in resident, or the account whose e-mail was verified and
    // matches: a sign-up with someone else's unverified address cannot capture them.
    let target = match link_account {
        Some(account) => Some(account),
        None => {
            sqlx::query_scalar(
                "SELECT id FROM accounts WHERE email = $1 AND email_verified_at IS NOT NULL
               AND fc_sub IS NULL AND erased_at IS NULL",
            )
            .bind(identity.email.to_lowercase())
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    if let Some(account) = target {
        // Never over another identity: the account would mix two people's certified data.
        let linked =
            sqlx::query("UPDATE accounts SET fc_sub = $2 WHERE id = $1 AND fc_sub IS NULL")
                .bind(account)
                .bind(&identity.sub)
                .execute(&mut *conn)
                .await?;
        if linked.rows_affected() == 0 {
            return Err(Error::Conflict(
                "Ce compte est déjà lié à une autre identité FranceConnect.",
            ));
        }
        return Ok((account, false, true));
    }
    let account = Uuid::now_v7();
    let email = identity.email.to_lowercase();
    let taken: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts WHERE email = $1)")
        .bind(&email)
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO accounts (id, email, fc_sub, email_verified_at, created_at) VALUES ($1, $2, $3, $4, $4)",
    )
    .bind(account)
    // An unverified account holds the address: the new one keeps it as an attribute only.
    .bind((!taken && !email.is_empty()).then_some(&email))
    .bind(&identity.sub)
    .bind(core.now())
    .execute(&mut *conn)
    .await?;
    Ok((account, true, false))
}

fn random_state() -> String {
    use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
    use rand::RngCore as _;
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

#[tonic::async_trait]
impl FranceConnectRpc for FranceConnectService {
    async fn start(
        &self,
        request: Request<StartFranceConnectRequest>,
    ) -> Result<Response<StartFranceConnectResponse>, Status> {
        let core = &self.core;
        let link = if request.get_ref().link {
            Some(core.resident(request.metadata()).await?)
        } else {
            None
        };
        let authorization = self.client().await?.authorize();
        sqlx::query("DELETE FROM franceconnect_logins WHERE created_at < $1")
            .bind(core.now() - LOGIN_TIMEOUT)
            .execute(&core.pool)
            .await
            .map_err(Error::from)?;
        sqlx::query("INSERT INTO franceconnect_logins (state, nonce, link_account_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(&authorization.state)
            .bind(&authorization.nonce)
            .bind(link)
            .bind(core.now())
            .execute(&core.pool)
            .await
            .map_err(Error::from)?;
        Ok(Response::new(StartFranceConnectResponse {
            authorize_url: authorization.url.to_string(),
        }))
    }

    async fn finish(
        &self,
        request: Request<FinishFranceConnectRequest>,
    ) -> Result<Response<FinishFranceConnectResponse>, Status> {
        Ok(Response::new(self.finish(request.into_inner()).await?))
    }

    async fn logout(
        &self,
        request: Request<FranceConnectLogoutRequest>,
    ) -> Result<Response<FranceConnectLogoutResponse>, Status> {
        let core = &self.core;
        let claims = core
            .caller(request.metadata())
            .await?
            .ok_or(Error::Unauthenticated("Veuillez vous identifier."))?;
        let session: Option<Uuid> = claims.sid.as_deref().and_then(|s| s.parse().ok());
        let id_token: Option<Option<String>> = sqlx::query_scalar(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = 'franceconnect logout'
             WHERE id = $1 AND subject::text = $3 RETURNING fc_id_token",
        )
        .bind(session)
        .bind(core.now())
        .bind(&claims.sub)
        .fetch_optional(&core.pool)
        .await
        .map_err(Error::from)?;
        let Some(Some(id_token)) = id_token else {
            return Err(Error::field(
                "session",
                "Cette session n'a pas été ouverte avec FranceConnect.",
            )
            .into());
        };
        let url = self.client().await?.logout_url(&id_token, &random_state());
        Ok(Response::new(FranceConnectLogoutResponse {
            logout_url: url.to_string(),
        }))
    }
}
