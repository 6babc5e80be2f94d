//! Passwords and tokens never reach the logs, whatever the level: the whole platform runs
//! in this test process with every Guichet event captured at TRACE.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::{Platform, capture::Capture};
use serde_json::{Value, json};

#[tokio::test]
async fn passwords_and_tokens_never_appear_in_logs() {
    let capture = Capture::install();

    let platform = Platform::start("secrets").await.unwrap();
    let password = "phrase secrète très longue 42";
    let signed_up = platform
        .post_json(
            "/api/v1/auth/signup",
            &json!({"email": "jeanne@example.org", "password": password}),
        )
        .await;
    assert!(signed_up.status().is_success());
    let wrong = platform
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "jeanne@example.org", "password": "un autre secret 43"}),
        )
        .await;
    assert_eq!(wrong.status(), reqwest::StatusCode::UNAUTHORIZED);
    let login: Value = platform
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "jeanne@example.org", "password": password}),
        )
        .await
        .json()
        .await
        .unwrap();
    let access = login["access_token"].as_str().unwrap().to_owned();
    let refresh = login["refresh_token"].as_str().unwrap().to_owned();
    let refreshed: Value = platform
        .post_json("/api/v1/auth/refresh", &json!({"refresh_token": refresh}))
        .await
        .json()
        .await
        .unwrap();
    assert!(
        platform
            .get_as(&access, "/api/v1/me")
            .await
            .status()
            .is_success()
    );
    let admin = platform.admin().await;
    drop(platform);

    let logs = capture.text();
    assert!(
        logs.contains("resident signed up"),
        "the capture recorded the platform's events"
    );
    for secret in [
        password,
        "un autre secret 43",
        guichet_tests::ADMIN_PASSWORD,
        &access,
        &refresh,
        refreshed["access_token"].as_str().unwrap(),
        refreshed["refresh_token"].as_str().unwrap(),
        &admin,
    ] {
        // The signature part is enough to tell a token was logged.
        let tail = &secret[secret.len().saturating_sub(24)..];
        assert!(!logs.contains(tail), "a secret reached the logs");
    }
}
