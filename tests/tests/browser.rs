//! The gateway as a browser sees it: which sites may read its answers (CORS), the
//! security headers on every answer, the request id support asks for, the `405` problem,
//! and the API's documentation page served without any other site. Its own binary: one
//! test installs telemetry, which is process-wide.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::process::Stdio;

use guichet_tests::{Options, Platform};
use reqwest::{Method, StatusCode, header};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

/// The city's portal, the one origin allowed.
const PORTAL: &str = "https://portail.example.org";
const ELSEWHERE: &str = "https://ailleurs.example.com";

/// What the API's JSON answers may load and who may frame them.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

async fn platform(hint: &str, trusted_proxies: &[&str]) -> Platform {
    Platform::start_with(
        hint,
        Options {
            cors_origins: vec![PORTAL.to_owned()],
            trusted_proxies: trusted_proxies.iter().map(|p| (*p).to_owned()).collect(),
            ..Options::default()
        },
    )
    .await
    .unwrap()
}

async fn send(
    platform: &Platform,
    method: Method,
    path: &str,
    headers: &[(&str, &str)],
) -> reqwest::Response {
    let mut request = platform.http.request(method.clone(), platform.url(path));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// A header's value, `""` when absent.
fn header<'a>(response: &'a reqwest::Response, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map_or("", |v| v.to_str().unwrap())
}

/// A browser's preflight before `method` on `path`.
async fn preflight(
    platform: &Platform,
    origin: &str,
    method: &str,
    path: &str,
) -> reqwest::Response {
    send(
        platform,
        Method::OPTIONS,
        path,
        &[
            ("origin", origin),
            ("access-control-request-method", method),
            (
                "access-control-request-headers",
                "authorization, content-type, idempotency-key",
            ),
        ],
    )
    .await
}

#[tokio::test]
async fn cross_origin_calls_follow_the_allow_list_and_open311_reads_are_open_to_every_site() {
    let platform = platform("browser_cors", &[]).await;

    // The portal may file a complaint with its headers.
    let allowed = preflight(&platform, PORTAL, "POST", "/api/v1/complaints").await;
    assert_eq!(allowed.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&allowed, "access-control-allow-origin"), PORTAL);
    assert!(header(&allowed, "access-control-allow-methods").contains("POST"));
    for needed in ["authorization", "content-type", "idempotency-key"] {
        assert!(
            header(&allowed, "access-control-allow-headers").contains(needed),
            "{needed}"
        );
    }
    assert!(!header(&allowed, "access-control-max-age").is_empty());
    assert!(header(&allowed, "vary").contains("origin"));
    assert!(
        allowed
            .headers()
            .get("access-control-allow-credentials")
            .is_none(),
        "tokens travel in a header, not a cookie"
    );
    assert_eq!(header(&allowed, "x-content-type-options"), "nosniff");

    // Its script reads the answer and the headers support and clients need.
    let read = send(
        &platform,
        Method::GET,
        "/api/v1/openapi.json",
        &[("origin", PORTAL)],
    )
    .await;
    assert_eq!(read.status(), StatusCode::OK);
    assert_eq!(header(&read, "access-control-allow-origin"), PORTAL);
    let exposed = header(&read, "access-control-expose-headers");
    for name in ["x-request-id", "location", "retry-after", "etag"] {
        assert!(exposed.contains(name), "{name} in {exposed}");
    }
    assert!(header(&read, "vary").contains("origin"));

    // It revalidates what it holds: the `304` is readable and secured like the `200`.
    let categories = send(
        &platform,
        Method::GET,
        "/api/v1/complaints/categories",
        &[("origin", PORTAL)],
    )
    .await;
    assert_eq!(categories.status(), StatusCode::OK);
    let etag = header(&categories, "etag").to_owned();
    let unchanged = send(
        &platform,
        Method::GET,
        "/api/v1/complaints/categories",
        &[("origin", PORTAL), ("if-none-match", &etag)],
    )
    .await;
    assert_eq!(unchanged.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(header(&unchanged, "etag"), etag);
    assert_eq!(header(&unchanged, "access-control-allow-origin"), PORTAL);
    assert!(header(&unchanged, "access-control-expose-headers").contains("etag"));
    assert_eq!(header(&unchanged, "x-content-type-options"), "nosniff");
    assert_eq!(header(&unchanged, "content-security-policy"), API_CSP);
    assert!(uuid::Uuid::try_parse(header(&unchanged, "x-request-id")).is_ok());

    // FranceConnect's sign-in cookie travels with `credentials: "include"`.
    let franceconnect =
        preflight(&platform, PORTAL, "POST", "/api/v1/auth/franceconnect/link").await;
    assert_eq!(franceconnect.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        header(&franceconnect, "access-control-allow-credentials"),
        "true"
    );

    // Any other site is refused, in a problem, and cannot read answers.
    let refused = preflight(&platform, ELSEWHERE, "POST", "/api/v1/complaints").await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    assert!(
        refused
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
    assert_eq!(header(&refused, "content-type"), "application/problem+json");
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["code"], "origin_not_allowed");
    let unread = send(
        &platform,
        Method::GET,
        "/api/v1/openapi.json",
        &[("origin", ELSEWHERE)],
    )
    .await;
    assert_eq!(unread.status(), StatusCode::OK, "answered, not readable");
    assert!(
        unread
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );

    // Open311 reads are for every client, its writes are not.
    let open = send(
        &platform,
        Method::GET,
        "/open311/v2/services.json",
        &[("origin", ELSEWHERE)],
    )
    .await;
    assert_eq!(open.status(), StatusCode::OK);
    assert_eq!(header(&open, "access-control-allow-origin"), "*");
    assert!(
        open.headers()
            .get("access-control-allow-credentials")
            .is_none()
    );
    let open_preflight = preflight(&platform, ELSEWHERE, "GET", "/open311/v2/requests.json").await;
    assert_eq!(open_preflight.status(), StatusCode::NO_CONTENT);
    assert_eq!(header(&open_preflight, "access-control-allow-origin"), "*");
    // Asked without `Origin` (as a shared cache does), the same answer for everyone.
    let cached = send(&platform, Method::GET, "/open311/v2/services.json", &[]).await;
    assert_eq!(header(&cached, "access-control-allow-origin"), "*");
    assert!(header(&cached, "access-control-expose-headers").contains("retry-after"));
    assert!(!header(&cached, "vary").contains("origin"));
    let write = preflight(&platform, ELSEWHERE, "POST", "/open311/v2/requests.json").await;
    assert_eq!(write.status(), StatusCode::FORBIDDEN);
    assert!(write.headers().get("access-control-allow-origin").is_none());

    // An OPTIONS that is no preflight is a method like any other.
    let options = send(&platform, Method::OPTIONS, "/api/v1/openapi.json", &[]).await;
    assert_eq!(options.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test]
async fn json_problem_html_and_docs_answers_carry_the_security_headers() {
    let platform = platform("browser_headers", &[]).await;
    let json = platform.get("/api/v1/openapi.json").await;
    let problem = platform.get("/api/v1/nulle-part").await;
    let page = platform.get("/suivi").await;
    let docs = platform.get("/api/docs").await;
    assert_eq!(json.status(), StatusCode::OK);
    assert_eq!(problem.status(), StatusCode::NOT_FOUND);
    assert_eq!(page.status(), StatusCode::OK);
    assert_eq!(docs.status(), StatusCode::OK);
    for (what, response) in [
        ("JSON", &json),
        ("problem", &problem),
        ("page", &page),
        ("docs", &docs),
    ] {
        assert_eq!(
            header(response, "x-content-type-options"),
            "nosniff",
            "{what}"
        );
        assert_eq!(header(response, "referrer-policy"), "no-referrer", "{what}");
        assert_eq!(header(response, "x-frame-options"), "DENY", "{what}");
        let csp = header(response, "content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(!csp.contains("script-src 'unsafe"), "{what}: {csp}");
        assert!(
            response
                .headers()
                .get(header::STRICT_TRANSPORT_SECURITY)
                .is_none(),
            "{what}: no HSTS over plain HTTP"
        );
    }
    assert_eq!(header(&json, "content-security-policy"), API_CSP);
    assert_eq!(header(&problem, "content-security-policy"), API_CSP);
    // Pages keep the policy they need: their own style, forms posted here.
    assert!(header(&page, "content-security-policy").contains("form-action 'self'"));
    // The docs run the gateway's script, and only it.
    let docs_csp = header(&docs, "content-security-policy").to_owned();
    assert!(docs_csp.contains("script-src 'self'"), "{docs_csp}");
    assert!(docs_csp.contains("connect-src 'self'"), "{docs_csp}");
}

#[tokio::test]
async fn the_docs_page_and_its_script_come_from_the_gateway() {
    let platform = platform("browser_docs", &[]).await;
    let page = platform.get("/api/docs").await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(header(&page, "content-type").starts_with("text/html"));
    let html = page.text().await.unwrap();
    assert!(html.contains("<html lang=\"fr\">"));
    assert!(html.contains("src=\"/api/docs/docs.js\""));
    assert!(html.contains("href=\"/api/docs/docs.css\""));
    assert!(!html.contains("//cdn") && !html.contains("https://") && !html.contains("http://"));
    assert!(!html.contains("<script>"), "no inline script");

    let script = platform.get("/api/docs/docs.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert!(header(&script, "content-type").starts_with("text/javascript"));
    let script = script.text().await.unwrap();
    assert!(script.contains("/api/v1/openapi.json"));
    assert!(!script.contains("innerHTML") && !script.contains("https://"));

    let style = platform.get("/api/docs/docs.css").await;
    assert_eq!(style.status(), StatusCode::OK);
    assert!(header(&style, "content-type").starts_with("text/css"));

    // The script, run on the served document, shows every operation.
    let document: Value = platform
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let rendered = render_docs(&script, &document).await;
    assert_eq!(rendered["error"], "", "{rendered}");
    let shown: Vec<&str> = rendered["operations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o.as_str().unwrap())
        .collect();
    let mut expected = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in ["get", "put", "post", "delete", "patch"] {
            if item.get(method).is_some() {
                expected.push(format!("{method} {}", path.to_lowercase()));
            }
        }
    }
    assert!(expected.len() > 50, "{}", expected.len());
    assert_eq!(shown.len(), expected.len());
    for operation in &expected {
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with(&format!("{operation} "))),
            "{operation} is not shown"
        );
    }
}

/// A stand-in for the page's DOM: runs the docs' script on `document` (given on stdin
/// with the script) and prints what it showed, each operation's search text.
const RENDER: &str = r#"
const input = JSON.parse(require("fs").readFileSync(0, "utf8"));
class Node {}
class Element extends Node {
  constructor(tag) { super(); this.tag = tag; this.children = []; this.dataset = {}; }
  setAttribute(name, value) {
    if (name === "id") this.id = value;
    if (name.startsWith("data-")) this.dataset[name.slice(5)] = value;
  }
  append(...children) { this.children.push(...children); }
  replaceChildren(...children) { this.children = children; }
  set textContent(text) { this.children = [String(text)]; }
  get textContent() {
    return this.children.map((c) => (typeof c === "string" ? c : c.textContent)).join("");
  }
  addEventListener() {}
  *all() { yield this; for (const c of this.children) if (c instanceof Element) yield* c.all(); }
}
const page = {};
globalThis.Node = Node;
globalThis.location = { hash: "" };
globalThis.document = {
  readyState: "complete",
  createElement: (tag) => new Element(tag),
  getElementById: (id) => (page[id] ??= new Element("div")),
  querySelectorAll: () => [],
  querySelector: () => null,
};
globalThis.fetch = async (url) => ({
  ok: url === "/api/v1/openapi.json",
  status: 404,
  json: async () => input.document,
});
new Function(input.script)();
setTimeout(() => {
  const sections = [...page.contenu.all()].filter((e) => e.tag === "section" && e.dataset.recherche);
  console.log(JSON.stringify({
    error: page.etat.textContent,
    operations: sections.map((s) => s.dataset.recherche),
  }));
}, 10);
"#;

async fn render_docs(script: &str, document: &Value) -> Value {
    let mut node = tokio::process::Command::new("node")
        .arg("-e")
        .arg(RENDER)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("node (Node.js) runs the docs' script");
    let input = serde_json::to_vec(&json!({"script": script, "document": document})).unwrap();
    let mut stdin = node.stdin.take().unwrap();
    stdin.write_all(&input).await.unwrap();
    drop(stdin);
    let output = node.wait_with_output().await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[tokio::test]
async fn every_answer_has_its_own_request_id_and_a_problem_quotes_it() {
    // Spans on, as in production (trace ids without an exporter), logs quiet.
    let telemetry = guichet_kit::config::TelemetryConfig {
        log_level: "warn,guichet_gateway::routes=info".to_owned(),
        ..Default::default()
    };
    drop(guichet_kit::telemetry::init("browser", &telemetry).unwrap());
    let platform = platform("browser_request_id", &[]).await;
    let forged = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let problem = send(
        &platform,
        Method::GET,
        "/api/v1/demands/PAS-UN-NUMERO",
        &[("x-request-id", forged), ("traceparent", traceparent)],
    )
    .await;
    assert!(problem.status().is_client_error());
    let id = header(&problem, "x-request-id").to_owned();
    assert!(uuid::Uuid::try_parse(&id).is_ok(), "{id}");
    assert_ne!(id, forged, "a client does not choose its request id");
    // The trace the request ran in: the client's, in the gateway's own span.
    let trace = header(&problem, "traceresponse").to_owned();
    let parts: Vec<&str> = trace.split('-').collect();
    assert_eq!(parts.len(), 4, "{trace}");
    assert_eq!(parts[0], "00");
    assert_eq!(
        parts[1], "4bf92f3577b34da6a3ce929d0e0e4736",
        "the client's trace"
    );
    assert_eq!(parts[2].len(), 16);
    assert_ne!(parts[2], "00f067aa0ba902b7", "the gateway's own span");
    let body: Value = problem.json().await.unwrap();
    assert_eq!(body["instance"], format!("urn:uuid:{id}"));

    let ok = platform.get("/healthz").await;
    assert_eq!(ok.status(), StatusCode::OK);
    let other = header(&ok, "x-request-id");
    assert!(uuid::Uuid::try_parse(other).is_ok());
    assert_ne!(other, id);
}

#[tokio::test]
async fn a_method_a_route_does_not_serve_is_a_problem_listing_those_it_does() {
    let platform = platform("browser_405", &[]).await;
    let refused = send(&platform, Method::DELETE, "/api/v1/openapi.json", &[]).await;
    assert_eq!(refused.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(header(&refused, "allow"), "GET,HEAD");
    assert_eq!(header(&refused, "content-type"), "application/problem+json");
    let id = header(&refused, "x-request-id").to_owned();
    let problem: Value = refused.json().await.unwrap();
    assert_eq!(problem["status"], 405);
    assert_eq!(problem["code"], "method_not_allowed");
    assert!(problem["detail"].as_str().unwrap().contains("DELETE"));
    assert_eq!(problem["instance"], format!("urn:uuid:{id}"));

    // A write route names its own methods.
    let put = send(&platform, Method::PUT, "/api/v1/complaints", &[]).await;
    assert_eq!(put.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(
        header(&put, "allow").contains("POST"),
        "{}",
        header(&put, "allow")
    );
}

#[tokio::test]
async fn behind_a_trusted_tls_proxy_answers_carry_hsts_and_keep_its_request_id() {
    // The test client stands for the ingress.
    let platform = platform("browser_hsts", &["127.0.0.1"]).await;
    let id = "0f8fad5b-d9cb-469f-a165-70867728950e";
    let https = send(
        &platform,
        Method::GET,
        "/api/v1/nulle-part",
        &[("x-forwarded-proto", "https"), ("x-request-id", id)],
    )
    .await;
    assert!(
        header(&https, "strict-transport-security").starts_with("max-age="),
        "HSTS over HTTPS"
    );
    assert_eq!(header(&https, "x-request-id"), id);
    let problem: Value = https.json().await.unwrap();
    assert_eq!(problem["instance"], format!("urn:uuid:{id}"));

    let plain = send(
        &platform,
        Method::GET,
        "/healthz",
        &[("forwarded", "for=203.0.113.7;proto=http")],
    )
    .await;
    assert!(
        plain
            .headers()
            .get(header::STRICT_TRANSPORT_SECURITY)
            .is_none()
    );
}
