//! Limits as a town hall lives them: the public, the agents and a call centre share one
//! address. Anonymous lookups run out per address; a signed-in agent counts on their own
//! account and keeps working. Failed logins slow down what fails, not the building, and
//! every refusal says how long is really left to wait.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Instant;

use guichet_kit::Clock;
use guichet_tests::{Options, Platform};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const PASSWORD: &str = "une phrase de passe solide";
/// The anonymous quota the platform is started with: lookups per address and minute.
const ANONYMOUS_PER_MINUTE: u32 = 30;

fn pothole() -> Value {
    json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond devant la mairie annexe.",
        "location": {"latitude": 43.53, "longitude": 5.4478, "address": "Place de l'Hôtel de Ville"},
        "contact": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr"}
    })
}

/// `Retry-After`, in seconds.
fn retry_after(response: &reqwest::Response) -> u64 {
    response
        .headers()
        .get(header::RETRY_AFTER)
        .expect("a 429 says how long to wait")
        .to_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn login(platform: &Platform, email: &str, password: &str) -> reqwest::Response {
    platform
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": email, "password": password}),
        )
        .await
}

#[tokio::test]
async fn a_hundred_lookups_and_25_failed_logins_from_one_address_leave_a_signed_in_agent_working() {
    let platform = Platform::start_with(
        "limits",
        Options {
            lookups_per_minute: Some(ANONYMOUS_PER_MINUTE),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    // Allô Mairie: the desk's agents and the public behind the town hall's one address.
    let agent = platform.agent("allo", &["MRU"]).await;
    let jeanne = platform.resident("jeanne@example.org").await;
    platform.resident("paul@example.org").await;
    let filed = platform.post_json("/api/v1/complaints", &pothole()).await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let number = filed.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/demands/{number}");

    // 100 anonymous lookups: the address's quota runs out, and the refusal says the true
    // wait (one lookup comes back every 2 seconds), not a round minute.
    let started = Instant::now();
    let mut answered = 0;
    let mut refused = None;
    for _ in 0..100 {
        let response = platform.get(&path).await;
        match response.status() {
            StatusCode::OK => answered += 1,
            StatusCode::TOO_MANY_REQUESTS => refused = Some(response),
            other => panic!("anonymous lookup: {other}"),
        }
    }
    let refilled = started.elapsed().as_secs() / 2 + 1;
    assert!(
        (u64::from(ANONYMOUS_PER_MINUTE)..=u64::from(ANONYMOUS_PER_MINUTE) + refilled)
            .contains(&answered),
        "{answered} anonymous lookups answered"
    );
    let refused = refused.expect("the anonymous quota ran out");
    assert!((1..=2).contains(&retry_after(&refused)));

    // A token that does not verify buys nothing: it counts as anonymous.
    let mut forged_through = 0;
    for _ in 0..5 {
        let response = platform.get_as("forged.jeton.invalide", &path).await;
        if response.status() != StatusCode::TOO_MANY_REQUESTS {
            forged_through += 1;
        }
    }
    assert!(
        forged_through <= 1,
        "{forged_through} forged lookups got through"
    );

    // The agent, from the same address, reads the demand (more often than the public
    // may) and writes to the resident.
    for _ in 0..ANONYMOUS_PER_MINUTE + 10 {
        assert_eq!(
            platform.get_as(&agent, &path).await.status(),
            StatusCode::OK
        );
    }
    let written = platform
        .post_json_as(
            &agent,
            &format!("{path}/messages"),
            &json!({"text": "Nous avons transmis votre signalement à la voirie."}),
        )
        .await;
    assert_eq!(written.status(), StatusCode::OK);
    // A signed-in resident counts on her own account too.
    let hers = platform
        .post_json_as(&jeanne, "/api/v1/complaints", &pothole())
        .await;
    assert_eq!(hers.status(), StatusCode::CREATED);
    let hers = hers.json::<Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        platform
            .get_as(&jeanne, &format!("/api/v1/demands/{hers}"))
            .await
            .status(),
        StatusCode::OK
    );

    // 25 failed logins from the address: 20 unknown accounts, then wrong passwords.
    for n in 0..20 {
        let response = login(
            &platform,
            &format!("inconnu{n}@example.org"),
            "au hasard 123",
        )
        .await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
    // The address now waits for what fails: a wrong password is refused with the wait.
    for _ in 0..5 {
        let response = login(&platform, "jeanne@example.org", "mauvais mot de passe").await;
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert!((1..=120).contains(&retry_after(&response)));
    }
    let unknown = login(&platform, "inconnu99@example.org", "au hasard 123").await;
    assert_eq!(unknown.status(), StatusCode::TOO_MANY_REQUESTS);
    // An account that failed while the address waits gets no second guess, even with
    // the right password: a guesser behind the address gets one try per account.
    assert_eq!(
        login(&platform, "jeanne@example.org", PASSWORD)
            .await
            .status(),
        StatusCode::TOO_MANY_REQUESTS
    );

    // Everyone else who types their password right still signs in from the address.
    assert_eq!(
        login(&platform, "paul@example.org", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
    let again = platform.agent_login("allo", "allo-mot-de-passe").await;
    assert_eq!(
        platform.get_as(&again, &path).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_blocked_account_is_told_how_long_it_must_really_wait() {
    let clock = Clock::manual(chrono::Utc::now());
    let platform = Platform::start_with(
        "limits_wait",
        Options {
            identity_clock: Some(clock.clone()),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    platform.resident("jeanne@example.org").await;
    let wrong = || login(&platform, "jeanne@example.org", "mauvais mot de passe");
    for _ in 0..5 {
        assert_eq!(wrong().await.status(), StatusCode::UNAUTHORIZED);
    }

    // After 5 failures the account waits 1 minute, then 2, then 4, each counted from the
    // last failure; the header says what is left, even to the right password.
    for (minutes, failures) in [(1, 5), (2, 6), (4, 7)] {
        let refused = wrong().await;
        assert_eq!(
            refused.status(),
            StatusCode::TOO_MANY_REQUESTS,
            "{failures}"
        );
        assert_eq!(
            retry_after(&refused),
            minutes * 60,
            "after {failures} failures"
        );
        let problem: Value = refused.json().await.unwrap();
        assert!(
            problem["detail"]
                .as_str()
                .unwrap()
                .contains(&format!("{minutes} minute")),
            "{problem}"
        );

        clock.advance(chrono::Duration::seconds(25));
        let right = login(&platform, "jeanne@example.org", PASSWORD).await;
        assert_eq!(right.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(retry_after(&right), minutes * 60 - 25);

        // Once the wait is over, the next guess is checked, and fails once more.
        clock.advance(chrono::Duration::seconds(
            i64::try_from(minutes * 60).unwrap() - 25,
        ));
        assert_eq!(wrong().await.status(), StatusCode::UNAUTHORIZED);
    }

    clock.advance(chrono::Duration::minutes(8));
    assert_eq!(
        login(&platform, "jeanne@example.org", PASSWORD)
            .await
            .status(),
        StatusCode::OK
    );
}
