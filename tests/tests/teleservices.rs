//! Teleservices end to end through the gateway: designers build, pilot and publish;
//! residents keep drafts across channels, upload files and submit; agents handle the
//! demand; the timeline tells each step with its channel.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use base64::Engine as _;
use guichet_tests::{Platform, json_of};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

/// The smallest valid PNG: what a phone camera upload is, as far as type goes.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// A small civil-status teleservice: a reason, a choice that reveals a field, a file.
fn certificate(slug: &str) -> Value {
    json!({
        "slug": slug,
        "title": "Copie d'acte de naissance (essai)",
        "theme": "ETAT_CIVIL",
        "department": "ETAT_CIVIL",
        "description": "Demande de copie intégrale ou d'extrait d'acte de naissance.",
        "audience": {"access": "anonymous"},
        "channels": ["web", "app", "kiosk", "counter", "phone"],
        "sla_days": 10,
        "sub_statuses": [
            {"code": "acte_envoye", "label": "Acte envoyé par courrier", "status": "resolved"}
        ],
        "pages": [{"title": "La demande", "fields": [
            {"id": "nom", "type": "short_text", "label": "Nom de naissance", "required": true},
            {"id": "copie", "type": "choice", "label": "Type de document", "required": true,
             "options": [
                {"value": "integrale", "label": "Copie intégrale"},
                {"value": "extrait", "label": "Extrait avec filiation"}
             ]},
            {"id": "motif", "type": "long_text", "label": "Motif de la copie intégrale",
             "visible_if": {"eq": {"field": "copie", "value": "integrale"}},
             "required": true},
            {"id": "piece", "type": "file", "label": "Pièce d'identité",
             "accept": ["image/png", "image/jpeg", "application/pdf"], "max_size": 1000000}
        ]}]
    })
}

async fn designer(platform: &Platform) -> String {
    platform
        .agent_with_roles("claire", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await
}

/// Saves a definition and moves the teleservice to `state` (with `pilot` if given).
async fn publish(platform: &Platform, designer: &str, definition: &Value, state: Value) -> Value {
    let saved = platform
        .post_json_as(designer, "/api/v1/agent/teleservices", definition)
        .await;
    assert!(
        saved.status().is_success(),
        "{}",
        saved.text().await.unwrap()
    );
    let slug = definition["slug"].as_str().unwrap();
    let changed = platform
        .post_json_as(
            designer,
            &format!("/api/v1/agent/teleservices/{slug}/state"),
            &state,
        )
        .await;
    let status = changed.status();
    let body: Value = changed.json().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

/// Signs a resident in on the web (no device).
async fn log_in(platform: &Platform, email: &str) -> String {
    let (status, tokens) = json_of(
        platform
            .post_json(
                "/api/v1/auth/login",
                &json!({"email": email, "password": "une phrase de passe solide"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    tokens["access_token"].as_str().unwrap().to_owned()
}

async fn put_json_as(
    platform: &Platform,
    token: &str,
    path: &str,
    body: &Value,
) -> reqwest::Response {
    platform
        .http
        .put(platform.url(path))
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap()
}

fn channels_of(demand: &Value) -> Vec<(String, String)> {
    demand["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let what = e["status"]
                .as_str()
                .map_or_else(|| "message".to_owned(), str::to_owned);
            (what, e["channel"].as_str().unwrap().to_owned())
        })
        .collect()
}

#[tokio::test]
async fn a_draft_started_on_the_app_is_submitted_on_the_web_and_answered_at_the_kiosk() {
    let platform = Platform::start("tls_journey").await.unwrap();
    let designer = designer(&platform).await;
    publish(
        &platform,
        &designer,
        &certificate("acte-essai"),
        json!({"state": "published"}),
    )
    .await;

    // On the app, without an account: a draft, and a photo of the ID card.
    let app = platform.device("app").await;
    let (status, draft) = json_of(
        platform
            .post_json_as(
                &app,
                "/api/v1/teleservices/acte-essai/drafts",
                &json!({"data": {"nom": "Martin"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    assert_eq!(draft["channel"], "app");
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    let (status, upload) = json_of(
        platform
            .post_json_as(
                &app,
                &format!("/api/v1/drafts/{draft_id}/attachments"),
                &json!({"filename": "cni.png",
                        "content_base64": base64::engine::general_purpose::STANDARD.encode(PNG)}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{upload}");
    assert_eq!(upload["mime_type"], "image/png");
    assert_eq!(upload["sha256"], hex::encode(Sha256::digest(PNG)));

    // On the web, the same draft by its id: finished and submitted.
    let (status, resumed) =
        json_of(platform.get(&format!("/api/v1/drafts/{draft_id}")).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(resumed["data"]["nom"], "Martin");
    assert_eq!(resumed["attachments"][0]["id"], upload["id"]);
    let answers = json!({"data": {"nom": "Martin", "copie": "integrale",
        "motif": "Dossier de mariage", "piece": [upload["id"]]},
        "contact": {"email": "jeanne.martin@example.org"}});
    let (status, filed) = json_of(
        platform
            .post_json(&format!("/api/v1/drafts/{draft_id}/submit"), &answers)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    assert!(number.starts_with('T'), "{number}");
    assert_eq!(filed["kind"], "teleservice");
    assert_eq!(filed["department"], "ETAT_CIVIL");
    assert_eq!(filed["status"], "submitted");
    assert_eq!(filed["channel"], "web");
    // The service-level target sets the due date: ten days.
    let created: chrono::DateTime<chrono::Utc> =
        filed["created_at"].as_str().unwrap().parse().unwrap();
    let due: chrono::DateTime<chrono::Utc> = filed["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!((due - created).num_days(), 10);
    // A submitted draft cannot be edited any more.
    let late = put_json_as(
        &platform,
        &app,
        &format!("/api/v1/drafts/{draft_id}"),
        &json!({"data": {}}),
    )
    .await;
    assert_eq!(late.status(), StatusCode::CONFLICT);

    // The civil-status agent takes it and asks for more information.
    let agent = platform.agent("ines", &["ETAT_CIVIL"]).await;
    let status_path = format!("/api/v1/demands/{number}/status");
    let (status, taken) = json_of(
        platform
            .post_json_as(&agent, &status_path, &json!({"status": "in_progress"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{taken}");
    let (status, _) = json_of(
        platform
            .post_json_as(
                &agent,
                &status_path,
                &json!({"status": "awaiting_resident"}),
            )
            .await,
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "asking needs a question"
    );
    let (status, asked) = json_of(
        platform
            .post_json_as(
                &agent,
                &status_path,
                &json!({"status": "awaiting_resident",
                "reason": "Merci de préciser la date de naissance."}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{asked}");
    assert_eq!(asked["status"], "awaiting_resident");
    // The agent reads the answers and the file exactly as uploaded.
    let (status, read) = json_of(
        platform
            .get_as(&agent, &format!("/api/v1/demands/{number}/answers"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["data"]["motif"], "Dossier de mariage");
    assert_eq!(read["version"], 1);
    let file = platform
        .get_as(
            &agent,
            &format!(
                "/api/v1/demands/{number}/attachments/{}",
                upload["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(file.status(), StatusCode::OK);
    assert_eq!(file.headers()["content-type"], "image/png");
    assert_eq!(file.bytes().await.unwrap().as_ref(), PNG);

    // At a street kiosk, with nothing but the number, the resident answers.
    let kiosk = platform.device("kiosk").await;
    let (status, answered) = json_of(
        platform
            .post_json_as(
                &kiosk,
                &format!("/api/v1/demands/{number}/messages"),
                &json!({"text": "Je suis née le 3 mars 1985."}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{answered}");
    assert_eq!(
        answered["status"], "in_progress",
        "an answer hands it back to the agents"
    );

    // The agent accepts, with the teleservice's own sub-status.
    let (status, _) = json_of(
        platform
            .post_json_as(
                &agent,
                &status_path,
                &json!({"status": "resolved", "sub_status": "inconnu"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, accepted) = json_of(
        platform
            .post_json_as(
                &agent,
                &status_path,
                &json!({"status": "resolved", "sub_status": "acte_envoye"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{accepted}");
    assert_eq!(accepted["sub_status"], "acte_envoye");

    // Anyone with the number sees every step with the channel it came from.
    let (status, followed) =
        json_of(platform.get(&format!("/api/v1/demands/{number}")).await).await;
    assert_eq!(status, StatusCode::OK);
    let steps: Vec<(String, String)> = channels_of(&followed);
    let expected: Vec<(String, String)> = [
        ("submitted", "web"),
        ("in_progress", "web"),
        ("awaiting_resident", "web"),
        ("message", "kiosk"),
        ("in_progress", "kiosk"),
        ("resolved", "web"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(steps, expected);
    let roles: Vec<&str> = followed["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["author"]["role"].as_str().unwrap())
        .collect();
    assert_eq!(
        roles,
        [
            "resident", "agent", "agent", "resident", "resident", "agent"
        ]
    );

    // A finished demand does not move any more; another department cannot touch it.
    let (status, _) = json_of(
        platform
            .post_json_as(&agent, &status_path, &json!({"status": "closed"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let refused = platform
        .get_as(&roads, &format!("/api/v1/demands/{number}"))
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    // The department's list across silos shows it; its feed heard of it.
    let (status, list) = json_of(
        platform
            .get_as(&agent, "/api/v1/agent/demands?department=ETAT_CIVIL")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert!(
        list.as_array()
            .unwrap()
            .iter()
            .any(|d| d["tracking_number"] == number.as_str())
    );
    guichet_kit::testing::eventually(|| async {
        let feed: Value = platform
            .get_as(&agent, "/api/v1/agent/feed?department=ETAT_CIVIL")
            .await
            .json()
            .await
            .unwrap();
        let heard = feed["items"].as_array().is_some_and(|items| {
            items.iter().any(|i| {
                i["tracking_number"] == number.as_str()
                    && i["event_type"] == "teleservices.demand.filed"
            })
        });
        heard.then_some(())
    })
    .await;
}

#[tokio::test]
async fn a_residents_draft_follows_them_from_channel_to_channel() {
    let platform = Platform::start("tls_drafts").await.unwrap();
    let designer = designer(&platform).await;
    publish(
        &platform,
        &designer,
        &certificate("acte-compte"),
        json!({"state": "published"}),
    )
    .await;
    platform.resident("paul@example.org").await;
    let other = platform.resident("lea@example.org").await;
    let app = platform.device("app").await;
    let on_app = platform.resident_on(&app, "paul@example.org").await;
    let (status, draft) = json_of(
        platform
            .post_json_as(
                &on_app,
                "/api/v1/teleservices/acte-compte/drafts",
                &json!({"data": {"nom": "Durand"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let id = draft["id"].as_str().unwrap();

    // On the web the resident finds it in their account; nobody else can open it.
    let on_web = log_in(&platform, "paul@example.org").await;
    let (_, drafts) = json_of(platform.get_as(&on_web, "/api/v1/me/drafts").await).await;
    assert_eq!(drafts.as_array().unwrap().len(), 1);
    assert_eq!(drafts[0]["id"], id);
    assert_eq!(drafts[0]["channel"], "app");
    let theirs = platform
        .get_as(&other, &format!("/api/v1/drafts/{id}"))
        .await;
    assert_eq!(theirs.status(), StatusCode::NOT_FOUND);
    let anonymous = platform.get(&format!("/api/v1/drafts/{id}")).await;
    assert_eq!(anonymous.status(), StatusCode::NOT_FOUND);

    let saved = put_json_as(
        &platform,
        &on_web,
        &format!("/api/v1/drafts/{id}"),
        &json!({"data": {"nom": "Durand", "copie": "extrait"}}),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::OK);
    let (status, filed) = json_of(
        platform
            .post_json_as(&on_web, &format!("/api/v1/drafts/{id}/submit"), &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    // The hidden « motif » was neither required nor kept; the demand is in the account.
    let number = filed["tracking_number"].as_str().unwrap();
    let (_, answers) = json_of(
        platform
            .get_as(&on_web, &format!("/api/v1/demands/{number}/answers"))
            .await,
    )
    .await;
    assert_eq!(
        answers["data"],
        json!({"nom": "Durand", "copie": "extrait"})
    );
    let (_, mine) = json_of(platform.get_as(&on_web, "/api/v1/me/demands").await).await;
    assert!(mine.to_string().contains(number), "{mine}");
    let (_, drafts) = json_of(platform.get_as(&on_web, "/api/v1/me/drafts").await).await;
    assert_eq!(drafts, json!([]));
    // Another resident cannot read the demand by its number.
    let refused = platform
        .get_as(&other, &format!("/api/v1/demands/{number}"))
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn answers_are_judged_field_by_field_and_a_refusal_keeps_nothing() {
    let platform = Platform::start("tls_invalid").await.unwrap();
    let designer = designer(&platform).await;
    publish(
        &platform,
        &designer,
        &certificate("acte-invalide"),
        json!({"state": "published"}),
    )
    .await;

    // The reason is required only when the full copy is asked for.
    let (status, refused) = json_of(
        platform
            .post_json(
                "/api/v1/teleservices/acte-invalide/demands",
                &json!({"data": {"copie": "integrale", "piece": ["inconnu"]},
                        "contact": {"phone": "12"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["code"], "validation_failed");
    let mut fields: Vec<&str> = refused["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    fields.sort_unstable();
    assert_eq!(fields, ["data.motif", "data.nom", "data.piece[0]"]);
    assert!(
        refused["errors"][0]["detail"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c.is_alphabetic())
    );

    // A text file where an image or PDF is expected: refused by its real type.
    let (_, draft) = json_of(
        platform
            .post_json("/api/v1/teleservices/acte-invalide/drafts", &json!({}))
            .await,
    )
    .await;
    let id = draft["id"].as_str().unwrap();
    let (_, upload) = json_of(
        platform
            .post_json(&format!("/api/v1/drafts/{id}/attachments"),
                &json!({"filename": "cni.png", "content_base64": base64::engine::general_purpose::STANDARD.encode(b"pas une image")}))
            .await,
    )
    .await;
    let (status, refused) = json_of(
        platform
            .post_json(
                &format!("/api/v1/drafts/{id}/submit"),
                &json!({"data": {"nom": "Martin", "copie": "extrait", "piece": [upload["id"]]}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "data.piece[0]");

    // Nothing was filed.
    let (_, list) = json_of(
        platform
            .get_as(
                &platform.agent("ines", &["ETAT_CIVIL"]).await,
                "/api/v1/agent/demands?department=ETAT_CIVIL",
            )
            .await,
    )
    .await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn designers_get_the_path_of_each_fault_and_only_designers_design() {
    let platform = Platform::start("tls_designers").await.unwrap();
    let designer = designer(&platform).await;
    let mut broken = certificate("acte-casse");
    broken["pages"][0]["fields"][1]["options"] = json!([]);
    let (status, refused) = json_of(
        platform
            .post_json_as(&designer, "/api/v1/agent/teleservices", &broken)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "pages[0].fields[1].options");

    let clerk = platform.agent("ines", &["ETAT_CIVIL"]).await;
    let forbidden = platform
        .post_json_as(&clerk, "/api/v1/agent/teleservices", &certificate("acte-x"))
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
    let resident = platform.resident("paul@example.org").await;
    let forbidden = platform
        .post_json_as(
            &resident,
            "/api/v1/agent/teleservices",
            &certificate("acte-x"),
        )
        .await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);

    // A draft is nobody's until published; publishing needs something to publish.
    let saved = platform
        .post_json_as(
            &designer,
            "/api/v1/agent/teleservices",
            &certificate("acte-brouillon"),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::CREATED);
    let location = saved.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(location, "/api/v1/agent/teleservices/acte-brouillon");
    let (status, read) = json_of(platform.get_as(&designer, &location).await).await;
    assert_eq!(status, StatusCode::OK, "{read}");
    assert_eq!(read["slug"], "acte-brouillon");
    // Saved again, the draft is replaced: nothing new is created.
    let again = platform
        .post_json_as(
            &designer,
            "/api/v1/agent/teleservices",
            &certificate("acte-brouillon"),
        )
        .await;
    assert_eq!(again.status(), StatusCode::OK);
    assert!(again.headers().get("location").is_none());
    // A designer starting a new teleservice asks to create only: a slug already taken
    // is refused at its field, and the other teleservice's draft is left as it was.
    let mut other = certificate("acte-brouillon");
    other["title"] = json!("Un autre téléservice");
    let (status, refused) = json_of(
        platform
            .http
            .post(platform.url("/api/v1/agent/teleservices"))
            .bearer_auth(&designer)
            .header("if-none-match", "*")
            .json(&other)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
    assert_eq!(refused["errors"][0]["field"], "slug");
    let (_, kept) = json_of(platform.get_as(&designer, &location).await).await;
    assert!(read["definition"]["title"].is_string(), "{read}");
    assert_eq!(kept["definition"]["title"], read["definition"]["title"]);
    assert_eq!(
        platform
            .get("/api/v1/teleservices/acte-brouillon")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let retired = platform
        .post_json_as(
            &designer,
            "/api/v1/agent/teleservices/acte-brouillon/state",
            &json!({"state": "retired"}),
        )
        .await;
    assert_eq!(retired.status(), StatusCode::CONFLICT);
}

#[tokio::test]
async fn a_submission_against_an_old_version_is_judged_by_that_version() {
    let platform = Platform::start("tls_versions").await.unwrap();
    let designer = designer(&platform).await;
    let v1 = certificate("acte-versions");
    publish(&platform, &designer, &v1, json!({"state": "published"})).await;
    let (_, draft) = json_of(
        platform
            .post_json(
                "/api/v1/teleservices/acte-versions/drafts",
                &json!({"data": {"nom": "Martin", "copie": "extrait"}}),
            )
            .await,
    )
    .await;
    assert_eq!(draft["version"], 1);

    // Version 2 asks for a phone number; it is edited as a draft, then published.
    let mut v2 = v1.clone();
    v2["pages"][0]["fields"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "telephone", "type": "phone", "label": "Téléphone", "required": true}));
    let edited = publish(&platform, &designer, &v2, json!({"state": "published"})).await;
    assert_eq!(edited["live_version"], 2);
    let (_, form) = json_of(platform.get("/api/v1/teleservices/acte-versions").await).await;
    assert_eq!(form["version"], 2);

    // The draft of version 1 is judged by version 1: no phone needed.
    let (status, filed) = json_of(
        platform
            .post_json(
                &format!("/api/v1/drafts/{}/submit", draft["id"].as_str().unwrap()),
                &json!({}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["tracking_number"].as_str().unwrap();
    let (_, answers) = json_of(
        platform
            .get(&format!("/api/v1/demands/{number}/answers"))
            .await,
    )
    .await;
    assert_eq!(answers["version"], 1);
    assert!(!answers["definition"].to_string().contains("telephone"));

    // The same answers against the live version miss the phone; an explicit version 1
    // is still judged by version 1.
    let (status, refused) = json_of(
        platform
            .post_json(
                "/api/v1/teleservices/acte-versions/demands",
                &json!({"data": {"nom": "Martin", "copie": "extrait"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(refused["errors"][0]["field"], "data.telephone");
    let (status, _) = json_of(
        platform
            .post_json(
                "/api/v1/teleservices/acte-versions/demands",
                &json!({"version": 1, "data": {"nom": "Martin", "copie": "extrait"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);

    // Retired: no new filing, existing demands kept.
    publish(&platform, &designer, &v2, json!({"state": "retired"})).await;
    assert_eq!(
        platform
            .get("/api/v1/teleservices/acte-versions")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        platform
            .get(&format!("/api/v1/demands/{number}"))
            .await
            .status(),
        StatusCode::OK
    );
}

async fn catalog_slugs(platform: &Platform, token: Option<&str>) -> Vec<String> {
    let response = match token {
        Some(token) => platform.get_as(token, "/api/v1/teleservices").await,
        None => platform.get("/api/v1/teleservices").await,
    };
    let (status, list) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|e| e["slug"].as_str().unwrap().to_owned())
        .collect()
}

async fn account_id(platform: &Platform, token: &str) -> String {
    let (_, me) = json_of(platform.get_as(token, "/api/v1/me").await).await;
    me["account_id"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_pilot_is_invisible_and_refused_outside_its_audience() {
    let platform = Platform::start("tls_pilots").await.unwrap();
    let designer = designer(&platform).await;
    let agent = platform.agent("ines", &["ETAT_CIVIL"]).await;
    let alice = platform.resident("alice@example.org").await;
    let bob = platform.resident("bob@example.org").await;

    // The intranet trial: agents only.
    publish(
        &platform,
        &designer,
        &certificate("pilote-agents"),
        json!({"state": "pilot", "pilot": {"mode": "agents"}}),
    )
    .await;
    assert!(
        catalog_slugs(&platform, Some(&agent))
            .await
            .contains(&"pilote-agents".to_owned())
    );
    for token in [None, Some(alice.as_str())] {
        assert!(
            !catalog_slugs(&platform, token)
                .await
                .contains(&"pilote-agents".to_owned())
        );
    }
    assert_eq!(
        platform
            .get_as(&alice, "/api/v1/teleservices/pilote-agents")
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
    let refused = platform
        .post_json_as(
            &alice,
            "/api/v1/teleservices/pilote-agents/demands",
            &json!({"data": {"nom": "A", "copie": "extrait"}}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        platform
            .get_as(&agent, "/api/v1/teleservices/pilote-agents")
            .await
            .status(),
        StatusCode::OK
    );

    // A named cohort.
    let alice_id = account_id(&platform, &alice).await;
    publish(
        &platform,
        &designer,
        &certificate("pilote-panel"),
        json!({"state": "pilot", "pilot": {"mode": "cohort", "residents": [alice_id.clone()]}}),
    )
    .await;
    assert!(
        catalog_slugs(&platform, Some(&alice))
            .await
            .contains(&"pilote-panel".to_owned())
    );
    assert!(
        !catalog_slugs(&platform, Some(&bob))
            .await
            .contains(&"pilote-panel".to_owned())
    );
    let filed = platform
        .post_json_as(
            &alice,
            "/api/v1/teleservices/pilote-panel/demands",
            &json!({"data": {"nom": "A", "copie": "extrait"}}),
        )
        .await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let refused = platform
        .post_json_as(
            &bob,
            "/api/v1/teleservices/pilote-panel/demands",
            &json!({"data": {"nom": "B", "copie": "extrait"}}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);

    // A stable percentage: each resident always gets the answer their account id gives.
    // Pick a teleservice and a share that split Alice and Bob, so the test sees both a
    // resident in the pilot and one outside it.
    let bob_id = account_id(&platform, &bob).await;
    let (slug, inside, outside, percentage) = (0..)
        .map(|n| format!("pilote-part-{n}"))
        .find_map(|slug| {
            let (a, b) = (
                guichet_teleservices::pilot::bucket(&slug, &alice_id),
                guichet_teleservices::pilot::bucket(&slug, &bob_id),
            );
            match a.cmp(&b) {
                std::cmp::Ordering::Less => Some((slug, &alice, &bob, b)),
                std::cmp::Ordering::Greater => Some((slug, &bob, &alice, a)),
                std::cmp::Ordering::Equal => None,
            }
        })
        .unwrap();
    publish(
        &platform,
        &designer,
        &certificate(&slug),
        json!({"state": "pilot", "pilot": {"mode": "percentage", "percentage": percentage}}),
    )
    .await;
    for _ in 0..3 {
        assert!(catalog_slugs(&platform, Some(inside)).await.contains(&slug));
        assert!(
            !catalog_slugs(&platform, Some(outside))
                .await
                .contains(&slug)
        );
    }
    let refused = platform
        .post_json_as(
            outside,
            &format!("/api/v1/teleservices/{slug}/demands"),
            &json!({"data": {"nom": "B", "copie": "extrait"}}),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::NOT_FOUND);
    assert!(!catalog_slugs(&platform, None).await.contains(&slug));

    // Published: everyone.
    publish(
        &platform,
        &designer,
        &certificate(&slug),
        json!({"state": "published"}),
    )
    .await;
    assert!(catalog_slugs(&platform, None).await.contains(&slug));
}

#[tokio::test]
async fn the_citys_catalog_is_loaded_and_served_per_channel() {
    let platform = Platform::start("tls_catalog").await.unwrap();
    let admin = platform.admin().await;
    // A seed that stopped between saving a form and publishing it left a draft: the
    // next seed publishes it.
    let first = &guichet_teleservices::form::catalog::FILES[0];
    let saved = platform
        .post_json_as(
            &admin,
            "/api/v1/agent/teleservices",
            &serde_json::from_str(first.json).unwrap(),
        )
        .await;
    assert_eq!(saved.status(), StatusCode::CREATED);
    assert!(
        !catalog_slugs(&platform, None)
            .await
            .contains(&first.slug().to_owned())
    );
    let (status, seeded) = json_of(
        platform
            .post_json_as(&admin, "/api/v1/admin/teleservices/seed", &json!({}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{seeded}");
    assert!(seeded["created"].as_u64().unwrap() >= 30, "{seeded}");
    let (_, again) = json_of(
        platform
            .post_json_as(&admin, "/api/v1/admin/teleservices/seed", &json!({}))
            .await,
    )
    .await;
    assert_eq!(again["created"], 0, "loading twice changes nothing");

    let web = catalog_slugs(&platform, None).await;
    assert!(web.len() >= 30, "{web:?}");
    assert!(
        web.contains(&first.slug().to_owned()),
        "the half-seeded one too"
    );
    let kiosk = platform.device("kiosk").await;
    let at_kiosk = catalog_slugs(&platform, Some(&kiosk)).await;
    assert!(
        !at_kiosk.is_empty() && at_kiosk.len() < web.len(),
        "planning files are not filed at a kiosk"
    );

    // Every entry's form is served as JSON with its pages.
    for slug in web.iter().take(5) {
        let (status, form) =
            json_of(platform.get(&format!("/api/v1/teleservices/{slug}")).await).await;
        assert_eq!(status, StatusCode::OK, "{slug}: {form}");
        assert!(!form["definition"]["pages"].as_array().unwrap().is_empty());
    }
}

#[tokio::test]
async fn a_desk_agent_files_a_procedure_for_a_resident_and_finds_every_demand_of_theirs() {
    let platform = Platform::start("tls_desk").await.unwrap();
    let designer = designer(&platform).await;
    publish(
        &platform,
        &designer,
        &certificate("acte-guichet"),
        json!({"state": "published"}),
    )
    .await;
    // Jeanne Martin has an account; she once filed a complaint herself on the web.
    let jeanne = platform.resident("jeanne.martin@example.org").await;
    let (status, complaint) = json_of(
        platform
            .post_json_as(
                &jeanne,
                "/api/v1/complaints",
                &json!({"category": "NID_DE_POULE", "description": "Trou devant chez moi.",
                        "location": {"address": "Cours Mirabeau"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{complaint}");
    let account = account_id(&platform, &jeanne).await;

    // At the town hall counter, the agent finds her by name…
    let desk = platform
        .agent_on("counter", "sophie", &["ETAT_CIVIL", "MRU"])
        .await;
    let (status, found) = json_of(
        platform
            .get_as(&desk, "/api/v1/agent/search?q=Jeanne%20Martin")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert!(
        found["residents"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["account_id"] == account.as_str()),
        "{found}"
    );
    // …and files the procedure for her account, on the counter channel.
    let (status, filed) = json_of(
        platform
            .post_json_as(
                &desk,
                "/api/v1/teleservices/acte-guichet/demands",
                &json!({"resident_id": account, "data": {"nom": "Martin", "copie": "extrait"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["channel"], "counter");
    assert_eq!(filed["timeline"][0]["author"]["role"], "agent");
    let number = filed["tracking_number"].as_str().unwrap();
    // It is hers: in her account, on every channel.
    let (_, mine) = json_of(platform.get_as(&jeanne, "/api/v1/me/demands").await).await;
    assert!(mine.to_string().contains(number), "{mine}");

    // Searching her e-mail finds both demands, whatever silo holds them.
    let (_, found) = json_of(
        platform
            .get_as(&desk, "/api/v1/agent/search?q=jeanne.martin@example.org")
            .await,
    )
    .await;
    let numbers: Vec<&str> = found["demands"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["tracking_number"].as_str().unwrap())
        .collect();
    assert!(numbers.contains(&number), "{found}");
    assert!(
        numbers.contains(&complaint["tracking_number"].as_str().unwrap()),
        "{found}"
    );
    // The number alone finds the procedure too.
    let (_, by_number) = json_of(
        platform
            .get_as(&desk, &format!("/api/v1/agent/search?q={number}"))
            .await,
    )
    .await;
    assert_eq!(by_number["demands"][0]["tracking_number"], number);

    // A roads agent's search does not reach civil status.
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let (_, theirs) = json_of(
        platform
            .get_as(&roads, "/api/v1/agent/search?q=jeanne.martin@example.org")
            .await,
    )
    .await;
    assert!(!theirs.to_string().contains(number), "{theirs}");
    // Residents do not search.
    let refused = platform
        .get_as(&jeanne, "/api/v1/agent/search?q=Martin")
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_draft_shows_its_title_loses_a_file_and_is_discarded_until_submitted() {
    let platform = Platform::start("drafts_discard").await.unwrap();
    let designer = platform
        .agent_with_roles("albane", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    let definition = guichet_tests::birth_certificate(
        "acte-brouillon-jete",
        &[
            json!({"id": "piece", "type": "file", "label": "Justificatif",
                 "accept": ["application/pdf"], "max_size": 1_000_000}),
        ],
    );
    platform.publish_teleservice(&designer, &definition).await;
    let start = |data: Value| {
        let platform = &platform;
        async move {
            let (status, draft) = json_of(
                platform
                    .post_json(
                        "/api/v1/teleservices/acte-brouillon-jete/drafts",
                        &json!({"data": data}),
                    )
                    .await,
            )
            .await;
            assert_eq!(status, StatusCode::CREATED, "{draft}");
            draft
        }
    };
    let draft = start(json!({"nom": "Martin"})).await;
    assert_eq!(draft["title"], "Copie d'acte de naissance (essai)");
    let id = draft["id"].as_str().unwrap().to_owned();
    let pdf = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        b"%PDF-1.4\n%%EOF\n",
    );
    let (status, attachment) = json_of(
        platform
            .post_json(
                &format!("/api/v1/drafts/{id}/attachments"),
                &json!({"filename": "justificatif.pdf", "content_base64": pdf}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{attachment}");
    let file = format!(
        "/api/v1/drafts/{id}/attachments/{}",
        attachment["id"].as_str().unwrap()
    );

    // The file removed: the draft no longer lists it, and it is gone.
    let removed = platform
        .http
        .delete(platform.url(&file))
        .send()
        .await
        .unwrap();
    assert_eq!(removed.status(), StatusCode::OK);
    let after: Value = removed.json().await.unwrap();
    assert!(
        after["attachments"].as_array().unwrap().is_empty(),
        "{after}"
    );
    assert_eq!(platform.get(&file).await.status(), StatusCode::NOT_FOUND);

    // Discarded: nothing left to resume.
    let discarded = platform
        .http
        .delete(platform.url(&format!("/api/v1/drafts/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(discarded.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        platform.get(&format!("/api/v1/drafts/{id}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // Once submitted, a draft is the demand's record: it stays.
    let submitted = start(json!({"nom": "Durand"})).await;
    let submitted_id = submitted["id"].as_str().unwrap().to_owned();
    let (status, filed) = json_of(
        platform
            .post_json(
                &format!("/api/v1/drafts/{submitted_id}/submit"),
                &json!({"data": {"nom": "Durand"}, "contact": {"email": "durand@example.org"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let refused = platform
        .http
        .delete(platform.url(&format!("/api/v1/drafts/{submitted_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::CONFLICT);
}

/// Designers move teleservices between platforms (another commune, a test platform):
/// the export is the definition `GET` gives, the import is the designer's save, and
/// what is imported reads back as exported. The demo catalogue's files are such exports.
#[tokio::test]
async fn every_catalogue_teleservice_exports_and_imports_back_as_it_was() {
    use guichet_teleservices::form::catalog::FILES;

    let platform = Platform::start("tls_export").await.unwrap();
    let admin = platform.admin().await;
    let seed = "/api/v1/admin/teleservices/seed";
    let seeded = platform.post_json_as(&admin, seed, &json!({})).await;
    assert_eq!(seeded.status(), StatusCode::OK);
    let created = seeded.json::<Value>().await.unwrap()["created"].clone();
    assert_eq!(created, FILES.len(), "one teleservice per file");

    let designer = designer(&platform).await;
    for file in FILES {
        let slug = file.slug();
        let (status, exported) = json_of(
            platform
                .get_as(&designer, &format!("/api/v1/agent/teleservices/{slug}"))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{slug}: {exported}");
        let mut definition = exported["definition"].clone();
        let written: Value = serde_json::from_str(file.json).unwrap();
        assert_eq!(
            definition, written,
            "{slug}: the export is its catalogue file"
        );

        let copy = format!("{slug}-copie");
        definition["slug"] = json!(copy);
        let (status, imported) = json_of(
            platform
                .http
                .post(platform.url("/api/v1/agent/teleservices"))
                .bearer_auth(&designer)
                .header("if-none-match", "*")
                .json(&definition)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{copy}: {imported}");
        let (status, read) = json_of(
            platform
                .get_as(
                    &designer,
                    &format!("/api/v1/agent/teleservices/{copy}?draft=true"),
                )
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{copy}: {read}");
        assert_eq!(read["state"], "draft");
        assert_eq!(
            read["definition"], definition,
            "{copy} reads back as exported"
        );
    }
}
