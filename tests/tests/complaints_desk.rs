//! The complaints desk end to end (MRU and Allô Mairie): a phone agent files for a
//! caller, the caller follows it and adds a photo from the app, neighbours say "me too",
//! the roads department fixes it and everyone hears the outcome; duplicates are offered
//! within 50 m only; the desk searches, reassigns and merges; supervisors see what is
//! overdue; administrators edit the catalogue.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use base64::{Engine as _, engine::general_purpose::STANDARD};
use guichet_tests::{Platform, json_ok};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Hôtel de Ville, place de l'Hôtel de Ville.
const MAIRIE: (f64, f64) = (43.5300, 5.4478);
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A point `north` and `east` metres from the town hall.
fn near(north: f64, east: f64) -> (f64, f64) {
    let lat = MAIRIE.0 + (north / EARTH_RADIUS_M).to_degrees();
    let lon = MAIRIE.1 + (east / (EARTH_RADIUS_M * MAIRIE.0.to_radians().cos())).to_degrees();
    (lat, lon)
}

/// Real pictures: photos are rewritten without their metadata, so they must parse.
const JPEG: &[u8] = guichet_kit::testing::photos::GRADIENT_JPEG;
const PNG: &[u8] = guichet_kit::testing::photos::PNG;

fn pothole(at: (f64, f64), address: &str) -> Value {
    json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond, dangereux pour les deux-roues.",
        "location": {"latitude": at.0, "longitude": at.1, "address": address},
        "contact": {"name": "Jeanne Martin", "email": "jeanne.martin@example.fr"}
    })
}

/// An agent of `departments` signed in through a registered device of `kind`.
async fn outbox(platform: &Platform, routing_key: &str) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM kit.outbox WHERE routing_key = $1")
        .bind(routing_key)
        .fetch_one(&platform.complaints_db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_phone_agent_files_for_a_caller_who_follows_it_and_every_follower_hears_the_outcome() {
    let platform = Platform::start_with(
        "desk_phone",
        guichet_tests::Options {
            outbox: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let phone_agent = platform.agent_on("phone", "alice", &["MRU"]).await;

    // Allô Mairie: the caller has no account; the agent types what they say.
    let mut filing = pothole(near(0.0, 0.0), "Place de l'Hôtel de Ville");
    filing["contact"] = json!({"name": "Marcel Pagnol", "phone": "06 12 34 56 78"});
    filing["photos"] = json!([{"filename": "appel.jpg", "content_base64": STANDARD.encode(JPEG)}]);
    let filed = json_ok(
        platform
            .post_json_as(&phone_agent, "/api/v1/complaints", &filing)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    assert_eq!(filed["channel"], "phone");
    assert_eq!(filed["department"], "VOIRIE");
    assert_eq!(filed["timeline"][0]["author"]["role"], "agent");
    assert_eq!(filed["timeline"][0]["author"]["name"], "alice");
    assert_eq!(filed["timeline"][0]["channel"], "phone");
    assert_eq!(filed["photos"].as_array().unwrap().len(), 1);
    assert_eq!(filed["photos"][0]["mime_type"], "image/jpeg");
    assert_eq!(filed["duplicates"], json!([]));

    // The caller follows it on the web with the number read to them…
    let demand = json_ok(
        platform.get(&format!("/api/v1/demands/{number}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(demand["status"], "submitted");
    assert_eq!(demand["channel"], "phone");

    // …and adds a photo from the app, with the number only.
    let app = platform.device("app").await;
    let photos = json_ok(
        platform
            .post_json_as(
                &app,
                &format!("/api/v1/demands/{number}/photos"),
                &json!({"filename": "trou.png", "content_base64": STANDARD.encode(PNG)}),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let photos = photos.as_array().unwrap();
    assert_eq!(photos.len(), 2);
    assert_eq!(photos[1]["mime_type"], "image/png");
    assert_eq!(photos[1]["channel"], "app");
    let bytes = platform
        .get(&format!(
            "/api/v1/demands/{number}/photos/{}",
            photos[1]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(bytes.headers()["content-type"], "image/png");
    assert_eq!(bytes.bytes().await.unwrap().as_ref(), PNG);
    // A text file is no photo, whatever it is called.
    let refused = platform
        .post_json_as(
            &app,
            &format!("/api/v1/demands/{number}/photos"),
            &json!({"filename": "trou.jpg", "content_base64": STANDARD.encode(b"pas une image")}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Neighbours see it on the map (public fields only) and say "me too".
    let (lat, lon) = near(20.0, 0.0);
    let map = json_ok(
        platform
            .get(&format!(
                "/api/v1/complaints/nearby?lat={lat}&lon={lon}&radius=100"
            ))
            .await,
        StatusCode::OK,
    )
    .await;
    let spots = map.as_array().unwrap();
    assert_eq!(spots.len(), 1);
    let spot = &spots[0];
    assert!(spot.get("tracking_number").is_none() && spot.get("description").is_none());
    assert!(!spot.to_string().contains("Pagnol") && !spot.to_string().contains("06 12"));
    assert_eq!(spot["state"], "open");
    assert!((spot["distance_m"].as_f64().unwrap() - 20.0).abs() < 0.5);
    let id = spot["id"].as_str().unwrap().to_owned();

    platform.resident("voisine@example.fr").await;
    let neighbour = platform.resident_on(&app, "voisine@example.fr").await;
    let followed = json_ok(
        platform
            .post_json_as(
                &neighbour,
                &format!("/api/v1/complaints/{id}/followers"),
                &json!({}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(followed["complaint"]["followers"], 1);
    let passer_by = json!({"contact": {"name": "Paul", "email": "paul@example.fr"}});
    let path = format!("/api/v1/complaints/{id}/followers");
    let followed = json_ok(platform.post_json(&path, &passer_by).await, StatusCode::OK).await;
    assert_eq!(followed["complaint"]["followers"], 2);
    assert_eq!(followed["already"], false);
    let again = json_ok(platform.post_json(&path, &passer_by).await, StatusCode::OK).await;
    assert_eq!(again["already"], true);
    assert_eq!(again["complaint"]["followers"], 2);
    let no_contact = platform.post_json(&path, &json!({})).await;
    assert_eq!(no_contact.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // The roads department fixes it.
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let fixed = json_ok(
        platform
            .post_json_as(
                &roads,
                &format!("/api/v1/demands/{number}/status"),
                &json!({"status": "resolved", "reason": "Chaussée reprise le jour même."}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(fixed["sub_status"], "fixed");

    // The caller sees the outcome by number…
    let demand = json_ok(
        platform.get(&format!("/api/v1/demands/{number}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(demand["status"], "resolved");
    assert_eq!(demand["sub_status"], "fixed");
    let last = demand["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["text"], "Chaussée reprise le jour même.");

    // …every follower in the public view…
    let public = json_ok(
        platform.get(&format!("/api/v1/complaints/{id}")).await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(public["state"], "fixed");
    assert_eq!(public["sub_status"], "fixed");
    assert_eq!(public["status_notes"], "Chaussée reprise le jour même.");
    assert_eq!(public["followers"], 2);
    let history = public["history"].as_array().unwrap();
    assert_eq!(history.last().unwrap()["status"], "resolved");

    // …and each one is told through an event of their own.
    let followers: Vec<(Option<String>, String)> =
        sqlx::query_as("SELECT resident_id, contact_email FROM followers ORDER BY created_at")
            .fetch_all(&platform.complaints_db)
            .await
            .unwrap();
    assert_eq!(followers.len(), 2);
    assert!(followers[0].0.is_some());
    assert_eq!(followers[1].1, "paul@example.fr");
    assert_eq!(
        outbox(&platform, "complaints.follower.outcome_reached").await,
        2
    );
    // The passer-by, who never held the number, gets an e-mail in French with the
    // complaint's public page; the caller gets the outcome of their own demand.
    let told = guichet_kit::testing::eventually(|| async {
        let mails = platform.outbox().mails_to("paul@example.fr");
        (!mails.is_empty()).then_some(mails)
    })
    .await
    .expect("the follower was never told");
    assert_eq!(told.len(), 1);
    let text = told[0]["text"].as_str().unwrap();
    assert!(text.contains("a été réglé"), "{text}");
    assert!(text.contains(&format!("/signalements/{id}")), "{text}");
    assert!(
        !text.contains(&number),
        "a follower never learns the number"
    );
    // The caller left a phone number: the outcome of their own demand comes by SMS,
    // with the number.
    let texts = guichet_kit::testing::eventually(|| async {
        let texts: Vec<String> = platform
            .outbox()
            .sms()
            .iter()
            .filter_map(|m| m["text"].as_str().map(str::to_owned))
            .filter(|t| t.contains("résolue"))
            .collect();
        (!texts.is_empty()).then_some(texts)
    })
    .await
    .unwrap_or_else(|| panic!("the caller was never told: {:?}", platform.outbox().sms()));
    assert!(texts[0].contains(&number), "{texts:?}");
    // The map shows open complaints only.
    let map = json_ok(
        platform
            .get(&format!("/api/v1/complaints/nearby?lat={lat}&lon={lon}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(map, json!([]));
}

#[tokio::test]
async fn a_complaint_30_m_from_an_open_one_of_its_category_is_offered_as_a_duplicate_and_one_80_m_away_is_not()
 {
    let platform = Platform::start("desk_dup").await.unwrap();
    let first = json_ok(
        platform
            .post_json(
                "/api/v1/complaints",
                &pothole(near(0.0, 0.0), "Place de l'Hôtel de Ville"),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(first["duplicates"], json!([]));

    // Before filing, the app asks.
    let (lat, lon) = near(30.0, 0.0);
    let offered = json_ok(
        platform
            .get(&format!(
                "/api/v1/complaints/duplicates?category=NID_DE_POULE&lat={lat}&lon={lon}"
            ))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(offered.as_array().unwrap().len(), 1);
    let first_id = offered[0]["id"].as_str().unwrap().to_owned();

    // Filing anyway at 30 m: the answer offers the open one.
    let second = json_ok(
        platform
            .post_json(
                "/api/v1/complaints",
                &pothole(near(30.0, 0.0), "Rue Gaston de Saporta"),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    let duplicates = second["duplicates"].as_array().unwrap();
    assert_eq!(duplicates.len(), 1);
    assert_eq!(duplicates[0]["id"], first_id);
    assert_eq!(duplicates[0]["category"], "NID_DE_POULE");
    assert!((duplicates[0]["distance_m"].as_f64().unwrap() - 30.0).abs() < 0.5);

    // 80 m south of the first (110 m from the second): nothing is offered.
    let far = json_ok(
        platform
            .post_json(
                "/api/v1/complaints",
                &pothole(near(-80.0, 0.0), "Rue Thiers"),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(far["duplicates"], json!([]));
    let (lat, lon) = near(-80.0, 0.0);
    let none = json_ok(
        platform
            .get(&format!(
                "/api/v1/complaints/duplicates?category=NID_DE_POULE&lat={lat}&lon={lon}"
            ))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(none.as_array().unwrap().len(), 1, "only itself: {none}");
    assert_ne!(none[0]["id"], first_id);

    // Another category at 10 m is another problem.
    let mut light = pothole(near(10.0, 0.0), "Place de l'Hôtel de Ville");
    light["category"] = json!("ECLAIRAGE_PANNE");
    let light = json_ok(
        platform.post_json("/api/v1/complaints", &light).await,
        StatusCode::CREATED,
    )
    .await;
    assert_eq!(light["duplicates"], json!([]));

    // The roads agent merges the second into the first: closed as a duplicate, its
    // author now follows the first.
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let second_number = second["tracking_number"].as_str().unwrap();
    let kept = json_ok(
        platform
            .post_json_as(
                &roads,
                &format!("/api/v1/agent/complaints/{second_number}/merge"),
                &json!({"into": first["tracking_number"]}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(kept["tracking_number"], first["tracking_number"]);
    let merged = json_ok(
        platform
            .get(&format!("/api/v1/demands/{second_number}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(merged["status"], "closed");
    assert_eq!(merged["sub_status"], "duplicate");
    // Its author reads why it closed, and which complaint goes on.
    let closing = merged["timeline"].as_array().unwrap().last().unwrap();
    assert_eq!(closing["author"]["name"], "karim");
    let text = closing["text"].as_str().unwrap();
    assert!(
        text.starts_with("Doublon") && text.contains(&first_id),
        "{text}"
    );
    // The journal holds the change of both complaints, by the agent who merged them.
    let admin = platform.admin().await;
    for number in [second_number, first["tracking_number"].as_str().unwrap()] {
        let journal = guichet_kit::testing::eventually(|| async {
            let log = json_ok(
                platform
                    .get_as(&admin, &format!("/api/v1/admin/audit?subject={number}"))
                    .await,
                StatusCode::OK,
            )
            .await;
            let changed = log["entries"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["action"] == "change" && e["actor_name"] == "karim");
            changed.then_some(log)
        })
        .await;
        assert!(journal.is_some(), "no change of {number} in the journal");
    }
    let public = json_ok(
        platform
            .get(&format!("/api/v1/complaints/{first_id}"))
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(public["followers"], 1);
}

#[tokio::test]
async fn the_desk_finds_reassigns_and_supervisors_see_what_is_overdue() {
    let platform = Platform::start("desk_handling").await.unwrap();
    let counter_agent = platform.agent_on("counter", "sophie", &["MRU"]).await;

    // A resident with an account comes to the counter: found by name, filed for them.
    let resident = platform.resident("jeanne@example.org").await;
    let found = json_ok(
        platform
            .get_as(&counter_agent, "/api/v1/agent/search?q=jeanne%20martin")
            .await,
        StatusCode::OK,
    )
    .await;
    let account = found["residents"][0]["account_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let mut filing = pothole(near(0.0, 0.0), "Cours Mirabeau");
    filing["category"] = json!("ECLAIRAGE_PANNE");
    filing["contact"] = json!(null);
    filing["resident_id"] = json!(account);
    let filed = json_ok(
        platform
            .post_json_as(&counter_agent, "/api/v1/complaints", &filing)
            .await,
        StatusCode::CREATED,
    )
    .await;
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    assert_eq!(filed["channel"], "counter");
    // It is the resident's own, in their list.
    let mine = json_ok(
        platform.get_as(&resident, "/api/v1/me/demands").await,
        StatusCode::OK,
    )
    .await;
    assert!(mine.to_string().contains(&number), "{mine}");

    // The desk finds it again by the resident's e-mail, and by number.
    for q in ["jeanne@example.org", number.as_str()] {
        let found = json_ok(
            platform
                .get_as(&counter_agent, &format!("/api/v1/agent/search?q={q}"))
                .await,
            StatusCode::OK,
        )
        .await;
        assert_eq!(
            found["demands"][0]["tracking_number"], number,
            "{q}: {found}"
        );
    }
    // Anonymous complaints by the phone number left.
    let mut anonymous = pothole(near(500.0, 0.0), "Rue Espariat");
    anonymous["contact"] = json!({"name": "Marius", "phone": "+33 6 98 76 54 32"});
    let anonymous = json_ok(
        platform.post_json("/api/v1/complaints", &anonymous).await,
        StatusCode::CREATED,
    )
    .await;
    let found = json_ok(
        platform
            .get_as(
                &counter_agent,
                "/api/v1/agent/search?q=06%2098%2076%2054%2032",
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(
        found["demands"][0]["tracking_number"],
        anonymous["tracking_number"]
    );
    assert_eq!(
        platform
            .get_as(&resident, "/api/v1/agent/search?q=jeanne")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );

    // Lighting says it is not theirs: reassigned with a reason.
    let lighting = platform.agent("luc", &["ECLAIRAGE"]).await;
    let moved = json_ok(
        platform
            .post_json_as(
                &lighting,
                &format!("/api/v1/agent/complaints/{number}/reassign"),
                &json!({"department": "TECHNIQUE", "reason": "Le candélabre est sur un bâtiment communal."}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    assert_eq!(moved["department"], "TECHNIQUE");
    let last = moved["timeline"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert!(last["text"].as_str().unwrap().contains("bâtiment communal"));
    assert_eq!(
        outbox(&platform, "complaints.complaint.reassigned").await,
        1
    );

    // Supervisors: the MRU one sees the whole city's overdue complaints once the
    // due date is past; a plain agent is refused.
    sqlx::query(
        "UPDATE complaints SET due_at = now() - interval '1 day' WHERE tracking_number = $1",
    )
    .bind(&number)
    .execute(&platform.complaints_db)
    .await
    .unwrap();
    let supervisor = platform
        .agent_with_roles("chef", &["MRU"], &["agent", "supervisor"])
        .await;
    let overdue = json_ok(
        platform
            .get_as(&supervisor, "/api/v1/agent/complaints/overdue")
            .await,
        StatusCode::OK,
    )
    .await;
    let overdue = overdue.as_array().unwrap();
    assert_eq!(overdue.len(), 1);
    assert_eq!(overdue[0]["tracking_number"], number);
    // Page by page, most overdue first.
    let later = json_ok(
        platform
            .post_json(
                "/api/v1/complaints",
                &pothole(near(0.5, 0.5), "Place des Prêcheurs"),
            )
            .await,
        StatusCode::CREATED,
    )
    .await["tracking_number"]
        .as_str()
        .unwrap()
        .to_owned();
    sqlx::query(
        "UPDATE complaints SET due_at = now() - interval '1 hour' WHERE tracking_number = $1",
    )
    .bind(&later)
    .execute(&platform.complaints_db)
    .await
    .unwrap();
    let pages = platform
        .walk(
            &supervisor,
            "/api/v1/agent/complaints/overdue?limit=1",
            None,
        )
        .await;
    let walked: Vec<&str> = pages
        .iter()
        .flatten()
        .map(|d| d["tracking_number"].as_str().unwrap())
        .collect();
    assert_eq!(walked, [number.as_str(), later.as_str()]);
    assert_eq!(
        platform
            .get_as(&counter_agent, "/api/v1/agent/complaints/overdue")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let everything = json_ok(
        platform
            .get_as(&supervisor, "/api/v1/agent/demands?department=MRU")
            .await,
        StatusCode::OK,
    )
    .await;
    // The complaint filed above for the overdue pages included.
    assert_eq!(everything.as_array().unwrap().len(), 3);

    // Administrators edit the catalogue: a deactivated category is offered to nobody.
    let admin = platform.admin().await;
    let edited = platform
        .http
        .put(platform.url("/api/v1/admin/complaints/categories/MARQUAGE_SOL"))
        .bearer_auth(&admin)
        .json(&json!({"label": "Marquage au sol effacé", "department": "VOIRIE", "sla_days": 30, "active": false, "priority": "P3", "competence": "metropole"}))
        .send()
        .await
        .unwrap();
    let edited = json_ok(edited, StatusCode::OK).await;
    assert_eq!(edited["department"], "VOIRIE");
    assert_eq!(edited["active"], false);
    let offered = json_ok(
        platform.get("/api/v1/complaints/categories").await,
        StatusCode::OK,
    )
    .await;
    assert!(!offered.to_string().contains("MARQUAGE_SOL"));
    let refused = platform
        .http
        .put(platform.url("/api/v1/admin/complaints/categories/MARQUAGE_SOL"))
        .bearer_auth(&supervisor)
        .json(&json!({"label": "x", "department": "VOIRIE", "sla_days": 1, "active": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}
