//! Every creation answers `201` with a `Location` that serves back what was created,
//! to whoever may read it: the platform can always show what it accepted.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use base64::{Engine as _, engine::general_purpose::STANDARD};
use guichet_tests::Platform;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// The `Location` of a `201`, and its body.
async fn created(response: reqwest::Response) -> (String, Value) {
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_owned());
    let body: Value = response.json().await.unwrap();
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let location = location.unwrap_or_else(|| panic!("no Location on {body}"));
    assert!(location.starts_with("/api/v1/"), "{location}");
    (location, body)
}

/// What `Location` serves to `token`'s holder (or anonymously).
async fn read(platform: &Platform, token: Option<&str>, location: &str) -> reqwest::Response {
    let response = match token {
        Some(token) => platform.get_as(token, location).await,
        None => platform.get(location).await,
    };
    assert_eq!(response.status(), StatusCode::OK, "GET {location}");
    response
}

/// What `Location` serves, as JSON.
async fn read_json(platform: &Platform, token: Option<&str>, location: &str) -> Value {
    read(platform, token, location).await.json().await.unwrap()
}

/// A one-page PDF: documents are stored as sent, so the bytes must come back the same.
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n\
2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n";

#[tokio::test]
async fn what_residents_create_is_served_back_at_its_location() {
    let platform = Platform::start("creations_residents").await.unwrap();

    // A complaint, then a photo of it.
    let (location, filed) = created(
        platform
            .post_json("/api/v1/complaints", &guichet_tests::pothole())
            .await,
    )
    .await;
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/demands/{number}"));
    let demand: Value = read_json(&platform, None, &location).await;
    assert_eq!(demand["tracking_number"], number.as_str());
    let photo = guichet_kit::testing::photos::jpeg_with_gps();
    let (location, photos) = created(
        platform
            .post_json(
                &format!("/api/v1/demands/{number}/photos"),
                &json!({"content_base64": STANDARD.encode(&photo)}),
            )
            .await,
    )
    .await;
    let added = photos.as_array().unwrap().last().unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(location, format!("/api/v1/demands/{number}/photos/{added}"));
    let served = read(&platform, None, &location).await;
    assert_eq!(served.headers()["content-type"], "image/jpeg");

    // A draft, and a file uploaded to it: a draft resumed elsewhere shows its files.
    let designer = platform
        .agent_with_roles("eloise", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    let definition = guichet_tests::birth_certificate(
        "acte-lieu",
        &[
            json!({"id": "piece", "type": "file", "label": "Justificatif",
                 "accept": ["application/pdf"], "max_size": 1_000_000}),
        ],
    );
    platform.publish_teleservice(&designer, &definition).await;
    let (location, draft) = created(
        platform
            .post_json(
                "/api/v1/teleservices/acte-lieu/drafts",
                &json!({"data": {"nom": "Martin"}}),
            )
            .await,
    )
    .await;
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(location, format!("/api/v1/drafts/{draft_id}"));
    let resumed: Value = read_json(&platform, None, &location).await;
    assert_eq!(resumed["data"]["nom"], "Martin");
    let (location, attachment) = created(
        platform
            .post_json(
                &format!("/api/v1/drafts/{draft_id}/attachments"),
                &json!({"filename": "justificatif de domicile.pdf",
                        "content_base64": STANDARD.encode(PDF)}),
            )
            .await,
    )
    .await;
    assert_eq!(
        location,
        format!(
            "/api/v1/drafts/{draft_id}/attachments/{}",
            attachment["id"].as_str().unwrap()
        )
    );
    let file = read(&platform, None, &location).await;
    assert_eq!(file.headers()["content-type"], "application/pdf");
    let disposition = file.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains("filename=\"justificatif de domicile.pdf\""),
        "{disposition}"
    );
    assert_eq!(file.bytes().await.unwrap().as_ref(), PDF);
    // Another draft's id does not open this file.
    let (_, other) = created(
        platform
            .post_json(
                "/api/v1/teleservices/acte-lieu/drafts",
                &json!({"data": {}}),
            )
            .await,
    )
    .await;
    let elsewhere = platform
        .get(&format!(
            "/api/v1/drafts/{}/attachments/{}",
            other["id"].as_str().unwrap(),
            attachment["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(elsewhere.status(), StatusCode::NOT_FOUND);

    // A signed-in resident's draft is theirs alone.
    let resident = platform.resident("ines.durand@example.org").await;
    let (location, _) = created(
        platform
            .post_json_as(
                &resident,
                "/api/v1/teleservices/acte-lieu/drafts",
                &json!({"data": {"nom": "Durand"}}),
            )
            .await,
    )
    .await;
    read(&platform, Some(&resident), &location).await;
    assert_eq!(
        platform.get(&location).await.status(),
        StatusCode::NOT_FOUND
    );

    // A business added to the profile is read with the profile.
    let (location, _) = created(
        platform
            .post_json_as(
                &resident,
                "/api/v1/me/businesses",
                &json!({"siret": "211 300 012 00013", "name": "Boulangerie Durand",
                        "address": "2 rue Espariat, 13100 Aix-en-Provence"}),
            )
            .await,
    )
    .await;
    assert_eq!(location, "/api/v1/me");
    let profile: Value = read_json(&platform, Some(&resident), &location).await;
    assert!(
        profile.to_string().contains("Boulangerie Durand"),
        "{profile}"
    );
}

#[tokio::test]
async fn what_administrators_create_is_served_back_at_its_location() {
    let platform = Platform::start("creations_admin").await.unwrap();
    let admin = platform.admin().await;

    let (location, agent) = created(
        platform
            .post_json_as(
                &admin,
                "/api/v1/admin/agents",
                &json!({"login": "mathis", "password": "mot-de-passe-de-mathis",
                        "name": "Mathis Roux", "departments": ["VOIRIE"], "roles": ["agent"]}),
            )
            .await,
    )
    .await;
    let served: Value = read_json(&platform, Some(&admin), &location).await;
    assert_eq!(served["id"], agent["id"]);
    assert_eq!(served["login"], "mathis");

    let (location, credentials) = created(
        platform
            .post_json_as(
                &admin,
                "/api/v1/admin/devices",
                &json!({"kind": "kiosk", "label": "Borne de la Rotonde", "location": "La Rotonde"}),
            )
            .await,
    )
    .await;
    let device: Value = read_json(&platform, Some(&admin), &location).await;
    assert_eq!(device["id"], credentials["device_id"]);
    assert_eq!(device["kind"], "kiosk");
    assert_eq!(device["label"], "Borne de la Rotonde");
    assert!(
        !device
            .to_string()
            .contains(credentials["secret"].as_str().unwrap())
    );

    // An app installation registers itself; administrators find it at its address.
    let (location, installation) = created(
        platform
            .post_json(
                "/api/v1/devices/app",
                &json!({"label": "Téléphone de Jeanne"}),
            )
            .await,
    )
    .await;
    let device: Value = read_json(&platform, Some(&admin), &location).await;
    assert_eq!(device["id"], installation["device_id"]);
    assert_eq!(device["kind"], "app");
    assert_eq!(
        platform.get(&location).await.status(),
        StatusCode::UNAUTHORIZED
    );

    let (location, key) = created(
        platform
            .post_json_as(
                &admin,
                "/api/v1/admin/open311/keys",
                &json!({"label": "Application Aix Propre"}),
            )
            .await,
    )
    .await;
    let served: Value = read_json(&platform, Some(&admin), &location).await;
    assert_eq!(served["id"], key["id"]);
    assert_eq!(served["label"], "Application Aix Propre");
    assert!(
        served.get("api_key").is_none(),
        "the key is shown once: {served}"
    );
    let listed: Value = read_json(&platform, Some(&admin), "/api/v1/admin/open311/keys").await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");

    let (location, announcement) = created(
        platform
            .post_json_as(
                &admin,
                "/api/v1/agent/announcements",
                &json!({"title": "Fermeture exceptionnelle",
                        "body": "La mairie annexe des Milles est fermée le 24 décembre après-midi.",
                        "channels": ["web", "kiosk"],
                        "valid_from": "2027-12-20T08:00:00Z",
                        "valid_until": "2027-12-25T08:00:00Z"}),
            )
            .await,
    )
    .await;
    // Not current yet, yet served at its address.
    let served: Value = read_json(&platform, None, &location).await;
    assert_eq!(served["id"], announcement["id"]);
    assert_eq!(served["title"], "Fermeture exceptionnelle");
}

#[tokio::test]
async fn a_revoked_kiosk_can_no_longer_sign_in_nor_refresh() {
    let platform = Platform::start("creations_revoke").await.unwrap();
    let admin = platform.admin().await;
    let (location, credentials) = created(
        platform
            .post_json_as(
                &admin,
                "/api/v1/admin/devices",
                &json!({"kind": "kiosk", "label": "Borne volée", "location": "Jas de Bouffan"}),
            )
            .await,
    )
    .await;
    let login = json!({"device_id": credentials["device_id"], "secret": credentials["secret"]});
    let session: Value = platform
        .post_json("/api/v1/devices/login", &login)
        .await
        .json()
        .await
        .unwrap();
    assert!(session["refresh_token"].is_string(), "{session}");

    let listed: Value = read_json(&platform, Some(&admin), "/api/v1/admin/devices").await;
    assert_eq!(listed[0]["label"], "Borne volée");
    assert!(listed[0]["revoked_at"].is_null());

    let revoked = platform
        .http
        .delete(platform.url(&location))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let revoked: Value = revoked.json().await.unwrap();
    assert!(revoked["revoked_at"].is_string(), "{revoked}");

    let refused = platform.post_json("/api/v1/devices/login", &login).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let refresh = platform
        .post_json(
            "/api/v1/auth/refresh",
            &json!({"refresh_token": session["refresh_token"]}),
        )
        .await;
    assert_eq!(refresh.status(), StatusCode::UNAUTHORIZED);
    let device: Value = read_json(&platform, Some(&admin), &location).await;
    assert_eq!(device["revoked_at"], revoked["revoked_at"]);

    // Only administrators revoke.
    let agent = platform.agent("noe", &["VOIRIE"]).await;
    let forbidden = platform
        .http
        .delete(platform.url(&location))
        .bearer_auth(&agent)
        .send()
        .await
        .unwrap();
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
}
