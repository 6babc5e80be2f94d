//! Administration: departments and their themes, agents and their access, the devices
//! of the city's channels, and the audit log. Every route takes a verified agent token
//! with the `admin` role (`Admin`); the identity service checks it again.

use axum::{
    Json,
    extract::{Path, State},
    http::{StatusCode, Uri},
};
use guichet_kit::grpc::{datetime, timestamp};
use guichet_proto::identity::v1 as pb;

use super::dto::Created;
use super::identity_dto::{
    Agent, AgentUpdate, Agents, AuditEntry, AuditLog, AuditQuery, Department, DepartmentUpdate,
    Departments, Device, DeviceCredentials, NewAgent, NewDevice, NoStore,
};
use crate::{
    auth::Admin,
    error::{ApiError, ApiJson, ApiQuery, Problem},
    page::{self, Cursor, Page},
    state::AppState,
};

/// Every department, with the themes it handles.
#[utoipa::path(
    get,
    path = "/api/v1/admin/departments",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Departments),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_departments(
    admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<Departments>, ApiError> {
    departments(
        &state,
        admin.bearer().request(pb::ListDepartmentsRequest {}),
    )
    .await
}

/// The departments as identity lists them, for administrators and agents alike.
pub(super) async fn departments(
    state: &AppState,
    request: tonic::Request<pb::ListDepartmentsRequest>,
) -> Result<Json<Departments>, ApiError> {
    let departments = state
        .staff
        .clone()
        .list_departments(request)
        .await
        .map_err(|s| ApiError::from_status(s, "department_not_found"))?
        .into_inner()
        .departments;
    Ok(Json(Departments {
        departments: departments.into_iter().map(Department::from).collect(),
    }))
}

/// Creates or renames a department and sets the themes it handles.
#[utoipa::path(
    put,
    path = "/api/v1/admin/departments/{code}",
    tag = "admin",
    params(("code" = String, Path, description = "Department code (`VOIRIE`)")),
    request_body = DepartmentUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Department),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upsert_department(
    admin: Admin,
    State(state): State<AppState>,
    Path(code): Path<String>,
    ApiJson(body): ApiJson<DepartmentUpdate>,
) -> Result<Json<Department>, ApiError> {
    let request = pb::UpsertDepartmentRequest {
        department: Some(pb::Department {
            code,
            label: body.label,
            themes: body.themes,
        }),
    };
    let department = state
        .staff
        .clone()
        .upsert_department(admin.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "department_not_found"))?
        .into_inner();
    Ok(Json(department.into()))
}

/// Every agent account.
#[utoipa::path(
    get,
    path = "/api/v1/admin/agents",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Agents),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_agents(
    admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<Agents>, ApiError> {
    let agents = all_agents(&admin, &state).await?;
    Ok(Json(Agents {
        agents: agents.into_iter().map(Agent::from).collect(),
    }))
}

/// One agent account.
#[utoipa::path(
    get,
    path = "/api/v1/admin/agents/{id}",
    tag = "admin",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Agent),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_agent(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Agent>, ApiError> {
    all_agents(&admin, &state)
        .await?
        .into_iter()
        .find(|agent| agent.id == id.trim())
        .map(|agent| Json(agent.into()))
        .ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "agent_not_found",
                "Aucun agent ne correspond à cet identifiant.",
            )
        })
}

/// Creates an agent account.
#[utoipa::path(
    post,
    path = "/api/v1/admin/agents",
    tag = "admin",
    request_body = NewAgent,
    security(("bearer" = [])),
    responses(
        (status = 201, body = Agent),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Login already taken", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn create_agent(
    admin: Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewAgent>,
) -> Result<Created<Json<Agent>>, ApiError> {
    let request = pb::CreateAgentRequest {
        login: body.login,
        password: body.password,
        name: body.name,
        departments: body.departments,
        roles: body.roles,
    };
    let agent = state
        .staff
        .clone()
        .create_agent(admin.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "agent_not_found"))?
        .into_inner();
    Ok(Created(
        format!("/api/v1/admin/agents/{}", agent.id),
        Json(agent.into()),
    ))
}

/// Changes an agent's departments, roles or whether they may sign in. A field left out
/// keeps its value.
#[utoipa::path(
    patch,
    path = "/api/v1/admin/agents/{id}",
    tag = "admin",
    params(("id" = String, Path, description = "The agent's id")),
    request_body = AgentUpdate,
    security(("bearer" = [])),
    responses(
        (status = 200, body = Agent),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn update_agent(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AgentUpdate>,
) -> Result<Json<Agent>, ApiError> {
    // `UpdateAgent` replaces all three fields, so a partial change is completed with
    // the agent's current values first.
    let request = match (body.departments, body.roles, body.active) {
        (Some(departments), Some(roles), Some(active)) => pb::UpdateAgentRequest {
            id,
            departments,
            roles,
            active,
        },
        (departments, roles, active) => {
            let current = all_agents(&admin, &state)
                .await?
                .into_iter()
                .find(|a| a.id == id)
                .ok_or_else(|| ApiError::not_found("agent_not_found"))?;
            pb::UpdateAgentRequest {
                id,
                departments: departments.unwrap_or(current.departments),
                roles: roles.unwrap_or(current.roles),
                active: active.unwrap_or(current.active),
            }
        }
    };
    let agent = state
        .staff
        .clone()
        .update_agent(admin.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "agent_not_found"))?
        .into_inner();
    Ok(Json(agent.into()))
}

async fn all_agents(admin: &Admin, state: &AppState) -> Result<Vec<pb::Agent>, ApiError> {
    Ok(state
        .staff
        .clone()
        .list_agents(admin.bearer().request(pb::ListAgentsRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "agent_not_found"))?
        .into_inner()
        .agents)
}

/// Registers a kiosk, a counter workstation or a phone desk. The answer holds the
/// device's secret, shown this once: configure the device with it, it signs in with
/// `POST /api/v1/devices/login`.
#[utoipa::path(
    post,
    path = "/api/v1/admin/devices",
    tag = "admin",
    request_body = NewDevice,
    security(("bearer" = [])),
    responses(
        (status = 201, body = DeviceCredentials, headers(("Cache-Control" = String, description = "no-store"))),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn register_device(
    admin: Admin,
    State(state): State<AppState>,
    ApiJson(body): ApiJson<NewDevice>,
) -> Result<Created<NoStore<DeviceCredentials>>, ApiError> {
    let request = pb::RegisterDeviceRequest {
        // Left out, the identity service reports the missing kind with the rest.
        kind: body
            .kind
            .map_or(pb::DeviceKind::Unspecified, pb::DeviceKind::from) as i32,
        label: body.label,
        location: body.location,
        latitude: body.latitude,
        longitude: body.longitude,
    };
    let credentials = state
        .devices
        .clone()
        .register_device(admin.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "device_not_found"))?
        .into_inner();
    Ok(Created(
        format!("/api/v1/admin/devices/{}", credentials.device_id),
        NoStore(credentials.into()),
    ))
}

/// The kiosks, counter workstations and phone desks, revoked ones included (app
/// installations are not listed: there is one per phone).
#[utoipa::path(
    get,
    path = "/api/v1/admin/devices",
    tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<Device>),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn list_devices(
    admin: Admin,
    State(state): State<AppState>,
) -> Result<Json<Vec<Device>>, ApiError> {
    let devices = state
        .devices
        .clone()
        .list_devices(admin.bearer().request(pb::ListDevicesRequest {}))
        .await
        .map_err(|s| ApiError::from_status(s, "device_not_found"))?
        .into_inner()
        .devices;
    Ok(Json(devices.into_iter().map(Device::from).collect()))
}

/// One device, app installations included.
#[utoipa::path(
    get,
    path = "/api/v1/admin/devices/{id}",
    tag = "admin",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Device),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_device(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Device>, ApiError> {
    let device = state
        .devices
        .clone()
        .get_device(
            admin
                .bearer()
                .request(pb::GetDeviceRequest { device_id: id }),
        )
        .await
        .map_err(|s| ApiError::from_status(s, "device_not_found"))?
        .into_inner();
    Ok(Json(device.into()))
}

/// Revokes a device (a stolen kiosk, a misused app installation): it can no longer
/// sign in and its sessions end; its access tokens expire within minutes. Revoking
/// again changes nothing.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/devices/{id}",
    tag = "admin",
    params(("id" = String, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Device),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
        (status = 404, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn revoke_device(
    admin: Admin,
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Device>, ApiError> {
    let device = state
        .devices
        .clone()
        .revoke_device(
            admin
                .bearer()
                .request(pb::RevokeDeviceRequest { device_id: id }),
        )
        .await
        .map_err(|s| ApiError::from_status(s, "device_not_found"))?
        .into_inner();
    Ok(Json(device.into()))
}

/// The agents' actions, newest first: who read or changed what, on which channel.
#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    tag = "admin",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = AuditLog),
        (status = 400, body = Problem, content_type = "application/problem+json"),
        (status = 401, body = Problem, content_type = "application/problem+json"),
        (status = 403, body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn audit(
    admin: Admin,
    State(state): State<AppState>,
    uri: Uri,
    ApiQuery(query): ApiQuery<AuditQuery>,
) -> Result<Page<AuditLog>, ApiError> {
    let after = Cursor::parse(&query.cursor)?;
    let size = page::size(query.limit, 100, 1000);
    let request = pb::ListAuditRequest {
        actor_id: query.actor_id,
        subject: query.subject,
        limit: size,
        before_at: after.as_ref().map(|c| timestamp(c.at)),
        before_id: after.map(|c| c.key).unwrap_or_default(),
    };
    let entries = state
        .audit
        .clone()
        .list_audit(admin.bearer().request(request))
        .await
        .map_err(|s| ApiError::from_status(s, "not_found"))?
        .into_inner()
        .entries;
    let next = page::next_after(&entries, size, |last| {
        Some(Cursor {
            at: datetime(last.at.as_ref()?)?,
            key: last.id.clone(),
        })
    });
    Ok(Page {
        items: AuditLog {
            entries: entries.into_iter().map(AuditEntry::from).collect(),
        },
        next,
        uri,
    })
}
