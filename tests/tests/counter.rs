//! At the counter: an agent signed in on a registered counter certifies what they read on
//! a resident's document; administrators add themes that become agents' tabs.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::Platform;
use reqwest::StatusCode;
use serde_json::{Value, json};

#[tokio::test]
async fn only_an_agent_at_a_counter_certifies_an_attribute() {
    let platform = Platform::start("counter").await.unwrap();
    let admin = platform.admin().await;
    let resident = platform.resident("jeanne@example.org").await;
    let me: Value = platform
        .get_as(&resident, "/api/v1/me")
        .await
        .json()
        .await
        .unwrap();
    let account = me["account_id"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/agent/residents/{account}/certify");
    let birthdate = json!({"name": "birthdate", "value": "1984-02-29"});

    // From the web, an agent cannot vouch for a document.
    let web_agent = platform.agent("sophie", &["MRU"]).await;
    let refused = platform.post_json_as(&web_agent, &path, &birthdate).await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let device: Value = platform
        .post_json_as(
            &admin,
            "/api/v1/admin/devices",
            &json!({"kind": "counter", "label": "Guichet 3", "location": "Hôtel de Ville"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let counter: Value = platform
        .post_json(
            "/api/v1/devices/login",
            &json!({"device_id": device["device_id"], "secret": device["secret"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let counter = counter["access_token"].as_str().unwrap();
    let at_counter: Value = platform
        .post_json_as(
            counter,
            "/api/v1/agent/login",
            &json!({"login": "sophie", "password": "sophie-mot-de-passe"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let at_counter = at_counter["access_token"].as_str().unwrap();

    let certified = platform.post_json_as(at_counter, &path, &birthdate).await;
    assert_eq!(certified.status(), StatusCode::OK);
    let profile: Value = certified.json().await.unwrap();
    let attribute = profile["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "birthdate")
        .expect("birthdate certified");
    assert_eq!(attribute["value"], "1984-02-29");
    assert_eq!(attribute["level"], "checked_at_counter");

    // The resident's own declaration cannot weaken it.
    let patched = platform
        .http
        .patch(platform.url("/api/v1/me"))
        .bearer_auth(&resident)
        .json(&json!({"attributes": {"birthdate": "1990-01-01"}}))
        .send()
        .await
        .unwrap();
    let profile: Value = patched.json().await.unwrap();
    let attribute = profile["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["name"] == "birthdate")
        .unwrap();
    assert_eq!(attribute["level"], "checked_at_counter");
    assert_eq!(attribute["value"], "1984-02-29");
}

#[tokio::test]
async fn a_theme_added_by_an_administrator_becomes_a_tab() {
    let platform = Platform::start("themes").await.unwrap();
    let admin = platform.admin().await;
    let put = |path: &str, body: Value| {
        platform
            .http
            .put(platform.url(path))
            .bearer_auth(&admin)
            .json(&body)
            .send()
    };
    let theme = put(
        "/api/v1/admin/themes/teleservice:JARDINS_PARTAGES",
        json!({"label": "Jardins partagés", "position": 1}),
    )
    .await
    .unwrap();
    assert_eq!(theme.status(), StatusCode::OK);
    let department = put(
        "/api/v1/admin/departments/ESPACES_VERTS",
        json!({"label": "Espaces verts", "themes": ["complaint:ARBRE_DANGEREUX", "teleservice:JARDINS_PARTAGES"]}),
    )
    .await
    .unwrap();
    assert_eq!(department.status(), StatusCode::OK);
    let unknown = put(
        "/api/v1/admin/departments/ESPACES_VERTS",
        json!({"label": "Espaces verts", "themes": ["teleservice:INCONNU"]}),
    )
    .await
    .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let gardener = platform.agent("lea", &["ESPACES_VERTS"]).await;
    let tabs: Value = platform
        .get_as(&gardener, "/api/v1/agent/tabs")
        .await
        .json()
        .await
        .unwrap();
    let codes: Vec<&str> = tabs["tabs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["code"].as_str().unwrap())
        .collect();
    assert!(codes.contains(&"teleservice:JARDINS_PARTAGES"), "{codes:?}");
    assert!(codes.contains(&"complaint:ARBRE_DANGEREUX"));

    // Any agent reads the departments' names (the intranet shows names, not codes);
    // changing them stays the administrators'.
    let departments: Value = platform
        .get_as(&gardener, "/api/v1/agent/departments")
        .await
        .json()
        .await
        .unwrap();
    let green = departments["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == "ESPACES_VERTS")
        .unwrap();
    assert_eq!(green["label"], "Espaces verts");
    let refused = platform
        .get_as(&gardener, "/api/v1/admin/departments")
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
