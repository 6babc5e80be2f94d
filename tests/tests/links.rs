//! Every link the platform sends lands on a page: the follow links and complaint pages
//! of notifications, the address-verification and new-password links of identity. Each
//! one found in every e-mail and SMS the outbox received answers a French HTML page
//! through the gateway, and the account pages do what they say.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_kit::{Owner, TrackingNumber, testing};
use guichet_tests::{Options, Platform, json_ok};
use reqwest::StatusCode;
use serde_json::{Value, json};

const JEANNE: &str = "jeanne@example.org";
const PASSWORD: &str = "une phrase de passe solide";

/// Every `http(s)://` address in a text, without the punctuation that may follow it.
fn links(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|word| {
            let start = word.find("http://").or_else(|| word.find("https://"))?;
            Some(
                word[start..]
                    .trim_end_matches(['.', ',', ';', ':', ')', '>', '»', '"'])
                    .to_owned(),
            )
        })
        .collect()
}

/// An anonymous pothole report at `lat`, with `contact`.
async fn file(platform: &Platform, lat: f64, address: &str, contact: Value) -> String {
    let filed = json_ok(
        platform
            .post_json(
                "/api/v1/complaints",
                &json!({
                    "category": "NID_DE_POULE",
                    "description": "Trou profond, dangereux pour les deux-roues.",
                    "location": {"latitude": lat, "longitude": 5.4478, "address": address},
                    "contact": contact,
                }),
            )
            .await,
        StatusCode::CREATED,
    )
    .await;
    filed["tracking_number"].as_str().unwrap().to_owned()
}

/// A page as a browser gets it: French HTML that neither caches nor leaks its address.
async fn page(response: reqwest::Response, status: StatusCode) -> String {
    let url = response.url().to_string();
    assert_eq!(response.status(), status, "{url}");
    let headers = response.headers().clone();
    assert_eq!(headers["content-type"], "text/html; charset=utf-8", "{url}");
    assert_eq!(headers["cache-control"], "no-store", "{url}");
    assert_eq!(headers["referrer-policy"], "no-referrer", "{url}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{url}");
    let html = response.text().await.unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"), "{url}: {html}");
    assert!(html.contains("<html lang=\"fr\">"), "{url}: {html}");
    assert!(html.contains("<title>"), "{url}: {html}");
    html
}

/// The value of `name` in a link's query.
fn query_value(link: &str, name: &str) -> String {
    let query = link.split_once('?').map_or("", |(_, q)| q);
    query
        .split('&')
        .find_map(|pair| pair.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {link}"))
        .to_owned()
}

#[tokio::test]
async fn every_link_in_every_email_and_sms_lands_on_a_french_page_of_the_gateway() {
    let platform = Platform::start_with(
        "links",
        Options {
            outbox: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();

    // Identity's links: the sign-up's verification, a password reset.
    let jeanne = platform.resident(JEANNE).await;
    let reset = platform
        .post_json("/api/v1/auth/password-reset", &json!({"email": JEANNE}))
        .await;
    assert_eq!(reset.status(), StatusCode::ACCEPTED);

    // Notifications' links: two anonymous reports, one told by e-mail, one by SMS; a
    // neighbour follows the first with an e-mail; an agent writes, then resolves both.
    let by_mail = file(
        &platform,
        43.5300,
        "Place de l'Hôtel de Ville",
        json!({"name": "Paul", "email": "paul@example.fr"}),
    )
    .await;
    let by_sms = file(
        &platform,
        43.5400,
        "Cours Mirabeau",
        json!({"name": "Marcel", "phone": "06 12 34 56 78"}),
    )
    .await;
    let map = json_ok(
        platform
            .get("/api/v1/complaints/nearby?lat=43.5300&lon=5.4478&radius=100")
            .await,
        StatusCode::OK,
    )
    .await;
    let public_id = map[0]["id"].as_str().unwrap().to_owned();
    json_ok(
        platform
            .post_json(
                &format!("/api/v1/complaints/{public_id}/followers"),
                &json!({"contact": {"email": "voisin@example.fr"}}),
            )
            .await,
        StatusCode::OK,
    )
    .await;
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let note = r#"Passage prévu <jeudi> & "vendredi"."#;
    let written = platform
        .post_json_as(
            &roads,
            &format!("/api/v1/demands/{by_sms}/messages"),
            &json!({"text": note}),
        )
        .await;
    assert_eq!(written.status(), StatusCode::OK);
    for number in [&by_mail, &by_sms] {
        let resolved = platform
            .post_json_as(
                &roads,
                &format!("/api/v1/demands/{number}/status"),
                &json!({"status": "resolved", "reason": "Chaussée reprise."}),
            )
            .await;
        assert_eq!(resolved.status(), StatusCode::OK);
    }

    // Verification and reset for Jeanne; acknowledgement and outcome for Paul; the
    // outcome for the neighbour; acknowledgement, then the agent's note with the outcome,
    // for Marcel.
    let outbox = platform.outbox();
    let told = |messages: &[Value], needle: &str| {
        messages
            .iter()
            .any(|m| m["text"].as_str().unwrap_or_default().contains(needle))
    };
    let (mails, sms) = testing::eventually(|| async {
        let (mails, sms) = (outbox.mails(), outbox.sms());
        (mails.len() >= 5 && told(&sms, "résolue") && told(&sms, "jeudi")).then_some((mails, sms))
    })
    .await
    .unwrap_or_else(|| panic!("mails {:#?}, SMS {:#?}", outbox.mails(), outbox.sms()));
    assert_eq!(mails.len(), 5, "{mails:#?}");
    let texts: Vec<String> = mails
        .iter()
        .chain(&sms)
        .map(|m| m["text"].as_str().unwrap().to_owned())
        .collect();
    let found: Vec<String> = texts.iter().flat_map(|t| links(t)).collect();
    // Every message carries one link at least.
    for text in &texts {
        assert!(!links(text).is_empty(), "no link in {text}");
    }
    for path in [
        "/compte/verifier-email?jeton=",
        "/compte/nouveau-mot-de-passe?jeton=",
        &format!("/suivi/{by_mail}"),
        &format!("/suivi/{by_sms}"),
        &format!("/signalements/{public_id}"),
    ] {
        assert!(
            found.iter().any(|l| l.contains(path)),
            "no link to {path} in {found:#?}"
        );
    }
    for link in &found {
        assert!(
            link.starts_with(&platform.base),
            "{link} is not the gateway's address {}",
            platform.base
        );
        let response = platform.http.get(link).send().await.unwrap();
        page(response, StatusCode::OK).await;
    }

    // The follow page shows what the API shows anyone holding the number, escaped.
    let follow = page(
        platform.get(&format!("/suivi/{by_sms}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(follow.contains("Résolue"), "{follow}");
    assert!(follow.contains("Chaussée reprise."), "{follow}");
    assert!(
        follow.contains("Passage prévu &lt;jeudi&gt; &amp; &quot;vendredi&quot;."),
        "{follow}"
    );
    assert!(!follow.contains("<jeudi>"), "{follow}");
    assert!(
        !follow.contains("06 12 34 56 78"),
        "no contact on a public page"
    );
    let complaint = page(
        platform.get(&format!("/signalements/{public_id}")).await,
        StatusCode::OK,
    )
    .await;
    assert!(
        complaint.contains("Place de l&#39;Hôtel de Ville"),
        "{complaint}"
    );
    assert!(!complaint.contains("paul@example.fr") && !complaint.contains(&by_mail));

    // A wrong number, an unknown one, or none: a page to type it again.
    let unknown = TrackingNumber::generate(Owner::Complaints).to_string();
    for path in [format!("/suivi/{unknown}"), "/suivi/CK7Q-0000".to_owned()] {
        let html = page(platform.get(&path).await, StatusCode::NOT_FOUND).await;
        assert!(html.contains("Demande introuvable"), "{html}");
        assert!(html.contains("<label for=\"numero\">"), "{html}");
    }
    let form = page(platform.get("/suivi").await, StatusCode::OK).await;
    assert!(
        form.contains("<input id=\"numero\" name=\"numero\""),
        "{form}"
    );
    let typed = page(
        platform
            .get(&format!("/suivi?numero={}", by_mail.to_lowercase()))
            .await,
        StatusCode::OK,
    )
    .await;
    assert!(typed.contains(&by_mail), "{typed}");

    // The verification page confirms the address once its button is pressed.
    let verification = found
        .iter()
        .find(|l| l.contains("/compte/verifier-email"))
        .unwrap();
    let me = json_ok(platform.get_as(&jeanne, "/api/v1/me").await, StatusCode::OK).await;
    assert_eq!(
        me["email_verified"], false,
        "opening the link changes nothing"
    );
    let confirm = |token: String| {
        let platform = &platform;
        async move {
            platform
                .http
                .post(platform.url("/compte/verifier-email"))
                .form(&[("jeton", token)])
                .send()
                .await
                .unwrap()
        }
    };
    let token = query_value(verification, "jeton");
    let confirmed = page(confirm(token.clone()).await, StatusCode::OK).await;
    assert!(
        confirmed.contains("Votre adresse e-mail est confirmée"),
        "{confirmed}"
    );
    let me = json_ok(platform.get_as(&jeanne, "/api/v1/me").await, StatusCode::OK).await;
    assert_eq!(me["email_verified"], true);
    let again = page(confirm(token).await, StatusCode::BAD_REQUEST).await;
    assert!(again.contains("Lien invalide ou expiré"), "{again}");

    // The new-password page: two different entries are refused, then the password is
    // changed and only the new one opens a session.
    let reset = found
        .iter()
        .find(|l| l.contains("/compte/nouveau-mot-de-passe"))
        .unwrap();
    let token = query_value(reset, "jeton");
    let choose = |first: &'static str, second: &'static str| {
        let (platform, token) = (&platform, token.clone());
        async move {
            platform
                .http
                .post(platform.url("/compte/nouveau-mot-de-passe"))
                .form(&[
                    ("jeton", token.as_str()),
                    ("mot_de_passe", first),
                    ("confirmation", second),
                ])
                .send()
                .await
                .unwrap()
        }
    };
    let new_password = "un tout nouveau mot de passe";
    let mismatch = page(
        choose(new_password, "autre chose").await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(mismatch.contains("ne sont pas identiques"), "{mismatch}");
    assert!(
        mismatch.contains("<label for=\"mot_de_passe\">"),
        "{mismatch}"
    );
    let changed = page(choose(new_password, new_password).await, StatusCode::OK).await;
    assert!(
        changed.contains("Votre mot de passe est changé"),
        "{changed}"
    );
    let login = |password: &'static str| {
        let platform = &platform;
        async move {
            platform
                .post_json(
                    "/api/v1/auth/login",
                    &json!({"email": JEANNE, "password": password}),
                )
                .await
        }
    };
    assert_eq!(login(new_password).await.status(), StatusCode::OK);
    assert_eq!(login(PASSWORD).await.status(), StatusCode::UNAUTHORIZED);
    let spent = page(
        choose(new_password, new_password).await,
        StatusCode::BAD_REQUEST,
    )
    .await;
    assert!(spent.contains("Lien invalide ou expiré"), "{spent}");
}
