//! Nothing hangs a resident's page: a hung service answers `503` (the call's deadline)
//! or `504` (the request's) as problem+json with `Retry-After`, within the configured
//! time, while the other silos keep working.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::Duration;

use guichet_gateway::Timeouts;
use guichet_tests::{Options, Platform, pothole};
use reqwest::{StatusCode, header};
use serde_json::Value;

/// Files a complaint, failing the test rather than hanging with the service.
async fn file(platform: &Platform) -> reqwest::Response {
    tokio::time::timeout(
        Duration::from_secs(20),
        platform.post_json("/api/v1/complaints", &pothole()),
    )
    .await
    .expect("the gateway answered before the test gave up")
}

async fn problem(response: reqwest::Response, status: StatusCode, code: &str) {
    assert_eq!(response.status(), status);
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
}

#[tokio::test]
async fn a_hung_service_answers_503_at_the_call_deadline_and_other_silos_keep_working() {
    let platform = Platform::start_with(
        "hung_call",
        Options {
            hung: Some("complaints"),
            timeouts: Some(Timeouts {
                request_seconds: 10,
                call_seconds: 1,
            }),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    problem(
        file(&platform).await,
        StatusCode::SERVICE_UNAVAILABLE,
        "service_unavailable",
    )
    .await;
    let catalogue = platform.get("/api/v1/teleservices").await;
    assert_eq!(catalogue.status(), StatusCode::OK);
}

#[tokio::test]
async fn a_request_outliving_its_limit_answers_504() {
    let platform = Platform::start_with(
        "hung_request",
        Options {
            hung: Some("complaints"),
            timeouts: Some(Timeouts {
                request_seconds: 1,
                call_seconds: 10,
            }),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    problem(
        file(&platform).await,
        StatusCode::GATEWAY_TIMEOUT,
        "gateway_timeout",
    )
    .await;
}

/// Sends a `multipart/form-data` complaint over a raw connection, pausing `pause` half
/// way through the photo, as a phone on a slow network does; answers the status line.
async fn file_slowly(platform: &Platform, pause: Duration) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    const BOUNDARY: &str = "lentement";
    let photo = guichet_kit::testing::photos::jpeg_with_gps();
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"complaint\"\r\n\
         Content-Type: application/json\r\n\r\n{}\r\n--{BOUNDARY}\r\n\
         Content-Disposition: form-data; name=\"photos\"; filename=\"trou.jpg\"\r\n\
         Content-Type: image/jpeg\r\n\r\n",
        pothole()
    )
    .into_bytes();
    body.extend_from_slice(&photo);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let address = platform.base.trim_start_matches("http://");
    let mut stream = tokio::net::TcpStream::connect(address).await.unwrap();
    let head = format!(
        "POST /api/v1/complaints HTTP/1.1\r\nHost: {address}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let (first, rest) = body.split_at(body.len() - photo.len() / 2);
    stream.write_all(first).await.unwrap();
    tokio::time::sleep(pause).await;
    stream.write_all(rest).await.unwrap();
    let mut answer = String::new();
    tokio::time::timeout(Duration::from_secs(20), stream.read_to_string(&mut answer))
        .await
        .expect("the gateway answered before the test gave up")
        .unwrap();
    answer.lines().next().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn a_photo_sent_slowly_is_filed_whatever_the_request_deadline() {
    let platform = Platform::start_with(
        "slow_upload",
        Options {
            timeouts: Some(Timeouts {
                request_seconds: 1,
                call_seconds: 10,
            }),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    // The client's own pace is not a hung service: well past the request deadline, and
    // well within the time a part may stay silent.
    let status = file_slowly(&platform, Duration::from_secs(3)).await;
    assert!(status.contains(" 201 "), "{status}");
}
