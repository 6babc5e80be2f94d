//! Minimal French HTML pages behind the links the platform sends by e-mail and SMS:
//! follow a demand (`/suivi/{number}`), a complaint's public page
//! (`/signalements/{id}`), confirm an address (`/compte/verifier-email`) and choose a
//! new password (`/compte/nouveau-mot-de-passe`). They stand in until the residents'
//! portal is served at `/`, and show only what the public API gives an anonymous caller,
//! through the same handlers and gRPC calls (the same lookup limit included). They are
//! not part of `/api/v1`, so not in its OpenAPI document.
//!
//! Links carry one-time tokens in their query, so every page is `no-store` and sends no
//! referrer; the pages hold no script, and everything shown is escaped.

use std::{fmt::Write as _, net::SocketAddr};

use axum::{
    Form, Json, Router,
    extract::{ConnectInfo, FromRef, Path, Query, State},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use chrono::{DateTime, Utc};
use guichet_kit::calendar::{french_date, paris_date, paris_offset_hours};
use guichet_proto::identity::v1 as identity;
use serde::Deserialize;
use tonic::Code;

use super::{
    complaints::{self, PublicComplaint},
    demands,
    dto::Demand,
};
use crate::{auth::Bearer, error::ApiError, state::AppState};

/// The residents' pages, merged into the gateway's router. Once a portal is built it
/// shows the follow and account pages itself, at the same addresses: only the
/// complaint's public page is still the gateway's.
pub fn router(portal_built: bool) -> Router<AppState> {
    let router = Router::new().route("/signalements/{id}", get(complaint));
    if portal_built {
        return router;
    }
    router
        .route("/suivi", get(follow_form))
        .route("/suivi/{number}", get(follow))
        .route("/compte/verifier-email", get(verify_form).post(verify))
        .route(
            "/compte/nouveau-mot-de-passe",
            get(password_form).post(set_password),
        )
}

/// One HTML page: its status, French title, and body (already escaped HTML).
struct Page {
    status: StatusCode,
    title: String,
    body: String,
    /// Seconds to wait, for a 429.
    retry_after: Option<u64>,
}

impl Page {
    fn new(status: StatusCode, title: &str, body: String) -> Self {
        Self {
            status,
            title: title.to_owned(),
            body,
            retry_after: None,
        }
    }
}

/// Tokens travel in links: nothing is cached or leaked to another site, and the page
/// may only style itself and post its forms to this site.
const SECURITY_HEADERS: [(&str, &str); 5] = [
    ("cache-control", "no-store"),
    ("referrer-policy", "no-referrer"),
    ("x-content-type-options", "nosniff"),
    (
        "content-security-policy",
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    ),
    ("x-frame-options", "DENY"),
];

const STYLE: &str = "body{font-family:system-ui,sans-serif;line-height:1.5;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#1e1e1e}\
h1{font-size:1.5rem}label{display:block;margin-top:1rem;font-weight:600}\
input{font-size:1rem;padding:.4rem;width:100%;max-width:24rem;box-sizing:border-box}\
button{margin-top:1rem;font-size:1rem;padding:.5rem 1rem}\
.erreur{color:#b00020}dt{font-weight:600}ol{padding-left:1.2rem}li{margin-bottom:.6rem}";

impl IntoResponse for Page {
    fn into_response(self) -> Response {
        let html = format!(
            "<!DOCTYPE html>\n<html lang=\"fr\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>{title} — Guichet de la ville</title>\n<style>{STYLE}</style>\n</head>\n\
             <body>\n<main>\n<h1>{title}</h1>\n{body}\n</main>\n</body>\n</html>\n",
            title = escape(&self.title),
            body = self.body,
        );
        let mut response = (self.status, html).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        for (name, value) in SECURITY_HEADERS {
            headers.insert(name, HeaderValue::from_static(value));
        }
        if let Some(seconds) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

/// Text made safe inside HTML elements and quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A shared status in words a resident reads.
fn status_label(status: &str) -> &'static str {
    match status {
        "submitted" => "Déposée",
        "received" => "Reçue par le service",
        "in_progress" => "En cours de traitement",
        "awaiting_resident" => "En attente de votre réponse",
        "resolved" => "Résolue",
        "rejected" => "Rejetée",
        "closed" => "Clôturée",
        _ => "Inconnu",
    }
}

/// `15 mars 2026`, the day in Paris.
fn day(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(
        || "non précisée".to_owned(),
        |at| french_date(paris_date(at)),
    )
}

/// `15 mars 2026 à 14 h 05`, Paris time.
fn moment(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(String::new, |at| {
        let local = at + chrono::Duration::hours(paris_offset_hours(at));
        format!(
            "{} à {}",
            french_date(local.date_naive()),
            local.format("%H h %M")
        )
    })
}

/// A page for a failure the resident cannot fix by retyping: throttled, or a service
/// down.
fn unavailable(error: &ApiError) -> Page {
    if error.status() == StatusCode::TOO_MANY_REQUESTS {
        let mut page = Page::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Trop de recherches",
            "<p>Trop de recherches en peu de temps. Réessayez dans une minute.</p>".to_owned(),
        );
        page.retry_after = Some(60);
        return page;
    }
    Page::new(
        StatusCode::SERVICE_UNAVAILABLE,
        "Service momentanément indisponible",
        "<p>Le service est momentanément indisponible. Réessayez dans quelques instants.</p>"
            .to_owned(),
    )
}

/// The form to type a tracking number.
fn number_form(value: &str) -> String {
    format!(
        "<form method=\"get\" action=\"/suivi\">\n\
         <label for=\"numero\">Numéro de suivi</label>\n\
         <input id=\"numero\" name=\"numero\" value=\"{value}\" autocomplete=\"off\" \
         autocapitalize=\"characters\" spellcheck=\"false\" placeholder=\"CK7Q-M2XH-D9WP-AR\" required>\n\
         <button type=\"submit\">Suivre ma demande</button>\n</form>",
        value = escape(value),
    )
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NumberQuery {
    numero: String,
}

/// `GET /suivi`: the form, or the demand typed in it (`?numero=`).
async fn follow_form(
    state: State<AppState>,
    client: ConnectInfo<SocketAddr>,
    Query(query): Query<NumberQuery>,
) -> Page {
    if query.numero.trim().is_empty() {
        return Page::new(
            StatusCode::OK,
            "Suivre une demande",
            format!(
                "<p>Saisissez le numéro de suivi reçu au dépôt de votre demande.</p>\n{}",
                number_form("")
            ),
        );
    }
    follow(state, client, Path(query.numero)).await
}

/// `GET /suivi/{number}`: the demand as the public API shows it to anyone holding its
/// number. A wrong number and one that is not open to an anonymous visitor answer the
/// same 404.
async fn follow(
    State(state): State<AppState>,
    ConnectInfo(client): ConnectInfo<SocketAddr>,
    Path(number): Path<String>,
) -> Page {
    // Exactly what `GET /api/v1/demands/{n}` answers a caller without a token, counted
    // as the same lookup.
    let counter = crate::limits::Counting::from_ref(&state);
    if let Err(refused) = counter.check_lookup(&Bearer::default(), client.ip()).await {
        return unavailable(&refused);
    }
    match demands::public::get_demand(Bearer::default(), State(state), Path(number.clone())).await {
        Ok(Json(demand)) => demand_page(&demand),
        Err(error)
            if matches!(
                error.status(),
                StatusCode::BAD_REQUEST | StatusCode::NOT_FOUND
            ) =>
        {
            Page::new(
                StatusCode::NOT_FOUND,
                "Demande introuvable",
                format!(
                    "<p class=\"erreur\">Aucune demande ne correspond à ce numéro. Vérifiez chaque \
                     caractère : le numéro figure dans le message reçu au dépôt.</p>\n\
                     <p>Une demande déposée depuis votre compte se consulte dans votre espace \
                     personnel.</p>\n{}",
                    number_form(&number)
                ),
            )
        }
        Err(error) => unavailable(&error),
    }
}

fn demand_page(demand: &Demand) -> Page {
    let mut body = format!(
        "<dl>\n<dt>Numéro de suivi</dt><dd>{number}</dd>\n\
         <dt>Statut</dt><dd>{status}</dd>\n\
         <dt>Déposée le</dt><dd>{created}</dd>\n\
         <dt>Réponse attendue au plus tard le</dt><dd>{due}</dd>\n</dl>\n\
         <h2>Historique</h2>\n<ol>\n",
        number = escape(&demand.tracking_number),
        status = status_label(&demand.status),
        created = day(demand.created_at),
        due = day(demand.due_at),
    );
    for entry in &demand.timeline {
        let who = match entry.author.role.as_str() {
            "agent" => "Le service",
            "resident" => "Vous",
            _ => "Le guichet",
        };
        let what = match &entry.status {
            Some(status) => format!("Statut : {}", status_label(status)),
            None => "Message".to_owned(),
        };
        let _ = write!(
            body,
            "<li><strong>{when}</strong> — {who} — {what}",
            when = moment(entry.at),
        );
        if !entry.text.trim().is_empty() {
            let _ = write!(body, "<br>{}", escape(entry.text.trim()));
        }
        body.push_str("</li>\n");
    }
    body.push_str("</ol>");
    Page::new(StatusCode::OK, &demand.title, body)
}

/// `GET /signalements/{id}`: a complaint's public view, as `GET /api/v1/complaints/{id}`
/// gives it (no person, no description, no tracking number).
async fn complaint(state: State<AppState>, Path(id): Path<String>) -> Page {
    match complaints::public::public_complaint(state, Path(id)).await {
        Ok(Json(complaint)) => complaint_page(&complaint),
        Err(error) if error.status() == StatusCode::NOT_FOUND => Page::new(
            StatusCode::NOT_FOUND,
            "Signalement introuvable",
            "<p class=\"erreur\">Aucun signalement ne correspond à ce lien.</p>".to_owned(),
        ),
        Err(error) => unavailable(&error),
    }
}

fn complaint_page(complaint: &PublicComplaint) -> Page {
    let mut body = format!(
        "<dl>\n<dt>Catégorie</dt><dd>{category}</dd>\n\
         <dt>Lieu</dt><dd>{address}</dd>\n\
         <dt>Statut</dt><dd>{status}</dd>\n\
         <dt>Signalé le</dt><dd>{created}</dd>\n\
         <dt>Habitants qui suivent ce signalement</dt><dd>{followers}</dd>\n</dl>\n",
        category = escape(&complaint.category_label),
        address = if complaint.address.trim().is_empty() {
            "non précisé".to_owned()
        } else {
            escape(&complaint.address)
        },
        status = status_label(&complaint.status),
        created = day(complaint.created_at),
        followers = complaint.followers,
    );
    if !complaint.status_notes.trim().is_empty() {
        let _ = writeln!(
            body,
            "<p>Précision du service : {}</p>",
            escape(complaint.status_notes.trim())
        );
    }
    if !complaint.history.is_empty() {
        body.push_str("<h2>Historique</h2>\n<ol>\n");
        for entry in &complaint.history {
            let _ = write!(
                body,
                "<li><strong>{when}</strong> — {status}",
                when = moment(entry.at),
                status = status_label(&entry.status),
            );
            if !entry.text.trim().is_empty() {
                let _ = write!(body, "<br>{}", escape(entry.text.trim()));
            }
            body.push_str("</li>\n");
        }
        body.push_str("</ol>");
    }
    Page::new(
        StatusCode::OK,
        &format!("Signalement : {}", complaint.category_label),
        body,
    )
}

/// The token of a link (`?jeton=`), or of the form posted from its page.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct Token {
    jeton: String,
}

fn incomplete_link() -> Page {
    Page::new(
        StatusCode::BAD_REQUEST,
        "Lien incomplet",
        "<p class=\"erreur\">Ce lien est incomplet : ouvrez-le tel qu'il figure dans le \
         message reçu, sans le couper.</p>"
            .to_owned(),
    )
}

/// A link whose token the identity service does not know (any more).
fn spent_link(what: &str, again: &str) -> Page {
    Page::new(
        StatusCode::BAD_REQUEST,
        "Lien invalide ou expiré",
        format!(
            "<p class=\"erreur\">Ce lien n'est plus valable : il a déjà servi, ou plus de \
             24 heures ont passé. {what}</p>\n<p>{again}</p>"
        ),
    )
}

/// A page for a failed identity call other than a refusal of the link.
fn identity_failed(status: &tonic::Status) -> Page {
    unavailable(&ApiError::from_status(status.clone(), "link_not_found"))
}

/// `GET /compte/verifier-email?jeton=…`: a button confirms the address. Opening the
/// link changes nothing, so a mail scanner following it does not spend the token.
async fn verify_form(Query(token): Query<Token>) -> Page {
    if token.jeton.trim().is_empty() {
        return incomplete_link();
    }
    Page::new(
        StatusCode::OK,
        "Confirmer votre adresse e-mail",
        format!(
            "<p>Confirmez l'adresse e-mail de votre compte sur le guichet unique de la ville.</p>\n\
             <form method=\"post\" action=\"/compte/verifier-email\">\n\
             <input type=\"hidden\" name=\"jeton\" value=\"{}\">\n\
             <button type=\"submit\">Confirmer mon adresse</button>\n</form>",
            escape(token.jeton.trim())
        ),
    )
}

/// `POST /compte/verifier-email`: confirms the address, as
/// `POST /api/v1/auth/verify-email` does.
async fn verify(State(state): State<AppState>, Form(token): Form<Token>) -> Page {
    if token.jeton.trim().is_empty() {
        return incomplete_link();
    }
    let request = identity::VerifyEmailRequest {
        token: token.jeton.trim().to_owned(),
    };
    match state
        .accounts
        .clone()
        .verify_email(Bearer::default().request(request))
        .await
    {
        Ok(_) => Page::new(
            StatusCode::OK,
            "Adresse e-mail confirmée",
            "<p>Votre adresse e-mail est confirmée. Vous pouvez fermer cette page et vous \
             connecter à votre compte.</p>"
                .to_owned(),
        ),
        Err(status) if matches!(status.code(), Code::NotFound | Code::InvalidArgument) => {
            spent_link(
                "Si votre adresse est déjà confirmée, il n'y a rien d'autre à faire.",
                "Sinon, connectez-vous à votre compte pour recevoir un nouveau lien.",
            )
        }
        Err(status) => identity_failed(&status),
    }
}

/// The new-password form, with the problems of a previous try.
fn password_page(status: StatusCode, token: &str, problems: &[String]) -> Page {
    let mut body = String::new();
    if !problems.is_empty() {
        body.push_str("<ul class=\"erreur\" id=\"erreurs\">\n");
        for problem in problems {
            let _ = writeln!(body, "<li>{}</li>", escape(problem));
        }
        body.push_str("</ul>\n");
    }
    let _ = write!(
        body,
        "<form method=\"post\" action=\"/compte/nouveau-mot-de-passe\">\n\
         <input type=\"hidden\" name=\"jeton\" value=\"{token}\">\n\
         <label for=\"mot_de_passe\">Nouveau mot de passe</label>\n\
         <input type=\"password\" id=\"mot_de_passe\" name=\"mot_de_passe\" \
         autocomplete=\"new-password\" required>\n\
         <label for=\"confirmation\">Confirmez le nouveau mot de passe</label>\n\
         <input type=\"password\" id=\"confirmation\" name=\"confirmation\" \
         autocomplete=\"new-password\" required>\n\
         <button type=\"submit\">Changer mon mot de passe</button>\n</form>",
        token = escape(token),
    );
    Page::new(status, "Choisir un nouveau mot de passe", body)
}

/// `GET /compte/nouveau-mot-de-passe?jeton=…`: the form.
async fn password_form(Query(token): Query<Token>) -> Page {
    if token.jeton.trim().is_empty() {
        return incomplete_link();
    }
    password_page(StatusCode::OK, token.jeton.trim(), &[])
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct NewPassword {
    jeton: String,
    mot_de_passe: String,
    confirmation: String,
}

fn spent_reset_link() -> Page {
    spent_link(
        "Votre mot de passe n'a pas changé.",
        "Demandez un nouveau lien depuis la page de connexion.",
    )
}

/// `POST /compte/nouveau-mot-de-passe`: sets the password, as
/// `POST /api/v1/auth/password-reset/confirm` does, once both fields agree.
async fn set_password(State(state): State<AppState>, Form(form): Form<NewPassword>) -> Page {
    let token = form.jeton.trim();
    if token.is_empty() {
        return incomplete_link();
    }
    if form.mot_de_passe != form.confirmation {
        return password_page(
            StatusCode::BAD_REQUEST,
            token,
            &["Les deux mots de passe ne sont pas identiques.".to_owned()],
        );
    }
    let request = identity::ResetPasswordRequest {
        token: token.to_owned(),
        new_password: form.mot_de_passe,
    };
    match state
        .accounts
        .clone()
        .reset_password(Bearer::default().request(request))
        .await
    {
        Ok(_) => Page::new(
            StatusCode::OK,
            "Mot de passe changé",
            "<p>Votre mot de passe est changé. Connectez-vous avec le nouveau ; vos sessions \
             ouvertes ailleurs sont fermées.</p>"
                .to_owned(),
        ),
        Err(status) if status.code() == Code::InvalidArgument => {
            let violations = guichet_kit::grpc::violations(&status);
            // The identity service judges the password before it spends the token.
            if violations.iter().any(|v| v.field == "token") {
                return spent_reset_link();
            }
            let mut problems: Vec<String> = violations.into_iter().map(|v| v.description).collect();
            if problems.is_empty() {
                problems.push(status.message().to_owned());
            }
            password_page(StatusCode::BAD_REQUEST, token, &problems)
        }
        Err(status) if status.code() == Code::NotFound => spent_reset_link(),
        Err(status) => identity_failed(&status),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_shown_cannot_become_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & l'été"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; l&#39;été"
        );
    }

    #[test]
    fn statuses_read_as_french_words() {
        assert_eq!(status_label("in_progress"), "En cours de traitement");
        assert_eq!(
            status_label("awaiting_resident"),
            "En attente de votre réponse"
        );
        assert_eq!(status_label("resolved"), "Résolue");
    }
}
