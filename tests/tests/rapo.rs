//! RAPO end to end, through the gateway with the real identity service: the municipal
//! police import the FPS registry, residents file disputes (with or without an account),
//! agents decide, and residents read the decision, its letter and the next step.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::{Days, NaiveDate, Utc};
use guichet_kit::calendar::{add_months, french_date, paris_date};
use guichet_tests::{
    Platform, found_numbers, json_of,
    samples::{FPS_HEADER, PDF, dispute, fps_line, notice, pdf_file},
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// A Windows executable's first bytes.
const EXE: &str = "TVqQAG5vdCBhIHBkZg==";

fn today() -> NaiveDate {
    paris_date(Utc::now())
}

fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["field"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn detail(problem: &Value, field: &str) -> String {
    problem["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["field"] == field)
        .map(|e| e["detail"].as_str().unwrap().to_owned())
        .collect::<Vec<_>>()
        .join(" | ")
}

/// How many disputes the police see awaiting a decision: what was stored.
async fn stored(platform: &Platform, police: &str) -> usize {
    let (status, list) = json_of(platform.get_as(police, "/api/v1/rapo/disputes").await).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    list.as_array().unwrap().len()
}

#[tokio::test]
async fn a_dispute_is_admissible_only_on_time_complete_and_for_the_right_notice() {
    let platform = Platform::start("rapo_admissible").await.unwrap();
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let today = today();
    // The oldest notification still in time (its month ends today, most days) and the
    // newest one already out of time (its month ended yesterday, most days).
    let back = |days: u64| today.checked_sub_days(Days::new(days)).unwrap();
    let last_day = (25..40)
        .rev()
        .map(back)
        .find(|d| add_months(*d, 1) >= today)
        .unwrap();
    let late = (25..40)
        .map(back)
        .find(|d| add_months(*d, 1) < today)
        .unwrap();
    let csv = [
        FPS_HEADER.to_owned(),
        fps_line(&notice(1), "AB-123-CD", back(3), "12 cours Mirabeau"),
        fps_line(&notice(2), "AB-123-CD", last_day, "Place des Prêcheurs"),
        fps_line(&notice(3), "AB-123-CD", late, "Rue d'Italie"),
        fps_line(&notice(4), "GH-456-JK", back(3), "Boulevard du Roi René"),
    ]
    .join("\n");
    let (status, report) = json_of(platform.import_fps(&police, &csv).await).await;
    assert_eq!(status, StatusCode::OK, "{report}");
    assert_eq!(report["imported"], 4, "{report}");

    // Each missing piece, reported at once with its field, in French.
    let mut incomplete = dispute(&notice(1));
    incomplete["pieces"] = json!({});
    incomplete["facts"] = json!("");
    let (status, problem) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &incomplete)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["code"], "validation_failed");
    assert_eq!(
        fields(&problem),
        [
            "facts",
            "pieces.payment_notice",
            "pieces.registration_certificate"
        ]
    );
    assert!(detail(&problem, "pieces.payment_notice").contains("copie de l'avis de paiement"));
    // A sold vehicle: the declaration needs its registration receipt.
    let mut sold = dispute(&notice(1));
    sold["pieces"]["registration_certificate"] = Value::Null;
    sold["pieces"]["sale_declaration"] = pdf_file("cession.pdf", PDF);
    let (_, problem) = json_of(platform.post_json("/api/v1/rapo/disputes", &sold).await).await;
    assert_eq!(fields(&problem), ["pieces.sale_registration_receipt"]);
    // Filing for the holder needs the mandate.
    let mut for_someone = dispute(&notice(1));
    for_someone["representative"] = json!({"name": "Paul Martin"});
    let (_, problem) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &for_someone)
            .await,
    )
    .await;
    assert_eq!(fields(&problem), ["pieces.mandate"]);
    assert!(detail(&problem, "pieces.mandate").contains("mandat"));
    // A file that is not a PDF, JPEG or PNG.
    let mut executable = dispute(&notice(1));
    executable["pieces"]["payment_notice"] = pdf_file("avis.pdf", EXE);
    let (_, problem) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &executable)
            .await,
    )
    .await;
    assert_eq!(fields(&problem), ["pieces.payment_notice.data"]);

    // The wrong plate.
    let (status, problem) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &dispute(&notice(4)))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(fields(&problem), ["plate"]);
    assert!(detail(&problem, "plate").contains("ne correspond pas"));
    // One day late.
    let (status, problem) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &dispute(&notice(3)))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let why = detail(&problem, "notice_number");
    assert!(why.contains("irrecevable"), "{why}");
    assert!(why.contains(&french_date(add_months(late, 1))), "{why}");
    // An unknown notice.
    let (_, problem) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &dispute(&notice(9)))
            .await,
    )
    .await;
    assert!(detail(&problem, "notice_number").contains("Aucun forfait post-stationnement"));
    // A classic fine goes to the ANTAI, whether the number or the form says so.
    let (status, problem) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &dispute("0123456789"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(detail(&problem, "notice_number").contains("www.antai.gouv.fr"));
    let mut pv = dispute(&notice(1));
    pv["notice_kind"] = json!("pv");
    let (_, problem) = json_of(platform.post_json("/api/v1/rapo/disputes", &pv).await).await;
    assert!(detail(&problem, "notice_number").contains("ANTAI"));

    // Nothing was stored for any refusal.
    assert_eq!(stored(&platform, &police).await, 0);

    // On time: the tracking number, the FPS and the day the city must answer by.
    let (status, filed) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &dispute(&notice(1)))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert!(filed["tracking_number"].as_str().unwrap().starts_with('R'));
    assert_eq!(filed["fps"]["offence_day"], back(3).to_string());
    assert_eq!(filed["fps"]["offence_time"], "10:15");
    assert_eq!(filed["fps"]["place"], "12 cours Mirabeau");
    assert_eq!(filed["fps"]["amount"], "33,00 €");
    assert_eq!(filed["answer_by"], add_months(today, 1).to_string());
    assert_eq!(filed["status"], "submitted");
    assert_eq!(filed["pieces"].as_array().unwrap().len(), 3);
    assert_eq!(filed["pieces"][2]["content_type"], "image/png");
    // On the last day of the month (or, after a 31st, the last day there is).
    let (status, on_last_day) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &dispute(&notice(2)))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{on_last_day}");
    // A second dispute for the same notice.
    let (status, problem) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &dispute(&notice(1)))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(detail(&problem, "notice_number").contains("déjà été déposé"));
    assert_eq!(stored(&platform, &police).await, 2);
}

/// Files `notice` and answers its tracking number, as `token` or anonymously.
async fn file_as(platform: &Platform, token: Option<&str>, number: &str) -> String {
    let response = match token {
        Some(token) => {
            platform
                .post_json_as(token, "/api/v1/rapo/disputes", &dispute(number))
                .await
        }
        None => {
            platform
                .post_json("/api/v1/rapo/disputes", &dispute(number))
                .await
        }
    };
    let (status, filed) = json_of(response).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    filed["tracking_number"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_police_agent_reads_the_letter_before_deciding_and_nothing_is_recorded() {
    let platform = Platform::start("rapo_preview").await.unwrap();
    let police = platform.agent("lou", &["POLICE_MUN"]).await;
    let csv = [
        FPS_HEADER.to_owned(),
        fps_line(&notice(7), "AB-123-CD", today(), "Cours Mirabeau"),
    ];
    let (status, _) = json_of(platform.import_fps(&police, &csv.join("\n")).await).await;
    assert_eq!(status, StatusCode::OK);
    let number = file_as(&platform, None, &notice(7)).await;
    let preview_path = format!("/api/v1/rapo/disputes/{number}/decision/preview");
    let partial = json!({"decision": "annulation_partielle", "rectified_amount_cents": 1700,
                         "reasons": "Le ticket couvrait une heure sur les deux."});

    let preview = platform
        .post_json_as(&police, &preview_path, &partial)
        .await;
    assert_eq!(preview.status(), StatusCode::OK);
    assert!(
        preview.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = preview.text().await.unwrap();
    assert!(text.contains("17,00 €"), "{text}");
    assert!(
        text.contains("Le ticket couvrait une heure sur les deux."),
        "{text}"
    );
    assert!(text.contains("attribué à l'envoi"), "{text}");
    // Nothing was decided: no letter yet, and the decision can still be taken.
    let letter = platform
        .get_as(&police, &format!("/api/v1/rapo/disputes/{number}/letter"))
        .await;
    assert_eq!(letter.status(), StatusCode::CONFLICT);
    // The same checks as the decision.
    let wrong = platform
        .post_json_as(
            &police,
            &preview_path,
            &json!({"decision": "annulation_partielle", "rectified_amount_cents": 99999}),
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let roads = platform.agent("remi", &["VOIRIE"]).await;
    assert_eq!(
        platform
            .post_json_as(&roads, &preview_path, &partial)
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let decided = platform
        .post_json_as(
            &police,
            &format!("/api/v1/rapo/disputes/{number}/decision"),
            &partial,
        )
        .await;
    assert_eq!(decided.status(), StatusCode::OK);
    let sent = platform
        .get_as(&police, &format!("/api/v1/rapo/disputes/{number}/letter"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        sent.contains("17,00 €") && !sent.contains("attribué à l'envoi"),
        "{sent}"
    );
}

#[tokio::test]
async fn the_police_work_list_comes_page_by_page_most_urgent_first() {
    let platform = Platform::start("rapo_pages").await.unwrap();
    let police = platform.agent("yanis", &["POLICE_MUN"]).await;
    let mut csv = vec![FPS_HEADER.to_owned()];
    for n in 1..=3 {
        csv.push(fps_line(&notice(n), "AB-123-CD", today(), "Cours Mirabeau"));
    }
    let (status, _) = json_of(platform.import_fps(&police, &csv.join("\n")).await).await;
    assert_eq!(status, StatusCode::OK);
    let mut filed = Vec::new();
    for n in 1..=3 {
        filed.push(file_as(&platform, None, &notice(n)).await);
    }
    let pages = platform
        .walk(&police, "/api/v1/rapo/disputes?limit=1", None)
        .await;
    let walked: Vec<(&str, &str)> = pages
        .iter()
        .flatten()
        .map(|d| {
            (
                d["due_at"].as_str().unwrap(),
                d["tracking_number"].as_str().unwrap(),
            )
        })
        .collect();
    // Each once, by deadline (disputes filed the same day share it), then number.
    let mut expected = walked.clone();
    expected.sort_unstable();
    assert_eq!(walked, expected);
    let mut numbers: Vec<&str> = walked.iter().map(|(_, n)| *n).collect();
    numbers.sort_unstable();
    filed.sort_unstable();
    assert_eq!(numbers, filed);
    // One a page (a full last page may be followed by an empty one).
    assert!(pages.iter().all(|p| p.len() <= 1));
    assert_eq!(pages.iter().filter(|p| !p.is_empty()).count(), 3);
}

#[tokio::test]
async fn full_partial_and_rejected_decisions_reach_the_resident_by_account_and_by_number() {
    let platform = Platform::start("rapo_decisions").await.unwrap();
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let today = today();
    let mut csv = vec![FPS_HEADER.to_owned()];
    for n in 1..=6 {
        csv.push(fps_line(&notice(n), "AB-123-CD", today, "Cours Mirabeau"));
    }
    let (status, report) = json_of(platform.import_fps(&police, &csv.join("\n")).await).await;
    assert_eq!(
        (status, report["imported"].clone()),
        (StatusCode::OK, json!(6))
    );
    let jeanne = platform.resident("jeanne@example.org").await;

    let decisions = [
        (
            json!({"decision": "annulation_totale"}),
            "resolved",
            "annulation_totale",
            "est annulé",
        ),
        (
            json!({"decision": "annulation_partielle", "rectified_amount_cents": 1700,
                   "reasons": "Le ticket couvrait une heure sur les deux."}),
            "resolved",
            "annulation_partielle",
            "ramené de 33,00 € à 17,00 €",
        ),
        (
            json!({"decision": "rejet", "reasons": "Aucun titre de paiement valable à l'heure du contrôle."}),
            "rejected",
            "rejet",
            "est rejeté",
        ),
    ];
    for (i, (decision, status, code, says)) in decisions.iter().enumerate() {
        let n = u32::try_from(i).unwrap() * 2 + 1;
        let mine = file_as(&platform, Some(&jeanne), &notice(n)).await;
        let anonymous = file_as(&platform, None, &notice(n + 1)).await;
        for number in [&mine, &anonymous] {
            let (answer, decided) = json_of(
                platform
                    .post_json_as(
                        &police,
                        &format!("/api/v1/rapo/disputes/{number}/decision"),
                        decision,
                    )
                    .await,
            )
            .await;
            assert_eq!(answer, StatusCode::OK, "{decided}");
            assert_eq!(decided["decision"]["code"], *code);
        }
        // The resident reads it: by account for theirs, by number for the anonymous one.
        for (number, token) in [(&mine, Some(jeanne.as_str())), (&anonymous, None)] {
            let demand_path = format!("/api/v1/demands/{number}");
            let view_path = format!("/api/v1/rapo/disputes/{number}");
            let letter_path = format!("{view_path}/letter");
            let (demand, view, letter) = match token {
                Some(t) => (
                    platform.get_as(t, &demand_path).await,
                    platform.get_as(t, &view_path).await,
                    platform.get_as(t, &letter_path).await,
                ),
                None => (
                    platform.get(&demand_path).await,
                    platform.get(&view_path).await,
                    platform.get(&letter_path).await,
                ),
            };
            let (_, demand) = json_of(demand).await;
            assert_eq!(demand["kind"], "rapo");
            assert_eq!(demand["status"], *status, "{demand}");
            assert_eq!(demand["sub_status"], *code);
            let last = demand["timeline"]
                .as_array()
                .unwrap()
                .last()
                .unwrap()
                .clone();
            assert_eq!(last["sub_status"], *code);
            let (_, view) = json_of(view).await;
            assert_eq!(letter.status(), StatusCode::OK);
            assert!(
                letter.headers()["content-type"]
                    .to_str()
                    .unwrap()
                    .starts_with("text/plain")
            );
            let letter = letter.text().await.unwrap();
            assert!(letter.contains("Madame, Monsieur,"), "{letter}");
            assert!(letter.contains(says), "{letter}");
            if *code == "annulation_totale" {
                assert!(view["next_step"].is_null(), "{view}");
                assert!(!letter.contains("tribunal"));
            } else {
                // One month to go to the tribunal, from the decision made today.
                let deadline = add_months(today, 1);
                assert_eq!(
                    view["next_step"]["deadline"],
                    deadline.to_string(),
                    "{view}"
                );
                let text = view["next_step"]["text"].as_str().unwrap();
                assert!(text.contains("tribunal du stationnement payant"));
                assert!(
                    letter.contains("tribunal du stationnement payant"),
                    "{letter}"
                );
                assert!(letter.contains(&french_date(deadline)), "{letter}");
                assert!(
                    last["text"]
                        .as_str()
                        .unwrap()
                        .contains(&french_date(deadline))
                );
            }
            if *code == "annulation_partielle" {
                let rectified = view["decision"]["rectified_notice_number"]
                    .as_str()
                    .unwrap();
                assert_eq!(rectified.len(), 26);
                assert!(letter.contains(rectified));
            }
        }
    }

    // Theirs are in the resident's demands; the anonymous ones are not.
    let (_, mine) = json_of(platform.get_as(&jeanne, "/api/v1/me/demands").await).await;
    let rapo: Vec<_> = mine
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["kind"] == "rapo")
        .collect();
    assert_eq!(rapo.len(), 3);

    // A decided dispute is decided once; the timeline still takes messages.
    let number = rapo[0]["tracking_number"].as_str().unwrap();
    let again = platform
        .post_json_as(
            &police,
            &format!("/api/v1/rapo/disputes/{number}/decision"),
            &json!({"decision": "rejet", "reasons": "Revu."}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::CONFLICT);
    let (status, demand) = json_of(
        platform
            .post_json_as(
                &police,
                &format!("/api/v1/demands/{number}/messages"),
                &json!({"text": "Le courrier de décision est disponible dans votre espace."}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{demand}");
    let (_, seen) = json_of(
        platform
            .get_as(&jeanne, &format!("/api/v1/demands/{number}"))
            .await,
    )
    .await;
    assert!(
        seen["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["kind"] == "message" && t["author"]["role"] == "agent")
    );
}

#[tokio::test]
async fn importing_the_registry_twice_changes_nothing_and_bad_lines_are_reported() {
    let platform = Platform::start("rapo_registry").await.unwrap();
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let today = today();
    let csv = [
        FPS_HEADER.to_owned(),
        fps_line(&notice(1), "AB-123-CD", today, "\"12, cours Mirabeau\""),
        fps_line(&notice(2), "1234 AB 13", today, "Place Richelme"),
        format!(
            "{};AB-123-CD;hier;Rue Espariat;33 €;AG-1;{today};pigeon",
            notice(3)
        ),
        "123;AB-123-CD;2026-03-01 10:00;Rue Thiers;3300;AG-1;2026-03-01;courrier".to_owned(),
    ]
    .join("\n");
    let (status, first) = json_of(platform.import_fps(&police, &csv).await).await;
    assert_eq!(status, StatusCode::OK, "{first}");
    assert_eq!(first["imported"], 2);
    let rejected = first["rejected"].as_array().unwrap();
    assert_eq!(rejected.len(), 2, "{first}");
    assert_eq!(rejected[0]["line"], 4);
    let reason = rejected[0]["reason"].as_str().unwrap();
    assert!(
        reason.contains("constatation")
            && reason.contains("Montant")
            && reason.contains("notification"),
        "{reason}"
    );
    assert_eq!(rejected[1]["line"], 5);
    assert!(
        rejected[1]["reason"]
            .as_str()
            .unwrap()
            .contains("26 chiffres")
    );

    let (_, second) = json_of(platform.import_fps(&police, &csv).await).await;
    assert_eq!(second["imported"], 0);
    assert_eq!(second["unchanged"], 2);
    // Same number, other data: reported, not changed.
    let changed = format!(
        "{FPS_HEADER}\n{}",
        fps_line(&notice(1), "AB-123-CD", today, "Rue Mignet")
    );
    let (_, third) = json_of(platform.import_fps(&police, &changed).await).await;
    assert_eq!(third["imported"], 0);
    assert!(
        third["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("d'autres données")
    );
    // The place is still the first one.
    let (_, filed) = json_of(
        platform
            .post_json("/api/v1/rapo/disputes", &dispute(&notice(1)))
            .await,
    )
    .await;
    assert_eq!(filed["fps"]["place"], "12, cours Mirabeau");

    // Residents and other departments do not import.
    let resident = platform.resident("jeanne@example.org").await;
    assert_eq!(
        platform.import_fps(&resident, &csv).await.status(),
        StatusCode::FORBIDDEN
    );
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    assert_eq!(
        platform.import_fps(&roads, &csv).await.status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn a_new_dispute_reaches_the_police_feed_and_no_one_else_may_read_it() {
    let platform = Platform::start("rapo_access").await.unwrap();
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let csv = format!(
        "{FPS_HEADER}\n{}",
        fps_line(&notice(1), "AB-123-CD", today(), "Avenue Victor Hugo")
    );
    assert_eq!(
        platform.import_fps(&police, &csv).await.status(),
        StatusCode::OK
    );
    let jeanne = platform.resident("jeanne@example.org").await;
    let number = file_as(&platform, Some(&jeanne), &notice(1)).await;

    // Live in the police feed.
    let item = guichet_kit::testing::eventually(|| async {
        let (_, feed) = json_of(platform.get_as(&police, "/api/v1/agent/feed").await).await;
        feed["items"]
            .as_array()?
            .iter()
            .find(|i| i["tracking_number"] == number.as_str())
            .cloned()
    })
    .await
    .expect("the dispute never reached the police feed");
    assert_eq!(item["kind"], "rapo");
    assert_eq!(item["department"], "POLICE_MUN");
    assert!(item["title"].as_str().unwrap().contains(&notice(1)));

    // The police read the dossier, with the time left.
    let (status, view) = json_of(
        platform
            .get_as(&police, &format!("/api/v1/rapo/disputes/{number}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(view["days_left"].as_i64().unwrap() >= 28);
    assert_eq!(view["overdue"], false);
    let piece = view["pieces"][0]["id"].as_str().unwrap();
    let download = platform
        .get_as(
            &police,
            &format!("/api/v1/rapo/disputes/{number}/pieces/{piece}"),
        )
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "application/pdf");
    assert!(download.bytes().await.unwrap().starts_with(b"%PDF-"));
    // The resident's photo comes back as a PNG, under the name they gave it, accents
    // included (RFC 6266 `filename*`), with an ASCII name for older clients.
    let ticket = view["pieces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["role"] == "supporting")
        .unwrap();
    assert_eq!(ticket["name"], "reçu d'horodateur.png");
    let download = platform
        .get_as(
            &police,
            &format!(
                "/api/v1/rapo/disputes/{number}/pieces/{}",
                ticket["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_eq!(download.headers()["content-type"], "image/png");
    assert_eq!(
        download.headers()["content-disposition"],
        "attachment; filename=\"re_u d'horodateur.png\"; \
         filename*=UTF-8''re%C3%A7u%20d%27horodateur.png"
    );
    assert!(download.bytes().await.unwrap().starts_with(b"\x89PNG"));
    let (_, overdue) = json_of(
        platform
            .get_as(&police, "/api/v1/rapo/disputes?overdue=true")
            .await,
    )
    .await;
    assert_eq!(overdue.as_array().unwrap().len(), 0);

    // A roads agent may not; another resident gets the same answer as for nothing.
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    for path in [
        format!("/api/v1/demands/{number}"),
        format!("/api/v1/rapo/disputes/{number}"),
    ] {
        assert_eq!(
            platform.get_as(&roads, &path).await.status(),
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    assert_eq!(
        platform
            .get_as(&roads, "/api/v1/rapo/disputes")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let decision = platform
        .post_json_as(
            &roads,
            &format!("/api/v1/rapo/disputes/{number}/decision"),
            &json!({"decision": "annulation_totale"}),
        )
        .await;
    assert_eq!(decision.status(), StatusCode::FORBIDDEN);
    let other = platform.resident("paul@example.org").await;
    for path in [
        format!("/api/v1/demands/{number}"),
        format!("/api/v1/rapo/disputes/{number}"),
        format!("/api/v1/rapo/disputes/{number}/pieces/{piece}"),
    ] {
        let (status, problem) = json_of(platform.get_as(&other, &path).await).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(problem["code"], "demand_not_found");
    }
    // Nor anonymously: it belongs to an account.
    assert_eq!(
        platform
            .get(&format!("/api/v1/rapo/disputes/{number}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_phone_agent_files_a_dispute_for_a_resident_which_is_then_in_their_space() {
    let platform = Platform::start("rapo_desk").await.unwrap();
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let csv = format!(
        "{FPS_HEADER}\n{}\n{}",
        fps_line(&notice(1), "AB-123-CD", today(), "Avenue Victor Hugo"),
        fps_line(&notice(2), "AB-123-CD", today(), "Cours Mirabeau")
    );
    assert_eq!(
        platform.import_fps(&police, &csv).await.status(),
        StatusCode::OK
    );
    let jeanne = platform.resident("jeanne@example.org").await;
    let (_, me) = json_of(platform.get_as(&jeanne, "/api/v1/me").await).await;
    let account = me["account_id"].as_str().unwrap().to_owned();

    // On the phone, the desk files for Jeanne's account: the dispute is hers at once.
    let desk = platform.agent_on("phone", "sophie", &["MRU"]).await;
    let mut body = dispute(&notice(1));
    body["resident_id"] = json!(account);
    let (status, filed) = json_of(
        platform
            .post_json_as(&desk, "/api/v1/rapo/disputes", &body)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    assert_eq!(filed["channel"], "phone");
    let number = filed["tracking_number"].as_str().unwrap();
    let (_, mine) = json_of(platform.get_as(&jeanne, "/api/v1/me/demands").await).await;
    assert!(mine.to_string().contains(number), "{mine}");

    // A resident cannot file into someone else's space: the field is the desk's only.
    let other = platform.resident("paul@example.org").await;
    let mut body = dispute(&notice(2));
    body["resident_id"] = json!(account);
    let (status, filed) = json_of(
        platform
            .post_json_as(&other, "/api/v1/rapo/disputes", &body)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let (_, mine) = json_of(platform.get_as(&jeanne, "/api/v1/me/demands").await).await;
    assert!(
        !mine
            .to_string()
            .contains(filed["tracking_number"].as_str().unwrap()),
        "{mine}"
    );
}

/// The tracking numbers a desk search answers.
async fn found(platform: &Platform, token: &str, query: &str) -> Vec<String> {
    let (status, found) = json_of(
        platform
            .get_as(token, &format!("/api/v1/agent/search?q={query}"))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{found}");
    found_numbers(&found)
}

#[tokio::test]
async fn the_police_find_a_dispute_by_notice_plate_or_holder_and_other_agents_do_not() {
    let platform = Platform::start("rapo_search").await.unwrap();
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let csv = [
        FPS_HEADER.to_owned(),
        fps_line(&notice(8), "AB-123-CD", today(), "Cours Mirabeau"),
    ];
    let (status, _) = json_of(platform.import_fps(&police, &csv.join("\n")).await).await;
    assert_eq!(status, StatusCode::OK);
    let number = file_as(&platform, None, &notice(8)).await;

    // The caller reads their notice, their plate however written, or gives their name.
    for query in [
        notice(8),
        "ab%20123%20cd".to_owned(),
        "jeanne%20martin".to_owned(),
        "jeanne.martin@example.org".to_owned(),
        number.clone(),
    ] {
        assert_eq!(
            found(&platform, &police, &query).await,
            std::slice::from_ref(&number),
            "{query}"
        );
    }
    assert!(found(&platform, &police, "AB-999-ZZ").await.is_empty());
    // A roads agent's search does not reach the police's disputes.
    let roads = platform.agent("remi", &["VOIRIE"]).await;
    assert!(found(&platform, &roads, &notice(8)).await.is_empty());
}
