//! Complaint domain: categories, what a valid new complaint is, and the domain errors.

pub mod geo;
pub mod photos;
pub mod states;

use guichet_kit::{
    auth::{Claims, Role},
    grpc::Violation,
    validate::{is_latitude, is_longitude},
};
use guichet_proto::{
    complaints::v1::{self as pb, FileComplaintRequest},
    demand::v1::Channel,
};

use guichet_kit::validate::{
    first_non_xml_char, has_visible_content, is_email, is_french_phone, non_xml_char_message,
};

/// A complaint category from the city's catalogue.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Category {
    pub code: String,
    pub label: String,
    pub department: String,
    pub priority: String,
    pub sla_days: i32,
    pub competence: String,
}

/// Longest description kept: a few paragraphs, not a document.
const MAX_DESCRIPTION: usize = 4_000;
const MAX_ADDRESS: usize = 300;

/// A complaint that passed validation, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct NewComplaint {
    pub category: Category,
    pub description: String,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: String,
    pub contact_name: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub channel: Channel,
    pub resident_id: Option<String>,
    /// The business (SIRET, name) a professional filed for.
    pub business: Option<(String, String)>,
    /// The Open311 client (API key label) it came through.
    pub open311_client: Option<String>,
}

impl NewComplaint {
    /// Judges a filing; `category` is the catalogue entry for the requested code, if any.
    /// Every problem is reported at once, each with the path of the field at fault.
    pub fn parse(
        request: FileComplaintRequest,
        category: Option<Category>,
        territory: &geo::Territory,
    ) -> Result<Self, Vec<Violation>> {
        let mut problems = Vec::new();
        let mut fault = |field: &str, text: &str| problems.push(Violation::new(field, text));

        if request.category.trim().is_empty() {
            fault("category", "Choisissez une catégorie.");
        } else if category.is_none() {
            fault("category", "Cette catégorie n'existe pas.");
        }
        let description = request.description.trim().to_owned();
        if !has_visible_content(&description) {
            fault("description", "Décrivez le problème constaté.");
        } else if description.chars().count() > MAX_DESCRIPTION {
            fault(
                "description",
                "La description ne doit pas dépasser 4 000 caractères.",
            );
        } else if let Some(c) = first_non_xml_char(&description) {
            fault("description", &non_xml_char_message(c));
        }

        let location = request.location.unwrap_or_default();
        let address = location.address.trim().to_owned();
        match (location.latitude, location.longitude) {
            (Some(lat), _) if !is_latitude(lat) => {
                fault(
                    "location.latitude",
                    "La latitude doit être comprise entre -90 et 90.",
                );
            }
            (_, Some(lon)) if !is_longitude(lon) => {
                fault(
                    "location.longitude",
                    "La longitude doit être comprise entre -180 et 180.",
                );
            }
            (Some(lat), Some(lon)) if !territory.contains(lat, lon) => fault(
                "location",
                &format!(
                    "Ce lieu est hors de la commune de {0} : la ville ne peut pas y intervenir. \
                     Adressez votre signalement à la mairie de la commune où il se trouve.",
                    territory.name
                ),
            ),
            (Some(_), None) => fault("location.longitude", "La longitude manque."),
            (None, Some(_)) => fault("location.latitude", "La latitude manque."),
            (None, None) if address.is_empty() => fault(
                "location",
                "Indiquez l'emplacement : une adresse ou un point sur la carte.",
            ),
            _ => {}
        }
        if address.chars().count() > MAX_ADDRESS {
            fault(
                "location.address",
                "L'adresse ne doit pas dépasser 300 caractères.",
            );
        } else if let Some(c) = first_non_xml_char(&address) {
            fault("location.address", &non_xml_char_message(c));
        }

        let contact = request.contact.unwrap_or_default();
        if let Some(c) = first_non_xml_char(&contact.name) {
            fault("contact.name", &non_xml_char_message(c));
        }
        let contact_email = contact.email.trim().to_owned();
        if !contact_email.is_empty() && !is_email(&contact_email) {
            fault("contact.email", "Cette adresse e-mail n'est pas valide.");
        }
        let contact_phone = contact.phone.trim().to_owned();
        if !contact_phone.is_empty() && !is_french_phone(&contact_phone) {
            fault(
                "contact.phone",
                "Ce numéro de téléphone n'est pas valide (par exemple 06 12 34 56 78).",
            );
        }
        let channel = Channel::try_from(request.channel).unwrap_or(Channel::Unspecified);
        if matches!(channel, Channel::Unspecified | Channel::System) {
            fault("channel", "Canal de dépôt inconnu.");
        }

        match category {
            Some(category) if problems.is_empty() => Ok(Self {
                category,
                description,
                latitude: location.latitude,
                longitude: location.longitude,
                address,
                contact_name: contact.name.trim().to_owned(),
                contact_email,
                contact_phone,
                channel,
                resident_id: Some(request.resident_id).filter(|r| !r.is_empty()),
                business: None,
                open311_client: None,
            }),
            _ => Err(problems),
        }
    }

    /// The demand title residents and agents see: the category, and where.
    pub fn title(&self) -> String {
        title(&self.category.label, &self.address)
    }
}

/// The theme agents' rights and tabs are expressed in.
pub fn theme(category: &str) -> String {
    format!("complaint:{category}")
}

pub fn title(label: &str, address: &str) -> String {
    if address.is_empty() {
        label.to_owned()
    } else {
        format!("{label} — {address}")
    }
}

pub use guichet_kit::demand::Error;

/// The desk every complaint theme belongs to (MRU and Allô Mairie).
pub use guichet_kit::auth::DESK;

/// MRU supervisors see and act on every complaint of the city, whatever its department.
pub fn sees_every_complaint(claims: &Claims) -> bool {
    claims.role == Role::Agent
        && claims.has_role("supervisor")
        && claims.departments.iter().any(|d| d == DESK)
}

/// A department or category code: upper-case letters, digits and `_`.
fn is_code(code: &str, max: usize) -> bool {
    (2..=max).contains(&code.len())
        && code.starts_with(|c: char| c.is_ascii_uppercase())
        && code
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Judges a category an administrator creates or edits; `active` comes with it.
pub fn check_category(category: &pb::Category) -> Result<(Category, bool), Vec<Violation>> {
    let mut problems = Vec::new();
    let code = category.code.trim().to_owned();
    if !is_code(&code, 40) {
        problems.push(Violation::new(
            "code",
            "Le code est fait de majuscules, chiffres et « _ » (40 au plus).",
        ));
    }
    let label = category.label.trim().to_owned();
    if label.is_empty() || label.chars().count() > 120 {
        problems.push(Violation::new(
            "label",
            "Le libellé doit contenir entre 1 et 120 caractères.",
        ));
    }
    let department = category.department.trim().to_owned();
    if !is_code(&department, 30) {
        problems.push(Violation::new("department", "Code de service invalide."));
    }
    if category.sla_days > 365 {
        problems.push(Violation::new(
            "sla_days",
            "Le délai cible ne peut dépasser 365 jours.",
        ));
    }
    let priority = match category.priority.trim() {
        "" => "P2".to_owned(),
        p @ ("P1" | "P2" | "P3") => p.to_owned(),
        _ => {
            problems.push(Violation::new("priority", "Priorité P1, P2 ou P3."));
            String::new()
        }
    };
    let competence = match category.competence.trim() {
        "" => "commune".to_owned(),
        c @ ("commune" | "metropole" | "partagee") => c.to_owned(),
        _ => {
            problems.push(Violation::new(
                "competence",
                "Compétence commune, metropole ou partagee.",
            ));
            String::new()
        }
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok((
        Category {
            code,
            label,
            department,
            priority,
            sla_days: i32::try_from(category.sla_days).unwrap_or(i32::MAX),
            competence,
        },
        category.active,
    ))
}

/// The complaints service's own settings (`[complaints]`, `GUICHET__COMPLAINTS__*`).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(default)]
pub struct Tuning {
    /// An open complaint of the same category within this many metres is offered as a
    /// duplicate (FixMyStreet uses about the same).
    pub duplicate_radius_m: u32,
    /// Radius of the map when the app does not say.
    pub nearby_default_radius_m: u32,
    /// Largest radius a map may ask for: a neighbourhood, not the whole city.
    pub nearby_max_radius_m: u32,
    /// Where complaints are taken (`[complaints.territory]`): Aix-en-Provence unless
    /// configured.
    pub territory: geo::Territory,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            duplicate_radius_m: 50,
            nearby_default_radius_m: 300,
            nearby_max_radius_m: 2_000,
            territory: geo::Territory::default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use guichet_proto::complaints::v1::{Contact, Location};

    fn pothole() -> Category {
        Category {
            code: "NID_DE_POULE".into(),
            label: "Nid-de-poule / chaussée dégradée".into(),
            department: "VOIRIE".into(),
            priority: "P2".into(),
            sla_days: 10,
            competence: "partagee".into(),
        }
    }

    fn request() -> FileComplaintRequest {
        FileComplaintRequest {
            category: "NID_DE_POULE".into(),
            description: "  Un trou profond devant le numéro 12  ".into(),
            location: Some(Location {
                latitude: Some(43.5265),
                longitude: Some(5.4454),
                address: "12 cours Mirabeau".into(),
            }),
            contact: None,
            channel: Channel::Web as i32,
            ..Default::default()
        }
    }

    fn fields(result: Result<NewComplaint, Vec<Violation>>) -> Vec<String> {
        result
            .expect_err("should be refused")
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn a_complete_complaint_is_accepted_and_trimmed() {
        let complaint = NewComplaint::parse(request(), Some(pothole()), &geo::Territory::default())
            .expect("valid");
        assert_eq!(complaint.description, "Un trou profond devant le numéro 12");
        assert_eq!(
            complaint.title(),
            "Nid-de-poule / chaussée dégradée — 12 cours Mirabeau"
        );
    }

    #[test]
    fn an_address_alone_locates_a_complaint() {
        let mut req = request();
        req.location = Some(Location {
            address: "Place de l'Hôtel de Ville".into(),
            ..Default::default()
        });
        assert!(NewComplaint::parse(req, Some(pothole()), &geo::Territory::default()).is_ok());
    }

    #[test]
    fn every_fault_is_reported_with_its_field() {
        let mut req = request();
        req.category = "INCONNUE".into();
        req.description = "   ".into();
        req.location = Some(Location {
            latitude: Some(91.0),
            longitude: Some(5.0),
            address: String::new(),
        });
        req.contact = Some(Contact {
            email: "pas-un-email".into(),
            phone: "12".into(),
            ..Default::default()
        });
        assert_eq!(
            fields(NewComplaint::parse(req, None, &geo::Territory::default())),
            [
                "category",
                "description",
                "location.latitude",
                "contact.email",
                "contact.phone"
            ]
        );
    }

    #[test]
    fn characters_xml_forbids_are_refused_where_they_are() {
        let mut req = request();
        req.description = "Un trou\u{0} profond".into();
        req.location = Some(Location {
            address: "12 cours Mirabeau\u{FFFF}".into(),
            ..Default::default()
        });
        req.contact = Some(Contact {
            name: "Jeanne\u{1B}".into(),
            ..Default::default()
        });
        assert_eq!(
            fields(NewComplaint::parse(
                req,
                Some(pothole()),
                &geo::Territory::default()
            )),
            ["description", "location.address", "contact.name"]
        );
    }

    #[test]
    fn a_complaint_needs_a_place() {
        let mut req = request();
        req.location = None;
        assert_eq!(
            fields(NewComplaint::parse(
                req,
                Some(pothole()),
                &geo::Territory::default()
            )),
            ["location"]
        );
        let mut req = request();
        req.location = Some(Location {
            latitude: Some(43.5),
            longitude: None,
            address: String::new(),
        });
        assert_eq!(
            fields(NewComplaint::parse(
                req,
                Some(pothole()),
                &geo::Territory::default()
            )),
            ["location.longitude"]
        );
        let mut req = request();
        req.location = Some(Location {
            latitude: Some(43.5),
            longitude: Some(-181.0),
            address: String::new(),
        });
        assert_eq!(
            fields(NewComplaint::parse(
                req,
                Some(pothole()),
                &geo::Territory::default()
            )),
            ["location.longitude"]
        );
    }
}
