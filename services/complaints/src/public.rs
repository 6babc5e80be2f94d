//! The public face of complaints: the map, duplicates, one complaint's public view,
//! "me too" followers, and Open311 GeoReport v2 (requests and API keys).
//!
//! Public means no description, no person, no tracking number: the number is the key
//! to a complaint (whoever holds it reads and writes in its timeline), the public id is
//! only a reference.

use chrono::{DateTime, Utc};
use guichet_kit::{
    auth::Caller,
    demand::{Error, events as demand_events},
    grpc::{Violation, datetime, timestamp},
    validate::{is_email, is_french_phone, is_latitude, is_longitude},
};
use guichet_proto::{
    complaints::v1::{self as pb, Contact},
    demand::v1::Channel,
    names,
};
use rand::RngCore as _;
use uuid::Uuid;

use crate::{
    events::SERVICE,
    service::Complaints,
    store::{self, Follower},
    views::to_public,
};

/// Most complaints one map or Open311 answer carries.
const MAX_LIST: u32 = 1_000;

fn check_point(lat: f64, lon: f64) -> Result<(), Error> {
    let mut faults = Vec::new();
    if !is_latitude(lat) {
        faults.push(Violation::new(
            "lat",
            "La latitude doit être comprise entre -90 et 90.",
        ));
    }
    if !is_longitude(lon) {
        faults.push(Violation::new(
            "lon",
            "La longitude doit être comprise entre -180 et 180.",
        ));
    }
    if faults.is_empty() {
        Ok(())
    } else {
        Err(Error::Invalid(faults))
    }
}

impl Complaints {
    /// Open complaints around a point, for the app's and the kiosk's maps.
    pub(crate) async fn nearby(
        &self,
        request: &pb::NearbyRequest,
    ) -> Result<pb::PublicComplaints, Error> {
        check_point(request.latitude, request.longitude)?;
        let radius = match request.radius_m {
            0 => self.tuning.nearby_default_radius_m,
            r => r.min(self.tuning.nearby_max_radius_m),
        };
        let limit = match request.limit {
            0 => 200,
            n => n.min(MAX_LIST),
        };
        let category = Some(request.category.trim()).filter(|c| !c.is_empty());
        let rows = store::nearby(
            &self.pool,
            request.latitude,
            request.longitude,
            f64::from(radius),
            category,
            None,
            i64::from(limit),
        )
        .await?;
        Ok(pb::PublicComplaints {
            complaints: rows.iter().map(|r| to_public(r, &[])).collect(),
        })
    }

    /// Open complaints of a category within the duplicate radius of a point: what to
    /// offer a resident before (or after) filing.
    pub(crate) async fn find_duplicates(
        &self,
        request: &pb::FindDuplicatesRequest,
    ) -> Result<pb::PublicComplaints, Error> {
        check_point(request.latitude, request.longitude)?;
        if request.category.trim().is_empty() {
            return Err(Error::field("category", "Choisissez une catégorie."));
        }
        let rows = store::nearby(
            &self.pool,
            request.latitude,
            request.longitude,
            f64::from(self.tuning.duplicate_radius_m),
            Some(request.category.trim()),
            None,
            10,
        )
        .await?;
        Ok(pb::PublicComplaints {
            complaints: rows.iter().map(|r| to_public(r, &[])).collect(),
        })
    }

    /// One complaint's public view, with its status history.
    pub(crate) async fn public(&self, id: &str) -> Result<pb::PublicComplaint, Error> {
        let id: Uuid = id.trim().parse().map_err(|_| Error::NotFound)?;
        let row = store::public(&self.pool, id)
            .await?
            .ok_or(Error::NotFound)?;
        let mut conn = self.pool.acquire().await?;
        let history = guichet_kit::demand::timeline::load(&mut conn, id).await?;
        Ok(to_public(&row, &history))
    }

    /// "Me too": the caller follows an open complaint instead of filing another. A
    /// signed-in resident follows with their account; anyone else leaves an e-mail or
    /// a phone number to hear the outcome.
    #[tracing::instrument(name = "Follow a complaint", skip_all)]
    pub(crate) async fn follow(
        &self,
        caller: &Caller,
        request: pb::FollowRequest,
    ) -> Result<pb::FollowResponse, Error> {
        let id: Uuid = request.id.trim().parse().map_err(|_| Error::NotFound)?;
        let follower = match caller.resident() {
            Some(resident) => Follower {
                resident_id: Some(resident.to_owned()),
                contact_name: caller.claims().map(|c| c.name.clone()).unwrap_or_default(),
                ..Follower::default()
            },
            None => contact_follower(request.contact.unwrap_or_default())?,
        };
        let mut tx = self.pool.begin().await?;
        let complaint = store::lock_by_id(&mut tx, id)
            .await?
            .ok_or(Error::NotFound)?;
        if guichet_kit::contract::is_final(&complaint.status) {
            return Err(Error::Conflict(
                "Ce signalement est clos : il ne peut plus être suivi.",
            ));
        }
        let channel = names::channel(caller.channel());
        let added = store::add_follower(&mut tx, id, &follower, &channel, self.clock.now()).await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(pb::FollowResponse {
            complaint: Some(self.public(&id.to_string()).await?),
            already: !added,
        })
    }

    /// Open311 `GET requests`: by ids (every other filter then ignored), or by service
    /// codes, dates (the last 90 days unless asked) and open/closed.
    pub(crate) async fn requests(
        &self,
        request: &pb::ListRequestsRequest,
    ) -> Result<pb::PublicComplaints, Error> {
        let limit = i64::from(match request.limit {
            0 => MAX_LIST,
            n => n.min(MAX_LIST),
        });
        let rows = if request.ids.is_empty() {
            let start = request.start.as_ref().and_then(datetime);
            let end = request.end.as_ref().and_then(datetime);
            let start = match (start, end) {
                (None, None) => Some(self.clock.now() - chrono::Duration::days(90)),
                (start, _) => start,
            };
            let codes = (!request.service_codes.is_empty()).then_some(&request.service_codes[..]);
            let open = request.statuses.iter().any(|s| s == "open");
            let closed = request.statuses.iter().any(|s| s == "closed");
            let closed = match (open, closed) {
                (true, false) => Some(false),
                (false, true) => Some(true),
                _ => None,
            };
            store::requests(&self.pool, None, codes, start, end, closed, limit).await?
        } else {
            // Ids that are not ours are simply not found.
            let ids: Vec<Uuid> = request
                .ids
                .iter()
                .filter_map(|i| i.trim().parse().ok())
                .collect();
            store::requests(&self.pool, Some(&ids), None, None, None, None, limit).await?
        };
        Ok(pb::PublicComplaints {
            complaints: rows.iter().map(|r| to_public(r, &[])).collect(),
        })
    }

    /// Open311 `POST requests`: a complaint filed by a client application holding an
    /// API key, on the web channel, without an account.
    #[tracing::instrument(name = "File an Open311 request", skip_all)]
    pub(crate) async fn file_open311(
        &self,
        request: pb::FileOpen311Request,
    ) -> Result<pb::FileOpen311Response, Error> {
        let key = request.api_key.trim();
        let label = if key.is_empty() {
            None
        } else {
            store::api_key_label(&self.pool, &guichet_kit::upload::sha256_hex(key.as_bytes()))
                .await?
        };
        let label = label.ok_or(Error::Forbidden("Clé d'API absente ou invalide."))?;
        let mut complaint = request.complaint.unwrap_or_default();
        complaint.channel = Channel::Web as i32;
        complaint.resident_id.clear();
        complaint.siret.clear();
        let filed = self
            .file(&Caller::Anonymous, complaint, Some(label))
            .await?;
        let demand = filed.demand.unwrap_or_default();
        let (row, _) = store::load(&self.pool, &demand.tracking_number)
            .await?
            .ok_or(Error::NotFound)?;
        Ok(pb::FileOpen311Response {
            complaint: Some(self.public(&row.id.to_string()).await?),
            tracking_number: demand.tracking_number,
        })
    }

    /// Administrators revoke an Open311 API key: requests signed with it are refused.
    pub(crate) async fn revoke_api_key(
        &self,
        caller: &Caller,
        id: &str,
    ) -> Result<pb::ApiKey, Error> {
        let admin = administrator(caller)?;
        let id = Uuid::parse_str(id.trim()).map_err(|_| Error::NotFound)?;
        let now: DateTime<Utc> = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let (label, created_at) = store::revoke_api_key(&mut tx, id, now)
            .await?
            .ok_or(Error::NotFound)?;
        let subject = format!("open311_key:{id}");
        let audit = demand_events::audited(SERVICE, admin, "revoke", &subject, now);
        guichet_kit::bus::enqueue(&mut tx, &audit).await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(pb::ApiKey {
            id: id.to_string(),
            label,
            key: String::new(),
            created_at: Some(timestamp(created_at)),
            revoked_at: Some(timestamp(now)),
        })
    }

    /// Administrators list the Open311 keys issued, revoked ones included.
    pub(crate) async fn api_keys(&self, caller: &Caller) -> Result<Vec<pb::ApiKey>, Error> {
        administrator(caller)?;
        let rows = store::api_keys(&self.pool).await?;
        Ok(rows
            .into_iter()
            .map(|(id, label, created_at, revoked_at)| pb::ApiKey {
                id: id.to_string(),
                label,
                key: String::new(),
                created_at: Some(timestamp(created_at)),
                revoked_at: revoked_at.map(timestamp),
            })
            .collect())
    }

    /// Administrators issue an Open311 API key; it is shown once, only its digest kept.
    pub(crate) async fn issue_api_key(
        &self,
        caller: &Caller,
        label: &str,
    ) -> Result<pb::ApiKey, Error> {
        let admin = administrator(caller)?;
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 120 {
            return Err(Error::field(
                "label",
                "Nommez l'application à qui la clé est remise (120 caractères au plus).",
            ));
        }
        let mut secret = [0_u8; 32];
        rand::rng().fill_bytes(&mut secret);
        let key: String = secret.iter().map(|b| format!("{b:02x}")).collect();
        let id = Uuid::now_v7();
        let now: DateTime<Utc> = self.clock.now();
        store::insert_api_key(
            &self.pool,
            id,
            label,
            &guichet_kit::upload::sha256_hex(key.as_bytes()),
            now,
        )
        .await?;
        let mut tx = self.pool.begin().await?;
        let subject = format!("open311_key:{id}");
        let audit = demand_events::audited(SERVICE, admin, "change", &subject, now);
        guichet_kit::bus::enqueue(&mut tx, &audit).await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(pb::ApiKey {
            id: id.to_string(),
            label: label.to_owned(),
            key,
            created_at: Some(timestamp(now)),
            revoked_at: None,
        })
    }
}

/// A follower without an account: an e-mail or a phone number to tell the outcome.
fn contact_follower(contact: Contact) -> Result<Follower, Error> {
    let email = contact.email.trim().to_owned();
    let phone = contact.phone.trim().to_owned();
    let mut faults = Vec::new();
    if email.is_empty() && phone.is_empty() {
        faults.push(Violation::new(
            "contact",
            "Laissez une adresse e-mail ou un numéro de téléphone pour être informé.",
        ));
    }
    if !email.is_empty() && !is_email(&email) {
        faults.push(Violation::new(
            "contact.email",
            "Cette adresse e-mail n'est pas valide.",
        ));
    }
    if !phone.is_empty() && !is_french_phone(&phone) {
        faults.push(Violation::new(
            "contact.phone",
            "Ce numéro de téléphone n'est pas valide (par exemple 06 12 34 56 78).",
        ));
    }
    if !faults.is_empty() {
        return Err(Error::Invalid(faults));
    }
    Ok(Follower {
        resident_id: None,
        contact_name: contact.name.trim().to_owned(),
        contact_email: email,
        contact_phone: phone,
    })
}

/// The caller, when an administrator.
fn administrator(caller: &Caller) -> Result<&guichet_kit::auth::Claims, Error> {
    match caller.claims() {
        None => Err(Error::Unauthenticated),
        Some(c) if c.is_admin() => Ok(c),
        Some(_) => Err(Error::Forbidden("Réservé aux administrateurs.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geo;

    #[test]
    fn a_follower_without_account_leaves_a_valid_contact() {
        assert!(contact_follower(Contact::default()).is_err());
        assert!(
            contact_follower(Contact {
                email: "pas-un-email".into(),
                ..Default::default()
            })
            .is_err()
        );
        let f = contact_follower(Contact {
            name: " Paul ".into(),
            email: "paul@example.fr".into(),
            phone: String::new(),
        })
        .unwrap();
        assert_eq!(f.contact_name, "Paul");
        assert!(f.is_reachable());
    }

    #[test]
    fn distances_are_rounded_to_the_decimetre() {
        let (lat, lon) = geo::offset(43.53, 5.4478, 30.0, 0.0);
        assert!((geo::distance_m(43.53, 5.4478, lat, lon) - 30.0).abs() < 0.1);
    }
}
