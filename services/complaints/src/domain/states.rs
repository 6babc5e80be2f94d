//! FixMyStreet's states on the shared demand statuses.
//!
//! | FixMyStreet | shared status | sub-status |
//! |---|---|---|
//! | open: confirmed | `submitted` | |
//! | open: investigating | `received` | `investigating` |
//! | open: planned, in progress | `in_progress` | `planned`, `in_progress` |
//! | open: waiting for the resident | `awaiting_resident` | |
//! | fixed | `resolved` | `fixed` |
//! | closed: not responsible | `rejected` (or `closed`) | `not_responsible` |
//! | closed: duplicate, unable to fix | `closed` | `duplicate`, `unable_to_fix` |

use guichet_kit::demand::Error;
use guichet_proto::demand::v1::Status;

/// The sub-statuses an agent may give with `status`, the first one being the default.
fn allowed(status: Status) -> &'static [&'static str] {
    match status {
        Status::Received => &["investigating"],
        Status::InProgress => &["in_progress", "planned"],
        Status::Resolved => &["fixed"],
        Status::Rejected => &["not_responsible"],
        Status::Closed => &["unable_to_fix", "duplicate", "not_responsible"],
        _ => &[],
    }
}

/// The sub-status to store with `status`: the one asked for if it fits, the default
/// of the status if none was given. `closed` needs one, to tell residents why.
pub fn sub_status(status: Status, asked: &str) -> Result<String, Error> {
    let asked = asked.trim();
    let allowed = allowed(status);
    match (asked, allowed.first()) {
        ("", _) if status == Status::Closed => Err(Error::field(
            "sub_status",
            "Précisez pourquoi le signalement est clos : unable_to_fix, duplicate ou not_responsible.",
        )),
        ("", Some(default)) => Ok((*default).to_owned()),
        ("", None) => Ok(String::new()),
        (asked, _) if allowed.contains(&asked) => Ok(asked.to_owned()),
        _ => Err(Error::field(
            "sub_status",
            "Ce sous-statut ne correspond pas au statut choisi.",
        )),
    }
}

/// FixMyStreet's state of a complaint in a stored `status`: `open`, `fixed` or `closed`.
pub fn state(status: &str) -> &'static str {
    match status {
        "resolved" => "fixed",
        "rejected" | "closed" => "closed",
        _ => "open",
    }
}

/// Open311's two statuses.
pub fn open311_status(status: &str) -> &'static str {
    if guichet_kit::contract::is_final(status) {
        "closed"
    } else {
        "open"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_status_has_its_fixmystreet_sub_statuses() {
        assert_eq!(sub_status(Status::Resolved, "").unwrap(), "fixed");
        assert_eq!(
            sub_status(Status::InProgress, "planned").unwrap(),
            "planned"
        );
        assert_eq!(sub_status(Status::Received, "").unwrap(), "investigating");
        assert_eq!(sub_status(Status::Rejected, "").unwrap(), "not_responsible");
        assert_eq!(
            sub_status(Status::Closed, "duplicate").unwrap(),
            "duplicate"
        );
        assert_eq!(sub_status(Status::AwaitingResident, "").unwrap(), "");
        assert!(sub_status(Status::Closed, "").is_err());
        assert!(sub_status(Status::Resolved, "duplicate").is_err());
        assert!(sub_status(Status::AwaitingResident, "planned").is_err());
    }

    #[test]
    fn states_are_open_fixed_or_closed() {
        assert_eq!(state("in_progress"), "open");
        assert_eq!(state("resolved"), "fixed");
        assert_eq!(state("rejected"), "closed");
        assert_eq!(open311_status("resolved"), "closed");
        assert_eq!(open311_status("submitted"), "open");
    }
}
