//! The public contract, judged by third-party tools nobody here wrote: the OpenAPI
//! document served at `/api/v1/openapi.json` is valid OpenAPI 3.1
//! (`openapi-spec-validator`), and a whole platform answers what it documents
//! (schemathesis). Both come from PyPI into `infra/contract/.venv`, which `./infra/test`
//! installs. Beside them, the bad inputs that once made the gateway or a service fail:
//! characters no output can hold, numbers beyond what is stored, files and bodies past
//! their limit.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::{path::PathBuf, process::Stdio};

use base64::{Engine as _, engine::general_purpose::STANDARD};
use guichet_tests::{
    Platform,
    multipart::{file, text},
    pothole,
};
use reqwest::{StatusCode, header};
use serde_json::{Value, json};

/// A program of `infra/contract/.venv`.
fn tool(name: &str) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../infra/contract/.venv/bin")
        .join(name);
    assert!(
        path.exists(),
        "{} is missing: run ./infra/test once, or python3 -m venv infra/contract/.venv && \
         infra/contract/.venv/bin/pip install -r infra/contract/requirements.txt",
        path.display()
    );
    path
}

/// A file of this test process, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        Self(std::env::temp_dir().join(format!("guichet-contract-{}-{name}", std::process::id())))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_file(&self.0).ok();
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// Prints every error `openapi-spec-validator` finds in the document at argv[1].
const VALIDATE: &str = r#"
import json, sys
from openapi_spec_validator import OpenAPIV31SpecValidator
spec = json.load(open(sys.argv[1]))
errors = list(OpenAPIV31SpecValidator(spec).iter_errors())
for error in errors:
    print(f"- {error.message} at {'/'.join(str(p) for p in error.absolute_path)}")
print(f"{len(errors)} error(s)")
sys.exit(1 if errors else 0)
"#;

async fn document(platform: &Platform) -> Value {
    let response = platform.get("/api/v1/openapi.json").await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

#[tokio::test]
async fn the_openapi_document_is_valid_openapi_3_1() {
    let platform = Platform::start("contract_doc").await.unwrap();
    let doc = document(&platform).await;
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1"),
        "{}",
        doc["openapi"]
    );
    let file = Scratch::new("openapi.json");
    std::fs::write(&file.0, serde_json::to_vec(&doc).unwrap()).unwrap();
    let output = tokio::process::Command::new(tool("python"))
        .arg("-c")
        .arg(VALIDATE)
        .arg(&file.0)
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "openapi-spec-validator refuses the document:\n{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn every_upload_documents_the_key_that_carries_its_bytes() {
    let platform = Platform::start("contract_uploads").await.unwrap();
    let doc = document(&platform).await;
    let schemas = &doc["components"]["schemas"];
    let body =
        |path: &str, method: &str| doc["paths"][path][method]["requestBody"]["content"].clone();
    let schema = |content: &Value, media: &str| {
        let reference = content[media]["schema"]["$ref"]
            .as_str()
            .unwrap_or_default();
        schemas[reference.trim_start_matches("#/components/schemas/")].clone()
    };
    for (path, json_bytes, form_bytes) in [
        ("/api/v1/complaints", None, "photos"),
        (
            "/api/v1/demands/{tracking_number}/photos",
            Some("content_base64"),
            "photo",
        ),
        (
            "/api/v1/drafts/{id}/attachments",
            Some("content_base64"),
            "file",
        ),
        (
            "/api/v1/demands/{tracking_number}/attachments",
            Some("content_base64"),
            "file",
        ),
    ] {
        let content = body(path, "post");
        if let Some(key) = json_bytes {
            let json = schema(&content, "application/json");
            assert!(json["properties"][key].is_object(), "{path}: {json}");
        }
        let form = schema(&content, "multipart/form-data");
        assert!(form["properties"][form_bytes].is_object(), "{path}: {form}");
    }
    // RAPO pieces: what is sent, not what is answered.
    let dispute = schema(&body("/api/v1/rapo/disputes", "post"), "application/json");
    let pieces = dispute["properties"]["pieces"].to_string();
    assert!(pieces.contains("Pieces"), "{pieces}");
    let piece = &schemas["PieceUpload"]["properties"];
    for key in ["name", "content_type", "data"] {
        assert!(piece[key].is_object(), "{piece}");
    }
    assert!(
        piece["id"].is_null() && piece["sha256"].is_null(),
        "{piece}"
    );
}

// --- bad input ---------------------------------------------------------------------------

/// Checks a `status` problem document with `code`, naming `field` when given.
async fn problem(response: reqwest::Response, status: StatusCode, code: &str, field: Option<&str>) {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    let problem: Value = response.json().await.unwrap();
    assert_eq!(problem["code"], code, "{problem}");
    if let Some(field) = field {
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
}

/// A `422 invalid_character` problem naming `field`.
async fn invalid_character(response: reqwest::Response, field: &str) {
    problem(
        response,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_character",
        Some(field),
    )
    .await;
}

/// A `413 payload_too_large` problem.
async fn too_large(response: reqwest::Response) {
    problem(
        response,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
        None,
    )
    .await;
}

async fn file_pothole(platform: &Platform) -> String {
    let response = platform.post_json("/api/v1/complaints", &pothole()).await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let filed: Value = response.json().await.unwrap();
    filed["tracking_number"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_nul_character_anywhere_is_refused_with_422_naming_the_field() {
    let platform = Platform::start("contract_nul").await.unwrap();
    let number = file_pothole(&platform).await;
    let rows = platform.complaints_rows("complaints").await;

    // A JSON body, at any depth.
    let mut body = pothole();
    body["contact"]["name"] = json!("Jeanne\u{0}Martin");
    let response = platform.post_json("/api/v1/complaints", &body).await;
    invalid_character(response, "contact.name").await;

    // A message, and an agent's reassignment.
    let path = format!("/api/v1/demands/{number}/messages");
    let response = platform
        .post_json(&path, &json!({"text": "Bonjour\u{0}"}))
        .await;
    invalid_character(response, "text").await;
    let agent = platform.agent("voirie", &["VOIRIE"]).await;
    let response = platform
        .post_json_as(
            &agent,
            &format!("/api/v1/agent/complaints/{number}/reassign"),
            &json!({"department": "ECLAIRAGE", "reason": "Pas chez nous\u{0}"}),
        )
        .await;
    invalid_character(response, "reason").await;

    // A query parameter.
    let response = platform
        .get("/api/v1/complaints/nearby?lat=43.5&lon=5.4&category=NID%00")
        .await;
    invalid_character(response, "category").await;

    // A text part of a form.
    let complaint = json!({"category": "NID_DE_POULE", "description": "Trou\u{0}"}).to_string();
    let response = platform
        .post_form(
            None,
            "/api/v1/complaints",
            &[text("complaint", "application/json", complaint.as_bytes())],
        )
        .await;
    invalid_character(response, "description").await;

    // An array where an object is documented (serde would read it as the fields in
    // order).
    let admin = platform.admin().await;
    let agents: Value = platform
        .get_as(&admin, "/api/v1/admin/agents")
        .await
        .json()
        .await
        .unwrap();
    let id = agents["agents"][0]["id"].as_str().unwrap().to_owned();
    let response = platform
        .http
        .patch(platform.url(&format!("/api/v1/admin/agents/{id}")))
        .bearer_auth(&admin)
        .json(&json!([null, null]))
        .send()
        .await
        .unwrap();
    problem(response, StatusCode::BAD_REQUEST, "invalid_json", None).await;
    let response = platform
        .post_json("/api/v1/complaints", &json!(["NID_DE_POULE", "Trou"]))
        .await;
    problem(response, StatusCode::BAD_REQUEST, "invalid_json", None).await;

    assert_eq!(
        platform.complaints_rows("complaints").await,
        rows,
        "nothing kept"
    );
}

/// Publishes a birth-certificate teleservice and signs a resident up.
async fn teleservice_and_resident(platform: &Platform, slug: &str) -> String {
    let designer = platform
        .agent_with_roles("claire", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    platform
        .publish_teleservice(&designer, &guichet_tests::birth_certificate(slug, &[]))
        .await;
    platform.resident("paul@example.org").await
}

/// Sends `json` as written, as `token`'s holder: numbers no Rust value would keep.
async fn send_json_text(
    platform: &Platform,
    token: &str,
    method: reqwest::Method,
    path: &str,
    json: &str,
) -> reqwest::Response {
    platform
        .http
        .request(method, platform.url(path))
        .bearer_auth(token)
        .header(header::CONTENT_TYPE, "application/json")
        .body(json.to_owned())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_number_beyond_what_is_stored_is_refused_and_every_read_keeps_working() {
    let platform = Platform::start("contract_numbers").await.unwrap();
    let resident = teleservice_and_resident(&platform, "acte-nombres").await;
    let started = platform
        .post_json_as(
            &resident,
            "/api/v1/teleservices/acte-nombres/drafts",
            &json!({"data": {"nom": "Durand"}}),
        )
        .await;
    assert_eq!(started.status(), StatusCode::CREATED);
    let draft: Value = started.json().await.unwrap();
    let id = draft["id"].as_str().unwrap();
    let draft = format!("/api/v1/drafts/{id}");

    // Refused, naming the answer, whether a draft is started, saved or submitted at once.
    for (method, path, body, field) in [
        // The largest double, as fuzzers send it.
        (
            reqwest::Method::POST,
            "/api/v1/teleservices/acte-nombres/drafts",
            r#"{"data": {"nom": "Durand", "rang": 1.7976931348623157e308}}"#,
            "data.rang",
        ),
        (
            reqwest::Method::PUT,
            draft.as_str(),
            r#"{"data": {"nom": "Durand", "liste": [1, -1e300]}}"#,
            "data.liste[1]",
        ),
        (
            reqwest::Method::POST,
            "/api/v1/teleservices/acte-nombres/demands",
            r#"{"data": {"nom": "Durand", "x": 18446744073709551615}}"#,
            "data.x",
        ),
    ] {
        let response = send_json_text(&platform, &resident, method, path, body).await;
        problem(
            response,
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation_failed",
            Some(field),
        )
        .await;
    }

    // Numbers of ordinary size, the largest included, are kept as sent, and every read
    // gives them back: the draft, the resident's drafts, the download of her data.
    let data = json!({"nom": "Durand", "rang": 9_007_199_254_740_991_i64, "taux": 0.1});
    let saved = platform
        .http
        .put(platform.url(&draft))
        .bearer_auth(&resident)
        .json(&json!({ "data": data }))
        .send()
        .await
        .unwrap();
    assert_eq!(saved.status(), StatusCode::OK);
    for (path, pointer) in [
        (draft.as_str(), "/data"),
        ("/api/v1/me/drafts", "/0/data"),
        (
            "/api/v1/me/export",
            "/services/teleservices/drafts/0/answers",
        ),
    ] {
        let response = platform.get_as(&resident, path).await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let read: Value = response.json().await.unwrap();
        assert_eq!(read.pointer(pointer), Some(&data), "{path}: {read}");
    }
}

#[tokio::test]
async fn a_file_past_its_limit_and_a_body_past_its_route_s_limit_answer_413() {
    let platform = Platform::start("contract_413").await.unwrap();
    let resident = teleservice_and_resident(&platform, "acte-fichiers").await;
    let started = platform
        .post_json_as(
            &resident,
            "/api/v1/teleservices/acte-fichiers/drafts",
            &json!({"data": {}}),
        )
        .await;
    let draft: Value = started.json().await.unwrap();
    let uploads = format!(
        "/api/v1/drafts/{}/attachments",
        draft["id"].as_str().unwrap()
    );

    // Slightly over the 10 MiB draft limit, in base64 JSON and as a form.
    let over = vec![b'%'; 10 * 1024 * 1024 + 1024];
    let response = platform
        .post_json_as(
            &resident,
            &uploads,
            &json!({"filename": "gros.pdf", "content_base64": STANDARD.encode(&over)}),
        )
        .await;
    too_large(response).await;
    let response = platform
        .post_form(
            Some(&resident),
            &uploads,
            &[file("file", "gros.pdf", &over)],
        )
        .await;
    too_large(response).await;

    // Exactly at the limit: kept.
    let at = vec![b'%'; 10 * 1024 * 1024];
    let response = platform
        .post_json_as(
            &resident,
            &uploads,
            &json!({"filename": "juste.pdf", "content_base64": STANDARD.encode(&at)}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::CREATED);

    // A photo over 5 MiB in JSON, and a body past a route's limit (2 MiB for messages).
    let number = file_pothole(&platform).await;
    let response = platform
        .post_json(
            &format!("/api/v1/demands/{number}/photos"),
            &json!({"filename": "trou.png", "content_base64": STANDARD.encode(vec![0_u8; 5 * 1024 * 1024 + 1])}),
        )
        .await;
    too_large(response).await;
    let response = platform
        .post_json(
            &format!("/api/v1/demands/{number}/messages"),
            &json!({"text": "a".repeat(3 * 1024 * 1024)}),
        )
        .await;
    too_large(response).await;
}

// --- schemathesis -------------------------------------------------------------------------

/// Test cases per operation and phase: enough to reach every status, small enough that
/// the four runs take a few minutes on two cores.
const EXAMPLES: &str = "5";

/// The same cases every run, so a failure can be replayed.
const SEED: &str = "20261205";

/// What schemathesis may report that the contract forbids: every `ST1xx` (a server
/// error, an undocumented status, a missing or undocumented content type or header, a
/// body or header its schema rejects) and the access checks (`ST4xx`: a protected
/// operation answering without credentials, one user's object shown to another).
/// Refusals of data the schema allows and acceptances of data it does not (`ST2xx`)
/// are printed as figures: the schema cannot say every rule of the services.
fn forbidden(code: &str) -> bool {
    code.starts_with("ST1") || code.starts_with("ST4")
}

/// Runs schemathesis with every check against the platform, as `token`'s holder or
/// anonymously; answers its report (`--report json`) and its output.
async fn schemathesis(platform: &Platform, who: &str, token: Option<&str>) -> (Value, String) {
    // Its own directory, for the report and the cache schemathesis keeps where it runs.
    let dir = Scratch::new(&format!("schemathesis-{who}"));
    std::fs::create_dir_all(&dir.0).unwrap();
    let report = dir.0.join("report.json");
    let mut command = tokio::process::Command::new(tool("schemathesis"));
    command
        .current_dir(&dir.0)
        .arg("run")
        .arg(platform.url("/api/v1/openapi.json"))
        .args(["--url", &platform.base, "--checks", "all"])
        .args(["--max-examples", EXAMPLES, "--seed", SEED, "--workers", "2"])
        .args(["--no-color", "--report", "json", "--report-json-path"])
        .arg(&report);
    if let Some(token) = token {
        command.args(["--header", &format!("Authorization: Bearer {token}")]);
    }
    let output = command.stdin(Stdio::null()).output().await.unwrap();
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let json = std::fs::read(&report).unwrap_or_else(|e| {
        panic!(
            "schemathesis wrote no report ({e}):\n{text}{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    (serde_json::from_slice(&json).unwrap(), text)
}

#[tokio::test]
async fn schemathesis_finds_no_server_error_undocumented_status_or_schema_mismatch() {
    let platform = Platform::start_with(
        "contract_fuzz",
        guichet_tests::Options {
            // The FranceConnect routes answer as in production, against the stand-in.
            franceconnect: Some(&[]),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    // Tokens live 10 minutes, longer than the four runs; taken before any run, since
    // fuzzing the login routes from this address soon gets it throttled.
    let admin = platform.admin().await;
    let agent = platform.agent("fuzzeur", &["VOIRIE"]).await;
    let resident = platform.resident("fuzzeuse@example.org").await;
    let seeded = platform
        .post_json_as(&admin, "/api/v1/admin/teleservices/seed", &json!({}))
        .await;
    assert_eq!(seeded.status(), StatusCode::OK);

    let mut refused = Vec::new();
    for (who, token) in [
        ("anonymous", None),
        ("resident", Some(&resident)),
        ("agent", Some(&agent)),
        ("admin", Some(&admin)),
    ] {
        let (report, output) = schemathesis(&platform, who, token.map(String::as_str)).await;
        let mut figures = format!(
            "schemathesis as {who}: {} test cases, {} operations tested",
            report["test_cases"]["generated"], report["operations"]["tested"]
        );
        for failure in report["failures"].as_array().into_iter().flatten() {
            let code = failure["code"].as_str().unwrap_or_default();
            figures.push_str(&format!(
                ", {code} {}: {}",
                failure["title"], failure["count"]
            ));
            if forbidden(code) {
                refused.push(format!(
                    "{who}: {code} {} on {}",
                    failure["title"], failure["operations"]
                ));
            }
        }
        for error in report["errors"].as_array().into_iter().flatten() {
            figures.push_str(&format!(", error: {error}"));
        }
        println!("{figures}");
        if refused.iter().any(|r| r.starts_with(who)) {
            println!("{output}");
        }
    }
    assert!(
        refused.is_empty(),
        "the contract does not hold:\n{}",
        refused.join("\n")
    );
}

#[tokio::test]
async fn the_catalogue_categories_and_definitions_answer_304_to_a_client_holding_their_etag() {
    let platform = Platform::start("contract_etag").await.unwrap();
    let designer = platform
        .agent_with_roles("basile", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    let definition = guichet_tests::birth_certificate("acte-etag", &[]);
    platform.publish_teleservice(&designer, &definition).await;
    let get = |path: &str, token: Option<&str>| {
        let request = platform.http.get(platform.url(path));
        match token {
            Some(token) => request.bearer_auth(token),
            None => request,
        }
    };
    for (path, token) in [
        ("/api/v1/complaints/categories", None),
        ("/api/v1/teleservices", None),
        ("/api/v1/teleservices/acte-etag", None),
        (
            "/api/v1/agent/teleservices/acte-etag",
            Some(designer.as_str()),
        ),
    ] {
        let first = get(path, token).send().await.unwrap();
        assert_eq!(first.status(), StatusCode::OK, "{path}");
        let etag = first.headers()[header::ETAG].clone();
        let body = first.text().await.unwrap();
        let again = get(path, token)
            .header(header::IF_NONE_MATCH, etag.clone())
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
        assert_eq!(again.headers()[header::ETAG], etag);
        assert!(again.text().await.unwrap().is_empty());
        let stale = get(path, token)
            .header(header::IF_NONE_MATCH, "\"ancienne-version\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status(), StatusCode::OK, "{path}");
        assert_eq!(stale.text().await.unwrap(), body);
    }
}
