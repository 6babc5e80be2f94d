//! FranceConnect end to end: the whole platform runs, the identity service is the relying
//! party of the local stand-in provider (`infra/oidc`), and the resident's browser goes
//! from the gateway's login route to the provider and back to the gateway's callback.
//! The browser is reqwest with redirects never followed on their own, so every hop is
//! checked; only the gateway's HTTP routes are called on Guichet's side. It keeps the
//! `guichet_fc` cookie the gateway sets when a sign-in starts, as a real browser does: a
//! callback is completed only by the browser that started its sign-in.
//!
//! Needs Node.js and the provider's packages: `./infra/test` installs them, or
//! `npm ci --prefix infra/oidc`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::sync::{Mutex, PoisonError};

use guichet_kit::testing::oidc::{Answer, Browser, CLIENT_ID, jws_claims, query};
use guichet_tests::{Options, Platform};
use reqwest::{StatusCode, Url, header};
use serde_json::{Value, json};

const LOGIN: &str = "/api/v1/auth/franceconnect/login";
const LINK: &str = "/api/v1/auth/franceconnect/link";
const CALLBACK: &str = "/api/v1/auth/franceconnect/callback";
const LOGOUT: &str = "/api/v1/auth/franceconnect/logout";
const LOGGED_OUT: &str = "/api/v1/auth/franceconnect/logged-out";
/// The cookie tying a sign-in to the browser that started it.
const FLOW_COOKIE: &str = "guichet_fc";

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

/// One resident's browser: the provider's pages through the kit's `Browser`, and what it
/// keeps for the gateway: the `guichet_fc` cookie, set when a sign-in starts, sent back
/// to the callback, forgotten when the gateway clears it.
#[derive(Default)]
struct WebBrowser {
    at_provider: Browser,
    flow_cookie: Mutex<Option<String>>,
}

impl WebBrowser {
    /// The `guichet_fc` cookie this browser holds.
    fn flow_cookie(&self) -> Option<String> {
        self.flow_cookie
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Keeps, replaces or forgets the cookie as the gateway's `Set-Cookie` says.
    fn keep(&self, response: &reqwest::Response) {
        for set in response.headers().get_all(header::SET_COOKIE) {
            let set = set.to_str().unwrap();
            let Some(value) = set
                .split(';')
                .next()
                .and_then(|pair| pair.trim().strip_prefix(&format!("{FLOW_COOKIE}=")))
            else {
                continue;
            };
            let cleared = value.is_empty() || set.contains("Max-Age=0");
            *self
                .flow_cookie
                .lock()
                .unwrap_or_else(PoisonError::into_inner) = (!cleared).then(|| value.to_owned());
        }
    }

    /// Starts a FranceConnect login at the gateway; returns the provider's authorization
    /// URL, and keeps the cookie the gateway sets.
    async fn start_login(&self, platform: &Platform) -> Url {
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
        self.keep(&response);
        let location = response.headers()[header::LOCATION].to_str().unwrap();
        let authorize = Url::parse(location).unwrap();
        assert!(
            authorize
                .as_str()
                .starts_with(&format!("{}/authorize?", platform.provider().issuer())),
            "sent to the provider's authorization endpoint, not {authorize}"
        );
        assert_eq!(
            self.flow_cookie().as_ref(),
            Some(&query(&authorize)["state"]),
            "the browser holds the sign-in's state"
        );
        authorize
    }

    /// Starts linking FranceConnect to the account of `token`, as the web portal does;
    /// returns the provider's authorization URL, and keeps the cookie the gateway sets.
    async fn start_link(&self, platform: &Platform, token: &str) -> Url {
        let response = platform.post_json_as(token, LINK, &json!({})).await;
        assert_eq!(response.status(), StatusCode::OK);
        self.keep(&response);
        let link: Value = response.json().await.unwrap();
        let authorize = Url::parse(link["url"].as_str().unwrap()).unwrap();
        assert!(
            authorize
                .as_str()
                .starts_with(&format!("{}/authorize?", platform.provider().issuer())),
            "{authorize}"
        );
        assert_eq!(
            self.flow_cookie().as_ref(),
            Some(&query(&authorize)["state"]),
            "the browser holds the sign-in's state"
        );
        authorize
    }

    /// Opens the callback URL at the gateway with the cookie this browser holds.
    async fn open_callback(&self, callback: &Url) -> reqwest::Response {
        let response = open_callback_with(callback, self.flow_cookie().as_deref()).await;
        self.keep(&response);
        response
    }
}

/// Opens a callback URL at the gateway with this `guichet_fc` cookie, or none: what any
/// client may send, a browser or not.
async fn open_callback_with(callback: &Url, flow_cookie: Option<&str>) -> reqwest::Response {
    let request = gateway_browser().get(callback.clone());
    let request = match flow_cookie {
        Some(value) => request.header(header::COOKIE, format!("{FLOW_COOKIE}={value}")),
        None => request,
    };
    request.send().await.unwrap()
}

/// Logs in at the provider as `who` from `authorize`; returns the gateway callback URL the
/// provider sends the browser to.
async fn through_provider(
    platform: &Platform,
    browser: &WebBrowser,
    authorize: &Url,
    who: &str,
) -> Url {
    let callback = browser
        .at_provider
        .log_in(platform.provider(), authorize, who, &[])
        .await;
    assert!(
        callback.as_str().starts_with(&platform.url(CALLBACK)),
        "sent back to the gateway's callback, not {callback}"
    );
    callback
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
async fn sign_in(platform: &Platform, browser: &WebBrowser, who: &str) -> Value {
    let authorize = browser.start_login(platform).await;
    let callback = through_provider(platform, browser, &authorize, who).await;
    let login = signed_in(browser.open_callback(&callback).await).await;
    assert_eq!(browser.flow_cookie(), None, "the gateway clears the cookie");
    login
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

/// The FranceConnect subject the account of `email` is linked to, if any.
async fn fc_sub_of(platform: &Platform, email: &str) -> Option<String> {
    sqlx::query_scalar("SELECT fc_sub FROM accounts WHERE email = $1")
        .bind(email)
        .fetch_one(&platform.identity_db)
        .await
        .unwrap()
}

/// Whether the identity service still holds the sign-in of `state` (not yet completed).
async fn pending(platform: &Platform, state: &str) -> bool {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM franceconnect_logins WHERE state = $1)")
        .bind(state)
        .fetch_one(&platform.identity_db)
        .await
        .unwrap()
}

/// Sessions opened by a FranceConnect login.
async fn franceconnect_sessions(platform: &Platform) -> i64 {
    count(
        platform,
        "SELECT count(*) FROM sessions WHERE fc_id_token IS NOT NULL",
    )
    .await
}

/// Checks a callback was refused as coming from a browser that did not start the sign-in.
async fn refused_as_another_browsers(response: reqwest::Response) {
    let set_cookie = response.headers().get(header::SET_COOKIE).cloned();
    let (status, body) = problem(response).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "franceconnect_browser_mismatch");
    assert!(
        body["detail"].as_str().unwrap().contains("navigateur"),
        "{body}"
    );
    assert!(body.get("tokens").is_none(), "no session: {body}");
    assert_eq!(
        set_cookie, None,
        "a refusal leaves the browser's cookie alone"
    );
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
    let browser = WebBrowser::default();

    let started = gateway_browser()
        .get(platform.url(LOGIN))
        .send()
        .await
        .unwrap();
    let set_cookie = started.headers()[header::SET_COOKIE].to_str().unwrap();
    let state = &query(&Url::parse(started.headers()[header::LOCATION].to_str().unwrap()).unwrap())
        ["state"];
    assert_eq!(
        set_cookie,
        format!(
            "{FLOW_COOKIE}={state}; Path=/api/v1/auth/franceconnect; Max-Age=600; HttpOnly; SameSite=Lax"
        ),
        "bound to the sign-in's state, for the FranceConnect routes, as long as the sign-in, \
         out of scripts' reach, sent back on the provider's redirect; not Secure over http"
    );

    let authorize = browser.start_login(&platform).await;
    let params = query(&authorize);
    assert_eq!(params["client_id"], CLIENT_ID);
    assert_eq!(params["redirect_uri"], platform.url(CALLBACK));
    assert_eq!(params["acr_values"], "eidas1");
    assert_eq!(params["state"].len(), 43);
    assert_eq!(params["nonce"].len(), 43);
    let callback = through_provider(&platform, &browser, &authorize, "angela").await;
    assert_eq!(query(&callback)["state"], params["state"]);
    let answer = browser.open_callback(&callback).await;
    let cleared = answer.headers()[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    let login = signed_in(answer).await;
    assert!(
        cleared.starts_with(&format!(
            "{FLOW_COOKIE}=; Path=/api/v1/auth/franceconnect; Max-Age=0"
        )),
        "the sign-in is over: {cleared}"
    );
    assert_eq!(browser.flow_cookie(), None);

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

    let first = sign_in(&platform, &WebBrowser::default(), "angela").await;
    let account = profile(&platform, access(&first)).await["account_id"].clone();
    // Another browser: the provider asks to log in again, and sends the same person.
    let second = sign_in(&platform, &WebBrowser::default(), "angela").await;

    assert_eq!(second["created"], false);
    assert_eq!(second["linked"], false);
    assert_ne!(access(&second), access(&first), "a session of its own");
    assert_eq!(
        profile(&platform, access(&second)).await["account_id"],
        account
    );
    assert_eq!(franceconnect_accounts(&platform).await, 1);

    // Someone else gets an account of their own.
    let lucien = sign_in(&platform, &WebBrowser::default(), "lucien").await;
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

    let browser = WebBrowser::default();
    let authorize = browser.start_link(&platform, &password_token).await;
    let callback = through_provider(&platform, &browser, &authorize, "lucien").await;
    let linked = signed_in(browser.open_callback(&callback).await).await;
    assert_eq!(browser.flow_cookie(), None, "the gateway clears the cookie");

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
    let again = sign_in(&platform, &WebBrowser::default(), "lucien").await;
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
    let browser = WebBrowser::default();

    let authorize = browser.start_login(&platform).await;
    let callback = through_provider(&platform, &browser, &authorize, "angela").await;
    let (status, body) = problem(browser.open_callback(&callback).await).await;

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
    let browser = WebBrowser::default();
    let authorize = browser.start_login(&platform).await;
    let callback = through_provider(&platform, &browser, &authorize, "angela").await;
    let params = query(&callback);
    let genuine = browser.flow_cookie().unwrap();

    // A state Guichet never issued, with a genuine code, from a client that sends the
    // matching cookie (any client can choose its own): the identity service still checks.
    let never_issued = "Y2VjaSBuJ2VzdCBwYXMgdW4gw6l0YXQgw6ltaXMgcGFyIEd1aWNoZXQ";
    let mut forged = platform.url(CALLBACK).parse::<Url>().unwrap();
    forged
        .query_pairs_mut()
        .append_pair("code", &params["code"])
        .append_pair("state", never_issued);
    let (status, body) = problem(open_callback_with(&forged, Some(never_issued)).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "validation_failed");
    assert_eq!(body["errors"][0]["field"], "state");

    // The genuine callback still works once…
    signed_in(browser.open_callback(&callback).await).await;
    // …and never twice, even with the cookie kept.
    let (status, body) = problem(open_callback_with(&callback, Some(&genuine)).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["errors"][0]["field"], "state");

    // A code brought back with the state of another sign-in (an attacker's, with the
    // attacker's cookie) fails the nonce check: the ID token was issued for the sign-in
    // the code belongs to.
    let attacker = WebBrowser::default();
    let attacker_state = query(&attacker.start_login(&platform).await)["state"].clone();
    let authorize = browser.start_login(&platform).await;
    // The provider session is live: it answers with a code at once.
    let Answer::Redirect(callback) = browser
        .at_provider
        .follow(platform.provider(), &authorize)
        .await
    else {
        panic!("a live provider session sends the browser straight back");
    };
    let mut swapped = platform.url(CALLBACK).parse::<Url>().unwrap();
    swapped
        .query_pairs_mut()
        .append_pair("code", &query(&callback)["code"])
        .append_pair("state", &attacker_state);
    let (status, body) = problem(attacker.open_callback(&swapped).await).await;
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
    let browser = WebBrowser::default();
    let first = sign_in(&platform, &browser, "angela").await;
    // The session lives: a refresh works, and the provider would sign in again at once.
    let response = refresh(&platform, &first).await;
    assert_eq!(response.status(), StatusCode::OK);
    let login = json!({"tokens": response.json::<Value>().await.unwrap()});
    let Answer::Redirect(back) = browser
        .at_provider
        .follow(provider, &browser.start_login(&platform).await)
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

    let logged_out = browser.at_provider.log_out(provider, &end_session).await;
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
    let Answer::Redirect(interaction) = browser
        .at_provider
        .get(&browser.start_login(&platform).await)
        .await
    else {
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
    let browser = WebBrowser::default();
    let authorize = browser.start_link(&platform, &token).await;
    let callback = through_provider(&platform, &browser, &authorize, "lucien").await;
    assert_eq!(
        signed_in(browser.open_callback(&callback).await).await["linked"],
        true
    );

    // The same account, linked again as someone else: their identities must not mix.
    let browser = WebBrowser::default();
    let authorize = browser.start_link(&platform, &token).await;
    let callback = through_provider(&platform, &browser, &authorize, "carmen").await;
    let (status, body) = problem(browser.open_callback(&callback).await).await;

    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(body["code"], "conflict");
    let me = profile(&platform, &token).await;
    assert_certified(&me, "family_name", "ROUSSEL");
    assert_certified(&me, "birthplace", "13001");
    assert_eq!(franceconnect_accounts(&platform).await, 1);
    // Lucien still signs in to his account with FranceConnect.
    let lucien = sign_in(&platform, &WebBrowser::default(), "lucien").await;
    assert_eq!(
        profile(&platform, access(&lucien)).await["account_id"],
        me["account_id"]
    );
}

#[tokio::test]
async fn a_link_started_by_someone_else_and_completed_in_a_victims_browser_links_nothing() {
    let platform = platform("fc_link_csrf", &[]).await;
    // Mallory, signed in to her own account, starts linking FranceConnect to it…
    let mallory = platform.resident("mallory@example.org").await;
    let mallory_account = profile(&platform, &mallory).await["account_id"].clone();
    let attacker = WebBrowser::default();
    let authorize = attacker.start_link(&platform, &mallory).await;
    let state = query(&authorize)["state"].clone();

    // …and sends the provider's address to Lucien, who logs in at FranceConnect as
    // himself: his browser comes back to the callback, without Mallory's cookie.
    let victim = WebBrowser::default();
    let callback = through_provider(&platform, &victim, &authorize, "lucien").await;
    assert_eq!(query(&callback)["state"], state);
    refused_as_another_browsers(victim.open_callback(&callback).await).await;

    // Mallory's account is not linked, and Lucien's identity is attached to no account.
    assert_eq!(fc_sub_of(&platform, "mallory@example.org").await, None);
    assert_eq!(franceconnect_accounts(&platform).await, 0);
    assert_eq!(
        franceconnect_sessions(&platform).await,
        0,
        "no session opened"
    );
    assert_eq!(
        profile(&platform, &mallory).await["franceconnect_linked"],
        false
    );
    // Refused at the gateway: the identity service never saw the callback.
    assert!(
        pending(&platform, &state).await,
        "the sign-in is left as it was"
    );

    // A browser in the middle of a sign-in of its own is refused all the same.
    let own = victim.start_login(&platform).await;
    assert_ne!(query(&own)["state"], state);
    refused_as_another_browsers(victim.open_callback(&callback).await).await;
    assert_eq!(fc_sub_of(&platform, "mallory@example.org").await, None);
    assert_eq!(franceconnect_accounts(&platform).await, 0);

    // Lucien's own FranceConnect logins land in an account of his own, not Mallory's.
    let lucien = sign_in(&platform, &WebBrowser::default(), "lucien").await;
    assert_eq!(lucien["created"], true);
    assert_eq!(lucien["linked"], false);
    assert_ne!(
        profile(&platform, access(&lucien)).await["account_id"],
        mallory_account
    );
    assert_eq!(fc_sub_of(&platform, "mallory@example.org").await, None);
    assert_eq!(franceconnect_accounts(&platform).await, 1);
}

#[tokio::test]
async fn a_callback_without_the_cookie_is_refused_and_changes_nothing() {
    let platform = platform("fc_no_cookie", &[]).await;
    let browser = WebBrowser::default();
    let authorize = browser.start_login(&platform).await;
    let callback = through_provider(&platform, &browser, &authorize, "angela").await;
    let state = query(&callback)["state"].clone();

    refused_as_another_browsers(open_callback_with(&callback, None).await).await;
    refused_as_another_browsers(open_callback_with(&callback, Some("")).await).await;

    assert!(
        pending(&platform, &state).await,
        "the sign-in is left as it was"
    );
    assert_eq!(franceconnect_accounts(&platform).await, 0);
    assert_eq!(franceconnect_sessions(&platform).await, 0);
    // The browser that started the sign-in still completes it.
    let login = signed_in(browser.open_callback(&callback).await).await;
    assert_eq!(login["created"], true);
    assert!(!pending(&platform, &state).await, "spent");
}

#[tokio::test]
async fn a_callback_with_the_cookie_of_another_sign_in_is_refused() {
    let platform = platform("fc_other_cookie", &[]).await;
    let browser = WebBrowser::default();
    let elsewhere = WebBrowser::default();
    let authorize = browser.start_login(&platform).await;
    elsewhere.start_login(&platform).await;
    let callback = through_provider(&platform, &browser, &authorize, "angela").await;
    let state = query(&callback)["state"].clone();

    // The cookie of a sign-in started in another browser.
    let other = elsewhere.flow_cookie().unwrap();
    refused_as_another_browsers(open_callback_with(&callback, Some(&other)).await).await;

    // A sign-in started again in the same browser replaces the cookie: the earlier
    // sign-in's callback is no longer this browser's to complete.
    browser.start_login(&platform).await;
    assert_ne!(browser.flow_cookie().unwrap(), state);
    refused_as_another_browsers(browser.open_callback(&callback).await).await;

    // The right cookie beside one planted under the same name: neither is trusted.
    let planted = gateway_browser()
        .get(callback.clone())
        .header(
            header::COOKIE,
            format!("{FLOW_COOKIE}={other}; {FLOW_COOKIE}={state}"),
        )
        .send()
        .await
        .unwrap();
    refused_as_another_browsers(planted).await;

    assert!(
        pending(&platform, &state).await,
        "the sign-in is left as it was"
    );
    assert_eq!(franceconnect_accounts(&platform).await, 0);
    assert_eq!(franceconnect_sessions(&platform).await, 0);
    // With the cookie its sign-in set, the callback completes: nothing was spent.
    let login = signed_in(open_callback_with(&callback, Some(&state)).await).await;
    assert_eq!(login["created"], true);
}
