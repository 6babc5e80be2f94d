//! The gRPC face of the service: agents' feeds.

use guichet_kit::{
    auth::Verifier,
    grpc::{internal, timestamp},
};
use guichet_proto::{
    names,
    notifications::v1::{FeedItem, ListFeedRequest, ListFeedResponse, feed_server::Feed},
};
use sqlx::PgPool;
use tonic::{Request, Response, Status};

const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

pub struct FeedService {
    pool: PgPool,
    verifier: Verifier,
}

impl FeedService {
    pub fn new(pool: PgPool, verifier: Verifier) -> Self {
        Self { pool, verifier }
    }
}

#[tonic::async_trait]
impl Feed for FeedService {
    async fn list_feed(
        &self,
        request: Request<ListFeedRequest>,
    ) -> Result<Response<ListFeedResponse>, Status> {
        let caller = self.verifier.caller(request.metadata()).await?;
        let agent = caller.require_agent()?;
        let request = request.into_inner();
        // An agent reads the feeds of their own departments, and of the themes they handle.
        let (departments, themes) = if request.departments.is_empty() {
            (agent.departments.clone(), agent.themes.clone())
        } else if request
            .departments
            .iter()
            .all(|d| agent.departments.contains(d))
        {
            (request.departments, Vec::new())
        } else {
            return Err(Status::permission_denied(
                "Ce fil relève d'un autre service.",
            ));
        };
        let limit = match request.limit {
            0 => DEFAULT_LIMIT,
            n => n.min(MAX_LIMIT),
        };
        let rows = crate::feed::list(&self.pool, &departments, &themes, i64::from(limit))
            .await
            .map_err(|e| internal(&e))?;
        Ok(Response::new(ListFeedResponse {
            items: rows
                .into_iter()
                .map(|row| FeedItem {
                    id: row.id.to_string(),
                    department: row.department,
                    tracking_number: row.tracking_number,
                    kind: names::parse_kind(&row.kind).unwrap_or_default() as i32,
                    event_type: row.event_type,
                    title: row.title,
                    at: Some(timestamp(row.at)),
                })
                .collect(),
        }))
    }
}
