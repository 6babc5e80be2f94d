//! Notifications end to end, through the gateway with every real service: agents' live
//! feeds over SSE, residents' e-mail through a real SMTP server (aiosmtpd), ratings and
//! announcements.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::time::{Duration, Instant};

use guichet_kit::{
    Clock,
    bus::{Bus, Event, Publisher},
};
use guichet_tests::{Options, Platform};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// One Server-Sent Event.
#[derive(Debug, Default, Clone)]
struct SseEvent {
    id: String,
    event: String,
    data: String,
}

/// Reads an SSE response event by event.
struct SseStream {
    response: reqwest::Response,
    buffer: String,
}

impl SseStream {
    async fn open(platform: &Platform, token: &str, last_event_id: Option<&str>) -> Self {
        let mut request = platform
            .http
            .get(platform.url("/api/v1/agent/feed/stream"))
            .bearer_auth(token);
        if let Some(id) = last_event_id {
            request = request.header("Last-Event-ID", id);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/event-stream")
        );
        Self {
            response,
            buffer: String::new(),
        }
    }

    /// The next event (comments skipped), or `None` if none comes within `wait`.
    async fn next(&mut self, wait: Duration) -> Option<SseEvent> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let mut event = SseEvent::default();
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("id:") {
                        event.id = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("event:") {
                        event.event = v.trim().to_owned();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        event.data.push_str(v.trim_start());
                    }
                }
                if !event.event.is_empty() || !event.data.is_empty() {
                    return Some(event);
                }
            }
            let chunk = tokio::time::timeout_at(deadline, self.response.chunk()).await;
            match chunk {
                Ok(Ok(Some(bytes))) => self
                    .buffer
                    .push_str(&String::from_utf8_lossy(&bytes).replace("\r\n", "\n")),
                _ => return None,
            }
        }
    }
}

async fn file_complaint(platform: &Platform, category: &str, contact: Value) -> String {
    let filed: Value = platform
        .post_json(
            "/api/v1/complaints",
            &json!({
                "category": category,
                "description": "Signalé par un test de bout en bout, merci de ne pas intervenir.",
                "location": {"address": "Cours Mirabeau, Aix-en-Provence"},
                "contact": contact,
            }),
        )
        .await
        .json()
        .await
        .unwrap();
    filed["tracking_number"]
        .as_str()
        .unwrap_or_else(|| panic!("not filed: {filed}"))
        .to_owned()
}

async fn feed_has(platform: &Platform, token: &str, number: &str) -> bool {
    let feed: Value = platform
        .get_as(token, "/api/v1/agent/feed")
        .await
        .json()
        .await
        .unwrap();
    feed["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["tracking_number"] == number)
}

#[tokio::test]
async fn an_agents_live_feed_shows_their_departments_demands_as_filed_and_resumes_after_a_reconnection()
 {
    let platform = Platform::start("sse").await.unwrap();
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let mut roads_stream = SseStream::open(&platform, &roads, None).await;
    let mut police_stream = SseStream::open(&platform, &police, None).await;

    let filed = Instant::now();
    let pothole = file_complaint(&platform, "NID_DE_POULE", Value::Null).await;
    let event = roads_stream
        .next(Duration::from_secs(5))
        .await
        .expect("the roads agent's stream received nothing");
    // A figure, not a verdict: timing depends on the machine's load (speed targets
    // belong in benchmarks).
    eprintln!("the item reached the agent in {:?}", filed.elapsed());
    assert_eq!(event.event, "feed_item");
    let item: Value = serde_json::from_str(&event.data).unwrap();
    assert_eq!(item["tracking_number"], pothole.as_str());
    assert_eq!(item["department"], "VOIRIE");
    assert_eq!(item["theme"], "complaint:NID_DE_POULE");
    assert_eq!(event.id, item["seq"].to_string());
    // Nothing for the police: the item is not theirs.
    assert!(
        police_stream
            .next(Duration::from_millis(500))
            .await
            .is_none(),
        "the police agent heard of a roads demand"
    );

    // The roads agent goes offline; two potholes and a parking complaint are filed.
    drop(roads_stream);
    let missed = [
        file_complaint(&platform, "NID_DE_POULE", Value::Null).await,
        file_complaint(&platform, "NID_DE_POULE", Value::Null).await,
    ];
    let parking = file_complaint(&platform, "STATIONNEMENT_GENANT", Value::Null).await;
    // The police hears of theirs, live.
    let police_event = police_stream.next(Duration::from_secs(5)).await.unwrap();
    assert!(police_event.data.contains(&parking));
    for number in &missed {
        let ready = guichet_kit::testing::eventually(|| async {
            feed_has(&platform, &roads, number).await.then_some(())
        })
        .await;
        assert!(ready.is_some(), "{number} never reached the roads feed");
    }

    // Reconnecting with the last id received replays exactly what was missed, in order.
    let mut resumed = SseStream::open(&platform, &roads, Some(&event.id)).await;
    let mut replayed = Vec::new();
    while let Some(event) = resumed.next(Duration::from_millis(700)).await {
        let item: Value = serde_json::from_str(&event.data).unwrap();
        replayed.push(item["tracking_number"].as_str().unwrap().to_owned());
    }
    assert_eq!(replayed, missed, "replayed after reconnection");
}

#[tokio::test]
async fn a_feed_listener_cut_off_by_the_database_misses_nothing_and_repeats_nothing() {
    let platform = Platform::start("feed_cut").await.unwrap();
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let mut stream = SseStream::open(&platform, &roads, None).await;
    let first = file_complaint(&platform, "NID_DE_POULE", Value::Null).await;
    let event = stream.next(Duration::from_secs(5)).await.expect("live");
    assert!(event.data.contains(&first));

    // Demands keep coming, twelve at a time, while the database ends the notifications
    // service's listening connection again and again (an administrator, a failover).
    let filing = async {
        let mut filed = Vec::new();
        for _ in 0..4 {
            let batch = futures::future::join_all(
                (0..12).map(|_| file_complaint(&platform, "NID_DE_POULE", Value::Null)),
            )
            .await;
            filed.extend(batch);
        }
        filed
    };
    let cutting = async {
        let mut cuts = 0;
        for _ in 0..20 {
            let cut: Vec<bool> = sqlx::query_scalar(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE datname = current_database() AND query ILIKE '%feed_items%'
                   AND pid <> pg_backend_pid()",
            )
            .fetch_all(&platform.notifications_db)
            .await
            .unwrap();
            cuts += cut.len();
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        cuts
    };
    let (filed, cuts) = tokio::join!(filing, cutting);
    assert!(cuts > 0, "the listener was found and cut");
    let mut heard: Vec<String> = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && !filed.iter().all(|n| heard.contains(n)) {
        if let Some(event) = stream.next(Duration::from_secs(2)).await {
            let item: Value = serde_json::from_str(&event.data).unwrap();
            heard.push(item["tracking_number"].as_str().unwrap().to_owned());
        }
    }
    // Anything repeated would come right behind.
    while let Some(event) = stream.next(Duration::from_secs(1)).await {
        let item: Value = serde_json::from_str(&event.data).unwrap();
        heard.push(item["tracking_number"].as_str().unwrap().to_owned());
    }
    for number in &filed {
        let times = heard.iter().filter(|h| *h == number).count();
        assert_eq!(times, 1, "{number} heard {times} times in {heard:?}");
    }
}

#[tokio::test]
async fn feed_items_count_as_unread_per_tab_until_the_agent_marks_them_read() {
    let platform = Platform::start("unread").await.unwrap();
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let numbers = [
        file_complaint(&platform, "NID_DE_POULE", Value::Null).await,
        file_complaint(&platform, "NID_DE_POULE", Value::Null).await,
    ];
    for number in &numbers {
        let ready = guichet_kit::testing::eventually(|| async {
            feed_has(&platform, &roads, number).await.then_some(())
        })
        .await;
        assert!(ready.is_some());
    }
    let counts: Value = platform
        .get_as(&roads, "/api/v1/agent/feed/unread")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts["total"], 2, "{counts}");
    let tab = |counts: &Value, tab: &str| {
        counts["tabs"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["tab"] == tab)
            .map_or(0, |t| t["unread"].as_u64().unwrap())
    };
    assert_eq!(tab(&counts, "complaint:NID_DE_POULE"), 2);
    assert_eq!(tab(&counts, "VOIRIE"), 2);

    let feed: Value = platform
        .get_as(&roads, "/api/v1/agent/feed")
        .await
        .json()
        .await
        .unwrap();
    let first = feed["items"][0]["id"].as_str().unwrap().to_owned();
    let marked: Value = platform
        .post_json_as(&roads, "/api/v1/agent/feed/read", &json!({"ids": [first]}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(marked["marked"], 1);
    let counts: Value = platform
        .get_as(&roads, "/api/v1/agent/feed/unread")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts["total"], 1);
    let unread: Value = platform
        .get_as(&roads, "/api/v1/agent/feed?unread=true")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unread["items"].as_array().unwrap().len(), 1);
    assert_eq!(unread["items"][0]["read"], false);

    platform
        .post_json_as(
            &roads,
            "/api/v1/agent/feed/read",
            &json!({"all": true, "tab": "complaint:NID_DE_POULE"}),
        )
        .await;
    let counts: Value = platform
        .get_as(&roads, "/api/v1/agent/feed/unread")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(counts["total"], 0, "{counts}");
}

async fn change_status(platform: &Platform, agent: &str, number: &str, status: &str) {
    let changed = platform
        .post_json_as(
            agent,
            &format!("/api/v1/demands/{number}/status"),
            &json!({"status": status}),
        )
        .await;
    assert_eq!(changed.status(), StatusCode::OK, "{status}");
}

/// Waits until the notifications service has recorded `number` with `status`: the
/// event was consumed (and its deliveries queued) in that transaction.
async fn consumed(platform: &Platform, number: &str, status: &str) {
    let seen = guichet_kit::testing::eventually(|| async {
        let current: Option<String> =
            sqlx::query_scalar("SELECT status FROM demands WHERE tracking_number = $1")
                .bind(number)
                .fetch_optional(&platform.notifications_db)
                .await
                .unwrap();
        (current.as_deref() == Some(status)).then_some(())
    })
    .await;
    assert!(
        seen.is_some(),
        "{number} never became {status} for notifications"
    );
}

/// The e-mails to `address` whose subject contains `needle`, once some arrived.
async fn mails_about(platform: &Platform, address: &str, needle: &str) -> Vec<Value> {
    guichet_kit::testing::eventually(|| async {
        let found: Vec<Value> = platform
            .outbox()
            .mails_to(address)
            .into_iter()
            .filter(|m| m["subject"].as_str().unwrap_or_default().contains(needle))
            .collect();
        (!found.is_empty()).then_some(found)
    })
    .await
    .unwrap_or_default()
}

#[tokio::test]
async fn a_resident_gets_one_french_email_for_the_status_change_they_chose_and_none_twice() {
    let mut platform = Platform::start_with(
        "mail",
        Options {
            outbox: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let jeanne = "jeanne@example.org";
    let resident = platform.resident(jeanne).await;
    // Identity's e-mails go out too: the sign-up's address verification.
    let verification = mails_about(&platform, jeanne, "Confirmez votre adresse").await;
    assert_eq!(verification.len(), 1);
    assert!(
        verification[0]["text"]
            .as_str()
            .unwrap()
            .contains("/compte/verifier-email?jeton=")
    );

    // Filed without an account, then attached to Jeanne's.
    let number = file_complaint(
        &platform,
        "NID_DE_POULE",
        json!({"name": "Jeanne Martin", "email": jeanne}),
    )
    .await;
    let claimed = platform
        .post_json_as(
            &resident,
            "/api/v1/me/demands/claim",
            &json!({"tracking_number": number, "email": jeanne}),
        )
        .await;
    assert_eq!(claimed.status(), StatusCode::OK);
    // She wants e-mail when it is resolved, and nothing when it is taken.
    let settings = platform
        .http
        .put(platform.url("/api/v1/me/notifications"))
        .bearer_auth(&resident)
        .json(&json!({"preferences": [
            {"topic": "status.resolved", "channels": ["email"]},
            {"topic": "status.in_progress", "channels": []},
        ]}))
        .send()
        .await
        .unwrap();
    assert_eq!(settings.status(), StatusCode::OK);
    let settings: Value = settings.json().await.unwrap();
    assert_eq!(settings["email"], "j•••@example.org");
    let linked = guichet_kit::testing::eventually(|| async {
        let account: Option<Option<String>> =
            sqlx::query_scalar("SELECT account_id FROM demands WHERE tracking_number = $1")
                .bind(&number)
                .fetch_optional(&platform.notifications_db)
                .await
                .unwrap();
        account.flatten()
    })
    .await;
    assert!(linked.is_some(), "the claim never reached notifications");

    let roads = platform.agent("karim", &["VOIRIE"]).await;
    change_status(&platform, &roads, &number, "in_progress").await;
    consumed(&platform, &number, "in_progress").await;
    // The service restarts (a deploy) between the two changes.
    platform.restart_notifications().await.unwrap();
    change_status(&platform, &roads, &number, "resolved").await;

    let resolved = mails_about(&platform, jeanne, "est résolue").await;
    assert_eq!(resolved.len(), 1, "{resolved:?}");
    let mail = &resolved[0];
    assert_eq!(
        mail["subject"],
        format!("Votre demande {number} est résolue")
    );
    let text = mail["text"].as_str().unwrap();
    assert!(text.starts_with("Bonjour,"), "{text}");
    assert!(
        text.contains(&format!("Numéro de suivi : {number}")),
        "{text}"
    );
    assert!(
        text.contains(&platform.url(&format!("/suivi/{number}"))),
        "{text}"
    );
    assert!(text.contains("notez la réponse"), "{text}");

    // Another restart, and the broker delivers the resolution again (as after a crash
    // before the acknowledgement): the inbox and the unique delivery key send nothing.
    platform.restart_notifications().await.unwrap();
    let (id, kind, source, subject, time, data, dataschema): (
        sqlx::types::Uuid,
        String,
        String,
        String,
        sqlx::types::chrono::DateTime<sqlx::types::chrono::Utc>,
        Vec<u8>,
        String,
    ) = sqlx::query_as(
        "SELECT id, routing_key, source, subject, time, data, dataschema FROM kit.outbox
         WHERE routing_key = 'complaints.demand.status_changed' ORDER BY seq DESC LIMIT 1",
    )
    .fetch_one(&platform.complaints_db)
    .await
    .unwrap();
    let again = Event {
        id,
        kind,
        source,
        subject,
        time,
        data,
        dataschema,
        traceparent: None,
    };
    let publisher = Publisher::open(&Bus::new(platform.amqp().clone()))
        .await
        .unwrap();
    publisher.publish(&again).await.unwrap();
    // An agent's message afterwards (e-mail and the resident's space by default) shows
    // when everything before it has been handled.
    let written = platform
        .post_json_as(
            &roads,
            &format!("/api/v1/demands/{number}/messages"),
            &json!({"text": "Le trou a été rebouché ce matin."}),
        )
        .await;
    assert!(written.status().is_success());
    let message = mails_about(&platform, jeanne, "Nouveau message").await;
    assert_eq!(message.len(), 1);
    assert!(
        message[0]["text"]
            .as_str()
            .unwrap()
            .contains("> Le trou a été rebouché ce matin.")
    );
    let mails = platform.outbox().mails_to(jeanne);
    let subjects: Vec<&str> = mails
        .iter()
        .map(|m| m["subject"].as_str().unwrap())
        .collect();
    assert_eq!(
        subjects
            .iter()
            .filter(|s| s.contains("est résolue"))
            .count(),
        1,
        "{subjects:?}"
    );
    assert!(
        !subjects.iter().any(|s| s.contains("en cours")),
        "an e-mail she did not ask for: {subjects:?}"
    );

    // The agent's message is in her space too; the agent sees what was sent.
    let inbox: Value = platform
        .get_as(&resident, "/api/v1/me/messages")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(inbox[0]["tracking_number"], number.as_str());
    assert!(inbox[0]["body"].as_str().unwrap().contains("rebouché"));
    let deliveries: Value = platform
        .get_as(
            &roads,
            &format!("/api/v1/agent/demands/{number}/deliveries"),
        )
        .await
        .json()
        .await
        .unwrap();
    let sent_emails = deliveries
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["channel"] == "email" && d["status"] == "sent")
        .count();
    // The acknowledgement to the contact left at filing, the resolution, the message.
    assert_eq!(sent_emails, 3, "{deliveries}");
    assert!(
        deliveries[0]["subject"]
            .as_str()
            .unwrap()
            .contains("a bien été enregistrée"),
        "{deliveries}"
    );
    assert_eq!(deliveries[0]["recipient"], "j•••@example.org");
    let police = platform.agent("ines", &["POLICE_MUN"]).await;
    let refused = platform
        .get_as(
            &police,
            &format!("/api/v1/agent/demands/{number}/deliveries"),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_refused_address_shows_as_a_failed_delivery_on_the_demand() {
    let platform = Platform::start_with(
        "refused",
        Options {
            outbox: true,
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let address = "paul@refuse.invalid";
    let resident = platform.resident(address).await;
    let number = file_complaint(
        &platform,
        "NID_DE_POULE",
        json!({"name": "Paul", "email": address}),
    )
    .await;
    let claimed = platform
        .post_json_as(
            &resident,
            "/api/v1/me/demands/claim",
            &json!({"tracking_number": number, "email": address}),
        )
        .await;
    assert_eq!(claimed.status(), StatusCode::OK);
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    // The claim is consumed before the change (one queue, in order).
    let linked = guichet_kit::testing::eventually(|| async {
        let account: Option<Option<String>> =
            sqlx::query_scalar("SELECT account_id FROM demands WHERE tracking_number = $1")
                .bind(&number)
                .fetch_optional(&platform.notifications_db)
                .await
                .unwrap();
        account.flatten()
    })
    .await;
    assert!(linked.is_some());
    change_status(&platform, &roads, &number, "in_progress").await;
    let failed = guichet_kit::testing::eventually(|| async {
        let deliveries: Value = platform
            .get_as(
                &roads,
                &format!("/api/v1/agent/demands/{number}/deliveries"),
            )
            .await
            .json()
            .await
            .ok()?;
        deliveries
            .as_array()?
            .iter()
            .find(|d| d["channel"] == "email" && d["status"] == "failed")
            .cloned()
    })
    .await
    .expect("no failed delivery shown");
    assert_eq!(failed["attempts"], 1, "a permanent refusal is not retried");
    assert!(
        failed["last_error"].as_str().unwrap().contains("550"),
        "{failed}"
    );
    assert!(platform.outbox().mails_to(address).is_empty());
}

#[tokio::test]
async fn a_resolved_demand_is_rated_once_and_counted_in_the_results() {
    let platform = Platform::start("rating").await.unwrap();
    let number = file_complaint(&platform, "NID_DE_POULE", Value::Null).await;
    let rating = json!({"score": 4, "comment": "Réparé vite, merci."});
    let path = format!("/api/v1/demands/{number}/rating");
    let early = platform.post_json(&path, &rating).await;
    assert_eq!(early.status(), StatusCode::CONFLICT, "not resolved yet");

    let roads = platform.agent("karim", &["VOIRIE"]).await;
    change_status(&platform, &roads, &number, "resolved").await;
    consumed(&platform, &number, "resolved").await;
    let bad = platform.post_json(&path, &json!({"score": 9})).await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        platform.get(&path).await.status(),
        StatusCode::NOT_FOUND,
        "not rated yet"
    );
    let first = platform.post_json(&path, &rating).await;
    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(first.headers()["location"], path.as_str());
    let given: Value = platform.get(&path).await.json().await.unwrap();
    assert_eq!(given["score"], 4);
    assert_eq!(given["comment"], "Réparé vite, merci.");
    let second = platform
        .post_json(&path, &json!({"score": 1, "comment": "Finalement non."}))
        .await;
    assert_eq!(second.status(), StatusCode::CONFLICT, "rated twice");
    let problem: Value = second.json().await.unwrap();
    assert_eq!(problem["code"], "conflict");

    // An agent cannot rate on a resident's behalf.
    let by_agent = platform.post_json_as(&roads, &path, &rating).await;
    assert!(by_agent.status().is_client_error());

    let admin = platform.admin().await;
    let report: Value = platform
        .get_as(&admin, "/api/v1/admin/satisfaction")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(report["overall"]["count"], 1, "{report}");
    let roads_results = report["departments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["key"] == "VOIRIE")
        .unwrap();
    assert_eq!(roads_results["average"], 4.0);
    assert_eq!(roads_results["distribution"], json!([0, 0, 0, 1, 0]));
    assert_eq!(roads_results["invited"], 1);
    let forbidden = platform.get_as(&roads, "/api/v1/admin/satisfaction").await;
    assert_eq!(forbidden.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_expired_announcement_is_no_longer_served() {
    let clock = Clock::manual(chrono::Utc::now());
    let platform = Platform::start_with(
        "announce",
        Options {
            notifications_clock: Some(clock.clone()),
            ..Options::default()
        },
    )
    .await
    .unwrap();
    let admin = platform.admin().await;
    let now = clock.now();
    let publish = |title: &str, channels: Value, hours: i64| {
        json!({
            "title": title,
            "body": "La mairie annexe est fermée pour travaux. Merci de votre compréhension.",
            "audience": "everyone",
            "channels": channels,
            "valid_until": now + chrono::Duration::hours(hours),
        })
    };
    let closing = platform
        .post_json_as(
            &admin,
            "/api/v1/agent/announcements",
            &publish("Fermeture de la mairie annexe", json!(["web", "kiosk"]), 1),
        )
        .await;
    assert_eq!(closing.status(), StatusCode::CREATED);
    let app_only = platform
        .post_json_as(
            &admin,
            "/api/v1/agent/announcements",
            &publish("Nouvelle version de l'application", json!(["app"]), 3),
        )
        .await;
    assert_eq!(app_only.status(), StatusCode::CREATED);
    // Agents without the role, and residents, do not publish.
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let refused = platform
        .post_json_as(
            &roads,
            "/api/v1/agent/announcements",
            &publish("Pirate", json!(["web"]), 1),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);

    let titles = |channel: &'static str| {
        let platform = &platform;
        async move {
            let list: Value = platform
                .get(&format!("/api/v1/announcements?channel={channel}"))
                .await
                .json()
                .await
                .unwrap();
            list.as_array()
                .unwrap()
                .iter()
                .map(|a| a["title"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(titles("kiosk").await, ["Fermeture de la mairie annexe"]);
    assert_eq!(titles("app").await, ["Nouvelle version de l'application"]);
    let atom = platform.get("/api/v1/announcements.atom").await;
    assert_eq!(
        atom.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    let atom = atom.text().await.unwrap();
    assert!(atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
    assert_eq!(atom.matches("<entry>").count(), 2, "{atom}");
    assert!(atom.contains("<title>Fermeture de la mairie annexe</title>"));
    assert!(atom.contains("<title>Nouvelle version de l&apos;application</title>"));

    // Two hours later the closing notice has expired; the app's still runs.
    clock.advance(chrono::Duration::hours(2));
    assert!(titles("kiosk").await.is_empty());
    assert_eq!(titles("app").await, ["Nouvelle version de l'application"]);
    let atom = platform
        .get("/api/v1/announcements.atom")
        .await
        .text()
        .await
        .unwrap();
    assert!(!atom.contains("Fermeture de la mairie annexe"), "{atom}");
    assert_eq!(atom.matches("<entry>").count(), 1);
}

#[tokio::test]
async fn supervisors_see_the_weeks_figures_of_their_departments() {
    let platform = Platform::start("figures").await.unwrap();
    let roads = platform.agent("karim", &["VOIRIE"]).await;
    let filed: Vec<String> = {
        let mut filed = Vec::new();
        for _ in 0..3 {
            filed.push(file_complaint(&platform, "NID_DE_POULE", Value::Null).await);
        }
        filed
    };
    // One answered within its due date, one rejected, one left open.
    change_status(&platform, &roads, &filed[0], "resolved").await;
    let rejected = platform
        .post_json_as(
            &roads,
            &format!("/api/v1/demands/{}/status", filed[1]),
            &json!({"status": "rejected", "reason": "Le trou est sur une voie privée."}),
        )
        .await;
    assert_eq!(rejected.status(), StatusCode::OK);
    consumed(&platform, &filed[0], "resolved").await;
    consumed(&platform, &filed[1], "rejected").await;
    let rating = platform
        .post_json(
            &format!("/api/v1/demands/{}/rating", filed[0]),
            &json!({"score": 5}),
        )
        .await;
    assert_eq!(rating.status(), StatusCode::CREATED);

    let supervisor = platform
        .agent_with_roles("chef-voirie", &["VOIRIE"], &["agent", "supervisor"])
        .await;
    let figures: Value = platform
        .get_as(&supervisor, "/api/v1/agent/figures?weeks=4")
        .await
        .json()
        .await
        .unwrap();
    let weeks = figures["weeks"].as_array().unwrap();
    assert_eq!(weeks.len(), 4, "{figures}");
    let this_week = weeks.last().unwrap();
    assert_eq!(this_week["received"], 3, "{figures}");
    assert_eq!(this_week["answered"], 2);
    assert_eq!(this_week["answered_on_time"], 2);
    assert_eq!(weeks[0]["received"], 0);
    let roads_figures = &figures["departments"][0];
    assert_eq!(roads_figures["key"], "VOIRIE");
    assert_eq!(roads_figures["received"], 3);
    assert_eq!(roads_figures["answered"], 2);
    assert_eq!(roads_figures["open"], 1);
    assert_eq!(roads_figures["overdue"], 0);
    assert_eq!(roads_figures["ratings"], 1);
    assert_eq!(roads_figures["average_rating"], 5.0);
    assert!(roads_figures["median_days_to_answer"].as_f64().unwrap() < 1.0);

    // A plain agent sees no figures; another department's supervisor not these.
    assert_eq!(
        platform
            .get_as(&roads, "/api/v1/agent/figures")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let police_chief = platform
        .agent_with_roles("chef-police", &["POLICE_MUN"], &["agent", "supervisor"])
        .await;
    assert_eq!(
        platform
            .get_as(&police_chief, "/api/v1/agent/figures?department=VOIRIE")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
    let theirs: Value = platform
        .get_as(&police_chief, "/api/v1/agent/figures")
        .await
        .json()
        .await
        .unwrap();
    assert!(
        theirs["departments"].as_array().unwrap().is_empty(),
        "{theirs}"
    );
    // The administrator sees the whole city.
    let admin = platform.admin().await;
    let city: Value = platform
        .get_as(&admin, "/api/v1/agent/figures")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        city["weeks"].as_array().unwrap().last().unwrap()["received"],
        3
    );
}

#[tokio::test]
async fn publishers_list_every_announcement_and_withdraw_one_at_once() {
    let platform = Platform::start("announcements_admin").await.unwrap();
    let admin = platform.admin().await;
    let publish = |title: &'static str, from: &'static str| {
        let platform = &platform;
        let admin = admin.clone();
        async move {
            let response = platform
                .post_json_as(
                    &admin,
                    "/api/v1/agent/announcements",
                    &json!({"title": title, "body": "Texte de l'annonce.", "channels": ["web"],
                            "valid_from": from, "valid_until": "2099-01-01T00:00:00Z"}),
                )
                .await;
            assert_eq!(response.status(), StatusCode::CREATED);
            let published: Value = response.json().await.unwrap();
            published["id"].as_str().unwrap().to_owned()
        }
    };
    let now = publish("Travaux cours Mirabeau", "2020-01-01T00:00:00Z").await;
    let later = publish("Fermeture de fin d'année", "2098-12-20T00:00:00Z").await;

    let all: Value = platform
        .get_as(&admin, "/api/v1/agent/announcements")
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [later.as_str(), now.as_str()],
        "newest first, future ones too"
    );

    let withdrawn = platform
        .http
        .delete(platform.url(&format!("/api/v1/agent/announcements/{now}")))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(withdrawn.status(), StatusCode::OK);
    let current: Value = platform
        .get("/api/v1/announcements")
        .await
        .json()
        .await
        .unwrap();
    assert!(current.as_array().unwrap().is_empty(), "{current}");
    let all: Value = platform
        .get_as(&admin, "/api/v1/agent/announcements")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        all.as_array().unwrap().len(),
        2,
        "still listed for publishers"
    );

    let agent = platform.agent("marc", &["VOIRIE"]).await;
    assert_eq!(
        platform
            .get_as(&agent, "/api/v1/agent/announcements")
            .await
            .status(),
        StatusCode::FORBIDDEN
    );
}
