//! The residents' screens in a real browser: the Playwright tests of `gateway/web/tests`
//! (Debian's Chromium, axe-core for accessibility) run against a whole platform whose
//! gateway serves the real build. `./infra/test` builds the front end and installs
//! Chromium before the tests run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::{path::PathBuf, process::Stdio};

use guichet_tests::{Options, Platform};

fn web() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../gateway/web")
}

#[tokio::test]
async fn the_residents_screens_pass_their_browser_tests() {
    let web = web();
    let dist = web.join("dist");
    assert!(
        dist.join("index.html").is_file() && web.join("node_modules/.bin/playwright").is_file(),
        "the front end is not built: run ./infra/test, or npm ci and npm run build in gateway/web"
    );
    let platform = Platform::start_with(
        "screens",
        Options {
            web_dist: Some(dist),
            // The local stand-in, sending the browser back to the portal's page.
            franceconnect: Some(&[]),
            franceconnect_portal: true,
            // Mail the tests read (address verification).
            outbox: true,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let output = tokio::process::Command::new(web.join("node_modules/.bin/playwright"))
        .arg("test")
        .current_dir(&web)
        .env("GUICHET_URL", &platform.base)
        // For the tests that act as the city's staff (publish a form, answer a resident).
        .env("GUICHET_ADMIN_PASSWORD", guichet_tests::ADMIN_PASSWORD)
        // Where the mail residents would receive lands (`mail/*.json`).
        .env("GUICHET_OUTBOX", &platform.outbox().dir)
        .env("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1")
        .stdin(Stdio::null())
        .output()
        .await
        .unwrap();
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    println!("{report}");
    assert!(
        output.status.success(),
        "the browser tests failed:\n{report}"
    );
}
