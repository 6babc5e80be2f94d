//! Text the platform accepts can always be served. Characters XML 1.0 forbids (NUL and
//! the other C0 controls but tab and line breaks, U+FFFE, U+FFFF) are refused at intake
//! with a `422` naming the field, and nothing is kept; text that needs escaping (`<`,
//! `&`, quotes), emoji and accents reach Open311 XML and the Atom feed intact, and both
//! stay well-formed even over older rows that hold a forbidden character.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::{Platform, pothole};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

/// Text that must be escaped in XML, with an emoji and accents.
const TRICKY: &str = "12 rue \"Émile Zola\" & <impasse> l'Étang 🚧";

/// Checks a `422 invalid_character` problem naming `field`, with a French detail.
async fn refused(response: reqwest::Response, field: &str) {
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], "invalid_character", "{problem}");
    assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains("caractère non autorisé"), "{detail}");
    assert!(detail.contains(field), "{detail}");
}

/// The XML document, parsed by a strict parser: it must be well-formed.
fn parse(xml: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("not well-formed ({e}): {xml:?}"))
}

/// The texts of every element named `name`.
fn texts(document: &roxmltree::Document<'_>, name: &str) -> Vec<String> {
    document
        .descendants()
        .filter(|n| n.has_tag_name(name))
        .map(|n| n.text().unwrap_or_default().to_owned())
        .collect()
}

async fn api_key(platform: &Platform) -> String {
    let admin = platform.admin().await;
    let response = platform
        .post_json_as(
            &admin,
            "/api/v1/admin/open311/keys",
            &json!({"label": "Application Aix Propre"}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let key: Value = response.json().await.unwrap();
    key["api_key"].as_str().unwrap().to_owned()
}

async fn announce(platform: &Platform, title: &str, body: &str) {
    let admin = platform.admin().await;
    let published = platform
        .post_json_as(
            &admin,
            "/api/v1/agent/announcements",
            &json!({
                "title": title,
                "body": body,
                "channels": ["web"],
                "valid_until": chrono::Utc::now() + chrono::Duration::hours(2),
            }),
        )
        .await;
    let status = published.status();
    assert_eq!(
        status,
        StatusCode::CREATED,
        "{}",
        published.text().await.unwrap()
    );
}

async fn text_of(platform: &Platform, path: &str) -> String {
    let response = platform.get(path).await;
    assert_eq!(response.status(), StatusCode::OK, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn a_complaint_holding_a_character_xml_forbids_is_refused_naming_the_field_and_kept_nowhere()
{
    let platform = Platform::start("xml_intake").await.unwrap();
    let key = api_key(&platform).await;
    // Issuing the key is audited through the outbox: nothing after it is.
    let events = platform.complaints_rows("outbox").await;

    let mut body = pothole();
    body["location"]["address"] = json!("Cours Mirabeau\u{FFFF}");
    refused(
        platform.post_json("/api/v1/complaints", &body).await,
        "location.address",
    )
    .await;

    let mut body = pothole();
    body["description"] = json!("Trou profond\u{0} sur la chaussée.");
    refused(
        platform.post_json("/api/v1/complaints", &body).await,
        "description",
    )
    .await;

    let mut body = pothole();
    body["photos"] = json!([{"filename": "trou\u{1B}.png", "content_base64": "iVBORw0KGgo="}]);
    refused(
        platform.post_json("/api/v1/complaints", &body).await,
        "photos[0].filename",
    )
    .await;

    // A key counts as much as a value, even one the gateway would ignore.
    let mut body = pothole();
    body["contact"]["note\u{FFFE}"] = json!("x");
    refused(
        platform.post_json("/api/v1/complaints", &body).await,
        "contact.note\u{FFFD}",
    )
    .await;

    // Through Open311 (form-encoded), its error document names the parameter.
    let form = [
        ("api_key", key.as_str()),
        ("service_code", "NID_DE_POULE"),
        ("lat", "43.5263"),
        ("long", "5.4474"),
        ("address_string", "Cours Mirabeau\u{FFFF}"),
        ("description", "Trou profond."),
    ];
    let response = platform
        .http
        .post(platform.url("/open311/v2/requests.json"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let errors: Value = response.json().await.unwrap();
    assert_eq!(errors[0]["code"], 400);
    assert!(
        errors[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("address_string"),
        "{errors}"
    );

    // A query string that would reach a service is judged the same way.
    refused(
        platform.get("/api/v1/announcements?channel=web%00").await,
        "channel",
    )
    .await;

    assert_eq!(platform.complaints_rows("complaints").await, 0);
    assert_eq!(platform.complaints_rows("outbox").await, events);
}

#[tokio::test]
async fn a_draft_answer_or_a_message_holding_such_a_character_is_refused_and_kept_nowhere() {
    let platform = Platform::start("xml_drafts").await.unwrap();
    let designer = platform
        .agent_with_roles("claire", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    let definition = guichet_tests::birth_certificate("acte-xml", &[]);
    let saved = platform
        .post_json_as(&designer, "/api/v1/agent/teleservices", &definition)
        .await;
    assert_eq!(saved.status(), StatusCode::CREATED);
    let published = platform
        .post_json_as(
            &designer,
            "/api/v1/agent/teleservices/acte-xml/state",
            &json!({"state": "published"}),
        )
        .await;
    assert_eq!(published.status(), StatusCode::OK);

    let resident = platform.resident("paul@example.org").await;
    refused(
        platform
            .post_json_as(
                &resident,
                "/api/v1/teleservices/acte-xml/drafts",
                &json!({"data": {"nom": "Durand\u{FFFF}"}}),
            )
            .await,
        "data.nom",
    )
    .await;
    let drafts: Value = platform
        .get_as(&resident, "/api/v1/me/drafts")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(drafts, json!([]), "no draft kept");

    // A message in a complaint's timeline.
    let filed = platform.post_json("/api/v1/complaints", &pothole()).await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    let filed: Value = filed.json().await.unwrap();
    let number = filed["tracking_number"].as_str().unwrap();
    let path = format!("/api/v1/demands/{number}/messages");
    refused(
        platform
            .post_json(&path, &json!({"text": "Bonjour\u{0}, des nouvelles ?"}))
            .await,
        "text",
    )
    .await;
    refused(
        platform
            .post_json(&path, &json!({"text": "Bonjour\u{FFFF}"}))
            .await,
        "text",
    )
    .await;
    let messages: i64 = sqlx::query_scalar("SELECT count(*) FROM timeline WHERE kind = 'message'")
        .fetch_one(&platform.complaints_db)
        .await
        .unwrap();
    assert_eq!(messages, 0, "no message kept");
    // Tab and line breaks are text, not controls to refuse.
    let answered = platform
        .post_json(&path, &json!({"text": "Bonjour,\r\n\tdes nouvelles ?"}))
        .await;
    assert_eq!(answered.status(), StatusCode::OK);
}

#[tokio::test]
async fn text_that_needs_escaping_reaches_open311_xml_and_the_atom_feed_intact() {
    let platform = Platform::start("xml_escaping").await.unwrap();
    let mut body = pothole();
    body["location"]["address"] = json!(TRICKY);
    body["description"] = json!(format!("{TRICKY}\tligne\nsuivante"));
    let filed = platform.post_json("/api/v1/complaints", &body).await;
    assert_eq!(filed.status(), StatusCode::CREATED);

    // Filed through Open311 too: its own XML answer is well-formed.
    let key = api_key(&platform).await;
    let response = platform
        .http
        .post(platform.url("/open311/v2/requests.xml"))
        .form(&[
            ("api_key", key.as_str()),
            ("service_code", "ECLAIRAGE_PANNE"),
            ("lat", "43.5263"),
            ("long", "5.4474"),
            ("address_string", TRICKY),
            ("description", TRICKY),
            ("first_name", "Zoë"),
            ("last_name", "O'Neil <&>"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let answer = response.text().await.unwrap();
    assert_eq!(texts(&parse(&answer), "service_request_id").len(), 1);

    let xml = text_of(&platform, "/open311/v2/requests.xml").await;
    let document = parse(&xml);
    assert_eq!(
        document.root_element().tag_name().name(),
        "service_requests"
    );
    assert_eq!(texts(&document, "address"), [TRICKY, TRICKY], "{xml}");
    let ids = texts(&document, "service_request_id");
    let one = text_of(&platform, &format!("/open311/v2/requests/{}.xml", ids[0])).await;
    assert_eq!(texts(&parse(&one), "address"), [TRICKY]);

    // A carriage return survives too: written raw, a parser would read a line feed.
    announce(&platform, TRICKY, &format!("{TRICKY}\r\nÀ bientôt ✨")).await;
    let atom = text_of(&platform, "/api/v1/announcements.atom").await;
    let feed = parse(&atom);
    let root = feed.root_element();
    assert_eq!(root.tag_name().name(), "feed");
    assert_eq!(
        root.tag_name().namespace(),
        Some("http://www.w3.org/2005/Atom")
    );
    let entry = root
        .children()
        .find(|n| n.has_tag_name("entry"))
        .expect("one entry");
    let child = |name: &str| {
        entry
            .children()
            .find(|n| n.has_tag_name(name))
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_owned()
    };
    assert_eq!(child("title"), TRICKY);
    assert_eq!(child("content"), format!("{TRICKY}\r\nÀ bientôt ✨"));
}

#[tokio::test]
async fn older_rows_holding_forbidden_characters_still_make_well_formed_xml() {
    let platform = Platform::start("xml_older").await.unwrap();
    let filed = platform.post_json("/api/v1/complaints", &pothole()).await;
    assert_eq!(filed.status(), StatusCode::CREATED);
    // Stored before intake refused them (PostgreSQL keeps no NUL in text).
    sqlx::query(
        "UPDATE complaints SET address = 'Cours' || chr(65535) || chr(1) || ' Mira' || chr(65534) || 'beau'",
    )
    .execute(&platform.complaints_db)
    .await
    .unwrap();

    let xml = text_of(&platform, "/open311/v2/requests.xml").await;
    assert_eq!(texts(&parse(&xml), "address"), ["Cours Mirabeau"], "{xml}");
    // JSON carries such characters escaped: it stays as stored.
    let json: Value = platform
        .get("/open311/v2/requests.json")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(json[0]["address"], "Cours\u{FFFF}\u{1} Mira\u{FFFE}beau");

    announce(&platform, "Travaux", "Circulation perturbée.").await;
    sqlx::query(
        "UPDATE announcements SET title = 'Tra' || chr(65535) || 'vaux', body = 'Circulation' || chr(27) || ' perturbée.', author_name = 'Ville' || chr(8)",
    )
    .execute(&platform.notifications_db)
    .await
    .unwrap();
    let atom = text_of(&platform, "/api/v1/announcements.atom").await;
    let feed = parse(&atom);
    assert_eq!(texts(&feed, "title")[1..], ["Travaux"], "{atom}");
    assert_eq!(texts(&feed, "content"), ["Circulation perturbée."]);
}
