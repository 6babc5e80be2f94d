//! Who may see and act on a demand, the same in every silo.
//!
//! - Agents: demands of their departments or of the themes their departments handle;
//!   the desk (MRU, Allô Mairie) reads and writes to the resident on every demand, but
//!   only handling agents decide.
//! - A demand attached to a resident's account: that resident only.
//! - A demand filed without an account: whoever holds its tracking number; its dossier
//!   (what the resident wrote, their contact, their files) only with the contact left
//!   at filing as proof.

use crate::auth::{Caller, Claims, Role};

use super::Error;

/// How a caller may reach a demand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An agent handling it.
    Agent,
    /// The resident who owns it, or anyone holding the number of an anonymous one.
    Resident,
}

/// Whether `caller` may read (and so write in the timeline of) a demand.
pub fn reach(
    caller: &Caller,
    owner: Option<&str>,
    department: &str,
    theme: &str,
) -> Result<Access, Error> {
    match caller.claims() {
        Some(claims) if claims.role == Role::Agent => {
            if claims.handles(department, theme) || claims.at_desk() {
                Ok(Access::Agent)
            } else {
                Err(Error::Forbidden("Cette demande relève d'un autre service."))
            }
        }
        // The same answer as for a number that does not exist: nothing to probe.
        _ => match owner {
            Some(owner) if caller.resident() != Some(owner) => Err(Error::NotFound),
            _ => Ok(Access::Resident),
        },
    }
}

/// Whether a caller who reached a demand (`access`, from [`reach`]) may read its
/// dossier: agents and the desk, the resident who owns it, or — for a demand filed
/// without an account — whoever gives the e-mail or phone left at filing (`proof`).
pub fn opens_dossier(
    access: Access,
    owner: Option<&str>,
    proof: (&str, &str),
    contact: (&str, &str),
) -> bool {
    match (access, owner) {
        (Access::Agent, _) | (Access::Resident, Some(_)) => true,
        (Access::Resident, None) => super::contact_matches(proof.0, proof.1, contact.0, contact.1),
    }
}

/// Only agents handling a demand change its status.
pub fn handling_agent<'a>(
    caller: &'a Caller,
    department: &str,
    theme: &str,
) -> Result<&'a Claims, Error> {
    match caller.claims() {
        None => Err(Error::Unauthenticated),
        Some(claims) if claims.role == Role::Agent && claims.handles(department, theme) => {
            Ok(claims)
        }
        Some(claims) if claims.role == Role::Agent => {
            Err(Error::Forbidden("Cette demande relève d'un autre service."))
        }
        Some(_) => Err(Error::NotFound),
    }
}

/// Which demands a `ListDemands` call may return.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ListScope {
    /// A resident's own demands.
    Resident(String),
    /// One department of the calling agent.
    Department(String),
}

impl ListScope {
    /// Residents list their own demands; agents one of their departments.
    pub fn for_caller(caller: &Caller, department: &str) -> Result<Self, Error> {
        match caller.claims() {
            None => Err(Error::Unauthenticated),
            Some(claims) if claims.role == Role::Resident => Ok(Self::Resident(claims.sub.clone())),
            Some(claims) if claims.role == Role::Agent => {
                if claims.departments.iter().any(|d| d == department) {
                    Ok(Self::Department(department.to_owned()))
                } else {
                    Err(Error::field("department", "Choisissez un de vos services."))
                }
            }
            Some(_) => Err(Error::Forbidden("Réservé aux usagers et aux agents.")),
        }
    }

    pub fn department(&self) -> Option<&str> {
        match self {
            Self::Department(d) => Some(d),
            Self::Resident(_) => None,
        }
    }

    pub fn resident(&self) -> Option<&str> {
        match self {
            Self::Resident(r) => Some(r),
            Self::Department(_) => None,
        }
    }
}

/// Where a list of demands resumes: after the demand whose sort time is `at` with the
/// tracking number `number` (lists sort by a time, then number — filing time
/// descending for the newest-first lists, due date ascending for work lists; numbers
/// are unique across silos, so pages merge).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct After {
    pub at: chrono::DateTime<chrono::Utc>,
    pub number: String,
}

impl After {
    /// The request's resume point, if it gives one.
    pub fn of(request: &guichet_proto::demand::v1::ListDemandsRequest) -> Option<Self> {
        Self::at(request.before_created_at.as_ref(), &request.before_number)
    }

    /// A resume point from its two protobuf fields, if the time is given.
    pub fn at(at: Option<&prost_types::Timestamp>, number: &str) -> Option<Self> {
        Some(Self {
            at: crate::grpc::datetime(at?)?,
            number: number.to_owned(),
        })
    }

    /// The two values the lists' keyset condition binds:
    /// `($n::timestamptz IS NULL OR (created_at, tracking_number) < ($n, $n+1))`
    /// (`>` for an ascending list).
    pub fn binds(page: Option<&Self>) -> (Option<chrono::DateTime<chrono::Utc>>, &str) {
        page.map_or((None, ""), |p| (Some(p.at), p.number.as_str()))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    fn claims(role: Role, sub: &str, departments: &[&str], themes: &[&str]) -> Caller {
        Caller::Token(Box::new(Claims {
            iss: String::new(),
            aud: String::new(),
            sub: sub.into(),
            exp: 0,
            iat: 0,
            jti: String::new(),
            role,
            roles: vec![],
            departments: departments.iter().map(|d| (*d).to_owned()).collect(),
            themes: themes.iter().map(|t| (*t).to_owned()).collect(),
            channel: "web".into(),
            device: None,
            sid: None,
            name: String::new(),
            businesses: Vec::new(),
        }))
    }

    #[test]
    fn an_owned_demand_is_for_its_owner_only() {
        let owner = claims(Role::Resident, "a", &[], &[]);
        let other = claims(Role::Resident, "b", &[], &[]);
        assert_eq!(
            reach(&owner, Some("a"), "VOIRIE", "complaint:X").unwrap(),
            Access::Resident
        );
        assert!(matches!(
            reach(&other, Some("a"), "VOIRIE", "complaint:X"),
            Err(Error::NotFound)
        ));
        assert!(matches!(
            reach(&Caller::Anonymous, Some("a"), "VOIRIE", "complaint:X"),
            Err(Error::NotFound)
        ));
    }

    #[test]
    fn an_anonymous_demand_is_for_whoever_holds_its_number() {
        let anyone = claims(Role::Resident, "b", &[], &[]);
        assert!(reach(&anyone, None, "VOIRIE", "complaint:X").is_ok());
        assert!(reach(&Caller::Anonymous, None, "VOIRIE", "complaint:X").is_ok());
    }

    #[test]
    fn agents_reach_their_departments_and_themes_only() {
        let roads = claims(Role::Agent, "r", &["VOIRIE"], &[]);
        let desk = claims(Role::Agent, "m", &["MRU"], &["complaint:NID_DE_POULE"]);
        assert!(reach(&roads, Some("a"), "VOIRIE", "complaint:NID_DE_POULE").is_ok());
        assert!(reach(&roads, None, "POLICE_MUN", "complaint:STATIONNEMENT_GENANT").is_err());
        assert!(reach(&desk, None, "VOIRIE", "complaint:NID_DE_POULE").is_ok());
        assert!(handling_agent(&roads, "POLICE_MUN", "complaint:STATIONNEMENT_GENANT").is_err());
        assert!(handling_agent(&claims(Role::Resident, "a", &[], &[]), "VOIRIE", "x").is_err());
    }

    #[test]
    fn the_desk_reads_every_demand_but_decides_none() {
        let desk = claims(Role::Agent, "m", &["MRU"], &[]);
        assert_eq!(
            reach(&desk, Some("a"), "POLICE_MUN", "rapo").unwrap(),
            Access::Agent
        );
        assert!(handling_agent(&desk, "POLICE_MUN", "rapo").is_err());
    }

    #[test]
    fn a_dossier_opens_to_agents_owners_and_the_contact_given_at_filing() {
        let none = ("", "");
        assert!(opens_dossier(Access::Agent, None, none, none));
        // reach() already refused anyone else for an owned demand.
        assert!(opens_dossier(Access::Resident, Some("a"), none, none));
        let left = ("jeanne@example.fr", "06 12 34 56 78");
        assert!(!opens_dossier(Access::Resident, None, none, left));
        assert!(!opens_dossier(
            Access::Resident,
            None,
            ("autre@example.fr", ""),
            left
        ));
        assert!(opens_dossier(
            Access::Resident,
            None,
            ("", "+33612345678"),
            left
        ));
        assert!(!opens_dossier(Access::Resident, None, none, none));
    }

    #[test]
    fn lists_are_a_residents_own_or_one_of_the_agents_departments() {
        let resident = claims(Role::Resident, "a", &[], &[]);
        let roads = claims(Role::Agent, "r", &["VOIRIE"], &[]);
        assert_eq!(
            ListScope::for_caller(&resident, "POLICE_MUN").unwrap(),
            ListScope::Resident("a".into())
        );
        assert_eq!(
            ListScope::for_caller(&roads, "VOIRIE").unwrap(),
            ListScope::Department("VOIRIE".into())
        );
        assert!(ListScope::for_caller(&roads, "POLICE_MUN").is_err());
        assert!(ListScope::for_caller(&Caller::Anonymous, "VOIRIE").is_err());
    }
}
