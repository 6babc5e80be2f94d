//! The service's own PostgreSQL database: created if missing (when allowed), migrated at
//! start (the kit's own tables in schema `kit`, then the service's), pooled. A database
//! that exists is never created again, so a role without `CREATEDB` that owns its
//! database starts the service.

use std::str::FromStr as _;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;
use sqlx::{
    Connection as _, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgConnection, PgPoolOptions},
};

use crate::config::DatabaseConfig;

/// Connects to the service's database, creating it if missing and allowed
/// (`database.create_if_missing`), and applies migrations first.
pub async fn connect(cfg: &DatabaseConfig, migrator: &Migrator) -> anyhow::Result<PgPool> {
    let server =
        PgConnectOptions::from_str(cfg.url.expose_secret()).context("invalid database URL")?;
    if !exists(&server, &cfg.name).await? {
        if !cfg.create_if_missing {
            let missing = format!(
                "database {} does not exist and database.create_if_missing is false: \
                 create it, owned by this service's role, before starting the service",
                cfg.name
            );
            // In the JSON logs as well as in the error the process exits with.
            tracing::error!(database = cfg.name, "{missing}");
            anyhow::bail!(missing);
        }
        create_database(&server, &cfg.name).await?;
    }
    let pool = PgPoolOptions::new()
        .max_connections(cfg.max_connections)
        .acquire_timeout(std::time::Duration::from_millis(cfg.acquire_timeout_ms))
        .connect_with(server.database(&cfg.name))
        .await
        .with_context(|| format!("connecting to database {}", cfg.name))?;
    kit_migrator()
        .run(&pool)
        .await
        .context("applying the kit's migrations")?;
    migrator
        .run(&pool)
        .await
        .context("applying the service's migrations")?;
    Ok(pool)
}

/// The kit's tables (outbox, inbox) live in schema `kit` with their own migration table,
/// so they never collide with a service's migration versions.
fn kit_migrator() -> Migrator {
    let mut migrator = sqlx::migrate!("./migrations");
    migrator.dangerous_set_table_name("kit._sqlx_migrations");
    migrator.create_schema("kit");
    migrator
}

/// Whether the service's database exists, asked by connecting to it: its role needs no
/// access to any other database (`postgres` included) to find out.
async fn exists(server: &PgConnectOptions, name: &str) -> anyhow::Result<bool> {
    match PgConnection::connect_with(&server.clone().database(name)).await {
        Ok(conn) => {
            conn.close().await.ok();
            Ok(true)
        }
        // invalid_catalog_name: no such database.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("3D000") => Ok(false),
        Err(e) => Err(e).with_context(|| format!("connecting to database {name}")),
    }
}

/// Creates the database, from the server's `postgres` database, which needs `CREATEDB`.
async fn create_database(server: &PgConnectOptions, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect_with(&server.clone().database("postgres"))
        .await
        .with_context(|| {
            format!("connecting to the PostgreSQL server to create database {name}")
        })?;
    let create = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
    match sqlx::raw_sql(sqlx::AssertSqlSafe(create))
        .execute(&mut conn)
        .await
    {
        Ok(_) => tracing::info!(database = name, "database created"),
        // Another replica created it between our check and our create.
        Err(sqlx::Error::Database(e)) if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {
        }
        // insufficient_privilege
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("42501") => {
            anyhow::bail!(
                "database {name} does not exist and this role may not create it (no CREATEDB): \
                 create it beforehand, owned by the service's role ({})",
                e.message()
            )
        }
        Err(e) => return Err(e).with_context(|| format!("creating database {name}")),
    }
    conn.close().await.ok();
    Ok(())
}

/// Readiness: the database answers.
pub async fn ping(pool: &PgPool) -> bool {
    sqlx::query("SELECT 1").execute(pool).await.is_ok()
}

/// Whether an error comes from the database being away (restarting, unreachable, out of
/// connections, shutting down) rather than from what was asked: worth retrying later,
/// never a fault of the data or a reason to give up on a message.
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        match cause.downcast_ref::<sqlx::Error>() {
            Some(
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::Protocol(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::BeginFailed,
            ) => true,
            // Class 08: connection exception; 57P01-03: shutting down, crashed,
            // cannot connect now; 53: insufficient resources.
            Some(sqlx::Error::Database(db)) => db.code().is_some_and(|code| {
                code.starts_with("08") || code.starts_with("57P") || code.starts_with("53")
            }),
            _ => cause.downcast_ref::<std::io::Error>().is_some(),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_outage_is_told_from_a_fault() {
        let refused = anyhow::Error::from(sqlx::Error::Io(std::io::Error::from(
            std::io::ErrorKind::ConnectionRefused,
        )))
        .context("starting the consumer transaction");
        assert!(is_unavailable(&refused));
        assert!(is_unavailable(&anyhow::Error::from(
            sqlx::Error::PoolTimedOut
        )));
        assert!(!is_unavailable(&anyhow::Error::from(
            sqlx::Error::RowNotFound
        )));
        assert!(!is_unavailable(&anyhow::anyhow!(
            "a handler refused the event"
        )));
    }
}
