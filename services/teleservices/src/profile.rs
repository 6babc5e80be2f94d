//! The signed-in resident's profile, read from the identity service with their own
//! token: it prefills forms and says whether they may file a teleservice that asks for
//! well-known attributes.

use guichet_kit::{auth::with_bearer, grpc::TracedChannel};
use guichet_proto::identity::v1::{
    self as identity, GetProfileRequest, accounts_client::AccountsClient,
};

use crate::form::{Level, ProfileAttribute};

/// Reads the caller's profile; `token` is the access token they called with.
pub async fn fetch(
    accounts: &AccountsClient<TracedChannel>,
    token: &str,
) -> anyhow::Result<Vec<ProfileAttribute>> {
    let profile = accounts
        .clone()
        .get_profile(with_bearer(
            tonic::Request::new(GetProfileRequest {}),
            Some(token),
        ))
        .await
        .map_err(|status| anyhow::anyhow!("reading the resident's profile: {}", status.message()))?
        .into_inner();
    Ok(attributes(&profile))
}

/// The profile as the form generator sees it: attributes, the account's e-mail and the
/// SIRET of its businesses.
pub fn attributes(profile: &identity::Profile) -> Vec<ProfileAttribute> {
    let mut attributes: Vec<ProfileAttribute> = profile
        .attributes
        .iter()
        .map(|a| ProfileAttribute {
            name: a.name.clone(),
            value: a.value.clone(),
            level: Level::from_proto(a.level()),
        })
        .collect();
    if !profile.email.is_empty() {
        attributes.push(ProfileAttribute {
            name: "email".to_owned(),
            value: profile.email.clone(),
            level: if profile.email_verified {
                Level::Verified
            } else {
                Level::Declared
            },
        });
    }
    attributes.extend(profile.businesses.iter().map(|b| ProfileAttribute {
        name: "siret".to_owned(),
        value: b.siret.clone(),
        level: Level::Verified,
    }));
    attributes
}
