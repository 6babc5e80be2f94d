//! Satisfaction: the resident of a resolved or closed demand rates the answer (1 to 5,
//! with a comment) once; results per department and per teleservice feed the city's
//! workshops with residents.

use anyhow::Context as _;
use chrono::{DateTime, Utc};
use guichet_kit::auth::{Caller, Role};
use sqlx::PgPool;

use crate::{error::Error, residents::DemandRow};

/// Longest comment kept.
pub const MAX_COMMENT: usize = 2_000;

/// A rating as stored.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RatingRow {
    pub tracking_number: String,
    pub score: i16,
    pub comment: String,
    pub at: DateTime<Utc>,
}

/// Checks a score and comment before anything is looked up.
pub fn check(score: u32, comment: &str) -> Result<i16, Error> {
    let mut problems = Vec::new();
    if !(1..=5).contains(&score) {
        problems.push(guichet_kit::grpc::Violation::new(
            "score",
            "La note doit être comprise entre 1 et 5.",
        ));
    }
    if comment.chars().count() > MAX_COMMENT {
        problems.push(guichet_kit::grpc::Violation::new(
            "comment",
            "Le commentaire ne doit pas dépasser 2 000 caractères.",
        ));
    }
    if !problems.is_empty() {
        return Err(Error::Invalid(problems));
    }
    i16::try_from(score).map_err(|_| Error::field("score", "Note invalide."))
}

/// Records the one rating of a demand. The gateway has already checked, with the
/// service owning the demand, that the caller may reach it; this service checks again
/// what it knows: the demand was resolved or closed, and belongs to the caller's
/// account when it is attached to one.
pub async fn rate(
    pool: &PgPool,
    caller: &Caller,
    tracking_number: &str,
    score: u32,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<RatingRow, Error> {
    let score = check(score, comment)?;
    if caller.role() == Some(Role::Agent) {
        return Err(Error::Forbidden("Seul l'usager peut noter la réponse."));
    }
    let mut tx = pool.begin().await.context("starting a rating")?;
    let demand = crate::residents::demand(&mut tx, tracking_number).await?;
    let Some(demand) = demand else {
        return Err(Error::NotFound("Aucune demande ne correspond à ce numéro."));
    };
    if let Some(owner) = &demand.account_id
        && caller.resident() != Some(owner.as_str())
    {
        // The same answer as for a number that does not exist.
        return Err(Error::NotFound("Aucune demande ne correspond à ce numéro."));
    }
    let invited: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM rating_invitations WHERE tracking_number = $1)",
    )
    .bind(tracking_number)
    .fetch_one(&mut *tx)
    .await
    .context("looking for the invitation")?;
    if !invited {
        return Err(Error::Conflict(
            "Vous pourrez noter la réponse une fois la demande résolue ou clôturée.",
        ));
    }
    let row = insert(&mut tx, &demand, caller, score, comment.trim(), now).await?;
    guichet_kit::bus::commit(tx)
        .await
        .context("committing a rating")?;
    row.ok_or(Error::Conflict("Vous avez déjà noté cette demande."))
}

/// The rating of a demand, to whoever may rate it (the same checks as [`rate`]).
pub async fn rating(
    pool: &PgPool,
    caller: &Caller,
    tracking_number: &str,
) -> Result<RatingRow, Error> {
    let mut conn = pool.acquire().await.context("reading a rating")?;
    let demand = crate::residents::demand(&mut conn, tracking_number).await?;
    let unknown = Error::NotFound("Aucune demande ne correspond à ce numéro.");
    let Some(demand) = demand else {
        return Err(unknown);
    };
    if let Some(owner) = &demand.account_id
        && caller.resident() != Some(owner.as_str())
        && caller.role() != Some(Role::Agent)
    {
        return Err(unknown);
    }
    sqlx::query_as(
        "SELECT tracking_number, score, comment, at FROM ratings WHERE tracking_number = $1",
    )
    .bind(tracking_number)
    .fetch_optional(&mut *conn)
    .await
    .context("reading a rating")?
    .ok_or(Error::NotFound("Cette demande n'a pas encore été notée."))
}

async fn insert(
    conn: &mut sqlx::PgConnection,
    demand: &DemandRow,
    caller: &Caller,
    score: i16,
    comment: &str,
    now: DateTime<Utc>,
) -> Result<Option<RatingRow>, Error> {
    let label = if demand.kind == "teleservice" {
        demand.title.as_str()
    } else {
        ""
    };
    let row = sqlx::query_as(
        "INSERT INTO ratings (tracking_number, score, comment, account_id, kind, department,
             teleservice, teleservice_label, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
         ON CONFLICT (tracking_number) DO NOTHING
         RETURNING tracking_number, score, comment, at",
    )
    .bind(&demand.tracking_number)
    .bind(score)
    .bind(comment)
    .bind(caller.resident())
    .bind(&demand.kind)
    .bind(&demand.department)
    .bind(&demand.teleservice)
    .bind(label)
    .bind(now)
    .fetch_optional(conn)
    .await
    .context("recording a rating")?;
    Ok(row)
}

/// Ratings of one group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub key: String,
    pub label: String,
    pub count: i64,
    pub average: f64,
    /// Ratings of 1 to 5.
    pub distribution: [i64; 5],
    pub invited: i64,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub overall: Group,
    pub departments: Vec<Group>,
    pub teleservices: Vec<Group>,
}

type GroupRow = (String, String, i64, f64, i64, i64, i64, i64, i64);

fn group(row: GroupRow) -> Group {
    let (key, label, count, average, d1, d2, d3, d4, d5) = row;
    Group {
        key,
        label,
        count,
        average,
        distribution: [d1, d2, d3, d4, d5],
        invited: 0,
    }
}

const AGGREGATES: &str = "count(*), coalesce(avg(score), 0)::float8,
    count(*) FILTER (WHERE score = 1), count(*) FILTER (WHERE score = 2),
    count(*) FILTER (WHERE score = 3), count(*) FILTER (WHERE score = 4),
    count(*) FILTER (WHERE score = 5)";

/// Results overall, per department and per teleservice.
pub async fn report(pool: &PgPool) -> anyhow::Result<Report> {
    let overall: GroupRow = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT '', '', {AGGREGATES} FROM ratings"
    )))
    .fetch_one(pool)
    .await
    .context("aggregating ratings")?;
    let departments: Vec<GroupRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT department, department, {AGGREGATES} FROM ratings GROUP BY department ORDER BY department"
    )))
    .fetch_all(pool)
    .await
    .context("aggregating ratings per department")?;
    let teleservices: Vec<GroupRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT coalesce(nullif(teleservice, ''), teleservice_label), max(teleservice_label), {AGGREGATES}
         FROM ratings WHERE kind = 'teleservice'
         GROUP BY 1 ORDER BY 1"
    )))
    .fetch_all(pool)
    .await
    .context("aggregating ratings per teleservice")?;
    let invited: Vec<(String, i64)> = sqlx::query_as(
        "SELECT d.department, count(*) FROM rating_invitations i
         JOIN demands d USING (tracking_number) GROUP BY d.department",
    )
    .fetch_all(pool)
    .await
    .context("counting invitations")?;
    let mut report = Report {
        overall: group(overall),
        departments: departments.into_iter().map(group).collect(),
        teleservices: teleservices.into_iter().map(group).collect(),
    };
    report.overall.invited = invited.iter().map(|(_, n)| n).sum();
    for (department, n) in invited {
        match report.departments.iter_mut().find(|g| g.key == department) {
            Some(g) => g.invited = n,
            None => report.departments.push(Group {
                label: department.clone(),
                key: department,
                invited: n,
                ..Group::default()
            }),
        }
    }
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_score_is_from_1_to_5_and_a_comment_not_too_long() {
        assert_eq!(check(5, "Très bien").unwrap_or_default(), 5);
        assert!(check(0, "").is_err());
        assert!(check(6, "").is_err());
        assert!(check(3, &"x".repeat(MAX_COMMENT + 1)).is_err());
    }
}
