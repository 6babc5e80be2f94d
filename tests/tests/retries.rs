//! Retrying a filing with `Idempotency-Key`, in every silo: the same key and the same
//! request answer the first answer and file nothing; the same key with another request
//! is refused; a key belongs to its caller, so it never fetches someone else's demand —
//! not even a RAPO dispute with its holder's name, address and plate.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::Utc;
use guichet_kit::calendar::paris_date;
use guichet_tests::{
    Platform,
    samples::{FPS_HEADER, fps_line, notice},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PDF: &[u8] = b"%PDF-1.4\n%avis de paiement\n";

/// POSTs `body` to `path` with `key`, as `token` or anonymously.
async fn send(
    platform: &Platform,
    token: Option<&str>,
    path: &str,
    key: &str,
    body: &Value,
) -> (StatusCode, Value) {
    let mut request = platform
        .http
        .post(platform.url(path))
        .header("Idempotency-Key", key)
        .json(body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn complaint(name: &str, address: &str) -> Value {
    json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond sur la chaussée.",
        "location": {"latitude": 43.5263, "longitude": 5.4474, "address": address},
        "contact": {"name": name, "email": "contact@example.org"}
    })
}

/// Asserts a refusal of a reused key that tells nothing of the first filing.
fn refused_without_leaking(status: StatusCode, body: &Value, secrets: &[&str]) {
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["code"], "idempotency_key_reused", "{body}");
    assert_eq!(body["errors"][0]["field"], "Idempotency-Key", "{body}");
    let text = body.to_string();
    for secret in secrets {
        assert!(!text.contains(secret), "{secret} leaked in {text}");
    }
}

#[tokio::test]
async fn a_complaint_key_belongs_to_its_caller_and_its_request() {
    let platform = Platform::start("retry_complaint").await.unwrap();
    let alice = platform.resident("alice@example.org").await;
    let path = "/api/v1/complaints";
    let hers = complaint("Alice Durand", "12 rue Cardinale");
    let (status, first) = send(&platform, Some(&alice), path, "K-1", &hers).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let number = first["tracking_number"].as_str().unwrap().to_owned();

    // Her own retry answers the first answer and files nothing.
    let (status, again) = send(&platform, Some(&alice), path, "K-1", &hers).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(again, first);
    assert_eq!(platform.complaints_rows("complaints").await, 1);

    // Anyone else with her key gets nothing of hers: a stranger with another body is
    // refused, a stranger with her very body files their own complaint.
    let theirs = complaint("Bob Martin", "1 place des Prêcheurs");
    let (status, body) = send(&platform, None, path, "K-1", &theirs).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_ne!(body["tracking_number"], number.as_str());
    let bob = platform.resident("bob@example.org").await;
    let (status, body) = send(&platform, Some(&bob), path, "K-1", &hers).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_ne!(body["tracking_number"], number.as_str());

    // Her key with another request of hers is refused, and files nothing.
    let before = platform.complaints_rows("complaints").await;
    let other = complaint("Alice Durand", "3 rue d'Italie");
    let (status, body) = send(&platform, Some(&alice), path, "K-1", &other).await;
    refused_without_leaking(status, &body, &[&number]);
    assert_eq!(platform.complaints_rows("complaints").await, before);
}

#[tokio::test]
async fn an_anonymous_key_is_bound_to_its_request_even_under_concurrent_retries() {
    let platform = Platform::start("retry_anonymous").await.unwrap();
    let path = "/api/v1/complaints";
    let hers = complaint("Alice Durand", "12 rue Cardinale");
    // Two retries at once (a phone on a bad network): one complaint, one answer.
    let (a, b) = tokio::join!(
        send(&platform, None, path, "K-2", &hers),
        send(&platform, None, path, "K-2", &hers),
    );
    assert_eq!(a.0, StatusCode::CREATED, "{}", a.1);
    assert_eq!(b.0, StatusCode::CREATED, "{}", b.1);
    assert_eq!(a.1["tracking_number"], b.1["tracking_number"]);
    assert_eq!(platform.complaints_rows("complaints").await, 1);
    assert_eq!(platform.complaints_rows("outbox").await, 1);

    // Someone else guessing the key with their own request learns nothing of hers.
    let number = a.1["tracking_number"].as_str().unwrap();
    let (status, body) = send(
        &platform,
        None,
        path,
        "K-2",
        &complaint("Bob Martin", "1 place des Prêcheurs"),
    )
    .await;
    refused_without_leaking(status, &body, &[number, "Alice", "Cardinale"]);
    assert_eq!(platform.complaints_rows("complaints").await, 1);
}

#[tokio::test]
async fn a_teleservice_key_is_refused_with_another_request() {
    let platform = Platform::start("retry_teleservice").await.unwrap();
    let designer = platform
        .agent_with_roles("claire", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    let definition = guichet_tests::birth_certificate("acte-retry", &[]);
    platform.publish_teleservice(&designer, &definition).await;

    let path = "/api/v1/teleservices/acte-retry/demands";
    let hers = json!({"data": {"nom": "Durand"}, "contact": {"email": "alice@example.org"}});
    let (status, first) = send(&platform, None, path, "K-3", &hers).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = send(&platform, None, path, "K-3", &hers).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again, first);

    let theirs = json!({"data": {"nom": "Martin"}, "contact": {"email": "bob@example.org"}});
    let (status, body) = send(&platform, None, path, "K-3", &theirs).await;
    let number = first["tracking_number"].as_str().unwrap();
    refused_without_leaking(status, &body, &[number, "Durand", "alice@"]);
}

#[tokio::test]
async fn a_rapo_key_never_returns_the_holder_of_someone_elses_dispute() {
    let platform = Platform::start("retry_rapo").await.unwrap();
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let today = paris_date(Utc::now());
    let (first_notice, second_notice) = (notice(51), notice(52));
    let (first_notice, second_notice) = (first_notice.as_str(), second_notice.as_str());
    let csv = format!(
        "{FPS_HEADER}\n{}\n{}\n",
        fps_line(first_notice, "AB-123-CD", today, "Cours Mirabeau"),
        fps_line(second_notice, "EF-456-GH", today, "Rotonde"),
    );
    let imported = platform.import_fps(&police, &csv).await;
    assert_eq!(imported.status(), StatusCode::OK);
    let pdf = STANDARD.encode(PDF);
    let dispute = |notice: &str, plate: &str, name: &str| {
        json!({
            "notice_number": notice,
            "plate": plate,
            "holder": {"name": name, "address": "3 rue Espariat, 13100 Aix-en-Provence"},
            "contact": {"email": "titulaire@example.org"},
            "facts": "Garée de 14 h à 15 h, ticket pris à 13 h 58.",
            "grounds": "Stationnement payé.",
            "pieces": {
                "payment_notice": {"name": "avis.pdf", "content_type": "application/pdf", "data": pdf},
                "registration_certificate": {"name": "cg.pdf", "content_type": "application/pdf", "data": pdf}
            }
        })
    };
    let path = "/api/v1/rapo/disputes";
    let alice = platform.resident("alice@example.org").await;
    let hers = dispute(first_notice, "AB-123-CD", "Alice Durand");
    let (status, first) = send(&platform, Some(&alice), path, "K-4", &hers).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    let (status, again) = send(&platform, Some(&alice), path, "K-4", &hers).await;
    assert_eq!(status, StatusCode::CREATED, "{again}");
    assert_eq!(again, first);

    // Her key from anyone else: their own dispute, never hers.
    let theirs = dispute(second_notice, "EF-456-GH", "Bob Martin");
    let (status, body) = send(&platform, None, path, "K-4", &theirs).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let text = body.to_string();
    for secret in [
        "Alice",
        "AB-123-CD",
        first["tracking_number"].as_str().unwrap(),
    ] {
        assert!(!text.contains(secret), "{secret} leaked in {text}");
    }
    // Her key with another request of hers: refused.
    let mut changed = hers.clone();
    changed["grounds"] = json!("Le ticket était visible.");
    let (status, body) = send(&platform, Some(&alice), path, "K-4", &changed).await;
    refused_without_leaking(status, &body, &[first["tracking_number"].as_str().unwrap()]);
}
