//! Tracking numbers are credentials (the only key of a demand filed without an account):
//! no span or log of any service carries one. The whole platform runs in this test
//! process; every span is captured, with its fields, when it closes.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::{
    io::Write,
    sync::{Arc, Mutex},
};

use guichet_tests::Platform;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tracing_subscriber::fmt::format::FmtSpan;

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn spans_name_the_matched_route_and_never_a_tracking_number() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "trace,h2=info,hyper=info,hyper_util=info,tower=info,sqlx=info,lapin=info,\
             amq_protocol=info,rustls=info,tokio=info,runtime=info,want=info,mio=info,reqwest=info",
        ))
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    tracing::subscriber::set_global_default(subscriber).unwrap();

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

    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
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
