//! The desk's everyday rules, end to end: names are found however they are typed
//! (accents, case, part of a name), complaints are taken only inside the commune and
//! with something written, reassignment goes only to a department that handles
//! complaints, and a claim leaves its mark in the timeline.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::{Platform, found_numbers, json_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

fn complaint(contact_name: &str, at: (f64, f64)) -> Value {
    json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond au milieu de la chaussée.",
        "location": {"latitude": at.0, "longitude": at.1, "address": "Cours Mirabeau"},
        "contact": {"name": contact_name, "email": "helene.berard@example.fr"}
    })
}

const COURS_MIRABEAU: (f64, f64) = (43.5268, 5.4483);

#[tokio::test]
async fn the_desk_finds_a_caller_without_accents_by_part_of_their_name() {
    let platform = Platform::start("desk_accents").await.unwrap();
    let desk = platform.agent_on("phone", "sophie", &["MRU"]).await;
    let (status, filed) = json_of(
        platform
            .post_json_as(
                &desk,
                "/api/v1/complaints",
                &complaint("Hélène Bérard", COURS_MIRABEAU),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    for query in [
        "Helene%20Berard",
        "HELENE",
        "bera",
        "h%C3%A9l%C3%A8ne%20b%C3%A9rard",
    ] {
        let (status, found) = json_of(
            platform
                .get_as(&desk, &format!("/api/v1/agent/search?q={query}"))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{found}");
        assert_eq!(
            found_numbers(&found),
            std::slice::from_ref(&number),
            "{query}"
        );
    }
    let (_, none) = json_of(
        platform
            .get_as(&desk, "/api/v1/agent/search?q=Helena%20Berard")
            .await,
    )
    .await;
    assert!(found_numbers(&none).is_empty(), "{none}");

    // Accounts too: the resident "Jeanne Martin" is found as "jeanne martin" and
    // with an accent she does not have in her name ("Jéanne").
    platform.resident("jeanne@example.org").await;
    let (_, accounts) = json_of(
        platform
            .get_as(&desk, "/api/v1/agent/search?q=J%C3%A9anne%20mart")
            .await,
    )
    .await;
    assert_eq!(
        accounts["residents"].as_array().unwrap().len(),
        1,
        "{accounts}"
    );
}

#[tokio::test]
async fn a_complaint_outside_the_commune_or_with_nothing_written_is_refused_and_stores_nothing() {
    let platform = Platform::start("desk_territory").await.unwrap();
    for (at, field) in [((48.8566, 2.3522), "location"), ((0.0, 0.0), "location")] {
        let (status, problem) = json_of(
            platform
                .post_json("/api/v1/complaints", &complaint("Jeanne", at))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        let error = &problem["errors"][0];
        assert_eq!(error["field"], field);
        let detail = error["detail"].as_str().unwrap();
        assert!(
            detail.contains("Aix-en-Provence") && detail.contains("mairie de la commune"),
            "{detail}"
        );
    }
    let mut blank = complaint("Jeanne", COURS_MIRABEAU);
    blank["description"] = json!("\u{200B}\u{200D} \u{FEFF}\u{3164}");
    let (status, problem) = json_of(platform.post_json("/api/v1/complaints", &blank).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "description");
    assert_eq!(platform.complaints_rows("complaints").await, 0);
    assert_eq!(platform.complaints_rows("outbox").await, 0);

    // Luynes is in Aix: taken.
    let (status, _) = json_of(
        platform
            .post_json(
                "/api/v1/complaints",
                &complaint("Jeanne", (43.4864, 5.4181)),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_complaint_is_reassigned_only_to_a_department_that_handles_complaints() {
    let platform = Platform::start("desk_reassign").await.unwrap();
    let (_, filed) = json_of(
        platform
            .post_json("/api/v1/complaints", &complaint("Jeanne", COURS_MIRABEAU))
            .await,
    )
    .await;
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let reassign = format!("/api/v1/agent/complaints/{number}/reassign");
    for department in ["NEXISTEPAS", "ETAT_CIVIL"] {
        let (status, problem) = json_of(
            platform
                .post_json_as(
                    &roads,
                    &reassign,
                    &json!({"department": department, "reason": "Pas pour nous."}),
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
        assert_eq!(problem["errors"][0]["field"], "department");
    }
    let (status, problem) = json_of(
        platform
            .post_json_as(
                &roads,
                &reassign,
                &json!({"department": "TECHNIQUE", "reason": "\u{200B}"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    // Still with the roads department, in its list.
    let (_, list) = json_of(
        platform
            .get_as(&roads, "/api/v1/agent/demands?department=VOIRIE")
            .await,
    )
    .await;
    assert!(list.to_string().contains(&number), "{list}");
    let (status, moved) = json_of(
        platform
            .post_json_as(
                &roads,
                &reassign,
                &json!({"department": "TECHNIQUE", "reason": "Regard des eaux pluviales."}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{moved}");
    assert_eq!(moved["department"], "TECHNIQUE");
}

#[tokio::test]
async fn claiming_a_demand_leaves_an_entry_in_its_timeline() {
    let platform = Platform::start("desk_claim").await.unwrap();
    let (_, filed) = json_of(
        platform
            .post_json("/api/v1/complaints", &complaint("Hélène", COURS_MIRABEAU))
            .await,
    )
    .await;
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    let helene = platform.resident("helene.berard@example.fr").await;
    let (status, claimed) = json_of(
        platform
            .post_json_as(
                &helene,
                "/api/v1/me/demands/claim",
                &json!({"tracking_number": number, "email": "Helene.Berard@example.fr"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{claimed}");
    let (_, demand) = json_of(
        platform
            .get_as(&helene, &format!("/api/v1/demands/{number}"))
            .await,
    )
    .await;
    let last = demand["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "message", "{demand}");
    assert_eq!(last["author"]["role"], "resident");
    assert_eq!(last["channel"], "web");
    assert_eq!(last["text"], "Demande rattachée au compte de l'usager.");
}
