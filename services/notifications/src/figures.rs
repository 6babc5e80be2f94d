//! The figures supervisors would rather look at than read: demands received and
//! answered per week, answer times against the due dates, open and overdue demands,
//! satisfaction — per department and per teleservice. A read model the residents'
//! consumer keeps from every silo's events (the filing, the first final status), so no
//! silo is asked at read time.

use anyhow::Context as _;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgPool};

/// A demand was filed: what the figures count it under.
pub struct Filed<'a> {
    pub tracking_number: &'a str,
    pub kind: &'a str,
    pub department: &'a str,
    pub teleservice: &'a str,
    pub teleservice_label: &'a str,
    pub filed_at: Option<DateTime<Utc>>,
    pub due_at: Option<DateTime<Utc>>,
}

/// Records a filing (a repeat of the same event changes nothing).
pub async fn filed(conn: &mut PgConnection, demand: &Filed<'_>) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO demand_figures (tracking_number, kind, department, teleservice,
             teleservice_label, filed_at, due_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)
         ON CONFLICT (tracking_number) DO UPDATE SET kind = $2, department = $3,
             teleservice = $4, teleservice_label = $5, filed_at = $6, due_at = $7",
    )
    .bind(demand.tracking_number)
    .bind(demand.kind)
    .bind(demand.department)
    .bind(demand.teleservice)
    .bind(demand.teleservice_label)
    .bind(demand.filed_at)
    .bind(demand.due_at)
    .execute(conn)
    .await
    .context("recording a filing's figures")?;
    Ok(())
}

/// Records that a demand was answered (resolved, rejected or closed) at `at`; the
/// first answer counts, whatever order the events come in.
pub async fn answered(
    conn: &mut PgConnection,
    tracking_number: &str,
    at: DateTime<Utc>,
) -> anyhow::Result<()> {
    sqlx::query(
        "INSERT INTO demand_figures (tracking_number, answered_at) VALUES ($1, $2)
         ON CONFLICT (tracking_number) DO UPDATE SET
             answered_at = least(coalesce(demand_figures.answered_at, $2), $2)",
    )
    .bind(tracking_number)
    .bind(at)
    .execute(conn)
    .await
    .context("recording an answer's figures")?;
    Ok(())
}

/// One week, Monday first (Paris).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Week {
    pub starts_on: NaiveDate,
    pub received: i64,
    pub answered: i64,
    pub answered_on_time: i64,
}

/// The demands of one department or teleservice filed in the period.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub key: String,
    pub label: String,
    pub received: i64,
    pub answered: i64,
    pub answered_on_time: i64,
    pub open: i64,
    /// Open past their due date now.
    pub overdue: i64,
    /// Median days from filing to answer, for those answered.
    pub median_days_to_answer: Option<f64>,
    pub ratings: i64,
    pub average_rating: Option<f64>,
}

#[derive(Debug, Clone, Default)]
pub struct Report {
    pub weeks: Vec<Week>,
    pub departments: Vec<Group>,
    pub teleservices: Vec<Group>,
}

type GroupRow = (
    String,
    String,
    i64,
    i64,
    i64,
    i64,
    i64,
    Option<f64>,
    i64,
    Option<f64>,
);

fn group(row: GroupRow) -> Group {
    let (key, label, received, answered, answered_on_time, open, overdue, median, ratings, avg) =
        row;
    Group {
        key,
        label,
        received,
        answered,
        answered_on_time,
        open,
        overdue,
        median_days_to_answer: median.map(|d| (d * 10.0).round() / 10.0),
        ratings,
        average_rating: avg.map(|a| (a * 100.0).round() / 100.0),
    }
}

/// What every group counts, over the demands `f` filed in the period joined with
/// their ratings `r`; `$1` is now.
const AGGREGATES: &str = "count(*), count(f.answered_at),
    count(*) FILTER (WHERE f.answered_at <= f.due_at),
    count(*) FILTER (WHERE f.answered_at IS NULL),
    count(*) FILTER (WHERE f.answered_at IS NULL AND f.due_at < $1),
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM f.answered_at - f.filed_at) / 86400)
        FILTER (WHERE f.answered_at IS NOT NULL),
    count(r.score), avg(r.score)::float8";

/// The last `weeks` weeks up to `now` (the current one included), for the
/// `departments` given (all when `None`).
pub async fn report(
    pool: &PgPool,
    departments: Option<&[String]>,
    weeks: u32,
    now: DateTime<Utc>,
) -> anyhow::Result<Report> {
    let weeks_back = i32::try_from(weeks.clamp(1, 104)).unwrap_or(12) - 1;
    let week_rows: Vec<(NaiveDate, i64, i64, i64)> = sqlx::query_as(
        "WITH weeks AS (
             SELECT generate_series(
                 date_trunc('week', $1 AT TIME ZONE 'Europe/Paris') - make_interval(weeks => $2),
                 date_trunc('week', $1 AT TIME ZONE 'Europe/Paris'),
                 interval '1 week') AS start
         ), f AS (
             SELECT filed_at AT TIME ZONE 'Europe/Paris' AS filed,
                    answered_at AT TIME ZONE 'Europe/Paris' AS answered,
                    answered_at <= due_at AS on_time
             FROM demand_figures WHERE $3::text[] IS NULL OR department = ANY($3)
         )
         SELECT w.start::date,
             (SELECT count(*) FROM f WHERE f.filed >= w.start AND f.filed < w.start + interval '1 week'),
             (SELECT count(*) FROM f WHERE f.answered >= w.start AND f.answered < w.start + interval '1 week'),
             (SELECT count(*) FROM f WHERE f.answered >= w.start AND f.answered < w.start + interval '1 week'
                 AND f.on_time)
         FROM weeks w ORDER BY w.start",
    )
    .bind(now)
    .bind(weeks_back)
    .bind(departments)
    .fetch_all(pool)
    .await
    .context("counting demands per week")?;
    let since = week_rows.first().map(|w| w.0);
    let scope = "f.filed_at >= ($2::date)::timestamp AT TIME ZONE 'Europe/Paris'
                 AND ($3::text[] IS NULL OR f.department = ANY($3))";
    let by_department: Vec<GroupRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT f.department, f.department, {AGGREGATES}
         FROM demand_figures f LEFT JOIN ratings r USING (tracking_number)
         WHERE {scope} GROUP BY f.department ORDER BY f.department"
    )))
    .bind(now)
    .bind(since)
    .bind(departments)
    .fetch_all(pool)
    .await
    .context("figures per department")?;
    let by_teleservice: Vec<GroupRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT f.teleservice, max(f.teleservice_label), {AGGREGATES}
         FROM demand_figures f LEFT JOIN ratings r USING (tracking_number)
         WHERE {scope} AND f.kind = 'teleservice' AND f.teleservice <> ''
         GROUP BY f.teleservice ORDER BY f.teleservice"
    )))
    .bind(now)
    .bind(since)
    .bind(departments)
    .fetch_all(pool)
    .await
    .context("figures per teleservice")?;
    Ok(Report {
        weeks: week_rows
            .into_iter()
            .map(|(starts_on, received, answered, answered_on_time)| Week {
                starts_on,
                received,
                answered,
                answered_on_time,
            })
            .collect(),
        departments: by_department.into_iter().map(group).collect(),
        teleservices: by_teleservice.into_iter().map(group).collect(),
    })
}
