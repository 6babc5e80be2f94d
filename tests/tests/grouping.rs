//! One message per visit: what a counter agent does for a caller within a minute (a
//! photo, then a note) reaches the caller as one SMS, even across a restart of the
//! notifications service; what the agent does after that minute is another SMS. The
//! notifications service's clock is moved, never waited for.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::{Duration, Utc};
use guichet_kit::{Clock, testing};
use guichet_tests::{Options, Platform};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A real picture: photos are rewritten without their metadata, so they must parse.
const PNG: &[u8] = testing::photos::PNG;

/// The texts of every SMS received, oldest first.
fn texts(platform: &Platform) -> Vec<String> {
    platform
        .outbox()
        .sms()
        .iter()
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect()
}

/// Waits until `count` SMS arrived, and returns them.
async fn sms(platform: &Platform, count: usize) -> Vec<String> {
    testing::eventually(|| async {
        let texts = texts(platform);
        (texts.len() >= count).then_some(texts)
    })
    .await
    .unwrap_or_else(|| panic!("expected {count} SMS, got {:#?}", texts(platform)))
}

/// Waits until the caller's next SMS, not sent yet, holds `needle`: the entry was
/// consumed and joined it.
async fn waiting_sms_holds(platform: &Platform, number: &str, needle: &str) -> String {
    testing::eventually(|| async {
        let body: Option<String> = sqlx::query_scalar(
            "SELECT body FROM deliveries
             WHERE tracking_number = $1 AND channel = 'sms' AND status = 'pending'
                 AND attempts = 0",
        )
        .bind(number)
        .fetch_optional(&platform.notifications_db)
        .await
        .unwrap();
        body.filter(|b| b.contains(needle))
    })
    .await
    .unwrap_or_else(|| panic!("no SMS waiting with {needle:?}"))
}

#[tokio::test]
async fn a_counter_visit_reaches_the_caller_as_one_sms_and_a_later_entry_as_another() {
    let clock = Clock::manual(Utc::now());
    let mut platform = Platform::start_with(
        "grouping",
        Options {
            outbox: true,
            notifications_clock: Some(clock.clone()),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let counter = platform.agent_on("counter", "sophie", &["MRU"]).await;

    // At the counter, the agent files for a caller who leaves a phone number: the
    // acknowledgement, with the number, goes at once.
    let filed = platform
        .post_json_as(
            &counter,
            "/api/v1/complaints",
            &json!({
                "category": "NID_DE_POULE",
                "description": "Trou profond devant l'école.",
                "location": {"address": "Cours Mirabeau, Aix-en-Provence"},
                "contact": {"name": "Marcel Pagnol", "phone": "06 12 34 56 78"},
            }),
        )
        .await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let filed: Value = filed.json().await.unwrap();
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    assert_eq!(filed["channel"], "counter");
    let acknowledged = sms(&platform, 1).await;
    assert!(acknowledged[0].contains("enregistrée"), "{acknowledged:?}");

    // Then a photo, and twenty seconds later a note, with a restart in between.
    let photo = platform
        .post_json_as(
            &counter,
            &format!("/api/v1/demands/{number}/photos"),
            &json!({"filename": "trou.png", "content_base64": STANDARD.encode(PNG)}),
        )
        .await;
    assert_eq!(photo.status(), StatusCode::CREATED);
    waiting_sms_holds(&platform, &number, "Photo ajoutée.").await;
    platform.restart_notifications().await.unwrap();
    clock.advance(Duration::seconds(20));
    let note = "Nous passons jeudi matin.";
    let written = platform
        .post_json_as(
            &counter,
            &format!("/api/v1/demands/{number}/messages"),
            &json!({"text": note}),
        )
        .await;
    assert_eq!(written.status(), StatusCode::OK);
    let waiting = waiting_sms_holds(&platform, &number, note).await;
    assert!(waiting.contains("Photo ajoutée."), "{waiting}");
    assert_eq!(
        texts(&platform).len(),
        1,
        "nothing sent while the agent works"
    );

    // A minute of quiet: one SMS with both.
    clock.advance(Duration::seconds(61));
    let received = sms(&platform, 2).await;
    let visit = &received[1];
    assert!(visit.contains("Photo ajoutée."), "{visit}");
    assert!(visit.contains(note), "{visit}");
    assert!(visit.contains(&number), "{visit}");

    // Later, another note: another SMS, with that note alone.
    let later = "Intervention programmée lundi.";
    let written = platform
        .post_json_as(
            &counter,
            &format!("/api/v1/demands/{number}/messages"),
            &json!({"text": later}),
        )
        .await;
    assert_eq!(written.status(), StatusCode::OK);
    waiting_sms_holds(&platform, &number, later).await;
    clock.advance(Duration::seconds(61));
    let received = sms(&platform, 3).await;
    assert!(received[2].contains(later), "{received:#?}");
    assert!(!received[2].contains("Photo"), "{received:#?}");
    assert_eq!(received.len(), 3, "{received:#?}");
}
