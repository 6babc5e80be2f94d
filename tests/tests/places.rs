//! What the residents' screens read about the city and the resident's own account: the
//! contact points (kept by administrators, listed nearest first), a kiosk's own place,
//! the themes' labels, and the sessions a resident may end.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::Platform;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn put_as(platform: &Platform, token: &str, path: &str, body: &Value) -> reqwest::Response {
    platform
        .http
        .put(platform.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn delete_as(platform: &Platform, token: &str, path: &str) -> reqwest::Response {
    platform
        .http
        .delete(platform.url(path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

fn annexe(name: &str, lat: f64, lon: f64) -> Value {
    json!({
        "name": name, "kind": "mairie_annexe", "address": format!("{name}, Aix-en-Provence"),
        "latitude": lat, "longitude": lon, "phone": "04 42 91 90 00",
        "opening_hours": [{"weekday": 1, "opens": "08:30", "closes": "12:00"},
                          {"weekday": 1, "opens": "13:30", "closes": "16:30"}],
        "closures": [{"from": "2026-12-24", "until": "2026-12-26", "reason": "Fêtes de fin d'année"}],
        "services": ["Inscription sur les listes électorales", "Retrait des actes d'état civil"]
    })
}

#[tokio::test]
async fn administrators_keep_the_contact_points_and_everyone_finds_the_nearest() {
    let platform = Platform::start("places_points").await.unwrap();
    let admin = platform.admin().await;

    let created = put_as(
        &platform,
        &admin,
        "/api/v1/admin/contact-points/mairie-annexe-les-milles",
        &annexe("Mairie annexe des Milles", 43.5042, 5.3903),
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    assert_eq!(
        created.headers()["location"],
        "/api/v1/contact-points/mairie-annexe-les-milles"
    );
    let mut town_hall = annexe("Hôtel de Ville", 43.5300, 5.4478);
    town_hall["kind"] = json!("mairie");
    let created = put_as(
        &platform,
        &admin,
        "/api/v1/admin/contact-points/hotel-de-ville",
        &town_hall,
    )
    .await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // Saved again: replaced, nothing created.
    town_hall["phone"] = json!("04 42 91 93 10");
    let replaced = put_as(
        &platform,
        &admin,
        "/api/v1/admin/contact-points/hotel-de-ville",
        &town_hall,
    )
    .await;
    assert_eq!(replaced.status(), StatusCode::OK);

    // From the cours Mirabeau, the town hall comes first; from Les Milles, the annexe.
    let near_centre: Value = platform
        .get("/api/v1/contact-points?lat=43.5263&lon=5.4474")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(near_centre[0]["id"], "hotel-de-ville");
    assert_eq!(near_centre[0]["phone"], "04 42 91 93 10");
    assert!(near_centre[0]["distance_m"].as_u64().unwrap() < 1_000);
    assert_eq!(near_centre[1]["id"], "mairie-annexe-les-milles");
    assert_eq!(near_centre[1]["opening_hours"][1]["opens"], "13:30");
    assert_eq!(near_centre[1]["closures"][0]["until"], "2026-12-26");
    let near_milles: Value = platform
        .get("/api/v1/contact-points?lat=43.5050&lon=5.3910")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(near_milles[0]["id"], "mairie-annexe-les-milles");
    let one: Value = platform
        .get("/api/v1/contact-points/mairie-annexe-les-milles")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(one["services"][0], "Inscription sur les listes électorales");

    // Every fault named; nothing saved.
    let mut wrong = annexe("", 143.0, 5.0);
    wrong["opening_hours"] = json!([{"weekday": 9, "opens": "18:00", "closes": "08:00"}]);
    let refused = put_as(
        &platform,
        &admin,
        "/api/v1/admin/contact-points/Bad Code",
        &wrong,
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = refused.json().await.unwrap();
    let fields: Vec<&str> = problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["id", "name", "latitude", "opening_hours[0]"]);
    let only_lat = platform.get("/api/v1/contact-points?lat=43.5").await;
    assert_eq!(only_lat.status(), StatusCode::BAD_REQUEST);

    // Only administrators change them.
    let agent = platform.agent("lina", &["MRU"]).await;
    let forbidden = put_as(
        &platform,
        &agent,
        "/api/v1/admin/contact-points/hotel-de-ville",
        &town_hall,
    )
    .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let removed = delete_as(
        &platform,
        &admin,
        "/api/v1/admin/contact-points/mairie-annexe-les-milles",
    )
    .await;
    assert_eq!(removed.status(), StatusCode::NO_CONTENT);
    let listed: Value = platform
        .get("/api/v1/contact-points")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(listed[0].get("distance_m").is_none(), "no position asked");
    assert_eq!(
        platform
            .get("/api/v1/contact-points/mairie-annexe-les-milles")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_kiosk_reads_its_own_place_and_the_portal_the_themes_labels() {
    let platform = Platform::start("places_kiosk").await.unwrap();
    let admin = platform.admin().await;
    let credentials: Value = platform
        .post_json_as(
            &admin,
            "/api/v1/admin/devices",
            &json!({"kind": "kiosk", "label": "Borne de la Rotonde", "location": "La Rotonde",
                    "latitude": 43.5262, "longitude": 5.4449}),
        )
        .await
        .json()
        .await
        .unwrap();
    let kiosk: Value = platform
        .post_json(
            "/api/v1/devices/login",
            &json!({"device_id": credentials["device_id"], "secret": credentials["secret"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let kiosk = kiosk["access_token"].as_str().unwrap();
    let me: Value = platform
        .get_as(kiosk, "/api/v1/devices/me")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["label"], "Borne de la Rotonde");
    assert_eq!(me["kind"], "kiosk");
    assert_eq!(me["latitude"], 43.5262);
    assert_eq!(me["longitude"], 5.4449);
    let resident = platform.resident("kiosque@example.org").await;
    assert_eq!(
        platform
            .get_as(&resident, "/api/v1/devices/me")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    // One coordinate alone is refused.
    let half = platform
        .post_json_as(
            &admin,
            "/api/v1/admin/devices",
            &json!({"kind": "kiosk", "label": "Borne", "latitude": 43.5}),
        )
        .await;
    assert_eq!(half.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The themes, with their labels, without any token.
    let themes: Value = platform.get("/api/v1/themes").await.json().await.unwrap();
    let civil = themes["themes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["code"] == "teleservice:ETAT_CIVIL")
        .unwrap_or_else(|| panic!("{themes}"));
    assert_eq!(civil["label"], "État civil");
}

#[tokio::test]
async fn a_resident_sees_their_sessions_and_ends_one_left_open_elsewhere() {
    let platform = Platform::start("places_sessions").await.unwrap();
    let here = platform.resident("sessions@example.org").await;
    // Another device: a second login of the same account.
    let elsewhere: Value = platform
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "sessions@example.org", "password": "une phrase de passe solide"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let sessions: Value = platform
        .get_as(&here, "/api/v1/me/sessions")
        .await
        .json()
        .await
        .unwrap();
    let sessions = sessions.as_array().unwrap();
    assert_eq!(sessions.len(), 2, "{sessions:?}");
    assert_eq!(sessions.iter().filter(|s| s["current"] == true).count(), 1);
    assert!(sessions.iter().all(|s| s["channel"] == "web"));
    let other = sessions.iter().find(|s| s["current"] == false).unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();

    // Someone else cannot end it; its owner can, and its refresh token then dies.
    let stranger = platform.resident("autre@example.org").await;
    let path = format!("/api/v1/me/sessions/{other}");
    assert_eq!(
        delete_as(&platform, &stranger, &path).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        delete_as(&platform, &here, &path).await.status(),
        StatusCode::NO_CONTENT
    );
    let refresh = platform
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": elsewhere["refresh_token"]}),
        )
        .await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    let left: Value = platform
        .get_as(&here, "/api/v1/me/sessions")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(left.as_array().unwrap().len(), 1);
    assert_eq!(
        delete_as(&platform, &here, &path).await.status(),
        StatusCode::NOT_FOUND,
        "already ended"
    );
}
