//! The complaints service over gRPC, against real PostgreSQL and RabbitMQ.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::{DateTime, Utc};
use guichet_complaints::{Application, Settings};
use guichet_kit::{
    Clock, TrackingNumber,
    auth::with_bearer,
    grpc,
    testing::{self, TokenIssuer},
};
use guichet_proto::{
    complaints::v1::{
        Contact, FileComplaintRequest, ListCategoriesRequest, Location,
        complaints_client::ComplaintsClient,
    },
    demand::v1::{
        Author, AuthorRole, ChangeStatusRequest, Channel, Demand, GetDemandRequest,
        ListDemandsRequest, PostMessageRequest, Status, demands_client::DemandsClient,
    },
};
use sqlx::PgPool;
use tokio_util::sync::{CancellationToken, DropGuard};
use tonic::{Code, Request};

struct Service {
    issuer: TokenIssuer,
    complaints: ComplaintsClient<grpc::TracedChannel>,
    demands: DemandsClient<grpc::TracedChannel>,
    pool: PgPool,
    clock: Clock,
    /// Stops the service when the test ends.
    _stop: DropGuard,
}

async fn start(hint: &str) -> Service {
    testing::init_logs();
    let issuer = TokenIssuer::start().await.unwrap();
    let settings = Settings::from(testing::service_settings(hint, &issuer.url).await.unwrap());
    let start: DateTime<Utc> = "2026-11-02T09:00:00Z".parse().unwrap();
    let clock = Clock::manual(start);
    let app = Application::build(settings, clock.clone()).await.unwrap();
    let channel = grpc::connect_lazy(&format!("http://127.0.0.1:{}", app.port())).unwrap();
    let pool = app.pool().clone();
    let stop = CancellationToken::new();
    tokio::spawn(app.run(stop.clone().cancelled_owned()));
    Service {
        issuer,
        complaints: ComplaintsClient::new(channel.clone()),
        demands: DemandsClient::new(channel),
        pool,
        clock,
        _stop: stop.drop_guard(),
    }
}

fn pothole() -> FileComplaintRequest {
    FileComplaintRequest {
        category: "NID_DE_POULE".into(),
        description: "Un trou profond devant la fontaine de la Rotonde".into(),
        location: Some(Location {
            latitude: Some(43.5262),
            longitude: Some(5.4453),
            address: "Place du Général de Gaulle".into(),
        }),
        contact: Some(Contact {
            email: "jeanne.martin@example.fr".into(),
            ..Default::default()
        }),
        channel: Channel::Phone as i32,
        ..Default::default()
    }
}

impl Service {
    async fn file(&mut self, request: FileComplaintRequest) -> Result<Demand, tonic::Status> {
        self.file_as(None, request).await
    }

    async fn file_as(
        &mut self,
        token: Option<&str>,
        request: FileComplaintRequest,
    ) -> Result<Demand, tonic::Status> {
        self.complaints
            .file_complaint(with_bearer(tonic::Request::new(request), token))
            .await
            .map(|r| r.into_inner().demand.unwrap())
    }

    async fn get(&mut self, tracking_number: &str) -> Result<Demand, tonic::Status> {
        self.get_as(None, tracking_number).await
    }

    async fn get_as(
        &mut self,
        token: Option<&str>,
        tracking_number: &str,
    ) -> Result<Demand, tonic::Status> {
        let request = GetDemandRequest {
            tracking_number: tracking_number.into(),
            ..GetDemandRequest::default()
        };
        self.demands
            .get_demand(with_bearer(tonic::Request::new(request), token))
            .await
            .map(tonic::Response::into_inner)
    }

    fn roads_agent(&self) -> String {
        self.issuer.agent("Karim, voirie", &["VOIRIE"], &[], "web")
    }

    fn police_agent(&self) -> String {
        self.issuer
            .agent("Inès, police municipale", &["POLICE_MUN"], &["rapo"], "web")
    }

    async fn count(&self, sql: &'static str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }

    async fn outbox_kinds(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT routing_key FROM kit.outbox ORDER BY seq")
            .fetch_all(&self.pool)
            .await
            .unwrap()
    }
}

#[tokio::test]
async fn the_catalogue_routes_each_category_to_a_department() {
    let mut service = start("catalogue").await;
    let categories = service
        .complaints
        .list_categories(ListCategoriesRequest::default())
        .await
        .unwrap()
        .into_inner()
        .categories;
    assert_eq!(categories.len(), 32);
    let pothole = categories
        .iter()
        .find(|c| c.code == "NID_DE_POULE")
        .unwrap();
    assert_eq!(pothole.label, "Nid-de-poule / chaussée dégradée");
    assert_eq!(pothole.department, "VOIRIE");
    let parking = categories
        .iter()
        .find(|c| c.code == "STATIONNEMENT_GENANT")
        .unwrap();
    assert_eq!(parking.department, "POLICE_MUN");
}

#[tokio::test]
async fn a_filed_complaint_is_stored_with_its_event_and_due_date() {
    let mut service = start("file").await;
    let demand = service.file(pothole()).await.unwrap();

    let number = TrackingNumber::parse(&demand.tracking_number).unwrap();
    assert_eq!(number.owner(), guichet_kit::Owner::Complaints);
    assert_eq!(demand.status(), Status::Submitted);
    assert_eq!(demand.department, "VOIRIE");
    assert_eq!(
        demand.channel(),
        Channel::Web,
        "without a token, the web portal"
    );
    assert_eq!(
        demand.title,
        "Nid-de-poule / chaussée dégradée — Place du Général de Gaulle"
    );
    let created = grpc::datetime(demand.created_at.as_ref().unwrap()).unwrap();
    let due = grpc::datetime(demand.due_at.as_ref().unwrap()).unwrap();
    assert_eq!(created, service.clock.now());
    assert_eq!(
        due - created,
        chrono::Duration::days(10),
        "pothole target is 10 days"
    );
    assert_eq!(demand.timeline.len(), 1);

    // Read back by the number as a person would type it.
    let typed = number.compact().to_lowercase();
    assert_eq!(
        service.get(&typed).await.unwrap().tracking_number,
        demand.tracking_number
    );
    assert_eq!(service.outbox_kinds().await, ["complaints.complaint.filed"]);
}

#[tokio::test]
async fn invalid_complaints_are_refused_field_by_field_and_change_nothing() {
    let mut service = start("invalid").await;
    let mut request = pothole();
    request.category = "VOLCAN".into();
    request.description = " ".into();
    request.location = Some(Location {
        latitude: Some(123.0),
        longitude: Some(5.0),
        address: String::new(),
    });
    let status = service.file(request).await.unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    let fields: Vec<String> = grpc::violations(&status)
        .into_iter()
        .map(|v| v.field)
        .collect();
    assert_eq!(fields, ["category", "description", "location.latitude"]);
    assert!(
        grpc::violations(&status)
            .iter()
            .all(|v| !v.description.is_empty())
    );

    assert_eq!(service.count("SELECT count(*) FROM complaints").await, 0);
    assert_eq!(service.count("SELECT count(*) FROM kit.outbox").await, 0);
}

#[tokio::test]
async fn the_same_idempotency_key_files_once() {
    let mut service = start("idempotent").await;
    let mut request = pothole();
    request.idempotency_key = "app-retry-7f3c".into();
    let first = service.file(request.clone()).await.unwrap();
    let again = service.file(request).await.unwrap();
    assert_eq!(first.tracking_number, again.tracking_number);
    assert_eq!(service.count("SELECT count(*) FROM complaints").await, 1);
    assert_eq!(service.outbox_kinds().await.len(), 1);
}

#[tokio::test]
async fn agents_change_status_and_message_with_a_timeline_and_events() {
    let mut service = start("handle").await;
    let demand = service.file(pothole()).await.unwrap();
    let number = demand.tracking_number.clone();
    let roads = service.roads_agent();
    let change = |status: Status, reason: &str| ChangeStatusRequest {
        tracking_number: number.clone(),
        // What the caller claims here is ignored: the token says who acts, and where.
        author: Some(Author {
            role: AuthorRole::Resident as i32,
            name: "Usurpateur".into(),
            id: "x".into(),
        }),
        channel: Channel::Kiosk as i32,
        status: status as i32,
        sub_status: "planned".into(),
        reason: reason.into(),
    };

    let refused = service
        .demands
        .change_status(with_bearer(
            Request::new(change(Status::Rejected, " ")),
            Some(&roads),
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(grpc::violations(&refused)[0].field, "reason");

    service.clock.advance(chrono::Duration::hours(2));
    let demand = service
        .demands
        .change_status(with_bearer(
            Request::new(change(Status::InProgress, "Intervention prévue jeudi")),
            Some(&roads),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(demand.status(), Status::InProgress);
    assert_eq!(demand.sub_status, "planned");
    let entry = demand.timeline.last().unwrap();
    assert_eq!(entry.author.as_ref().unwrap().name, "Karim, voirie");
    assert_eq!(entry.author.as_ref().unwrap().role(), AuthorRole::Agent);
    assert_eq!(entry.channel(), Channel::Web);

    let message = PostMessageRequest {
        tracking_number: number.clone(),
        author: None,
        channel: Channel::Web as i32,
        text: "Merci, une équipe passera jeudi matin.".into(),
    };
    let demand = service
        .demands
        .post_message(with_bearer(Request::new(message), Some(&roads)))
        .await
        .unwrap()
        .into_inner();
    let texts: Vec<&str> = demand.timeline.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(
        texts,
        [
            "",
            "Intervention prévue jeudi",
            "Merci, une équipe passera jeudi matin."
        ]
    );
    assert_eq!(
        service.outbox_kinds().await,
        [
            "complaints.complaint.filed",
            "complaints.demand.status_changed",
            "complaints.audit.recorded",
            "complaints.demand.message_posted",
            // An agent's message is in the audit log too.
            "complaints.audit.recorded"
        ]
    );

    let listed = service
        .demands
        .list_demands(with_bearer(
            Request::new(ListDemandsRequest {
                department: "VOIRIE".into(),
                ..Default::default()
            }),
            Some(&roads),
        ))
        .await
        .unwrap()
        .into_inner()
        .demands;
    assert_eq!(listed.len(), 1);
    let elsewhere = service
        .demands
        .list_demands(with_bearer(
            Request::new(ListDemandsRequest {
                department: "POLICE_MUN".into(),
                ..Default::default()
            }),
            Some(&roads),
        ))
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), Code::InvalidArgument);
}

#[tokio::test]
async fn only_agents_handling_a_complaint_change_it() {
    let mut service = start("rights").await;
    let number = service.file(pothole()).await.unwrap().tracking_number;
    let change = || ChangeStatusRequest {
        tracking_number: number.clone(),
        status: Status::Resolved as i32,
        ..Default::default()
    };
    let police = service.police_agent();
    let resident = service.issuer.resident("resident-a");
    let kiosk = service.issuer.device("kiosk");
    for (token, code) in [
        (None, Code::Unauthenticated),
        (Some(police.as_str()), Code::PermissionDenied),
        (Some(resident.as_str()), Code::NotFound),
        (Some(kiosk.as_str()), Code::NotFound),
    ] {
        let refused = service
            .demands
            .change_status(with_bearer(Request::new(change()), token))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), code);
    }
    assert_eq!(
        service
            .get_as(Some(&police), &number)
            .await
            .unwrap_err()
            .code(),
        Code::PermissionDenied
    );
    assert_eq!(
        service.get(&number).await.unwrap().status(),
        Status::Submitted
    );
    assert_eq!(service.outbox_kinds().await, ["complaints.complaint.filed"]);
}

#[tokio::test]
async fn a_residents_own_complaint_is_theirs_alone_and_agents_reads_are_audited() {
    let mut service = start("owner").await;
    let alice = service.issuer.resident("alice");
    let bob = service.issuer.resident("bob");
    let number = service
        .file_as(Some(&alice), pothole())
        .await
        .unwrap()
        .tracking_number;

    assert!(service.get_as(Some(&alice), &number).await.is_ok());
    assert_eq!(
        service
            .get_as(Some(&bob), &number)
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );
    assert_eq!(
        service.get(&number).await.unwrap_err().code(),
        Code::NotFound
    );
    let message = PostMessageRequest {
        tracking_number: number.clone(),
        text: "C'est moi qui l'ai signalé !".into(),
        ..Default::default()
    };
    let refused = service
        .demands
        .post_message(with_bearer(Request::new(message), Some(&bob)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    let bobs = service
        .demands
        .list_demands(with_bearer(
            Request::new(ListDemandsRequest::default()),
            Some(&bob),
        ))
        .await
        .unwrap()
        .into_inner()
        .demands;
    assert!(bobs.is_empty());
    let alices = service
        .demands
        .list_demands(with_bearer(
            Request::new(ListDemandsRequest::default()),
            Some(&alice),
        ))
        .await
        .unwrap()
        .into_inner()
        .demands;
    assert_eq!(alices.len(), 1);

    let roads = service.roads_agent();
    assert!(service.get_as(Some(&roads), &number).await.is_ok());
    assert_eq!(
        service.outbox_kinds().await,
        ["complaints.complaint.filed", "complaints.audit.recorded"]
    );
}

#[tokio::test]
async fn the_channel_comes_from_the_token_not_the_request() {
    let mut service = start("channel").await;
    let kiosk = service.issuer.device("kiosk");
    let mut request = pothole();
    request.channel = Channel::Counter as i32;
    let demand = service
        .file_as(Some(&kiosk), request.clone())
        .await
        .unwrap();
    assert_eq!(demand.channel(), Channel::Kiosk);
    let anonymous = service.file(request).await.unwrap();
    assert_eq!(anonymous.channel(), Channel::Web);

    let desk = service.issuer.agent(
        "Sophie, Allô Mairie",
        &["MRU"],
        &["complaint:NID_DE_POULE"],
        "phone",
    );
    let mut on_behalf = pothole();
    on_behalf.resident_id = "resident-c".into();
    let demand = service.file_as(Some(&desk), on_behalf).await.unwrap();
    assert_eq!(demand.channel(), Channel::Phone);
    let author = demand.timeline[0].author.as_ref().unwrap();
    assert_eq!(author.role(), AuthorRole::Agent);
    assert_eq!(author.name, "Sophie, Allô Mairie");
    // The resident it was filed for owns it.
    let owner = service.issuer.resident("resident-c");
    assert!(
        service
            .get_as(Some(&owner), &demand.tracking_number)
            .await
            .is_ok()
    );
}

#[tokio::test]
async fn an_unknown_or_mistyped_number_is_told_apart_from_nothing_else() {
    let mut service = start("unknown").await;
    let unknown = TrackingNumber::generate(guichet_kit::Owner::Complaints).to_string();
    assert_eq!(
        service.get(&unknown).await.unwrap_err().code(),
        Code::NotFound
    );
    assert_eq!(
        service.get("C123").await.unwrap_err().code(),
        Code::InvalidArgument
    );
}
