//! Files residents send. Photos lose what they say beyond their pixels — the GPS
//! position a phone writes first — before any service stores them, whichever way they
//! come (with a complaint, added later, as a teleservice attachment or a document sent
//! after filing), and what is stored, hashed and served is the stripped file. Uploads
//! also come as `multipart/form-data`, read part by part: a part is refused as soon as
//! it passes its limit (413) or shows a type the route does not take (422).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use base64::{Engine as _, engine::general_purpose::STANDARD};
use guichet_kit::{testing::photos, upload};
use guichet_tests::{
    Platform, json_of,
    multipart::{file, text},
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

fn pothole() -> Value {
    json!({
        "category": "NID_DE_POULE",
        "description": "Trou profond devant le 12, dangereux pour les vélos.",
        "location": {"latitude": 43.5262, "longitude": 5.4466,
                     "address": "Avenue Victor Hugo, 13100 Aix-en-Provence"}
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// A JPEG that still decodes to the 16 × 16 picture, with no trace left of the EXIF
/// block, its GPS position, the XMP packet or the comment.
fn assert_clean_jpeg(bytes: &[u8]) {
    assert!(bytes.starts_with(&[0xFF, 0xD8]), "not a JPEG");
    assert!(!contains(bytes, b"Exif\0\0"), "EXIF left in the photo");
    assert!(
        !contains(bytes, &photos::GPS_LATITUDE),
        "GPS position left in the photo"
    );
    assert!(
        !contains(bytes, b"http://ns.adobe.com/xap/1.0/"),
        "XMP left in the photo"
    );
    assert!(
        !contains(bytes, photos::COMMENT),
        "comment left in the photo"
    );
    let mut decoder =
        zune_jpeg::JpegDecoder::new(zune_jpeg::zune_core::bytestream::ZCursor::new(bytes));
    let pixels = decoder.decode().expect("the stripped photo still decodes");
    assert_eq!(decoder.dimensions(), Some((16, 16)));
    assert_eq!(pixels.len(), 16 * 16 * 3);
}

/// The stripped photo, as the services must store it.
fn stripped() -> Vec<u8> {
    upload::strip_metadata("image/jpeg", photos::jpeg_with_gps()).unwrap()
}

fn sha256(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Downloads a complaint's photo with the tracking number, as its resident does.
async fn photo_of(platform: &Platform, number: &str, info: &Value) -> Vec<u8> {
    let response = platform
        .get(&format!(
            "/api/v1/demands/{number}/photos/{}",
            info["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "image/jpeg");
    let bytes = response.bytes().await.unwrap().to_vec();
    assert_eq!(
        info["sha256"],
        sha256(&bytes),
        "the hash is of the stored file"
    );
    assert_eq!(info["size"], bytes.len());
    bytes
}

#[tokio::test]
async fn a_photo_sent_in_json_loses_its_gps_position_before_it_is_stored() {
    let platform = Platform::start("uploads_json").await.unwrap();
    let photo = photos::jpeg_with_gps();
    assert!(
        contains(&photo, &photos::GPS_LATITUDE),
        "the test photo carries a position"
    );
    let mut filing = pothole();
    filing["photos"] = json!([{"filename": "trou.jpg", "content_base64": STANDARD.encode(&photo)}]);
    let (status, filed) = json_of(platform.post_json("/api/v1/complaints", &filing).await).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    let stored = photo_of(&platform, &number, &filed["photos"][0]).await;
    assert_clean_jpeg(&stored);
    assert_eq!(stored, stripped());

    // Added later, the same.
    let (status, listed) = json_of(
        platform
            .post_json(
                &format!("/api/v1/demands/{number}/photos"),
                &json!({"filename": "trou-2.jpg", "content_base64": STANDARD.encode(&photo)}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{listed}");
    let stored = photo_of(&platform, &number, &listed[1]).await;
    assert_clean_jpeg(&stored);
}

#[tokio::test]
async fn a_complaint_is_filed_and_followed_with_photos_sent_as_a_form() {
    let platform = Platform::start("uploads_form").await.unwrap();
    let photo = photos::jpeg_with_gps();
    let complaint = pothole().to_string();
    let response = platform
        .post_form(
            None,
            "/api/v1/complaints",
            &[
                text("complaint", "application/json", complaint.as_bytes()),
                file("photos", "trou.jpg", &photo),
                file("photos", "trou-de-pres.jpg", &photo),
            ],
        )
        .await;
    let (status, filed) = json_of(response).await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    assert_eq!(filed["photos"].as_array().unwrap().len(), 2, "{filed}");
    for info in filed["photos"].as_array().unwrap() {
        assert_eq!(info["mime_type"], "image/jpeg");
        let stored = photo_of(&platform, &number, info).await;
        assert_clean_jpeg(&stored);
        assert_eq!(stored, stripped());
    }

    // A photo added later, as a form too.
    let (status, listed) = json_of(
        platform
            .post_form(
                None,
                &format!("/api/v1/demands/{number}/photos"),
                &[file("photo", "trou-3.jpg", &photo)],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 3);
    assert_clean_jpeg(&photo_of(&platform, &number, &listed[2]).await);
}

#[tokio::test]
async fn a_form_part_is_refused_as_soon_as_it_passes_its_limit_or_shows_a_wrong_type() {
    let platform = Platform::start("uploads_limits").await.unwrap();
    let (_, filed) = json_of(platform.post_json("/api/v1/complaints", &pothole()).await).await;
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    let photos_path = format!("/api/v1/demands/{number}/photos");

    // One byte over 5 MiB: 413, naming the field, in French.
    let mut big = photos::jpeg_with_gps();
    big.resize(5 * 1024 * 1024 + 1, 0);
    let response = platform
        .post_form(None, &photos_path, &[file("photo", "grand.jpg", &big)])
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let (_, problem) = json_of(response).await;
    assert_eq!(problem["code"], "payload_too_large");
    assert!(
        problem["detail"].as_str().unwrap().contains("« photo »"),
        "{problem}"
    );

    // A PDF is no photo, whatever its name: 422 on the field, from its first bytes.
    let (status, problem) = json_of(
        platform
            .post_form(
                None,
                &photos_path,
                &[file("photo", "trou.jpg", b"%PDF-1.7\n%%EOF\n")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "photo");

    // A form without its file.
    let (status, problem) = json_of(
        platform
            .post_form(None, &photos_path, &[text("note", "text/plain", b"rien")])
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "photo");

    // A filing with six photos: the sixth part is refused before it is read.
    let photo = photos::jpeg_with_gps();
    let complaint = pothole().to_string();
    let mut parts = vec![text("complaint", "application/json", complaint.as_bytes())];
    parts.extend((0..6).map(|_| file("photos", "trou.jpg", &photo)));
    let (status, problem) =
        json_of(platform.post_form(None, "/api/v1/complaints", &parts).await).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "photos");

    // Neither JSON nor a form.
    let response = platform
        .http
        .post(platform.url(&photos_path))
        .header("content-type", "image/jpeg")
        .body(photo.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);

    // Nothing refused was stored.
    let (_, listed) = json_of(platform.get(&photos_path).await).await;
    assert_eq!(listed, json!([]));
}

/// A published teleservice that takes a scan of an ID card.
async fn publish_certificate(platform: &Platform) {
    let designer = platform
        .agent_with_roles("claire", &["ETAT_CIVIL"], &["agent", "form_designer"])
        .await;
    let definition = guichet_tests::birth_certificate(
        "acte-scan",
        &[
            json!({"id": "piece", "type": "file", "label": "Pièce d'identité",
             "accept": ["image/jpeg", "application/pdf"], "max_size": 1000000}),
        ],
    );
    let (status, saved) = json_of(
        platform
            .post_json_as(&designer, "/api/v1/agent/teleservices", &definition)
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{saved}");
    let (status, published) = json_of(
        platform
            .post_json_as(
                &designer,
                "/api/v1/agent/teleservices/acte-scan/state",
                &json!({"state": "published"}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{published}");
}

#[tokio::test]
async fn attachments_and_documents_sent_as_forms_are_stored_stripped() {
    let platform = Platform::start("uploads_docs").await.unwrap();
    publish_certificate(&platform).await;
    let photo = photos::jpeg_with_gps();
    let clean = stripped();

    // A draft's attachment, as a form: typed, hashed and sized as stored.
    let (status, draft) = json_of(
        platform
            .post_json(
                "/api/v1/teleservices/acte-scan/drafts",
                &json!({"data": {"nom": "Martin"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{draft}");
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    let (status, attachment) = json_of(
        platform
            .post_form(
                None,
                &format!("/api/v1/drafts/{draft_id}/attachments"),
                &[file("file", "pièce d'identité.jpg", &photo)],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{attachment}");
    assert_eq!(attachment["mime_type"], "image/jpeg");
    assert_eq!(attachment["filename"], "pièce d'identité.jpg");
    assert_eq!(attachment["sha256"], sha256(&clean));
    assert_eq!(attachment["size"], clean.len());
    let (status, filed) = json_of(
        platform
            .post_json(
                &format!("/api/v1/drafts/{draft_id}/submit"),
                &json!({"data": {"nom": "Martin", "piece": [attachment["id"]]},
                        "contact": {"email": "jeanne.martin@example.org"}}),
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{filed}");
    let number = filed["tracking_number"].as_str().unwrap().to_owned();
    let agent = platform.agent("lea", &["ETAT_CIVIL"]).await;
    let download = platform
        .get_as(
            &agent,
            &format!(
                "/api/v1/demands/{number}/attachments/{}",
                attachment["id"].as_str().unwrap()
            ),
        )
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    // The agent saves it under the name the resident gave, accents and all.
    let disposition = download.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains("filename*=UTF-8''pi%C3%A8ce%20d%27identit%C3%A9.jpg"),
        "{disposition}"
    );
    let stored = download.bytes().await.unwrap();
    assert_clean_jpeg(&stored);

    // A document sent after filing, with words, as a form from a kiosk by number.
    let kiosk = platform.device("kiosk").await;
    let (status, demand) = json_of(
        platform
            .post_form(
                Some(&kiosk),
                &format!("/api/v1/demands/{number}/attachments"),
                &[
                    text(
                        "text",
                        "text/plain; charset=utf-8",
                        "Voici le justificatif.".as_bytes(),
                    ),
                    file("file", "justificatif.jpg", &photo),
                ],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{demand}");
    let (_, read) = json_of(
        platform
            .get_as(&agent, &format!("/api/v1/demands/{number}"))
            .await,
    )
    .await;
    let pieces = read["dossier"]["pieces"].as_array().unwrap();
    let sent = pieces
        .iter()
        .find(|p| p["filename"] == "justificatif.jpg")
        .unwrap();
    assert_eq!(sent["sha256"], sha256(&clean), "{read}");
    let download = platform
        .get_as(&agent, sent["href"].as_str().unwrap())
        .await;
    assert_eq!(download.status(), StatusCode::OK);
    assert_clean_jpeg(&download.bytes().await.unwrap());
    let message = read["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["kind"] == "message"
                && e["text"]
                    .as_str()
                    .unwrap_or_default()
                    .contains("justificatif.jpg")
        })
        .unwrap();
    assert!(
        message["text"]
            .as_str()
            .unwrap()
            .contains("Voici le justificatif.")
    );

    // A document of a type no piece may be is refused from its first bytes, by field.
    let (status, problem) = json_of(
        platform
            .post_form(
                Some(&kiosk),
                &format!("/api/v1/demands/{number}/attachments"),
                &[file("file", "virus.pdf", b"MZ\x90\x00 pas un document")],
            )
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{problem}");
    assert_eq!(problem["errors"][0]["field"], "file");
}

#[test]
fn the_openapi_document_offers_a_form_beside_json_on_every_upload_route() {
    let doc = serde_json::to_value(guichet_gateway::openapi()).unwrap();
    for path in [
        "/api/v1/complaints",
        "/api/v1/demands/{tracking_number}/photos",
        "/api/v1/drafts/{id}/attachments",
        "/api/v1/demands/{tracking_number}/attachments",
    ] {
        let content = &doc["paths"][path]["post"]["requestBody"]["content"];
        assert!(content["application/json"].is_object(), "{path}: {content}");
        let form = &content["multipart/form-data"]["schema"];
        assert!(form.is_object(), "{path}: {content}");
        assert!(
            doc["paths"][path]["post"]["responses"]["413"].is_object(),
            "{path}"
        );
    }
    let form = &doc["components"]["schemas"]["ComplaintForm"]["properties"];
    assert!(
        form["complaint"].is_object() && form["photos"].is_object(),
        "{form}"
    );
}
