//! Open311 GeoReport v2 at `/open311/v2/`, checked field by field against the
//! specification (http://wiki.open311.org/GeoReport_v2) in both formats: discovery,
//! services and a service definition, `POST requests` with and without a valid API key,
//! `GET requests` by id and with filters, tokens, and the error documents; what the
//! clients met in the wild need: the API key in the query string, W3C dates without
//! seconds or time, an unknown jurisdiction refused everywhere, Open311 errors on every
//! path under `/open311/v2`, exact content types for discovery, and empty lists written
//! as the specification writes lists.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::{Datelike as _, Days, Utc};
use guichet_kit::calendar::paris_date;
use guichet_tests::{
    Platform,
    multipart::{self, Part},
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The fields of a service request, in the specification's order.
const REQUEST_FIELDS: &[&str] = &[
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
];

/// The names of the opening tags of an XML document, in order.
fn tags(xml: &str) -> Vec<String> {
    xml.split('<')
        .skip(1)
        .filter(|t| !t.starts_with('/') && !t.starts_with('?'))
        .map(|t| t.split(['>', ' ', '/']).next().unwrap().to_owned())
        .collect()
}

/// The document without the layout the specification's examples use (a line per
/// element, indented), for comparing its elements.
fn compact(xml: &str) -> String {
    xml.lines().map(str::trim_start).collect()
}

/// The text of the first `<name>` element.
fn text<'a>(xml: &'a str, name: &str) -> &'a str {
    let open = format!("<{name}>");
    let start = xml
        .find(&open)
        .unwrap_or_else(|| panic!("no <{name}> in {xml}"))
        + open.len();
    let end = xml[start..].find(&format!("</{name}>")).unwrap() + start;
    &xml[start..end]
}

async fn get(platform: &Platform, path: &str) -> (StatusCode, String, String) {
    let response = platform.get(path).await;
    let status = response.status();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    (status, content_type, response.text().await.unwrap())
}

/// Any method, with a body or none: status, content type and body.
async fn send(
    platform: &Platform,
    method: Method,
    path: &str,
    body: Option<(&str, Vec<u8>)>,
) -> (StatusCode, String, String, reqwest::header::HeaderMap) {
    let mut request = platform.http.request(method, platform.url(path));
    if let Some((content_type, body)) = body {
        request = request.header("content-type", content_type).body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let content_type = headers
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (
        status,
        content_type,
        response.text().await.unwrap(),
        headers,
    )
}

/// The specification's error document, in the format asked for, with `status` in the
/// header and the body.
fn assert_open311_error(
    (status, content_type, body): (StatusCode, &str, &str),
    expected: StatusCode,
    json_format: bool,
) {
    assert_eq!(status, expected, "{body}");
    let code = i64::from(expected.as_u16());
    if json_format {
        assert_eq!(content_type, "application/json; charset=utf-8", "{body}");
        let errors: Value = serde_json::from_str(body).unwrap();
        assert_eq!(errors[0]["code"], code, "{body}");
        assert!(!errors[0]["description"].as_str().unwrap().is_empty());
    } else {
        assert_eq!(content_type, "text/xml; charset=utf-8", "{body}");
        let document = roxmltree::Document::parse(body).unwrap();
        assert_eq!(document.root_element().tag_name().name(), "errors");
        assert_eq!(text(body, "code"), code.to_string(), "{body}");
    }
}

async fn post_form(platform: &Platform, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
    let response = platform
        .http
        .post(platform.url(path))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = response.status();
    (status, response.text().await.unwrap())
}

fn is_iso8601_with_zone(value: &str) -> bool {
    chrono::DateTime::parse_from_rfc3339(value).is_ok()
        && (value.ends_with('Z') || value[value.len() - 6..].starts_with(['+', '-']))
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

#[tokio::test]
async fn discovery_and_services_are_as_the_specification_writes_them() {
    let platform = Platform::start("o311_services").await.unwrap();

    let (status, _, body) = get(&platform, "/open311/v2/discovery.json").await;
    assert_eq!(status, StatusCode::OK);
    let discovery: Value = serde_json::from_str(&body).unwrap();
    for field in ["changeset", "contact", "key_service", "endpoints"] {
        assert!(discovery.get(field).is_some(), "{field}: {discovery}");
    }
    let endpoint = &discovery["endpoints"][0];
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert_eq!(endpoint["url"], format!("{}/open311/v2", platform.base));
    // Only a trusted proxy may say the request came over HTTPS; a client cannot make
    // the document advertise another scheme.
    let claimed: Value = platform
        .http
        .get(platform.url("/open311/v2/discovery.json"))
        .header("x-forwarded-proto", "https")
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(claimed["endpoints"][0]["url"], endpoint["url"]);
    assert_eq!(endpoint["type"], "production");
    assert_eq!(endpoint["formats"], json!(["text/xml", "application/json"]));
    assert!(is_iso8601_with_zone(
        endpoint["changeset"].as_str().unwrap()
    ));

    let (status, _, xml) = get(&platform, "/open311/v2/discovery.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<discovery>"));
    assert_eq!(
        tags(&xml),
        [
            "discovery",
            "changeset",
            "contact",
            "key_service",
            "endpoints",
            "endpoint",
            "specification",
            "url",
            "changeset",
            "type",
            "formats",
            "format",
            "format"
        ]
    );

    let (_, _, body) = get(&platform, "/open311/v2/services.json").await;
    let services: Value = serde_json::from_str(&body).unwrap();
    let services = services.as_array().unwrap();
    assert_eq!(services.len(), 32);
    let pothole = services
        .iter()
        .find(|s| s["service_code"] == "NID_DE_POULE")
        .unwrap();
    let mut fields: Vec<&str> = pothole
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "description",
            "group",
            "keywords",
            "metadata",
            "service_code",
            "service_name",
            "type"
        ]
    );
    assert_eq!(pothole["service_name"], "Nid-de-poule / chaussée dégradée");
    assert_eq!(pothole["metadata"], true);
    assert_eq!(pothole["type"], "realtime");
    assert_eq!(pothole["group"], "VOIRIE");

    let (_, _, xml) = get(&platform, "/open311/v2/services.xml").await;
    let xml = compact(&xml);
    assert!(xml.starts_with(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><services><service><service_code>"
    ));
    assert_eq!(xml.matches("<service>").count(), 32);
    assert_eq!(
        &tags(&xml)[1..9],
        [
            "service",
            "service_code",
            "service_name",
            "description",
            "metadata",
            "type",
            "keywords",
            "group"
        ]
    );
    assert!(xml.contains("<metadata>true</metadata>"));

    let (status, _, body) = get(&platform, "/open311/v2/services/NID_DE_POULE.json").await;
    assert_eq!(status, StatusCode::OK);
    let definition: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(definition["service_code"], "NID_DE_POULE");
    let attribute = &definition["attributes"][0];
    for field in [
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
    ] {
        assert!(attribute.get(field).is_some(), "{field}: {attribute}");
    }
    assert_eq!(attribute["variable"], false);
    assert_eq!(attribute["datatype"], "string");
    assert_eq!(attribute["order"], 1);
    assert!(
        attribute["description"]
            .as_str()
            .unwrap()
            .contains("10 jours")
    );
    let (_, _, xml) = get(&platform, "/open311/v2/services/NID_DE_POULE.xml").await;
    assert!(compact(&xml).contains("<service_definition><service_code>NID_DE_POULE</service_code><attributes><attribute><variable>false</variable>"));

    // Errors: an unknown service, in each format's error document.
    let (status, _, body) = get(&platform, "/open311/v2/services/VOLCAN.json").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let errors: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(errors[0]["code"], 404);
    assert!(errors[0]["description"].is_string());
    let (status, _, xml) = get(&platform, "/open311/v2/services/VOLCAN.xml").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(compact(&xml).contains("<errors><error><code>404</code><description>"));
}

#[tokio::test]
async fn requests_are_filed_with_a_key_and_read_by_id_and_filters_in_both_formats() {
    let platform = Platform::start("o311_requests").await.unwrap();
    let key = api_key(&platform).await;
    let pothole = [
        ("service_code", "NID_DE_POULE"),
        ("lat", "43.5263"),
        ("long", "5.4474"),
        ("address_string", "Cours Mirabeau"),
        ("description", "Trou profond devant le numéro 12."),
        ("email", "jeanne.martin@example.fr"),
        ("first_name", "Jeanne"),
        ("last_name", "Martin"),
        ("phone", "06 12 34 56 78"),
    ];

    // Without a key, or with a wrong one: 403, nothing filed.
    let (status, body) = post_form(&platform, "/open311/v2/requests.json", &pothole).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let errors: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(errors[0]["code"], 403);
    let mut wrong = pothole.to_vec();
    wrong.push(("api_key", "0000"));
    let (status, body) = post_form(&platform, "/open311/v2/requests.xml", &wrong).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        compact(&body).contains("<errors><error><code>403</code>"),
        "{body}"
    );
    assert_eq!(platform.complaints_rows("complaints").await, 0);

    // With the key: JSON…
    let mut with_key = pothole.to_vec();
    with_key.push(("api_key", &key));
    let (status, body) = post_form(&platform, "/open311/v2/requests.json", &with_key).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    let created = created.as_array().unwrap();
    assert_eq!(created.len(), 1);
    let id = created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(created[0]["service_notice"].as_str().unwrap().contains("C"));
    assert!(created[0].get("account_id").is_some());
    // …and XML, for a streetlight.
    let mut light = with_key.clone();
    light[0] = ("service_code", "ECLAIRAGE_PANNE");
    let (status, xml) = post_form(&platform, "/open311/v2/requests.xml", &light).await;
    assert_eq!(status, StatusCode::OK, "{xml}");
    assert_eq!(
        tags(&xml),
        [
            "service_requests",
            "request",
            "service_request_id",
            "service_notice",
            "account_id"
        ]
    );
    let light_id = text(&xml, "service_request_id").to_owned();

    // A request with a missing parameter: 400, said in the spec's error document.
    let missing = [
        ("api_key", key.as_str()),
        ("service_code", "NID_DE_POULE"),
        ("description", "x"),
    ];
    let (status, body) = post_form(&platform, "/open311/v2/requests.json", &missing).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let errors: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(errors[0]["code"], 400);
    assert!(
        errors[0]["description"]
            .as_str()
            .unwrap()
            .starts_with("address_string"),
        "{errors}"
    );

    // GET one by id, field by field.
    let (status, _, body) = get(&platform, &format!("/open311/v2/requests/{id}.json")).await;
    assert_eq!(status, StatusCode::OK);
    let found: Value = serde_json::from_str(&body).unwrap();
    let request = &found.as_array().unwrap()[0];
    let mut fields: Vec<&str> = request
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut expected = REQUEST_FIELDS.to_vec();
    fields.sort_unstable();
    expected.sort_unstable();
    assert_eq!(fields, expected);
    assert_eq!(request["service_request_id"], id);
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "NID_DE_POULE");
    assert_eq!(request["service_name"], "Nid-de-poule / chaussée dégradée");
    assert_eq!(request["agency_responsible"], "VOIRIE");
    assert_eq!(request["address"], "Cours Mirabeau");
    assert_eq!(request["lat"], 43.5263);
    assert_eq!(request["long"], 5.4474);
    for date in [
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
    ] {
        assert!(
            is_iso8601_with_zone(request[date].as_str().unwrap()),
            "{date}: {request}"
        );
    }
    // Nothing personal is published.
    assert!(!body.contains("Jeanne") && !body.contains("Trou profond"));

    let (status, content_type, xml) =
        get(&platform, &format!("/open311/v2/requests/{id}.xml")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/xml; charset=utf-8");
    let mut expected_tags = vec!["service_requests", "request"];
    expected_tags.extend_from_slice(REQUEST_FIELDS);
    assert_eq!(tags(&xml), expected_tags);
    assert_eq!(text(&xml, "status"), "open");
    assert!(is_iso8601_with_zone(text(&xml, "requested_datetime")));

    let (status, _, body) = get(
        &platform,
        "/open311/v2/requests/0191d1a2-0000-7000-8000-000000000000.json",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()[0]["code"],
        404
    );

    // The roads department fixes the pothole: it turns closed, with the agent's notes.
    let number = created[0]["service_notice"]
        .as_str()
        .unwrap()
        .rsplit(' ')
        .next()
        .unwrap()
        .to_owned();
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    // The agent reads what the client sent for the resident: the words, the place, and
    // how to reach her, which the public documents never show.
    let demand: Value = platform
        .get_as(&roads, &format!("/api/v1/demands/{number}"))
        .await
        .json()
        .await
        .unwrap();
    let dossier = &demand["dossier"];
    assert_eq!(
        dossier["description"], "Trou profond devant le numéro 12.",
        "{demand}"
    );
    assert_eq!(dossier["address"], "Cours Mirabeau", "{demand}");
    assert_eq!(
        dossier["contact"],
        json!({"name": "Jeanne Martin", "email": "jeanne.martin@example.fr", "phone": "06 12 34 56 78"}),
        "{demand}"
    );
    let fixed = platform
        .post_json_as(
            &roads,
            &format!("/api/v1/demands/{number}/status"),
            &json!({"status": "resolved", "reason": "Rebouché."}),
        )
        .await;
    assert_eq!(fixed.status(), StatusCode::OK);

    // Filters: by ids (comma list), by service code, by status, by dates; both formats.
    let list = |query: String| {
        let platform = &platform;
        async move {
            let (status, _, body) =
                get(platform, &format!("/open311/v2/requests.json?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            let found: Value = serde_json::from_str(&body).unwrap();
            found
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let mut both = list(format!("service_request_id={id},{light_id}")).await;
    both.sort();
    let mut expected = vec![id.clone(), light_id.clone()];
    expected.sort();
    assert_eq!(both, expected);
    assert_eq!(
        list("service_code=ECLAIRAGE_PANNE".into()).await,
        [light_id.as_str()]
    );
    assert_eq!(list("status=closed".into()).await, [id.as_str()]);
    assert_eq!(list("status=open".into()).await, [light_id.as_str()]);
    assert_eq!(list("status=open,closed".into()).await.len(), 2);
    assert_eq!(
        list("start_date=2000-01-01T00:00:00Z&end_date=2001-01-01T00:00:00Z".into())
            .await
            .len(),
        0
    );
    assert_eq!(
        list("start_date=2000-01-01T00:00:00%2B01:00&service_code=NID_DE_POULE".into()).await,
        [id.as_str()]
    );
    let (_, _, body) = get(
        &platform,
        &format!("/open311/v2/requests.json?service_request_id={id}"),
    )
    .await;
    let closed: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(closed[0]["status"], "closed");
    assert_eq!(closed[0]["status_notes"], "Rebouché.");

    let (status, _, xml) = get(&platform, "/open311/v2/requests.xml?status=closed").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(xml.matches("<request>").count(), 1);
    assert_eq!(text(&xml, "status"), "closed");
    assert_eq!(text(&xml, "service_request_id"), id);

    let (status, _, body) = get(&platform, "/open311/v2/requests.json?start_date=hier").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        serde_json::from_str::<Value>(&body).unwrap()[0]["code"],
        400
    );
    let (status, _, xml) = get(&platform, "/open311/v2/requests.xml?status=pending").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(compact(&xml).contains("<errors><error><code>400</code>"));

    // Tokens: requests are created at once, the token is the id.
    let (status, _, body) = get(&platform, &format!("/open311/v2/tokens/{id}.json")).await;
    assert_eq!(status, StatusCode::OK);
    let token: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(token, json!([{"service_request_id": id, "token": id}]));
    let (_, _, xml) = get(&platform, &format!("/open311/v2/tokens/{id}.xml")).await;
    assert_eq!(
        tags(&xml),
        ["service_requests", "request", "service_request_id", "token"]
    );
}

#[tokio::test]
async fn a_revoked_key_files_nothing_more() {
    let platform = Platform::start("o311_revoke").await.unwrap();
    let admin = platform.admin().await;
    let issued: Value = platform
        .post_json_as(
            &admin,
            "/api/v1/admin/open311/keys",
            &json!({"label": "Application retirée"}),
        )
        .await
        .json()
        .await
        .unwrap();
    let key = issued["api_key"].as_str().unwrap();
    let request = [
        ("api_key", key),
        ("service_code", "NID_DE_POULE"),
        ("lat", "43.5263"),
        ("long", "5.4474"),
        ("description", "Trou profond."),
    ];
    let (status, body) = post_form(&platform, "/open311/v2/requests.json", &request).await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let path = format!(
        "/api/v1/admin/open311/keys/{}",
        issued["id"].as_str().unwrap()
    );
    let clerk = platform.agent("sophie", &["MRU"]).await;
    let refused = platform
        .http
        .delete(platform.url(&path))
        .bearer_auth(&clerk)
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let revoked = platform
        .http
        .delete(platform.url(&path))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), StatusCode::OK);
    let revoked: Value = revoked.json().await.unwrap();
    assert_eq!(revoked["label"], "Application retirée");
    assert!(
        revoked.get("api_key").is_none(),
        "a key is never shown again"
    );

    let (status, body) = post_form(&platform, "/open311/v2/requests.json", &request).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(platform.complaints_rows("complaints").await, 1);
    let again = platform
        .http
        .delete(platform.url(&path))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

/// A pothole request, as every test files it.
const POTHOLE: &[(&str, &str)] = &[
    ("service_code", "NID_DE_POULE"),
    ("lat", "43.5263"),
    ("long", "5.4474"),
    ("address_string", "Cours Mirabeau"),
    ("description", "Trou profond devant le numéro 12."),
];

/// Files a pothole with `key` in the body; its `service_request_id`.
async fn file(platform: &Platform, key: &str) -> String {
    let mut form = POTHOLE.to_vec();
    form.push(("api_key", key));
    let (status, body) = post_form(platform, "/open311/v2/requests.json", &form).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    created[0]["service_request_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test]
async fn discovery_is_served_as_exactly_the_media_types_it_lists() {
    let platform = Platform::start("o311_types").await.unwrap();
    // Strict validators compare the content type with `formats`, whole.
    let (status, content_type, body) = get(&platform, "/open311/v2/discovery.json").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "application/json");
    let discovery: Value = serde_json::from_str(&body).unwrap();
    let formats = &discovery["endpoints"][0]["formats"];
    assert_eq!(formats[1], content_type.as_str());
    let (status, content_type, _) = get(&platform, "/open311/v2/discovery.xml").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/xml");
    assert_eq!(formats[0], content_type.as_str());

    // The GeoReport documents, errors included, as the specification's "Format
    // Support" shows them.
    for (path, expected) in [
        ("/open311/v2/services.xml", "text/xml; charset=utf-8"),
        (
            "/open311/v2/services.json",
            "application/json; charset=utf-8",
        ),
        (
            "/open311/v2/services/NID_DE_POULE.xml",
            "text/xml; charset=utf-8",
        ),
        (
            "/open311/v2/requests.json",
            "application/json; charset=utf-8",
        ),
        ("/open311/v2/services/VOLCAN.xml", "text/xml; charset=utf-8"),
    ] {
        let (_, content_type, _) = get(&platform, path).await;
        assert_eq!(content_type, expected, "{path}");
    }
}

#[tokio::test]
async fn a_client_files_with_a_photo_as_a_multipart_form() {
    let platform = Platform::start("o311_media").await.unwrap();
    let key = api_key(&platform).await;
    let photo = guichet_kit::testing::photos::jpeg_with_gps();

    // As the `three` client sends a request with `media`: every parameter a text part.
    let mut parts: Vec<Part<'_>> = POTHOLE
        .iter()
        .map(|(name, value)| multipart::text(name, "text/plain", value.as_bytes()))
        .collect();
    parts.push(multipart::text("api_key", "text/plain", key.as_bytes()));
    parts.push(multipart::file("media", "trou.jpg", &photo));
    let response = platform
        .post_form(None, "/open311/v2/requests.json", &parts)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let created: Value = response.json().await.unwrap();
    let notice = created[0]["service_notice"].as_str().unwrap();
    let number = notice.rsplit(' ').next().unwrap();
    let roads = platform.agent("odile", &["VOIRIE"]).await;
    let photos: Value = platform
        .get_as(&roads, &format!("/api/v1/demands/{number}/photos"))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(photos.as_array().unwrap().len(), 1, "{photos}");
    assert_eq!(photos[0]["mime_type"], "image/jpeg");

    // A file that is no photo is an Open311 error, and files nothing.
    let mut parts: Vec<Part<'_>> = POTHOLE
        .iter()
        .map(|(name, value)| multipart::text(name, "text/plain", value.as_bytes()))
        .collect();
    parts.push(multipart::text("api_key", "text/plain", key.as_bytes()));
    parts.push(multipart::file("media", "trou.pdf", b"%PDF-1.7\n%%EOF\n"));
    let response = platform
        .post_form(None, "/open311/v2/requests.xml", &parts)
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        response.headers()["content-type"],
        "text/xml; charset=utf-8"
    );
    let xml = response.text().await.unwrap();
    assert!(text(&xml, "description").contains("JPEG"), "{xml}");
    assert_eq!(platform.complaints_rows("complaints").await, 1);
}

#[tokio::test]
async fn a_client_may_send_its_api_key_in_the_query_string() {
    let platform = Platform::start("o311_query_key").await.unwrap();
    let key = api_key(&platform).await;

    // The Code for America client: the key in the query string, the request in the body.
    let (status, body) = post_form(
        &platform,
        &format!("/open311/v2/requests.json?api_key={key}"),
        POTHOLE,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let created: Value = serde_json::from_str(&body).unwrap();
    assert!(created[0]["service_request_id"].is_string(), "{created}");

    // Everything in the query string and no body at all (node-open311).
    let query: Vec<String> = POTHOLE
        .iter()
        .map(|(name, value)| format!("{name}={}", value.replace(' ', "+")))
        .collect();
    let (status, _, xml, _) = send(
        &platform,
        Method::POST,
        &format!(
            "/open311/v2/requests.xml?api_key={key}&jurisdiction_id=aixenprovence.fr&{}",
            query.join("&")
        ),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{xml}");
    assert!(!text(&xml, "service_request_id").is_empty());

    // An empty key in the body (a client's unset setting) does not hide the real one.
    let mut form = POTHOLE.to_vec();
    form.push(("api_key", ""));
    let (status, body) = post_form(
        &platform,
        &format!("/open311/v2/requests.json?api_key={key}"),
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A wrong key is refused wherever it is.
    let (status, body) =
        post_form(&platform, "/open311/v2/requests.json?api_key=0000", POTHOLE).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(platform.complaints_rows("complaints").await, 3);
}

#[tokio::test]
async fn an_unknown_jurisdiction_is_not_found_on_every_route() {
    let platform = Platform::start("o311_jurisdiction").await.unwrap();
    let key = api_key(&platform).await;
    let id = file(&platform, &key).await;

    let routes = [
        "/open311/v2/discovery".to_owned(),
        "/open311/v2/services".to_owned(),
        "/open311/v2/services/NID_DE_POULE".to_owned(),
        "/open311/v2/requests".to_owned(),
        format!("/open311/v2/requests/{id}"),
        format!("/open311/v2/tokens/{id}"),
    ];
    for route in &routes {
        for extension in ["json", "xml"] {
            let (status, content_type, body) = get(
                &platform,
                &format!("{route}.{extension}?jurisdiction_id=marseille.fr"),
            )
            .await;
            assert_open311_error(
                (status, &content_type, &body),
                StatusCode::NOT_FOUND,
                extension == "json",
            );
            // Ours, in any case, or none (empty is as absent): served.
            for jurisdiction in ["AixEnProvence.fr", ""] {
                let (status, _, body) = get(
                    &platform,
                    &format!("{route}.{extension}?jurisdiction_id={jurisdiction}"),
                )
                .await;
                assert_eq!(status, StatusCode::OK, "{route}.{extension}: {body}");
            }
        }
    }

    // Filing for another jurisdiction, in the body or in the query string: 404, nothing
    // filed.
    let mut form = POTHOLE.to_vec();
    form.push(("api_key", &key));
    form.push(("jurisdiction_id", "marseille.fr"));
    let (status, body) = post_form(&platform, "/open311/v2/requests.xml", &form).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(text(&body, "code"), "404");
    form.pop();
    let (status, body) = post_form(
        &platform,
        "/open311/v2/requests.json?jurisdiction_id=marseille.fr",
        &form,
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(platform.complaints_rows("complaints").await, 1);
}

#[tokio::test]
async fn the_w3c_date_forms_filter_requests() {
    let platform = Platform::start("o311_dates").await.unwrap();
    let key = api_key(&platform).await;
    let id = file(&platform, &key).await;
    let found = |query: String| {
        let platform = &platform;
        async move {
            let (status, _, body) =
                get(platform, &format!("/open311/v2/requests.json?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            let found: Value = serde_json::from_str(&body).unwrap();
            found
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["service_request_id"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };

    // A day, a month, a year: whole periods in the city's time.
    let today = paris_date(Utc::now());
    let yesterday = today.checked_sub_days(Days::new(1)).unwrap();
    let tomorrow = today.checked_add_days(Days::new(1)).unwrap();
    assert_eq!(found(format!("start_date={today}")).await, [id.as_str()]);
    assert_eq!(
        found(format!("start_date={today}&end_date={today}")).await,
        [id.as_str()]
    );
    assert!(found(format!("end_date={yesterday}")).await.is_empty());
    assert!(found(format!("start_date={tomorrow}")).await.is_empty());
    assert_eq!(
        found(format!("start_date={}-{:02}", today.year(), today.month())).await,
        [id.as_str()]
    );
    assert_eq!(
        found(format!("start_date={}", today.year())).await,
        [id.as_str()]
    );

    // Hours and minutes without seconds, with either zone form.
    let an_hour_ago = Utc::now() - chrono::Duration::hours(1);
    assert_eq!(
        found(format!(
            "start_date={}",
            an_hour_ago.format("%Y-%m-%dT%H:%MZ")
        ))
        .await,
        [id.as_str()]
    );
    assert!(
        found("start_date=2000-01-01T00:00%2B01:00&end_date=2000-01-02T00:00-05:00".into())
            .await
            .is_empty()
    );
    // Seconds with a fraction, and a `+` the client left unencoded (read as a space).
    assert_eq!(
        found("start_date=2000-01-01T00:00:00.123456Z".into()).await,
        [id.as_str()]
    );
    assert_eq!(
        found("start_date=2000-01-01T00:00:00+01:00".into()).await,
        [id.as_str()]
    );

    // Not W3C: a time without its zone, a thirteenth month, words.
    for wrong in ["2026-11-02T09:00", "2026-13", "2026-11-2", "hier"] {
        let (status, content_type, body) = get(
            &platform,
            &format!("/open311/v2/requests.json?start_date={wrong}"),
        )
        .await;
        assert_open311_error(
            (status, &content_type, &body),
            StatusCode::BAD_REQUEST,
            true,
        );
        assert!(body.contains("start_date"), "{wrong}: {body}");
    }
}

#[tokio::test]
async fn an_empty_list_is_written_as_the_specification_writes_lists() {
    let platform = Platform::start("o311_empty").await.unwrap();
    let (status, content_type, xml) = get(
        &platform,
        "/open311/v2/requests.xml?start_date=2000&end_date=2000",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(content_type, "text/xml; charset=utf-8");
    // An open and a close tag on their own lines, as the specification lays lists out
    // and as clients' fixtures for "no results" hold them; never `<service_requests/>`.
    assert_eq!(
        xml,
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests>\n</service_requests>"
    );
    let document = roxmltree::Document::parse(&xml).unwrap();
    assert_eq!(
        document.root_element().tag_name().name(),
        "service_requests"
    );
    let (_, _, body) = get(
        &platform,
        "/open311/v2/requests.json?start_date=2000&end_date=2000",
    )
    .await;
    assert_eq!(body, "[]");
}

#[tokio::test]
async fn every_error_under_open311_v2_is_an_open311_error() {
    let platform = Platform::start("o311_errors").await.unwrap();
    let check = |method: Method, path: &'static str, expected: StatusCode| {
        let platform = &platform;
        async move {
            let (status, content_type, body, headers) = send(platform, method, path, None).await;
            assert_open311_error(
                (status, &content_type, &body),
                expected,
                path.ends_with(".json"),
            );
            headers
        }
    };

    // Paths no route serves, in the format their extension asks for.
    for (method, path) in [
        (Method::GET, "/open311/v2/nothing/here.json"),
        (Method::GET, "/open311/v2/services/NID_DE_POULE/more.xml"),
        (Method::GET, "/open311/v2"),
        (Method::GET, "/open311/v2/"),
        (Method::POST, "/open311/v2/nothing.json"),
    ] {
        check(method, path, StatusCode::NOT_FOUND).await;
    }

    // Methods a route does not take: 405 naming those it does.
    for (method, path, allow) in [
        (Method::DELETE, "/open311/v2/requests.json", "GET,HEAD,POST"),
        (
            Method::PUT,
            "/open311/v2/services/NID_DE_POULE.xml",
            "GET,HEAD",
        ),
        (Method::POST, "/open311/v2/services.json", "GET,HEAD"),
    ] {
        let headers = check(method, path, StatusCode::METHOD_NOT_ALLOWED).await;
        assert_eq!(headers["allow"], allow, "{path}");
    }

    // A path the router cannot read (not UTF-8 once decoded).
    check(
        Method::GET,
        "/open311/v2/requests/%FF.json",
        StatusCode::BAD_REQUEST,
    )
    .await;

    // Bodies: not a form, or too large for any.
    let (status, content_type, body, _) = send(
        &platform,
        Method::POST,
        "/open311/v2/requests.json",
        Some((
            "application/json",
            b"{\"service_code\":\"NID_DE_POULE\"}".to_vec(),
        )),
    )
    .await;
    assert_open311_error(
        (status, &content_type, &body),
        StatusCode::BAD_REQUEST,
        true,
    );
    // Past the route's limit: one 5 MiB photo with its form (6 MiB).
    let mut large = b"description=".to_vec();
    large.resize(7 * 1024 * 1024, b'a');
    let (status, content_type, body, _) = send(
        &platform,
        Method::POST,
        "/open311/v2/requests.xml",
        Some(("application/x-www-form-urlencoded", large)),
    )
    .await;
    assert_open311_error(
        (status, &content_type, &body),
        StatusCode::PAYLOAD_TOO_LARGE,
        false,
    );

    // Outside `/open311/v2`, the API's problems as before.
    let (status, content_type, _, _) =
        send(&platform, Method::GET, "/open311/v2x/services.json", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(
        content_type.starts_with("application/problem+json"),
        "{content_type}"
    );
}
