//! Publishes the public keys every service verifies tokens with.

use guichet_proto::identity::v1::{GetJwksRequest, Jwks, keys_server::Keys};
use tonic::{Request, Response, Status};

use super::Core;
use crate::domain::Error;

pub struct KeysService(pub Core);

#[tonic::async_trait]
impl Keys for KeysService {
    async fn get_jwks(&self, _request: Request<GetJwksRequest>) -> Result<Response<Jwks>, Status> {
        let core = &self.0;
        let json = crate::keys::jwks(&core.pool, core.now(), core.tokens.config().key_grace())
            .await
            .map_err(Error::from)?;
        Ok(Response::new(Jwks { json }))
    }
}
