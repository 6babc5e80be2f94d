//! The FranceConnect relying party against a real OpenID Connect provider: the local
//! stand-in in `infra/oidc`, started as a child process per test (`guichet_kit::testing::oidc`,
//! shared with the end-to-end tests). Each test drives the browser's part by hand (redirects
//! followed one by one, cookies kept) and logs in as one of the provider's fake identities.
//!
//! Needs Node.js and the provider's packages: `./infra/test` installs them, or
//! `npm ci --prefix infra/oidc`.

use guichet_identity::franceconnect::{FcError, FranceConnect, FranceConnectConfig};
use guichet_kit::testing::oidc::{
    Answer, Browser, CLIENT_ID, CLIENT_SECRET, Provider, jws_header, query,
};
use secrecy::SecretString;
use url::Url;

const REDIRECT_URI: &str = "http://127.0.0.1:9/api/v1/auth/franceconnect/callback";
const POST_LOGOUT_REDIRECT_URI: &str = "http://127.0.0.1:9/api/v1/auth/franceconnect/logged-out";

/// The stand-in provider with `extra` flags, registered for this file's redirect URIs.
async fn provider(extra: &[&str]) -> Provider {
    Provider::start(REDIRECT_URI, POST_LOGOUT_REDIRECT_URI, extra)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"))
}

fn config(provider: &Provider) -> FranceConnectConfig {
    FranceConnectConfig {
        issuer: provider.issuer(),
        client_id: CLIENT_ID.to_owned(),
        client_secret: SecretString::from(CLIENT_SECRET),
        redirect_uri: REDIRECT_URI.to_owned(),
        post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI.to_owned(),
    }
}

async fn discover(provider: &Provider) -> FranceConnect {
    match FranceConnect::discover(&config(provider)).await {
        Ok(fc) => fc,
        Err(e) => panic!(
            "discovery failed: {e:?}\nprovider stderr:\n{}",
            provider.stderr()
        ),
    }
}

/// The callback's `code`, after checking it came back to the redirect URI with our `state`.
fn code_from_callback(callback: &Url, expected_state: &str) -> String {
    assert!(
        callback.as_str().starts_with(REDIRECT_URI),
        "sent back to the redirect URI, not {callback}"
    );
    let params = query(callback);
    assert_eq!(
        params.get("state").map(String::as_str),
        Some(expected_state),
        "the callback brings the state back"
    );
    params
        .get("code")
        .expect("the callback carries a code")
        .clone()
}

/// Starts a sign-in, logs in as `login`, and returns the callback's code with the nonce.
async fn sign_in(
    provider: &Provider,
    fc: &FranceConnect,
    browser: &Browser,
    login: &str,
) -> (String, String) {
    sign_in_with(provider, fc, browser, login, &[]).await
}

async fn sign_in_with(
    provider: &Provider,
    fc: &FranceConnect,
    browser: &Browser,
    login: &str,
    extra: &[(&str, &str)],
) -> (String, String) {
    let authorization = fc.authorize();
    assert!(authorization.state.len() >= 32 && authorization.nonce.len() >= 32);
    let callback = browser
        .log_in(provider, &authorization.url, login, extra)
        .await;
    (
        code_from_callback(&callback, &authorization.state),
        authorization.nonce,
    )
}

// --- the tests -------------------------------------------------------------------------

#[tokio::test]
async fn signing_in_returns_the_identity_vouched_for_by_franceconnect() {
    let provider = provider(&[]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let authorization = fc.authorize();
    let params = query(&authorization.url);
    assert_eq!(params["acr_values"], "eidas1");
    assert_eq!(
        params["scope"],
        "openid given_name family_name birthdate birthplace birthcountry gender email preferred_username"
    );
    assert_eq!(params["state"], authorization.state);
    assert_eq!(params["nonce"], authorization.nonce);
    assert_ne!(
        fc.authorize().state,
        authorization.state,
        "a fresh state each time"
    );

    let callback = browser
        .log_in(&provider, &authorization.url, "angela", &[])
        .await;
    let code = code_from_callback(&callback, &authorization.state);
    let identity = fc
        .exchange(&code, &authorization.nonce)
        .await
        .expect("identity");

    assert_eq!(identity.given_name, "Angela Claire Louise");
    assert_eq!(identity.family_name, "DUBOIS");
    assert_eq!(identity.birthdate.as_deref(), Some("1962-08-24"));
    assert_eq!(identity.birthplace, "75107");
    assert_eq!(identity.birthcountry, "99100");
    assert_eq!(identity.gender, "female");
    assert_eq!(identity.email, "wossewodda-3728@yopmail.com");
    assert_eq!(identity.preferred_username, "");
    assert_eq!(
        identity.sub.len(),
        66,
        "a FranceConnect-shaped subject: {}",
        identity.sub
    );
    assert_eq!(identity.id_token.split('.').count(), 3, "a compact JWS");
    assert!(
        !format!("{identity:?}").contains("DUBOIS"),
        "Debug hides personal data"
    );
}

#[tokio::test]
async fn a_person_born_in_aix_keeps_the_insee_code_of_the_commune() {
    let provider = provider(&[]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let (code, nonce) = sign_in(&provider, &fc, &browser, "lucien").await;
    let identity = fc.exchange(&code, &nonce).await.expect("identity");

    assert_eq!(identity.given_name, "Lucien Marius");
    assert_eq!(identity.family_name, "ROUSSEL");
    assert_eq!(identity.birthplace, "13001");
    assert_eq!(identity.gender, "male");
}

#[tokio::test]
async fn a_person_born_abroad_has_no_birthplace_and_keeps_a_usage_name() {
    let provider = provider(&[]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let (code, nonce) = sign_in(&provider, &fc, &browser, "carmen").await;
    let identity = fc.exchange(&code, &nonce).await.expect("identity");

    assert_eq!(identity.family_name, "GARCIA");
    assert_eq!(identity.preferred_username, "MOREAU");
    assert_eq!(identity.birthplace, "");
    assert_eq!(identity.birthcountry, "99134");
}

#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    let provider = provider(&[]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let (code, _nonce) = sign_in(&provider, &fc, &browser, "angela").await;
    let other_nonce = fc.authorize().nonce;
    let refused = fc.exchange(&code, &other_nonce).await;

    assert!(
        matches!(&refused, Err(FcError::InvalidIdToken(why)) if why.contains("nonce")),
        "expected an invalid ID token (nonce), got {refused:?}"
    );
}

#[tokio::test]
async fn an_authentication_level_other_than_eidas1_is_refused() {
    let provider = provider(&[]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let (code, nonce) =
        sign_in_with(&provider, &fc, &browser, "angela", &[("acr", "eidas0")]).await;
    let refused = fc.exchange(&code, &nonce).await;

    assert!(
        matches!(&refused, Err(FcError::InvalidIdToken(why)) if why.contains("acr")),
        "expected an invalid ID token (acr), got {refused:?}"
    );
}

#[tokio::test]
async fn a_code_cannot_be_exchanged_twice() {
    let provider = provider(&[]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let (code, nonce) = sign_in(&provider, &fc, &browser, "angela").await;
    fc.exchange(&code, &nonce).await.expect("first exchange");
    let again = fc.exchange(&code, &nonce).await;

    assert!(
        matches!(&again, Err(FcError::TokenRefused(why)) if why.contains("invalid_grant")),
        "expected the token exchange to be refused, got {again:?}"
    );
}

#[tokio::test]
async fn missing_claims_are_refused_and_named() {
    let provider = provider(&[]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let (code, nonce) = sign_in(&provider, &fc, &browser, "incomplet").await;
    let refused = fc.exchange(&code, &nonce).await;

    assert!(
        matches!(&refused, Err(FcError::MissingClaims(missing)) if missing == &["email"]),
        "expected the missing email to be reported, got {refused:?}"
    );
}

#[tokio::test]
async fn a_userinfo_signed_by_an_unpublished_key_is_refused() {
    let provider = provider(&["--tamper-userinfo"]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let (code, nonce) = sign_in(&provider, &fc, &browser, "angela").await;
    let refused = fc.exchange(&code, &nonce).await;

    assert!(
        matches!(refused, Err(FcError::InvalidUserinfoSignature(_))),
        "expected an invalid userinfo signature, got {refused:?}"
    );
}

#[tokio::test]
async fn a_userinfo_signed_by_another_key_under_a_published_kid_is_refused() {
    let provider = provider(&["--tamper-userinfo=same-kid"]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let (code, nonce) = sign_in(&provider, &fc, &browser, "angela").await;
    let refused = fc.exchange(&code, &nonce).await;

    assert!(
        matches!(refused, Err(FcError::InvalidUserinfoSignature(_))),
        "expected an invalid userinfo signature, got {refused:?}"
    );
}

#[tokio::test]
async fn after_franceconnect_rotates_its_key_the_new_key_is_fetched_and_trusted() {
    let provider = provider(&[]).await;
    // Discovery caches the key set as it is before the rotation.
    let fc = discover(&provider).await;
    let browser = Browser::new();

    let new_kid = provider.rotate_keys().await.expect("key rotated");
    let (code, nonce) = sign_in(&provider, &fc, &browser, "angela").await;
    let identity = match fc.exchange(&code, &nonce).await {
        Ok(identity) => identity,
        Err(e) => panic!(
            "exchange after rotation failed: {e:?}\n{}",
            provider.stderr()
        ),
    };

    assert_eq!(
        jws_header(&identity.id_token)["kid"],
        new_kid,
        "signed with the key unknown at discovery"
    );
    assert_eq!(identity.family_name, "DUBOIS");
}

#[tokio::test]
async fn logging_out_ends_the_session_at_franceconnect() {
    let provider = provider(&[]).await;
    let fc = discover(&provider).await;
    let browser = Browser::new();
    let (code, nonce) = sign_in(&provider, &fc, &browser, "angela").await;
    let identity = fc.exchange(&code, &nonce).await.expect("identity");

    // While the session lasts, a new sign-in comes straight back with a code.
    let again = fc.authorize();
    let Answer::Redirect(callback) = browser.follow(&provider, &again.url).await else {
        panic!("a live session should not ask to log in again");
    };
    code_from_callback(&callback, &again.state);

    let logout = fc.logout_url(&identity.id_token, "logout-state-0123456789abcdef");
    assert_eq!(logout.path(), "/api/v2/session/end");
    let params = query(&logout);
    assert_eq!(params["id_token_hint"], identity.id_token);
    assert_eq!(params["state"], "logout-state-0123456789abcdef");
    assert_eq!(params["post_logout_redirect_uri"], POST_LOGOUT_REDIRECT_URI);

    // The provider asks for confirmation with a form; submit it as the "Oui" button does.
    let logged_out = browser.log_out(&provider, &logout).await;
    assert!(
        logged_out.as_str().starts_with(POST_LOGOUT_REDIRECT_URI),
        "sent to the post-logout URI, not {logged_out}"
    );
    let params = query(&logged_out);
    assert_eq!(params["state"], "logout-state-0123456789abcdef");

    // The session is over: a new sign-in asks to log in again.
    let after = fc.authorize();
    let Answer::Redirect(interaction) = browser.get(&after.url).await else {
        panic!("the authorization endpoint should redirect");
    };
    assert!(
        interaction.path().starts_with("/api/v2/interaction/"),
        "expected the login page after logout, got {interaction}"
    );
}

#[tokio::test]
async fn an_unreachable_franceconnect_is_reported_as_such() {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let config = FranceConnectConfig {
        issuer: format!("http://127.0.0.1:{port}/api/v2"),
        ..FranceConnectConfig::default()
    };

    let failed = FranceConnect::discover(&config).await;

    assert!(
        matches!(
            failed,
            Err(FcError::ProviderUnreachable {
                step: "discovery",
                ..
            })
        ),
        "expected the provider to be unreachable, got {:?}",
        failed.err()
    );
}
