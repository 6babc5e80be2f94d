//! Sessions as residents live them: refresh tokens are single use and a stolen one ends
//! the session for everyone; guessing passwords is slowed down.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::Platform;
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const PASSWORD: &str = "une phrase de passe solide";

async fn tokens(response: reqwest::Response) -> Value {
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn a_reused_refresh_token_revokes_the_whole_session() {
    let platform = Platform::start("reuse").await.unwrap();
    platform.resident("jeanne@example.org").await;
    let first = tokens(
        platform
            .post_json(
                "/api/v1/auth/login",
                &json!({"email": "jeanne@example.org", "password": PASSWORD}),
            )
            .await,
    )
    .await;
    let platform = &platform;
    let refresh = |token: &Value| {
        let body = json!({"refresh_token": token["refresh_token"]});
        async move { platform.post_json("/api/v1/auth/refresh", &body).await }
    };
    let second = tokens(refresh(&first).await).await;
    assert_ne!(second["refresh_token"], first["refresh_token"]);
    assert_eq!(
        platform
            .get_as(second["access_token"].as_str().unwrap(), "/api/v1/me")
            .await
            .status(),
        StatusCode::OK
    );

    // Someone replays the spent token: the whole family dies, the thief's and the owner's.
    assert_eq!(refresh(&first).await.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(refresh(&second).await.status(), StatusCode::UNAUTHORIZED);

    // Logging out ends a session too.
    let third = tokens(
        platform
            .post_json(
                "/api/v1/auth/login",
                &json!({"email": "jeanne@example.org", "password": PASSWORD}),
            )
            .await,
    )
    .await;
    let out = platform
        .post_json(
            "/api/v1/auth/logout",
            &json!({"refresh_token": third["refresh_token"]}),
        )
        .await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert_eq!(refresh(&third).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn repeated_failed_logins_are_slowed_down_per_account() {
    let platform = Platform::start("throttle").await.unwrap();
    platform.resident("jeanne@example.org").await;
    let platform = &platform;
    let attempt = |password: &str| {
        let body = json!({"email": "jeanne@example.org", "password": password});
        async move { platform.post_json("/api/v1/auth/login", &body).await }
    };
    for _ in 0..5 {
        assert_eq!(
            attempt("mauvais mot de passe").await.status(),
            StatusCode::UNAUTHORIZED
        );
    }
    let slowed = attempt("mauvais mot de passe").await;
    assert_eq!(slowed.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(slowed.headers().contains_key(header::RETRY_AFTER));
    // Even the right password waits: the guesser cannot tell when they found it.
    assert_eq!(
        attempt(PASSWORD).await.status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // The wait is per account: another resident, even from this address, still signs in
    // (`resident` asserts the login succeeds).
    platform.resident("paul@example.org").await;
}

#[tokio::test]
async fn failed_logins_from_one_address_are_slowed_across_accounts() {
    let platform = Platform::start("throttleip").await.unwrap();
    let mut last = StatusCode::OK;
    for n in 0..21 {
        last = platform
            .post_json(
                "/api/v1/auth/login",
                &json!({"email": format!("inconnu{n}@example.org"), "password": "au hasard 123"}),
            )
            .await
            .status();
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
    // Only what fails is slowed: a resident who types her password right still signs in
    // from that address (`resident` asserts the login succeeds).
    platform.resident("jeanne@example.org").await;
}
