//! What residents read: one French template per event type, for e-mail (subject and
//! body), SMS (one short text) and the in-app message. Every demand message carries the
//! tracking number and the follow link.

use guichet_proto::demand::v1::Status;

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
        "Mairie : {lead} N° {number}. Suivi : {link}",
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

/// A status change; `reason` is the agent's explanation, if any. `invite` adds the
/// invitation to rate the answer (resolved or closed demands).
pub fn status_changed(about: &About<'_>, status: Status, reason: &str, invite: bool) -> Rendered {
    let (subject, lead) = match status {
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
    };
    let mut extra = String::new();
    if !reason.trim().is_empty() {
        extra.push_str(&format!("Précision du service : {}", reason.trim()));
    }
    if invite {
        if !extra.is_empty() {
            extra.push_str("\n\n");
        }
        extra.push_str(
            "Votre avis nous aide à améliorer le service : notez la réponse apportée (de 1 à 5) et laissez un commentaire depuis la page de suivi.",
        );
    }
    demand_message(
        about,
        format!("Votre demande {} {subject}", about.tracking_number),
        lead,
        &extra,
    )
}

/// An agent wrote to the resident.
pub fn message_posted(about: &About<'_>, text: &str) -> Rendered {
    let quoted: String = text
        .trim()
        .lines()
        .map(|line| format!("> {line}\n"))
        .collect();
    demand_message(
        about,
        format!(
            "Nouveau message concernant votre demande {}",
            about.tracking_number
        ),
        "Le service traitant votre demande vous a écrit :",
        quoted.trim_end(),
    )
}

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
}
