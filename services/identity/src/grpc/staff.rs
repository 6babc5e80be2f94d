//! Agents, their departments and intranet tabs, and the administration of both.

use std::collections::HashSet;

use guichet_kit::grpc::Violation;
use guichet_proto::identity::v1::{
    Agent, AgentLoginRequest, CreateAgentRequest, Department, FindResidentsRequest,
    FindResidentsResponse, GetTabsRequest, ListAgentsRequest, ListAgentsResponse,
    ListDepartmentsRequest, ListDepartmentsResponse, ListThemesRequest, ListThemesResponse,
    ResidentMatch, SetTabPreferencesRequest, Tab, Tabs, Theme, TokenPair, UpdateAgentRequest,
    UpsertDepartmentRequest, UpsertThemeRequest, staff_server::Staff,
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Core, address};
use crate::{
    domain::{Error, password},
    throttle,
    tokens::{Kind, NewSession},
};

/// Roles an agent may hold.
pub const ROLES: &[&str] = &["agent", "supervisor", "form_designer", "admin"];
const WRONG_CREDENTIALS: &str = "Identifiant ou mot de passe incorrect.";

pub struct StaffService(pub Core);

#[derive(sqlx::FromRow)]
struct AgentRow {
    id: Uuid,
    login: String,
    name: String,
    roles: Vec<String>,
    active: bool,
    departments: Vec<String>,
}

impl From<AgentRow> for Agent {
    fn from(row: AgentRow) -> Self {
        Agent {
            id: row.id.to_string(),
            login: row.login,
            name: row.name,
            departments: row.departments,
            roles: row.roles,
            active: row.active,
        }
    }
}

async fn agent_by_id(pool: &PgPool, id: Uuid) -> Result<Agent, Error> {
    let row: Option<AgentRow> = sqlx::query_as(
        "SELECT a.id, a.login, a.name, a.roles, a.active,
                coalesce(array_agg(d.department ORDER BY d.department) FILTER (WHERE d.department IS NOT NULL), '{}') AS departments
         FROM agents a LEFT JOIN agent_departments d ON d.agent_id = a.id
         WHERE a.id = $1 GROUP BY a.id",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(Agent::from)
        .ok_or(Error::NotFound("Agent inconnu."))
}

/// Checks roles and departments given by an administrator.
async fn check_assignment(
    pool: &PgPool,
    roles: &[String],
    departments: &[String],
) -> Vec<Violation> {
    let mut problems = Vec::new();
    if roles.is_empty() || roles.iter().any(|r| !ROLES.contains(&r.as_str())) {
        problems.push(Violation::new(
            "roles",
            "Rôles possibles : agent, supervisor, form_designer, admin.",
        ));
    }
    let known: Vec<String> =
        sqlx::query_scalar("SELECT code FROM departments WHERE code = ANY($1)")
            .bind(departments)
            .fetch_all(pool)
            .await
            .unwrap_or_default();
    if departments.iter().any(|d| !known.contains(d)) {
        problems.push(Violation::new(
            "departments",
            "Un des services indiqués n'existe pas.",
        ));
    }
    problems
}

async fn set_departments(
    conn: &mut sqlx::PgConnection,
    agent: Uuid,
    departments: &[String],
) -> Result<(), Error> {
    sqlx::query("DELETE FROM agent_departments WHERE agent_id = $1")
        .bind(agent)
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "INSERT INTO agent_departments (agent_id, department) SELECT $1, unnest($2::text[])",
    )
    .bind(agent)
    .bind(departments)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct TabRow {
    code: String,
    label: String,
    department: String,
    default_position: i32,
    position: Option<i32>,
    hidden: Option<bool>,
}

/// An agent's tabs: one per theme of their departments, in their own order.
async fn tabs(pool: &PgPool, agent: Uuid) -> Result<Vec<Tab>, Error> {
    let rows: Vec<TabRow> = sqlx::query_as(
        "SELECT DISTINCT ON (t.code) t.code, t.label, d.code AS department,
                t.position AS default_position, p.position, p.hidden
         FROM agent_departments a
         JOIN departments d ON d.code = a.department
         JOIN themes t ON t.code = ANY(d.themes)
         LEFT JOIN tab_preferences p ON p.agent_id = a.agent_id AND p.code = t.code
         WHERE a.agent_id = $1
         ORDER BY t.code, d.code",
    )
    .bind(agent)
    .fetch_all(pool)
    .await?;
    let mut tabs: Vec<(i64, Tab)> = rows
        .into_iter()
        .map(
            |TabRow {
                 code,
                 label,
                 department,
                 default_position,
                 position,
                 hidden,
             }| {
                // Personal positions come first, in their order; the rest keep the catalogue's.
                let order = position.map_or(1_000_000 + i64::from(default_position), i64::from);
                let tab = Tab {
                    code,
                    label,
                    department,
                    hidden: hidden.unwrap_or(false),
                    position: 0,
                };
                (order, tab)
            },
        )
        .collect();
    tabs.sort_by_key(|(order, _)| *order);
    Ok(tabs
        .into_iter()
        .enumerate()
        .map(|(i, (_, mut tab))| {
            tab.position = u32::try_from(i).unwrap_or(u32::MAX);
            tab
        })
        .collect())
}

#[tonic::async_trait]
impl Staff for StaffService {
    async fn agent_login(
        &self,
        request: Request<AgentLoginRequest>,
    ) -> Result<Response<TokenPair>, Status> {
        let core = &self.0;
        let request = request.into_inner();
        let login = request.login.trim().to_lowercase();
        let attempt =
            throttle::Attempt::new(&format!("agent/{login}"), address(request.client.as_ref()));
        let gate = core.throttle.check(&attempt).await?;
        let agent: Option<(Uuid, String, bool)> =
            sqlx::query_as("SELECT id, password_hash, active FROM agents WHERE login = $1")
                .bind(&login)
                .fetch_optional(&core.pool)
                .await
                .map_err(Error::from)?;
        let verified = match &agent {
            Some((_, hash, true)) => password::verify(&request.password, hash).await,
            _ => {
                password::dummy_verify(&request.password).await;
                false
            }
        };
        let Some((id, _, _)) = agent.filter(|_| verified) else {
            return Err(core
                .throttle
                .failed(&attempt, gate, WRONG_CREDENTIALS)
                .await
                .into());
        };
        core.throttle.succeeded(&attempt).await?;
        let (channel, device_id) = core.channel_of(request.client.as_ref()).await?;
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        let session = NewSession {
            subject: id,
            kind: Kind::Agent,
            channel,
            device_id,
            fc_id_token: None,
        };
        let pair = core.tokens.open(&mut tx, &session).await?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(pair))
    }

    async fn get_tabs(&self, request: Request<GetTabsRequest>) -> Result<Response<Tabs>, Status> {
        let claims = self.0.agent(request.metadata()).await?;
        let agent = claims
            .sub
            .parse()
            .map_err(|_| Error::Unauthenticated("Session invalide."))?;
        Ok(Response::new(Tabs {
            tabs: tabs(&self.0.pool, agent).await?,
        }))
    }

    async fn set_tab_preferences(
        &self,
        request: Request<SetTabPreferencesRequest>,
    ) -> Result<Response<Tabs>, Status> {
        let core = &self.0;
        let claims = core.agent(request.metadata()).await?;
        let agent: Uuid = claims
            .sub
            .parse()
            .map_err(|_| Error::Unauthenticated("Session invalide."))?;
        let own: HashSet<String> = tabs(&core.pool, agent)
            .await?
            .into_iter()
            .map(|t| t.code)
            .collect();
        let preferences = request.into_inner().preferences;
        if let Some(unknown) = preferences.iter().position(|p| !own.contains(&p.code)) {
            return Err(Error::field(
                &format!("preferences[{unknown}].code"),
                "Cet onglet ne fait pas partie des vôtres.",
            )
            .into());
        }
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        for preference in &preferences {
            sqlx::query(
                "INSERT INTO tab_preferences (agent_id, code, position, hidden) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (agent_id, code) DO UPDATE SET position = $3, hidden = $4",
            )
            .bind(agent)
            .bind(&preference.code)
            .bind(i32::try_from(preference.position).unwrap_or(i32::MAX))
            .bind(preference.hidden)
            .execute(&mut *tx)
            .await
            .map_err(Error::from)?;
        }
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(Tabs {
            tabs: tabs(&core.pool, agent).await?,
        }))
    }

    async fn upsert_department(
        &self,
        request: Request<UpsertDepartmentRequest>,
    ) -> Result<Response<Department>, Status> {
        let core = &self.0;
        let admin = core.admin(request.metadata()).await?;
        let department = request.into_inner().department.unwrap_or_default();
        let mut problems = Vec::new();
        let code = department.code.trim().to_uppercase();
        if code.is_empty() || !code.chars().all(|c| c.is_ascii_uppercase() || c == '_') {
            problems.push(Violation::new(
                "code",
                "Le code est fait de majuscules et de « _ ».",
            ));
        }
        if department.label.trim().is_empty() {
            problems.push(Violation::new("label", "Indiquez le nom du service."));
        }
        let known: Vec<String> = sqlx::query_scalar("SELECT code FROM themes WHERE code = ANY($1)")
            .bind(&department.themes)
            .fetch_all(&core.pool)
            .await
            .map_err(Error::from)?;
        if let Some(i) = department.themes.iter().position(|t| !known.contains(t)) {
            problems.push(Violation::new(
                &format!("themes[{i}]"),
                "Ce thème n'existe pas.",
            ));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems).into());
        }
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        sqlx::query(
            "INSERT INTO departments (code, label, themes) VALUES ($1, $2, $3)
             ON CONFLICT (code) DO UPDATE SET label = $2, themes = $3",
        )
        .bind(&code)
        .bind(department.label.trim())
        .bind(&department.themes)
        .execute(&mut *tx)
        .await
        .map_err(Error::from)?;
        core.audit(
            &mut tx,
            &admin,
            "change",
            &format!("department:{code}"),
            "service enregistré",
        )
        .await?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(Department {
            code,
            label: department.label.trim().to_owned(),
            themes: department.themes,
        }))
    }

    async fn list_departments(
        &self,
        request: Request<ListDepartmentsRequest>,
    ) -> Result<Response<ListDepartmentsResponse>, Status> {
        self.0.agent(request.metadata()).await?;
        let rows: Vec<(String, String, Vec<String>)> =
            sqlx::query_as("SELECT code, label, themes FROM departments ORDER BY code")
                .fetch_all(&self.0.pool)
                .await
                .map_err(Error::from)?;
        Ok(Response::new(ListDepartmentsResponse {
            departments: rows
                .into_iter()
                .map(|(code, label, themes)| Department {
                    code,
                    label,
                    themes,
                })
                .collect(),
        }))
    }

    async fn create_agent(
        &self,
        request: Request<CreateAgentRequest>,
    ) -> Result<Response<Agent>, Status> {
        let core = &self.0;
        let admin = core.admin(request.metadata()).await?;
        let request = request.into_inner();
        let login = request.login.trim().to_lowercase();
        let mut problems = check_assignment(&core.pool, &request.roles, &request.departments).await;
        if login.is_empty() || login.len() > 64 || login.chars().any(char::is_whitespace) {
            problems.push(Violation::new(
                "login",
                "L'identifiant est un mot sans espace de 64 caractères au plus.",
            ));
        }
        if request.name.trim().is_empty() {
            problems.push(Violation::new("name", "Indiquez le nom de l'agent."));
        }
        if let Some(text) = password::policy_violation(&request.password) {
            problems.push(Violation::new("password", text));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems).into());
        }
        let hash = password::hash(&request.password)
            .await
            .map_err(Error::from)?;
        let id = Uuid::now_v7();
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        let inserted = sqlx::query(
            "INSERT INTO agents (id, login, password_hash, name, roles, created_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (login) DO NOTHING",
        )
        .bind(id)
        .bind(&login)
        .bind(hash)
        .bind(request.name.trim())
        .bind(&request.roles)
        .bind(core.now())
        .execute(&mut *tx)
        .await
        .map_err(Error::from)?;
        if inserted.rows_affected() == 0 {
            return Err(Error::Conflict("Cet identifiant est déjà pris.").into());
        }
        set_departments(&mut tx, id, &request.departments).await?;
        core.audit(
            &mut tx,
            &admin,
            "change",
            &format!("agent:{id}"),
            "agent créé",
        )
        .await?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(agent_by_id(&core.pool, id).await?))
    }

    async fn update_agent(
        &self,
        request: Request<UpdateAgentRequest>,
    ) -> Result<Response<Agent>, Status> {
        let core = &self.0;
        let admin = core.admin(request.metadata()).await?;
        let request = request.into_inner();
        let id: Uuid = request
            .id
            .parse()
            .map_err(|_| Error::NotFound("Agent inconnu."))?;
        let problems = check_assignment(&core.pool, &request.roles, &request.departments).await;
        if !problems.is_empty() {
            return Err(Error::Invalid(problems).into());
        }
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        let updated = sqlx::query("UPDATE agents SET roles = $2, active = $3 WHERE id = $1")
            .bind(id)
            .bind(&request.roles)
            .bind(request.active)
            .execute(&mut *tx)
            .await
            .map_err(Error::from)?;
        if updated.rows_affected() == 0 {
            return Err(Error::NotFound("Agent inconnu.").into());
        }
        set_departments(&mut tx, id, &request.departments).await?;
        if !request.active {
            sqlx::query(
                "UPDATE sessions SET revoked_at = $2, revoked_reason = 'agent deactivated'
                 WHERE subject = $1 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(core.now())
            .execute(&mut *tx)
            .await
            .map_err(Error::from)?;
        }
        core.audit(
            &mut tx,
            &admin,
            "change",
            &format!("agent:{id}"),
            "agent modifié",
        )
        .await?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(agent_by_id(&core.pool, id).await?))
    }

    async fn list_agents(
        &self,
        request: Request<ListAgentsRequest>,
    ) -> Result<Response<ListAgentsResponse>, Status> {
        self.0.admin(request.metadata()).await?;
        let rows: Vec<AgentRow> = sqlx::query_as(
            "SELECT a.id, a.login, a.name, a.roles, a.active,
                    coalesce(array_agg(d.department ORDER BY d.department) FILTER (WHERE d.department IS NOT NULL), '{}') AS departments
             FROM agents a LEFT JOIN agent_departments d ON d.agent_id = a.id
             GROUP BY a.id ORDER BY a.login",
        )
        .fetch_all(&self.0.pool)
        .await
        .map_err(Error::from)?;
        Ok(Response::new(ListAgentsResponse {
            agents: rows.into_iter().map(Agent::from).collect(),
        }))
    }

    async fn upsert_theme(
        &self,
        request: Request<UpsertThemeRequest>,
    ) -> Result<Response<Theme>, Status> {
        let core = &self.0;
        let admin = core.admin(request.metadata()).await?;
        let theme = request.into_inner().theme.unwrap_or_default();
        let code = theme.code.trim();
        let valid_code = !code.is_empty()
            && code.len() <= 80
            && code
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-'));
        let mut problems = Vec::new();
        if !valid_code {
            problems.push(Violation::new(
                "code",
                "Le code d'un thème est fait de lettres, chiffres, « _ », « - » et « : ».",
            ));
        }
        if theme.label.trim().is_empty() {
            problems.push(Violation::new("label", "Indiquez le libellé du thème."));
        }
        if !problems.is_empty() {
            return Err(Error::Invalid(problems).into());
        }
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        sqlx::query(
            "INSERT INTO themes (code, label, position) VALUES ($1, $2, $3)
             ON CONFLICT (code) DO UPDATE SET label = $2, position = $3",
        )
        .bind(code)
        .bind(theme.label.trim())
        .bind(i32::try_from(theme.position).unwrap_or(i32::MAX))
        .execute(&mut *tx)
        .await
        .map_err(Error::from)?;
        core.audit(
            &mut tx,
            &admin,
            "change",
            &format!("theme:{code}"),
            "thème enregistré",
        )
        .await?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(Theme {
            code: code.to_owned(),
            label: theme.label.trim().to_owned(),
            position: theme.position,
        }))
    }

    async fn list_themes(
        &self,
        request: Request<ListThemesRequest>,
    ) -> Result<Response<ListThemesResponse>, Status> {
        // Open to all: the portal shows the themes' labels to group its catalogue.
        let _ = request;
        let rows: Vec<(String, String, i32)> =
            sqlx::query_as("SELECT code, label, position FROM themes ORDER BY position, code")
                .fetch_all(&self.0.pool)
                .await
                .map_err(Error::from)?;
        Ok(Response::new(ListThemesResponse {
            themes: rows
                .into_iter()
                .map(|(code, label, position)| Theme {
                    code,
                    label,
                    position: u32::try_from(position).unwrap_or_default(),
                })
                .collect(),
        }))
    }

    async fn find_residents(
        &self,
        request: Request<FindResidentsRequest>,
    ) -> Result<Response<FindResidentsResponse>, Status> {
        let core = &self.0;
        let agent = core.agent(request.metadata()).await?;
        let request = request.into_inner();
        let query = request.query.trim();
        if query.chars().count() < 2 {
            return Err(Error::Invalid(vec![Violation::new(
                "query",
                "Saisissez au moins deux caractères.",
            )])
            .into());
        }
        let limit = i64::from(match request.limit {
            0 => 20,
            n => n.min(50),
        });
        // One query for the three ways a resident is named at the desk: e-mail (exact,
        // case-insensitive), phone (national form) or name (words in any order).
        let phone = guichet_kit::validate::national_phone(query);
        let is_phone = phone.len() >= 9 && phone.chars().all(|c| c.is_ascii_digit());
        let rows: Vec<(Uuid, String, String, String, String)> = sqlx::query_as(
            r"SELECT a.id, coalesce(a.email, ''),
                    coalesce(g.value, ''), coalesce(f.value, ''), coalesce(p.value, '')
             FROM accounts a
             LEFT JOIN attributes g ON g.account_id = a.id AND g.name = 'given_name'
             LEFT JOIN attributes f ON f.account_id = a.id AND f.name = 'family_name'
             LEFT JOIN attributes p ON p.account_id = a.id AND p.name = 'phone'
             WHERE a.erased_at IS NULL AND (
                   lower(a.email) = lower($1)
                OR ($2 AND regexp_replace(regexp_replace(coalesce(p.value, ''), '[ . -]', '', 'g'), '^(\+33|0033)', '0') = $3)
                OR (NOT $2 AND position('@' in $1) = 0 AND (
                    SELECT bool_and(kit.fold(coalesce(g.value, '') || ' ' || coalesce(f.value, '')) LIKE '%' || kit.fold(w) || '%')
                    FROM unnest(regexp_split_to_array($1, '\s+')) AS w)))
             ORDER BY f.value, g.value LIMIT $4",
        )
        .bind(query)
        .bind(is_phone)
        .bind(&phone)
        .bind(limit)
        .fetch_all(&core.pool)
        .await
        .map_err(Error::from)?;
        let mut conn = core.pool.acquire().await.map_err(Error::from)?;
        core.audit(
            &mut conn,
            &agent,
            "search",
            "residents",
            &format!("{} usager(s) trouvé(s)", rows.len()),
        )
        .await?;
        Ok(Response::new(FindResidentsResponse {
            residents: rows
                .into_iter()
                .map(|(id, email, given, family, phone)| ResidentMatch {
                    account_id: id.to_string(),
                    name: format!("{given} {family}").trim().to_owned(),
                    email,
                    phone,
                })
                .collect(),
        }))
    }
}

/// Creates the first administrator from configuration, once.
pub async fn bootstrap_admin(
    core: &Core,
    login: &str,
    password_text: &str,
    name: &str,
) -> Result<(), Error> {
    let hash = password::hash(password_text).await?;
    let mut tx = core.pool.begin().await?;
    let id = Uuid::now_v7();
    let inserted = sqlx::query(
        "INSERT INTO agents (id, login, password_hash, name, roles, created_at)
         VALUES ($1, $2, $3, $4, '{agent,supervisor,admin}', $5) ON CONFLICT (login) DO NOTHING",
    )
    .bind(id)
    .bind(login.trim().to_lowercase())
    .bind(hash)
    .bind(name)
    .bind(core.now())
    .execute(&mut *tx)
    .await?;
    if inserted.rows_affected() == 1 {
        set_departments(&mut tx, id, &["MRU".to_owned()]).await?;
        tracing::info!(login, "bootstrap administrator created");
    }
    guichet_kit::bus::commit(tx).await?;
    Ok(())
}
