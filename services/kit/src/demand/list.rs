//! A page of a `ListDemands` list, the same in every silo: a resident's own demands or
//! one department's, newest first, resumed after the last one shown. Each silo selects
//! its own columns and ends the query with [`demand_list_sql!`](crate::demand_list_sql).

use guichet_proto::demand::v1::ListDemandsRequest;
use sqlx::{FromRow, PgPool, postgres::PgRow};

use super::access::{After, ListScope};

/// What a list call asks for, once its caller's scope is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// `None` lists every department (a resident's own, or a silo's supervisors).
    pub department: Option<String>,
    pub resident: Option<String>,
    pub after: Option<After>,
    pub limit: i64,
}

impl Page {
    pub fn of(scope: &ListScope, request: &ListDemandsRequest) -> Self {
        Self {
            department: scope.department().map(str::to_owned),
            resident: scope.resident().map(str::to_owned),
            after: After::of(request),
            limit: crate::contract::list_limit(request.limit),
        }
    }
}

/// The end of a list query over the demands aliased `$alias`, filed at column
/// `$filed_at`: the scope, the resume point and the order. [`fetch`] binds it.
#[macro_export]
macro_rules! demand_list_sql {
    ($alias:literal, $filed_at:literal) => {
        concat!(
            "WHERE ($1::text IS NULL OR ",
            $alias,
            ".department = $1)
               AND ($2::text IS NULL OR ",
            $alias,
            ".resident_id = $2)
               AND ($4::timestamptz IS NULL OR (",
            $alias,
            ".",
            $filed_at,
            ", ",
            $alias,
            ".tracking_number) < ($4, $5))
             ORDER BY ",
            $alias,
            ".",
            $filed_at,
            " DESC, ",
            $alias,
            ".tracking_number DESC LIMIT $3"
        )
    };
}

/// Runs `sql` (the silo's select, then [`demand_list_sql!`](crate::demand_list_sql)) for
/// `page`.
pub async fn fetch<O>(pool: &PgPool, sql: &'static str, page: &Page) -> anyhow::Result<Vec<O>>
where
    O: for<'r> FromRow<'r, PgRow> + Send + Unpin,
{
    let (at, number) = After::binds(page.after.as_ref());
    let rows = sqlx::query_as(sql)
        .bind(page.department.as_deref())
        .bind(page.resident.as_deref())
        .bind(page.limit)
        .bind(at)
        .bind(number)
        .fetch_all(pool)
        .await?;
    Ok(rows)
}
