//! Generated code for every Guichet protobuf package. Nothing here is written by hand
//! except the module tree and the descriptor set used by gRPC reflection.

/// Well-known types (`Timestamp`), re-exported so services need no extra dependency.
pub use prost_types;

/// Encoded `FileDescriptorSet` of every package, for gRPC reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("guichet_descriptor");

pub mod demand {
    #[allow(clippy::all, clippy::pedantic)] // generated code
    pub mod v1 {
        tonic::include_proto!("guichet.demand.v1");
    }
}

pub mod complaints {
    #[allow(clippy::all, clippy::pedantic)] // generated code
    pub mod v1 {
        tonic::include_proto!("guichet.complaints.v1");
    }
}

pub mod events {
    #[allow(clippy::all, clippy::pedantic)] // generated code
    pub mod v1 {
        tonic::include_proto!("guichet.events.v1");
    }
}

pub mod identity {
    #[allow(clippy::all, clippy::pedantic)] // generated code
    pub mod v1 {
        tonic::include_proto!("guichet.identity.v1");
    }
}

pub mod privacy {
    #[allow(clippy::all, clippy::pedantic)] // generated code
    pub mod v1 {
        tonic::include_proto!("guichet.privacy.v1");
    }
}

pub mod teleservices {
    #[allow(clippy::all, clippy::pedantic)] // generated code
    pub mod v1 {
        tonic::include_proto!("guichet.teleservices.v1");
    }
}

pub mod rapo {
    #[allow(clippy::all, clippy::pedantic)] // generated code
    pub mod v1 {
        tonic::include_proto!("guichet.rapo.v1");
    }
}

pub mod notifications {
    #[allow(clippy::all, clippy::pedantic)] // generated code
    pub mod v1 {
        tonic::include_proto!("guichet.notifications.v1");
    }
}

/// Lower-case names of the shared demand vocabulary, as stored in databases and shown in
/// the HTTP API (`submitted`, `phone`, `agent`). One mapping for every service.
pub mod names {
    use crate::demand::v1::{AuthorRole, Channel, DemandKind, Status};

    /// Strips the enum prefix prost keeps (`STATUS_IN_PROGRESS` → `in_progress`).
    fn short(name: &str, prefix: &str) -> String {
        name.strip_prefix(prefix)
            .unwrap_or(name)
            .to_ascii_lowercase()
    }

    fn long(name: &str, prefix: &str) -> String {
        format!("{prefix}{}", name.to_ascii_uppercase())
    }

    pub fn status(value: Status) -> String {
        short(value.as_str_name(), "STATUS_")
    }
    pub fn parse_status(name: &str) -> Option<Status> {
        Status::from_str_name(&long(name, "STATUS_")).filter(|s| *s != Status::Unspecified)
    }

    pub fn channel(value: Channel) -> String {
        short(value.as_str_name(), "CHANNEL_")
    }
    pub fn parse_channel(name: &str) -> Option<Channel> {
        Channel::from_str_name(&long(name, "CHANNEL_")).filter(|c| *c != Channel::Unspecified)
    }

    pub fn kind(value: DemandKind) -> String {
        short(value.as_str_name(), "DEMAND_KIND_")
    }
    pub fn parse_kind(name: &str) -> Option<DemandKind> {
        DemandKind::from_str_name(&long(name, "DEMAND_KIND_"))
            .filter(|k| *k != DemandKind::Unspecified)
    }

    pub fn author_role(value: AuthorRole) -> String {
        short(value.as_str_name(), "AUTHOR_ROLE_")
    }
    pub fn parse_author_role(name: &str) -> Option<AuthorRole> {
        AuthorRole::from_str_name(&long(name, "AUTHOR_ROLE_"))
            .filter(|r| *r != AuthorRole::Unspecified)
    }

    #[cfg(test)]
    mod tests {
        use super::*;

        #[test]
        fn names_round_trip() {
            assert_eq!(status(Status::InProgress), "in_progress");
            assert_eq!(
                parse_status("awaiting_resident"),
                Some(Status::AwaitingResident)
            );
            assert_eq!(parse_status("unspecified"), None);
            assert_eq!(channel(Channel::Phone), "phone");
            assert_eq!(parse_channel("kiosk"), Some(Channel::Kiosk));
            assert_eq!(kind(DemandKind::Rapo), "rapo");
            assert_eq!(author_role(AuthorRole::Agent), "agent");
            assert_eq!(parse_author_role("resident"), Some(AuthorRole::Resident));
        }
    }
}
