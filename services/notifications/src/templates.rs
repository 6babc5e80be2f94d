//! What residents read: one French template per event type, for e-mail (subject and
//! body), SMS (one short text) and the in-app message. Every demand message carries the
//! tracking number and the follow link.

use guichet_proto::{demand::v1::Status, names};
use serde::{Deserialize, Serialize};

/// Topics a resident chooses channels for.
pub const TOPICS: &[&str] = &[
    "filed",
    "status.received",
    "status.in_progress",
    "status.awaiting_resident",
    "status.resolved",
    "status.rejected",
    "status.closed",
    "message",
    "follow",
];

/// Channels a resident may choose.
pub const CHANNELS: &[&str] = &["email", "sms", "app"];

/// The topic of a status change (`status.resolved`).
pub fn status_topic(status: Status) -> String {
    format!("status.{}", guichet_proto::names::status(status))
}

/// One notification, ready for every channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Rendered {
    pub subject: String,
    /// E-mail and in-app body.
    pub body: String,
    /// SMS text: short, with the number and the link.
    pub sms: String,
    pub link: String,
}

/// What a demand notification is about.
#[derive(Debug, Clone)]
pub struct About<'a> {
    pub tracking_number: &'a str,
    /// The demand's title (`Nid-de-poule — Cours Mirabeau`).
    pub title: &'a str,
    pub link: &'a str,
}

const SIGNATURE: &str = "Le guichet unique de la ville\n\nCe message est envoyé automatiquement : merci de ne pas y répondre. Pour écrire au service, utilisez le lien ci-dessus.";

fn demand_message(about: &About<'_>, subject: String, lead: &str, extra: &str) -> Rendered {
    demand_message_with_sms(about, subject, lead, extra, lead)
}

/// `sms_lead` is what the SMS says before the number: the lead, or the entries
/// themselves when they are short enough to read on a phone.
fn demand_message_with_sms(
    about: &About<'_>,
    subject: String,
    lead: &str,
    extra: &str,
    sms_lead: &str,
) -> Rendered {
    let title = if about.title.is_empty() {
        String::new()
    } else {
        format!("Objet : {}\n", about.title)
    };
    let extra = if extra.is_empty() {
        String::new()
    } else {
        format!("{extra}\n\n")
    };
    let body = format!(
        "Bonjour,\n\n{lead}\n\nNuméro de suivi : {number}\n{title}\n{extra}Suivre votre demande : {link}\n\n{SIGNATURE}\n",
        number = about.tracking_number,
        link = about.link,
    );
    let sms = format!(
        "Mairie : {sms_lead} N° {number}. Suivi : {link}",
        number = about.tracking_number,
        link = about.link,
    );
    Rendered {
        subject,
        body,
        sms,
        link: about.link.to_owned(),
    }
}

/// The acknowledgement of a new demand.
pub fn filed(about: &About<'_>) -> Rendered {
    demand_message(
        about,
        format!(
            "Votre demande {} a bien été enregistrée",
            about.tracking_number
        ),
        "Votre demande a bien été enregistrée. Conservez son numéro de suivi : il vous permet de la suivre sur le site, l'application, une borne ou par téléphone.",
        "",
    )
}

/// What a status change says: the end of the subject, and the lead sentence.
fn status_words(status: Status) -> (&'static str, &'static str) {
    match status {
        Status::Received => (
            "a été prise en compte",
            "Votre demande a été reçue par le service compétent.",
        ),
        Status::InProgress => (
            "est en cours de traitement",
            "Votre demande est en cours de traitement.",
        ),
        Status::AwaitingResident => (
            "attend une réponse de votre part",
            "Le service a besoin d'informations complémentaires de votre part pour traiter votre demande.",
        ),
        Status::Resolved => (
            "est résolue",
            "Votre demande a été traitée : elle est résolue.",
        ),
        Status::Rejected => ("n'a pas pu aboutir", "Votre demande n'a pas pu aboutir."),
        Status::Closed => ("est clôturée", "Votre demande est clôturée."),
        Status::Submitted | Status::Unspecified => {
            ("a été mise à jour", "Votre demande a été mise à jour.")
        }
    }
}

const INVITATION: &str = "Votre avis nous aide à améliorer le service : notez la réponse apportée (de 1 à 5) et laissez un commentaire depuis la page de suivi.";

/// A status change; `reason` is the agent's explanation, if any. `invite` adds the
/// invitation to rate the answer (resolved or closed demands).
pub fn status_changed(about: &About<'_>, status: Status, reason: &str, invite: bool) -> Rendered {
    let (subject, lead) = status_words(status);
    let mut extra = String::new();
    if !reason.trim().is_empty() {
        extra.push_str(&format!("Précision du service : {}", reason.trim()));
    }
    if invite {
        if !extra.is_empty() {
            extra.push_str("\n\n");
        }
        extra.push_str(INVITATION);
    }
    demand_message(
        about,
        format!("Votre demande {} {subject}", about.tracking_number),
        lead,
        &extra,
    )
}

/// An agent's message quoted in an e-mail.
fn quote(text: &str) -> String {
    text.trim()
        .lines()
        .map(|line| format!("> {line}\n"))
        .collect::<String>()
        .trim_end()
        .to_owned()
}

/// Longest piece of an agent's text an SMS carries; the rest is on the follow page.
const SMS_EXCERPT: usize = 160;

/// Free text on one line, shortened for an SMS.
fn excerpt(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= SMS_EXCERPT {
        return line;
    }
    let cut: String = line.chars().take(SMS_EXCERPT - 1).collect();
    format!("{}…", cut.trim_end())
}

/// An agent wrote to the resident.
pub fn message_posted(about: &About<'_>, text: &str) -> Rendered {
    demand_message_with_sms(
        about,
        format!(
            "Nouveau message concernant votre demande {}",
            about.tracking_number
        ),
        "Le service traitant votre demande vous a écrit :",
        &quote(text),
        &format!("message du service : « {} »", excerpt(text)),
    )
}

/// One entry of a demand's timeline a resident is told about. An agent's entries within
/// a short window are told together ([`entries`]); they are kept in this form until the
/// message goes out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Entry {
    /// An agent's message (`Photo ajoutée.`, a note).
    Message { text: String },
    /// A status change, its reason, and whether it invites the resident to rate.
    Status {
        /// The shared status's name (`in_progress`).
        status: String,
        reason: String,
        invite: bool,
    },
}

/// The message telling one or more entries: one entry reads exactly as
/// [`message_posted`] or [`status_changed`]; several make one message listing each, in
/// order, under the subject of the last status change (else « nouveaux messages »).
pub fn entries(about: &About<'_>, entries: &[Entry]) -> Rendered {
    let status_of = |name: &str| names::parse_status(name).unwrap_or_default();
    match entries {
        [Entry::Message { text }] => return message_posted(about, text),
        [
            Entry::Status {
                status,
                reason,
                invite,
            },
        ] => return status_changed(about, status_of(status), reason, *invite),
        _ => {}
    }
    let mut blocks = Vec::new();
    let mut sms = Vec::new();
    let mut subject = None;
    let mut invited = false;
    for entry in entries {
        match entry {
            Entry::Message { text } => {
                blocks.push(quote(text));
                sms.push(excerpt(text));
            }
            Entry::Status {
                status,
                reason,
                invite,
            } => {
                let (end, lead) = status_words(status_of(status));
                subject = Some(end);
                invited |= *invite;
                let reason = reason.trim();
                if reason.is_empty() {
                    blocks.push(lead.to_owned());
                    sms.push(lead.to_owned());
                } else {
                    blocks.push(format!("{lead}\nPrécision du service : {reason}"));
                    sms.push(format!("{lead} {}", excerpt(reason)));
                }
            }
        }
    }
    if invited {
        blocks.push(INVITATION.to_owned());
    }
    let subject = match subject {
        Some(end) => format!("Votre demande {} {end}", about.tracking_number),
        None => format!(
            "Nouveaux messages concernant votre demande {}",
            about.tracking_number
        ),
    };
    demand_message_with_sms(
        about,
        subject,
        "Le service traitant votre demande vous a écrit :",
        &blocks.join("\n\n"),
        &format!("du nouveau sur votre demande : {}", sms.join(" / ")),
    )
}

/// Where the link of an identity e-mail goes in the stored message: the link itself is
/// asked of the identity service, and put in its place, only when the e-mail is sent
/// ([`crate::links`]). What a resident's data export shows instead of the link.
pub const LINK_SLOT: &str = "[lien personnel, envoyé par e-mail et non conservé]";

/// The link confirming a new account's e-mail address.
pub fn verify_email(link: &str) -> Rendered {
    let body = format!(
        "Bonjour,\n\nPour activer votre compte sur le guichet unique de la ville, confirmez votre adresse e-mail en ouvrant ce lien :\n\n{link}\n\nCe lien est valable 24 heures. Si vous n'avez pas créé de compte, ignorez ce message.\n\n{SIGNATURE}\n"
    );
    Rendered {
        subject: "Confirmez votre adresse e-mail".to_owned(),
        sms: format!("Mairie : confirmez votre adresse e-mail : {link}"),
        body,
        link: link.to_owned(),
    }
}

/// The link choosing a new password.
pub fn reset_password(link: &str) -> Rendered {
    let body = format!(
        "Bonjour,\n\nVous avez demandé à changer le mot de passe de votre compte. Choisissez-en un nouveau en ouvrant ce lien :\n\n{link}\n\nCe lien est valable 24 heures. Si vous n'êtes pas à l'origine de cette demande, ignorez ce message : votre mot de passe reste inchangé.\n\n{SIGNATURE}\n"
    );
    Rendered {
        subject: "Réinitialisation de votre mot de passe".to_owned(),
        sms: format!("Mairie : nouveau mot de passe : {link}"),
        body,
        link: link.to_owned(),
    }
}

/// The outcome of a complaint a resident said « me too » to: they never held its
/// number, so the link is the complaint's public page.
pub fn follower_outcome(title: &str, status: Status, reason: &str, link: &str) -> Rendered {
    let lead = match status {
        Status::Resolved => {
            "Le problème que vous avez signalé avec d'autres habitants a été réglé."
        }
        Status::Rejected => "Le signalement que vous suivez n'a pas pu aboutir.",
        _ => "Le signalement que vous suivez est clôturé.",
    };
    let reason = reason.trim();
    let extra = if reason.is_empty() {
        String::new()
    } else {
        format!("Précision du service : {reason}\n\n")
    };
    Rendered {
        subject: format!("Signalement suivi : {title}"),
        body: format!(
            "Bonjour,\n\n{lead}\n\nSignalement : {title}\n\n{extra}Voir le signalement : {link}\n\n{SIGNATURE}\n"
        ),
        sms: format!("Mairie : {lead} Voir : {link}"),
        link: link.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    fn about() -> About<'static> {
        About {
            tracking_number: "CK7Q-M2XH-D9WP-AR",
            title: "Nid-de-poule — Cours Mirabeau",
            link: "https://ville.example/suivi/CK7Q-M2XH-D9WP-AR",
        }
    }

    #[test]
    fn every_demand_message_carries_the_number_and_the_link() {
        for rendered in [
            filed(&about()),
            status_changed(&about(), Status::Resolved, "", true),
            message_posted(&about(), "Nous passons demain."),
        ] {
            for text in [&rendered.subject, &rendered.body] {
                assert!(text.contains("CK7Q-M2XH-D9WP-AR"), "{text}");
            }
            assert!(rendered.body.contains(&rendered.link));
            assert!(rendered.sms.contains("CK7Q-M2XH-D9WP-AR"));
            assert!(rendered.sms.contains(&rendered.link));
        }
    }

    #[test]
    fn a_resolved_demand_invites_the_resident_to_rate_it() {
        let rendered = status_changed(&about(), Status::Resolved, "Trou rebouché.", true);
        assert_eq!(
            rendered.subject,
            "Votre demande CK7Q-M2XH-D9WP-AR est résolue"
        );
        assert!(
            rendered
                .body
                .contains("Précision du service : Trou rebouché.")
        );
        assert!(rendered.body.contains("notez la réponse"));
        let rendered = status_changed(&about(), Status::InProgress, "", false);
        assert!(!rendered.body.contains("notez"));
    }

    #[test]
    fn one_entry_reads_as_it_always_did_and_an_sms_carries_the_agents_words() {
        let note = Entry::Message {
            text: "Nous passons demain.".to_owned(),
        };
        assert_eq!(
            entries(&about(), std::slice::from_ref(&note)),
            message_posted(&about(), "Nous passons demain.")
        );
        let done = Entry::Status {
            status: "resolved".to_owned(),
            reason: "Trou rebouché.".to_owned(),
            invite: true,
        };
        assert_eq!(
            entries(&about(), &[done]),
            status_changed(&about(), Status::Resolved, "Trou rebouché.", true)
        );
        assert!(
            message_posted(&about(), "Nous passons demain.")
                .sms
                .contains("Nous passons demain.")
        );
        let long = "a".repeat(1000);
        assert!(message_posted(&about(), &long).sms.chars().count() < 300);
    }

    #[test]
    fn an_agents_entries_of_one_visit_make_one_message_listing_each() {
        let visit = [
            Entry::Message {
                text: "Photo ajoutée.".to_owned(),
            },
            Entry::Message {
                text: "Le trou sera rebouché jeudi.".to_owned(),
            },
        ];
        let rendered = entries(&about(), &visit);
        assert_eq!(
            rendered.subject,
            "Nouveaux messages concernant votre demande CK7Q-M2XH-D9WP-AR"
        );
        for text in [&rendered.body, &rendered.sms] {
            assert!(text.contains("Photo ajoutée."), "{text}");
            assert!(text.contains("Le trou sera rebouché jeudi."), "{text}");
            assert!(text.contains("CK7Q-M2XH-D9WP-AR"), "{text}");
            assert!(text.contains(&rendered.link), "{text}");
        }
        let mut closed = visit.to_vec();
        closed.push(Entry::Status {
            status: "resolved".to_owned(),
            reason: String::new(),
            invite: true,
        });
        let rendered = entries(&about(), &closed);
        assert_eq!(
            rendered.subject,
            "Votre demande CK7Q-M2XH-D9WP-AR est résolue"
        );
        assert!(rendered.body.contains("Photo ajoutée."));
        assert!(rendered.body.contains("elle est résolue"));
        assert!(rendered.body.contains("notez la réponse"));
    }

    #[test]
    fn entries_are_kept_as_json_and_read_back() {
        let kept = vec![
            Entry::Message {
                text: "Photo ajoutée.".to_owned(),
            },
            Entry::Status {
                status: "in_progress".to_owned(),
                reason: String::new(),
                invite: false,
            },
        ];
        let json = serde_json::to_string(&kept).unwrap();
        assert!(json.contains(r#""kind":"message""#), "{json}");
        assert_eq!(serde_json::from_str::<Vec<Entry>>(&json).unwrap(), kept);
    }

    #[test]
    fn topics_follow_the_shared_statuses() {
        assert_eq!(
            status_topic(Status::AwaitingResident),
            "status.awaiting_resident"
        );
        assert!(TOPICS.contains(&status_topic(Status::Closed).as_str()));
    }

    #[test]
    fn a_follower_hears_the_outcome_with_the_public_page_not_a_number() {
        let rendered = follower_outcome(
            "Nid-de-poule — Cours Mirabeau",
            Status::Resolved,
            "Chaussée reprise.",
            "https://guichet.example/signalements/abc",
        );
        assert!(rendered.body.contains("a été réglé"));
        assert!(rendered.body.contains("Chaussée reprise."));
        assert!(
            rendered
                .sms
                .contains("https://guichet.example/signalements/abc")
        );
        assert!(rendered.subject.contains("Cours Mirabeau"));
    }

    #[test]
    fn identity_messages_are_stored_with_a_slot_the_link_fills_when_sent() {
        for rendered in [verify_email(LINK_SLOT), reset_password(LINK_SLOT)] {
            assert_eq!(
                rendered.body.matches(LINK_SLOT).count(),
                1,
                "{}",
                rendered.body
            );
            let sent = rendered.body.replace(
                LINK_SLOT,
                "https://guichet.example/compte/verifier-email?jeton=s",
            );
            assert!(sent.contains("\n\nhttps://guichet.example/compte/verifier-email?jeton=s\n\n"));
            assert!(!sent.contains(LINK_SLOT));
        }
    }
}
