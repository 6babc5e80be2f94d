//! A resident's rights over their demands and data: attaching a demand filed without an
//! account, downloading everything, erasing the account.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_kit::{Owner, TrackingNumber, testing};
use guichet_tests::{Platform, samples};
use reqwest::StatusCode;
use serde_json::{Value, json};

const PASSWORD: &str = "une phrase de passe solide";

fn pothole(contact_email: &str) -> Value {
    json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond devant l'école.",
        "location": {"address": "Avenue Victor Hugo, Aix-en-Provence"},
        "contact": {"name": "Jeanne Martin", "email": contact_email}
    })
}

async fn claim(platform: &Platform, token: &str, number: &str, email: &str) -> reqwest::Response {
    platform
        .post_json_as(
            token,
            "/api/v1/me/demands/claim",
            &json!({"tracking_number": number, "email": email}),
        )
        .await
}

/// A resident erasing their account, confirming with `password`.
async fn erase(platform: &Platform, token: &str, password: &str) -> reqwest::Response {
    platform
        .http
        .delete(platform.url("/api/v1/me"))
        .bearer_auth(token)
        .json(&json!({"password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_resident_attaches_a_demand_filed_without_account_with_the_contact_given() {
    let platform = Platform::start("claim").await.unwrap();
    let filed: Value = platform
        .post_json("/api/v1/complaints", &pothole("jeanne.martin@example.fr"))
        .await
        .json()
        .await
        .unwrap();
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    let jeanne = platform.resident("jeanne@example.org").await;

    // A wrong e-mail and a number nobody holds answer exactly the same.
    let wrong = claim(&platform, &jeanne, &number, "quelqu.un@example.fr").await;
    let stranger = TrackingNumber::generate(Owner::Complaints).to_string();
    let unknown = claim(&platform, &jeanne, &stranger, "jeanne.martin@example.fr").await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status(), wrong.status());
    let (mut wrong, mut unknown): (Value, Value) =
        (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    // Each answer names its own request; nothing else may tell them apart.
    assert_ne!(wrong["instance"], unknown["instance"]);
    wrong.as_object_mut().unwrap().remove("instance");
    unknown.as_object_mut().unwrap().remove("instance");
    assert_eq!(wrong, unknown);
    let listed: Value = platform
        .get_as(&jeanne, "/api/v1/me/demands")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed, json!([]));

    let claimed = claim(
        &platform,
        &jeanne,
        &number.to_lowercase().replace('-', ""),
        "Jeanne.Martin@example.fr",
    )
    .await;
    assert_eq!(claimed.status(), StatusCode::OK);
    let listed: Value = platform
        .get_as(&jeanne, "/api/v1/me/demands")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["tracking_number"], number);

    // Now it is Jeanne's: the number alone no longer opens it.
    let path = format!("/api/v1/demands/{number}");
    assert_eq!(platform.get(&path).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        platform.get_as(&jeanne, &path).await.status(),
        StatusCode::OK
    );
    // And nobody can claim it again.
    let other = platform.resident("autre@example.org").await;
    let again = claim(&platform, &other, &number, "jeanne.martin@example.fr").await;
    assert_eq!(again.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_resident_downloads_their_data_then_erases_their_account() {
    let platform = Platform::start("rgpd").await.unwrap();
    let jeanne = platform.resident("jeanne@example.org").await;
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let filed: Value = platform
        .post_json_as(
            &jeanne,
            "/api/v1/complaints",
            &pothole("jeanne@example.org"),
        )
        .await
        .json()
        .await
        .unwrap();
    let number = filed["tracking_number"].as_str().unwrap().to_owned();

    // What the notifications service keeps: a preference, in-app messages, a rating.
    let preferences = platform
        .http
        .put(platform.url("/api/v1/me/notifications"))
        .bearer_auth(&jeanne)
        .json(&json!({"preferences": [{"topic": "message", "channels": ["app"]}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(preferences.status(), StatusCode::OK);
    let resolved = platform
        .post_json_as(
            &roads,
            &format!("/api/v1/demands/{number}/status"),
            &json!({"status": "resolved"}),
        )
        .await;
    assert_eq!(resolved.status(), StatusCode::OK);
    let account: String = testing::eventually(|| async {
        let row: Option<(Option<String>, String)> =
            sqlx::query_as("SELECT account_id, status FROM demands WHERE tracking_number = $1")
                .bind(&number)
                .fetch_optional(&platform.notifications_db)
                .await
                .unwrap();
        row.filter(|(_, status)| status == "resolved")
            .and_then(|(account, _)| account)
    })
    .await
    .expect("notifications never saw the resolution");
    let rated = platform
        .post_json_as(
            &jeanne,
            &format!("/api/v1/demands/{number}/rating"),
            &json!({"score": 4, "comment": "Réparé vite, merci de la part de Jeanne."}),
        )
        .await;
    assert_eq!(rated.status(), StatusCode::CREATED);
    let inbox: Value = platform
        .get_as(&jeanne, "/api/v1/me/messages")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        inbox
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["tracking_number"] == number.as_str()),
        "{inbox}"
    );

    let export = platform.get_as(&jeanne, "/api/v1/me/export").await;
    assert_eq!(export.status(), StatusCode::OK);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("attachment")
    );
    let export: Value = export.json().await.unwrap();
    assert_eq!(
        export["services"]["identity"]["email"],
        "jeanne@example.org"
    );
    let complaints = &export["services"]["complaints"]["complaints"];
    assert_eq!(complaints[0]["tracking_number"], number);
    assert_eq!(complaints[0]["contact_email"], "jeanne@example.org");
    let notifications = &export["services"]["notifications"];
    assert_eq!(notifications["account"]["email"], "jeanne@example.org");
    assert_eq!(
        notifications["preferences"],
        json!([{"topic": "message", "channels": ["app"]}])
    );
    assert!(
        notifications["messages"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["tracking_number"] == number.as_str()),
        "{notifications}"
    );
    assert_eq!(notifications["ratings"][0]["tracking_number"], number);
    assert_eq!(notifications["ratings"][0]["score"], 4);
    assert_eq!(
        notifications["ratings"][0]["comment"],
        "Réparé vite, merci de la part de Jeanne."
    );
    // Addresses in full: they are her own.
    assert!(
        notifications["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["recipient"] == "jeanne@example.org"),
        "{notifications}"
    );

    assert!(
        !guichet_kit::testing::rows_mentioning(&platform.notifications_db, "jeanne")
            .await
            .unwrap()
            .is_empty(),
        "the search below finds what there is"
    );

    let refused = erase(&platform, &jeanne, "pas le bon mot de passe").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let erased = erase(&platform, &jeanne, PASSWORD).await;
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);

    let login = platform
        .post_json(
            "/api/v1/auth/login",
            &json!({"email": "jeanne@example.org", "password": PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::UNAUTHORIZED);

    // The city keeps the complaint, without the person.
    let anonymised = testing::eventually(|| async {
        let row: (Option<String>, String, bool) = sqlx::query_as(
            "SELECT resident_id, contact_email, anonymised_at IS NOT NULL FROM complaints WHERE tracking_number = $1",
        )
        .bind(&number)
        .fetch_one(&platform.complaints_db)
        .await
        .unwrap();
        row.2.then_some(row)
    })
    .await
    .expect("the complaint is anonymised");
    assert_eq!(anonymised.0, None);
    assert_eq!(anonymised.1, "");
    let demand = platform
        .get_as(&roads, &format!("/api/v1/demands/{number}"))
        .await;
    assert_eq!(demand.status(), StatusCode::OK);
    let demand: Value = demand.json().await.unwrap();
    assert_eq!(demand["timeline"][0]["author"]["name"], Value::Null);

    // Nothing of hers remains in the notifications service; the score stays for the
    // city's statistics, without the comment.
    let erased = testing::eventually(|| async {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE account_id = $1")
            .bind(&account)
            .fetch_one(&platform.notifications_db)
            .await
            .unwrap();
        (left == 0).then_some(())
    })
    .await;
    assert!(erased.is_some(), "notifications never erased the account");
    for needle in [account.as_str(), "jeanne"] {
        let rows = guichet_kit::testing::rows_mentioning(&platform.notifications_db, needle)
            .await
            .unwrap();
        assert!(rows.is_empty(), "{needle} still in {rows:#?}");
    }
    let rating: (i16, String, Option<String>) =
        sqlx::query_as("SELECT score, comment, account_id FROM ratings WHERE tracking_number = $1")
            .bind(&number)
            .fetch_one(&platform.notifications_db)
            .await
            .unwrap();
    assert_eq!(rating, (4, String::new(), None));
}

#[tokio::test]
async fn a_resident_attaches_a_teleservice_demand_and_a_dispute_filed_without_account() {
    let platform = Platform::start("claim_silos").await.unwrap();
    every_silo_ready(&platform, "acte-rattache", 6).await;
    let answers = json!({
        "data": {"nom": "Martin"},
        "contact": {"name": "Jeanne Martin", "email": "jeanne.martin@example.org"}
    });
    let demand = created(
        platform
            .post_json("/api/v1/teleservices/acte-rattache/demands", &answers)
            .await,
        "teleservice demand",
    )
    .await;
    let dispute = created(
        platform
            .post_json(
                "/api/v1/rapo/disputes",
                &samples::dispute(&samples::notice(6)),
            )
            .await,
        "dispute",
    )
    .await;
    let jeanne = platform.resident("jeanne@example.org").await;
    for filed in [&demand, &dispute] {
        let number = filed["tracking_number"].as_str().unwrap();
        let wrong = claim(&platform, &jeanne, number, "quelqu.un@example.fr").await;
        assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY, "{number}");
        let claimed = claim(&platform, &jeanne, number, "jeanne.martin@example.org").await;
        assert_eq!(claimed.status(), StatusCode::OK, "{number}");
        // Hers now: the timeline says when, and the number alone no longer opens it.
        let path = format!("/api/v1/demands/{number}");
        let read: Value = platform.get_as(&jeanne, &path).await.json().await.unwrap();
        assert!(read.to_string().contains("rattachée au compte"), "{read}");
        assert_eq!(platform.get(&path).await.status(), StatusCode::NOT_FOUND);
    }
    let listed: Value = platform
        .get_as(&jeanne, "/api/v1/me/demands")
        .await
        .json()
        .await
        .unwrap();
    let mut numbers: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["tracking_number"].as_str().unwrap())
        .collect();
    numbers.sort_unstable();
    let mut expected = [
        demand["tracking_number"].as_str().unwrap(),
        dispute["tracking_number"].as_str().unwrap(),
    ];
    expected.sort_unstable();
    assert_eq!(numbers, expected);
}

/// What filing in every silo needs first: a birth-certificate teleservice `slug`
/// published by claire (civil status, form designer), and the FPS `notice(n)` imported
/// by ines (municipal police). Their tokens.
async fn every_silo_ready(platform: &Platform, slug: &str, n: u32) -> (String, String) {
    let claire = platform
        .agent_with_roles("claire", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    let definition = guichet_tests::birth_certificate(slug, &[]);
    platform.publish_teleservice(&claire, &definition).await;
    let ines = platform.agent("ines", &["POLICE_MUN"]).await;
    let notified = guichet_kit::calendar::paris_date(chrono::Utc::now());
    let fps = samples::fps_line(&samples::notice(n), "AB-123-CD", notified, "Cours Mirabeau");
    let imported = platform
        .import_fps(&ines, &format!("{}\n{fps}\n", samples::FPS_HEADER))
        .await;
    assert_eq!(imported.status(), StatusCode::OK);
    (claire, ines)
}

/// Jeanne, signed in as `token`, files in each silo (after [`every_silo_ready`] with the
/// same `slug` and `n`): a complaint, a teleservice demand and a dispute, as created.
async fn file_everywhere(platform: &Platform, token: &str, slug: &str, n: u32) -> [Value; 3] {
    let complaint = created(
        platform
            .post_json_as(token, "/api/v1/complaints", &pothole("jeanne@example.org"))
            .await,
        "complaint",
    )
    .await;
    let answers = json!({
        "data": {"nom": "Martin"},
        "contact": {"name": "Jeanne Martin", "email": "jeanne@example.org", "phone": "06 12 34 56 78"}
    });
    let demand = created(
        platform
            .post_json_as(
                token,
                &format!("/api/v1/teleservices/{slug}/demands"),
                &answers,
            )
            .await,
        "teleservice demand",
    )
    .await;
    let dispute = created(
        platform
            .post_json_as(
                token,
                "/api/v1/rapo/disputes",
                &samples::dispute(&samples::notice(n)),
            )
            .await,
        "dispute",
    )
    .await;
    [complaint, demand, dispute]
}

/// The body of a `201 Created` answer; any other status fails, with the body.
async fn created(response: reqwest::Response, what: &str) -> Value {
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert_eq!(status, StatusCode::CREATED, "{what}: {body}");
    body
}

#[tokio::test]
async fn erasing_an_account_leaves_every_silo_s_demands_without_the_person() {
    let platform = Platform::start("rgpd_silos").await.unwrap();
    every_silo_ready(&platform, "acte-rgpd", 5).await;

    // Jeanne, signed in, files in each silo and leaves a draft.
    let jeanne = platform.resident("jeanne@example.org").await;
    let [complaint, demand, dispute] = file_everywhere(&platform, &jeanne, "acte-rgpd", 5).await;
    created(
        platform
            .post_json_as(
                &jeanne,
                "/api/v1/teleservices/acte-rgpd/drafts",
                &json!({"data": {"nom": "Martin"}}),
            )
            .await,
        "draft",
    )
    .await;
    // Her export holds each silo's demand with its timeline, in the same rows.
    let export: Value = platform
        .get_as(&jeanne, "/api/v1/me/export")
        .await
        .json()
        .await
        .unwrap();
    for (service, filed) in [
        ("complaints", &complaint),
        ("teleservices", &demand),
        ("rapo", &dispute),
    ] {
        let timeline = &export["services"][service]["timeline"];
        assert_eq!(
            timeline[0]["tracking_number"], filed["tracking_number"],
            "{service}: {timeline}"
        );
        assert_eq!(
            timeline[0]["kind"], "status_change",
            "{service}: {timeline}"
        );
    }
    assert_eq!(
        export["services"]["teleservices"]["demands"][0]["answers"],
        json!({"nom": "Martin"})
    );
    let erased = erase(&platform, &jeanne, PASSWORD).await;
    assert_eq!(erased.status(), StatusCode::NO_CONTENT);

    // Each silo keeps its demand, with neither owner nor contact: the queries answer
    // once the erasure has reached them.
    let database = |name: &str| {
        platform
            .databases
            .iter()
            .find(|(service, _)| *service == name)
            .map(|(_, pool)| pool.clone())
            .unwrap()
    };
    let cases = [
        (
            "complaints",
            "SELECT resident_id, contact_name || contact_email || contact_phone
             FROM complaints WHERE anonymised_at IS NOT NULL AND tracking_number = $1",
            &complaint,
        ),
        (
            "teleservices",
            "SELECT resident_id, contact_name || contact_email || contact_phone || data::text
             FROM demands WHERE anonymised_at IS NOT NULL AND tracking_number = $1",
            &demand,
        ),
        (
            "rapo",
            "SELECT resident_id, contact_email || contact_phone
             FROM disputes WHERE anonymised_at IS NOT NULL AND tracking_number = $1",
            &dispute,
        ),
    ];
    for (service, sql, filed) in cases {
        let pool = database(service);
        let number = filed["tracking_number"].as_str().unwrap();
        let left: (Option<String>, String) = testing::eventually(|| async {
            sqlx::query_as(sql)
                .bind(number)
                .fetch_optional(&pool)
                .await
                .unwrap()
        })
        .await
        .unwrap_or_else(|| panic!("{service} never anonymised {number}"));
        let emptied = if service == "teleservices" { "{}" } else { "" };
        assert_eq!(left, (None, emptied.to_owned()), "{service}");
    }
    // Nowhere else in those services either: not in a timeline, an upload or the outbox.
    for service in ["complaints", "teleservices", "rapo"] {
        for needle in [
            "jeanne@example.org",
            "jeanne.martin@example.org",
            "06 12 34 56 78",
        ] {
            let rows = testing::rows_mentioning(&database(service), needle)
                .await
                .unwrap();
            assert!(rows.is_empty(), "{service} still holds {needle}: {rows:#?}");
        }
    }
    // Her draft goes too: it was never filed.
    let drafts: i64 = sqlx::query_scalar("SELECT count(*) FROM drafts")
        .fetch_one(&database("teleservices"))
        .await
        .unwrap();
    assert_eq!(drafts, 0);
    // The dispute is a record the city must keep: the holder it names stays.
    let holder: String = sqlx::query_scalar("SELECT holder_name FROM disputes")
        .fetch_one(&database("rapo"))
        .await
        .unwrap();
    assert_eq!(holder, "Jeanne Martin");
}

/// The agents' reads of a person's demand are in the journal, in every silo; the
/// person reading their own demand is not.
#[tokio::test]
async fn an_agents_reads_are_journalled_in_every_silo_and_a_residents_own_are_not() {
    let platform = Platform::start("rgpd_reads").await.unwrap();
    let (claire, ines) = every_silo_ready(&platform, "acte-lecture", 7).await;
    let karim = platform.agent("karim", &["VOIRIE"]).await;

    let jeanne = platform.resident("jeanne@example.org").await;
    let [complaint, demand, dispute] = file_everywhere(&platform, &jeanne, "acte-lecture", 7).await;

    let admin = platform.admin().await;
    for (filed, agent, name) in [
        (&complaint, &karim, "karim"),
        (&demand, &claire, "claire"),
        (&dispute, &ines, "ines"),
    ] {
        let number = filed["tracking_number"].as_str().unwrap();
        let path = format!("/api/v1/demands/{number}");
        // Jeanne reads her own, then the agent handling it reads it.
        assert_eq!(
            platform.get_as(&jeanne, &path).await.status(),
            StatusCode::OK
        );
        assert_eq!(platform.get_as(agent, &path).await.status(), StatusCode::OK);
        let reads = testing::eventually(|| async {
            let journal: Value = platform
                .get_as(&admin, &format!("/api/v1/admin/audit?subject={number}"))
                .await
                .json()
                .await
                .unwrap();
            let reads: Vec<Value> = journal["entries"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|e| e["action"] == "read")
                .cloned()
                .collect();
            (!reads.is_empty()).then_some(reads)
        })
        .await
        .unwrap_or_else(|| panic!("{number}: the agent's read is not in the journal"));
        assert_eq!(reads.len(), 1, "{number}: one read, the agent's: {reads:?}");
        assert_eq!(reads[0]["actor_name"], name, "{number}");
    }
}
