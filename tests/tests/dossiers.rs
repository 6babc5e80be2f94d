//! What the resident wrote reaches the people entitled to it, and no one else: the
//! phone-call story (Allô Mairie files, the lighting team reads the description and the
//! caller's phone, and resolves), a RAPO dossier showing the contact the resident gave,
//! a resident re-reading their own words by number with the contact as proof, and a
//! teleservice demand awaiting a document answered with one from a kiosk by number.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use base64::{Engine as _, engine::general_purpose::STANDARD};
use chrono::Utc;
use guichet_kit::calendar::paris_date;
use guichet_tests::{
    Platform, json_of,
    samples::{FPS_HEADER, fps_line, notice},
};
use reqwest::StatusCode;
use serde_json::json;

/// `%PDF-1.4` and a comment: a PDF as far as sniffing goes.
const PDF: &[u8] = b"%PDF-1.4\n%justificatif de domicile\n";

const DESCRIPTION: &str = "Les trois lampadaires devant le 12 sont éteints depuis lundi ; \
    la dame âgée qui appelle ne peut plus sortir le soir.";

#[tokio::test]
async fn allo_mairie_files_for_a_caller_and_the_lighting_team_reads_what_they_said() {
    let platform = Platform::start("dossier_phone").await.unwrap();
    let phone_agent = platform.agent_on("phone", "sophie", &["MRU"]).await;
    let (status, filed) = json_of(
        platform
            .post_json_as(
                &phone_agent,
                "/api/v1/complaints",
                &json!({
                    "category": "ECLAIRAGE_PANNE",
                    "description": DESCRIPTION,
                    "location": {"latitude": 43.5249, "longitude": 5.4506,
                                 "address": "12 rue d'Italie, 13100 Aix-en-Provence"},
                    "contact": {"name": "Odette Roux", "phone": "06 11 22 33 44"}
                }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/demands/{number}");

    // The lighting agent reads the caller's words and how to call her back.
    let lighting = platform.agent("karim", &["ECLAIRAGE"]).await;
    let (status, demand) = json_of(platform.get_as(&lighting, &path).await).await;
    assert_eq!(status, StatusCode::OK, "{demand}");
    assert_eq!(demand["dossier"]["description"], DESCRIPTION);
    assert_eq!(demand["dossier"]["contact"]["name"], "Odette Roux");
    assert_eq!(demand["dossier"]["contact"]["phone"], "06 11 22 33 44");
    assert_eq!(
        demand["dossier"]["address"],
        "12 rue d'Italie, 13100 Aix-en-Provence"
    );
    assert_eq!(demand["dossier"]["latitude"], 43.5249);
    // So does the desk that took the call.
    let (_, at_desk) = json_of(platform.get_as(&phone_agent, &path).await).await;
    assert_eq!(at_desk["dossier"]["contact"]["phone"], "06 11 22 33 44");

    // Nobody else: another department, a stranger with the number, the public views.
    let roads = platform.agent("rene", &["VOIRIE"]).await;
    assert_eq!(
        platform.get_as(&roads, &path).await.status(),
        StatusCode::FORBIDDEN
    );
    let (status, anonymous) = json_of(platform.get(&path).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(anonymous.get("dossier").is_none(), "{anonymous}");
    let (status, public) = json_of(
        platform
            .get("/api/v1/complaints/nearby?lat=43.5249&lon=5.4506&radius=100")
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let public = public.to_string();
    assert!(!public.contains("06 11 22 33 44") && !public.contains("Odette"));
    let open311 = platform
        .get("/open311/v2/requests.json")
        .await
        .text()
        .await
        .unwrap();
    assert!(!open311.contains("06 11 22 33 44") && !open311.contains("Odette"));

    // The caller re-reads it by number with the phone she gave (in any form); a wrong
    // contact answers as an unknown number.
    let proof = format!("{path}/dossier");
    let (status, mine) = json_of(
        platform
            .post_json(&proof, &json!({"phone": "+33 6 11 22 33 44"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["dossier"]["description"], DESCRIPTION);
    let (status, problem) = json_of(
        platform
            .post_json(&proof, &json!({"phone": "06 99 99 99 99"}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{problem}");
    assert_eq!(problem["code"], "demand_not_found");

    // The lighting agent resolves it.
    let (status, resolved) = json_of(
        platform
            .post_json_as(
                &lighting,
                &format!("{path}/status"),
                &json!({"status": "resolved", "reason": "Lampadaires réparés."}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(resolved["status"], "resolved");
}

#[tokio::test]
async fn a_resident_rereads_their_own_complaint_and_no_other_resident_can() {
    let platform = Platform::start("dossier_owner").await.unwrap();
    let jeanne = platform.resident("jeanne@example.fr").await;
    let (status, filed) = json_of(
        platform
            .post_json_as(
                &jeanne,
                "/api/v1/complaints",
                &json!({
                    "category": "NID_DE_POULE",
                    "description": "Trou profond devant l'école, côté pair.",
                    "location": {"latitude": 43.5258, "longitude": 5.4462,
                                 "address": "Avenue Victor Hugo, Aix-en-Provence"}
                }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let path = format!(
        "/api/v1/demands/{}",
        filed["tracking_number"].as_str().unwrap()
    );
    let (status, mine) = json_of(platform.get_as(&jeanne, &path).await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        mine["dossier"]["description"],
        "Trou profond devant l'école, côté pair."
    );
    let paul = platform.resident("paul@example.fr").await;
    assert_eq!(
        platform.get_as(&paul, &path).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_police_see_the_contact_a_resident_gave_with_their_dispute() {
    let platform = Platform::start("dossier_rapo").await.unwrap();
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let today = paris_date(Utc::now());
    let notice = notice(42);
    let notice = notice.as_str();
    let line = fps_line(notice, "AB-123-CD", today, "Cours Mirabeau");
    let csv = format!("{FPS_HEADER}\n{line}\n");
    let imported = platform.import_fps(&police, &csv).await;
    assert_eq!(imported.status(), StatusCode::OK);
    let pdf = STANDARD.encode(PDF);
    let (status, filed) = json_of(
        platform
            .post_json(
                "/api/v1/rapo/disputes",
                &json!({
                    "notice_number": notice,
                    "plate": "AB-123-CD",
                    "holder": {"name": "Jeanne Martin", "address": "3 rue Espariat, 13100 Aix-en-Provence"},
                    "contact": {"email": "jeanne.martin@example.org", "phone": "06 12 34 56 78"},
                    "facts": "Garée de 14 h à 15 h, ticket pris à 13 h 58.",
                    "grounds": "Stationnement payé.",
                    "pieces": {
                        "payment_notice": {"name": "avis.pdf", "content_type": "application/pdf", "data": pdf},
                        "registration_certificate": {"name": "cg.pdf", "content_type": "application/pdf", "data": pdf}
                    }
                }),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["tracking_number"].as_str().unwrap().to_owned();

    // The dossier the police open shows how to call the resident back…
    let dispute_path = format!("/api/v1/rapo/disputes/{number}");
    let (status, dispute) = json_of(platform.get_as(&police, &dispute_path).await).await;
    assert_eq!(status, StatusCode::OK, "{dispute}");
    assert_eq!(dispute["contact"]["phone"], "06 12 34 56 78");
    assert_eq!(dispute["contact"]["email"], "jeanne.martin@example.org");
    let (_, demand) = json_of(
        platform
            .get_as(&police, &format!("/api/v1/demands/{number}"))
            .await,
    )
    .await;
    assert_eq!(demand["dossier"]["contact"]["phone"], "06 12 34 56 78");
    assert!(
        demand["dossier"]["description"]
            .as_str()
            .unwrap()
            .contains("ticket pris à 13 h 58"),
        "{demand}"
    );
    assert_eq!(demand["dossier"]["pieces"].as_array().unwrap().len(), 2);
    // …the number alone does not.
    let (status, by_number) = json_of(platform.get(&dispute_path).await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(by_number.get("contact").is_none(), "{by_number}");

    // Allô Mairie reads it to answer the resident's call, but the police decide.
    let desk = platform.agent("sophie", &["MRU"]).await;
    let (status, at_desk) = json_of(platform.get_as(&desk, &dispute_path).await).await;
    assert_eq!(status, StatusCode::OK, "{at_desk}");
    assert_eq!(at_desk["contact"]["phone"], "06 12 34 56 78");
    let (status, _) = json_of(
        platform
            .post_json_as(
                &desk,
                &format!("{dispute_path}/decision"),
                &json!({"decision": "annulation_totale"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Roads agents see nothing of it.
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    assert_eq!(
        platform.get_as(&roads, &dispute_path).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_resident_asked_for_a_document_sends_it_from_a_kiosk_by_number() {
    let platform = Platform::start("dossier_document").await.unwrap();
    let designer = platform
        .agent_with_roles("claire", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    let definition = guichet_tests::birth_certificate("acte-essai", &[]);
    platform.publish_teleservice(&designer, &definition).await;
    let (status, filed) = json_of(
        platform
            .post_json(
                "/api/v1/teleservices/acte-essai/demands",
                &json!({"data": {"nom": "Martin"}, "contact": {"email": "jeanne@example.org"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    let path = format!("/api/v1/demands/{number}");

    // The agent asks for a missing proof of address.
    let agent = platform.agent("lea", &["ETAT_CIVIL"]).await;
    let (status, asked) = json_of(
        platform
            .post_json_as(
                &agent,
                &format!("{path}/status"),
                &json!({"status": "awaiting_resident", "reason": "Merci de joindre un justificatif de domicile."}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{asked}");

    // At a street kiosk, with the number only: a file that is no document is refused
    // and changes nothing; the PDF is kept and hands the demand back to the agents.
    let kiosk = platform.device("kiosk").await;
    let documents = format!("{path}/attachments");
    let (status, problem) = json_of(
        platform
            .post_json_as(
                &kiosk,
                &documents,
                &json!({"filename": "justificatif.pdf",
                        "content_base64": STANDARD.encode(b"MZ\x90\x00 not a pdf")}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "content");
    let (_, still) = json_of(platform.get_as(&agent, &path).await).await;
    assert_eq!(still["status"], "awaiting_resident");
    assert_eq!(still["dossier"]["pieces"], json!([]));

    let (status, answered) = json_of(
        platform
            .post_json_as(
                &kiosk,
                &documents,
                &json!({"filename": "justificatif.pdf", "content_base64": STANDARD.encode(PDF),
                        "text": "Voici ma facture d'électricité."}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{answered}");
    assert_eq!(answered["status"], "in_progress");
    let last = answered["timeline"].as_array().unwrap();
    let message = last
        .iter()
        .find(|e| e["kind"] == "message" && e["author"]["role"] == "resident")
        .unwrap();
    assert_eq!(message["channel"], "kiosk");
    assert!(
        message["text"]
            .as_str()
            .unwrap()
            .contains("justificatif.pdf")
    );

    // The agent finds it among the demand's pieces, typed and hashed, and downloads it.
    let (_, demand) = json_of(platform.get_as(&agent, &path).await).await;
    let pieces = demand["dossier"]["pieces"].as_array().unwrap();
    assert_eq!(pieces.len(), 1, "{demand}");
    assert_eq!(pieces[0]["mime_type"], "application/pdf");
    assert_eq!(pieces[0]["filename"], "justificatif.pdf");
    let download = platform
        .get_as(&agent, pieces[0]["href"].as_str().unwrap())
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.bytes().await.unwrap().as_ref(), PDF);
    assert_eq!(demand["dossier"]["answers"]["nom"], "Martin");
    assert_eq!(demand["dossier"]["contact"]["email"], "jeanne@example.org");
    // The number alone shows the progress, not the answers; the e-mail given opens them.
    let (_, by_number) = json_of(platform.get(&path).await).await;
    assert!(by_number.get("dossier").is_none(), "{by_number}");
    let (status, proven) = json_of(
        platform
            .post_json(
                &format!("{path}/dossier"),
                &json!({"email": "Jeanne@Example.org"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{proven}");
    assert_eq!(proven["dossier"]["answers"]["nom"], "Martin");

    // Once decided, the demand takes no more documents.
    platform
        .post_json_as(
            &agent,
            &format!("{path}/status"),
            &json!({"status": "resolved"}),
        )
        .await;
    let (status, _) = json_of(
        platform
            .post_json_as(
                &kiosk,
                &documents,
                &json!({"filename": "encore.pdf", "content_base64": STANDARD.encode(PDF)}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
}
