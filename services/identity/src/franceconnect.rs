//! FranceConnect v2, the State's identity federation: the identity service is its relying
//! party. This module starts a sign-in (authorization URL with fresh `state` and `nonce`),
//! turns the code FranceConnect sends back into a verified identity, and builds the
//! logout URL.
//!
//! What is checked, and where:
//! - the ID token (ES256 or RS256 only): signature against the provider's published keys,
//!   issuer, audience, expiry, `nonce`, and `acr == "eidas1"`;
//! - the userinfo answer, which FranceConnect v2 sends as a signed JWT
//!   (`application/jwt`): signature against the same keys, issuer, audience, expiry, and
//!   the same `sub` as the ID token;
//! - when either is signed with a key id the cached key set does not know, the key set is
//!   fetched again once (FranceConnect rotates its keys) before giving up.
//!
//! The `state` check — comparing the `state` on the callback with the one stored when the
//! sign-in started — is the caller's: this module keeps no per-sign-in memory.
//!
//! Tokens, codes and the client secret are never logged nor put into errors.

use std::collections::HashSet;
use std::sync::{PoisonError, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKey,
    CoreJsonWebKeySet, CoreJsonWebKeyType, CoreJwsSigningAlgorithm,
};
use openidconnect::{
    AccessToken, AuthType, AuthenticationContextClass, AuthorizationCode, ClaimsVerificationError,
    ClientId, ClientSecret, CsrfToken, DiscoveryError, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, JsonWebKey as _, JsonWebKeySetUrl, JwsSigningAlgorithm as _, Nonce,
    OAuth2TokenResponse as _, ProviderMetadataWithLogout, RedirectUrl, RequestTokenError, Scope,
    SignatureVerificationError, TokenResponse as _,
};
use secrecy::{ExposeSecret as _, SecretString};
use serde::Deserialize;
use url::Url;

/// The only authentication level Guichet asks FranceConnect for ("faible" in eIDAS terms:
/// enough to file and follow demands, not to sign for someone).
const ACR: &str = "eidas1";

/// The FranceConnect scopes Guichet asks for, besides `openid` which the client adds.
const SCOPES: [&str; 8] = [
    "given_name",
    "family_name",
    "birthdate",
    "birthplace",
    "birthcountry",
    "gender",
    "email",
    "preferred_username",
];

/// Random bytes behind each `state` and `nonce`: 32 bytes make 43 base64url characters.
const RANDOM_BYTES: u32 = 32;

/// FranceConnect answers within a few hundred milliseconds; a sign-in page must not hang.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// The signature algorithms FranceConnect v2 uses. Never `none` nor HMAC: an HMAC key
/// would be the client secret, which is not a proof that FranceConnect signed anything.
const ALLOWED_ALGS: [CoreJwsSigningAlgorithm; 2] = [
    CoreJwsSigningAlgorithm::EcdsaP256Sha256,
    CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
];

/// How the identity service reaches FranceConnect. The defaults match the local stand-in
/// provider (`infra/oidc`) and the gateway's local address.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct FranceConnectConfig {
    /// The issuer, whose `/.well-known/openid-configuration` is read at start-up.
    pub issuer: String,
    /// Guichet's client id, given by FranceConnect when the service was registered.
    pub client_id: String,
    /// Guichet's client secret, sent in the token request body (`client_secret_post`).
    pub client_secret: SecretString,
    /// Where FranceConnect sends the resident back with a code; registered with it.
    pub redirect_uri: String,
    /// Where FranceConnect sends the resident after logging out; registered with it.
    pub post_logout_redirect_uri: String,
}

impl Default for FranceConnectConfig {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:4000/api/v2".to_owned(),
            client_id: "guichet-local".to_owned(),
            client_secret: SecretString::from("guichet-local-secret"),
            redirect_uri: "http://127.0.0.1:8080/api/v1/auth/franceconnect/callback".to_owned(),
            post_logout_redirect_uri: "http://127.0.0.1:8080/api/v1/auth/franceconnect/logged-out"
                .to_owned(),
        }
    }
}

/// Why a FranceConnect sign-in failed. Messages are for logs (English, no token, code or
/// secret); what a resident is told is decided where this is mapped to a status.
#[derive(Debug, thiserror::Error)]
pub enum FcError {
    /// The configuration cannot work (a URL that does not parse); fix it and restart.
    #[error("invalid FranceConnect configuration: {0}")]
    InvalidConfig(String),
    /// FranceConnect did not answer (network, DNS, TLS, timeout): worth retrying later.
    #[error("FranceConnect could not be reached during {step}")]
    ProviderUnreachable {
        /// What was being done: discovery, token exchange, userinfo, key set refresh.
        step: &'static str,
        #[source]
        source: anyhow::Error,
    },
    /// FranceConnect answered discovery with something this client cannot use.
    #[error("FranceConnect's discovery answer is unusable: {0}")]
    InvalidMetadata(String),
    /// FranceConnect refused to trade the code (expired, already used, wrong client…).
    #[error("FranceConnect refused the token exchange: {0}")]
    TokenRefused(String),
    /// The ID token failed a check: signature, issuer, audience, expiry, nonce or acr.
    #[error("invalid FranceConnect ID token: {0}")]
    InvalidIdToken(String),
    /// The userinfo JWT is not signed by a key FranceConnect publishes.
    #[error("invalid FranceConnect userinfo signature: {0}")]
    InvalidUserinfoSignature(String),
    /// The userinfo answer is unusable apart from its signature: an HTTP error, not a
    /// signed JWT, or the wrong issuer, audience or subject, or expired.
    #[error("invalid FranceConnect userinfo answer: {0}")]
    InvalidUserinfo(String),
    /// Claims Guichet needs are absent from the userinfo answer.
    #[error("FranceConnect did not provide: {}", .0.join(", "))]
    MissingClaims(Vec<&'static str>),
    /// A failure that is neither FranceConnect's nor the configuration's.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

/// A sign-in to start: send the resident's browser to `url`, and keep `state` and `nonce`
/// server-side (never in a cookie the browser could swap) until the callback.
#[derive(Debug, Clone)]
pub struct Authorization {
    /// FranceConnect's authorization endpoint with every parameter set.
    pub url: Url,
    /// Anti-forgery value the callback must bring back unchanged (the caller compares).
    pub state: String,
    /// Value the ID token must carry; pass it to [`FranceConnect::exchange`].
    pub nonce: String,
}

/// A person as FranceConnect vouches for them, after every check passed.
#[derive(Clone)]
pub struct FcIdentity {
    /// FranceConnect's stable identifier of this person for Guichet.
    pub sub: String,
    /// First names, space-separated, as in the civil registry.
    pub given_name: String,
    /// Birth name, as in the civil registry.
    pub family_name: String,
    /// `YYYY-MM-DD`; FranceConnect may omit it for some people born abroad.
    pub birthdate: Option<String>,
    /// INSEE code of the birth commune; empty when born abroad.
    pub birthplace: String,
    /// INSEE code of the birth country (`99100` is France).
    pub birthcountry: String,
    /// `female` or `male`.
    pub gender: String,
    /// Email address known to the identity provider.
    pub email: String,
    /// Usage name (e.g. a married name); empty when the person has none.
    pub preferred_username: String,
    /// The raw ID token, kept only as `id_token_hint` for [`FranceConnect::logout_url`].
    pub id_token: String,
}

impl std::fmt::Debug for FcIdentity {
    // Personal data and the token stay out of logs; the subject is enough to follow a case.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FcIdentity")
            .field("sub", &self.sub)
            .finish_non_exhaustive()
    }
}

/// The openidconnect client with the endpoints discovery guarantees: authorization and
/// token set, userinfo read from metadata (and checked present by [`FranceConnect::discover`]).
type FcClient = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
    EndpointMaybeSet,
>;

/// The relying party: FranceConnect's discovered endpoints, the HTTP client, and the key
/// set currently trusted. Build one at start-up with [`FranceConnect::discover`] and share it.
pub struct FranceConnect {
    client: FcClient,
    /// Does not follow redirects (openidconnect's requirement against SSRF) and times out.
    http: reqwest::Client,
    issuer: IssuerUrl,
    client_id: ClientId,
    jwks_uri: JsonWebKeySetUrl,
    userinfo_endpoint: Url,
    end_session_endpoint: Url,
    post_logout_redirect_uri: Url,
    /// Replaced when a token names a key id it does not hold (FranceConnect rotated keys).
    jwks: RwLock<CoreJsonWebKeySet>,
}

impl std::fmt::Debug for FranceConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FranceConnect")
            .field("issuer", &self.issuer.as_str())
            .field("client_id", &self.client_id.as_str())
            .finish_non_exhaustive()
    }
}

impl FranceConnect {
    /// Reads FranceConnect's discovery document and key set, and checks the configuration.
    #[tracing::instrument(name = "FranceConnect discovery", skip_all, fields(issuer = %config.issuer))]
    pub async fn discover(config: &FranceConnectConfig) -> Result<Self, FcError> {
        let issuer = IssuerUrl::new(config.issuer.clone())
            .map_err(|e| FcError::InvalidConfig(format!("issuer: {e}")))?;
        let redirect_uri = RedirectUrl::new(config.redirect_uri.clone())
            .map_err(|e| FcError::InvalidConfig(format!("redirect_uri: {e}")))?;
        let post_logout_redirect_uri = Url::parse(&config.post_logout_redirect_uri)
            .map_err(|e| FcError::InvalidConfig(format!("post_logout_redirect_uri: {e}")))?;

        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(REQUEST_TIMEOUT)
            .user_agent(concat!("guichet-identity/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the FranceConnect HTTP client")?;

        let metadata = ProviderMetadataWithLogout::discover_async(issuer.clone(), &http)
            .await
            .map_err(|e| match e {
                DiscoveryError::Request(source) => FcError::ProviderUnreachable {
                    step: "discovery",
                    source: source.into(),
                },
                other => FcError::InvalidMetadata(other.to_string()),
            })?;

        let token_endpoint = metadata
            .token_endpoint()
            .cloned()
            .ok_or_else(|| FcError::InvalidMetadata("no token_endpoint".to_owned()))?;
        let userinfo_endpoint = metadata
            .userinfo_endpoint()
            .map(|u| u.url().clone())
            .ok_or_else(|| FcError::InvalidMetadata("no userinfo_endpoint".to_owned()))?;
        let end_session_endpoint = metadata
            .additional_metadata()
            .end_session_endpoint
            .as_ref()
            .map(|u| u.url().clone())
            .ok_or_else(|| FcError::InvalidMetadata("no end_session_endpoint".to_owned()))?;
        let jwks_uri = metadata.jwks_uri().clone();
        let jwks = metadata.jwks().clone();
        let client_id = ClientId::new(config.client_id.clone());

        let client = CoreClient::from_provider_metadata(
            metadata,
            client_id.clone(),
            Some(ClientSecret::new(
                config.client_secret.expose_secret().to_owned(),
            )),
        )
        .set_redirect_uri(redirect_uri)
        // FranceConnect v2 registers clients with client_secret_post.
        .set_auth_type(AuthType::RequestBody)
        .set_token_uri(token_endpoint);

        tracing::info!(keys = jwks.keys().len(), "FranceConnect discovered");
        Ok(Self {
            client,
            http,
            issuer,
            client_id,
            jwks_uri,
            userinfo_endpoint,
            end_session_endpoint,
            post_logout_redirect_uri,
            jwks: RwLock::new(jwks),
        })
    }

    /// Starts a sign-in: the authorization URL with Guichet's scopes, `acr_values=eidas1`
    /// and a fresh `state` and `nonce` (43 random base64url characters each).
    pub fn authorize(&self) -> Authorization {
        let (url, state, nonce) = self
            .client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                || CsrfToken::new_random_len(RANDOM_BYTES),
                || Nonce::new_random_len(RANDOM_BYTES),
            )
            .add_scopes(SCOPES.iter().map(|s| Scope::new((*s).to_owned())))
            .add_auth_context_value(AuthenticationContextClass::new(ACR.to_owned()))
            .url();
        Authorization {
            url,
            state: state.secret().clone(),
            nonce: nonce.secret().clone(),
        }
    }

    /// Trades the callback's `code` for the person's verified identity. `nonce` is the one
    /// stored with this sign-in's `state`, which the caller has already compared.
    #[tracing::instrument(name = "FranceConnect token exchange", skip_all)]
    pub async fn exchange(&self, code: &str, nonce: &str) -> Result<FcIdentity, FcError> {
        let token = self
            .client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| match e {
                RequestTokenError::ServerResponse(answer) => {
                    FcError::TokenRefused(answer.error().to_string())
                }
                RequestTokenError::Request(source) => FcError::ProviderUnreachable {
                    step: "token exchange",
                    source: source.into(),
                },
                RequestTokenError::Parse(e, _) => {
                    FcError::TokenRefused(format!("unreadable token answer: {e}"))
                }
                RequestTokenError::Other(e) => FcError::TokenRefused(e),
            })?;

        let id_token = token
            .id_token()
            .ok_or_else(|| FcError::InvalidIdToken("the token answer has none".to_owned()))?;
        let sub = self
            .verify_id_token(id_token, &Nonce::new(nonce.to_owned()))
            .await?;
        let claims = self.userinfo(token.access_token(), &sub).await?;
        let identity = claims.into_identity(sub, id_token.to_string())?;
        tracing::info!(sub = %identity.sub, "FranceConnect identity verified");
        Ok(identity)
    }

    /// The end-session URL that logs the resident out of FranceConnect too, then sends them
    /// to the configured post-logout URI with `state` (which the caller checks again).
    pub fn logout_url(&self, id_token_hint: &str, state: &str) -> Url {
        let mut url = self.end_session_endpoint.clone();
        url.query_pairs_mut()
            .append_pair("id_token_hint", id_token_hint)
            .append_pair("state", state)
            .append_pair(
                "post_logout_redirect_uri",
                self.post_logout_redirect_uri.as_str(),
            );
        url
    }

    /// Checks the ID token and returns its subject.
    async fn verify_id_token(
        &self,
        id_token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<String, FcError> {
        match self.id_token_subject(id_token, nonce) {
            Err(ClaimsVerificationError::SignatureVerification(
                SignatureVerificationError::NoMatchingKey,
            )) => {
                self.refresh_jwks("ID token").await?;
                self.id_token_subject(id_token, nonce)
            }
            checked => checked,
        }
        .map_err(|e| FcError::InvalidIdToken(e.to_string()))
    }

    fn id_token_subject(
        &self,
        id_token: &CoreIdToken,
        nonce: &Nonce,
    ) -> Result<String, ClaimsVerificationError> {
        let verifier = CoreIdTokenVerifier::new_public_client(
            // No client secret on purpose: HMAC-signed tokens are refused (ALLOWED_ALGS).
            self.client_id.clone(),
            self.issuer.clone(),
            self.current_jwks(),
        )
        .set_allowed_algs(ALLOWED_ALGS)
        .set_auth_context_verifier_fn(|acr| match acr {
            Some(acr) if acr.as_str() == ACR => Ok(()),
            Some(acr) => Err(format!("acr is `{}`, `{ACR}` was requested", acr.as_str())),
            None => Err(format!("no acr, `{ACR}` was requested")),
        });
        let claims = id_token.claims(&verifier, nonce)?;
        Ok(claims.subject().as_str().to_owned())
    }

    /// Fetches the userinfo JWT and checks it belongs with the ID token's subject.
    #[tracing::instrument(name = "FranceConnect userinfo", skip_all)]
    async fn userinfo(&self, access_token: &AccessToken, sub: &str) -> Result<UserInfo, FcError> {
        let response = self
            .http
            .get(self.userinfo_endpoint.clone())
            .bearer_auth(access_token.secret())
            .header(reqwest::header::ACCEPT, "application/jwt")
            .send()
            .await
            .map_err(|e| FcError::ProviderUnreachable {
                step: "userinfo",
                source: e.into(),
            })?;
        let status = response.status();
        if !status.is_success() {
            return Err(FcError::InvalidUserinfo(format!("HTTP status {status}")));
        }
        let content_type = response
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let essence = content_type.split(';').next().unwrap_or_default().trim();
        if !essence.eq_ignore_ascii_case("application/jwt") {
            // FranceConnect v2 always signs userinfo; plain JSON would be unauthenticated.
            return Err(FcError::InvalidUserinfo(format!(
                "expected a signed JWT, got content type `{content_type}`"
            )));
        }
        let body = response
            .text()
            .await
            .map_err(|e| FcError::ProviderUnreachable {
                step: "userinfo",
                source: e.into(),
            })?;

        let jws = Jws::parse(body.trim())?;
        match jws.verify(&self.current_jwks()) {
            Signature::Valid => {}
            Signature::UnknownKey => {
                self.refresh_jwks("userinfo").await?;
                match jws.verify(&self.current_jwks()) {
                    Signature::Valid => {}
                    Signature::UnknownKey => {
                        return Err(FcError::InvalidUserinfoSignature(
                            "signed with a key FranceConnect does not publish".to_owned(),
                        ));
                    }
                    Signature::Invalid(why) => return Err(FcError::InvalidUserinfoSignature(why)),
                }
            }
            Signature::Invalid(why) => return Err(FcError::InvalidUserinfoSignature(why)),
        }

        let claims: UserInfo = serde_json::from_slice(&jws.payload)
            .map_err(|e| FcError::InvalidUserinfo(format!("unreadable claims: {e}")))?;
        claims.check(self.issuer.as_str(), self.client_id.as_str(), sub)?;
        Ok(claims)
    }

    fn current_jwks(&self) -> CoreJsonWebKeySet {
        // A poisoned lock still holds a whole key set: it is only ever replaced at once.
        self.jwks
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Fetches the key set again, after a token named a key id it did not hold.
    async fn refresh_jwks(&self, what: &'static str) -> Result<(), FcError> {
        tracing::info!(
            token = what,
            "unknown signing key: fetching FranceConnect's key set again"
        );
        let jwks = CoreJsonWebKeySet::fetch_async(&self.jwks_uri, &self.http)
            .await
            .map_err(|e| match e {
                DiscoveryError::Request(source) => FcError::ProviderUnreachable {
                    step: "key set refresh",
                    source: source.into(),
                },
                other => FcError::InvalidMetadata(format!("key set: {other}")),
            })?;
        *self.jwks.write().unwrap_or_else(PoisonError::into_inner) = jwks;
        Ok(())
    }
}

/// A compact JWS split and decoded, before any check.
struct Jws {
    alg: CoreJwsSigningAlgorithm,
    kid: Option<String>,
    /// `header.payload` as received: what the signature covers.
    signing_input: String,
    payload: Vec<u8>,
    signature: Vec<u8>,
}

#[derive(Deserialize)]
struct JwsHeader {
    alg: String,
    kid: Option<String>,
    /// Any critical extension is one this client does not understand (RFC 7515 §4.1.11).
    crit: Option<serde_json::Value>,
}

/// The outcome of checking a JWS against a key set.
enum Signature {
    Valid,
    /// No key of the set has the JWS's key id and type: the set may be stale.
    UnknownKey,
    Invalid(String),
}

impl Jws {
    fn parse(compact: &str) -> Result<Self, FcError> {
        let malformed = |what: &str| FcError::InvalidUserinfo(format!("malformed JWT: {what}"));
        let mut parts = compact.split('.');
        let (Some(header64), Some(payload64), Some(signature64), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(malformed("not three dot-separated parts"));
        };
        let decode =
            |part: &str, what: &str| URL_SAFE_NO_PAD.decode(part).map_err(|_| malformed(what));
        let header: JwsHeader = serde_json::from_slice(&decode(header64, "header")?)
            .map_err(|_| malformed("header"))?;
        if header.crit.is_some() {
            return Err(FcError::InvalidUserinfoSignature(
                "critical header extensions are not supported".to_owned(),
            ));
        }
        // The same algorithms as for the ID token (ALLOWED_ALGS).
        let alg = match header.alg.as_str() {
            "ES256" => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            "RS256" => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            other => {
                return Err(FcError::InvalidUserinfoSignature(format!(
                    "algorithm `{other}` is not allowed"
                )));
            }
        };
        Ok(Self {
            alg,
            kid: header.kid,
            signing_input: format!("{header64}.{payload64}"),
            payload: decode(payload64, "payload")?,
            signature: decode(signature64, "signature")?,
        })
    }

    fn verify(&self, jwks: &CoreJsonWebKeySet) -> Signature {
        let key_type: Option<CoreJsonWebKeyType> = self.alg.key_type();
        let candidates: Vec<&CoreJsonWebKey> = jwks
            .keys()
            .iter()
            .filter(|key| Some(key.key_type()) == key_type.as_ref())
            .filter(|key| match &self.kid {
                Some(kid) => key.key_id().is_some_and(|id| id.as_str() == kid),
                None => true,
            })
            .collect();
        if candidates.is_empty() {
            return Signature::UnknownKey;
        }
        let mut reasons = HashSet::new();
        for key in candidates {
            match key.verify_signature(&self.alg, self.signing_input.as_bytes(), &self.signature) {
                Ok(()) => return Signature::Valid,
                Err(e) => {
                    reasons.insert(e.to_string());
                }
            }
        }
        let mut reasons: Vec<String> = reasons.into_iter().collect();
        reasons.sort();
        Signature::Invalid(reasons.join("; "))
    }
}

/// The userinfo JWT's claims: registered ones to check, then FranceConnect's identity.
#[derive(Deserialize)]
struct UserInfo {
    iss: Option<String>,
    aud: Option<Audience>,
    exp: Option<u64>,
    sub: String,
    given_name: Option<String>,
    family_name: Option<String>,
    birthdate: Option<String>,
    birthplace: Option<String>,
    birthcountry: Option<String>,
    gender: Option<String>,
    email: Option<String>,
    preferred_username: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl UserInfo {
    fn check(&self, issuer: &str, client_id: &str, sub: &str) -> Result<(), FcError> {
        if self.iss.as_deref() != Some(issuer) {
            return Err(FcError::InvalidUserinfo(format!(
                "issuer is {:?}, expected `{issuer}`",
                self.iss
            )));
        }
        let for_us = match &self.aud {
            Some(Audience::One(aud)) => aud == client_id,
            Some(Audience::Many(auds)) => auds.iter().any(|aud| aud == client_id),
            None => false,
        };
        if !for_us {
            return Err(FcError::InvalidUserinfo(format!(
                "audience does not include `{client_id}`"
            )));
        }
        if let Some(exp) = self.exp {
            let now = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            if exp <= now {
                return Err(FcError::InvalidUserinfo("expired".to_owned()));
            }
        }
        if self.sub != sub {
            // Someone else's claims: never merge two people.
            return Err(FcError::InvalidUserinfo(
                "subject differs from the ID token's".to_owned(),
            ));
        }
        Ok(())
    }

    fn into_identity(self, sub: String, id_token: String) -> Result<FcIdentity, FcError> {
        let mut missing = Vec::new();
        let mut required = |value: Option<String>, name: &'static str| match value
            .filter(|v| !v.trim().is_empty())
        {
            Some(v) => v,
            None => {
                missing.push(name);
                String::new()
            }
        };
        let given_name = required(self.given_name, "given_name");
        let family_name = required(self.family_name, "family_name");
        let birthcountry = required(self.birthcountry, "birthcountry");
        let gender = required(self.gender, "gender");
        let email = required(self.email, "email");
        if !missing.is_empty() {
            return Err(FcError::MissingClaims(missing));
        }
        Ok(FcIdentity {
            sub,
            given_name,
            family_name,
            birthdate: self.birthdate.filter(|d| !d.is_empty()),
            // Empty for people born abroad: FranceConnect sends "" or nothing.
            birthplace: self.birthplace.unwrap_or_default(),
            birthcountry,
            gender,
            email,
            preferred_username: self.preferred_username.unwrap_or_default(),
            id_token,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn userinfo(json: serde_json::Value) -> UserInfo {
        serde_json::from_value(json).expect("valid userinfo claims")
    }

    #[test]
    fn the_relying_party_can_be_shared_between_requests() {
        fn shared<T: Send + Sync>() {}
        fn send<T: Send>(_: &T) {}
        shared::<FranceConnect>();
        // Type-checked only: gRPC handlers need the exchange future to be Send.
        let _ = |fc: &FranceConnect| send(&fc.exchange("code", "nonce"));
    }

    #[test]
    fn the_default_config_points_at_the_local_provider() {
        let config = FranceConnectConfig::default();
        assert_eq!(config.issuer, "http://127.0.0.1:4000/api/v2");
        assert_eq!(config.client_secret.expose_secret(), "guichet-local-secret");
        assert!(!format!("{config:?}").contains("guichet-local-secret"));
    }

    #[test]
    fn a_userinfo_for_another_subject_or_audience_is_refused() {
        let claims = userinfo(serde_json::json!({
            "iss": "https://fc.example/api/v2", "aud": ["guichet"], "sub": "a",
        }));
        assert!(
            claims
                .check("https://fc.example/api/v2", "guichet", "a")
                .is_ok()
        );
        assert!(matches!(
            claims.check("https://fc.example/api/v2", "guichet", "b"),
            Err(FcError::InvalidUserinfo(_))
        ));
        assert!(matches!(
            claims.check("https://fc.example/api/v2", "other", "a"),
            Err(FcError::InvalidUserinfo(_))
        ));
        assert!(matches!(
            claims.check("https://evil.example/api/v2", "guichet", "a"),
            Err(FcError::InvalidUserinfo(_))
        ));
    }

    #[test]
    fn missing_claims_are_all_named() {
        let claims = userinfo(serde_json::json!({
            "sub": "a", "given_name": "Yves", "family_name": "LEGRAND", "gender": "male",
            "birthcountry": "99100", "email": " ",
        }));
        match claims.into_identity("a".to_owned(), "t".to_owned()) {
            Err(FcError::MissingClaims(missing)) => assert_eq!(missing, ["email"]),
            other => panic!("expected missing claims, got {other:?}"),
        }
    }

    #[test]
    fn a_jws_with_a_disallowed_algorithm_is_refused() {
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"HS256"}"#);
        let parsed = Jws::parse(&format!("{header}.e30.c2ln"));
        assert!(matches!(parsed, Err(FcError::InvalidUserinfoSignature(_))));
        let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"none"}"#);
        let parsed = Jws::parse(&format!("{header}.e30."));
        assert!(matches!(parsed, Err(FcError::InvalidUserinfoSignature(_))));
    }
}
