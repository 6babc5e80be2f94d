//! Reset and verification links rest nowhere but in the resident's mailbox: their
//! secret is in no table of any service (outbox, inbox, deliveries…) and in no message
//! of any queue of the platform's vhost, while the links still work.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use base64::Engine as _;
use guichet_kit::testing::{eventually, rows_mentioning};
use guichet_tests::{Options, Platform};
use reqwest::StatusCode;
use serde_json::{Value, json};

const JEANNE: &str = "jeanne@example.org";
const PASSWORD: &str = "une phrase de passe solide";
const NEW_PASSWORD: &str = "un tout nouveau mot de passe";
/// Binds every event of the platform, to read what went through the broker.
const SPY: &str = "test.spy";

/// The RabbitMQ management API, as the kit's test helpers reach it.
fn management_api() -> String {
    std::env::var("GUICHET_TEST_RABBITMQ_API")
        .unwrap_or_else(|_| "http://127.0.0.1:15672".to_owned())
}

/// The platform's vhost, the last segment of its broker URL.
fn vhost(platform: &Platform) -> String {
    use secrecy::ExposeSecret as _;
    platform
        .amqp()
        .url
        .expose_secret()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

/// Declares a queue bound to every routing key of the platform's exchange: every event
/// published from now on stays there for the test to read.
async fn spy_on_events(platform: &Platform) {
    let (api, vhost, http) = (management_api(), vhost(platform), reqwest::Client::new());
    let declared = http
        .put(format!("{api}/api/queues/{vhost}/{SPY}"))
        .basic_auth("guest", Some("guest"))
        .json(&json!({"durable": false, "auto_delete": false}))
        .send()
        .await
        .unwrap();
    assert!(declared.status().is_success(), "{}", declared.status());
    let exchange = &platform.amqp().exchange;
    let bound = http
        .post(format!("{api}/api/bindings/{vhost}/e/{exchange}/q/{SPY}"))
        .basic_auth("guest", Some("guest"))
        .json(&json!({"routing_key": "#"}))
        .send()
        .await
        .unwrap();
    assert!(bound.status().is_success(), "{}", bound.status());
}

/// Every message in every queue of the platform's vhost (consumers' queues, their retry
/// and dead-letter queues, the spy), read and put back: its queue, and its properties
/// and body as bytes; and how many queues there are.
async fn queued_messages(platform: &Platform) -> (usize, Vec<(String, Vec<u8>)>) {
    let (api, vhost, http) = (management_api(), vhost(platform), reqwest::Client::new());
    let listed = http
        .get(format!("{api}/api/queues/{vhost}"))
        .basic_auth("guest", Some("guest"))
        .send()
        .await
        .unwrap();
    let queues = answer(listed, "listing the queues").await;
    let mut messages = Vec::new();
    for queue in &queues {
        let name = queue["name"].as_str().unwrap().to_owned();
        let got = http
            .post(format!("{api}/api/queues/{vhost}/{name}/get"))
            .basic_auth("guest", Some("guest"))
            .json(&json!({"count": 10_000, "ackmode": "ack_requeue_true", "encoding": "base64"}))
            .send()
            .await
            .unwrap();
        let got = answer(got, &format!("reading queue {name}")).await;
        for message in got {
            let mut bytes = base64::engine::general_purpose::STANDARD
                .decode(message["payload"].as_str().unwrap())
                .unwrap();
            bytes.extend_from_slice(message["properties"].to_string().as_bytes());
            messages.push((name.clone(), bytes));
        }
    }
    (queues.len(), messages)
}

/// The management API's JSON answer, or the test fails saying what it asked and what
/// came back.
async fn answer(response: reqwest::Response, asked: &str) -> Vec<Value> {
    let status = response.status();
    let body = response.text().await.unwrap_or_default();
    assert!(status.is_success(), "{asked}: {status} {body}");
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("{asked}: {e} in {body}"))
}

/// The secret (`jeton`) of the link to `page` in the e-mail `address` received.
async fn token_in_mail(platform: &Platform, address: &str, page: &str) -> String {
    let text = eventually(|| async {
        platform
            .outbox()
            .mails_to(address)
            .into_iter()
            .filter_map(|m| m["text"].as_str().map(str::to_owned))
            .find(|text| text.contains(page))
    })
    .await
    .unwrap_or_else(|| panic!("no e-mail with a link to {page}"));
    let start = text.find(&format!("{page}?jeton=")).unwrap() + page.len() + "?jeton=".len();
    let token: String = text[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_')
        .collect();
    assert!(token.len() >= 40, "a 256-bit secret: {token:?}");
    token
}

fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

async fn login(platform: &Platform, password: &str) -> StatusCode {
    platform
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": JEANNE, "password": password}),
        )
        .await
        .status()
}

#[tokio::test]
async fn reset_and_verification_secrets_are_in_no_table_and_no_queue() {
    let platform = Platform::start_with(
        "nosecret",
        Options {
            outbox: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    spy_on_events(&platform).await;

    let signed_up = platform
        .post_json(
            "/api/v1/auth/signup",
            &json!({"email": JEANNE, "password": PASSWORD}),
        )
        .await;
    assert_eq!(signed_up.status(), StatusCode::CREATED);
    let reset = platform
        .post_json("/api/v1/auth/password-reset", &json!({"email": JEANNE}))
        .await;
    assert_eq!(reset.status(), StatusCode::ACCEPTED);
    let verification = token_in_mail(&platform, JEANNE, "/compte/verifier-email").await;
    let reset = token_in_mail(&platform, JEANNE, "/compte/nouveau-mot-de-passe").await;

    // Both events crossed the broker, and neither the events nor anything else queued
    // holds a secret.
    // Every consumer's queues are declared by then (each service's consumer declares
    // its own as it connects, which a loaded machine may take a moment to do).
    let seen = eventually(|| async {
        let (queues, messages) = queued_messages(&platform).await;
        let spied = messages.iter().filter(|(queue, _)| queue == SPY).count();
        (queues > 6 && spied >= 2).then_some(messages)
    })
    .await
    .expect("the account events reached the spy queue, and every consumer declared its queues");
    for token in [&verification, &reset] {
        for (queue, bytes) in &seen {
            assert!(
                !bytes.windows(token.len()).any(|w| w == token.as_bytes()),
                "a link's secret is queued in {queue}"
            );
        }
    }

    // No table of any service holds a secret, as text or as bytes (the outbox keeps
    // events as protobuf: `bytea` reads as hex).
    assert_eq!(platform.databases.len(), 5, "every service's database");
    for (service, pool) in &platform.databases {
        for token in [&verification, &reset] {
            for needle in [token.clone(), hex(token)] {
                let found = rows_mentioning(pool, &needle).await.unwrap();
                assert!(
                    found.is_empty(),
                    "{service} stores a link's secret: {found:?}"
                );
            }
        }
    }

    // The links still work: the address is confirmed, the password changed.
    let verified = platform
        .post_json("/api/v1/auth/verify-email", &json!({"token": verification}))
        .await;
    assert_eq!(verified.status(), StatusCode::NO_CONTENT);
    let changed = platform
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": reset, "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::NO_CONTENT);
    assert_eq!(login(&platform, NEW_PASSWORD).await, StatusCode::OK);
    assert_eq!(login(&platform, PASSWORD).await, StatusCode::UNAUTHORIZED);
    // A link works once.
    let again = platform
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": reset, "new_password": "encore un autre mot de passe"}),
        )
        .await;
    assert!(again.status().is_client_error(), "{}", again.status());
}

#[tokio::test]
async fn a_reset_with_an_unknown_token_is_refused() {
    let platform = Platform::start("badreset").await.unwrap();
    platform.resident(JEANNE).await;
    let refused = platform
        .post_json(
            "/api/v1/auth/password-reset/confirm",
            &json!({"token": "inconnu-0123456789abcdefghijklmnopqrstuvwxyz", "new_password": NEW_PASSWORD}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let problem: Value = refused.json().await.unwrap();
    assert!(problem.to_string().contains("token"), "{problem}");
    // Nothing changed.
    assert_eq!(login(&platform, PASSWORD).await, StatusCode::OK);
    assert_eq!(
        login(&platform, NEW_PASSWORD).await,
        StatusCode::UNAUTHORIZED
    );
}
