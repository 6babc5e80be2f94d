//! The identity routes' HTTP edge, driven in-process with `oneshot`: who may enter the
//! agent and admin areas, what a malformed `Authorization` header gets, what reaches
//! the identity service (token, address, device token), and the OpenAPI document.
//!
//! No real service runs. Where an answer needs the identity service, a stand-in serves
//! the few RPCs involved and signs tokens with a test key it publishes as its JWKS.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use axum::{
    Router,
    body::Body,
    extract::connect_info::MockConnectInfo,
    http::{Method, Request, StatusCode, header},
    response::Response,
};
use base64::Engine as _;
use ed25519_dalek::{SigningKey, pkcs8::EncodePrivateKey as _};
use guichet_gateway::{ServiceUrls, Settings};
use guichet_kit::{
    auth::{AUDIENCE, ISSUER, Role},
    config::ServerConfig,
    grpc,
};
use guichet_proto::identity::v1::{
    self as pb,
    accounts_server::{Accounts, AccountsServer},
    keys_server::{Keys, KeysServer},
    staff_server::{Staff, StaffServer},
};
use serde_json::{Value, json};
use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt as _};
use tower::ServiceExt as _;

/// No gRPC server listens on the discard port.
const NOWHERE: &str = "http://127.0.0.1:9";
const PEER: ([u8; 4], u16) = ([203, 0, 113, 7], 40_000);
const KEY_ID: &str = "test-key";

// ------------------------------------------------------------------ harness

fn settings(identity: &str) -> Settings {
    Settings {
        services: ServiceUrls {
            identity: identity.to_owned(),
            teleservices: NOWHERE.to_owned(),
            complaints: NOWHERE.to_owned(),
            rapo: NOWHERE.to_owned(),
            notifications: NOWHERE.to_owned(),
        },
        ..Settings::default()
    }
}

fn gateway(identity: &str) -> Router {
    guichet_gateway::router(&settings(identity))
        .unwrap()
        .layer(MockConnectInfo(SocketAddr::from(PEER)))
}

async fn send(
    app: &Router,
    method: Method,
    path: &str,
    authorization: Option<&str>,
    body: Option<Value>,
) -> Response {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(value) = authorization {
        request = request.header(header::AUTHORIZATION, value);
    }
    let request = match body {
        Some(body) => request
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string())),
        None => request.body(Body::empty()),
    }
    .unwrap();
    app.clone().oneshot(request).await.unwrap()
}

async fn json_body(response: Response) -> Value {
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

/// Asserts a problem document with `status` and `code`.
async fn assert_problem(response: Response, status: StatusCode, code: &str, what: &str) -> Value {
    assert_eq!(response.status(), status, "{what}");
    assert_eq!(
        response.headers()[header::CONTENT_TYPE],
        "application/problem+json",
        "{what}"
    );
    let problem = json_body(response).await;
    assert_eq!(problem["code"], code, "{what}: {problem}");
    problem
}

fn openapi() -> Value {
    serde_json::to_value(guichet_gateway::openapi()).unwrap()
}

/// Every (method, path) of the document, with `{params}` filled in.
fn operations(doc: &Value) -> Vec<(Method, String)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete = path
            .split('/')
            .map(|part| if part.starts_with('{') { "X1" } else { part })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().unwrap().keys() {
            let method = Method::from_bytes(method.to_ascii_uppercase().as_bytes()).unwrap();
            all.push((method, concrete.clone()));
        }
    }
    all
}

fn staff_area(path: &str) -> bool {
    (path.starts_with("/api/v1/agent/") || path.starts_with("/api/v1/admin/"))
        && path != "/api/v1/agent/login"
}

// ------------------------------------------------------------------ a stand-in identity service

/// What the stand-in saw of one call.
#[derive(Debug, Clone)]
struct Seen {
    rpc: &'static str,
    authorization: Option<String>,
    client: Option<pb::Client>,
}

#[derive(Clone)]
struct FakeIdentity {
    jwks: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    agents: Arc<Mutex<Vec<pb::Agent>>>,
}

impl FakeIdentity {
    fn record<T>(
        &self,
        rpc: &'static str,
        request: &tonic::Request<T>,
        client: Option<pb::Client>,
    ) {
        let authorization = request
            .metadata()
            .get("authorization")
            .map(|v| v.to_str().unwrap().to_owned());
        self.seen.lock().unwrap().push(Seen {
            rpc,
            authorization,
            client,
        });
    }

    fn seen(&self, rpc: &str) -> Seen {
        self.seen
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|s| s.rpc == rpc)
            .cloned()
            .unwrap_or_else(|| panic!("no {rpc} call"))
    }
}

fn tokens(access: &str) -> pb::TokenPair {
    pb::TokenPair {
        access_token: access.to_owned(),
        refresh_token: "refresh".to_owned(),
        expires_in: 900,
        token_type: "Bearer".to_owned(),
    }
}

#[tonic::async_trait]
impl Keys for FakeIdentity {
    async fn get_jwks(
        &self,
        _: tonic::Request<pb::GetJwksRequest>,
    ) -> Result<tonic::Response<pb::Jwks>, Status> {
        Ok(tonic::Response::new(pb::Jwks {
            json: self.jwks.clone(),
        }))
    }
}

#[tonic::async_trait]
impl Accounts for FakeIdentity {
    async fn list_sessions(
        &self,
        _: tonic::Request<pb::ListSessionsRequest>,
    ) -> Result<tonic::Response<pb::ListSessionsResponse>, Status> {
        Err(Status::unimplemented(""))
    }

    async fn end_session(
        &self,
        _: tonic::Request<pb::EndSessionRequest>,
    ) -> Result<tonic::Response<pb::EndSessionResponse>, Status> {
        Err(Status::unimplemented(""))
    }

    async fn sign_up(
        &self,
        _: tonic::Request<pb::SignUpRequest>,
    ) -> Result<tonic::Response<pb::SignUpResponse>, Status> {
        Err(Status::already_exists(
            "Un compte existe déjà avec cette adresse.",
        ))
    }
    async fn verify_email(
        &self,
        _: tonic::Request<pb::VerifyEmailRequest>,
    ) -> Result<tonic::Response<pb::VerifyEmailResponse>, Status> {
        Err(Status::not_found("unknown token"))
    }
    async fn login(
        &self,
        request: tonic::Request<pb::LoginRequest>,
    ) -> Result<tonic::Response<pb::TokenPair>, Status> {
        self.record("Login", &request, request.get_ref().client.clone());
        match request.get_ref().password.as_str() {
            "wrong" => Err(Status::unauthenticated(
                "Adresse électronique ou mot de passe incorrect.",
            )),
            "again" => Err(Status::with_error_details(
                Code::ResourceExhausted,
                "Trop de tentatives : réessayez dans quelques instants.",
                ErrorDetails::with_retry_info(Some(Duration::from_millis(41_500))),
            )),
            _ => Ok(tonic::Response::new(tokens("access"))),
        }
    }
    async fn refresh(
        &self,
        _: tonic::Request<pb::RefreshRequest>,
    ) -> Result<tonic::Response<pb::TokenPair>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn logout(
        &self,
        _: tonic::Request<pb::LogoutRequest>,
    ) -> Result<tonic::Response<pb::LogoutResponse>, Status> {
        Err(Status::not_found("already ended"))
    }
    async fn request_password_reset(
        &self,
        _: tonic::Request<pb::RequestPasswordResetRequest>,
    ) -> Result<tonic::Response<pb::RequestPasswordResetResponse>, Status> {
        Err(Status::not_found("no such account"))
    }
    async fn reset_password(
        &self,
        _: tonic::Request<pb::ResetPasswordRequest>,
    ) -> Result<tonic::Response<pb::ResetPasswordResponse>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn get_profile(
        &self,
        request: tonic::Request<pb::GetProfileRequest>,
    ) -> Result<tonic::Response<pb::Profile>, Status> {
        self.record("GetProfile", &request, None);
        Ok(tonic::Response::new(pb::Profile {
            account_id: "acc-1".to_owned(),
            email: "camille@example.org".to_owned(),
            email_verified: true,
            franceconnect_linked: true,
            attributes: vec![pb::Attribute {
                name: "family_name".to_owned(),
                value: "Martin".to_owned(),
                level: pb::Level::Franceconnect as i32,
                updated_at: None,
                read_only: true,
            }],
            businesses: vec![],
        }))
    }
    async fn update_profile(
        &self,
        _: tonic::Request<pb::UpdateProfileRequest>,
    ) -> Result<tonic::Response<pb::Profile>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn add_business(
        &self,
        _: tonic::Request<pb::AddBusinessRequest>,
    ) -> Result<tonic::Response<pb::Profile>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn erase_account(
        &self,
        _: tonic::Request<pb::EraseAccountRequest>,
    ) -> Result<tonic::Response<pb::EraseAccountResponse>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn certify_attribute(
        &self,
        _: tonic::Request<pb::CertifyAttributeRequest>,
    ) -> Result<tonic::Response<pb::Profile>, Status> {
        Err(Status::unimplemented(""))
    }
}

#[tonic::async_trait]
impl Staff for FakeIdentity {
    async fn agent_login(
        &self,
        _: tonic::Request<pb::AgentLoginRequest>,
    ) -> Result<tonic::Response<pb::TokenPair>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn get_tabs(
        &self,
        request: tonic::Request<pb::GetTabsRequest>,
    ) -> Result<tonic::Response<pb::Tabs>, Status> {
        self.record("GetTabs", &request, None);
        Ok(tonic::Response::new(pb::Tabs {
            tabs: vec![pb::Tab {
                code: "complaint:NID_DE_POULE".to_owned(),
                label: "Nids-de-poule".to_owned(),
                department: "VOIRIE".to_owned(),
                hidden: false,
                position: 0,
            }],
        }))
    }
    async fn set_tab_preferences(
        &self,
        _: tonic::Request<pb::SetTabPreferencesRequest>,
    ) -> Result<tonic::Response<pb::Tabs>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn upsert_department(
        &self,
        _: tonic::Request<pb::UpsertDepartmentRequest>,
    ) -> Result<tonic::Response<pb::Department>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn list_departments(
        &self,
        _: tonic::Request<pb::ListDepartmentsRequest>,
    ) -> Result<tonic::Response<pb::ListDepartmentsResponse>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn create_agent(
        &self,
        _: tonic::Request<pb::CreateAgentRequest>,
    ) -> Result<tonic::Response<pb::Agent>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn update_agent(
        &self,
        request: tonic::Request<pb::UpdateAgentRequest>,
    ) -> Result<tonic::Response<pb::Agent>, Status> {
        self.record("UpdateAgent", &request, None);
        let update = request.into_inner();
        let mut agents = self.agents.lock().unwrap();
        let agent = agents
            .iter_mut()
            .find(|a| a.id == update.id)
            .ok_or_else(|| Status::not_found("no such agent"))?;
        agent.departments = update.departments;
        agent.roles = update.roles;
        agent.active = update.active;
        Ok(tonic::Response::new(agent.clone()))
    }
    async fn list_agents(
        &self,
        request: tonic::Request<pb::ListAgentsRequest>,
    ) -> Result<tonic::Response<pb::ListAgentsResponse>, Status> {
        self.record("ListAgents", &request, None);
        Ok(tonic::Response::new(pb::ListAgentsResponse {
            agents: self.agents.lock().unwrap().clone(),
        }))
    }
    async fn upsert_theme(
        &self,
        _: tonic::Request<pb::UpsertThemeRequest>,
    ) -> Result<tonic::Response<pb::Theme>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn list_themes(
        &self,
        _: tonic::Request<pb::ListThemesRequest>,
    ) -> Result<tonic::Response<pb::ListThemesResponse>, Status> {
        Err(Status::unimplemented(""))
    }
    async fn find_residents(
        &self,
        _: tonic::Request<pb::FindResidentsRequest>,
    ) -> Result<tonic::Response<pb::FindResidentsResponse>, Status> {
        Err(Status::unimplemented(""))
    }
}

/// Signs tokens the way the identity service does, with a key the stand-in publishes.
struct Signer(jsonwebtoken::EncodingKey);

impl Signer {
    fn token(&self, role: Role, roles: &[&str]) -> String {
        let now = chrono::Utc::now().timestamp();
        // As JSON rather than kit's `Claims`, so the test follows only the wire format.
        let claims = json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": "someone",
            "exp": now + 300, "iat": now, "jti": format!("{now}-{role:?}"),
            "role": role, "roles": roles, "departments": ["VOIRIE"],
            "channel": "web", "name": "Dominique Agent",
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::EdDSA);
        header.kid = Some(KEY_ID.to_owned());
        jsonwebtoken::encode(&header, &claims, &self.0).unwrap()
    }
}

/// Starts the stand-in on a free port; answers its URL, a signer and the stand-in.
async fn identity() -> (String, Signer, FakeIdentity) {
    let key = SigningKey::from_bytes(&[7; 32]);
    let public =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key.verifying_key().to_bytes());
    let jwks = json!({"keys": [{
        "kty": "OKP", "crv": "Ed25519", "x": public, "kid": KEY_ID, "alg": "EdDSA", "use": "sig"
    }]});
    let signer = Signer(jsonwebtoken::EncodingKey::from_ed_der(
        key.to_pkcs8_der().unwrap().as_bytes(),
    ));
    let fake = FakeIdentity {
        jwks: jwks.to_string(),
        seen: Arc::default(),
        agents: Arc::new(Mutex::new(vec![pb::Agent {
            id: "agent-7".to_owned(),
            login: "dagent".to_owned(),
            name: "Dominique Agent".to_owned(),
            departments: vec!["VOIRIE".to_owned(), "PROPRETE".to_owned()],
            roles: vec!["agent".to_owned()],
            active: true,
        }])),
    };
    let listener = grpc::bind(&ServerConfig::on_port(0)).await.unwrap();
    let url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let services = grpc::Services::default()
        .add_service(KeysServer::new(fake.clone()))
        .add_service(AccountsServer::new(fake.clone()))
        .add_service(StaffServer::new(fake.clone()));
    tokio::spawn(grpc::serve(
        listener,
        services,
        None,
        std::future::pending(),
    ));
    (url, signer, fake)
}

// ------------------------------------------------------------------ without any service

#[tokio::test]
async fn agent_and_admin_routes_refuse_a_caller_without_a_token() {
    let app = gateway(NOWHERE);
    let staff: Vec<_> = operations(&openapi())
        .into_iter()
        .filter(|(_, path)| staff_area(path))
        .collect();
    assert!(staff.len() >= 10, "{staff:?}");
    for (method, path) in staff {
        let what = format!("{method} {path}");
        let response = send(&app, method, &path, None, Some(json!({}))).await;
        assert_eq!(
            response.headers()[header::WWW_AUTHENTICATE],
            "Bearer realm=\"guichet\"",
            "{what}"
        );
        assert_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated", &what).await;
    }
}

#[tokio::test]
async fn a_malformed_authorization_header_is_refused_everywhere() {
    let app = gateway(NOWHERE);
    let routes = [
        (Method::GET, "/api/v1/agent/feed"),
        (Method::GET, "/api/v1/admin/agents"),
        (Method::POST, "/api/v1/auth/login"),
        (Method::POST, "/api/v1/agent/login"),
        (Method::POST, "/api/v1/complaints"),
        (Method::GET, "/api/v1/demands/CK7Q-M2XH-D9WP-AR"),
        (Method::GET, "/api/v1/me"),
    ];
    for (method, path) in routes {
        for value in ["Basic dXNlcjpwYXNz", "Bearer", "Bearer two words", "token"] {
            let what = format!("{method} {path} with {value:?}");
            let response = send(&app, method.clone(), path, Some(value), Some(json!({}))).await;
            assert_problem(response, StatusCode::UNAUTHORIZED, "unauthenticated", &what).await;
        }
    }
}

#[tokio::test]
async fn a_token_that_is_not_a_signed_jwt_does_not_open_the_agent_area() {
    let app = gateway(NOWHERE);
    let response = send(
        &app,
        Method::GET,
        "/api/v1/agent/tabs",
        Some("Bearer not.a.token"),
        None,
    )
    .await;
    assert_problem(
        response,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "forged",
    )
    .await;
}

#[tokio::test]
async fn the_profile_needs_a_token_before_anything_else() {
    let app = gateway(NOWHERE);
    let response = send(&app, Method::PATCH, "/api/v1/me", None, Some(json!([]))).await;
    assert_problem(
        response,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "PATCH /me",
    )
    .await;
}

#[tokio::test]
async fn the_openapi_document_lists_every_identity_route() {
    let doc = openapi();
    let listed = operations(&doc);
    let expected = [
        ("POST", "/api/v1/auth/signup"),
        ("POST", "/api/v1/auth/verify-email"),
        ("POST", "/api/v1/auth/login"),
        ("POST", "/api/v1/auth/refresh"),
        ("POST", "/api/v1/auth/logout"),
        ("POST", "/api/v1/auth/password-reset"),
        ("POST", "/api/v1/auth/password-reset/confirm"),
        ("GET", "/api/v1/me"),
        ("PATCH", "/api/v1/me"),
        ("POST", "/api/v1/me/businesses"),
        ("POST", "/api/v1/agent/login"),
        ("GET", "/api/v1/agent/tabs"),
        ("PUT", "/api/v1/agent/tabs"),
        ("GET", "/api/v1/agent/feed"),
        ("GET", "/api/v1/admin/departments"),
        ("PUT", "/api/v1/admin/departments/X1"),
        ("GET", "/api/v1/admin/agents"),
        ("POST", "/api/v1/admin/agents"),
        ("PATCH", "/api/v1/admin/agents/X1"),
        ("POST", "/api/v1/admin/devices"),
        ("GET", "/api/v1/admin/audit"),
        ("POST", "/api/v1/devices/login"),
        ("POST", "/api/v1/devices/app"),
        ("GET", "/api/v1/.well-known/jwks.json"),
    ];
    for (method, path) in expected {
        assert!(
            listed
                .iter()
                .any(|(m, p)| m.as_str() == method && p == path),
            "{method} {path} missing from {listed:?}"
        );
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(
        doc["paths"]["/api/v1/admin/agents"]["get"]["security"].is_array(),
        "the admin routes declare the bearer scheme"
    );
}

// ------------------------------------------------------------------ with a stand-in identity service

#[tokio::test]
async fn residents_and_devices_are_forbidden_in_the_agent_area() {
    let (url, signer, _) = identity().await;
    let app = gateway(&url);
    for role in [Role::Resident, Role::Device] {
        let token = format!("Bearer {}", signer.token(role, &[]));
        for (method, path) in [
            (Method::GET, "/api/v1/agent/tabs"),
            (Method::GET, "/api/v1/agent/feed"),
            (Method::GET, "/api/v1/admin/agents"),
        ] {
            let what = format!("{role:?} on {method} {path}");
            let response = send(&app, method, path, Some(&token), None).await;
            let problem = assert_problem(response, StatusCode::FORBIDDEN, "forbidden", &what).await;
            assert_eq!(problem["detail"], "Cet espace est réservé aux agents.");
        }
    }
}

#[tokio::test]
async fn only_administrators_enter_the_admin_area() {
    let (url, signer, fake) = identity().await;
    let app = gateway(&url);

    let agent = format!("Bearer {}", signer.token(Role::Agent, &["agent"]));
    let response = send(
        &app,
        Method::GET,
        "/api/v1/admin/agents",
        Some(&agent),
        None,
    )
    .await;
    assert_problem(response, StatusCode::FORBIDDEN, "forbidden", "plain agent").await;
    // …while their own area is open, and their token goes along.
    let response = send(&app, Method::GET, "/api/v1/agent/tabs", Some(&agent), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["tabs"][0]["department"], "VOIRIE");
    assert_eq!(
        fake.seen("GetTabs").authorization.as_deref(),
        Some(agent.as_str())
    );

    let admin = format!("Bearer {}", signer.token(Role::Agent, &["agent", "admin"]));
    let response = send(
        &app,
        Method::GET,
        "/api/v1/admin/agents",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(json_body(response).await["agents"][0]["login"], "dagent");
    assert_eq!(
        fake.seen("ListAgents").authorization.as_deref(),
        Some(admin.as_str())
    );
}

#[tokio::test]
async fn patching_an_agent_keeps_what_is_left_out() {
    let (url, signer, _) = identity().await;
    let app = gateway(&url);
    let admin = format!("Bearer {}", signer.token(Role::Agent, &["admin"]));

    let response = send(
        &app,
        Method::PATCH,
        "/api/v1/admin/agents/agent-7",
        Some(&admin),
        Some(json!({"active": false})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let agent = json_body(response).await;
    assert_eq!(agent["active"], false);
    assert_eq!(agent["departments"], json!(["VOIRIE", "PROPRETE"]));
    assert_eq!(agent["roles"], json!(["agent"]));

    let response = send(
        &app,
        Method::PATCH,
        "/api/v1/admin/agents/nobody",
        Some(&admin),
        Some(json!({"roles": []})),
    )
    .await;
    assert_problem(
        response,
        StatusCode::NOT_FOUND,
        "agent_not_found",
        "unknown agent",
    )
    .await;
}

#[tokio::test]
async fn a_login_passes_on_the_address_and_the_device_token() {
    let (url, signer, fake) = identity().await;
    let app = gateway(&url);
    let kiosk = signer.token(Role::Device, &[]);

    let response = send(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        Some(&format!("Bearer {kiosk}")),
        Some(json!({"email": "camille@example.org", "password": "right"})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let tokens = json_body(response).await;
    assert_eq!(tokens["access_token"], "access");
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 900);
    let seen = fake.seen("Login");
    let client = seen.client.unwrap();
    assert_eq!(client.address, "203.0.113.7");
    assert_eq!(client.device_token, kiosk);
    assert_eq!(seen.authorization, Some(format!("Bearer {kiosk}")));

    // From the web, without any token: no device, no metadata.
    send(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "camille@example.org", "password": "right"})),
    )
    .await;
    let seen = fake.seen("Login");
    assert_eq!(seen.client.unwrap().device_token, "");
    assert_eq!(seen.authorization, None);
}

#[tokio::test]
async fn failed_and_throttled_logins_are_problems() {
    let (url, _, _) = identity().await;
    let app = gateway(&url);

    let response = send(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "camille@example.org", "password": "wrong"})),
    )
    .await;
    let problem = assert_problem(
        response,
        StatusCode::UNAUTHORIZED,
        "unauthenticated",
        "wrong",
    )
    .await;
    assert_eq!(
        problem["detail"],
        "Adresse électronique ou mot de passe incorrect."
    );

    let response = send(
        &app,
        Method::POST,
        "/api/v1/auth/login",
        None,
        Some(json!({"email": "camille@example.org", "password": "again"})),
    )
    .await;
    assert_eq!(response.headers()[header::RETRY_AFTER], "42");
    assert_problem(
        response,
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_requests",
        "throttled",
    )
    .await;
}

#[tokio::test]
async fn account_answers_that_reveal_nothing_or_say_why() {
    let (url, signer, fake) = identity().await;
    let app = gateway(&url);

    // A reset for an unknown address answers like one for a known address.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/auth/password-reset",
        None,
        Some(json!({"email": "personne@example.org"})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::ACCEPTED);

    // Logging out twice is not an error.
    let response = send(
        &app,
        Method::POST,
        "/api/v1/auth/logout",
        None,
        Some(json!({"refresh_token": "gone"})),
    )
    .await;
    assert_eq!(response.status(), StatusCode::NO_CONTENT);

    let response = send(
        &app,
        Method::POST,
        "/api/v1/auth/signup",
        None,
        Some(json!({"email": "camille@example.org", "password": "long enough"})),
    )
    .await;
    let problem = assert_problem(response, StatusCode::CONFLICT, "conflict", "signup").await;
    assert_eq!(
        problem["detail"],
        "Un compte existe déjà avec cette adresse."
    );

    let response = send(
        &app,
        Method::POST,
        "/api/v1/auth/verify-email",
        None,
        Some(json!({"token": "stale"})),
    )
    .await;
    assert_problem(response, StatusCode::NOT_FOUND, "link_not_found", "verify").await;

    let resident = format!("Bearer {}", signer.token(Role::Resident, &[]));
    let response = send(&app, Method::GET, "/api/v1/me", Some(&resident), None).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CACHE_CONTROL], "no-store");
    let profile = json_body(response).await;
    assert_eq!(profile["attributes"][0]["level"], "franceconnect");
    assert_eq!(profile["attributes"][0]["read_only"], true);
    assert_eq!(fake.seen("GetProfile").authorization, Some(resident));
}

#[tokio::test]
async fn the_key_set_is_served_as_json_for_five_minutes() {
    let (url, _, _) = identity().await;
    let app = gateway(&url);
    let response = send(
        &app,
        Method::GET,
        "/api/v1/.well-known/jwks.json",
        None,
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()[header::CONTENT_TYPE], "application/json");
    assert_eq!(
        response.headers()[header::CACHE_CONTROL],
        "public, max-age=300"
    );
    assert_eq!(json_body(response).await["keys"][0]["kid"], KEY_ID);
}
