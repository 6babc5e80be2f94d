//! FranceConnect end to end: the whole platform runs, the identity service is the relying
//! party of the local stand-in provider (`infra/oidc`), and the resident's browser goes
//! from the gateway's login route to the provider and back to the gateway's callback.
//! The browser is reqwest with redirects never followed on their own, so every hop is
//! checked; only the gateway's HTTP routes are called on Guichet's side.
//!
//! Needs Node.js and the provider's packages: `./infra/test` installs them, or
//! `npm ci --prefix infra/oidc`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_kit::testing::oidc::{Answer, Browser, CLIENT_ID, jws_claims, query};
use guichet_tests::{Options, Platform};
use reqwest::{StatusCode, Url, header};
use serde_json::{Value, json};

const LOGIN: &str = "/api/v1/auth/franceconnect/login";
const LINK: &str = "/api/v1/auth/franceconnect/link";
const CALLBACK: &str = "/api/v1/auth/franceconnect/callback";
const LOGOUT: &str = "/api/v1/auth/franceconnect/logout";
const LOGGED_OUT: &str = "/api/v1/auth/franceconnect/logged-out";

/// A platform whose identity service signs in with the stand-in started with `flags`.
async fn platform(hint: &str, flags: &'static [&'static str]) -> Platform {
    Platform::start_with(
        hint,
        Options {
            franceconnect: Some(flags),
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

/// The browser's view of the gateway: redirects are answers, not followed.
fn gateway_browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// Starts a FranceConnect login at the gateway; returns the provider's authorization URL.
async fn start_login(platform: &Platform) -> Url {
    let response = gateway_browser()
        .get(platform.url(LOGIN))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FOUND,
        "the login route redirects"
    );
    let location = response.headers()[header::LOCATION].to_str().unwrap();
    let authorize = Url::parse(location).unwrap();
    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{}/authorize?", platform.provider().issuer())),
        "sent to the provider's authorization endpoint, not {authorize}"
    );
    authorize
}

/// Logs in at the provider as `who` from `authorize`; returns the gateway callback URL the
/// provider sends the browser to.
async fn through_provider(
    platform: &Platform,
    browser: &Browser,
    authorize: &Url,
    who: &str,
) -> Url {
    let callback = browser
        .log_in(platform.provider(), authorize, who, &[])
        .await;
    assert!(
        callback.as_str().starts_with(&platform.url(CALLBACK)),
        "sent back to the gateway's callback, not {callback}"
    );
    callback
}

/// Opens the callback URL at the gateway, as the browser does.
async fn open_callback(callback: &Url) -> reqwest::Response {
    gateway_browser()
        .get(callback.clone())
        .send()
        .await
        .unwrap()
}

/// The answer of a callback that opened a session.
async fn signed_in(response: reqwest::Response) -> Value {
    let status = response.status();
    let no_store = response.headers().get(header::CACHE_CONTROL).cloned();
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(no_store.unwrap(), "no-store", "tokens are never cached");
    assert!(body["tokens"]["access_token"].as_str().unwrap().len() > 20);
    assert!(body["tokens"]["refresh_token"].as_str().unwrap().len() > 20);
    body
}

/// A whole FranceConnect login as `who`: gateway, provider, gateway again.
async fn sign_in(platform: &Platform, browser: &Browser, who: &str) -> Value {
    let authorize = start_login(platform).await;
    let callback = through_provider(platform, browser, &authorize, who).await;
    signed_in(open_callback(&callback).await).await
}

fn access(login: &Value) -> &str {
    login["tokens"]["access_token"].as_str().unwrap()
}

async fn profile(platform: &Platform, token: &str) -> Value {
    let response = platform.get_as(token, "/api/v1/me").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

/// A profile attribute by name.
fn attribute<'a>(profile: &'a Value, name: &str) -> &'a Value {
    profile["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == name)
        .unwrap_or_else(|| panic!("no {name} in {profile}"))
}

/// Checks an attribute has `value` and comes from FranceConnect, read-only.
fn assert_certified(profile: &Value, name: &str, value: &str) {
    let attribute = attribute(profile, name);
    assert_eq!(attribute["value"], value, "{name}");
    assert_eq!(attribute["level"], "franceconnect", "{name}: {attribute}");
    assert_eq!(attribute["read_only"], true, "{name}: {attribute}");
}

/// A count in the identity service's database.
async fn count(platform: &Platform, sql: &'static str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(&platform.identity_db)
        .await
        .unwrap()
}

async fn franceconnect_accounts(platform: &Platform) -> i64 {
    count(
        platform,
        "SELECT count(*) FROM accounts WHERE fc_sub IS NOT NULL",
    )
    .await
}

/// A problem document's status and `code`.
async fn problem(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let content_type = response.headers()[header::CONTENT_TYPE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    (status, response.json().await.unwrap())
}

async fn refresh(platform: &Platform, login: &Value) -> reqwest::Response {
    platform
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": login["tokens"]["refresh_token"]}),
        )
        .await
}

#[tokio::test]
async fn a_first_franceconnect_login_creates_an_account_with_certified_attributes() {
    let platform = platform("fc_first", &[]).await;
    let browser = Browser::new();

    let authorize = start_login(&platform).await;
    let params = query(&authorize);
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["redirect_uri"], platform.url(CALLBACK));
    assert_eq!(params["acr_values"], "eidas1");
    assert_eq!(params["state"].len(), 43);
    assert_eq!(params["nonce"].len(), 43);
    let callback = through_provider(&platform, &browser, &authorize, "angela").await;
    assert_eq!(query(&callback)["state"], params["state"]);
    let login = signed_in(open_callback(&callback).await).await;

    assert_eq!(login["created"], true);
    assert_eq!(login["linked"], false);
    assert_eq!(franceconnect_accounts(&platform).await, 1);
    let me = profile(&platform, access(&login)).await;
    assert_eq!(me["franceconnect_linked"], true);
    assert_eq!(me["email"], "wossewodda-3728@yopmail.com");
    assert_certified(&me, "given_name", "Angela Claire Louise");
    assert_certified(&me, "family_name", "DUBOIS");
    assert_certified(&me, "birthdate", "1962-08-24");
    assert_certified(&me, "birthplace", "75107");
    assert_certified(&me, "birthcountry", "99100");
    assert_certified(&me, "gender", "female");

    // What FranceConnect certifies cannot be changed by the resident…
    let refused = platform
        .http
        .patch(platform.url("/api/v1/me"))
        .bearer_auth(access(&login))
        .json(&json!({"attributes": {"family_name": "MARTIN"}}))
        .send()
        .await
        .unwrap();
    let (status, body) = problem(refused).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["errors"][0]["field"], "attributes.family_name");
    let me = profile(&platform, access(&login)).await;
    assert_certified(&me, "family_name", "DUBOIS");

    // …while what they declare themselves can.
    let accepted = platform
        .http
        .patch(platform.url("/api/v1/me"))
        .bearer_auth(access(&login))
        .json(&json!({"attributes": {"phone": "06 12 34 56 78"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    let me: Value = accepted.json().await.unwrap();
    assert_eq!(attribute(&me, "phone")["level"], "declared");
}

#[tokio::test]
async fn a_second_franceconnect_login_lands_on_the_same_account() {
    let platform = platform("fc_again", &[]).await;

    let first = sign_in(&platform, &Browser::new(), "angela").await;
    let account = profile(&platform, access(&first)).await["account_id"].clone();
    // Another browser: the provider asks to log in again, and sends the same person.
    let second = sign_in(&platform, &Browser::new(), "angela").await;

    assert_eq!(second["created"], false);
    assert_eq!(second["linked"], false);
    assert_ne!(access(&second), access(&first), "a session of its own");
    assert_eq!(
        profile(&platform, access(&second)).await["account_id"],
        account
    );
    assert_eq!(franceconnect_accounts(&platform).await, 1);

    // Someone else gets an account of their own.
    let lucien = sign_in(&platform, &Browser::new(), "lucien").await;
    assert_eq!(lucien["created"], true);
    assert_ne!(
        profile(&platform, access(&lucien)).await["account_id"],
        account
    );
    assert_eq!(franceconnect_accounts(&platform).await, 2);
}

#[tokio::test]
async fn a_resident_with_a_password_links_franceconnect_and_then_has_certified_attributes() {
    let platform = platform("fc_link", &[]).await;
    let password_token = platform.resident("lucien@example.org").await;
    let before = profile(&platform, &password_token).await;
    assert_eq!(before["franceconnect_linked"], false);
    assert_eq!(attribute(&before, "family_name")["level"], "declared");

    // Linking is for a signed-in resident only.
    let anonymous = platform.http.post(platform.url(LINK)).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);

    let link = platform
        .post_json_as(&password_token, LINK, &json!({}))
        .await;
    assert_eq!(link.status(), StatusCode::OK);
    let link: Value = link.json().await.unwrap();
    let authorize = Url::parse(link["url"].as_str().unwrap()).unwrap();
    assert!(
        authorize
            .as_str()
            .starts_with(&format!("{}/authorize?", platform.provider().issuer())),
        "{authorize}"
    );
    let browser = Browser::new();
    let callback = through_provider(&platform, &browser, &authorize, "lucien").await;
    let linked = signed_in(open_callback(&callback).await).await;

    assert_eq!(linked["created"], false);
    assert_eq!(linked["linked"], true);
    let me = profile(&platform, access(&linked)).await;
    assert_eq!(me["account_id"], before["account_id"], "the same account");
    assert_eq!(me["franceconnect_linked"], true);
    assert_certified(&me, "given_name", "Lucien Marius");
    assert_certified(&me, "family_name", "ROUSSEL");
    assert_certified(&me, "birthplace", "13001");
    // The password session sees the same certified profile.
    let seen = profile(&platform, &password_token).await;
    assert_certified(&seen, "family_name", "ROUSSEL");

    // From now on FranceConnect alone signs in to that account, and the password still works.
    let again = sign_in(&platform, &Browser::new(), "lucien").await;
    assert_eq!(again["created"], false);
    assert_eq!(again["linked"], false);
    assert_eq!(
        profile(&platform, access(&again)).await["account_id"],
        before["account_id"]
    );
    let password_login = platform
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "lucien@example.org", "password": "une phrase de passe solide"}),
        )
        .await;
    assert_eq!(password_login.status(), StatusCode::OK);
    assert_eq!(franceconnect_accounts(&platform).await, 1);
}

#[tokio::test]
async fn a_userinfo_with_a_forged_signature_is_refused_and_creates_no_account() {
    let platform = platform("fc_tamper", &["--tamper-userinfo"]).await;
    let accounts = count(&platform, "SELECT count(*) FROM accounts").await;
    let browser = Browser::new();

    let authorize = start_login(&platform).await;
    let callback = through_provider(&platform, &browser, &authorize, "angela").await;
    let (status, body) = problem(open_callback(&callback).await).await;

    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "unauthenticated");
    assert!(body.get("tokens").is_none(), "no session: {body}");
    assert_eq!(
        count(&platform, "SELECT count(*) FROM accounts").await,
        accounts
    );
    assert_eq!(franceconnect_accounts(&platform).await, 0);
    assert_eq!(
        count(&platform, "SELECT count(*) FROM sessions").await,
        0,
        "no session opened"
    );
}

#[tokio::test]
async fn a_callback_with_a_wrong_or_replayed_state_is_refused() {
    let platform = platform("fc_state", &[]).await;
    let browser = Browser::new();
    let authorize = start_login(&platform).await;
    let callback = through_provider(&platform, &browser, &authorize, "angela").await;
    let params = query(&callback);

    // A state Guichet never issued, with a genuine code.
    let mut forged = platform.url(CALLBACK).parse::<Url>().unwrap();
    forged
        .query_pairs_mut()
        .append_pair("code", &params["code"])
        .append_pair(
            "state",
            "Y2VjaSBuJ2VzdCBwYXMgdW4gw6l0YXQgw6ltaXMgcGFyIEd1aWNoZXQ",
        );
    let (status, body) = problem(open_callback(&forged).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["errors"][0]["field"], "state");

    // The genuine callback still works once…
    signed_in(open_callback(&callback).await).await;
    // …and never twice.
    let (status, body) = problem(open_callback(&callback).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "state");

    // A code brought back with the state of another sign-in (an attacker's, say) fails the
    // nonce check: the ID token was issued for the sign-in the code belongs to.
    let attacker = query(&start_login(&platform).await)["state"].clone();
    let authorize = start_login(&platform).await;
    // The provider session is live: it answers with a code at once.
    let Answer::Redirect(callback) = browser.follow(platform.provider(), &authorize).await else {
        panic!("a live provider session sends the browser straight back");
    };
    let mut swapped = platform.url(CALLBACK).parse::<Url>().unwrap();
    swapped
        .query_pairs_mut()
        .append_pair("code", &query(&callback)["code"])
        .append_pair("state", &attacker);
    let (status, body) = problem(open_callback(&swapped).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["code"], "unauthenticated");
    assert_eq!(franceconnect_accounts(&platform).await, 1);
    assert_eq!(
        count(&platform, "SELECT count(*) FROM sessions").await,
        1,
        "only the genuine callback opened a session"
    );
}

#[tokio::test]
async fn logging_out_ends_the_guichet_session_and_the_franceconnect_one() {
    let platform = platform("fc_logout", &[]).await;
    let provider = platform.provider();
    let browser = Browser::new();
    let first = sign_in(&platform, &browser, "angela").await;
    // The session lives: a refresh works, and the provider would sign in again at once.
    let response = refresh(&platform, &first).await;
    assert_eq!(response.status(), StatusCode::OK);
    let login = json!({"tokens": response.json::<Value>().await.unwrap()});
    let Answer::Redirect(back) = browser
        .follow(provider, &start_login(&platform).await)
        .await
    else {
        panic!("a live provider session sends the browser straight back");
    };
    assert!(back.as_str().starts_with(&platform.url(CALLBACK)));

    let logout = platform
        .post_json_as(access(&login), LOGOUT, &json!({}))
        .await;
    assert_eq!(logout.status(), StatusCode::OK);
    let logout: Value = logout.json().await.unwrap();
    let end_session = Url::parse(logout["url"].as_str().unwrap()).unwrap();
    assert!(
        end_session
            .as_str()
            .starts_with(&format!("{}/session/end?", provider.issuer())),
        "sent to the provider's end_session endpoint, not {end_session}"
    );
    let params = query(&end_session);
    let hint = jws_claims(&params["id_token_hint"]);
    assert_eq!(hint["iss"], provider.issuer().as_str(), "{hint}");
    assert_eq!(hint["aud"], CLIENT_ID, "the ID token Guichet received");
    assert!(hint["sub"].as_str().unwrap().ends_with("v1"), "{hint}");
    assert_eq!(params["state"].len(), 43);
    assert_eq!(params["post_logout_redirect_uri"], platform.url(LOGGED_OUT));

    let logged_out = browser.log_out(provider, &end_session).await;
    assert!(
        logged_out.as_str().starts_with(&platform.url(LOGGED_OUT)),
        "sent back to the gateway, not {logged_out}"
    );
    assert_eq!(query(&logged_out)["state"], params["state"]);
    let page = gateway_browser().get(logged_out).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(page.json::<Value>().await.unwrap()["status"], "logged_out");

    // Guichet's session is over…
    let (status, body) = problem(refresh(&platform, &login).await).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    // …and so is FranceConnect's: the provider asks to log in again.
    let Answer::Redirect(interaction) = browser.get(&start_login(&platform).await).await else {
        panic!("the authorization endpoint redirects");
    };
    assert!(
        interaction.path().starts_with("/api/v2/interaction/"),
        "expected the login page after logout, got {interaction}"
    );
}

#[tokio::test]
async fn an_account_linked_to_franceconnect_cannot_be_linked_to_another_person() {
    let platform = platform("fc_relink", &[]).await;
    let token = platform.resident("lucien@example.org").await;
    let link = |token: String| {
        let platform = &platform;
        async move {
            let link = platform.post_json_as(&token, LINK, &json!({})).await;
            assert_eq!(link.status(), StatusCode::OK);
            let link: Value = link.json().await.unwrap();
            Url::parse(link["url"].as_str().unwrap()).unwrap()
        }
    };
    let authorize = link(token.clone()).await;
    let callback = through_provider(&platform, &Browser::new(), &authorize, "lucien").await;
    assert_eq!(
        signed_in(open_callback(&callback).await).await["linked"],
        true
    );

    // The same account, linked again as someone else: their identities must not mix.
    let authorize = link(token.clone()).await;
    let callback = through_provider(&platform, &Browser::new(), &authorize, "carmen").await;
    let (status, body) = problem(open_callback(&callback).await).await;

    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "conflict");
    let me = profile(&platform, &token).await;
    assert_certified(&me, "family_name", "ROUSSEL");
    assert_certified(&me, "birthplace", "13001");
    assert_eq!(franceconnect_accounts(&platform).await, 1);
    // Lucien still signs in to his account with FranceConnect.
    let lucien = sign_in(&platform, &Browser::new(), "lucien").await;
    assert_eq!(
        profile(&platform, access(&lucien)).await["account_id"],
        me["account_id"]
    );
}
