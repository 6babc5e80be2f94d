//! Benchmark: a 40-field teleservice submission through the gateway — HTTP, token-less
//! anonymous filing, validation against the exact version in the teleservices service,
//! one PostgreSQL transaction with its outbox event — against real PostgreSQL and
//! RabbitMQ. Prints the rate and the latency percentiles.
//!
//! `cargo bench -p guichet-tests --bench submission` (1,000 submissions, 8 at a time;
//! `BENCH_SUBMISSIONS` and `BENCH_CONCURRENCY` change them). Run by `cargo test` it only
//! files a handful, to prove it still works.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a bench prints and fails loudly

use std::time::{Duration, Instant};

use guichet_tests::Platform;
use serde_json::{Value, json};

/// Forty fields of every common kind, with a condition.
fn definition() -> Value {
    let mut fields = Vec::new();
    for i in 0..10 {
        fields.push(json!({"id": format!("texte_{i}"), "type": "short_text", "label": format!("Texte {i}"), "required": true, "max_length": 120}));
        fields.push(json!({"id": format!("nombre_{i}"), "type": "integer", "label": format!("Nombre {i}"), "required": true, "min": 0, "max": 1000}));
        fields.push(json!({"id": format!("date_{i}"), "type": "date", "label": format!("Date {i}"), "required": true, "max": "today"}));
        fields.push(json!({"id": format!("choix_{i}"), "type": "choice", "label": format!("Choix {i}"), "required": true,
            "options": [{"value": "a", "label": "A"}, {"value": "b", "label": "B"}]}));
    }
    fields[39] = json!({"id": "courriel", "type": "email", "label": "Courriel", "required": true,
        "visible_if": {"eq": {"field": "choix_0", "value": "a"}}});
    json!({
        "slug": "banc-40-champs", "title": "Banc d'essai 40 champs", "theme": "CONTACT",
        "department": "CABINET", "description": "Mesure.", "audience": {"access": "anonymous"},
        "channels": ["web"], "sla_days": 5, "pages": [{"title": "Tout", "fields": fields}]
    })
}

fn answers(n: usize) -> Value {
    let mut data = serde_json::Map::new();
    for i in 0..10 {
        data.insert(format!("texte_{i}"), json!(format!("Réponse {n}-{i}")));
        data.insert(format!("nombre_{i}"), json!(i * 7));
        data.insert(format!("date_{i}"), json!("2020-05-17"));
        data.insert(format!("choix_{i}"), json!("a"));
    }
    data.remove("choix_9");
    data.insert(
        "courriel".to_owned(),
        json!(format!("usager{n}@example.org")),
    );
    json!({"data": data})
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

#[tokio::main]
async fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let env = |name: &str, default: usize| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let (total, concurrency) = if benching {
        (env("BENCH_SUBMISSIONS", 1_000), env("BENCH_CONCURRENCY", 8))
    } else {
        (5, 2)
    };
    let platform = Platform::start_with(
        "bench_submission",
        guichet_tests::Options {
            lookups_per_minute: Some(1_000_000),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let designer = platform
        .agent_with_roles("banc", &["CABINET"], &["agent", "form_designer"])
        .await;
    let saved = platform
        .post_json_as(&designer, "/api/v1/agent/teleservices", &definition())
        .await;
    assert!(
        saved.status().is_success(),
        "{}",
        saved.text().await.unwrap()
    );
    let published = platform
        .post_json_as(
            &designer,
            "/api/v1/agent/teleservices/banc-40-champs/state",
            &json!({"state": "published"}),
        )
        .await;
    assert!(published.status().is_success());

    let platform = std::sync::Arc::new(platform);
    let started = Instant::now();
    let mut workers = Vec::new();
    for worker in 0..concurrency {
        let platform = platform.clone();
        workers.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let mut n = worker;
            while n < total {
                let body = answers(n);
                let at = Instant::now();
                let response = platform
                    .post_json("/api/v1/teleservices/banc-40-champs/demands", &body)
                    .await;
                let status = response.status();
                assert_eq!(status, 201, "{}", response.text().await.unwrap());
                latencies.push(at.elapsed());
                n += concurrency;
            }
            latencies
        }));
    }
    let mut latencies = Vec::new();
    for worker in workers {
        latencies.extend(worker.await.unwrap());
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    println!(
        "40-field submission through the gateway: {} submissions, {} concurrent, {:.1} s",
        latencies.len(),
        concurrency,
        elapsed.as_secs_f64()
    );
    println!(
        "  rate {:.0} submissions/s; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.95).as_secs_f64() * 1e3,
        percentile(&latencies, 0.99).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
}
