//! Tracking numbers are credentials (the only key of a demand filed without an account):
//! no span or log of any service carries one. The whole platform runs in this test
//! process; every span is captured, with its fields, when it closes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::{Platform, capture::Capture};
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn spans_name_the_matched_route_and_never_a_tracking_number() {
    let capture = Capture::install();

    let platform = Platform::start("no_numbers").await.unwrap();
    let filed = platform
        .post_json(
            "/api/v1/complaints",
            &json!({
                "category": "NID_DE_POULE",
                "description": "Trou profond sur la chaussée.",
                "location": {"latitude": 43.5263, "longitude": 5.4474, "address": "Cours Mirabeau"},
                "contact": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr"}
            }),
        )
        .await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let filed: Value = filed.json().await.unwrap();
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    // A lookup, a message, the follow-up page, and an agent at work on it.
    let path = format!("/api/v1/demands/{number}");
    assert_eq!(platform.get(&path).await.status(), StatusCode::OK);
    let message = platform
        .post_json(
            &format!("{path}/messages"),
            &json!({"text": "J'ajoute que le trou s'agrandit."}),
        )
        .await;
    assert!(message.status().is_success(), "{}", message.status());
    assert_eq!(
        platform.get(&format!("/suivi/{number}")).await.status(),
        StatusCode::OK
    );
    let roads = platform.agent("rene", &["VOIRIE"]).await;
    let taken = platform
        .post_json_as(
            &roads,
            &format!("{path}/status"),
            &json!({"status": "in_progress"}),
        )
        .await;
    assert!(taken.status().is_success(), "{}", taken.status());
    // Let the events reach their consumers, whose spans are captured too.
    tokio::time::sleep(std::time::Duration::from_secs(2)).await;
    drop(platform);

    let logs = capture.text();
    assert!(
        logs.contains(r#"http.route="/api/v1/demands/{tracking_number}""#),
        "the lookup's span names its route"
    );
    assert!(logs.contains("consume event"), "consumers' spans captured");
    let bare: String = number.chars().filter(|c| *c != '-').collect();
    for shown in [number.as_str(), bare.as_str()] {
        let line = logs.lines().find(|line| line.contains(shown));
        assert!(line.is_none(), "a tracking number was traced: {line:?}");
    }
}
