//! Abuse bounded without locking the city out. Behind the ingress every resident shares
//! one TCP peer: the gateway believes the forwarding headers of trusted proxies only, so
//! one abuser's address is throttled and nobody else's; an untrusted client cannot pick
//! its address by header. Writes that cost the city (filings, sign-ups, resets…) are
//! limited per address and per account, answered 429 with the true wait, while agents
//! keep working.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_gateway::WriteLimits;
use guichet_tests::{Options, Platform};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

const PASSWORD: &str = "une phrase de passe solide";

async fn login_from(platform: &Platform, from: &str, email: &str, password: &str) -> StatusCode {
    platform
        .http
        .post(platform.url("/api/v1/auth/login"))
        .header("x-forwarded-for", from)
        .json(&json!({"email": email, "password": password}))
        .send()
        .await
        .unwrap()
        .status()
}

async fn lookup_from(platform: &Platform, from: &str) -> StatusCode {
    platform
        .http
        .get(platform.url(&format!(
            "/api/v1/demands/{}",
            guichet_kit::TrackingNumber::generate(guichet_kit::Owner::Complaints)
        )))
        .header("forwarded", format!("for={from};proto=https"))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn behind_a_trusted_proxy_one_address_failing_does_not_slow_another() {
    let platform = Platform::start_with(
        "abuse_proxy",
        Options {
            trusted_proxies: vec!["127.0.0.1".to_owned()],
            lookups_per_minute: Some(3),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    platform.resident("ines@example.org").await;

    // 25 failed logins from one resident's address, on as many accounts.
    let abuser = "203.0.113.7";
    for n in 0..25 {
        let status = login_from(&platform, abuser, &format!("x{n}@example.org"), "faux").await;
        assert!(
            status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS,
            "{status}"
        );
    }
    // That address now waits, even for yet another unknown account…
    assert_eq!(
        login_from(&platform, abuser, "y@example.org", "faux").await,
        StatusCode::TOO_MANY_REQUESTS
    );
    // …while a resident elsewhere in the city is not slowed at all: a typo is answered
    // as a typo, and the right password signs in at once.
    let elsewhere = "198.51.100.9";
    assert_eq!(
        login_from(&platform, elsewhere, "ines@example.org", "pas le bon").await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        login_from(&platform, elsewhere, "ines@example.org", PASSWORD).await,
        StatusCode::OK
    );

    // Lookups count per real address too: one address spends its quota, another has
    // its own (IPv6 through the standard header included).
    for _ in 0..3 {
        assert_eq!(lookup_from(&platform, abuser).await, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        lookup_from(&platform, abuser).await,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert_eq!(
        lookup_from(&platform, "\"[2001:db8::17]:4711\"").await,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_untrusted_client_cannot_choose_its_address_by_header() {
    let platform = Platform::start_with(
        "abuse_untrusted",
        Options {
            lookups_per_minute: Some(3),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    // A new forged address each time: all counted under the real peer.
    for n in 0..3 {
        let status = lookup_from(&platform, &format!("198.51.100.{n}")).await;
        assert_eq!(status, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        lookup_from(&platform, "198.51.100.99").await,
        StatusCode::TOO_MANY_REQUESTS
    );
}

fn pothole(n: u32) -> Value {
    json!({
        "category": "NID_DE_POULE",
        "description": format!("Trou numéro {n} sur la chaussée."),
        "location": {"latitude": 43.5263, "longitude": 5.4474, "address": "Cours Mirabeau"},
        "contact": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr"}
    })
}

/// A refusal for going over a write limit: 429, problem+json, the true wait.
async fn over_the_limit(response: reqwest::Response) {
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let wait: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    // One more filing every hour / quota: far more than a minute, never more than that.
    assert!((60..=3_600 / 2).contains(&wait), "Retry-After {wait}");
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], "too_many_requests", "{body}");
}

#[tokio::test]
async fn writes_are_limited_per_address_and_per_account_but_not_for_agents() {
    let platform = Platform::start_with(
        "abuse_writes",
        Options {
            trusted_proxies: vec!["127.0.0.1".to_owned()],
            write_limits: Some(WriteLimits {
                filings_per_hour: 2,
                sign_ups_per_hour: 2,
                password_resets_per_hour: 2,
                ..WriteLimits::default()
            }),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let file_from = |from: &'static str, token: Option<String>, n: u32| {
        let mut request = platform
            .http
            .post(platform.url("/api/v1/complaints"))
            .header("x-forwarded-for", from)
            .json(&pothole(n));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    // Anonymous: two filings from one address, then a wait; nothing stored for the third.
    for n in 0..2 {
        let filed = file_from("203.0.113.7", None, n).await.unwrap();
        assert_eq!(filed.status(), StatusCode::CREATED);
    }
    over_the_limit(file_from("203.0.113.7", None, 2).await.unwrap()).await;
    assert_eq!(platform.complaints_rows("complaints").await, 2);
    // Another address is not concerned.
    let filed = file_from("198.51.100.9", None, 3).await.unwrap();
    assert_eq!(filed.status(), StatusCode::CREATED);

    // Sign-ups and password resets: per address.
    for n in 0..2 {
        let response = platform
            .http
            .post(platform.url("/api/v1/auth/password-reset"))
            .header("x-forwarded-for", "203.0.113.8")
            .json(&json!({"email": format!("r{n}@example.org")}))
            .send()
            .await
            .unwrap();
        assert!(response.status().is_success(), "{}", response.status());
    }
    let third = platform
        .http
        .post(platform.url("/api/v1/auth/password-reset"))
        .header("x-forwarded-for", "203.0.113.8")
        .json(&json!({"email": "r3@example.org"}))
        .send()
        .await
        .unwrap();
    over_the_limit(third).await;

    // A signed-in resident counts on their account, wherever they are.
    let resident = platform.resident("jeanne@example.org").await;
    for n in 0..2 {
        let from = if n == 0 { "192.0.2.1" } else { "192.0.2.2" };
        let filed = file_from(from, Some(resident.clone()), 10 + n)
            .await
            .unwrap();
        assert_eq!(filed.status(), StatusCode::CREATED);
    }
    over_the_limit(file_from("192.0.2.3", Some(resident), 12).await.unwrap()).await;

    // An agent at the desk files for callers all day long.
    let desk = platform.agent("sophie", &["MRU"]).await;
    for n in 0..5 {
        let filed = file_from("203.0.113.7", Some(desk.clone()), 20 + n)
            .await
            .unwrap();
        assert_eq!(filed.status(), StatusCode::CREATED);
    }
}
