//! A teleservice's definition: what it is (title, slug, theme, department), who may
//! file it and on which channels, its service-level target and sub-statuses, and its
//! pages of fields. One definition is one version: stored as JSONB, served as JSON to
//! every channel, and the only thing the validator judges a submission against.
//!
//! These are the types at the bottom of the form generator: reading a designer's JSON
//! and checking it ([`Definition::from_json`], [`Definition::check`]) live in `check`,
//! judging answers in `validate`, both above this module.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{condition::Condition, field::Field};

/// One version of a teleservice, as its designer wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Definition {
    /// The address of the teleservice (`acte-de-naissance`): lowercase letters, digits
    /// and single dashes.
    pub slug: String,
    /// The name residents see (« Demande d'acte de naissance »).
    pub title: String,
    /// The theme agents' tabs and rights are made of (`ETAT_CIVIL`, `DOMAINE_PUBLIC`),
    /// without the `teleservice:` prefix.
    pub theme: String,
    /// The department demands are routed to (`ETAT_CIVIL`, `TECHNIQUE`).
    pub department: String,
    /// What the procedure is for and what to have at hand, in French.
    pub description: String,
    /// Who may file.
    pub audience: Audience,
    /// Where residents may file it from.
    pub channels: Vec<Channel>,
    /// Service-level target: days from a complete file to the answer; sets the due date.
    pub sla_days: u32,
    /// The finer statuses agents may set on these demands.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sub_statuses: Vec<SubStatus>,
    /// The pages of the form, in order; answers are keyed by field id whatever the page.
    pub pages: Vec<Page>,
}

/// One page of a form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Page {
    /// The page's heading.
    pub title: String,
    /// The whole page is shown only while this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<Condition>,
    /// Its fields, in order.
    pub fields: Vec<Field>,
}

/// Who may file a teleservice. JSON: `{"access": "anonymous"}` or `{"access":
/// "account", "minimum_levels": {"family_name": "franceconnect"}}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "access", rename_all = "snake_case")]
pub enum Audience {
    /// Anyone, signed in or not.
    Anonymous,
    /// Signed-in residents whose profile attributes are known at least this well.
    Account {
        /// Attribute name → weakest level accepted.
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        minimum_levels: BTreeMap<String, Level>,
    },
}

pub use guichet_kit::profile::Level;

/// A channel residents file from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// The web portal.
    Web,
    /// The mobile app.
    App,
    /// A street kiosk.
    Kiosk,
    /// A desk agent filing on a resident's behalf.
    Counter,
    /// A phone agent filing on a resident's behalf.
    Phone,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 5] = [
        Channel::Web,
        Channel::App,
        Channel::Kiosk,
        Channel::Counter,
        Channel::Phone,
    ];
}

/// The shared demand statuses a sub-status refines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DemandStatus {
    /// Filed, not yet seen.
    Submitted,
    /// Seen by the department.
    Received,
    /// Being handled.
    InProgress,
    /// Waiting for the resident's answer.
    AwaitingResident,
    /// Answered favourably.
    Resolved,
    /// Refused, with a reason.
    Rejected,
    /// Done with.
    Closed,
}

/// A finer status of this teleservice's demands (« Rendez-vous proposé »).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubStatus {
    /// Stable code (`rdv_propose`): lowercase, digits, underscores.
    pub code: String,
    /// What residents and agents read, in French.
    pub label: String,
    /// The shared status it refines.
    pub status: DemandStatus,
}

/// One attribute of a resident's profile, as the identity service knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileAttribute {
    /// `family_name`, `email`, `siret`… (see [`guichet_kit::profile::is_form_attribute`]).
    pub name: String,
    /// Its value, as the identity service stores it.
    pub value: String,
    /// How well it is known.
    pub level: Level,
}

/// Whether a requester may file a teleservice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Admission {
    /// They may.
    Admitted,
    /// They must sign in first.
    SignInRequired,
    /// Some attributes are not known well enough (or not at all).
    LevelTooLow(Vec<MissingLevel>),
}

/// An attribute whose level is below what the teleservice asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingLevel {
    /// The attribute.
    pub attribute: String,
    /// The weakest level accepted.
    pub required: Level,
    /// The level the profile has, if the attribute is there at all.
    pub actual: Option<Level>,
}

impl Admission {
    /// A French sentence saying what to do, or `None` when admitted.
    pub fn message(&self) -> Option<&'static str> {
        match self {
            Admission::Admitted => None,
            Admission::SignInRequired => Some("Connectez-vous pour effectuer cette démarche."),
            Admission::LevelTooLow(missing) => Some(
                if missing.iter().any(|m| m.required == Level::FranceConnect) {
                    "Cette démarche demande une identité certifiée : connectez-vous avec \
                     FranceConnect."
                } else {
                    "Cette démarche demande des informations vérifiées : faites-les vérifier \
                     depuis votre profil ou à un guichet."
                },
            ),
        }
    }
}

impl Audience {
    /// Whether a requester may file: `profile` is `None` for someone not signed in.
    pub fn admits(&self, profile: Option<&[ProfileAttribute]>) -> Admission {
        let Audience::Account { minimum_levels } = self else {
            return Admission::Admitted;
        };
        let Some(profile) = profile else {
            return Admission::SignInRequired;
        };
        let missing: Vec<MissingLevel> = minimum_levels
            .iter()
            .filter_map(|(attribute, &required)| {
                let actual = profile
                    .iter()
                    .filter(|a| &a.name == attribute && !a.value.trim().is_empty())
                    .map(|a| a.level)
                    .max();
                (actual < Some(required)).then(|| MissingLevel {
                    attribute: attribute.clone(),
                    required,
                    actual,
                })
            })
            .collect();
        if missing.is_empty() {
            Admission::Admitted
        } else {
            Admission::LevelTooLow(missing)
        }
    }

    /// Whether filing needs an account.
    pub fn requires_account(&self) -> bool {
        matches!(self, Audience::Account { .. })
    }
}

/// Builders for the unit tests. The catalogue is data (`catalogue/*.json`) and
/// designers send JSON: only tests build a definition in Rust.
#[cfg(test)]
impl Definition {
    /// A definition open to anyone on every channel, with no page yet; add pages with
    /// [`Definition::page`].
    pub fn new(
        slug: &str,
        title: &str,
        theme: &str,
        department: &str,
        sla_days: u32,
        description: &str,
    ) -> Self {
        Self {
            slug: slug.to_owned(),
            title: title.to_owned(),
            theme: theme.to_owned(),
            department: department.to_owned(),
            description: description.to_owned(),
            audience: Audience::Anonymous,
            channels: Channel::ALL.to_vec(),
            sla_days,
            sub_statuses: Vec::new(),
            pages: Vec::new(),
        }
    }

    /// Adds a page.
    #[must_use]
    pub fn page(mut self, title: &str, fields: Vec<Field>) -> Self {
        self.pages.push(Page {
            title: title.to_owned(),
            visible_if: None,
            fields,
        });
        self
    }

    /// Restricts filing to signed-in residents with these minimum levels.
    #[must_use]
    pub fn account_required(mut self, minimum_levels: &[(&str, Level)]) -> Self {
        self.audience = Audience::Account {
            minimum_levels: minimum_levels
                .iter()
                .map(|(name, level)| ((*name).to_owned(), *level))
                .collect(),
        };
        self
    }

    /// Restricts the channels.
    #[must_use]
    pub fn channels(mut self, channels: &[Channel]) -> Self {
        self.channels = channels.to_vec();
        self
    }

    /// Adds a sub-status.
    #[must_use]
    pub fn sub_status(mut self, code: &str, label: &str, status: DemandStatus) -> Self {
        self.sub_statuses.push(SubStatus {
            code: code.to_owned(),
            label: label.to_owned(),
            status,
        });
        self
    }
}

impl Definition {
    /// The definition as served to every channel, stored, and exported: what
    /// [`Definition::from_json`] reads back.
    pub fn to_json(&self) -> Value {
        // Plain data with string keys: serialising it cannot fail.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// Whether residents may file from `channel`.
    pub fn accepts(&self, channel: Channel) -> bool {
        self.channels.contains(&channel)
    }

    /// The sub-status with this code.
    pub fn find_sub_status(&self, code: &str) -> Option<&SubStatus> {
        self.sub_statuses.iter().find(|s| s.code == code)
    }

    /// Every field in declaration order, nested fields right after their block.
    pub fn fields(&self) -> impl Iterator<Item = &Field> {
        self.pages
            .iter()
            .flat_map(|p| &p.fields)
            .flat_map(|f| std::iter::once(f).chain(f.children()))
    }

    /// The field with this id, nested or not.
    pub fn field(&self, id: &str) -> Option<&Field> {
        self.fields().find(|f| f.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attribute(name: &str, level: Level) -> ProfileAttribute {
        ProfileAttribute {
            name: name.into(),
            value: "Martin".into(),
            level,
        }
    }

    #[test]
    fn levels_are_ordered_weakest_first_and_named_as_in_identity() {
        assert!(Level::Declared < Level::Verified);
        assert!(Level::Verified < Level::CheckedAtCounter);
        assert!(Level::CheckedAtCounter < Level::FranceConnect);
        assert_eq!(
            serde_json::to_value(Level::FranceConnect).unwrap(),
            json!("franceconnect")
        );
        assert_eq!(
            serde_json::to_value(Level::CheckedAtCounter).unwrap(),
            json!("checked_at_counter")
        );
    }

    #[test]
    fn an_anonymous_teleservice_admits_anyone() {
        assert_eq!(Audience::Anonymous.admits(None), Admission::Admitted);
    }

    #[test]
    fn an_account_teleservice_asks_to_sign_in_then_checks_levels() {
        let audience = Audience::Account {
            minimum_levels: [("family_name".to_owned(), Level::CheckedAtCounter)].into(),
        };
        assert_eq!(audience.admits(None), Admission::SignInRequired);
        assert!(
            audience
                .admits(None)
                .message()
                .unwrap()
                .contains("Connectez-vous")
        );
        assert_eq!(
            audience.admits(Some(&[attribute("family_name", Level::FranceConnect)])),
            Admission::Admitted
        );
        let refused = audience.admits(Some(&[attribute("family_name", Level::Verified)]));
        assert_eq!(
            refused,
            Admission::LevelTooLow(vec![MissingLevel {
                attribute: "family_name".into(),
                required: Level::CheckedAtCounter,
                actual: Some(Level::Verified),
            }])
        );
        assert!(refused.message().unwrap().contains("vérifiées"));
        assert!(matches!(
            audience.admits(Some(&[])),
            Admission::LevelTooLow(m) if m[0].actual.is_none()
        ));
    }

    #[test]
    fn an_audience_reads_as_json() {
        let audience: Audience = serde_json::from_value(json!({
            "access": "account", "minimum_levels": {"birthdate": "franceconnect"}
        }))
        .unwrap();
        assert!(audience.requires_account());
        assert_eq!(
            serde_json::from_value::<Audience>(json!({"access": "anonymous"})).unwrap(),
            Audience::Anonymous
        );
    }
}
