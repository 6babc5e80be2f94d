//! Lists come a page at a time: `limit`, then the `Link: <…>; rel="next"` address until
//! there is none. Walking a list gives every item once, in order, even when new items
//! arrive meanwhile; a forged cursor is refused naming the field.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use guichet_tests::Platform;
use reqwest::StatusCode;
use serde_json::{Value, json};

fn numbers(pages: &[Vec<Value>]) -> Vec<String> {
    pages
        .iter()
        .flatten()
        .map(|d| d["tracking_number"].as_str().unwrap().to_owned())
        .collect()
}

async fn file(platform: &Platform, token: Option<&str>) -> String {
    let response = match token {
        Some(token) => {
            platform
                .post_json_as(token, "/api/v1/complaints", &guichet_tests::pothole())
                .await
        }
        None => {
            platform
                .post_json("/api/v1/complaints", &guichet_tests::pothole())
                .await
        }
    };
    assert_eq!(response.status(), StatusCode::CREATED);
    let filed: Value = response.json().await.unwrap();
    filed["tracking_number"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_residents_demands_of_every_silo_come_page_by_page_newest_first() {
    let platform = Platform::start("pages_resident").await.unwrap();
    let designer = platform
        .agent_with_roles("hugo", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    platform
        .publish_teleservice(
            &designer,
            &guichet_tests::birth_certificate("acte-page", &[]),
        )
        .await;
    let resident = platform.resident("lucie.page@example.org").await;
    let mut filed = Vec::new();
    for i in 0..5 {
        let number = if i % 2 == 0 {
            file(&platform, Some(&resident)).await
        } else {
            let response = platform
                .post_json_as(
                    &resident,
                    "/api/v1/teleservices/acte-page/demands",
                    &json!({"data": {"nom": format!("Page {i}")}}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
            let demand: Value = response.json().await.unwrap();
            demand["tracking_number"].as_str().unwrap().to_owned()
        };
        filed.push(number);
    }
    filed.reverse();

    let pages = platform
        .walk(&resident, "/api/v1/me/demands?limit=2", None)
        .await;
    assert_eq!(numbers(&pages), filed, "every demand once, newest first");
    assert!(pages.iter().all(|p| p.len() <= 2));
    assert!(pages.len() >= 3, "five demands, two a page");

    // A forged cursor is refused, naming the parameter.
    let refused = platform
        .get_as(&resident, "/api/v1/me/demands?cursor=pas-un-curseur")
        .await;
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_cursor");
    assert_eq!(problem["errors"][0]["field"], "cursor");
}

#[tokio::test]
async fn a_department_walks_its_demands_and_feed_without_repeat_while_new_ones_arrive() {
    let platform = Platform::start("pages_department").await.unwrap();
    let agent = platform.agent("maelys", &["VOIRIE"]).await;
    let mut filed = Vec::new();
    for _ in 0..5 {
        filed.push(file(&platform, None).await);
    }
    filed.reverse();

    // The first page, then a new filing, then the rest: the newcomer is at the top of a
    // fresh walk, never in the middle of this one.
    let first = platform
        .get_as(&agent, "/api/v1/agent/demands?department=VOIRIE&limit=2")
        .await;
    let link = first.headers()["link"].to_str().unwrap().to_owned();
    let first: Vec<Value> = first.json().await.unwrap();
    let newcomer = file(&platform, None).await;
    let next = link.trim_start_matches('<').split_once('>').unwrap().0;
    let rest = platform.walk(&agent, next, None).await;
    let mut walked = numbers(&[first]);
    walked.extend(numbers(&rest));
    assert_eq!(walked, filed);
    let fresh = platform
        .walk(
            &agent,
            "/api/v1/agent/demands?department=VOIRIE&limit=4",
            None,
        )
        .await;
    assert_eq!(numbers(&fresh)[0], newcomer);
    assert_eq!(numbers(&fresh).len(), 6);

    // The feed: one item per filing once the notifications service has them all.
    let deadline = Instant::now() + Duration::from_secs(20);
    let pages = loop {
        let pages = platform
            .walk(
                &agent,
                "/api/v1/agent/feed?department=VOIRIE&limit=2",
                Some("items"),
            )
            .await;
        if pages.iter().flatten().count() >= 6 || Instant::now() > deadline {
            break pages;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut items = numbers(&pages);
    assert_eq!(items.len(), 6, "{pages:?}");
    assert_eq!(items[0], newcomer, "newest first");
    items.sort();
    items.dedup();
    assert_eq!(items.len(), 6, "no item twice");
}

#[tokio::test]
async fn the_audit_log_comes_page_by_page() {
    let platform = Platform::start("pages_audit").await.unwrap();
    let admin = platform.admin().await;
    for login in ["ana", "ben", "cleo", "dan", "eve"] {
        let created = platform
            .post_json_as(
                &admin,
                "/api/v1/admin/agents",
                &json!({"login": login, "password": format!("mot-de-passe-de-{login}"),
                        "name": login, "departments": ["VOIRIE"], "roles": ["agent"]}),
            )
            .await;
        assert_eq!(created.status(), StatusCode::CREATED);
    }
    let whole: Value = platform
        .get_as(&admin, "/api/v1/admin/audit?limit=1000")
        .await
        .json()
        .await
        .unwrap();
    let whole: Vec<String> = whole["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert!(whole.len() >= 5, "{whole:?}");
    let pages = platform
        .walk(&admin, "/api/v1/admin/audit?limit=2", Some("entries"))
        .await;
    let walked: Vec<String> = pages
        .iter()
        .flatten()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(walked, whole);
}
