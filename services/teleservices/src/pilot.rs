//! Who may use a teleservice while it is piloted: agents only (the intranet trial), a
//! named cohort of residents, or a stable share of residents. The share is decided from
//! a hash of the teleservice and the account id, so a resident gets the same answer on
//! every channel and every day, and each pilot draws a different share.

use guichet_kit::{
    auth::{Caller, Role},
    demand::Error,
};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A pilot's audience, as stored (JSONB) and sent by designers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Pilot {
    Agents,
    Cohort { residents: Vec<String> },
    Percentage { percentage: u8 },
}

impl Pilot {
    /// Reads what a designer asked for; every fault names its field.
    pub fn parse(mode: &str, residents: &[String], percentage: u32) -> Result<Self, Error> {
        match mode {
            "agents" => Ok(Self::Agents),
            "cohort" => {
                let residents: Vec<String> = residents
                    .iter()
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty())
                    .collect();
                if residents.is_empty() {
                    return Err(Error::field(
                        "pilot.residents",
                        "Indiquez les comptes des usagers du panel.",
                    ));
                }
                Ok(Self::Cohort { residents })
            }
            "percentage" => match u8::try_from(percentage) {
                Ok(percentage @ 1..=99) => Ok(Self::Percentage { percentage }),
                _ => Err(Error::field(
                    "pilot.percentage",
                    "Le pourcentage d'usagers doit être compris entre 1 et 99.",
                )),
            },
            _ => Err(Error::field(
                "pilot.mode",
                "Choisissez le public du pilote : agents, cohort ou percentage.",
            )),
        }
    }

    /// Whether `caller` is in this pilot of teleservice `slug`. Agents always are: they
    /// handle its demands and file at counters.
    pub fn admits(&self, slug: &str, caller: &Caller) -> bool {
        match caller.claims() {
            Some(claims) if claims.role == Role::Agent => true,
            Some(claims) if claims.role == Role::Resident => match self {
                Self::Agents => false,
                Self::Cohort { residents } => residents.contains(&claims.sub),
                Self::Percentage { percentage } => bucket(slug, &claims.sub) < *percentage,
            },
            _ => false,
        }
    }
}

/// A resident's place, 0 to 99, in the pilots of one teleservice.
pub fn bucket(slug: &str, account_id: &str) -> u8 {
    let digest = Sha256::digest(format!("{slug}\u{0}{account_id}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    // The remainder is below 100, so it fits.
    u8::try_from(u64::from_be_bytes(first) % 100).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    #[test]
    fn a_percentage_pilot_admits_about_that_share_and_always_the_same_residents() {
        let pilot = Pilot::Percentage { percentage: 20 };
        let ids: Vec<String> = (0..5_000).map(|i| format!("resident-{i}")).collect();
        let admitted = ids
            .iter()
            .filter(|id| bucket("carte-scolaire", id) < 20)
            .count();
        assert!((800..1_200).contains(&admitted), "{admitted} of 5000");
        for id in ids.iter().take(50) {
            assert_eq!(bucket("carte-scolaire", id), bucket("carte-scolaire", id));
        }
        // Each teleservice draws its own share.
        let same = ids
            .iter()
            .filter(|id| (bucket("a", id) < 20) == (bucket("b", id) < 20))
            .count();
        assert!(same < 4_900);
        assert!(!pilot.admits("x", &Caller::Anonymous));
    }

    #[test]
    fn a_designer_gets_a_clear_error_for_a_bad_pilot() {
        assert!(Pilot::parse("percentage", &[], 0).is_err());
        assert!(Pilot::parse("percentage", &[], 100).is_err());
        assert!(Pilot::parse("cohort", &[" ".into()], 0).is_err());
        assert!(Pilot::parse("everyone", &[], 0).is_err());
        assert_eq!(
            Pilot::parse("percentage", &[], 10).unwrap(),
            Pilot::Percentage { percentage: 10 }
        );
    }
}
