//! Benchmark: the map's query (`GET /api/v1/complaints/nearby`) through the gateway over
//! 100,000 complaints spread over Aix-en-Provence, with real PostgreSQL. Prints the
//! query plan (the bounding box must use the partial btree index) and latency
//! percentiles.
//!
//! `cargo bench -p guichet-tests --bench nearby` (100,000 complaints, 500 queries;
//! `BENCH_COMPLAINTS`, `BENCH_QUERIES` and `BENCH_RADIUS` change them). Run by
//! `cargo test` it only inserts a thousand and asks a few times, to prove it still works.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a bench prints and fails loudly

use std::time::{Duration, Instant};

use guichet_tests::Platform;
use serde_json::Value;

/// The commune's extent, roughly (Luynes to Puyricard, Les Milles to Pont de Béraud).
const SOUTH_WEST: (f64, f64) = (43.48, 5.36);
const NORTH_EAST: (f64, f64) = (43.58, 5.50);

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A deterministic spread of points (no RNG dependency): a Weyl sequence.
fn point(i: usize) -> (f64, f64) {
    let a = (i as f64 * 0.618_033_988_749_895).fract();
    let b = (i as f64 * 0.754_877_666_246_692_7).fract();
    (
        SOUTH_WEST.0 + a * (NORTH_EAST.0 - SOUTH_WEST.0),
        SOUTH_WEST.1 + b * (NORTH_EAST.1 - SOUTH_WEST.1),
    )
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
    let (complaints, queries) = if benching {
        (env("BENCH_COMPLAINTS", 100_000), env("BENCH_QUERIES", 500))
    } else {
        (1_000, 5)
    };
    let radius = env("BENCH_RADIUS", 300);
    let platform = Platform::start_with(
        "bench_nearby",
        guichet_tests::Options {
            lookups_per_minute: Some(1_000_000),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    // Straight into the complaints database: a quarter of them already closed, every
    // category, uniformly over the commune.
    let started = Instant::now();
    sqlx::query(
        "INSERT INTO complaints (id, tracking_number, category, description, latitude, longitude,
            address, channel, department, status, sub_status, created_at, updated_at, due_at)
         SELECT gen_random_uuid(), 'BENCH-' || i, k.code, 'Banc d''essai', 
            $2 + random() * ($3 - $2), $4 + random() * ($5 - $4), 'Aix-en-Provence', 'web',
            k.department, CASE WHEN i % 4 = 0 THEN 'resolved' ELSE 'received' END,
            CASE WHEN i % 4 = 0 THEN 'fixed' ELSE 'investigating' END, now(), now(), now() + interval '10 days'
         FROM generate_series(1, $1) AS i
         JOIN LATERAL (SELECT code, department FROM categories
                       ORDER BY position OFFSET (i % 32) LIMIT 1) k ON true",
    )
    .bind(i64::try_from(complaints).unwrap())
    .bind(SOUTH_WEST.0)
    .bind(NORTH_EAST.0)
    .bind(SOUTH_WEST.1)
    .bind(NORTH_EAST.1)
    .execute(&platform.complaints_db)
    .await
    .unwrap();
    sqlx::query("ANALYZE complaints")
        .execute(&platform.complaints_db)
        .await
        .unwrap();
    println!(
        "nearby: {complaints} complaints inserted in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    if benching {
        // The plan of the box query the service runs (same predicate, same index).
        let plan: Vec<String> = sqlx::query_scalar(
            "EXPLAIN SELECT id FROM complaints c WHERE c.latitude IS NOT NULL
               AND c.latitude BETWEEN 43.527 AND 43.533 AND c.longitude BETWEEN 5.443 AND 5.452
               AND c.status NOT IN ('resolved', 'rejected', 'closed')",
        )
        .fetch_all(&platform.complaints_db)
        .await
        .unwrap();
        println!("  plan:\n    {}", plan.join("\n    "));
    }

    let mut latencies = Vec::new();
    let mut found = 0;
    for q in 0..queries {
        let (lat, lon) = point(q + 1);
        let path = format!("/api/v1/complaints/nearby?lat={lat}&lon={lon}&radius={radius}");
        let at = Instant::now();
        let response = platform.get(&path).await;
        assert_eq!(response.status(), 200);
        let body: Value = response.json().await.unwrap();
        latencies.push(at.elapsed());
        found += body.as_array().unwrap().len();
    }
    latencies.sort_unstable();
    println!(
        "  {queries} queries, radius {radius} m, {:.1} complaints per answer on average",
        found as f64 / queries as f64
    );
    println!(
        "  latency through the gateway: p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms",
        percentile(&latencies, 0.50).as_secs_f64() * 1e3,
        percentile(&latencies, 0.95).as_secs_f64() * 1e3,
        latencies.last().unwrap().as_secs_f64() * 1e3,
    );
}
