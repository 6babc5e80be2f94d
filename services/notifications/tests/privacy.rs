//! A resident's RGPD rights over what the notifications service keeps: the export holds
//! everything tied to their account, addresses in full, and the erasure leaves nothing
//! of it, against real PostgreSQL and RabbitMQ.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::Utc;
use guichet_kit::{auth::with_bearer, bus::Event, grpc, testing};
use guichet_proto::{
    events::v1::AccountErased,
    privacy::v1::{ExportPersonalDataRequest, privacy_client::PrivacyClient},
};
use serde_json::Value;
use sqlx::PgPool;
use tonic::Code;

const JEANNE: &str = "acc-jeanne";
const PAUL: &str = "acc-paul";
/// Filed while signed in.
const FILED: &str = "CAAA-AAAA-AAAA-A1";
/// Filed without an account, rated, then claimed.
const CLAIMED: &str = "CAAA-AAAA-AAAA-B2";
const PAULS: &str = "CAAA-AAAA-AAAA-C3";

mod common;

struct Fixture {
    service: common::Service,
    privacy: PrivacyClient<grpc::TracedChannel>,
}

async fn start(hint: &str) -> Fixture {
    let service = common::start(hint, "notifications.residents").await;
    Fixture {
        privacy: PrivacyClient::new(service.channel.clone()),
        service,
    }
}

/// What the consumers would have written for Jeanne and Paul.
async fn seed(pool: &PgPool) {
    for sql in [
        "INSERT INTO accounts (account_id, email, phone, preferred_channels, updated_at) VALUES
             ('acc-jeanne', 'jeanne@example.org', '06 12 34 56 78', '{email,sms}', now()),
             ('acc-paul', 'paul@example.org', '', NULL, now())",
        "INSERT INTO preferences (account_id, topic, channels) VALUES
             ('acc-jeanne', 'status.resolved', '{sms}'), ('acc-paul', 'message', '{app}')",
        "INSERT INTO demands (tracking_number, kind, department, title, status, account_id,
             contact_email, contact_phone, updated_at) VALUES
             ('CAAA-AAAA-AAAA-A1', 'complaint', 'VOIRIE', 'Nid-de-poule', 'submitted',
              'acc-jeanne', 'jeanne@example.org', '', now()),
             ('CAAA-AAAA-AAAA-B2', 'complaint', 'VOIRIE', 'Éclairage', 'resolved',
              'acc-jeanne', 'jeanne.martin@example.fr', '06 12 34 56 78', now()),
             ('CAAA-AAAA-AAAA-C3', 'complaint', 'VOIRIE', 'Tag', 'resolved',
              'acc-paul', 'paul@example.org', '', now())",
        "INSERT INTO messages (id, event_id, account_id, tracking_number, subject, body, link, at)
         VALUES
             (gen_random_uuid(), gen_random_uuid(), 'acc-jeanne', 'CAAA-AAAA-AAAA-A1',
              'Demande enregistrée', 'Bonjour Jeanne', 'https://x/suivi/A1', now()),
             (gen_random_uuid(), gen_random_uuid(), 'acc-paul', 'CAAA-AAAA-AAAA-C3',
              'Demande enregistrée', 'Bonjour Paul', 'https://x/suivi/C3', now())",
        // One pending under the account, one sent (and refused) before the claim.
        "INSERT INTO deliveries (id, event_id, event_type, tracking_number, account_id, channel,
             recipient, subject, body, status, attempts, next_attempt_at, last_error,
             created_at) VALUES
             (gen_random_uuid(), gen_random_uuid(), 'complaints.complaint.filed',
              'CAAA-AAAA-AAAA-A1', 'acc-jeanne', 'email', 'jeanne@example.org',
              'Demande enregistrée', 'Bonjour', 'pending', 0, now() + interval '1 hour', '',
              now()),
             (gen_random_uuid(), gen_random_uuid(), 'complaints.complaint.filed',
              'CAAA-AAAA-AAAA-B2', NULL, 'email', 'jeanne.martin@example.fr',
              'Demande enregistrée', 'Bonjour', 'failed', 1, now(),
              '550 <jeanne.martin@example.fr> refusé', now()),
             (gen_random_uuid(), gen_random_uuid(), 'complaints.complaint.filed',
              'CAAA-AAAA-AAAA-C3', 'acc-paul', 'email', 'paul@example.org',
              'Demande enregistrée', 'Bonjour', 'sent', 1, now(), '', now())",
        "INSERT INTO ratings (tracking_number, score, comment, account_id, kind, department, at)
         VALUES
             ('CAAA-AAAA-AAAA-B2', 2, 'Jeanne, de la rue des Lilas : trop lent.', NULL,
              'complaint', 'VOIRIE', now()),
             ('CAAA-AAAA-AAAA-C3', 5, 'Parfait, Paul.', 'acc-paul', 'complaint', 'VOIRIE',
              now())",
    ] {
        sqlx::query(sql).execute(pool).await.unwrap();
    }
}

impl Fixture {
    async fn export_as(&self, token: Option<&str>) -> Result<Value, tonic::Status> {
        let data = self
            .privacy
            .clone()
            .export_personal_data(with_bearer(
                tonic::Request::new(ExportPersonalDataRequest {}),
                token,
            ))
            .await?
            .into_inner();
        assert_eq!(data.service, "notifications");
        Ok(serde_json::from_str(&data.json).unwrap())
    }

    async fn export(&self, account: &str) -> Value {
        self.export_as(Some(&self.service.issuer.resident(account)))
            .await
            .unwrap()
    }

    async fn rows_mentioning(&self, needle: &str) -> Vec<String> {
        testing::rows_mentioning(&self.service.pool, needle)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn a_resident_exports_everything_tied_to_their_account_and_erasure_leaves_nothing() {
    let f = start("ntf_privacy").await;
    seed(&f.service.pool).await;

    let export = f.export(JEANNE).await;
    assert_eq!(export["account"]["email"], "jeanne@example.org");
    assert_eq!(export["account"]["phone"], "06 12 34 56 78");
    assert_eq!(
        export["account"]["preferred_channels"],
        serde_json::json!(["email", "sms"])
    );
    assert_eq!(
        export["preferences"],
        serde_json::json!([{"topic": "status.resolved", "channels": ["sms"]}])
    );
    assert_eq!(export["messages"].as_array().unwrap().len(), 1);
    assert_eq!(export["messages"][0]["body"], "Bonjour Jeanne");
    let demands = export["demands"].as_array().unwrap();
    assert_eq!(demands.len(), 2, "{demands:?}");
    assert_eq!(demands[1]["contact_email"], "jeanne.martin@example.fr");
    // Addresses in full, including what was sent before the claim.
    let recipients: Vec<&str> = export["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["recipient"].as_str().unwrap())
        .collect();
    assert_eq!(recipients.len(), 2, "{recipients:?}");
    assert!(recipients.contains(&"jeanne@example.org"));
    assert!(recipients.contains(&"jeanne.martin@example.fr"));
    assert_eq!(
        export["ratings"],
        serde_json::json!([{
            "tracking_number": CLAIMED,
            "score": 2,
            "comment": "Jeanne, de la rue des Lilas : trop lent.",
            "at": export["ratings"][0]["at"],
        }])
    );
    assert!(
        !export.to_string().contains("paul"),
        "Paul's data in Jeanne's export: {export}"
    );

    // Residents only.
    let agent = f.service.issuer.agent("Karim", &["VOIRIE"], &[], "web");
    let refused = f.export_as(Some(&agent)).await.unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let anonymous = f.export_as(None).await.unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);

    assert!(
        !f.rows_mentioning("Lilas").await.is_empty(),
        "the search below finds what there is"
    );
    let erased = AccountErased {
        account_id: JEANNE.to_owned(),
        at: None,
    };
    f.service
        .publisher
        .publish(&Event::new(
            "/guichet/identity",
            "identity.account.erased",
            JEANNE,
            Utc::now(),
            &erased,
        ))
        .await
        .unwrap();
    let gone = testing::eventually(|| async {
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM accounts WHERE account_id = $1")
            .bind(JEANNE)
            .fetch_one(&f.service.pool)
            .await
            .unwrap();
        (left == 0).then_some(())
    })
    .await;
    assert!(gone.is_some(), "the erasure was never applied");

    for needle in [JEANNE, "jeanne", "06 12 34 56 78", "Lilas"] {
        let rows = f.rows_mentioning(needle).await;
        assert!(rows.is_empty(), "{needle} still in {rows:#?}");
    }
    let export = f.export(JEANNE).await;
    assert_eq!(
        export,
        serde_json::json!({"account": null, "preferences": [], "messages": [], "demands": [],
            "deliveries": [], "ratings": []})
    );
    // What the city keeps: the score for the statistics, the delivery's history; the
    // pending delivery will never leave.
    let (score, comment): (i16, String) =
        sqlx::query_as("SELECT score, comment FROM ratings WHERE tracking_number = $1")
            .bind(CLAIMED)
            .fetch_one(&f.service.pool)
            .await
            .unwrap();
    assert_eq!((score, comment.as_str()), (2, ""));
    let statuses: Vec<(String, String)> = sqlx::query_as(
        "SELECT status, last_error FROM deliveries WHERE tracking_number IN ($1, $2)
         ORDER BY tracking_number",
    )
    .bind(FILED)
    .bind(CLAIMED)
    .fetch_all(&f.service.pool)
    .await
    .unwrap();
    assert_eq!(
        statuses,
        [
            ("failed".to_owned(), "compte supprimé".to_owned()),
            ("failed".to_owned(), String::new()),
        ]
    );

    // Paul keeps everything.
    let paul = f.export(PAUL).await;
    assert_eq!(paul["account"]["email"], "paul@example.org");
    assert_eq!(paul["messages"].as_array().unwrap().len(), 1);
    assert_eq!(paul["deliveries"][0]["recipient"], "paul@example.org");
    assert_eq!(paul["ratings"][0]["comment"], "Parfait, Paul.");
    assert_eq!(paul["demands"][0]["tracking_number"], PAULS);
}
