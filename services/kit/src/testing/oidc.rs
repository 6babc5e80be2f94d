//! The OpenID Connect provider standing in for FranceConnect (`infra/oidc`), started as a
//! child process per test, and a browser reduced to what its login and logout pages need:
//! redirects followed one by one, cookies kept, forms posted as their buttons would.
//! The identity service's tests and the end-to-end tests share it.
//!
//! Needs Node.js and the provider's packages: `./infra/test` installs them, or
//! `npm ci --prefix infra/oidc`.

use std::collections::BTreeMap;
use std::io::{BufRead as _, BufReader, Read as _};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::Duration;

use anyhow::Context as _;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use reqwest::header::{COOKIE, LOCATION, SET_COOKIE};
use reqwest::{StatusCode, Url};

/// The client the provider registers; relying parties under test use the same.
pub const CLIENT_ID: &str = "guichet-test";
/// The secret of [`CLIENT_ID`], sent with `client_secret_post`.
pub const CLIENT_SECRET: &str = "guichet-test-secret";

/// Node.js prints one line when it listens; a cold start on a busy machine is slow (ten
/// providers starting at once right after `npm ci`, on two cores, once passed 30 s).
const START_TIMEOUT: Duration = Duration::from_secs(90);

/// The stand-in provider, killed when dropped.
pub struct Provider {
    child: Child,
    /// Held open: when the test process dies without dropping us, the provider exits.
    _stdin: ChildStdin,
    /// `http://127.0.0.1:<port>/`.
    base: Url,
    /// What the provider printed on stderr, for failure messages.
    stderr: Arc<Mutex<String>>,
}

impl Provider {
    /// Starts the provider on a free port with [`CLIENT_ID`] registered for these two
    /// URIs. `extra` are more command-line flags, such as `--tamper-userinfo`.
    pub async fn start(
        redirect_uri: &str,
        post_logout_redirect_uri: &str,
        extra: &[&str],
    ) -> anyhow::Result<Self> {
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../infra/oidc");
        let dir = dir.canonicalize().unwrap_or(dir);
        anyhow::ensure!(
            dir.join("node_modules/oidc-provider").is_dir(),
            "the OpenID Connect test provider's packages are not installed in {}: \
             run ./infra/test (which installs them) or `npm ci --prefix infra/oidc`",
            dir.display()
        );
        let mut args = vec![
            "--redirect-uri".to_owned(),
            redirect_uri.to_owned(),
            "--post-logout-redirect-uri".to_owned(),
            post_logout_redirect_uri.to_owned(),
        ];
        args.extend(extra.iter().map(|a| (*a).to_owned()));
        tokio::task::spawn_blocking(move || Self::start_blocking(&dir, &args))
            .await
            .context("the provider start-up task")?
    }

    fn start_blocking(dir: &Path, args: &[String]) -> anyhow::Result<Self> {
        let mut child = Command::new("node")
            .arg(dir.join("provider.mjs"))
            .args(["--port", "0", "--client-id", CLIENT_ID])
            .args(["--client-secret", CLIENT_SECRET])
            .arg("--exit-with-stdin")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .context("starting `node` (./infra/test installs it)")?;

        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let stderr = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n @ 1..) = pipe.read(&mut buf) {
                    let text = String::from_utf8_lossy(&buf[..n]);
                    if std::env::var_os("TEST_LOG").is_some() {
                        eprint!("{text}");
                    }
                    stderr
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push_str(&text);
                }
            });
        }

        // The one stdout line says where it listens; keep draining so it never blocks.
        let (ready, listening) = mpsc::channel();
        if let Some(pipe) = child.stdout.take() {
            std::thread::spawn(move || {
                for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                    if let Some(url) = line.strip_prefix("listening on ") {
                        ready.send(url.to_owned()).ok();
                    }
                }
            });
        }

        let started = listening
            .recv_timeout(START_TIMEOUT)
            .context("no `listening on` line")
            .and_then(|url| Url::parse(&url).context("the provider's URL"));
        let stdin = child.stdin.take();
        match (started, stdin) {
            (Ok(base), Some(stdin)) => Ok(Self {
                child,
                _stdin: stdin,
                base,
                stderr,
            }),
            (started, _) => {
                child.kill().ok();
                child.wait().ok();
                let why = started.err().map(|e| format!("{e:#}")).unwrap_or_default();
                anyhow::bail!(
                    "the provider did not start ({why}); its stderr:\n{}",
                    stderr.lock().unwrap_or_else(PoisonError::into_inner)
                )
            }
        }
    }

    /// `http://127.0.0.1:<port>/`.
    pub fn base(&self) -> &Url {
        &self.base
    }

    /// The issuer a relying party discovers, as FranceConnect v2's: under `/api/v2`.
    pub fn issuer(&self) -> String {
        format!("{}api/v2", self.base)
    }

    /// Makes the provider sign with a new key from now on; returns its key id.
    pub async fn rotate_keys(&self) -> anyhow::Result<String> {
        let answer: serde_json::Value = reqwest::Client::new()
            .post(self.base.join("admin/rotate")?)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .context("POST /admin/rotate")?
            .json()
            .await
            .context("the rotation's answer")?;
        answer["kid"]
            .as_str()
            .map(str::to_owned)
            .context("no kid in the rotation's answer")
    }

    /// What the provider printed on stderr so far.
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A redirect's target, or a page's body.
#[derive(Debug)]
pub enum Answer {
    Redirect(Url),
    Page(String),
}

/// A browser reduced to what the provider's pages need: no automatic redirects, and a
/// cookie jar that sends every cookie back (it only ever talks to the one provider).
/// It panics on anything unexpected: it drives a test, whose failure it then is.
pub struct Browser {
    http: reqwest::Client,
    cookies: Mutex<BTreeMap<String, String>>,
}

impl Default for Browser {
    fn default() -> Self {
        Self::new()
    }
}

impl Browser {
    pub fn new() -> Self {
        Self {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            cookies: Mutex::new(BTreeMap::new()),
        }
    }

    pub async fn get(&self, url: &Url) -> Answer {
        let request = self.http.get(url.clone());
        self.send(url, request).await
    }

    pub async fn post_form(&self, url: &Url, form: &[(&str, &str)]) -> Answer {
        let request = self.http.post(url.clone()).form(form);
        self.send(url, request).await
    }

    fn jar(&self) -> std::sync::MutexGuard<'_, BTreeMap<String, String>> {
        self.cookies.lock().unwrap_or_else(PoisonError::into_inner)
    }

    async fn send(&self, url: &Url, request: reqwest::RequestBuilder) -> Answer {
        let cookie = self
            .jar()
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ");
        let request = if cookie.is_empty() {
            request
        } else {
            request.header(COOKIE, cookie)
        };
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{url} does not answer: {e}"));
        {
            let mut jar = self.jar();
            for set in response.headers().get_all(SET_COOKIE) {
                let set = set.to_str().unwrap_or_default();
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
            let location = response
                .headers()
                .get(LOCATION)
                .and_then(|l| l.to_str().ok())
                .unwrap_or_else(|| panic!("a redirect without location from {url}"));
            let next = url
                .join(location)
                .unwrap_or_else(|e| panic!("redirect to `{location}`: {e}"));
            return Answer::Redirect(next);
        }
        let body = response.text().await.unwrap_or_default();
        assert_eq!(
            status,
            StatusCode::OK,
            "unexpected answer from {url}: {body}"
        );
        Answer::Page(body)
    }

    /// Follows redirects from `url` until a page, or a URL off the provider, comes.
    pub async fn follow(&self, provider: &Provider, url: &Url) -> Answer {
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

    /// Opens the authorization URL `start`, logs in at the provider's page as `login` (one
    /// of its test identities) with `extra` form fields, and returns where the provider
    /// sends the browser next: the relying party's redirect URI with a code.
    pub async fn log_in(
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
        let login_url = Url::parse(&format!("{interaction}/login"))
            .unwrap_or_else(|e| panic!("login URL: {e}"));
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

    /// Opens the provider's end-session URL and confirms as the "Oui" button does;
    /// returns where the provider sends the browser: the post-logout redirect URI.
    pub async fn log_out(&self, provider: &Provider, end_session: &Url) -> Url {
        let Answer::Page(confirm) = self.get(end_session).await else {
            panic!(
                "expected the logout confirmation page; provider stderr:\n{}",
                provider.stderr()
            );
        };
        let action = attribute_after(&confirm, "<form", "action");
        let xsrf = attribute_after(&confirm, "name=\"xsrf\"", "value");
        let action = end_session
            .join(&action)
            .unwrap_or_else(|e| panic!("form action `{action}`: {e}"));
        match self
            .post_form(&action, &[("xsrf", &xsrf), ("logout", "yes")])
            .await
        {
            Answer::Redirect(url) => url,
            Answer::Page(page) => panic!("the logout confirmation did not redirect: {page}"),
        }
    }
}

/// A URL's query parameters (the last of any repeated one).
pub fn query(url: &Url) -> BTreeMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// The decoded header of a compact JWS.
pub fn jws_header(jws: &str) -> serde_json::Value {
    jws_part(jws, 0)
}

/// The decoded payload (claims) of a compact JWS, signature unchecked.
pub fn jws_claims(jws: &str) -> serde_json::Value {
    jws_part(jws, 1)
}

fn jws_part(jws: &str, index: usize) -> serde_json::Value {
    let part = jws
        .split('.')
        .nth(index)
        .unwrap_or_else(|| panic!("a compact JWS has part {index}: {jws}"));
    let bytes = URL_SAFE_NO_PAD
        .decode(part)
        .unwrap_or_else(|e| panic!("base64url part {index}: {e}"));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("JSON part {index}: {e}"))
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
    let end = rest[start..]
        .find('"')
        .unwrap_or_else(|| panic!("closing quote after `{key}`"))
        + start;
    rest[start..end].replace("&amp;", "&")
}
