//! Starts the whole platform in-process for end-to-end tests: every service on a free
//! port with its own fresh database, one fresh RabbitMQ vhost shared by all, and the
//! gateway in front. Tests then speak HTTP only, as a channel would. On request, the
//! identity service signs residents in with FranceConnect against the local stand-in
//! provider (`infra/oidc`), registered for the gateway's callback routes.

pub mod capture;
pub mod fleet;
pub mod multipart;
pub mod outbox;
pub mod samples;

use guichet_gateway::{Limits, ServiceUrls};
use guichet_kit::{
    Clock,
    config::{AmqpConfig, AuthConfig, ServerConfig, ServiceSettings},
    testing::{self, oidc},
};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

/// The bootstrap administrator's password (login `admin`).
pub const ADMIN_PASSWORD: &str = "mot de passe administrateur";

/// The notifications service's key with the identity service (the links of identity's
/// e-mails); tests only.
const SERVICE_KEY: &str = "cle-de-service-des-tests-longue-assez-pour-etre-acceptee";

/// A running platform; dropping it stops every process.
pub struct Platform {
    pub base: String,
    pub http: reqwest::Client,
    /// The complaints service's database, to check what was (not) stored.
    pub complaints_db: PgPool,
    pub notifications_db: PgPool,
    /// The identity service's database, to check which accounts exist.
    pub identity_db: PgPool,
    /// Every service's database, by service name, to look for what any of them keeps.
    pub databases: Vec<(&'static str, PgPool)>,
    /// The FranceConnect stand-in, when started with `Options::franceconnect`.
    pub franceconnect: Option<oidc::Provider>,
    /// The mail and SMS outbox the notifications service sends to, when started with
    /// `Options::outbox`.
    pub outbox: Option<outbox::Outbox>,
    stop: CancellationToken,
    amqp: AmqpConfig,
    /// The notifications service alone, so a test can restart it.
    notifications: Notifications,
}

/// How the notifications service was started, to start it again.
struct Notifications {
    settings: guichet_notifications::Settings,
    clock: Clock,
    stop: CancellationToken,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl Drop for Platform {
    fn drop(&mut self) {
        self.stop.cancel();
        testing::delete_vhost_blocking(&self.amqp);
    }
}

/// What a test may change about the platform it starts.
#[derive(Debug, Default, Clone)]
pub struct Options {
    pub lookups_per_minute: Option<u32>,
    /// Point the gateway at a port where nothing answers for this service.
    pub without: Option<&'static str>,
    /// Point the gateway, for this service, at a port that accepts connections and
    /// never answers: a hung service.
    pub hung: Option<&'static str>,
    /// The gateway's request and call timeouts.
    pub timeouts: Option<guichet_gateway::Timeouts>,
    /// Start the FranceConnect stand-in with these extra flags (`&[]` for none, or
    /// `&["--tamper-userinfo"]`) and configure the identity service against it.
    pub franceconnect: Option<&'static [&'static str]>,
    /// Start a local mail and SMS outbox (`infra/smtp/outbox.py`) and have the
    /// notifications service send there, retrying fast.
    pub outbox: bool,
    /// The notifications service's clock (announcements' validity, deliveries' retries).
    pub notifications_clock: Option<Clock>,
    /// The identity service's clock (failed logins' waits).
    pub identity_clock: Option<Clock>,
    /// The gateway's trusted reverse proxies (`127.0.0.1` makes the test client one).
    pub trusted_proxies: Vec<String>,
    /// Origins whose pages may call the gateway (`http.cors_origins`).
    pub cors_origins: Vec<String>,
    /// Write limits; by default far above what any test writes.
    pub write_limits: Option<guichet_gateway::WriteLimits>,
    /// FranceConnect sends the browser back to the portal's pages (which then call the
    /// API), not to the API's own routes.
    pub franceconnect_portal: bool,
    /// The built front end the gateway serves (`web.dist`); none serves the API alone.
    pub web_dist: Option<std::path::PathBuf>,
}

fn settings(hint: &str, amqp: &AmqpConfig) -> ServiceSettings {
    ServiceSettings {
        database: testing::database(hint),
        amqp: amqp.clone(),
        grpc: ServerConfig::on_port(0),
        ..ServiceSettings::default()
    }
}

/// Settings of a service that verifies tokens with the identity service at `port`.
fn verifying(hint: &str, amqp: &AmqpConfig, identity_port: u16) -> ServiceSettings {
    ServiceSettings {
        auth: AuthConfig {
            identity_url: url(identity_port),
        },
        ..settings(hint, amqp)
    }
}

/// A port that accepts every connection and never says a word, for as long as the test
/// process lives: what a hung service looks like from outside.
async fn silent_port() -> anyhow::Result<u16> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let port = listener.local_addr()?.port();
    tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    Ok(port)
}

fn url(port: u16) -> String {
    format!("http://127.0.0.1:{port}")
}

impl Platform {
    pub async fn start(hint: &str) -> anyhow::Result<Self> {
        Self::start_with(hint, Options::default()).await
    }

    pub async fn start_with(hint: &str, options: Options) -> anyhow::Result<Self> {
        testing::init_logs();
        let amqp = testing::vhost(hint).await?;
        let stop = CancellationToken::new();

        // Links in e-mails and SMS, and the provider, send browsers to the gateway, so
        // identity and notifications must know the gateway's port before any starts: hold
        // a free one until the gateway binds it.
        let reserved = std::net::TcpListener::bind("127.0.0.1:0")?;
        let public_url = url(reserved.local_addr()?.port());
        let mut franceconnect = None;
        let mut franceconnect_config =
            guichet_identity::franceconnect::FranceConnectConfig::default();
        if let Some(flags) = options.franceconnect {
            let base = &public_url;
            // The portal's pages, which complete sign-in and sign-out with the API.
            let (callback, logged_out) = if options.franceconnect_portal {
                ("/compte/franceconnect", "/compte/deconnecte")
            } else {
                (
                    "/api/v1/auth/franceconnect/callback",
                    "/api/v1/auth/franceconnect/logged-out",
                )
            };
            let redirect_uri = format!("{base}{callback}");
            let post_logout_redirect_uri = format!("{base}{logged_out}");
            let provider =
                oidc::Provider::start(&redirect_uri, &post_logout_redirect_uri, flags).await?;
            franceconnect_config = guichet_identity::franceconnect::FranceConnectConfig {
                issuer: provider.issuer(),
                client_id: oidc::CLIENT_ID.to_owned(),
                client_secret: oidc::CLIENT_SECRET.to_owned().into(),
                redirect_uri,
                post_logout_redirect_uri,
            };
            franceconnect = Some(provider);
        }

        let identity = guichet_identity::Application::build(
            guichet_identity::Settings {
                service: settings(&format!("{hint}_id"), &amqp),
                bootstrap: guichet_identity::Bootstrap {
                    admin_password: Some(ADMIN_PASSWORD.to_owned().into()),
                    ..Default::default()
                },
                franceconnect: franceconnect_config,
                public_url: Some(public_url.clone()),
                service_keys: [("notifications".to_owned(), SERVICE_KEY.to_owned().into())].into(),
                ..Default::default()
            },
            options.identity_clock.clone().unwrap_or_default(),
        )
        .await?;
        let teleservices = guichet_teleservices::Application::build(
            verifying(&format!("{hint}_tls"), &amqp, identity.port()),
            Clock::system(),
        )
        .await?;
        let complaints = guichet_complaints::Application::build(
            verifying(&format!("{hint}_cpl"), &amqp, identity.port()),
            Clock::system(),
        )
        .await?;
        let rapo = guichet_rapo::Application::build(
            guichet_rapo::Settings {
                service: verifying(&format!("{hint}_rapo"), &amqp, identity.port()),
                ..Default::default()
            },
            Clock::system(),
        )
        .await?;
        let outbox = if options.outbox {
            Some(outbox::Outbox::start()?)
        } else {
            None
        };
        let mut notifications_settings = guichet_notifications::Settings {
            service: verifying(&format!("{hint}_ntf"), &amqp, identity.port()),
            public_url: guichet_notifications::config::PublicUrl(public_url.clone()),
            service_key: SERVICE_KEY.to_owned().into(),
            delivery: guichet_notifications::config::DeliveryConfig {
                max_attempts: 3,
                retry_base_ms: 50,
                poll_ms: 50,
                // On the system clock a test cannot wait a minute for an agent's grouped
                // message; a test moving the clock gets the real window.
                grouping_window_seconds: if options.notifications_clock.is_some() {
                    60
                } else {
                    1
                },
                ..Default::default()
            },
            ..Default::default()
        };
        match &outbox {
            Some(outbox) => {
                notifications_settings.smtp.port = outbox.smtp_port;
                notifications_settings.sms.endpoint = outbox.sms_endpoint.clone();
            }
            None => {
                // Nothing listens there: deliveries fail, nothing leaves the machine.
                notifications_settings.smtp.port = 9;
                notifications_settings.sms.endpoint = "http://127.0.0.1:9/sms".to_owned();
            }
        }
        let notifications_clock = options.notifications_clock.clone().unwrap_or_default();
        let notifications = guichet_notifications::Application::build(
            notifications_settings.clone(),
            notifications_clock.clone(),
        )
        .await?;
        // A restart binds the same port, so the gateway keeps reaching it.
        notifications_settings.service.grpc = ServerConfig::on_port(notifications.port());

        let mut services = ServiceUrls {
            identity: url(identity.port()),
            teleservices: url(teleservices.port()),
            complaints: url(complaints.port()),
            rapo: url(rapo.port()),
            notifications: url(notifications.port()),
        };
        let replaced = match (options.without, options.hung) {
            // Port 9 (discard) has no gRPC server behind it.
            (Some(missing), _) => Some((missing, url(9))),
            (None, Some(hung)) => Some((hung, url(silent_port().await?))),
            (None, None) => None,
        };
        if let Some((missing, nowhere)) = replaced {
            match missing {
                "identity" => services.identity = nowhere,
                "teleservices" => services.teleservices = nowhere,
                "complaints" => services.complaints = nowhere,
                "rapo" => services.rapo = nowhere,
                _ => services.notifications = nowhere,
            }
        }
        let complaints_db = complaints.pool().clone();
        let notifications_db = notifications.pool().clone();
        let identity_db = identity.pool().clone();
        let databases = vec![
            ("identity", identity_db.clone()),
            ("teleservices", teleservices.pool().clone()),
            ("complaints", complaints_db.clone()),
            ("rapo", rapo.pool().clone()),
            ("notifications", notifications_db.clone()),
        ];

        tokio::spawn(identity.run(stop.clone().cancelled_owned()));
        tokio::spawn(teleservices.run(stop.clone().cancelled_owned()));
        tokio::spawn(complaints.run(stop.clone().cancelled_owned()));
        tokio::spawn(rapo.run(stop.clone().cancelled_owned()));
        let notifications_stop = stop.child_token();
        let notifications_task =
            tokio::spawn(notifications.run(notifications_stop.clone().cancelled_owned()));

        let port = reserved.local_addr()?.port();
        // Released just before the gateway binds it again.
        drop(reserved);
        let gateway = guichet_gateway::Application::build(guichet_gateway::Settings {
            http: guichet_gateway::HttpConfig {
                host: "127.0.0.1".to_owned(),
                port,
                trusted_proxies: options.trusted_proxies.clone(),
                cors_origins: options.cors_origins.clone(),
                ..Default::default()
            },
            services,
            limits: Limits {
                lookups_per_minute: options.lookups_per_minute.unwrap_or(1_000),
                writes: options
                    .write_limits
                    .clone()
                    .unwrap_or(guichet_gateway::WriteLimits {
                        filings_per_hour: 100_000,
                        uploads_per_hour: 100_000,
                        drafts_per_hour: 100_000,
                        messages_per_hour: 100_000,
                        sign_ups_per_hour: 100_000,
                        password_resets_per_hour: 100_000,
                        agent_factor: 1,
                    }),
                ..Limits::default()
            },
            timeouts: options.timeouts.clone().unwrap_or_default(),
            web: guichet_gateway::WebConfig {
                dist: options
                    .web_dist
                    .as_ref()
                    .map(|d| d.display().to_string())
                    .unwrap_or_default(),
            },
            ..Default::default()
        })
        .await?;
        let base = url(gateway.port());
        tokio::spawn(gateway.run(stop.clone().cancelled_owned()));

        let platform = Self {
            base,
            http: reqwest::Client::new(),
            complaints_db,
            notifications_db,
            identity_db,
            databases,
            franceconnect,
            outbox,
            stop,
            amqp: amqp.clone(),
            notifications: Notifications {
                settings: notifications_settings,
                clock: notifications_clock,
                stop: notifications_stop,
                task: Some(notifications_task),
            },
        };
        // Every queue of the topology exists before the test runs, so dropping the
        // platform never deletes the vhost while a service is still creating one:
        // RabbitMQ 3.10's at-least-once dead-letter worker of a quorum queue crashes
        // when its queue vanishes as it starts, and a few such crashes take the broker's
        // dead-lettering down until it restarts.
        let bus = guichet_kit::bus::Bus::new(amqp.clone());
        for queue in guichet_kit::bus::topology::queue_names(amqp.max_retries) {
            testing::eventually(|| async {
                guichet_kit::bus::consumer::queue_depth(&bus, &queue)
                    .await
                    .ok()
            })
            .await
            .ok_or_else(|| anyhow::anyhow!("queue {queue} was never declared"))?;
        }
        Ok(platform)
    }

    /// The outbox (`Options::outbox`).
    pub fn outbox(&self) -> &outbox::Outbox {
        self.outbox
            .as_ref()
            .unwrap_or_else(|| panic!("started without Options::outbox"))
    }

    /// The broker settings of this platform's vhost (to publish as a service would).
    pub fn amqp(&self) -> &AmqpConfig {
        &self.amqp
    }

    /// Stops the notifications service (its consumers finish the event in hand) and
    /// starts it again on the same port and database, as after a crash or a deploy.
    pub async fn restart_notifications(&mut self) -> anyhow::Result<()> {
        self.notifications.stop.cancel();
        if let Some(task) = self.notifications.task.take() {
            task.await??;
        }
        let app = guichet_notifications::Application::build(
            self.notifications.settings.clone(),
            self.notifications.clock.clone(),
        )
        .await?;
        self.notifications.stop = self.stop.child_token();
        self.notifications.task = Some(tokio::spawn(
            app.run(self.notifications.stop.clone().cancelled_owned()),
        ));
        Ok(())
    }

    /// The FranceConnect stand-in (`Options::franceconnect`).
    pub fn provider(&self) -> &oidc::Provider {
        self.franceconnect
            .as_ref()
            .unwrap_or_else(|| panic!("started without Options::franceconnect"))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    pub async fn post_json(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    /// Rows in a table of the complaints database.
    pub async fn complaints_rows(&self, table: &str) -> i64 {
        let sql = match table {
            "complaints" => "SELECT count(*) FROM complaints",
            "outbox" => "SELECT count(*) FROM kit.outbox",
            other => panic!("unknown table {other}"),
        };
        sqlx::query_scalar(sql)
            .fetch_one(&self.complaints_db)
            .await
            .unwrap_or_else(|e| panic!("counting {table}: {e}"))
    }
}

/// Signing in as the channels do, through the gateway.
impl Platform {
    pub async fn post_json_as(
        &self,
        token: &str,
        path: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.http
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {path}: {e}"))
    }

    /// The pages of a list from `first`, following each answer's `Link: <…>;
    /// rel="next"` until there is none: each page's items (the body itself, or its
    /// `field`).
    pub async fn walk(
        &self,
        token: &str,
        first: &str,
        field: Option<&str>,
    ) -> Vec<Vec<serde_json::Value>> {
        let mut pages = Vec::new();
        let mut next = Some(first.to_owned());
        while let Some(path) = next.take() {
            let response = self.get_as(token, &path).await;
            assert_eq!(response.status(), reqwest::StatusCode::OK, "GET {path}");
            next = response.headers().get("link").map(|link| {
                let link = link.to_str().unwrap_or_default();
                let target = link
                    .strip_prefix('<')
                    .and_then(|l| l.strip_suffix(">; rel=\"next\""));
                target
                    .unwrap_or_else(|| panic!("not a next link: {link}"))
                    .to_owned()
            });
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let items = match field {
                Some(field) => body[field].clone(),
                None => body,
            };
            pages.push(items.as_array().cloned().unwrap_or_default());
            assert!(pages.len() < 50, "the walk from {first} does not end");
        }
        pages
    }

    async fn access_token(response: reqwest::Response, what: &str) -> String {
        let status = response.status();
        let body: serde_json::Value = response.json().await.unwrap_or_default();
        assert!(status.is_success(), "{what}: {status} {body}");
        body["access_token"].as_str().unwrap_or_default().to_owned()
    }

    /// The bootstrap administrator's access token.
    pub async fn admin(&self) -> String {
        self.agent_login("admin", ADMIN_PASSWORD).await
    }

    pub async fn agent_login(&self, login: &str, password: &str) -> String {
        let response = self
            .post_json(
                "/api/v1/agent/login",
                &serde_json::json!({"login": login, "password": password}),
            )
            .await;
        Self::access_token(response, "agent login").await
    }

    /// Creates an agent of `departments` and signs them in.
    pub async fn agent(&self, login: &str, departments: &[&str]) -> String {
        let admin = self.admin().await;
        let password = format!("{login}-mot-de-passe");
        let created = self
            .post_json_as(
                &admin,
                "/api/v1/admin/agents",
                &serde_json::json!({
                    "login": login, "password": password, "name": login,
                    "departments": departments, "roles": ["agent"]
                }),
            )
            .await;
        assert!(
            created.status().is_success(),
            "creating agent {login}: {}",
            created.status()
        );
        self.agent_login(login, &password).await
    }

    /// Signs a new resident up and in.
    pub async fn resident(&self, email: &str) -> String {
        let password = "une phrase de passe solide";
        let signed_up = self
            .post_json(
                "/api/v1/auth/signup",
                &serde_json::json!({"email": email, "password": password, "attributes": {"given_name": "Jeanne", "family_name": "Martin"}}),
            )
            .await;
        assert!(
            signed_up.status().is_success(),
            "sign-up {email}: {}",
            signed_up.status()
        );
        let response = self
            .post_json(
                "/api/v1/auth/login",
                &serde_json::json!({"email": email, "password": password}),
            )
            .await;
        Self::access_token(response, "resident login").await
    }

    /// A registered device's token: `kiosk`, `counter` or `phone` (registered by the
    /// administrator) or `app` (an installation registering itself).
    pub async fn device(&self, kind: &str) -> String {
        let credentials: serde_json::Value = if kind == "app" {
            self.post_json(
                "/api/v1/devices/app",
                &serde_json::json!({"label": "Téléphone de test"}),
            )
            .await
            .json()
            .await
            .unwrap_or_default()
        } else {
            let admin = self.admin().await;
            self.post_json_as(
                &admin,
                "/api/v1/admin/devices",
                &serde_json::json!({"kind": kind, "label": format!("{kind} de test"), "location": "Hôtel de Ville"}),
            )
            .await
            .json()
            .await
            .unwrap_or_default()
        };
        let response = self
            .post_json(
                "/api/v1/devices/login",
                &serde_json::json!({"device_id": credentials["device_id"], "secret": credentials["secret"]}),
            )
            .await;
        Self::access_token(response, "device login").await
    }

    /// Signs an existing resident in through a device: the session's channel is the
    /// device's.
    pub async fn resident_on(&self, device: &str, email: &str) -> String {
        let response = self
            .post_json_as(
                device,
                "/api/v1/auth/login",
                &serde_json::json!({"email": email, "password": "une phrase de passe solide"}),
            )
            .await;
        Self::access_token(response, "resident login on a device").await
    }

    /// Creates an agent with `roles` in `departments` and signs them in.
    pub async fn agent_with_roles(
        &self,
        login: &str,
        departments: &[&str],
        roles: &[&str],
    ) -> String {
        let admin = self.admin().await;
        let password = format!("{login}-mot-de-passe");
        let created = self
            .post_json_as(
                &admin,
                "/api/v1/admin/agents",
                &serde_json::json!({
                    "login": login, "password": password, "name": login,
                    "departments": departments, "roles": roles
                }),
            )
            .await;
        assert!(
            created.status().is_success(),
            "creating agent {login}: {}",
            created.status()
        );
        self.agent_login(login, &password).await
    }

    /// Creates an agent of `departments` and signs them in on a registered device of
    /// `kind` (`counter`, `phone`): their requests carry that channel.
    pub async fn agent_on(&self, kind: &str, login: &str, departments: &[&str]) -> String {
        self.agent(login, departments).await;
        let device = self.device(kind).await;
        let response = self
            .post_json_as(
                &device,
                "/api/v1/agent/login",
                &serde_json::json!({"login": login, "password": format!("{login}-mot-de-passe")}),
            )
            .await;
        Self::access_token(response, "agent login on a device").await
    }
}

/// What the city's staff set up before residents come.
impl Platform {
    /// Saves a teleservice definition as `designer` and publishes it to everyone.
    pub async fn publish_teleservice(&self, designer: &str, definition: &serde_json::Value) {
        let saved = self
            .post_json_as(designer, "/api/v1/agent/teleservices", definition)
            .await;
        assert!(saved.status().is_success(), "saving: {}", saved.status());
        let slug = definition["slug"].as_str().unwrap_or_default();
        let published = self
            .post_json_as(
                designer,
                &format!("/api/v1/agent/teleservices/{slug}/state"),
                &serde_json::json!({"state": "published"}),
            )
            .await;
        assert!(
            published.status().is_success(),
            "publishing: {}",
            published.status()
        );
    }
}

/// A response's status and JSON body (`null` when it has none), for tests that look
/// at both.
pub async fn json_of(response: reqwest::Response) -> (reqwest::StatusCode, serde_json::Value) {
    let status = response.status();
    (status, response.json().await.unwrap_or_default())
}

/// A response's JSON body, once its status is `status` (else the test fails with the
/// body, which says why).
#[allow(clippy::missing_panics_doc)]
pub async fn json_ok(
    response: reqwest::Response,
    status: reqwest::StatusCode,
) -> serde_json::Value {
    let got = response.status();
    let body: serde_json::Value = response.json().await.unwrap_or_default();
    assert_eq!(got, status, "{body}");
    body
}

/// The tracking numbers of a desk search's answer (`demands`), in its order.
#[allow(clippy::missing_panics_doc)]
pub fn found_numbers(found: &serde_json::Value) -> Vec<String> {
    found["demands"]
        .as_array()
        .expect("a search answer lists demands")
        .iter()
        .map(|d| {
            d["tracking_number"]
                .as_str()
                .expect("a tracking number")
                .to_owned()
        })
        .collect()
}

/// A pothole on the Cours Mirabeau with a resident's contact, as `POST
/// /api/v1/complaints` takes it.
pub fn pothole() -> serde_json::Value {
    serde_json::json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond sur la chaussée.",
        "location": {"latitude": 43.5263, "longitude": 5.4474, "address": "Cours Mirabeau"},
        "contact": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr"}
    })
}

/// A birth-certificate teleservice anyone may file on every channel: the birth name,
/// then `extra` fields. Tests publish it with [`Platform::publish_teleservice`].
pub fn birth_certificate(slug: &str, extra: &[serde_json::Value]) -> serde_json::Value {
    let mut fields = vec![serde_json::json!(
        {"id": "nom", "type": "short_text", "label": "Nom de naissance", "required": true}
    )];
    fields.extend_from_slice(extra);
    serde_json::json!({
        "slug": slug,
        "title": "Copie d'acte de naissance (essai)",
        "theme": "ETAT_CIVIL",
        "department": "ETAT_CIVIL",
        "description": "Demande de copie d'acte de naissance.",
        "audience": {"access": "anonymous"},
        "channels": ["web", "app", "kiosk", "counter", "phone"],
        "sla_days": 10,
        "pages": [{"title": "La demande", "fields": fields}]
    })
}

impl Platform {
    /// Imports FPS registry lines (`text/csv`) as `token`, through the gateway.
    pub async fn import_fps(&self, token: &str, csv: &str) -> reqwest::Response {
        self.http
            .post(self.url("/api/v1/rapo/fps/import"))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv.to_owned())
            .send()
            .await
            .unwrap_or_else(|e| panic!("importing FPS: {e}"))
    }
}
