//! The service's own PostgreSQL database: created if missing, migrated at start (the kit's
//! own tables in schema `kit`, then the service's), pooled.

use std::str::FromStr as _;

use anyhow::Context as _;
use secrecy::ExposeSecret as _;
use sqlx::{
    Connection as _, PgPool,
    migrate::Migrator,
    postgres::{PgConnectOptions, PgConnection, PgPoolOptions},
};

use crate::config::DatabaseConfig;

/// Connects to the service's database, creating it and applying migrations first.
pub async fn connect(cfg: &DatabaseConfig, migrator: &Migrator) -> anyhow::Result<PgPool> {
    let server =
        PgConnectOptions::from_str(cfg.url.expose_secret()).context("invalid database URL")?;
    create_database_if_missing(&server, &cfg.name).await?;
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

async fn create_database_if_missing(server: &PgConnectOptions, name: &str) -> anyhow::Result<()> {
    let mut conn = PgConnection::connect_with(&server.clone().database("postgres"))
        .await
        .context("connecting to the PostgreSQL server")?;
    let exists: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(name)
        .fetch_optional(&mut conn)
        .await
        .context("looking for the database")?;
    if exists.is_none() {
        let create = format!("CREATE DATABASE \"{}\"", name.replace('"', "\"\""));
        match sqlx::raw_sql(sqlx::AssertSqlSafe(create))
            .execute(&mut conn)
            .await
        {
            Ok(_) => tracing::info!(database = name, "database created"),
            // Another replica created it between our check and our create.
            Err(sqlx::Error::Database(e))
                if matches!(e.code().as_deref(), Some("42P04" | "23505")) => {}
            Err(e) => return Err(e).context("creating the database"),
        }
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
