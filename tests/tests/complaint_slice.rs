//! The foundation slice end to end: a resident without an account files a complaint
//! through the gateway, follows it by number from another channel, and the responsible
//! department's agents see it in their feed — through gRPC, PostgreSQL with the outbox,
//! RabbitMQ and the notifications consumer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_kit::{TrackingNumber, testing};
use guichet_tests::{Options, Platform};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

fn pothole() -> Value {
    json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond sur la chaussée, dangereux pour les deux-roues.",
        "location": {"latitude": 43.5263, "longitude": 5.4474, "address": "Cours Mirabeau"},
        "contact": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr"}
    })
}

async fn problem(response: reqwest::Response, status: StatusCode, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status.as_u16());
    assert!(!body["detail"].as_str().unwrap().is_empty());
    body
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|errors| {
            errors
                .iter()
                .map(|e| e["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

async fn feed(platform: &Platform, agent: &str) -> Vec<Value> {
    let response = platform.get_as(agent, "/api/v1/agent/feed").await;
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["items"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_anonymous_complaint_gets_a_tracking_number_and_reaches_its_department_feed() {
    let platform = Platform::start("slice").await.unwrap();

    let categories: Value = platform
        .get("/api/v1/complaints/categories")
        .await
        .json()
        .await
        .unwrap();
    let pothole_category = categories
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["code"] == "NID_DE_POULE")
        .expect("pothole category");
    assert_eq!(
        pothole_category["label"],
        "Nid-de-poule / chaussée dégradée"
    );
    assert_eq!(pothole_category["department"], "VOIRIE");
    // A resident whose session expired still sees the form's categories: the public
    // list checks no token.
    let stale = platform
        .get_as("eyJ.perime.jeton", "/api/v1/complaints/categories")
        .await;
    assert_eq!(stale.status(), StatusCode::OK);
    let stale: Value = stale.json().await.unwrap();
    assert_eq!(stale, categories);

    let response = platform.post_json("/api/v1/complaints", &pothole()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let location = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let filed: Value = response.json().await.unwrap();
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    assert!(number.starts_with('C'), "{number}");
    assert_eq!(location, format!("/api/v1/demands/{number}"));
    assert_eq!(filed["status"], "submitted");
    assert_eq!(filed["kind"], "complaint");

    // Another channel: the number read over the phone, typed in lower case without dashes.
    let typed = TrackingNumber::parse(&number)
        .unwrap()
        .compact()
        .to_lowercase();
    let response = platform.get(&format!("/api/v1/demands/{typed}")).await;
    assert_eq!(response.status(), StatusCode::OK);
    let demand: Value = response.json().await.unwrap();
    assert_eq!(demand["tracking_number"], number);
    assert_eq!(demand["status"], "submitted");
    assert_eq!(demand["department"], "VOIRIE");
    assert_eq!(
        demand["title"],
        "Nid-de-poule / chaussée dégradée — Cours Mirabeau"
    );
    let timeline = demand["timeline"].as_array().unwrap();
    assert_eq!(timeline.len(), 1);
    assert_eq!(timeline[0]["status"], "submitted");
    assert_eq!(timeline[0]["channel"], "web");
    assert_eq!(timeline[0]["author"]["role"], "resident");
    let created: chrono::DateTime<chrono::Utc> =
        demand["created_at"].as_str().unwrap().parse().unwrap();
    let due: chrono::DateTime<chrono::Utc> = demand["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due - created, chrono::Duration::days(10));

    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let items = testing::eventually(|| async {
        let items = feed(&platform, &roads).await;
        (!items.is_empty()).then_some(items)
    })
    .await
    .expect("the roads feed shows the complaint");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["tracking_number"], number);
    assert_eq!(items[0]["event_type"], "complaints.complaint.filed");
    assert_eq!(
        items[0]["title"],
        "Nouvelle doléance : Nid-de-poule / chaussée dégradée — Cours Mirabeau"
    );
    assert!(
        feed(&platform, &police).await.is_empty(),
        "the police do not see roads work"
    );
}

#[tokio::test]
async fn bad_input_is_answered_with_a_problem_and_stores_nothing() {
    let platform = Platform::start("badinput").await.unwrap();

    let mut unknown_category = pothole();
    unknown_category["category"] = json!("VOLCAN_EN_ERUPTION");
    let body = problem(
        platform
            .post_json("/api/v1/complaints", &unknown_category)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["category"]);
    assert_eq!(body["errors"][0]["detail"], "Cette catégorie n'existe pas.");

    let mut empty_description = pothole();
    empty_description["description"] = json!("   ");
    let body = problem(
        platform
            .post_json("/api/v1/complaints", &empty_description)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["description"]);

    let mut out_of_range = pothole();
    out_of_range["location"] = json!({"latitude": 43.52, "longitude": 190.0});
    let body = problem(
        platform
            .post_json("/api/v1/complaints", &out_of_range)
            .await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "validation_failed",
    )
    .await;
    assert_eq!(fields(&body), ["location.longitude"]);

    let mut wrong_type = pothole();
    wrong_type["location"]["latitude"] = json!("quarante-trois");
    let body = problem(
        platform.post_json("/api/v1/complaints", &wrong_type).await,
        StatusCode::BAD_REQUEST,
        "invalid_json",
    )
    .await;
    assert_eq!(fields(&body), ["location.latitude"]);

    let not_json = platform
        .http
        .post(platform.url("/api/v1/complaints"))
        .header(header::CONTENT_TYPE, "application/json")
        .body("category=NID_DE_POULE&description=trou")
        .send()
        .await
        .unwrap();
    problem(not_json, StatusCode::BAD_REQUEST, "invalid_json").await;

    let form = platform
        .http
        .post(platform.url("/api/v1/complaints"))
        .form(&[("category", "NID_DE_POULE")])
        .send()
        .await
        .unwrap();
    problem(
        form,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_media_type",
    )
    .await;

    let body = problem(
        platform.get("/api/v1/demands/C0FF-EE").await,
        StatusCode::BAD_REQUEST,
        "invalid_tracking_number",
    )
    .await;
    assert_eq!(fields(&body), ["tracking_number"]);

    // A well-formed number nobody was given.
    let stranger = TrackingNumber::generate(guichet_kit::Owner::Complaints);
    problem(
        platform.get(&format!("/api/v1/demands/{stranger}")).await,
        StatusCode::NOT_FOUND,
        "demand_not_found",
    )
    .await;
    // Numbers of silos that do not serve demands yet answer the same.
    let rapo = TrackingNumber::generate(guichet_kit::Owner::Rapo);
    problem(
        platform.get(&format!("/api/v1/demands/{rapo}")).await,
        StatusCode::NOT_FOUND,
        "demand_not_found",
    )
    .await;

    assert_eq!(
        platform.complaints_rows("complaints").await,
        0,
        "nothing stored"
    );
    assert_eq!(
        platform.complaints_rows("outbox").await,
        0,
        "no event published"
    );
    let admin = platform.admin().await;
    assert!(feed(&platform, &admin).await.is_empty());
}

#[tokio::test]
async fn a_mobile_retry_with_the_same_idempotency_key_files_once() {
    let platform = Platform::start("idem").await.unwrap();
    let send = || {
        platform
            .http
            .post(platform.url("/api/v1/complaints"))
            .header("Idempotency-Key", "8d1c5e0a-retry")
            .json(&pothole())
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let second = send().await.unwrap();
    assert_eq!(second.status(), StatusCode::CREATED);
    let second: Value = second.json().await.unwrap();
    assert_eq!(first["tracking_number"], second["tracking_number"]);
    assert_eq!(platform.complaints_rows("complaints").await, 1);
    assert_eq!(platform.complaints_rows("outbox").await, 1);
}

#[tokio::test]
async fn tracking_number_lookups_are_rate_limited() {
    let options = Options {
        lookups_per_minute: Some(3),
        ..Options::default()
    };
    let platform = Platform::start_with("ratelimit", options).await.unwrap();
    let stranger = TrackingNumber::generate(guichet_kit::Owner::Complaints);
    for _ in 0..3 {
        let response = platform.get(&format!("/api/v1/demands/{stranger}")).await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
    }
    let response = platform.get(&format!("/api/v1/demands/{stranger}")).await;
    assert!(response.headers().contains_key(header::RETRY_AFTER));
    problem(response, StatusCode::TOO_MANY_REQUESTS, "too_many_requests").await;
}

#[tokio::test]
async fn one_silo_down_leaves_the_gateway_ready_and_the_others_working() {
    let platform = Platform::start("ready").await.unwrap();
    assert_eq!(platform.get("/healthz").await.status(), StatusCode::OK);
    let ready = platform.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "ready");
    assert_eq!(body["services"]["complaints"], "serving");

    let options = Options {
        without: Some("rapo"),
        ..Options::default()
    };
    let degraded = Platform::start_with("notready", options).await.unwrap();
    // The gateway stays in the load balancer: only RAPO's routes fail.
    let ready = degraded.get("/readyz").await;
    assert_eq!(ready.status(), StatusCode::OK);
    let body: Value = ready.json().await.unwrap();
    assert_eq!(body["status"], "degraded");
    assert_eq!(body["services"]["rapo"], "unavailable");
    assert_eq!(body["services"]["complaints"], "serving");
    let rapo = degraded
        .post_json("/api/v1/rapo/disputes", &json!({"notice_number": "1"}))
        .await;
    problem(rapo, StatusCode::SERVICE_UNAVAILABLE, "service_unavailable").await;
    let filed = degraded.post_json("/api/v1/complaints", &pothole()).await;
    assert_eq!(filed.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let platform = Platform::start("openapi").await.unwrap();
    let doc: Value = platform
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/v1/complaints",
        "/api/v1/complaints/categories",
        "/api/v1/demands/{tracking_number}",
        "/api/v1/agent/feed",
    ] {
        assert!(
            doc["paths"].get(path).is_some(),
            "{path} missing from OpenAPI"
        );
    }
    problem(
        platform.get("/api/v1/nowhere").await,
        StatusCode::NOT_FOUND,
        "route_not_found",
    )
    .await;
}
