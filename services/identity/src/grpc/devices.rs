//! Registered devices: kiosks, counters and phone desks (registered by administrators)
//! and app installations (registering themselves). A device's token sets the channel of
//! every session opened through it.

use chrono::{DateTime, Utc};
use guichet_kit::{
    grpc::timestamp,
    validate::{is_latitude, is_longitude},
};
use guichet_proto::{
    demand::v1::Channel,
    identity::v1::{
        Device, DeviceCredentials, DeviceKind, DeviceLoginRequest, GetDeviceRequest,
        GetMyDeviceRequest, ListDevicesRequest, ListDevicesResponse, RegisterDeviceRequest,
        RevokeDeviceRequest, TokenPair, devices_server::Devices,
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

fn kind_of(name: &str) -> DeviceKind {
    match name {
        "kiosk" => DeviceKind::Kiosk,
        "counter" => DeviceKind::Counter,
        "phone" => DeviceKind::Phone,
        _ => DeviceKind::App,
    }
}

/// A device as stored.
#[derive(sqlx::FromRow)]
struct DeviceRow {
    id: Uuid,
    kind: String,
    label: String,
    location: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

/// The columns of a [`DeviceRow`].
const DEVICE_COLUMNS: &str =
    "id, kind, label, location, created_at, revoked_at, latitude, longitude";

impl From<DeviceRow> for Device {
    fn from(row: DeviceRow) -> Self {
        Self {
            id: row.id.to_string(),
            kind: kind_of(&row.kind) as i32,
            label: row.label,
            location: row.location,
            created_at: Some(timestamp(row.created_at)),
            revoked_at: row.revoked_at.map(timestamp),
            latitude: row.latitude,
            longitude: row.longitude,
        }
    }
}

const UNKNOWN_DEVICE: Error = Error::NotFound("Aucun appareil ne correspond à cet identifiant.");

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
        let position = match (request.latitude, request.longitude) {
            (Some(lat), Some(lon)) if is_latitude(lat) && is_longitude(lon) => Some((lat, lon)),
            (None, None) => None,
            _ => {
                return Err(Error::field(
                    "latitude",
                    "Donnez la latitude et la longitude de l'appareil, en degrés décimaux.",
                )
                .into());
            }
        };
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
            "INSERT INTO devices (id, kind, label, location, secret_hash, created_at, latitude, longitude)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id)
        .bind(kind)
        .bind(label)
        .bind(request.location.trim())
        // 256 random bits need no slow hash: a digest is enough and keeps logins fast.
        .bind(digest(&secret))
        .bind(core.now())
        .bind(position.map(|(lat, _)| lat))
        .bind(position.map(|(_, lon)| lon))
        .execute(&mut *tx)
        .await
        .map_err(Error::from)?;
        if let Some(admin) = &admin {
            core.audit(
                &mut tx,
                admin,
                "change",
                &format!("device:{id}"),
                &format!("{} enregistré(e)", kind_in_words(kind)),
            )
            .await?;
        }
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
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
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(pair))
    }

    async fn list_devices(
        &self,
        request: Request<ListDevicesRequest>,
    ) -> Result<Response<ListDevicesResponse>, Status> {
        let core = &self.0;
        core.admin(request.metadata()).await?;
        let rows: Vec<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE kind <> 'app' ORDER BY label, id"
        )))
        .fetch_all(&core.pool)
        .await
        .map_err(Error::from)?;
        Ok(Response::new(ListDevicesResponse {
            devices: rows.into_iter().map(Device::from).collect(),
        }))
    }

    async fn get_device(
        &self,
        request: Request<GetDeviceRequest>,
    ) -> Result<Response<Device>, Status> {
        let core = &self.0;
        core.admin(request.metadata()).await?;
        let id: Uuid = request
            .get_ref()
            .device_id
            .trim()
            .parse()
            .map_err(|_| UNKNOWN_DEVICE)?;
        let row: Option<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1"
        )))
        .bind(id)
        .fetch_optional(&core.pool)
        .await
        .map_err(Error::from)?;
        Ok(Response::new(row.ok_or(UNKNOWN_DEVICE)?.into()))
    }

    async fn revoke_device(
        &self,
        request: Request<RevokeDeviceRequest>,
    ) -> Result<Response<Device>, Status> {
        let core = &self.0;
        let admin = core.admin(request.metadata()).await?;
        let id: Uuid = request
            .get_ref()
            .device_id
            .trim()
            .parse()
            .map_err(|_| UNKNOWN_DEVICE)?;
        let now = core.now();
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        // Revoking twice keeps the first date.
        let row: Option<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "UPDATE devices SET revoked_at = coalesce(revoked_at, $2) WHERE id = $1
                 RETURNING {DEVICE_COLUMNS}"
        )))
        .bind(id)
        .bind(now)
        .fetch_optional(&mut *tx)
        .await
        .map_err(Error::from)?;
        let row = row.ok_or(UNKNOWN_DEVICE)?;
        // Its refresh tokens die with it; its access tokens expire within minutes.
        sqlx::query(
            "UPDATE sessions SET revoked_at = $2, revoked_reason = 'device revoked'
             WHERE device_id = $1 AND revoked_at IS NULL",
        )
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await
        .map_err(Error::from)?;
        core.audit(
            &mut tx,
            &admin,
            "change",
            &format!("device:{id}"),
            &format!("{} révoqué(e)", kind_in_words(&row.kind)),
        )
        .await?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        tracing::info!(device = %id, "device revoked");
        Ok(Response::new(row.into()))
    }

    async fn get_my_device(
        &self,
        request: Request<GetMyDeviceRequest>,
    ) -> Result<Response<Device>, Status> {
        let core = &self.0;
        let claims = match core.caller(request.metadata()).await? {
            Some(claims) if claims.role == guichet_kit::auth::Role::Device => claims,
            Some(_) => return Err(Error::Forbidden("Réservé aux appareils enregistrés.").into()),
            None => return Err(Error::Unauthenticated("Veuillez vous identifier.").into()),
        };
        let id: Uuid = claims.sub.parse().map_err(|_| UNKNOWN_DEVICE)?;
        let row: Option<DeviceRow> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {DEVICE_COLUMNS} FROM devices WHERE id = $1 AND revoked_at IS NULL"
        )))
        .bind(id)
        .fetch_optional(&core.pool)
        .await
        .map_err(Error::from)?;
        Ok(Response::new(row.ok_or(UNKNOWN_DEVICE)?.into()))
    }
}

/// A device's kind as administrators read it in the audit log (French, as every text
/// shown to agents).
fn kind_in_words(kind: &str) -> &str {
    match kind {
        "kiosk" => "borne",
        "counter" => "poste d'accueil",
        "phone" => "poste téléphonique",
        "app" => "application",
        other => other,
    }
}
