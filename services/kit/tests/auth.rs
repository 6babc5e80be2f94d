//! Token verification as every service does it: only EdDSA tokens signed by a published
//! key, for Guichet, not expired.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
use guichet_kit::{
    auth::{AuthError, Claims, Role, Verifier},
    testing::TokenIssuer,
};

fn claims_of(token: &str) -> Claims {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

fn header_of(token: &str) -> serde_json::Value {
    serde_json::from_slice(
        &URL_SAFE_NO_PAD
            .decode(token.split('.').next().unwrap())
            .unwrap(),
    )
    .unwrap()
}

async fn setup() -> (TokenIssuer, Verifier) {
    let issuer = TokenIssuer::start().await.unwrap();
    let verifier = Verifier::new(&issuer.url).unwrap();
    (issuer, verifier)
}

#[tokio::test]
async fn a_token_signed_with_a_published_key_is_accepted() {
    let (issuer, verifier) = setup().await;
    let token = issuer.agent("Karim", &["VOIRIE"], &["complaint:NID_DE_POULE"], "counter");
    let claims = verifier.verify(&token).await.unwrap();
    assert_eq!(claims.role, Role::Agent);
    assert_eq!(claims.departments, ["VOIRIE"]);
    assert!(claims.handles("PROPRETE", "complaint:NID_DE_POULE"));
    assert!(!claims.handles("POLICE_MUN", "rapo"));
}

#[tokio::test]
async fn an_expired_token_is_refused() {
    let (issuer, verifier) = setup().await;
    let mut claims = claims_of(&issuer.resident("a"));
    claims.exp = chrono::Utc::now().timestamp() - 60;
    let err = verifier.verify(&issuer.sign(&claims)).await.unwrap_err();
    assert!(matches!(err, AuthError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn a_token_for_another_audience_or_issuer_is_refused() {
    let (issuer, verifier) = setup().await;
    let mut claims = claims_of(&issuer.resident("a"));
    claims.aud = "another-city".into();
    assert!(verifier.verify(&issuer.sign(&claims)).await.is_err());
    let mut claims = claims_of(&issuer.resident("a"));
    claims.iss = "someone-else".into();
    assert!(verifier.verify(&issuer.sign(&claims)).await.is_err());
}

#[tokio::test]
async fn a_forged_signature_or_a_foreign_key_is_refused() {
    let (issuer, verifier) = setup().await;
    let stranger = TokenIssuer::start().await.unwrap();
    // The stranger's key is not published by the issuer the verifier trusts.
    let err = verifier.verify(&stranger.resident("a")).await.unwrap_err();
    assert!(matches!(err, AuthError::UnknownKey(_)), "{err}");

    // Same key id, claims changed after signing.
    let token = issuer.resident("a");
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = claims_of(&token);
    claims.role = Role::Agent;
    claims.departments = vec!["POLICE_MUN".into()];
    parts[1] = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap());
    assert!(verifier.verify(&parts.join(".")).await.is_err());

    // The stranger's signature under the issuer's key id.
    let forged = stranger.resident("a");
    let mut header = header_of(&forged);
    header["kid"] = header_of(&token)["kid"].clone();
    let mut parts: Vec<String> = forged.split('.').map(str::to_owned).collect();
    parts[0] = URL_SAFE_NO_PAD.encode(header.to_string());
    assert!(verifier.verify(&parts.join(".")).await.is_err());
}

#[tokio::test]
async fn alg_none_and_hmac_tokens_are_refused() {
    let (issuer, verifier) = setup().await;
    let token = issuer.agent("Karim", &["POLICE_MUN"], &["rapo"], "web");
    let kid = header_of(&token)["kid"].clone();
    let payload = token.split('.').nth(1).unwrap();

    let none = serde_json::json!({"alg": "none", "typ": "JWT", "kid": kid});
    let unsigned = format!("{}.{payload}.", URL_SAFE_NO_PAD.encode(none.to_string()));
    assert!(verifier.verify(&unsigned).await.is_err());

    let hmac = jsonwebtoken::encode(
        &jsonwebtoken::Header {
            kid: kid.as_str().map(str::to_owned),
            ..jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256)
        },
        &claims_of(&token),
        &jsonwebtoken::EncodingKey::from_secret(b"public key bytes used as a secret").unwrap(),
    )
    .unwrap();
    let err = verifier.verify(&hmac).await.unwrap_err();
    assert!(matches!(err, AuthError::Invalid(_)), "{err}");
}

#[tokio::test]
async fn garbage_is_refused() {
    let (_issuer, verifier) = setup().await;
    assert!(verifier.verify("not.a.token").await.is_err());
    assert!(verifier.verify("").await.is_err());
}
