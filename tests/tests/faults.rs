//! Nothing lost, nothing hung: the platform as operators run it (one process per
//! service, its own PostgreSQL cluster and RabbitMQ node) takes 2,000 anonymous
//! filings from 16 clients while its broker, its database or one of its services is
//! killed. Clients behave as the API asks: on `503`/`504` or a refused connection they
//! send the same request again with the same `Idempotency-Key`.
//!
//! Afterwards the books must balance ([`Accounting`]): every filing answered `201`
//! stored once, one item in its department's feed, no event left in an outbox, none
//! unroutable, none dead-lettered. Each test starts the servers it breaks; they run one
//! at a time.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::{
    collections::HashSet,
    sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use guichet_tests::fleet::{Accounting, CALL_SECONDS, Fleet, PROCESSES, REQUEST_SECONDS};
use reqwest::StatusCode;
use serde_json::json;
use tokio::sync::Mutex;

/// Fault tests each start a cluster, a broker node and six processes: one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::const_new(());

const FILINGS: usize = 2_000;
const CLIENTS: usize = 16;
/// How long a client keeps retrying one filing before the test calls it lost.
const PATIENCE: Duration = Duration::from_secs(120);

const CATEGORIES: &[&str] = &[
    "NID_DE_POULE",
    "ECLAIRAGE_PANNE",
    "FEU_TRICOLORE",
    "PROPRETE_VOIE",
];

/// An answer other than `201`.
#[derive(Debug)]
struct Refusal {
    status: Option<StatusCode>,
    problem: bool,
    retry_after: bool,
    took: Duration,
    #[allow(dead_code)] // shown (Debug) when an assertion fails
    body: String,
}

#[derive(Debug, Default)]
struct Load {
    accepted: HashSet<String>,
    refusals: Vec<Refusal>,
    abandoned: usize,
}

/// Files `FILINGS` complaints from `CLIENTS` clients; `done` counts filings answered.
async fn load(base: String, done: Arc<AtomicUsize>) -> Load {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(REQUEST_SECONDS * 3))
        .build()
        .unwrap();
    let next = Arc::new(AtomicUsize::new(0));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (http, base, next, done) = (http.clone(), base.clone(), next.clone(), done.clone());
            tokio::spawn(async move {
                let mut load = Load::default();
                loop {
                    let n = next.fetch_add(1, Ordering::SeqCst);
                    if n >= FILINGS {
                        return load;
                    }
                    match file(&http, &base, n, &mut load.refusals).await {
                        Some(number) => {
                            load.accepted.insert(number);
                        }
                        None => load.abandoned += 1,
                    }
                    done.fetch_add(1, Ordering::SeqCst);
                }
            })
        })
        .collect();
    let mut total = Load::default();
    for client in clients {
        let load = client.await.unwrap();
        total.accepted.extend(load.accepted);
        total.refusals.extend(load.refusals);
        total.abandoned += load.abandoned;
    }
    total
}

/// One filing, retried with its key until it is answered `201`.
async fn file(
    http: &reqwest::Client,
    base: &str,
    n: usize,
    refusals: &mut Vec<Refusal>,
) -> Option<String> {
    let key = format!("panne-{n}-{}", uuid::Uuid::new_v4());
    // On a grid of about 50 m over the town centre, so no filing is another's duplicate.
    let cell = |i: usize| f64::from(u32::try_from(i).unwrap()) * 0.000_5;
    let body = json!({
        "category": CATEGORIES[n % CATEGORIES.len()],
        "description": format!("Signalement numéro {n} pendant une panne."),
        "location": {
            "latitude": 43.515 + cell(n % 40),
            "longitude": 5.43 + cell(n / 40 % 50),
            "address": format!("{n} avenue des Tests")
        },
        "contact": {"name": "Camille Essai", "email": "camille@example.org"}
    });
    let started = Instant::now();
    while started.elapsed() < PATIENCE {
        let sent = Instant::now();
        let response = http
            .post(format!("{base}/api/v1/complaints"))
            .header("Idempotency-Key", &key)
            .json(&body)
            .send()
            .await;
        match response {
            Ok(response) if response.status() == StatusCode::CREATED => {
                let answer: serde_json::Value = response.json().await.ok()?;
                return answer["tracking_number"].as_str().map(str::to_owned);
            }
            Ok(response) => {
                let status = response.status();
                let retry_after = response.headers().contains_key("retry-after");
                let problem = response
                    .headers()
                    .get("content-type")
                    .is_some_and(|t| t.as_bytes().starts_with(b"application/problem+json"));
                let took = sent.elapsed();
                refusals.push(Refusal {
                    status: Some(status),
                    problem,
                    retry_after,
                    took,
                    body: response.text().await.unwrap_or_default(),
                });
                if !matches!(
                    status,
                    StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
                ) {
                    return None;
                }
            }
            // The gateway itself is down (its own restart): try again.
            Err(_) => refusals.push(Refusal {
                status: None,
                problem: false,
                retry_after: false,
                took: sent.elapsed(),
                body: String::new(),
            }),
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    None
}

/// Starts the load and returns once a quarter of it is answered.
async fn quarter_through(fleet: &Fleet) -> (tokio::task::JoinHandle<Load>, Arc<AtomicUsize>) {
    let done = Arc::new(AtomicUsize::new(0));
    let running = tokio::spawn(load(fleet.base.clone(), done.clone()));
    while done.load(Ordering::SeqCst) < FILINGS / 4 {
        assert!(!running.is_finished(), "the load stopped early");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (running, done)
}

/// Every refusal was a timely `503`/`504` problem with `Retry-After` (or, when the
/// gateway itself was down, a refused connection).
fn refusals_were_proper(load: &Load, gateway_down: bool) {
    let limit = Duration::from_secs(REQUEST_SECONDS + 2);
    for refusal in &load.refusals {
        match refusal.status {
            None => assert!(gateway_down, "a connection failed: {refusal:?}"),
            Some(status) => {
                assert!(
                    matches!(
                        status,
                        StatusCode::SERVICE_UNAVAILABLE | StatusCode::GATEWAY_TIMEOUT
                    ),
                    "{refusal:?}"
                );
                assert!(refusal.problem && refusal.retry_after, "{refusal:?}");
                assert!(refusal.took < limit, "answered too late: {refusal:?}");
            }
        }
    }
}

fn balanced(fleet: &Fleet, load: &Load, books: &Accounting) {
    // The figures, for `--nocapture` readers.
    let count =
        |status: Option<StatusCode>| load.refusals.iter().filter(|r| r.status == status).count();
    let slowest = load
        .refusals
        .iter()
        .map(|r| r.took)
        .max()
        .unwrap_or_default();
    eprintln!(
        "{} filings accepted; refusals: {} × 503, {} × 504, {} refused connections, slowest {slowest:?}; {} pending, {} unroutable, {} dead letters",
        load.accepted.len(),
        count(Some(StatusCode::SERVICE_UNAVAILABLE)),
        count(Some(StatusCode::GATEWAY_TIMEOUT)),
        count(None),
        books.pending,
        books.unroutable,
        books.dead_letters,
    );
    assert_eq!(
        load.abandoned,
        0,
        "filings never accepted; logs in {}",
        fleet.logs().display()
    );
    assert_eq!(load.accepted.len(), FILINGS, "one number per filing");
    assert!(
        books.balanced(),
        "the books do not balance: {} lost {:?}, {} unanswered {:?}, {} without their feed item {:?}, {} repeated {:?}, {} pending, {} unroutable, {} dead letters; logs in {}",
        books.lost.len(),
        books.lost.iter().take(3).collect::<Vec<_>>(),
        books.unanswered.len(),
        books.unanswered.iter().take(3).collect::<Vec<_>>(),
        books.missing_items.len(),
        books.missing_items.iter().take(3).collect::<Vec<_>>(),
        books.repeated_items.len(),
        books.repeated_items.iter().take(3).collect::<Vec<_>>(),
        books.pending,
        books.unroutable,
        books.dead_letters,
        fleet.logs().display(),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_killed_under_load_loses_and_repeats_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let fleet = Fleet::start(&[]).await.unwrap();
    let (running, _) = quarter_through(&fleet).await;

    fleet.broker.kill().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    fleet.broker.start_again().unwrap();

    let load = running.await.unwrap();
    // Filings never wait on the broker: the outbox takes the events.
    assert!(
        load.refusals.is_empty(),
        "{:?}",
        &load.refusals[..load.refusals.len().min(5)]
    );
    let books = fleet.settled(&load.accepted).await.unwrap();
    balanced(&fleet, &load, &books);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_complaints_service_killed_under_load_answers_503_then_loses_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut fleet = Fleet::start(&[]).await.unwrap();
    let (running, _) = quarter_through(&fleet).await;

    fleet.kill("complaints").await.unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    fleet.launch("complaints").unwrap();

    let load = running.await.unwrap();
    assert!(
        load.refusals
            .iter()
            .any(|r| r.status == Some(StatusCode::SERVICE_UNAVAILABLE)),
        "the gap was noticed"
    );
    refusals_were_proper(&load, false);
    let books = fleet.settled(&load.accepted).await.unwrap();
    balanced(&fleet, &load, &books);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_restarted_under_load_loses_nothing_and_dead_letters_nothing() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let fleet = Fleet::start(&[]).await.unwrap();
    let (running, _) = quarter_through(&fleet).await;

    fleet.cluster.crash().unwrap();
    tokio::time::sleep(Duration::from_secs(3)).await;
    fleet.cluster.start_again().unwrap();

    let load = running.await.unwrap();
    refusals_were_proper(&load, false);
    let books = fleet.settled(&load.accepted).await.unwrap();
    balanced(&fleet, &load, &books);
    // Every service found its database again by itself.
    fleet.wait_ready().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_published_before_notifications_ever_ran_reach_it_on_its_first_start() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut fleet = Fleet::start(&["notifications"]).await.unwrap();
    let load = load(fleet.base.clone(), Arc::new(AtomicUsize::new(0))).await;
    assert!(
        load.refusals.is_empty(),
        "{:?}",
        &load.refusals[..load.refusals.len().min(5)]
    );

    fleet.launch("notifications").unwrap();
    fleet.wait_ready().await.unwrap();
    let books = fleet.settled(&load.accepted).await.unwrap();
    balanced(&fleet, &load, &books);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_process_stopped_by_sigterm_under_load_finishes_what_it_holds() {
    let _turn = ONE_AT_A_TIME.lock().await;
    let mut fleet = Fleet::start(&[]).await.unwrap();
    let done = Arc::new(AtomicUsize::new(0));
    let running = tokio::spawn(load(fleet.base.clone(), done.clone()));
    // One process after another, each while filings flow.
    for (i, name) in PROCESSES.iter().enumerate() {
        while done.load(Ordering::SeqCst) < (i + 1) * FILINGS / (PROCESSES.len() + 2) {
            assert!(!running.is_finished(), "the load stopped early");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let clean = fleet
            .terminate(
                name,
                Duration::from_secs(REQUEST_SECONDS + CALL_SECONDS + 10),
            )
            .await
            .unwrap();
        assert!(clean, "{name} exited with an error after SIGTERM");
        fleet.launch(name).unwrap();
    }
    let load = running.await.unwrap();
    refusals_were_proper(&load, true);
    let books = fleet.settled(&load.accepted).await.unwrap();
    balanced(&fleet, &load, &books);
}
