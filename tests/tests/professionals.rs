//! A professional's account acts for their business: demands filed for it show it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::Platform;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn a_demand_filed_for_a_business_shows_it() {
    let platform = Platform::start("pro").await.unwrap();
    let token = platform.resident("boulangerie@example.fr").await;
    let added = platform
        .post_json_as(
            &token,
            "/api/v1/me/businesses",
            &json!({"siret": "211 300 012 00013", "name": "Boulangerie du Cours", "address": "12 cours Mirabeau"}),
        )
        .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let wrong = platform
        .post_json_as(
            &token,
            "/api/v1/me/businesses",
            &json!({"siret": "21130001200014", "name": "Faux"}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The business is in the next session's token.
    let login: Value = platform
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "boulangerie@example.fr", "password": "une phrase de passe solide"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap();
    let complaint = |siret: &str| {
        json!({
            "category": "OCCUPATION_ILLICITE",
            "description": "Une benne bloque l'accès des livraisons depuis trois jours.",
            "location": {"address": "12 cours Mirabeau, Aix-en-Provence"},
            "siret": siret
        })
    };
    let filed = platform
        .post_json_as(token, "/api/v1/complaints", &complaint("21130001200013"))
        .await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let filed: Value = filed.json().await.unwrap();
    assert_eq!(filed["business"]["siret"], "21130001200013");
    assert_eq!(filed["business"]["name"], "Boulangerie du Cours");

    let foreign = platform
        .post_json_as(token, "/api/v1/complaints", &complaint("73282932000074"))
        .await;
    assert_eq!(foreign.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = foreign.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "siret");
}
