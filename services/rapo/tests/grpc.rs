//! The rapo service over gRPC, against real PostgreSQL and RabbitMQ, with a clock the
//! tests move: the legal month is never slept on.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::{DateTime, Duration, Utc};
use guichet_kit::{
    Clock,
    auth::with_bearer,
    grpc,
    testing::{self, TokenIssuer},
};
use guichet_proto::{
    demand::v1::{GetDemandRequest, Status, demands_client::DemandsClient},
    rapo::v1::{
        Attachment, DecideDisputeRequest, DecisionKind, Dispute, FileDisputeRequest,
        GetDisputeRequest, GetLetterRequest, ImportFpsRequest, ImportFpsResponse,
        ListDisputesRequest, Person, Pieces, rapo_client::RapoClient,
    },
};
use guichet_rapo::{Application, SchedulerConfig, Settings};
use sqlx::PgPool;
use tokio_util::sync::{CancellationToken, DropGuard};
use tonic::Code;

/// Two replicas of the service on one database, sharing one (manual) clock.
struct Replicas {
    issuer: TokenIssuer,
    rapo: RapoClient<grpc::TracedChannel>,
    demands: DemandsClient<grpc::TracedChannel>,
    pool: PgPool,
    clock: Clock,
    police: String,
    /// Stops the service when the test ends.
    _stop: DropGuard,
}

/// 10 March 2026, 10:00 in Paris.
const START: &str = "2026-03-10T09:00:00Z";
const NOTICE: &str = "10000000000000000000000001";

async fn start(hint: &str, replicas: usize) -> Replicas {
    testing::init_logs();
    let issuer = TokenIssuer::start().await.unwrap();
    let settings = Settings {
        service: testing::service_settings(hint, &issuer.url).await.unwrap(),
        scheduler: SchedulerConfig { tick_ms: 20 },
    };
    let start: DateTime<Utc> = START.parse().unwrap();
    let clock = Clock::manual(start);
    let stop = CancellationToken::new();
    let mut first = None;
    for _ in 0..replicas {
        let app = Application::build(settings.clone(), clock.clone())
            .await
            .unwrap();
        let url = format!("http://127.0.0.1:{}", app.port());
        first.get_or_insert((url, app.pool().clone()));
        tokio::spawn(app.run(stop.clone().cancelled_owned()));
    }
    let (url, pool) = first.unwrap();
    let channel = grpc::connect_lazy(&url).unwrap();
    let police = issuer.agent("Inès Agent", &["POLICE_MUN"], &["rapo"], "web");
    Replicas {
        issuer,
        rapo: RapoClient::new(channel.clone()),
        demands: DemandsClient::new(channel),
        pool,
        clock,
        police,
        _stop: stop.drop_guard(),
    }
}

fn pdf() -> Option<Attachment> {
    Some(Attachment {
        name: "piece.pdf".into(),
        content_type: "application/pdf".into(),
        data: b"%PDF-1.4\n%test\n".to_vec(),
    })
}

fn dispute(notice: &str) -> FileDisputeRequest {
    FileDisputeRequest {
        notice_number: notice.into(),
        plate: "AB-123-CD".into(),
        holder: Some(Person {
            name: "Jeanne Martin".into(),
            address: "3 rue Espariat, 13100 Aix-en-Provence".into(),
        }),
        facts: "Stationnée cours Mirabeau, ticket pris à l'horodateur.".into(),
        grounds: "J'avais payé : le ticket est joint.".into(),
        pieces: Some(Pieces {
            payment_notice: pdf(),
            registration_certificate: pdf(),
            supporting: vec![pdf().unwrap()],
            ..Default::default()
        }),
        ..Default::default()
    }
}

const CSV: &str = "notice_number;plate;offence_at;place;amount_cents;issuing_agent;notified_on;notification_channel
10000000000000000000000001;AB-123-CD;2026-03-05 14:35;12 cours Mirabeau, 13100 Aix-en-Provence;3300;AG-1234;2026-03-05;pare_brise
10000000000000000000000002;AB-123-CD;2026-03-06 10:05;Rue d'Italie, 13100 Aix-en-Provence;3300;AG-1234;2026-03-06;pare_brise
";

impl Replicas {
    async fn import(&mut self, csv: &str) -> ImportFpsResponse {
        self.rapo
            .import_fps(with_bearer(
                tonic::Request::new(ImportFpsRequest { csv: csv.into() }),
                Some(&self.police),
            ))
            .await
            .unwrap()
            .into_inner()
    }

    async fn file(&mut self, request: FileDisputeRequest) -> Result<Dispute, tonic::Status> {
        self.rapo
            .file_dispute(tonic::Request::new(request))
            .await
            .map(|r| r.into_inner().dispute.unwrap())
    }

    async fn get(&mut self, tracking: &str) -> Dispute {
        self.rapo
            .get_dispute(tonic::Request::new(GetDisputeRequest {
                tracking_number: tracking.into(),
            }))
            .await
            .unwrap()
            .into_inner()
    }

    async fn outbox(&self, routing_key: &str, subject: &str) -> i64 {
        sqlx::query_scalar(
            "SELECT count(*) FROM kit.outbox WHERE routing_key = $1 AND subject = $2",
        )
        .bind(routing_key)
        .bind(subject)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }
}

#[tokio::test]
async fn an_undecided_dispute_is_rejected_implicitly_once_the_month_has_passed_and_not_before() {
    let mut service = start("rapo_implicit", 2).await;
    assert_eq!(service.import(CSV).await.imported, 2);
    let filed = service.file(dispute(NOTICE)).await.unwrap();
    let tracking = filed.tracking_number.clone();
    // Received 10 March: the city answers by 10 April, the month is over at midnight.
    assert_eq!(filed.answer_by, "2026-04-10");
    assert_eq!(filed.days_left, 31);

    // The last day: nothing yet, whichever replica ticks, however often.
    service
        .clock
        .advance(Duration::days(31) + Duration::hours(12));
    let ticks = futures_like_join(&service.pool, &service.clock).await;
    assert_eq!(ticks, 0, "rejected a day early");
    let before = service.get(&tracking).await;
    assert_eq!(before.status(), Status::Submitted);
    assert_eq!(before.days_left, 0);
    assert!(before.decision.is_none() && before.next_step.is_none());

    // Midnight in Paris (summer time: 22:00 UTC): the month has passed.
    let due: DateTime<Utc> = "2026-04-10T22:00:00Z".parse().unwrap();
    service.clock.advance(due - service.clock.now());
    let recorded = futures_like_join(&service.pool, &service.clock).await;
    assert!(recorded <= 1, "recorded {recorded} times");
    let after = testing::eventually(|| {
        let mut rapo = service.rapo.clone();
        let tracking = tracking.clone();
        async move {
            let d = rapo
                .get_dispute(tonic::Request::new(GetDisputeRequest {
                    tracking_number: tracking,
                }))
                .await
                .unwrap()
                .into_inner();
            (d.status() == Status::Rejected).then_some(d)
        }
    })
    .await
    .expect("no implicit rejection");
    assert_eq!(after.sub_status, "rejet_implicite");
    let decision = after.decision.clone().unwrap();
    assert_eq!(decision.kind(), DecisionKind::ImplicitRejection);
    assert_eq!(decision.decided_at.unwrap().seconds, due.timestamp());
    assert!(after.overdue);
    // Born on 11 April: the tribunal may be seized until 11 May.
    let next = after.next_step.clone().unwrap();
    assert_eq!(next.deadline, "2026-05-11");
    assert!(next.text.contains("tribunal du stationnement payant"));

    // Let both replicas' schedulers tick many more times, then count.
    for _ in 0..5 {
        assert_eq!(futures_like_join(&service.pool, &service.clock).await, 0);
    }
    let demand = service
        .demands
        .get_demand(tonic::Request::new(GetDemandRequest {
            tracking_number: tracking.clone(),
            ..GetDemandRequest::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let rejections: Vec<_> = demand
        .timeline
        .iter()
        .filter(|t| t.status() == Status::Rejected)
        .collect();
    assert_eq!(rejections.len(), 1, "{:?}", demand.timeline);
    assert_eq!(rejections[0].sub_status, "rejet_implicite");
    assert_eq!(service.outbox("rapo.dispute.decided", &tracking).await, 1);
    // The filing, then one status change: the rejection.
    assert_eq!(service.outbox("rapo.demand.filed", &tracking).await, 1);
    assert_eq!(
        service
            .outbox("rapo.demand.status_changed", &tracking)
            .await,
        1
    );

    // The letter says it in French, with the date to go to court.
    let letter = service
        .rapo
        .get_letter(tonic::Request::new(GetLetterRequest {
            tracking_number: tracking.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(
        letter.text.contains("décision implicite de rejet"),
        "{}",
        letter.text
    );
    assert!(letter.text.contains("11 mai 2026"), "{}", letter.text);

    // Too late for an explicit decision now.
    let late = service
        .rapo
        .decide_dispute(with_bearer(
            tonic::Request::new(DecideDisputeRequest {
                tracking_number: tracking.clone(),
                kind: DecisionKind::FullCancellation as i32,
                ..Default::default()
            }),
            Some(&service.police),
        ))
        .await
        .unwrap_err();
    assert_eq!(late.code(), Code::FailedPrecondition);

    // Agents see it among the overdue ones.
    let overdue = service
        .rapo
        .list_disputes(with_bearer(
            tonic::Request::new(ListDisputesRequest {
                overdue: true,
                ..ListDisputesRequest::default()
            }),
            Some(&service.police),
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        overdue
            .disputes
            .iter()
            .any(|d| d.tracking_number == tracking)
    );
}

/// Four scheduler passes at once, as replicas would run them, on top of the two
/// replicas' own schedulers: answers how many implicit rejections they recorded.
async fn futures_like_join(pool: &PgPool, clock: &Clock) -> u32 {
    let runs = (0..4).map(|_| {
        let (pool, clock) = (pool.clone(), clock.clone());
        tokio::spawn(async move { guichet_rapo::scheduler::run_once(&pool, &clock).await })
    });
    let mut total = 0;
    for run in runs.collect::<Vec<_>>() {
        total += run.await.unwrap().unwrap();
    }
    total
}

#[tokio::test]
async fn a_partial_cancellation_issues_a_rectified_notice_and_decides_once() {
    let mut service = start("rapo_partial", 1).await;
    service.import(CSV).await;
    let filed = service
        .file(dispute("10000000000000000000000002"))
        .await
        .unwrap();
    let tracking = filed.tracking_number;
    let client = service.rapo.clone();
    let decide = |kind: DecisionKind, amount: i64, token: Option<String>| {
        let mut rapo = client.clone();
        let tracking = tracking.clone();
        async move {
            rapo.decide_dispute(with_bearer(
                tonic::Request::new(DecideDisputeRequest {
                    tracking_number: tracking,
                    kind: kind as i32,
                    reasons: "Ticket de 1 h payé : seule la durée dépassée reste due.".into(),
                    rectified_amount_cents: amount,
                }),
                token.as_deref(),
            ))
            .await
        }
    };
    let resident = service.issuer.resident("someone");
    assert_eq!(
        decide(DecisionKind::Rejection, 0, Some(resident))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    let too_much = decide(
        DecisionKind::PartialCancellation,
        3300,
        Some(service.police.clone()),
    )
    .await
    .unwrap_err();
    assert_eq!(too_much.code(), Code::InvalidArgument);
    let decided = decide(
        DecisionKind::PartialCancellation,
        1700,
        Some(service.police.clone()),
    )
    .await
    .unwrap()
    .into_inner();
    assert_eq!(decided.status(), Status::Resolved);
    let decision = decided.decision.unwrap();
    assert_eq!(decision.code, "annulation_partielle");
    assert_eq!(decision.rectified_amount_cents, 1700);
    assert_eq!(decision.rectified_notice_number.len(), 26);
    // The rectified notice is in the registry, and cannot itself be disputed by RAPO.
    let rectifies: Option<String> =
        sqlx::query_scalar("SELECT rectifies FROM fps WHERE notice_number = $1")
            .bind(&decision.rectified_notice_number)
            .fetch_one(&service.pool)
            .await
            .unwrap();
    assert_eq!(rectifies.as_deref(), Some("10000000000000000000000002"));
    let refused = service
        .file(dispute(&decision.rectified_notice_number))
        .await
        .unwrap_err();
    let why = grpc::violations(&refused);
    assert!(
        why.iter()
            .any(|v| v.description.contains("avis rectificatif")),
        "{why:?}"
    );
    // Decided once.
    let again = decide(DecisionKind::Rejection, 0, Some(service.police.clone()))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(service.outbox("rapo.dispute.decided", &tracking).await, 1);
    // The scheduler leaves decided disputes alone, whenever it runs.
    service.clock.advance(Duration::days(60));
    assert_eq!(futures_like_join(&service.pool, &service.clock).await, 0);
    assert_eq!(
        service.get(&tracking).await.sub_status,
        "annulation_partielle"
    );
}

#[tokio::test]
async fn only_police_agents_import_and_importing_twice_changes_nothing() {
    let mut service = start("rapo_import", 1).await;
    let first = service.import(CSV).await;
    assert_eq!((first.imported, first.unchanged), (2, 0));
    let second = service.import(CSV).await;
    assert_eq!((second.imported, second.unchanged), (0, 2));
    assert!(second.rejected.is_empty());
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM fps")
        .fetch_one(&service.pool)
        .await
        .unwrap();
    assert_eq!(count, 2);
    let roads = service.issuer.agent("Karim", &["VOIRIE"], &[], "web");
    let refused = service
        .rapo
        .import_fps(with_bearer(
            tonic::Request::new(ImportFpsRequest { csv: CSV.into() }),
            Some(&roads),
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
}
