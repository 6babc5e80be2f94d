//! The timeline's one definition is the kit's: a silo's migration asks for it with its
//! table of demands, gets a table the kit's SQL reads and writes, and a database whose
//! timeline drifted from it is refused at start-up rather than failing on a resident's
//! message.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use chrono::{SubsecRound as _, Utc};
use guichet_kit::{
    db,
    demand::timeline::{self, TimelineRow},
    testing,
};
use guichet_proto::demand::v1::{Author, AuthorRole, Channel};
use sqlx::migrate::Migrator;
use uuid::Uuid;

#[tokio::test]
async fn a_silo_gets_the_kits_timeline_and_a_drifted_one_is_refused() {
    let pool = db::connect(&testing::database("timeline"), &Migrator::DEFAULT)
        .await
        .unwrap();
    sqlx::raw_sql("CREATE TABLE things (id UUID PRIMARY KEY)")
        .execute(&pool)
        .await
        .unwrap();
    // Twice, as a silo's new migration does over the table an older one created.
    for _ in 0..2 {
        sqlx::query("SELECT kit.ensure_timeline('things')")
            .execute(&pool)
            .await
            .unwrap();
    }
    let thing = Uuid::now_v7();
    sqlx::query("INSERT INTO things (id) VALUES ($1)")
        .bind(thing)
        .execute(&pool)
        .await
        .unwrap();
    let author = Author {
        role: AuthorRole::Resident as i32,
        name: "Jeanne Martin".into(),
        id: "acc-1".into(),
    };
    let at = Utc::now().trunc_subsecs(6);
    let entry = TimelineRow::message(&author, Channel::Web, at, "Bonjour");
    let mut conn = pool.acquire().await.unwrap();
    timeline::insert(&mut conn, thing, &entry).await.unwrap();
    let read = timeline::load(&mut conn, thing).await.unwrap();
    assert_eq!(read.len(), 1);
    assert_eq!((read[0].text.as_str(), read[0].at), ("Bonjour", at));
    // Asked again once entries exist (a later migration, or a silo's first one run
    // over the table it had created itself): it changes nothing and keeps them.
    sqlx::query("SELECT kit.ensure_timeline('things')")
        .execute(&pool)
        .await
        .unwrap();
    let kept = timeline::load(&mut conn, thing).await.unwrap();
    assert_eq!(kept.len(), 1, "the entry is kept");
    assert_eq!((kept[0].text.as_str(), kept[0].at), ("Bonjour", at));
    // The foreign key holds: no entry for a demand the silo does not have.
    assert!(
        timeline::insert(&mut conn, Uuid::now_v7(), &entry)
            .await
            .is_err()
    );

    sqlx::raw_sql("ALTER TABLE timeline DROP COLUMN sub_status")
        .execute(&pool)
        .await
        .unwrap();
    let refused = sqlx::query("SELECT kit.ensure_timeline('things')")
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(refused.to_string().contains("sub_status"), "{refused}");
}
