//! Who may see and act on a complaint.
//!
//! - Agents: complaints of their departments or of the themes their departments handle.
//! - A complaint attached to a resident's account: that resident only.
//! - A complaint filed without an account: whoever holds its tracking number.

use guichet_kit::auth::{Caller, Claims, Role};

use super::Error;

/// How a caller may reach a complaint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// An agent handling it.
    Agent,
    /// The resident who owns it, or anyone holding the number of an anonymous one.
    Resident,
}

/// Whether `caller` may read (and so write in the timeline of) a complaint.
pub fn reach(
    caller: &Caller,
    owner: Option<&str>,
    department: &str,
    theme: &str,
) -> Result<Access, Error> {
    match caller.claims() {
        Some(claims) if claims.role == Role::Agent => {
            if claims.handles(department, theme) {
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

/// Only agents handling a complaint change its status.
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

#[cfg(test)]
mod tests {
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
    fn an_owned_complaint_is_for_its_owner_only() {
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
    fn an_anonymous_complaint_is_for_whoever_holds_its_number() {
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
}
