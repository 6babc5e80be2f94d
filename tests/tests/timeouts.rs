//! Nothing hangs a resident's page: a hung service answers `503` (the call's deadline)
//! or `504` (the request's) as problem+json with `Retry-After`, within the configured
//! time, while the other silos keep working.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use guichet_gateway::Timeouts;
use guichet_tests::{Options, Platform};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

fn pothole() -> Value {
    json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond sur la chaussée.",
        "location": {"latitude": 43.5263, "longitude": 5.4474, "address": "Cours Mirabeau"},
        "contact": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr"}
    })
}

/// Files a complaint, failing the test rather than hanging with the service.
async fn file(platform: &Platform) -> reqwest::Response {
    tokio::time::timeout(
        Duration::from_secs(20),
        platform.post_json("/api/v1/complaints", &pothole()),
    )
    .await
    .expect("the gateway answered before the test gave up")
}

async fn problem(response: reqwest::Response, status: StatusCode, code: &str) {
    assert_eq!(response.status(), status);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
}

#[tokio::test]
async fn a_hung_service_answers_503_at_the_call_deadline_and_other_silos_keep_working() {
    let platform = Platform::start_with(
        "hung_call",
        Options {
            hung: Some("complaints"),
            timeouts: Some(Timeouts {
                request_seconds: 10,
                call_seconds: 1,
            }),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    problem(
        file(&platform).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    let catalogue = platform.get("/api/v1/teleservices").await;
    assert_eq!(catalogue.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_outliving_its_limit_answers_504() {
    let platform = Platform::start_with(
        "hung_request",
        Options {
            hung: Some("complaints"),
            timeouts: Some(Timeouts {
                request_seconds: 1,
                call_seconds: 10,
            }),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    problem(
        file(&platform).await,
        StatusCode::GATEWAY_TIMEOUT,
        "gateway_timeout",
    )
    .await;
}
