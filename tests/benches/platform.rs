//! The platform bench (`./infra/bench`): filing and lookup through the gateway at 16 and
//! 64 clients, each beside `pgbench` running the same work on the same database in the
//! same run; filing → agent live-feed latency at half the measured filing rate; the
//! resident memory of every process idle and after the load. It prints figures, with
//! the ratio to PostgreSQL's own and the issue's targets; it asserts nothing.
//!
//! `./infra/bench` starts the platform from release binaries as separate processes on
//! the machine's PostgreSQL and RabbitMQ and runs this with `GUICHET_BENCH_GATEWAY`
//! set. Run by `cargo test` (no `--bench`), it starts the in-process test platform and
//! runs every step for a second with two clients: the SQL scripts and the driver still
//! work against today's schema and API.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a bench prints and fails loudly

use std::{
    collections::HashMap,
    fmt::Write as _,
    path::{Path, PathBuf},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use serde_json::{Value, json};
use tokio::sync::Mutex;

/// Where the platform under measure is, and how hard to push it.
struct Setup {
    gateway: String,
    /// `name=pid` of every process to read memory from.
    processes: Vec<(String, u32)>,
    /// The complaints service's database, for `pgbench`.
    pg_host: String,
    pg_port: u16,
    complaints_db: String,
    admin_password: String,
    /// Seconds per measured step.
    seconds: u64,
    /// Client counts for filing and lookup.
    clients: Vec<usize>,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let mut held = None;
    let setup = match std::env::var("GUICHET_BENCH_GATEWAY") {
        Ok(gateway) if benching => Setup {
            gateway,
            processes: std::env::var("GUICHET_BENCH_PROCESSES")
                .unwrap_or_default()
                .split_whitespace()
                .filter_map(|p| p.split_once('='))
                .map(|(n, pid)| (n.to_owned(), pid.parse().unwrap()))
                .collect(),
            pg_host: env_or("GUICHET_BENCH_PG_HOST", "127.0.0.1"),
            pg_port: env_or("GUICHET_BENCH_PG_PORT", "5432").parse().unwrap(),
            complaints_db: env_or("GUICHET_BENCH_COMPLAINTS_DB", "guichet_bench_complaints"),
            admin_password: std::env::var("GUICHET_BENCH_ADMIN_PASSWORD").unwrap(),
            seconds: env_or("GUICHET_BENCH_SECONDS", "10").parse().unwrap(),
            clients: vec![16, 64],
        },
        _ => {
            let platform = guichet_tests::Platform::start_with(
                "bench_platform",
                guichet_tests::Options {
                    lookups_per_minute: Some(1_000_000),
                    write_limits: Some(guichet_gateway::WriteLimits {
                        filings_per_hour: 1_000_000,
                        ..guichet_gateway::WriteLimits::default()
                    }),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            let options = platform.complaints_db.connect_options();
            let setup = Setup {
                gateway: platform.url(""),
                processes: vec![("all (one process)".to_owned(), std::process::id())],
                pg_host: options.get_host().to_owned(),
                pg_port: options.get_port(),
                complaints_db: options.get_database().unwrap().to_owned(),
                admin_password: guichet_tests::ADMIN_PASSWORD.to_owned(),
                seconds: 1,
                clients: vec![2],
            };
            held = Some(platform);
            setup
        }
    };
    run(&setup).await;
    drop(held);
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

async fn run(setup: &Setup) {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let idle = memory(&setup.processes);
    let mut report = String::new();
    let pgbench = Pgbench::new(setup);

    // Filing: the gateway, then PostgreSQL running the same statements, then the floor.
    writeln!(
        report,
        "\n## Filing an anonymous complaint ({} s per figure)\n",
        setup.seconds
    )
    .unwrap();
    writeln!(report, "| clients | Guichet filings/s | p50 ms | p99 ms | errors | pgbench same SQL/s | pgbench floor/s | Guichet ÷ floor |").unwrap();
    writeln!(report, "|---|---|---|---|---|---|---|---|").unwrap();
    let numbers = Arc::new(Mutex::new(Vec::new()));
    let mut best_filing = 0.0_f64;
    let mut cpu_report = String::new();
    for &clients in &setup.clients {
        let numbers = numbers.clone();
        let before = cpu(&setup.processes);
        let http = http.clone();
        let url = format!("{}/api/v1/complaints", setup.gateway);
        let load = drive(clients, setup.seconds, move |n| {
            let (http, url, numbers) = (http.clone(), url.clone(), numbers.clone());
            async move {
                let response = http.post(&url).json(&complaint(n)).send().await.ok()?;
                if response.status() != 201 {
                    return None;
                }
                let body: Value = response.json().await.ok()?;
                let number = body["tracking_number"].as_str()?.to_owned();
                numbers.lock().await.push(number);
                Some(())
            }
        })
        .await;
        let used = cpu_line(&before, &cpu(&setup.processes), load.latencies.len());
        writeln!(cpu_report, "- filing, {clients} clients: {used}").unwrap();
        let same = pgbench.run(&[("filing", FILING_SQL.to_owned())], clients, setup.seconds);
        let floor = pgbench.run(&[("floor", FLOOR_SQL.to_owned())], clients, setup.seconds);
        best_filing = best_filing.max(load.rate());
        writeln!(
            report,
            "| {clients} | {:.0} | {:.1} | {:.1} | {} | {same:.0} | {floor:.0} | {:.2} |",
            load.rate(),
            load.percentile(0.50),
            load.percentile(0.99),
            load.errors,
            load.rate() / floor,
        )
        .unwrap();
    }

    // Lookup by tracking number: the gateway, then PostgreSQL's best single query.
    let numbers: Vec<String> = numbers.lock().await.clone();
    assert!(!numbers.is_empty(), "no filing succeeded");
    writeln!(
        report,
        "\n## Lookup by tracking number ({} s per figure)\n",
        setup.seconds
    )
    .unwrap();
    writeln!(report, "| clients | Guichet lookups/s | p50 ms | p99 ms | errors | pgbench best query/s | Guichet ÷ pgbench |").unwrap();
    writeln!(report, "|---|---|---|---|---|---|---|").unwrap();
    let scripts: Vec<(&str, String)> = numbers
        .iter()
        .step_by((numbers.len() / 100).max(1))
        .take(100)
        .map(|n| ("lookup", LOOKUP_SQL.replace(":number", &format!("'{n}'"))))
        .collect();
    let numbers = Arc::new(numbers);
    for &clients in &setup.clients {
        let http = http.clone();
        let (base, numbers) = (setup.gateway.clone(), numbers.clone());
        let before = cpu(&setup.processes);
        let load = drive(clients, setup.seconds, move |n| {
            let (http, base, numbers) = (http.clone(), base.clone(), numbers.clone());
            async move {
                let number = &numbers[n % numbers.len()];
                let response = http
                    .get(format!("{base}/api/v1/demands/{number}"))
                    .send()
                    .await
                    .ok()?;
                (response.status() == 200).then_some(())?;
                response.bytes().await.ok().map(drop)
            }
        })
        .await;
        let used = cpu_line(&before, &cpu(&setup.processes), load.latencies.len());
        writeln!(cpu_report, "- lookup, {clients} clients: {used}").unwrap();
        let best = pgbench.run(&scripts, clients, setup.seconds);
        writeln!(
            report,
            "| {clients} | {:.0} | {:.2} | {:.2} | {} | {best:.0} | {:.2} |",
            load.rate(),
            load.percentile(0.50),
            load.percentile(0.99),
            load.errors,
            load.rate() / best,
        )
        .unwrap();
    }

    // Filing → the roads agent's live feed, at half the best filing rate.
    let rate = (best_filing / 2.0).max(1.0);
    let feed = feed_latency(setup, &http, rate).await;
    assert!(
        !feed.latencies.is_empty(),
        "no filing reached the live feed"
    );
    writeln!(
        report,
        "\n## Filing → agent's live feed, {rate:.0} filings/s for {} s\n",
        setup.seconds
    )
    .unwrap();
    writeln!(
        report,
        "| items | p50 ms | p99 ms | max ms | missing |\n|---|---|---|---|---|"
    )
    .unwrap();
    writeln!(
        report,
        "| {} | {:.1} | {:.1} | {:.1} | {} |",
        feed.latencies.len(),
        feed.percentile(0.50),
        feed.percentile(0.99),
        feed.percentile(1.0),
        feed.errors
    )
    .unwrap();

    writeln!(
        report,
        "\n## CPU per operation, by process (ms)\n\n{cpu_report}"
    )
    .unwrap();

    // Memory: resident set of each process, idle before the load and after it.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = memory(&setup.processes);
    writeln!(report, "\n## Resident memory (MiB; anonymous memory in brackets)\n\n| process | idle | after the load | peak |\n|---|---|---|---|").unwrap();
    for (name, _) in &setup.processes {
        let (idle_rss, _, idle_anon) = idle.get(name).copied().unwrap_or_default();
        let (after_rss, peak, after_anon) = after.get(name).copied().unwrap_or_default();
        writeln!(
            report,
            "| {name} | {idle_rss:.1} ({idle_anon:.1}) | {after_rss:.1} ({after_anon:.1}) | {peak:.1} |"
        )
        .unwrap();
    }
    writeln!(
        report,
        "\nTargets (issue 17): filing ≥ 0.5 × floor with p99 < 50 ms at 64 clients; lookup ≥ 0.5 × \
         pgbench with p99 < 10 ms at 64 clients; feed p99 < 50 ms; each process < 30 MiB idle, \
         services < 64 MiB after the load."
    )
    .unwrap();
    println!("{report}");
}

/// A complaint as the portal files it without an account; `n` varies place and contact.
fn complaint(n: usize) -> Value {
    // Spread over the town centre (about 3 km by 3 km), within the commune.
    let (lat, lon) = (
        43.515 + (n % 601) as f64 * 0.00005,
        5.425 + (n % 797) as f64 * 0.00005,
    );
    json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond sur la chaussée, dangereux pour les vélos.",
        "location": {"latitude": lat, "longitude": lon, "address": "Cours Mirabeau"},
        "contact": {"name": "Jeanne Martin", "email": format!("usager{n}@example.fr")}
    })
}

/// What a run of one step measured.
#[derive(Default)]
struct Load {
    latencies: Vec<Duration>,
    errors: usize,
    elapsed: Duration,
}

impl Load {
    fn rate(&self) -> f64 {
        self.latencies.len() as f64 / self.elapsed.as_secs_f64()
    }

    /// The `p` quantile in milliseconds.
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort_unstable();
        let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[rank].as_secs_f64() * 1000.0
    }
}

/// `clients` tasks calling `request` back to back for `seconds` (closed loop).
async fn drive<F, Fut>(clients: usize, seconds: u64, request: F) -> Load
where
    F: Fn(usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = Option<()>> + Send,
{
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for client in 0..clients {
        let (stop, request) = (stop.clone(), request.clone());
        tasks.push(tokio::spawn(async move {
            let mut load = Load::default();
            let mut n = client * 1_000_000 + rand_start();
            while !stop.load(Ordering::Relaxed) {
                let sent = Instant::now();
                match request(n).await {
                    Some(()) => load.latencies.push(sent.elapsed()),
                    None => load.errors += 1,
                }
                n += 1;
            }
            load
        }));
    }
    tokio::time::sleep(Duration::from_secs(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut total = Load::default();
    for task in tasks {
        let load = task.await.unwrap();
        total.latencies.extend(load.latencies);
        total.errors += load.errors;
    }
    total.elapsed = started.elapsed();
    total
}

/// Distinct contacts and places from one run to the next.
fn rand_start() -> usize {
    (uuid::Uuid::new_v4().as_u128() % 100_000) as usize
}

/// Files at a fixed `rate` for the step's duration while a roads agent's stream is open,
/// and measures from each filing's answer to its item on the stream.
async fn feed_latency(setup: &Setup, http: &reqwest::Client, rate: f64) -> Load {
    let agent = roads_agent(setup, http).await;
    let mut stream = http
        .get(format!("{}/api/v1/agent/feed/stream", setup.gateway))
        .bearer_auth(&agent)
        .timeout(Duration::from_secs(setup.seconds + 60))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200, "the live feed did not open");
    let arrived: Arc<Mutex<HashMap<String, Instant>>> = Arc::default();
    let reader = {
        let arrived = arrived.clone();
        tokio::spawn(async move {
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = stream.chunk().await {
                let at = Instant::now();
                buffer.push_str(&String::from_utf8_lossy(&chunk));
                while let Some(end) = buffer.find('\n') {
                    let line: String = buffer.drain(..=end).collect();
                    if let Some(data) = line.strip_prefix("data:")
                        && let Ok(item) = serde_json::from_str::<Value>(data.trim())
                        && let Some(number) = item["tracking_number"].as_str()
                    {
                        arrived.lock().await.insert(number.to_owned(), at);
                    }
                }
            }
        })
    };
    let answered: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    let started = Instant::now();
    let mut filings = Vec::new();
    let mut n = rand_start() + 50_000_000;
    while started.elapsed() < Duration::from_secs(setup.seconds) {
        ticks.tick().await;
        let (http, url, answered) = (
            http.clone(),
            format!("{}/api/v1/complaints", setup.gateway),
            answered.clone(),
        );
        n += 1;
        filings.push(tokio::spawn(async move {
            let response = http.post(url).json(&complaint(n)).send().await.ok()?;
            let at = Instant::now();
            let body: Value = response.json().await.ok()?;
            let number = body["tracking_number"].as_str()?.to_owned();
            answered.lock().await.push((number, at));
            Some(())
        }));
    }
    for filing in filings {
        filing.await.unwrap();
    }
    // Items still on their way get a moment; later than that counts as missing.
    tokio::time::sleep(Duration::from_secs(2)).await;
    reader.abort();
    let arrived = arrived.lock().await;
    let mut load = Load::default();
    for (number, at) in answered.lock().await.iter() {
        match arrived.get(number) {
            Some(seen) => load.latencies.push(seen.saturating_duration_since(*at)),
            None => load.errors += 1,
        }
    }
    load
}

/// A roads agent (who sees potholes) created by the administrator, signed in.
async fn roads_agent(setup: &Setup, http: &reqwest::Client) -> String {
    let login = |login: String, password: String| async move {
        let response = http
            .post(format!("{}/api/v1/agent/login", setup.gateway))
            .json(&json!({"login": login, "password": password}))
            .send()
            .await
            .unwrap();
        let body: Value = response.json().await.unwrap();
        body["access_token"].as_str().unwrap().to_owned()
    };
    let admin = login("admin".into(), setup.admin_password.clone()).await;
    let name = format!("banc{}", rand_start());
    let password = format!("{name}-mot-de-passe");
    let created = http
        .post(format!("{}/api/v1/admin/agents", setup.gateway))
        .bearer_auth(&admin)
        .json(&json!({"login": name, "password": password, "name": name,
            "departments": ["VOIRIE"], "roles": ["agent"]}))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "creating the roads agent: {}",
        created.status()
    );
    login(name, password).await
}

/// CPU seconds used so far by each of the platform's processes, PostgreSQL's backends
/// together, RabbitMQ, `pgbench` and this driver: where a step's time went.
fn cpu(processes: &[(String, u32)]) -> HashMap<String, f64> {
    let ticks = 100.0; // USER_HZ on Linux
    let mut out = HashMap::new();
    let own = std::process::id();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // `pid (comm) state ...`: fields after the command's closing parenthesis.
        let Some((head, rest)) = stat.rsplit_once(')') else {
            continue;
        };
        let comm = head.split_once('(').map(|(_, c)| c).unwrap_or_default();
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let used = |i: usize| {
            fields
                .get(i)
                .and_then(|v| v.parse::<f64>().ok())
                .unwrap_or(0.0)
        };
        let seconds = (used(11) + used(12)) / ticks;
        let name = if let Some((name, _)) = processes.iter().find(|(_, p)| *p == pid) {
            name.as_str()
        } else if pid == own {
            "bench driver"
        } else if comm == "postgres" {
            "postgres"
        } else if comm.starts_with("beam") {
            "rabbitmq"
        } else if comm == "pgbench" {
            "pgbench"
        } else {
            continue;
        };
        *out.entry(name.to_owned()).or_default() += seconds;
    }
    out
}

/// CPU milliseconds per operation, by process, between two [`cpu`] readings.
fn cpu_line(
    before: &HashMap<String, f64>,
    after: &HashMap<String, f64>,
    operations: usize,
) -> String {
    let mut used: Vec<(String, f64)> = after
        .iter()
        .map(|(name, s)| (name.clone(), s - before.get(name).copied().unwrap_or(0.0)))
        .filter(|(_, s)| *s > 0.0)
        .collect();
    used.sort_by(|a, b| b.1.total_cmp(&a.1));
    let total: f64 = used.iter().map(|(_, s)| s).sum();
    let per = |s: f64| s * 1000.0 / operations.max(1) as f64;
    let parts: Vec<String> = used
        .iter()
        .map(|(n, s)| format!("{n} {:.2}", per(*s)))
        .collect();
    format!("{:.2} ms in all: {}", per(total), parts.join(", "))
}

/// Resident, peak resident and anonymous resident memory (MiB) of each process: the
/// last leaves out the binary's own pages, shared with every process that maps it.
fn memory(processes: &[(String, u32)]) -> HashMap<String, (f64, f64, f64)> {
    let mut out = HashMap::new();
    for (name, pid) in processes {
        let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
            continue;
        };
        let field = |key: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
                .unwrap_or(f64::NAN)
                / 1024.0
        };
        out.insert(
            name.clone(),
            (field("VmRSS:"), field("VmHWM:"), field("RssAnon:")),
        );
    }
    out
}

/// `pgbench` on the complaints database, with prepared statements as sqlx uses them.
struct Pgbench {
    program: PathBuf,
    host: String,
    port: u16,
    database: String,
    scripts: tempdir::Dir,
}

mod tempdir {
    /// A directory removed when dropped.
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            std::fs::remove_dir_all(&self.0).ok();
        }
    }
}

impl Pgbench {
    fn new(setup: &Setup) -> Self {
        let dir = std::env::temp_dir().join(format!("guichet-pgbench-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        Self {
            program: newest_pg_tool("pgbench"),
            host: setup.pg_host.clone(),
            port: setup.pg_port,
            database: setup.complaints_db.clone(),
            scripts: tempdir::Dir(dir),
        }
    }

    /// Transactions per second of `scripts` (picked at random per transaction).
    fn run(&self, scripts: &[(&str, String)], clients: usize, seconds: u64) -> f64 {
        let mut command = std::process::Command::new(&self.program);
        command.args([
            "-n",
            "-M",
            "prepared",
            "-h",
            &self.host,
            "-p",
            &self.port.to_string(),
            "-U",
            "postgres",
            "-c",
            &clients.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
        ]);
        for (i, (name, sql)) in scripts.iter().enumerate() {
            let path = self.scripts.0.join(format!("{name}-{i}.sql"));
            std::fs::write(&path, sql).unwrap();
            command.arg("-f").arg(&path);
        }
        let output = command.arg(&self.database).output().unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "pgbench failed: {stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
            .lines()
            .find_map(|l| l.strip_prefix("tps = "))
            .and_then(|l| l.split_whitespace().next()?.parse().ok())
            .unwrap_or_else(|| panic!("no tps in pgbench's output: {stdout}"))
    }
}

/// A server tool of the newest installed PostgreSQL (Debian puts them off `PATH`).
fn newest_pg_tool(tool: &str) -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.flatten()
                .map(|d| d.path().join("bin").join(tool))
                .collect()
        })
        .unwrap_or_default();
    found.retain(|p| Path::new(p).exists());
    found.sort();
    found.pop().unwrap_or_else(|| PathBuf::from(tool))
}

// The scripts' complaint and its event, as the service writes them (a random id and
// number per transaction); a macro so the scripts stay `&'static str`.
macro_rules! complaint_insert {
    () => {
        r"INSERT INTO complaints (id, tracking_number, category, description, latitude, longitude,
    address, contact_name, contact_email, contact_phone, resident_id, channel, department,
    status, created_at, due_at, business_siret, business_name, updated_at, open311_client)
VALUES (md5(:client_id || '-' || :r)::uuid, 'P' || :client_id || '-' || :r, 'NID_DE_POULE',
    'Trou profond sur la chaussée, dangereux pour les vélos.', 43.5 + random() / 10,
    5.42 + random() / 10, 'Cours Mirabeau', 'Jeanne Martin', 'usager@example.fr', '', NULL,
    'web', 'VOIRIE', 'submitted', now(), now() + interval '7 days', NULL, NULL, now(), NULL);"
    };
}
// The scripts' events are written as already published (`published_at`, an index of
// the same size as the pending one): the relay must not send them to the consumers.
macro_rules! outbox_insert {
    () => {
        r"INSERT INTO kit.outbox (id, routing_key, source, subject, time, data, dataschema, traceparent, published_at)
VALUES (gen_random_uuid(), 'complaints.complaint.filed', '/guichet/complaints', 'PX', now(),
    convert_to(repeat('x', 150), 'UTF8'), concat_ws(chr(58), 'urn', 'guichet', 'proto', 'guichet.events.v1.ComplaintFiled'), NULL, now());"
    };
}

/// One complaint filed without an account, as the complaints service runs it: the
/// category, then the complaint, its first timeline entry and its event in one
/// transaction, and the search for open complaints close by (which the service runs on
/// another connection meanwhile). Values are those of a real filing (a 150-byte event
/// body, the size of `ComplaintFiled`).
/// Keep in step with `services/complaints/src/grpc.rs` (`file`).
const FILING_SQL: &str = concat!(
    r"
\set r random(1, 1000000000000)
SELECT code, label, department, priority, sla_days, competence FROM categories WHERE active AND code = 'NID_DE_POULE';
BEGIN;
",
    complaint_insert!(),
    r"
INSERT INTO timeline (id, demand_id, at, kind, author_role, author_name, author_id, channel, status, sub_status, text)
VALUES (gen_random_uuid(), md5(:client_id || '-' || :r)::uuid, now(), 'status_change', 'resident', 'Jeanne Martin', '', 'web', 'submitted', '', '');
",
    outbox_insert!(),
    r"
COMMIT;
\set lat 43515 + random(0, 30)
\set lon 5425 + random(0, 40)
SELECT * FROM (
    SELECT c.id, c.category, k.label AS category_label, c.department, c.status, c.sub_status,
        c.latitude, c.longitude, c.address, c.created_at, c.updated_at, c.due_at, c.merged_into,
        (SELECT count(*) FROM followers f WHERE f.complaint_id = c.id) AS followers,
        coalesce((SELECT t.text FROM timeline t WHERE t.demand_id = c.id AND t.kind = 'status_change'
            AND t.author_role = 'agent' AND t.text <> '' ORDER BY t.at DESC, t.id DESC LIMIT 1), '') AS status_notes,
        2 * 6371008.8 * asin(least(1, sqrt(power(sin(radians(c.latitude - :lat / 1000.0) / 2), 2)
            + cos(radians(:lat / 1000.0)) * cos(radians(c.latitude)) * power(sin(radians(c.longitude - :lon / 1000.0) / 2), 2)))) AS distance_m
    FROM complaints c JOIN categories k ON k.code = c.category
    WHERE c.latitude BETWEEN :lat / 1000.0 - 0.00045 AND :lat / 1000.0 + 0.00045
      AND c.longitude BETWEEN :lon / 1000.0 - 0.00062 AND :lon / 1000.0 + 0.00062
      AND c.status NOT IN ('resolved', 'rejected', 'closed') AND c.category = 'NID_DE_POULE'
) n WHERE n.distance_m <= 50 ORDER BY n.distance_m LIMIT 10;
"
);

/// The floor: one transaction with the complaint and its outbox row, nothing else.
const FLOOR_SQL: &str = concat!(
    r"
\set r random(1, 1000000000000)
BEGIN;
",
    complaint_insert!(),
    "\n",
    outbox_insert!(),
    r"
COMMIT;
"
);

/// The best single query for a lookup: the complaint with its timeline in one round trip.
const LOOKUP_SQL: &str = r"
SELECT c.*, (SELECT json_agg(t ORDER BY t.at) FROM timeline t WHERE t.demand_id = c.id)
FROM complaints c WHERE c.tracking_number = :number;
";
