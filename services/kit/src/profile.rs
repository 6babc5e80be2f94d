//! A resident's profile as every service speaks of it: which attributes it may hold and
//! how well each is known. The identity service keeps the profile; forms prefill from
//! it and may require a minimum level for an attribute.

use guichet_proto::identity::v1 as pb;
use serde::{Deserialize, Serialize};

/// How well an attribute is known, weakest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Typed by the resident.
    Declared = 1,
    /// Checked by the platform (a code sent to the address or phone).
    Verified = 2,
    /// Checked by an agent against a document at a counter.
    CheckedAtCounter = 3,
    /// Certified by FranceConnect: the resident cannot edit it.
    #[serde(rename = "franceconnect")]
    FranceConnect = 4,
}

impl Level {
    /// The level stored as a small integer; anything unknown is the weakest.
    pub fn from_db(value: i16) -> Self {
        match value {
            4 => Level::FranceConnect,
            3 => Level::CheckedAtCounter,
            2 => Level::Verified,
            _ => Level::Declared,
        }
    }

    pub fn to_proto(self) -> pb::Level {
        match self {
            Level::Declared => pb::Level::Declared,
            Level::Verified => pb::Level::Verified,
            Level::CheckedAtCounter => pb::Level::CheckedAtCounter,
            Level::FranceConnect => pb::Level::Franceconnect,
        }
    }

    pub fn from_proto(level: pb::Level) -> Self {
        match level {
            pb::Level::Franceconnect => Level::FranceConnect,
            pb::Level::CheckedAtCounter => Level::CheckedAtCounter,
            pb::Level::Verified => Level::Verified,
            pb::Level::Declared | pb::Level::Unspecified => Level::Declared,
        }
    }
}

/// The attributes a resident's profile holds.
pub const ATTRIBUTES: &[&str] = &[
    "civility",
    "given_name",
    "family_name",
    "preferred_username",
    "gender",
    "birthdate",
    "birthplace",
    "birthcountry",
    "address",
    "phone",
    "preferred_channels",
];

/// Besides [`ATTRIBUTES`], what a form may read from an account: its e-mail and the
/// SIRET of a business on it.
pub const ACCOUNT_ATTRIBUTES: &[&str] = &["email", "siret"];

/// Whether a form may prefill from, or set a minimum level on, `name`.
pub fn is_form_attribute(name: &str) -> bool {
    ATTRIBUTES.contains(&name) || ACCOUNT_ATTRIBUTES.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_order_from_declared_to_franceconnect_and_survive_storage() {
        assert!(Level::Declared < Level::Verified);
        assert!(Level::CheckedAtCounter < Level::FranceConnect);
        for level in [
            Level::Declared,
            Level::Verified,
            Level::CheckedAtCounter,
            Level::FranceConnect,
        ] {
            assert_eq!(Level::from_db(level as i16), level);
            assert_eq!(Level::from_proto(level.to_proto()), level);
        }
        assert!(is_form_attribute("siret") && is_form_attribute("birthdate"));
        assert!(!is_form_attribute("password"));
    }
}
