//! The complaints service over gRPC, against real PostgreSQL and RabbitMQ.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::{DateTime, Utc};
use guichet_complaints::{Application, Settings};
use guichet_kit::{Clock, TrackingNumber, config::ServerConfig, grpc, testing};
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
use tokio_util::sync::CancellationToken;
use tonic::Code;

struct Service {
    complaints: ComplaintsClient<grpc::TracedChannel>,
    demands: DemandsClient<grpc::TracedChannel>,
    pool: PgPool,
    clock: Clock,
    stop: CancellationToken,
}

impl Drop for Service {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

async fn start(hint: &str) -> Service {
    testing::init_logs();
    let settings = Settings {
        database: testing::database(hint),
        amqp: testing::vhost(hint).await.unwrap(),
        grpc: ServerConfig::on_port(0),
        ..Settings::default()
    };
    let start: DateTime<Utc> = "2026-11-02T09:00:00Z".parse().unwrap();
    let clock = Clock::manual(start);
    let app = Application::build(settings, clock.clone()).await.unwrap();
    let channel = grpc::connect_lazy(&format!("http://127.0.0.1:{}", app.port())).unwrap();
    let pool = app.pool().clone();
    let stop = CancellationToken::new();
    tokio::spawn(app.run(stop.clone().cancelled_owned()));
    Service {
        complaints: ComplaintsClient::new(channel.clone()),
        demands: DemandsClient::new(channel),
        pool,
        clock,
        stop,
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
        self.complaints
            .file_complaint(request)
            .await
            .map(|r| r.into_inner().demand.unwrap())
    }

    async fn get(&mut self, tracking_number: &str) -> Result<Demand, tonic::Status> {
        self.demands
            .get_demand(GetDemandRequest {
                tracking_number: tracking_number.into(),
            })
            .await
            .map(tonic::Response::into_inner)
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

fn agent() -> Author {
    Author {
        role: AuthorRole::Agent as i32,
        name: "Karim, voirie".into(),
        id: "agent-1".into(),
    }
}

#[tokio::test]
async fn the_catalogue_routes_each_category_to_a_department() {
    let mut service = start("catalogue").await;
    let categories = service
        .complaints
        .list_categories(ListCategoriesRequest {})
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
    assert_eq!(demand.channel(), Channel::Phone);
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

    let refused = service
        .demands
        .change_status(ChangeStatusRequest {
            tracking_number: number.clone(),
            author: Some(agent()),
            channel: Channel::Web as i32,
            status: Status::Rejected as i32,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(grpc::violations(&refused)[0].field, "reason");

    service.clock.advance(chrono::Duration::hours(2));
    let demand = service
        .demands
        .change_status(ChangeStatusRequest {
            tracking_number: number.clone(),
            author: Some(agent()),
            channel: Channel::Web as i32,
            status: Status::InProgress as i32,
            sub_status: "planned".into(),
            reason: "Intervention prévue jeudi".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(demand.status(), Status::InProgress);
    assert_eq!(demand.sub_status, "planned");

    let demand = service
        .demands
        .post_message(PostMessageRequest {
            tracking_number: number.clone(),
            author: Some(agent()),
            channel: Channel::Web as i32,
            text: "Merci, une équipe passera jeudi matin.".into(),
        })
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
        demand.timeline[2].author.as_ref().unwrap().name,
        "Karim, voirie"
    );
    assert_eq!(
        service.outbox_kinds().await,
        [
            "complaints.complaint.filed",
            "complaints.demand.status_changed",
            "complaints.demand.message_posted"
        ]
    );

    let listed = service
        .demands
        .list_demands(ListDemandsRequest {
            department: "VOIRIE".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .demands;
    assert_eq!(listed.len(), 1);
    let other = service
        .demands
        .list_demands(ListDemandsRequest {
            department: "POLICE_MUN".into(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .demands;
    assert!(other.is_empty());
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
