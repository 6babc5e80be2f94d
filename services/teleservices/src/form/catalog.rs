//! The city's starting catalogue of teleservices (Aix-en-Provence, from the city's
//! reference data): one file per teleservice, `catalogue/<slug>.json` beside this
//! crate's manifest, each a first version city staff can edit. A file is a definition
//! exactly as designers export it (`GET /api/v1/agent/teleservices/{slug}`, its
//! `definition`) and import it (`POST /api/v1/agent/teleservices`); seeding imports
//! each through that same save. The files are embedded at build time (`build.rs`), so
//! adding a teleservice to the demo catalogue is adding a file.
//!
//! Departments are the identity service's department codes; themes are the
//! `teleservice:*` themes those departments handle there, without the prefix.
//! Service-level targets are demo targets or legal limits, as in the reference data.

/// One definition file of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct File {
    /// `acte-de-naissance.json`: the teleservice's slug, then `.json`.
    pub name: &'static str,
    /// The definition, as a designer's save takes it.
    pub json: &'static str,
}

impl File {
    /// The slug the file is named after (its definition must have the same one).
    pub fn slug(&self) -> &'static str {
        self.name.strip_suffix(".json").unwrap_or(self.name)
    }
}

/// Every file of `catalogue/`, sorted by name.
pub const FILES: &[File] = include!(concat!(env!("OUT_DIR"), "/catalogue.rs"));

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;
    use crate::form::Definition;

    /// Departments and the teleservice themes they handle, as the identity service
    /// seeds them (`migrations/*_departments.sql`).
    const DEPARTMENT_THEMES: &[(&str, &[&str])] = &[
        ("ETAT_CIVIL", &["ETAT_CIVIL"]),
        ("TITRES", &["TITRES"]),
        ("ELECTIONS", &["CITOYENNETE"]),
        ("EDUCATION", &["EDUCATION"]),
        ("URBANISME", &["URBANISME"]),
        ("TECHNIQUE", &["DOMAINE_PUBLIC", "COMMERCE"]),
        ("POLICE_MUN", &["EVENEMENTS", "SECURITE"]),
        ("STATIONNEMENT", &["STATIONNEMENT"]),
        ("FUNERAIRE", &["FUNERAIRE"]),
        ("CCAS", &["SOCIAL"]),
        ("CULTURE", &["VIE_ASSOCIATIVE"]),
        ("SPORTS", &["CULTURE_SPORT"]),
        ("HYGIENE", &["HABITAT"]),
        ("CABINET", &["CONTACT"]),
    ];

    /// Every definition of the catalogue, read as a designer's save reads it.
    fn seed() -> Vec<Definition> {
        FILES
            .iter()
            .map(|file| {
                let json = serde_json::from_str(file.json)
                    .unwrap_or_else(|e| panic!("{}: not JSON: {e}", file.name));
                Definition::from_json(&json)
                    .unwrap_or_else(|faults| panic!("{}: {faults:?}", file.name))
            })
            .collect()
    }

    fn find(slug: &str) -> Definition {
        seed().into_iter().find(|d| d.slug == slug).expect("seeded")
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
    }

    #[test]
    fn every_file_passes_a_designers_checks_and_is_what_an_export_gives_back() {
        assert!(!FILES.is_empty(), "the catalogue directory is embedded");
        for file in FILES {
            let json: serde_json::Value = serde_json::from_str(file.json).unwrap();
            let definition = Definition::from_json(&json)
                .unwrap_or_else(|faults| panic!("{}: {faults:?}", file.name));
            assert_eq!(definition.slug, file.slug(), "named after its slug");
            // Nothing left out or added by the reading: exporting it gives the file back.
            assert_eq!(definition.to_json(), json, "{}", file.name);
        }
    }

    #[test]
    fn the_catalogue_has_at_least_thirty_teleservices_with_distinct_slugs() {
        let seeded = seed();
        assert!(seeded.len() >= 30, "{}", seeded.len());
        let slugs: HashSet<&str> = seeded.iter().map(|d| d.slug.as_str()).collect();
        assert_eq!(slugs.len(), seeded.len());
    }

    #[test]
    fn every_teleservice_goes_to_a_department_that_handles_its_theme() {
        let handled: BTreeMap<&str, &[&str]> = DEPARTMENT_THEMES.iter().copied().collect();
        let mut departments = HashSet::new();
        for definition in seed() {
            let themes = handled
                .get(definition.department.as_str())
                .unwrap_or_else(|| panic!("{}: unknown department", definition.slug));
            assert!(
                themes.contains(&definition.theme.as_str()),
                "{}",
                definition.slug
            );
            departments.insert(definition.department.clone());
        }
        assert_eq!(
            departments.len(),
            DEPARTMENT_THEMES.len(),
            "every department has a teleservice"
        );
    }

    #[test]
    fn civil_status_copies_follow_who_may_ask_rules() {
        let birth = find("acte-de-naissance");
        let mut answers = json!({
            "copy_type": "sans_filiation", "copies": 1,
            "family_name": "Martin", "given_names": "Jeanne", "birth_date": "1984-07-14",
            "requester_family_name": "Dupont", "requester_given_name": "Paul",
            "requester_email": "paul@example.fr",
            "delivery_address": {"street": "1 rue Lisse", "postcode": "13100", "city": "Aix-en-Provence"},
            "parent1_name": "ignoré"
        });
        // Anyone may have an extract without filiation: no capacity, no parents.
        let clean = birth.validate(&answers, &[], today()).unwrap();
        assert!(clean.values.get("parent1_name").is_none());
        // A full copy asks who is asking, and the parents' names.
        answers["copy_type"] = json!("integrale");
        answers.as_object_mut().unwrap().remove("parent1_name");
        let fields: Vec<String> = birth
            .validate(&answers, &[], today())
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["requester_capacity", "parent1_name"]);
        // A parent must prove the link; the person concerned need not.
        answers["parent1_name"] = json!("Martin Louis");
        answers["requester_capacity"] = json!("ascendant");
        let fields: Vec<String> = birth
            .validate(&answers, &[], today())
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["proof_of_link"]);
        answers["requester_capacity"] = json!("self");
        assert!(birth.validate(&answers, &[], today()).is_ok());
        // An extract for use abroad names the parents but does not require them.
        answers["copy_type"] = json!("plurilingue");
        answers.as_object_mut().unwrap().remove("parent1_name");
        assert!(birth.validate(&answers, &[], today()).is_ok());
    }

    #[test]
    fn a_terrace_permit_needs_a_valid_siret() {
        let terrace = find("terrasse-etalage");
        let siret = terrace.field("siret").unwrap();
        assert!(siret.required);
        assert_eq!(siret.prefill.as_deref(), Some("siret"));
        assert!(terrace.audience.requires_account());
        let faults = terrace
            .validate(&json!({"siret": "732 829 320 00075"}), &[], today())
            .unwrap_err();
        assert!(
            faults
                .iter()
                .any(|v| v.field == "siret" && v.description.contains("SIRET"))
        );
    }

    #[test]
    fn the_catalogue_covers_the_areas_the_city_asked_for() {
        let slugs: HashSet<String> = seed().into_iter().map(|d| d.slug).collect();
        for slug in [
            "acte-de-naissance",
            "acte-de-mariage",
            "acte-de-deces",
            "rendez-vous-cni-passeport",
            "inscription-scolaire",
            "inscription-cantine",
            "inscription-periscolaire",
            "inscription-listes-electorales",
            "certificat-urbanisme",
            "declaration-prealable-travaux",
            "occupation-domaine-public",
            "permis-stationnement-benne",
            "terrasse-etalage",
            "reservation-salle-municipale",
            "registre-canicule",
            "domiciliation",
            "courrier-au-maire",
            "contact-service-municipal",
        ] {
            assert!(slugs.contains(slug), "{slug}");
        }
    }
}
