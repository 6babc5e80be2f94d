//! Drafts: a form filled over several visits, on any channel, with its uploaded files,
//! until it is submitted or discarded.

use guichet_kit::{auth::Caller, demand::Error, grpc::timestamp, upload};
use guichet_proto::{names, teleservices::v1 as pb};
use uuid::Uuid;

use crate::{
    service::{MAX_UPLOAD, MAX_UPLOADS_PER_DRAFT, Requester, Teleservices, answers},
    store::{self, DraftRow, NewAttachment},
    views::{attachment_proto, unsigned},
};

impl Teleservices {
    /// Starts or saves a draft. A resident's draft is theirs on every channel; a draft
    /// started without an account is reached by its id alone.
    #[tracing::instrument(name = "Save a draft", skip_all)]
    pub async fn save_draft(
        &self,
        who: &Requester<'_>,
        request: pb::SaveDraftRequest,
    ) -> Result<pb::Draft, Error> {
        let data = answers(&request.data_json)?;
        let now = self.clock.now();
        let channel = names::channel(who.caller.channel());
        let id = if request.id.is_empty() {
            let (live, definition, version) = self.fillable(who.caller, &request.slug, 0).await?;
            if definition.audience.requires_account() && who.caller.resident().is_none() {
                return Err(Error::Unauthenticated);
            }
            let id = Uuid::new_v4();
            let mut conn = self.pool.acquire().await?;
            store::insert_draft(
                &mut conn,
                id,
                live.id,
                version,
                who.caller.resident(),
                &data,
                &channel,
                now,
            )
            .await?;
            id
        } else {
            let mut tx = self.pool.begin().await?;
            let draft = self
                .reach_draft(&mut tx, who.caller, &request.id, true)
                .await?;
            if draft.tracking_number.is_some() {
                return Err(Error::Conflict("Ce brouillon a déjà été envoyé."));
            }
            store::update_draft(&mut tx, draft.id, &data, &channel, now).await?;
            guichet_kit::bus::commit(tx).await?;
            draft.id
        };
        self.draft_view(id).await
    }

    pub async fn get_draft(&self, caller: &Caller, id: &str) -> Result<pb::Draft, Error> {
        let mut conn = self.pool.acquire().await?;
        let draft = self.reach_draft(&mut conn, caller, id, false).await?;
        drop(conn);
        self.draft_view(draft.id).await
    }

    pub async fn drafts(&self, caller: &Caller) -> Result<Vec<pb::Draft>, Error> {
        let resident = caller.resident().ok_or(Error::Unauthenticated)?;
        let mut drafts = Vec::new();
        for draft in store::drafts_of(&self.pool, resident).await? {
            drafts.push(self.draft_view(draft.id).await?);
        }
        Ok(drafts)
    }

    pub(crate) async fn reach_draft(
        &self,
        conn: &mut sqlx::PgConnection,
        caller: &Caller,
        id: &str,
        lock: bool,
    ) -> Result<DraftRow, Error> {
        let id = Uuid::parse_str(id.trim()).map_err(|_| Error::NotFound)?;
        let draft = store::draft(conn, id, lock).await?.ok_or(Error::NotFound)?;
        match &draft.resident_id {
            // A desk agent continues what the resident started.
            Some(owner) if caller.resident() != Some(owner) && caller.agent().is_none() => {
                Err(Error::NotFound)
            }
            _ => Ok(draft),
        }
    }

    async fn draft_view(&self, id: Uuid) -> Result<pb::Draft, Error> {
        let mut conn = self.pool.acquire().await?;
        let draft = store::draft(&mut conn, id, false)
            .await?
            .ok_or(Error::NotFound)?;
        let attachments = store::draft_attachments(&mut conn, id).await?;
        Ok(pb::Draft {
            id: draft.id.to_string(),
            slug: draft.slug,
            version: unsigned(draft.version),
            data_json: draft.data.0.to_string(),
            channel: names::parse_channel(&draft.channel).unwrap_or_default() as i32,
            updated_at: Some(timestamp(draft.updated_at)),
            attachments: attachments.iter().map(attachment_proto).collect(),
            tracking_number: draft.tracking_number.unwrap_or_default(),
            title: draft.title,
        })
    }

    /// Discards a draft not yet submitted, with its files.
    pub async fn discard_draft(&self, caller: &Caller, id: &str) -> Result<(), Error> {
        let mut tx = self.pool.begin().await?;
        let draft = self.reach_draft(&mut tx, caller, id, true).await?;
        if draft.tracking_number.is_some() {
            return Err(Error::Conflict(
                "Cette demande a été déposée : son brouillon ne peut plus être supprimé.",
            ));
        }
        store::delete_draft(&mut tx, draft.id).await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(())
    }

    /// Removes one file of a draft not yet submitted; answers the draft.
    pub async fn remove_attachment(
        &self,
        caller: &Caller,
        request: &pb::RemoveAttachmentRequest,
    ) -> Result<pb::Draft, Error> {
        let mut tx = self.pool.begin().await?;
        let draft = self
            .reach_draft(&mut tx, caller, &request.draft_id, true)
            .await?;
        if draft.tracking_number.is_some() {
            return Err(Error::Conflict(
                "Cette demande a été déposée : ses pièces ne peuvent plus être retirées.",
            ));
        }
        let id = Uuid::parse_str(request.attachment_id.trim()).map_err(|_| Error::NotFound)?;
        if !store::delete_draft_attachment(&mut tx, draft.id, id).await? {
            return Err(Error::NotFound);
        }
        guichet_kit::bus::commit(tx).await?;
        self.draft_view(draft.id).await
    }

    /// Keeps an uploaded file with its checksum and the type read from its bytes; the
    /// validator checks that type and size against the file field at submission.
    #[tracing::instrument(name = "Upload a file", skip_all)]
    pub async fn upload(
        &self,
        caller: &Caller,
        request: pb::UploadAttachmentRequest,
    ) -> Result<pb::Attachment, Error> {
        if request.content.is_empty() {
            return Err(Error::field("content", "Le fichier est vide."));
        }
        if request.content.len() > MAX_UPLOAD {
            return Err(Error::field(
                "content",
                "Le fichier dépasse la taille maximale de 10 Mo.",
            ));
        }
        let mime_type = upload::sniff(&request.content).unwrap_or("application/octet-stream");
        // A photo or scan is stored, hashed and served without its metadata.
        let content = upload::strip_metadata(mime_type, request.content)
            .map_err(|refused| Error::field("content", refused.message()))?;
        let mut tx = self.pool.begin().await?;
        let draft = self
            .reach_draft(&mut tx, caller, &request.draft_id, true)
            .await?;
        if draft.tracking_number.is_some() {
            return Err(Error::Conflict("Ce brouillon a déjà été envoyé."));
        }
        if store::draft_attachments(&mut tx, draft.id).await?.len() >= MAX_UPLOADS_PER_DRAFT {
            return Err(Error::field(
                "content",
                "Ce brouillon a atteint le nombre maximal de fichiers.",
            ));
        }
        let sha256 = upload::sha256_hex(&content);
        let filename = upload::safe_name(&request.filename, "document", mime_type);
        let id = Uuid::now_v7();
        store::insert_attachment(
            &mut tx,
            &NewAttachment {
                id,
                draft: Some(draft.id),
                demand: None,
                filename: &filename,
                mime_type,
                sha256: &sha256,
                content: &content,
                at: self.clock.now(),
            },
        )
        .await?;
        guichet_kit::bus::commit(tx).await?;
        Ok(pb::Attachment {
            id: id.to_string(),
            filename,
            mime_type: mime_type.to_owned(),
            size: content.len() as u64,
            sha256,
        })
    }
}
