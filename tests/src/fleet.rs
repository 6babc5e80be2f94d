//! The whole platform as operators run it, one process per service, on a PostgreSQL
//! cluster and a RabbitMQ node of the test's own, so fault tests can kill any of them
//! (`SIGKILL`, `SIGTERM`, an immediate database stop) without touching the machine's
//! shared servers. Services are the binaries `cargo build` puts next to the test
//! binaries (`target/debug/guichet-*`).

use std::{
    collections::{HashMap, HashSet},
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};

use anyhow::{Context as _, bail};
use guichet_kit::{
    bus::{Bus, consumer, outbox, topology},
    config::DatabaseConfig,
    testing::{broker::Broker, cluster::Cluster},
};
use secrecy::ExposeSecret as _;
use sqlx::PgPool;
use tokio::process::{Child, Command};

/// The domain services, in the order they start (identity first: others check tokens
/// with it).
pub const SERVICES: &[&str] = &[
    "identity",
    "teleservices",
    "complaints",
    "rapo",
    "notifications",
];

/// Every process of the platform, the gateway last.
pub const PROCESSES: &[&str] = &[
    "identity",
    "teleservices",
    "complaints",
    "rapo",
    "notifications",
    "gateway",
];

/// The gateway's call deadline in fleets: short, so a dead service is answered fast.
pub const CALL_SECONDS: u64 = 3;
/// The gateway's request timeout in fleets.
pub const REQUEST_SECONDS: u64 = 5;

/// A running fleet; dropping it kills every process, the broker and the cluster.
pub struct Fleet {
    pub base: String,
    pub http: reqwest::Client,
    pub cluster: Cluster,
    pub broker: Broker,
    ports: HashMap<&'static str, u16>,
    children: HashMap<&'static str, Child>,
    logs: PathBuf,
    /// Environment every process gets beside its own (`Fleet::start_with`).
    extra: Vec<(String, String)>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for child in self.children.values_mut() {
            child.start_kill().ok();
        }
        // Kept for a failed test's reader; small, under the system's temporary directory.
        eprintln!("fleet logs: {}", self.logs.display());
    }
}

impl Fleet {
    /// Starts the cluster, the broker and every process but those in `held_back`, and
    /// waits until the gateway is ready (or, with services held back, serving).
    pub async fn start(held_back: &[&str]) -> anyhow::Result<Self> {
        Self::start_with(held_back, &[]).await
    }

    /// [`Fleet::start`], every process also getting `extra` in its environment (a
    /// telemetry endpoint, say), after its own settings so they can be overridden.
    pub async fn start_with(held_back: &[&str], extra: &[(&str, &str)]) -> anyhow::Result<Self> {
        let cluster = tokio::task::spawn_blocking(Cluster::start).await??;
        let broker = tokio::task::spawn_blocking(Broker::start).await??;
        let logs = std::env::temp_dir().join(format!("guichet-fleet-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&logs)?;
        let mut ports = HashMap::new();
        for name in PROCESSES {
            ports.insert(*name, free_port()?);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(REQUEST_SECONDS * 3))
            .build()?;
        let mut fleet = Self {
            base: format!("http://127.0.0.1:{}", ports["gateway"]),
            http,
            cluster,
            broker,
            ports,
            children: HashMap::new(),
            logs,
            extra: extra
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        for name in PROCESSES {
            if !held_back.contains(name) {
                fleet.launch(name)?;
            }
        }
        fleet.wait_serving(held_back).await?;
        Ok(fleet)
    }

    /// `/api/v1/...` on the gateway.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Starts (again) one process with its configuration.
    pub fn launch(&mut self, name: &'static str) -> anyhow::Result<()> {
        let binary = binaries()?.join(format!("guichet-{name}"));
        if !binary.exists() {
            bail!(
                "{} is missing: run `cargo build --workspace --bins` first (infra/test does)",
                binary.display()
            );
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.logs.join(format!("{name}.log")))?;
        let mut command = Command::new(&binary);
        command
            .envs(self.environment(name))
            .envs(self.extra.iter().cloned())
            .env(
                "RUST_LOG",
                std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .kill_on_drop(true);
        let child = command
            .spawn()
            .with_context(|| format!("starting {}", binary.display()))?;
        self.children.insert(name, child);
        Ok(())
    }

    fn environment(&self, name: &str) -> Vec<(String, String)> {
        let grpc = |service: &str| format!("http://127.0.0.1:{}", self.ports[service]);
        let mut env: Vec<(String, String)> =
            vec![("GUICHET__TELEMETRY__LOG_FORMAT".into(), "json".into())];
        let mut put = |key: &str, value: String| env.push((format!("GUICHET__{key}"), value));
        if name == "gateway" {
            put("HTTP__HOST", "127.0.0.1".into());
            put("HTTP__PORT", self.ports["gateway"].to_string());
            for service in SERVICES {
                put(
                    &format!("SERVICES__{}", service.to_uppercase()),
                    grpc(service),
                );
            }
            put("TIMEOUTS__CALL_SECONDS", CALL_SECONDS.to_string());
            put("TIMEOUTS__REQUEST_SECONDS", REQUEST_SECONDS.to_string());
            // One test client files thousands of demands from one address.
            put("LIMITS__WRITES__FILINGS_PER_HOUR", "1000000".into());
            put("LIMITS__LOOKUPS_PER_MINUTE", "1000000".into());
            return env;
        }
        let database = self.database(name);
        put("DATABASE__URL", database.url.expose_secret().to_owned());
        put("DATABASE__NAME", database.name);
        put(
            "AMQP__URL",
            self.broker.amqp().url.expose_secret().to_owned(),
        );
        put("AMQP__RETRY_BASE_MS", "200".into());
        put("GRPC__HOST", "127.0.0.1".into());
        put("GRPC__PORT", self.ports[name].to_string());
        put("AUTH__IDENTITY_URL", grpc("identity"));
        put("PUBLIC_URL", self.base.clone());
        let key = "cle-de-service-des-tests-de-pannes-assez-longue";
        match name {
            "identity" => {
                put("SERVICE_KEYS__NOTIFICATIONS", key.into());
                put(
                    "BOOTSTRAP__ADMIN_PASSWORD",
                    "mot de passe des pannes".into(),
                );
            }
            "notifications" => put("SERVICE_KEY", key.into()),
            _ => {}
        }
        env
    }

    /// The settings of `service`'s database on the fleet's cluster.
    pub fn database(&self, service: &str) -> DatabaseConfig {
        self.cluster.database(&format!("guichet_{service}"))
    }

    /// A small pool on `service`'s database, as the service left it (it must have run).
    pub async fn pool(&self, service: &str) -> anyhow::Result<PgPool> {
        let database = self.database(service);
        let options: sqlx::postgres::PgConnectOptions = database.url.expose_secret().parse()?;
        sqlx::postgres::PgPoolOptions::new()
            .max_connections(2)
            .connect_with(options.database(&database.name))
            .await
            .with_context(|| format!("connecting to {}", database.name))
    }

    pub fn bus(&self) -> Bus {
        Bus::new(self.broker.amqp())
    }

    /// Kills a process at once, as the kernel's OOM killer or a node failure would.
    pub async fn kill(&mut self, name: &str) -> anyhow::Result<()> {
        let mut child = self.children.remove(name).context("not running")?;
        child.start_kill()?;
        child.wait().await?;
        Ok(())
    }

    /// Sends `SIGTERM`, as Kubernetes does, and waits (bounded) for the process to exit
    /// by itself; answers whether it exited successfully.
    pub async fn terminate(&mut self, name: &str, within: Duration) -> anyhow::Result<bool> {
        let mut child = self.children.remove(name).context("not running")?;
        let pid = child.id().context("already exited")?;
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()?;
        if !sent.success() {
            bail!("kill -TERM {pid} failed");
        }
        match tokio::time::timeout(within, child.wait()).await {
            Ok(status) => Ok(status?.success()),
            Err(_) => {
                child.start_kill().ok();
                bail!("{name} did not exit within {within:?} of SIGTERM")
            }
        }
    }

    /// Waits until the gateway says every service serves.
    pub async fn wait_ready(&self) -> anyhow::Result<()> {
        self.wait_serving(&[]).await
    }

    /// Waits until the gateway says every service serves but those `held_back`.
    async fn wait_serving(&self, held_back: &[&str]) -> anyhow::Result<()> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
        loop {
            if let Ok(response) = self.http.get(self.url("/readyz")).send().await {
                let body: serde_json::Value = response.json().await.unwrap_or_default();
                let serving = SERVICES
                    .iter()
                    .filter(|s| !held_back.contains(s))
                    .all(|s| body["services"][s] == "serving");
                if serving {
                    return Ok(());
                }
            }
            if tokio::time::Instant::now() > deadline {
                bail!(
                    "the fleet was not ready within 90 s; logs in {}",
                    self.logs.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// What nothing-lost means, once the platform has settled: see [`Accounting`].
    pub async fn accounting(&self, accepted: &HashSet<String>) -> anyhow::Result<Accounting> {
        let complaints = self.pool("complaints").await?;
        let stored: Vec<(String, String)> =
            sqlx::query_as("SELECT tracking_number, department FROM complaints")
                .fetch_all(&complaints)
                .await?;
        let notifications = self.pool("notifications").await?;
        let items: Vec<(String, String, i64)> = sqlx::query_as(
            "SELECT tracking_number, department, count(*) FROM feed_items
             GROUP BY tracking_number, department",
        )
        .fetch_all(&notifications)
        .await?;
        let mut pending = 0;
        let mut unroutable = 0;
        for service in SERVICES {
            let pool = self.pool(service).await?;
            pending += outbox::pending(&pool).await?;
            // Ever set aside, even if delivered since: the topology was late.
            let set_aside: i64 =
                sqlx::query_scalar("SELECT count(*) FROM kit.outbox WHERE unroutable_count > 0")
                    .fetch_one(&pool)
                    .await?;
            unroutable += set_aside;
            pool.close().await;
        }
        let bus = self.bus();
        let mut dead = 0;
        for queue in topology::QUEUES {
            dead += consumer::queue_depth(&bus, &queue.subscription().dead_queue()).await?;
        }
        complaints.close().await;
        notifications.close().await;
        Ok(Accounting::of(
            accepted, &stored, &items, pending, unroutable, dead,
        ))
    }

    /// Waits (bounded) until the accounting balances, and returns the last one seen.
    pub async fn settled(&self, accepted: &HashSet<String>) -> anyhow::Result<Accounting> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
        loop {
            let accounting = self.accounting(accepted).await;
            match accounting {
                Ok(a) if a.balanced() => return Ok(a),
                Ok(a) if tokio::time::Instant::now() > deadline => return Ok(a),
                Err(e) if tokio::time::Instant::now() > deadline => return Err(e),
                _ => tokio::time::sleep(Duration::from_millis(500)).await,
            }
        }
    }

    /// Where each process's log is.
    pub fn logs(&self) -> &Path {
        &self.logs
    }
}

/// The books after a fault: every accepted filing stored once, one feed item each in
/// its department, nothing left in an outbox, nothing dead-lettered or unroutable.
#[derive(Debug, Default)]
pub struct Accounting {
    pub accepted: usize,
    /// Accepted numbers not stored.
    pub lost: Vec<String>,
    /// Stored complaints nobody was told were accepted (a half-finished filing).
    pub unanswered: Vec<String>,
    /// Accepted numbers whose feed item is missing, or in another department.
    pub missing_items: Vec<String>,
    /// Numbers with more than one feed item.
    pub repeated_items: Vec<String>,
    pub pending: i64,
    /// Events the broker could not route at some point, delivered since or not.
    pub unroutable: i64,
    pub dead_letters: u32,
}

impl Accounting {
    fn of(
        accepted: &HashSet<String>,
        stored: &[(String, String)],
        items: &[(String, String, i64)],
        pending: i64,
        unroutable: i64,
        dead_letters: u32,
    ) -> Self {
        let stored_numbers: HashMap<&str, &str> = stored
            .iter()
            .map(|(n, d)| (n.as_str(), d.as_str()))
            .collect();
        let mut per_number: HashMap<&str, Vec<(&str, i64)>> = HashMap::new();
        for (number, department, count) in items {
            per_number
                .entry(number)
                .or_default()
                .push((department, *count));
        }
        let mut a = Self {
            accepted: accepted.len(),
            pending,
            unroutable,
            dead_letters,
            ..Self::default()
        };
        for number in accepted {
            let Some(department) = stored_numbers.get(number.as_str()) else {
                a.lost.push(number.clone());
                continue;
            };
            match per_number.get(number.as_str()).map(Vec::as_slice) {
                Some([(d, 1)]) if d == department => {}
                Some([(d, _)]) if d == department => a.repeated_items.push(number.clone()),
                Some(many) if many.len() > 1 => a.repeated_items.push(number.clone()),
                _ => a.missing_items.push(number.clone()),
            }
        }
        for (number, _) in stored {
            if !accepted.contains(number) {
                a.unanswered.push(number.clone());
            }
        }
        a
    }

    pub fn balanced(&self) -> bool {
        self.lost.is_empty()
            && self.unanswered.is_empty()
            && self.missing_items.is_empty()
            && self.repeated_items.is_empty()
            && self.pending == 0
            && self.unroutable == 0
            && self.dead_letters == 0
    }
}

/// Where cargo put this test binary's sibling executables (`target/<profile>`).
fn binaries() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // target/<profile>/deps/<test binary>
    let profile = exe
        .parent()
        .and_then(Path::parent)
        .context("no target directory above the test binary")?;
    Ok(profile.to_path_buf())
}

fn free_port() -> anyhow::Result<u16> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}
