//! What designers do: save a teleservice's definition, pilot, publish and retire it,
//! read it back with its versions, and seed the demo catalogue.

use guichet_kit::{auth::Caller, demand::Error, grpc::timestamp};
use guichet_proto::teleservices::v1 as pb;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    form::{self, Definition},
    pilot::Pilot,
    service::{TOO_LARGE_NUMBER, Teleservices, designer, oversized_number},
    store,
    views::{pilot_proto, unsigned},
};

impl Teleservices {
    /// Creates a teleservice, starts a new draft version of a frozen one, or replaces
    /// its draft. The live version is never touched.
    #[tracing::instrument(name = "Save a teleservice definition", skip_all)]
    pub async fn save_definition(
        &self,
        caller: &Caller,
        json: &str,
        create_only: bool,
    ) -> Result<pb::Teleservice, Error> {
        let designer = designer(caller)?;
        let value: Value = serde_json::from_str(json)
            .map_err(|_| Error::field("definition", "La définition doit être un document JSON."))?;
        if let Some(path) = oversized_number(&value, "") {
            return Err(Error::field(&path, TOO_LARGE_NUMBER));
        }
        let definition = Definition::from_json(&value).map_err(Error::Invalid)?;
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let (teleservice, created) = match store::teleservice(&mut tx, &definition.slug, true)
            .await?
        {
            Some(_) if create_only => {
                return Err(Error::field(
                    "slug",
                    "Cette adresse est déjà celle d'un autre téléservice : choisissez-en une autre.",
                ));
            }
            Some(t) => (t.id, false),
            None => {
                let id = Uuid::now_v7();
                store::insert_teleservice(&mut tx, id, &definition.slug, now).await?;
                (id, true)
            }
        };
        let version =
            store::save_draft_version(&mut tx, teleservice, &definition, &designer.sub, now)
                .await?;
        guichet_kit::bus::commit(tx).await?;
        tracing::info!(slug = %definition.slug, version, "teleservice draft saved");
        let saved = self
            .designer_view(&definition.slug, Some(version), true)
            .await?;
        Ok(pb::Teleservice { created, ..saved })
    }

    /// Moves a teleservice along draft → pilot → published → retired. Piloting or
    /// publishing freezes the draft version, if there is one, and makes it live.
    #[tracing::instrument(name = "Change a teleservice's state", skip_all, fields(slug = %request.slug))]
    pub async fn change_state(
        &self,
        caller: &Caller,
        request: pb::ChangeStateRequest,
    ) -> Result<pb::Teleservice, Error> {
        designer(caller)?;
        let now = self.clock.now();
        let mut tx = self.pool.begin().await?;
        let t = store::teleservice(&mut tx, &request.slug, true)
            .await?
            .ok_or(Error::NotFound)?;
        let draft = store::draft_version(&mut tx, t.id).await?;
        let (state, live, pilot) = match request.state.as_str() {
            "pilot" | "published" => {
                let live = match (&draft, t.live_version) {
                    (Some((version, _)), _) => {
                        store::freeze(&mut tx, t.id, *version, now).await?;
                        *version
                    }
                    (None, Some(live)) => live,
                    (None, None) => {
                        return Err(Error::Conflict(
                            "Aucune version à mettre en ligne : enregistrez d'abord une définition.",
                        ));
                    }
                };
                let pilot = if request.state == "pilot" {
                    let asked = request.pilot.unwrap_or_default();
                    Some(Pilot::parse(
                        &asked.mode,
                        &asked.residents,
                        asked.percentage,
                    )?)
                } else {
                    None
                };
                (request.state.as_str(), Some(live), pilot)
            }
            "retired" => {
                if !matches!(t.state.as_str(), "pilot" | "published") {
                    return Err(Error::Conflict(
                        "Seule une démarche en pilote ou publiée peut être retirée.",
                    ));
                }
                ("retired", t.live_version, None)
            }
            _ => {
                return Err(Error::field(
                    "state",
                    "État possible : pilot, published ou retired.",
                ));
            }
        };
        store::set_state(&mut tx, t.id, state, live, pilot.as_ref(), now).await?;
        guichet_kit::bus::commit(tx).await?;
        tracing::info!(state, live, "teleservice state changed");
        self.designer_view(&request.slug, None, false).await
    }

    /// A teleservice as designers see it: a given version, its draft, or the live one.
    pub async fn get_definition(
        &self,
        caller: &Caller,
        request: &pb::GetDefinitionRequest,
    ) -> Result<pb::Teleservice, Error> {
        designer(caller)?;
        let version = (request.version > 0).then(|| i32::try_from(request.version).unwrap_or(0));
        self.designer_view(&request.slug, version, request.draft)
            .await
    }

    pub(crate) async fn designer_view(
        &self,
        slug: &str,
        version: Option<i32>,
        draft: bool,
    ) -> Result<pb::Teleservice, Error> {
        let mut conn = self.pool.acquire().await?;
        let t = store::teleservice(&mut conn, slug, false)
            .await?
            .ok_or(Error::NotFound)?;
        let draft_version = store::draft_version(&mut conn, t.id).await?;
        let shown = match (version, draft) {
            (Some(v), _) => Some(v),
            (None, true) => draft_version.as_ref().map(|d| d.0),
            (None, false) => t.live_version.or(draft_version.as_ref().map(|d| d.0)),
        };
        let definition = match shown {
            Some(v) => store::version(&mut conn, t.id, v, false).await?,
            None => None,
        };
        let pilot = t.pilot.as_ref().map(|p| pilot_proto(&p.0));
        Ok(pb::Teleservice {
            slug: t.slug,
            state: t.state,
            live_version: t.live_version.map_or(0, unsigned),
            draft_version: draft_version.map_or(0, |d| unsigned(d.0)),
            pilot,
            definition_json: definition
                .as_ref()
                .map(|d| d.0.to_json().to_string())
                .unwrap_or_default(),
            version: definition.and(shown).map_or(0, unsigned),
            updated_at: Some(timestamp(t.updated_at)),
            created: false,
        })
    }

    /// Loads the city's starting catalogue (`catalogue/*.json`, see [`form::catalog`]):
    /// each teleservice not there yet is imported as a designer imports one — saved
    /// through [`Self::save_definition`] (the same parse, the same checks), then
    /// published. Teleservices already there are left alone, except one saved but never
    /// published (a seed that stopped half-way), which is published.
    pub async fn seed_catalog(&self, caller: &Caller) -> Result<u32, Error> {
        designer(caller)?;
        let mut created = 0;
        for file in form::catalog::FILES {
            let mut conn = self.pool.acquire().await?;
            let existing = store::teleservice(&mut conn, file.slug(), false).await?;
            drop(conn);
            let slug = match existing {
                // Saved by a seed that stopped before publishing it (saving and
                // publishing are two transactions): publish it now. A teleservice that
                // was ever live is the designers' to manage.
                Some(t) if t.state == "draft" && t.live_version.is_none() => t.slug,
                Some(_) => continue,
                None => {
                    self.save_definition(caller, file.json, true)
                        .await
                        .inspect_err(|_| {
                            tracing::error!(file = file.name, "catalogue file refused");
                        })?
                        .slug
                }
            };
            let publish = pb::ChangeStateRequest {
                slug,
                state: "published".to_owned(),
                pilot: None,
            };
            self.change_state(caller, publish).await?;
            created += 1;
        }
        Ok(created)
    }
}
