//! The gateway serves the built front end: each screen's page at its paths (its own
//! router shows the view), hashed assets cached for a year and everything else
//! revalidated, under a policy that loads nothing from elsewhere; and the city's look.
//! A stand-in build (a few files) keeps this independent of npm; the browser tests
//! drive the real one.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_tests::{Options, Platform};
use reqwest::{StatusCode, header};
use serde_json::Value;

/// A build's shape: the portal's and the kiosk's pages, one hashed script.
fn stand_in_build(dir: &std::path::Path) {
    std::fs::create_dir_all(dir.join("borne")).unwrap();
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>Portail</title>",
    )
    .unwrap();
    std::fs::write(
        dir.join("borne/index.html"),
        "<!doctype html><title>Borne</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/portail-Bx81Qz.js"), "console.log(1)").unwrap();
    std::fs::write(dir.join("manifest.webmanifest"), "{}").unwrap();
}

#[tokio::test]
async fn the_portal_and_the_kiosk_are_served_with_their_caching_and_policy() {
    let dist = std::env::temp_dir().join(format!("guichet-dist-{}", uuid::Uuid::new_v4()));
    stand_in_build(&dist);
    let platform = Platform::start_with(
        "portal_files",
        Options {
            web_dist: Some(dist.clone()),
            ..Default::default()
        },
    )
    .await
    .unwrap();

    for (path, title) in [
        ("/", "Portail"),
        ("/signaler", "Portail"),
        // The follow links sent by e-mail open the portal's own page.
        ("/suivi/CK7Q-M2XH-D9WP-AR", "Portail"),
        ("/borne/", "Borne"),
        ("/borne/signaler", "Borne"),
    ] {
        let page = platform.get(path).await;
        assert_eq!(page.status(), StatusCode::OK, "{path}");
        assert_eq!(page.headers()[header::CACHE_CONTROL], "no-cache", "{path}");
        let csp = page.headers()[header::CONTENT_SECURITY_POLICY]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(csp.contains("script-src 'self'"), "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(page.text().await.unwrap().contains(title), "{path}");
    }

    let script = platform.get("/assets/portail-Bx81Qz.js").await;
    assert_eq!(script.status(), StatusCode::OK);
    assert_eq!(
        script.headers()[header::CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(script.headers()[header::CONTENT_TYPE], "text/javascript");
    let manifest = platform.get("/manifest.webmanifest").await;
    assert_eq!(manifest.headers()[header::CACHE_CONTROL], "no-cache");

    // A missing script fails loudly; the API's unknown paths stay problems.
    assert_eq!(
        platform.get("/assets/ancien-A1b2C3.js").await.status(),
        StatusCode::NOT_FOUND
    );
    let unknown = platform.get("/api/v1/nulle-part").await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.headers()[header::CONTENT_TYPE],
        "application/problem+json"
    );
    // Writes are never pages.
    let posted = platform
        .post_json("/signaler", &serde_json::json!({}))
        .await;
    assert!(posted.status().is_client_error());

    // The account pages behind the e-mailed links are the portal's too.
    let verify = platform.get("/compte/verifier-email?token=x").await;
    assert!(verify.text().await.unwrap().contains("Portail"));

    std::fs::remove_dir_all(&dist).unwrap();
}

#[tokio::test]
async fn the_city_look_comes_from_configuration_and_is_cached_by_etag() {
    let platform = Platform::start("portal_city").await.unwrap();
    let city = platform.get("/api/v1/city").await;
    assert_eq!(city.status(), StatusCode::OK);
    let etag = city.headers()[header::ETAG].clone();
    let city: Value = city.json().await.unwrap();
    assert_eq!(city["name"], "Ville d'Aix-en-Provence");
    assert_eq!(city["colors"]["on_primary"], "#ffffff");
    assert_eq!(city["kiosk_idle_seconds"], 120);
    assert!(city["map"]["center"]["lat"].is_number());
    let again = platform
        .http
        .get(platform.url("/api/v1/city"))
        .header(header::IF_NONE_MATCH, etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    // Without a built front end, the follow pages of the e-mailed links still answer.
    assert_eq!(platform.get("/suivi").await.status(), StatusCode::OK);
}
