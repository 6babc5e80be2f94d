//! Prefill: the answers a signed-in resident's profile gives a form before they type
//! anything, and which of them are certified (FranceConnect) and so read-only — the
//! channel shows them locked, and [`Prefill::lock`] puts them back before validation
//! whatever the client sent.

use serde::Serialize;
use serde_json::{Map, Value};

use super::{
    definition::{Definition, Level, ProfileAttribute},
    field::FieldKind,
};

/// Answers taken from the profile.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Prefill {
    /// Field id → answer, in the shape the field expects.
    pub values: Map<String, Value>,
    /// Ids of the fields filled from certified attributes: shown read-only.
    pub read_only: Vec<String>,
}

impl Definition {
    /// The answers `profile` gives this form's top-level fields that name a `prefill`
    /// attribute. An attribute that does not fit the field (a civility that is not one
    /// of the options) fills nothing.
    pub fn prefill(&self, profile: &[ProfileAttribute]) -> Prefill {
        let mut prefill = Prefill::default();
        for field in self.pages.iter().flat_map(|p| &p.fields) {
            let Some(name) = &field.prefill else {
                continue;
            };
            let Some(attribute) = profile
                .iter()
                .filter(|a| &a.name == name && !a.value.trim().is_empty())
                .max_by_key(|a| a.level)
            else {
                continue;
            };
            let Some(value) = shape(&field.kind, attribute.value.trim()) else {
                continue;
            };
            prefill.values.insert(field.id.clone(), value);
            if attribute.level == Level::FranceConnect {
                prefill.read_only.push(field.id.clone());
            }
        }
        prefill
    }
}

impl Prefill {
    /// Puts the certified answers back into `data` (an object of answers), so a client
    /// cannot change what FranceConnect certified.
    pub fn lock(&self, data: &mut Value) {
        let Value::Object(answers) = data else {
            return;
        };
        for id in &self.read_only {
            if let Some(value) = self.values.get(id) {
                answers.insert(id.clone(), value.clone());
            }
        }
    }
}

/// The profile's text in the shape a field of this kind expects.
fn shape(kind: &FieldKind, text: &str) -> Option<Value> {
    match kind {
        FieldKind::Address(_) => Some(Value::Object(split_address(text))),
        FieldKind::Choice(rules) => rules
            .options
            .iter()
            .any(|o| o.value == text)
            .then(|| Value::String(text.to_owned())),
        FieldKind::ShortText(_)
        | FieldKind::LongText(_)
        | FieldKind::Email
        | FieldKind::Phone
        | FieldKind::Date(_)
        | FieldKind::Siret => Some(Value::String(text.to_owned())),
        _ => None,
    }
}

/// Splits `12 cours Mirabeau, 13100 Aix-en-Provence` into street, postcode and city;
/// what does not follow that shape goes into the street for the resident to fix.
fn split_address(text: &str) -> Map<String, Value> {
    let mut parts = Map::new();
    let split = text.rsplit_once(',').and_then(|(street, rest)| {
        let (postcode, city) = rest.trim().split_once(' ')?;
        (postcode.len() == 5 && postcode.bytes().all(|b| b.is_ascii_digit()))
            .then(|| (street.trim(), postcode, city.trim()))
    });
    match split {
        Some((street, postcode, city)) => {
            parts.insert("street".into(), street.into());
            parts.insert("postcode".into(), postcode.into());
            parts.insert("city".into(), city.into());
        }
        None => {
            parts.insert("street".into(), text.into());
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::field::Field;
    use serde_json::json;

    fn attribute(name: &str, value: &str, level: Level) -> ProfileAttribute {
        ProfileAttribute {
            name: name.into(),
            value: value.into(),
            level,
        }
    }

    fn form() -> Definition {
        Definition::new("test", "Test", "CONTACT", "CABINET", 5, "Test").page(
            "Vous",
            vec![
                Field::short_text("family_name", "Nom").prefill("family_name"),
                Field::choice(
                    "civility",
                    "Civilité",
                    &[("M.", "Monsieur"), ("Mme", "Madame")],
                )
                .prefill("civility"),
                Field::address("home", "Adresse").prefill("address"),
                Field::email("email", "E-mail").prefill("email"),
                Field::phone("phone", "Téléphone").prefill("phone"),
            ],
        )
    }

    #[test]
    fn a_profile_fills_the_fields_that_name_its_attributes() {
        let prefill = form().prefill(&[
            attribute("family_name", "Martin", Level::Declared),
            attribute("civility", "Mme", Level::Declared),
            attribute(
                "address",
                "12 cours Mirabeau, 13100 Aix-en-Provence",
                Level::Verified,
            ),
            attribute("email", "jeanne@example.fr", Level::Verified),
        ]);
        assert_eq!(
            Value::Object(prefill.values),
            json!({
                "family_name": "Martin",
                "civility": "Mme",
                "home": {"street": "12 cours Mirabeau", "postcode": "13100", "city": "Aix-en-Provence"},
                "email": "jeanne@example.fr",
            })
        );
        assert!(prefill.read_only.is_empty());
    }

    #[test]
    fn a_value_that_is_not_an_option_fills_nothing() {
        let prefill = form().prefill(&[attribute("civility", "Dr", Level::Declared)]);
        assert!(prefill.values.is_empty());
    }

    #[test]
    fn certified_attributes_are_read_only_and_locked_back_before_validation() {
        let prefill = form().prefill(&[
            attribute("family_name", "Martin", Level::Declared),
            attribute("family_name", "MARTIN", Level::FranceConnect),
        ]);
        assert_eq!(prefill.values["family_name"], "MARTIN");
        assert_eq!(prefill.read_only, ["family_name"]);
        let mut data = json!({"family_name": "Dupont", "phone": "0612345678"});
        prefill.lock(&mut data);
        assert_eq!(
            data,
            json!({"family_name": "MARTIN", "phone": "0612345678"})
        );
    }

    #[test]
    fn an_address_that_does_not_split_goes_in_the_street() {
        assert_eq!(
            Value::Object(split_address("Mas des Cigales")),
            json!({"street": "Mas des Cigales"})
        );
    }
}
