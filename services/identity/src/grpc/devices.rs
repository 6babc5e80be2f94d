//! Registered devices: kiosks, counters and phone desks (registered by administrators)
//! and app installations (registering themselves). A device's token sets the channel of
//! every session opened through it.

use guichet_proto::{
    demand::v1::Channel,
    identity::v1::{
        DeviceCredentials, DeviceKind, DeviceLoginRequest, RegisterDeviceRequest, TokenPair,
        devices_server::Devices,
    },
};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use super::{Core, address};
use crate::{
    domain::Error,
    throttle,
    tokens::{Kind, NewSession, digest},
};

pub struct DevicesService(pub Core);

fn kind_name(kind: DeviceKind) -> Option<&'static str> {
    match kind {
        DeviceKind::Kiosk => Some("kiosk"),
        DeviceKind::Counter => Some("counter"),
        DeviceKind::Phone => Some("phone"),
        DeviceKind::App => Some("app"),
        DeviceKind::Unspecified => None,
    }
}

fn channel_of(kind: &str) -> Channel {
    match kind {
        "kiosk" => Channel::Kiosk,
        "counter" => Channel::Counter,
        "phone" => Channel::Phone,
        _ => Channel::App,
    }
}

#[tonic::async_trait]
impl Devices for DevicesService {
    async fn register_device(
        &self,
        request: Request<RegisterDeviceRequest>,
    ) -> Result<Response<DeviceCredentials>, Status> {
        let core = &self.0;
        let kind = request.get_ref().kind();
        let admin = if kind == DeviceKind::App {
            None
        } else {
            Some(core.admin(request.metadata()).await?)
        };
        let request = request.into_inner();
        let Some(kind) = kind_name(kind) else {
            return Err(Error::field(
                "kind",
                "Type d'appareil inconnu : kiosk, counter, phone ou app.",
            )
            .into());
        };
        let label = request.label.trim();
        if label.is_empty() || label.chars().count() > 100 {
            return Err(Error::field(
                "label",
                "Indiquez un nom d'appareil (100 caractères au plus).",
            )
            .into());
        }
        let id = Uuid::now_v7();
        let secret = {
            use base64::{Engine as _, engine::general_purpose::URL_SAFE_NO_PAD};
            use rand::RngCore as _;
            let mut bytes = [0u8; 32];
            rand::rng().fill_bytes(&mut bytes);
            URL_SAFE_NO_PAD.encode(bytes)
        };
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        sqlx::query(
            "INSERT INTO devices (id, kind, label, location, secret_hash, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id)
        .bind(kind)
        .bind(label)
        .bind(request.location.trim())
        // 256 random bits need no slow hash: a digest is enough and keeps logins fast.
        .bind(digest(&secret))
        .bind(core.now())
        .execute(&mut *tx)
        .await
        .map_err(Error::from)?;
        if let Some(admin) = &admin {
            core.audit(
                &mut tx,
                admin,
                "change",
                &format!("device:{id}"),
                &format!("{kind} registered"),
            )
            .await?;
        }
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(DeviceCredentials {
            device_id: id.to_string(),
            secret,
        }))
    }

    async fn device_login(
        &self,
        request: Request<DeviceLoginRequest>,
    ) -> Result<Response<TokenPair>, Status> {
        let core = &self.0;
        let request = request.into_inner();
        let attempt = throttle::Attempt::new(
            &format!("device/{}", request.device_id.trim()),
            address(request.client.as_ref()),
        );
        let gate = core.throttle.check(&attempt).await?;
        let id: Option<Uuid> = request.device_id.trim().parse().ok();
        let device: Option<(Uuid, String)> = match id {
            Some(id) => sqlx::query_as(
                "SELECT id, kind FROM devices WHERE id = $1 AND secret_hash = $2 AND revoked_at IS NULL",
            )
            .bind(id)
            .bind(digest(&request.secret))
            .fetch_optional(&core.pool)
            .await
            .map_err(Error::from)?,
            None => None,
        };
        let Some((id, kind)) = device else {
            // Both outcomes cost one indexed lookup of a digest: no Argon2 to equalise
            // (device secrets are 256 random bits, stored as SHA-256 digests).
            return Err(core
                .throttle
                .failed(&attempt, gate, "Appareil inconnu ou secret incorrect.")
                .await
                .into());
        };
        core.throttle.succeeded(&attempt).await?;
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        let session = NewSession {
            subject: id,
            kind: Kind::Device,
            channel: channel_of(&kind),
            device_id: Some(id),
            fc_id_token: None,
        };
        let pair = core.tokens.open(&mut tx, &session).await?;
        tx.commit().await.map_err(Error::from)?;
        Ok(Response::new(pair))
    }
}
