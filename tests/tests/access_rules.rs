//! Who may see what, through the gateway with the real identity service.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::Platform;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_resident_reaches_no_agent_or_admin_endpoint() {
    let platform = Platform::start("noagent").await.unwrap();
    let resident = platform.resident("jeanne@example.org").await;
    let doc: Value = platform
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !(path.starts_with("/api/v1/agent/") || path.starts_with("/api/v1/admin/"))
            || path == "/api/v1/agent/login"
        {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            let url = platform.url(
                &path
                    .replace("{code}", "VOIRIE")
                    .replace("{id}", "x")
                    .replace("{account_id}", "x"),
            );
            let request = platform
                .http
                .request(method.to_uppercase().parse().unwrap(), &url)
                .json(&json!({}));
            let anonymous = request.try_clone().unwrap().send().await.unwrap();
            assert_eq!(
                anonymous.status(),
                StatusCode::UNAUTHORIZED,
                "{method} {path} anonymous"
            );
            let as_resident = request.bearer_auth(&resident).send().await.unwrap();
            assert_eq!(
                as_resident.status(),
                StatusCode::FORBIDDEN,
                "{method} {path} as a resident"
            );
            checked += 1;
        }
    }
    assert!(
        checked >= 10,
        "only {checked} agent and admin operations found"
    );
}

#[tokio::test]
async fn an_agent_reads_only_what_their_departments_handle() {
    let platform = Platform::start("depts").await.unwrap();
    let parking: Value = platform
        .post_json(
            "/api/v1/complaints",
            &json!({
                "category": "STATIONNEMENT_GENANT",
                "description": "Voiture sur le passage piéton devant l'école tous les matins.",
                "location": {"address": "Rue Mignet, Aix-en-Provence"}
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    let path = format!(
        "/api/v1/demands/{}",
        parking["tracking_number"].as_str().unwrap()
    );
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let desk = platform.agent("sophie", &["MRU"]).await;
    // RAPO disputes will follow the same rule once the rapo service exists (issue 6).
    assert_eq!(
        platform.get_as(&roads, &path).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        platform.get_as(&police, &path).await.status(),
        StatusCode::OK
    );
    assert_eq!(
        platform.get_as(&desk, &path).await.status(),
        StatusCode::OK,
        "the MRU desk sees every complaint"
    );
}
