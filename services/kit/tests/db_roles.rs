//! One database role per service, without `CREATEDB`: a role that owns its database
//! created beforehand starts the service (migrations included), again and again; a
//! missing database stops the start with a message naming it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_kit::{config::DatabaseConfig, db, testing};
use secrecy::SecretString;
use sqlx::{Connection as _, PgConnection, migrate::Migrator};

/// The server as its superuser, for what an operator (or the database operator) does.
async fn admin() -> PgConnection {
    PgConnection::connect("postgres://postgres@127.0.0.1:5432/postgres")
        .await
        .unwrap()
}

async fn run(conn: &mut PgConnection, statement: String) {
    sqlx::raw_sql(sqlx::AssertSqlSafe(statement))
        .execute(conn)
        .await
        .unwrap();
}

/// A fresh role with `LOGIN` and nothing else (no `CREATEDB`), and the settings of a
/// service connecting as it to database `name`.
async fn service_role(admin: &mut PgConnection, name: &str) -> (String, DatabaseConfig) {
    let role = format!("{name}_svc");
    run(
        admin,
        format!("CREATE ROLE \"{role}\" LOGIN NOCREATEDB NOSUPERUSER"),
    )
    .await;
    let settings = DatabaseConfig {
        url: SecretString::from(format!("postgres://{role}@127.0.0.1:5432")),
        name: name.to_owned(),
        create_if_missing: false,
        ..DatabaseConfig::default()
    };
    (role, settings)
}

async fn drop_all(admin: &mut PgConnection, database: &str, role: &str) {
    run(
        admin,
        format!("DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)"),
    )
    .await;
    run(admin, format!("DROP ROLE IF EXISTS \"{role}\"")).await;
}

#[tokio::test]
async fn a_role_without_createdb_migrates_the_database_it_owns() {
    let name = testing::database("role").name;
    let mut admin = admin().await;
    let (role, settings) = service_role(&mut admin, &name).await;
    run(
        &mut admin,
        format!("CREATE DATABASE \"{name}\" OWNER \"{role}\""),
    )
    .await;

    let pool = db::connect(&settings, &Migrator::DEFAULT).await.unwrap();
    let owner: String = sqlx::query_scalar(
        "SELECT tableowner::text FROM pg_tables WHERE schemaname = 'kit' AND tablename = 'outbox'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(owner, role, "the service's own role made the kit's tables");
    pool.close().await;

    // A restart, or a second replica, finds everything in place.
    let again = db::connect(&settings, &Migrator::DEFAULT).await.unwrap();
    again.close().await;

    drop_all(&mut admin, &name, &role).await;
}

#[tokio::test]
async fn a_missing_database_stops_the_start_with_its_name() {
    let name = testing::database("missing").name;
    let mut admin = admin().await;
    let (role, settings) = service_role(&mut admin, &name).await;

    let refused = db::connect(&settings, &Migrator::DEFAULT)
        .await
        .unwrap_err();
    let message = format!("{refused:#}");
    assert!(
        message.contains(&format!("database {name} does not exist")),
        "{message}"
    );
    assert!(message.contains("create_if_missing is false"), "{message}");

    // Allowed to create it but without CREATEDB: the reason is said, not a bare error.
    let allowed = DatabaseConfig {
        create_if_missing: true,
        ..settings
    };
    let refused = db::connect(&allowed, &Migrator::DEFAULT).await.unwrap_err();
    let message = format!("{refused:#}");
    assert!(
        message.contains(&name) && message.contains("CREATEDB"),
        "{message}"
    );

    let created: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
        .bind(&name)
        .fetch_optional(&mut admin)
        .await
        .unwrap();
    assert_eq!(created, None);
    drop_all(&mut admin, &name, &role).await;
}

#[tokio::test]
async fn a_missing_database_is_created_where_allowed() {
    // The workstation's default: the superuser creates it on first start.
    let settings = testing::database("created");
    assert!(settings.create_if_missing);
    let pool = db::connect(&settings, &Migrator::DEFAULT).await.unwrap();
    assert!(db::ping(&pool).await);
}
