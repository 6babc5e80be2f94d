//! The FranceConnect relying party against a real OpenID Connect provider: the local
//! stand-in in `infra/oidc`, started as a child process per test. Each test drives the
//! browser's part by hand (redirects followed one by one, cookies kept) and logs in as one
//! of the provider's fake identities.
//!
//! Needs Node.js and the provider's packages: `./infra/test` installs them, or
//! `npm ci --prefix infra/oidc`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use guichet_identity::franceconnect::{FcError, FranceConnect, FranceConnectConfig};
use reqwest::StatusCode;
use reqwest::header::{LOCATION, SET_COOKIE};
use secrecy::SecretString;
use url::Url;

const CLIENT_ID: &str = "guichet-test";
const CLIENT_SECRET: &str = "guichet-test-secret";
const REDIRECT_URI: &str = "http://127.0.0.1:9/api/v1/auth/franceconnect/callback";
const POST_LOGOUT_REDIRECT_URI: &str = "http://127.0.0.1:9/api/v1/auth/franceconnect/logged-out";

// --- the provider process ----------------------------------------------------------------

/// The stand-in provider, killed when dropped.
struct Provider {
    child: Child,
    _stdin: ChildStdin,
    base: Url,
    /// What the provider printed on stderr, shown when something goes wrong.
    stderr: Arc<Mutex<String>>,
}

impl Provider {
    async fn start(extra: &[&str]) -> Self {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/oidc");
        let dir = dir.canonicalize().unwrap_or(dir);
        assert!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the OpenID Connect test provider's packages are not installed in {}: \
             run ./infra/test (which installs them) or `npm ci --prefix infra/oidc`",
            dir.display()
        );
        let extra: Vec<String> = extra.iter().map(|s| (*s).to_owned()).collect();
        tokio::task::spawn_blocking(move || Self::start_blocking(&dir, &extra))
            .await
            .expect("the provider start-up task")
    }

    fn start_blocking(dir: &Path, extra: &[String]) -> Self {
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .args(["--port", "0", "--client-id", CLIENT_ID])
            .args(["--client-secret", CLIENT_SECRET, "--redirect-uri", REDIRECT_URI])
            .args(["--post-logout-redirect-uri", POST_LOGOUT_REDIRECT_URI])
            // Held open by `_stdin` below: if this test process dies, the provider exits.
            .arg("--exit-with-stdin")
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("`node` must be installed to run the FranceConnect tests (./infra/test installs it)");

        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        std::thread::spawn({
            let stderr = Arc::clone(&stderr);
            move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = err_pipe.read(&mut buf) {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    if std::env::var_os("TEST_LOG").is_some() {
                        eprint!("{text}");
                    }
                    stderr.lock().expect("stderr buffer").push_str(&text);
                }
            }
        });

        // The one stdout line says where it listens; keep draining so it never blocks.
        let (ready, listening) = mpsc::channel();
        let out_pipe = child.stdout.take().expect("piped stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out_pipe).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("listening on ") {
                    let _ = ready.send(url.to_owned());
                }
            }
        });

        match listening.recv_timeout(Duration::from_secs(30)) {
            Ok(url) => Self {
                _stdin: child.stdin.take().expect("piped stdin"),
                child,
                base: Url::parse(&url).expect("the provider prints its URL"),
                stderr,
            },
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "the provider did not start; its stderr:\n{}",
                    stderr.lock().expect("stderr buffer")
                );
            }
        }
    }

    fn config(&self) -> FranceConnectConfig {
        FranceConnectConfig {
            issuer: format!("{}api/v2", self.base),
            client_id: CLIENT_ID.to_owned(),
            client_secret: SecretString::from(CLIENT_SECRET),
            redirect_uri: REDIRECT_URI.to_owned(),
            post_logout_redirect_uri: POST_LOGOUT_REDIRECT_URI.to_owned(),
        }
    }

    async fn discover(&self) -> FranceConnect {
        match FranceConnect::discover(&self.config()).await {
            Ok(fc) => fc,
            Err(e) => panic!(
                "discovery failed: {e:?}\nprovider stderr:\n{}",
                self.stderr()
            ),
        }
    }

    /// Makes the provider sign with a new key from now on; returns its key id.
    async fn rotate_keys(&self) -> String {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(self.base.join("admin/rotate").expect("admin URL"))
            .send()
            .await
            .expect("POST /admin/rotate")
            .error_for_status()
            .expect("key rotated")
            .json()
            .await
            .expect("JSON answer");
        answer["kid"].as_str().expect("new kid").to_owned()
    }

    fn stderr(&self) -> String {
        self.stderr.lock().expect("stderr buffer").clone()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

// --- the browser's part ------------------------------------------------------------------

/// A browser reduced to what the flow needs: no automatic redirects, a cookie jar that
/// sends every cookie back to the one provider host.
struct Browser {
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

/// A redirect's target, or a page's body.
enum Answer {
    Redirect(Url),
    Page(String),
}

impl Browser {
    fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("HTTP client"),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    async fn get(&self, url: &Url) -> Answer {
        let request = self.http.get(url.clone());
        self.send(url, request).await
    }

    async fn post_form(&self, url: &Url, form: &[(&str, &str)]) -> Answer {
        let request = self.http.post(url.clone()).form(form);
        self.send(url, request).await
    }

    async fn send(&self, url: &Url, request: reqwest::RequestBuilder) -> Answer {
        let cookie = {
            let jar = self.cookies.lock().expect("cookie jar");
            jar.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        };
        let request = if cookie.is_empty() {
            request
        } else {
            request.header(reqwest::header::COOKIE, cookie)
        };
        let response = request.send().await.expect("the provider answers");
        {
            let mut jar = self.cookies.lock().expect("cookie jar");
            for set in response.headers().get_all(SET_COOKIE) {
                let set = set.to_str().expect("ASCII cookie");
                let pair = set.split(';').next().unwrap_or_default();
                let Some((name, value)) = pair.split_once('=') else {
                    continue;
                };
                let expired = set
                    .to_ascii_lowercase()
                    .contains("expires=thu, 01 jan 1970");
                if value.is_empty() || expired {
                    jar.remove(name.trim());
                } else {
                    jar.insert(name.trim().to_owned(), value.to_owned());
                }
            }
        }
        let status = response.status();
        if status.is_redirection() {
            let location = response.headers()[LOCATION]
                .to_str()
                .expect("ASCII location");
            return Answer::Redirect(url.join(location).expect("redirect URL"));
        }
        let body = response.text().await.expect("page body");
        assert_eq!(
            status,
            StatusCode::OK,
            "unexpected answer from {url}: {body}"
        );
        Answer::Page(body)
    }

    /// Follows redirects from `url` until a page or a URL off the provider comes.
    async fn follow(&self, provider: &Provider, url: &Url) -> Answer {
        let mut url = url.clone();
        for _ in 0..10 {
            if url.origin() != provider.base.origin() {
                return Answer::Redirect(url);
            }
            match self.get(&url).await {
                Answer::Redirect(next) => url = next,
                page => return page,
            }
        }
        panic!("too many redirects, last at {url}");
    }

    /// Logs in at the provider's interaction page as `login` (one of its test identities),
    /// with `extra` form fields, and returns where the provider sends the browser next.
    async fn log_in(
        &self,
        provider: &Provider,
        start: &Url,
        login: &str,
        extra: &[(&str, &str)],
    ) -> Url {
        let Answer::Redirect(interaction) = self.get(start).await else {
            panic!("the authorization endpoint did not redirect to the login page");
        };
        let Answer::Page(page) = self.get(&interaction).await else {
            panic!("the login page did not render");
        };
        assert!(
            page.contains(&format!("name=\"login\" value=\"{login}\"")),
            "the login page offers {login}: {page}"
        );
        let mut form = vec![("login", login)];
        form.extend_from_slice(extra);
        let login_url = Url::parse(&format!("{interaction}/login")).expect("login URL");
        let Answer::Redirect(resume) = self.post_form(&login_url, &form).await else {
            panic!(
                "the login was not accepted; provider stderr:\n{}",
                provider.stderr()
            );
        };
        match self.follow(provider, &resume).await {
            Answer::Redirect(url) => url,
            Answer::Page(page) => panic!("expected a redirect to the client, got a page: {page}"),
        }
    }
}

/// The callback's `code`, after checking it came back to the redirect URI with our `state`.
fn code_from_callback(callback: &Url, expected_state: &str) -> String {
    assert!(
        callback.as_str().starts_with(REDIRECT_URI),
        "sent back to the redirect URI, not {callback}"
    );
    let params: BTreeMap<String, String> = callback.query_pairs().into_owned().collect();
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

/// The `kid` in a compact JWS's header.
fn kid_of(jws: &str) -> String {
    let header = jws.split('.').next().expect("a JWS header");
    let header: serde_json::Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(header).expect("base64url header"))
            .expect("JSON header");
    header["kid"].as_str().expect("a kid").to_owned()
}

// --- the tests -------------------------------------------------------------------------

#[tokio::test]
async fn signing_in_returns_the_identity_vouched_for_by_franceconnect() {
    let provider = Provider::start(&[]).await;
    let fc = provider.discover().await;
    let browser = Browser::new();

    let authorization = fc.authorize();
    let params: BTreeMap<String, String> = authorization.url.query_pairs().into_owned().collect();
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
    let provider = Provider::start(&[]).await;
    let fc = provider.discover().await;
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
    let provider = Provider::start(&[]).await;
    let fc = provider.discover().await;
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
    let provider = Provider::start(&[]).await;
    let fc = provider.discover().await;
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
    let provider = Provider::start(&[]).await;
    let fc = provider.discover().await;
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
    let provider = Provider::start(&[]).await;
    let fc = provider.discover().await;
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
    let provider = Provider::start(&[]).await;
    let fc = provider.discover().await;
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
    let provider = Provider::start(&["--tamper-userinfo"]).await;
    let fc = provider.discover().await;
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
    let provider = Provider::start(&["--tamper-userinfo=same-kid"]).await;
    let fc = provider.discover().await;
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
    let provider = Provider::start(&[]).await;
    // Discovery caches the key set as it is before the rotation.
    let fc = provider.discover().await;
    let browser = Browser::new();

    let new_kid = provider.rotate_keys().await;
    let (code, nonce) = sign_in(&provider, &fc, &browser, "angela").await;
    let identity = match fc.exchange(&code, &nonce).await {
        Ok(identity) => identity,
        Err(e) => panic!(
            "exchange after rotation failed: {e:?}\n{}",
            provider.stderr()
        ),
    };

    assert_eq!(
        kid_of(&identity.id_token),
        new_kid,
        "signed with the key unknown at discovery"
    );
    assert_eq!(identity.family_name, "DUBOIS");
}

#[tokio::test]
async fn logging_out_ends_the_session_at_franceconnect() {
    let provider = Provider::start(&[]).await;
    let fc = provider.discover().await;
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
    let params: BTreeMap<String, String> = logout.query_pairs().into_owned().collect();
    assert_eq!(params["id_token_hint"], identity.id_token);
    assert_eq!(params["state"], "logout-state-0123456789abcdef");
    assert_eq!(params["post_logout_redirect_uri"], POST_LOGOUT_REDIRECT_URI);

    // The provider asks for confirmation with a form; submit it as the "Oui" button does.
    let Answer::Page(confirm) = browser.get(&logout).await else {
        panic!("expected the logout confirmation page");
    };
    let action = attribute_after(&confirm, "<form", "action");
    let xsrf = attribute_after(&confirm, "name=\"xsrf\"", "value");
    let action = logout.join(&action).expect("form action");
    let Answer::Redirect(logged_out) = browser
        .post_form(&action, &[("xsrf", &xsrf), ("logout", "yes")])
        .await
    else {
        panic!("the logout confirmation did not redirect");
    };
    assert!(
        logged_out.as_str().starts_with(POST_LOGOUT_REDIRECT_URI),
        "sent to the post-logout URI, not {logged_out}"
    );
    let params: BTreeMap<String, String> = logged_out.query_pairs().into_owned().collect();
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

/// The value of `attribute` in the first tag found after `marker` in an HTML page.
fn attribute_after(html: &str, marker: &str, attribute: &str) -> String {
    let from = html
        .find(marker)
        .unwrap_or_else(|| panic!("`{marker}` in {html}"));
    let rest = &html[from..];
    let key = format!("{attribute}=\"");
    let start = rest
        .find(&key)
        .unwrap_or_else(|| panic!("`{key}` after `{marker}`"))
        + key.len();
    let end = rest[start..].find('"').expect("closing quote") + start;
    rest[start..end].replace("&amp;", "&")
}
