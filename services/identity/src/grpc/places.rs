//! The city's contact points: the places where residents are received (town hall,
//! neighbourhood town halls, the MRU and Allô Mairie desks), with their opening hours,
//! exceptional closures and what can be done there. Administrators keep them; anyone
//! lists them, nearest first from a position (the portal's map, a kiosk's "near here").

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use guichet_kit::{
    grpc::{Violation, timestamp},
    validate::{is_french_phone, is_latitude, is_longitude},
};
use guichet_proto::identity::v1::{
    Closure, ContactPoint, DeleteContactPointRequest, DeleteContactPointResponse,
    ListContactPointsRequest, ListContactPointsResponse, OpeningSlot, UpsertContactPointRequest,
    UpsertContactPointResponse, contact_points_server::ContactPoints,
};
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use tonic::{Request, Response, Status};

use super::Core;
use crate::domain::Error;

pub struct ContactPointsService(pub Core);

const KINDS: [&str; 5] = ["mairie", "mairie_annexe", "mru", "allo_mairie", "autre"];

/// A slot as stored (JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slot {
    weekday: u32,
    opens: String,
    closes: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Closed {
    from: String,
    until: String,
    reason: String,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    name: String,
    kind: String,
    address: String,
    latitude: f64,
    longitude: f64,
    phone: String,
    opening_hours: Json<Vec<Slot>>,
    closures: Json<Vec<Closed>>,
    services: Json<Vec<String>>,
    updated_at: DateTime<Utc>,
    /// Set by the upsert: the row was inserted, not updated.
    #[sqlx(default)]
    inserted: bool,
}

const COLUMNS: &str = "id, name, kind, address, latitude, longitude, phone, opening_hours, \
                       closures, services, updated_at";

impl Row {
    fn into_proto(self, distance_m: u32) -> ContactPoint {
        ContactPoint {
            id: self.id,
            name: self.name,
            kind: self.kind,
            address: self.address,
            latitude: self.latitude,
            longitude: self.longitude,
            phone: self.phone,
            opening_hours: self
                .opening_hours
                .0
                .into_iter()
                .map(|s| OpeningSlot {
                    weekday: s.weekday,
                    opens: s.opens,
                    closes: s.closes,
                })
                .collect(),
            closures: self
                .closures
                .0
                .into_iter()
                .map(|c| Closure {
                    from: c.from,
                    until: c.until,
                    reason: c.reason,
                })
                .collect(),
            services: self.services.0,
            distance_m,
            updated_at: Some(timestamp(self.updated_at)),
        }
    }
}

/// Great-circle distance in metres (haversine): plenty for "nearest first" in a city.
fn distance_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    const EARTH_RADIUS_M: f64 = 6_371_000.0;
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let dphi = (lat2 - lat1).to_radians();
    let dlambda = (lon2 - lon1).to_radians();
    let a = (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

fn hour(text: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(text.trim(), "%H:%M").ok()
}

/// Checks a contact point as an administrator wrote it; every fault named.
fn check(point: &ContactPoint) -> Result<(), Error> {
    let mut faults = Vec::new();
    let mut fault = |field: String, text: &str| faults.push(Violation::new(&field, text));
    let id = point.id.trim();
    if id.is_empty()
        || id.len() > 80
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        fault(
            "id".into(),
            "Un code de 1 à 80 caractères : minuscules, chiffres et tirets (hotel-de-ville).",
        );
    }
    if point.name.trim().is_empty() || point.name.chars().count() > 120 {
        fault(
            "name".into(),
            "Indiquez le nom du lieu (120 caractères au plus).",
        );
    }
    if !KINDS.contains(&point.kind.as_str()) {
        fault(
            "kind".into(),
            "Type de lieu : mairie, mairie_annexe, mru, allo_mairie ou autre.",
        );
    }
    if point.address.trim().is_empty() || point.address.chars().count() > 200 {
        fault(
            "address".into(),
            "Indiquez l'adresse (200 caractères au plus).",
        );
    }
    if !is_latitude(point.latitude) {
        fault(
            "latitude".into(),
            "Latitude en degrés décimaux, entre -90 et 90.",
        );
    }
    if !is_longitude(point.longitude) {
        fault(
            "longitude".into(),
            "Longitude en degrés décimaux, entre -180 et 180.",
        );
    }
    if !point.phone.trim().is_empty() && !is_french_phone(&point.phone) {
        fault(
            "phone".into(),
            "Un numéro de téléphone français (04 42 91 90 00).",
        );
    }
    for (i, slot) in point.opening_hours.iter().enumerate() {
        let times = hour(&slot.opens).zip(hour(&slot.closes));
        if !(1..=7).contains(&slot.weekday) || times.is_none_or(|(o, c)| o >= c) {
            fault(
                format!("opening_hours[{i}]"),
                "Un jour de 1 (lundi) à 7 (dimanche) et des heures HH:MM, l'ouverture avant la fermeture.",
            );
        }
    }
    for (i, closure) in point.closures.iter().enumerate() {
        let day = |d: &str| NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").ok();
        if day(&closure.from)
            .zip(day(&closure.until))
            .is_none_or(|(f, u)| f > u)
        {
            fault(
                format!("closures[{i}]"),
                "Des dates AAAA-MM-JJ, le premier jour avant ou égal au dernier.",
            );
        }
    }
    for (i, service) in point.services.iter().enumerate() {
        if service.trim().is_empty() || service.chars().count() > 120 {
            fault(
                format!("services[{i}]"),
                "Chaque démarche possible en quelques mots (120 caractères au plus).",
            );
        }
    }
    if faults.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(faults))
    }
}

#[tonic::async_trait]
impl ContactPoints for ContactPointsService {
    async fn list_contact_points(
        &self,
        request: Request<ListContactPointsRequest>,
    ) -> Result<Response<ListContactPointsResponse>, Status> {
        let request = request.into_inner();
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {COLUMNS} FROM contact_points"
        )))
        .fetch_all(&self.0.pool)
        .await
        .map_err(Error::from)?;
        let from = request.latitude.zip(request.longitude);
        let mut points: Vec<(f64, Row)> = rows
            .into_iter()
            .map(|row| {
                let d = from.map_or(0.0, |from| distance_m(from, (row.latitude, row.longitude)));
                (d, row)
            })
            .collect();
        points.sort_by(|(da, a), (db, b)| da.total_cmp(db).then_with(|| a.name.cmp(&b.name)));
        Ok(Response::new(ListContactPointsResponse {
            contact_points: points
                .into_iter()
                .map(|(d, row)| {
                    // Rounded to the metre; a city is far below u32's range.
                    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
                    let metres = d.round() as u32;
                    row.into_proto(metres)
                })
                .collect(),
        }))
    }

    async fn upsert_contact_point(
        &self,
        request: Request<UpsertContactPointRequest>,
    ) -> Result<Response<UpsertContactPointResponse>, Status> {
        let core = &self.0;
        let admin = core.admin(request.metadata()).await?;
        let point = request.into_inner().contact_point.unwrap_or_default();
        check(&point)?;
        let slots: Vec<Slot> = point
            .opening_hours
            .iter()
            .map(|s| Slot {
                weekday: s.weekday,
                opens: s.opens.trim().to_owned(),
                closes: s.closes.trim().to_owned(),
            })
            .collect();
        let closures: Vec<Closed> = point
            .closures
            .iter()
            .map(|c| Closed {
                from: c.from.trim().to_owned(),
                until: c.until.trim().to_owned(),
                reason: c.reason.trim().to_owned(),
            })
            .collect();
        let services: Vec<String> = point.services.iter().map(|s| s.trim().to_owned()).collect();
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        let row: Row = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "INSERT INTO contact_points ({COLUMNS})
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (id) DO UPDATE SET name = $2, kind = $3, address = $4, latitude = $5,
                 longitude = $6, phone = $7, opening_hours = $8, closures = $9, services = $10,
                 updated_at = $11
             RETURNING {COLUMNS}, (xmax = 0) AS inserted"
        )))
        .bind(point.id.trim())
        .bind(point.name.trim())
        .bind(&point.kind)
        .bind(point.address.trim())
        .bind(point.latitude)
        .bind(point.longitude)
        .bind(point.phone.trim())
        .bind(Json(&slots))
        .bind(Json(&closures))
        .bind(Json(&services))
        .bind(core.now())
        .fetch_one(&mut *tx)
        .await
        .map_err(Error::from)?;
        let created = row.inserted;
        core.audit(
            &mut tx,
            &admin,
            "change",
            &format!("contact_point:{}", row.id),
            if created {
                "lieu créé"
            } else {
                "lieu modifié"
            },
        )
        .await?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(UpsertContactPointResponse {
            contact_point: Some(row.into_proto(0)),
            created,
        }))
    }

    async fn delete_contact_point(
        &self,
        request: Request<DeleteContactPointRequest>,
    ) -> Result<Response<DeleteContactPointResponse>, Status> {
        let core = &self.0;
        let admin = core.admin(request.metadata()).await?;
        let id = request.get_ref().id.trim().to_owned();
        let mut tx = core.pool.begin().await.map_err(Error::from)?;
        let deleted = sqlx::query("DELETE FROM contact_points WHERE id = $1")
            .bind(&id)
            .execute(&mut *tx)
            .await
            .map_err(Error::from)?;
        if deleted.rows_affected() == 0 {
            return Err(Error::NotFound("Aucun lieu ne correspond à ce code.").into());
        }
        core.audit(
            &mut tx,
            &admin,
            "change",
            &format!("contact_point:{id}"),
            "lieu supprimé",
        )
        .await?;
        guichet_kit::bus::commit(tx).await.map_err(Error::from)?;
        Ok(Response::new(DeleteContactPointResponse {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_town_hall_is_a_few_kilometres_from_les_milles() {
        let town_hall = (43.5300, 5.4478);
        let les_milles = (43.5042, 5.3903);
        let d = distance_m(town_hall, les_milles);
        assert!((5_000.0..6_000.0).contains(&d), "{d}");
        assert!(distance_m(town_hall, town_hall) < 1.0);
    }

    #[test]
    fn every_fault_of_a_contact_point_is_named() {
        let point = ContactPoint {
            id: "Hôtel de ville".into(),
            kind: "palais".into(),
            latitude: 123.0,
            phone: "123".into(),
            opening_hours: vec![OpeningSlot {
                weekday: 8,
                opens: "17:00".into(),
                closes: "08:00".into(),
            }],
            closures: vec![Closure {
                from: "2026-12-26".into(),
                until: "2026-12-24".into(),
                reason: String::new(),
            }],
            ..ContactPoint::default()
        };
        let Err(Error::Invalid(faults)) = check(&point) else {
            panic!("accepted");
        };
        let fields: Vec<&str> = faults.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "id",
                "name",
                "kind",
                "address",
                "latitude",
                "phone",
                "opening_hours[0]",
                "closures[0]"
            ]
        );
    }
}
