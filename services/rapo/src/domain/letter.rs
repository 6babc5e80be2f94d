//! The decision letter, in French plain text (every channel can show or print it), and
//! the next step a resident is told after a decision not wholly in their favour.

use std::fmt::Write as _;

use chrono::{DateTime, NaiveDate, Utc};
use guichet_kit::calendar::{french_date, paris_date, paris_offset_hours};
use guichet_proto::rapo::v1::{DecisionKind, NextStep};

use super::euros;

/// Who writes, and where residents write back.
const SENDER: &str = "Ville d'Aix-en-Provence — Police municipale, brigade stationnement\n\
                      Mairie d'Aix-en-Provence, Police municipale, CS 30715, 13616 Aix-en-Provence Cedex 1";
pub const TRIBUNAL: &str =
    "Tribunal du stationnement payant (commission du contentieux du stationnement payant, CCSP)";
pub const TRIBUNAL_ADDRESS: &str = "Limoges";
pub const TRIBUNAL_WEBSITE: &str = "www.tribunal-stationnement-payant.fr";

/// Everything a letter says, read from the dispute as decided.
#[derive(Debug, Clone)]
pub struct LetterFacts<'a> {
    pub tracking_number: &'a str,
    pub notice_number: &'a str,
    pub plate: &'a str,
    pub amount_cents: i64,
    pub offence_at: DateTime<Utc>,
    pub place: &'a str,
    pub holder_name: &'a str,
    pub holder_address: &'a str,
    pub representative_name: &'a str,
    pub received_at: DateTime<Utc>,
    pub kind: DecisionKind,
    pub reasons: &'a str,
    pub rectified_amount_cents: Option<i64>,
    pub rectified_notice_number: Option<&'a str>,
    pub decided_at: DateTime<Utc>,
    pub decided_by: &'a str,
    pub appeal_by: Option<NaiveDate>,
}

/// The advice after a decision that leaves something to pay.
pub fn next_step(appeal_by: NaiveDate) -> NextStep {
    NextStep {
        body: TRIBUNAL.to_owned(),
        address: TRIBUNAL_ADDRESS.to_owned(),
        website: TRIBUNAL_WEBSITE.to_owned(),
        deadline: appeal_by.to_string(),
        text: format!(
            "Vous pouvez contester cette décision devant le tribunal du stationnement payant \
             (commission du contentieux du stationnement payant, à Limoges) dans le délai d'un \
             mois, soit au plus tard le {}, en ligne sur {TRIBUNAL_WEBSITE} ou par courrier.",
            french_date(appeal_by)
        ),
    }
}

/// `14 h 35`, Paris time.
fn paris_time(at: DateTime<Utc>) -> String {
    let local = at + chrono::Duration::hours(paris_offset_hours(at));
    local.format("%H h %M").to_string()
}

pub fn file_name(tracking_number: &str) -> String {
    format!("decision-rapo-{tracking_number}.txt")
}

/// The letter's text.
pub fn render(facts: &LetterFacts<'_>) -> String {
    let mut letter = String::new();
    let mut line = |text: &str| {
        letter.push_str(text);
        letter.push('\n');
    };
    line(SENDER);
    line("");
    line(facts.holder_name);
    if !facts.holder_address.is_empty() {
        line(facts.holder_address);
    }
    if !facts.representative_name.is_empty() {
        line(&format!(
            "À l'attention de {}, mandataire",
            facts.representative_name
        ));
    }
    line("");
    line(&format!(
        "Aix-en-Provence, le {}",
        french_date(paris_date(facts.decided_at))
    ));
    line("");
    line(&format!(
        "Objet : recours administratif préalable obligatoire (RAPO) contre le forfait \
         post-stationnement n° {}",
        facts.notice_number
    ));
    line(&format!("Numéro de suivi : {}", facts.tracking_number));
    line("");
    line("Madame, Monsieur,");
    line("");
    line(&format!(
        "Le {}, vous avez contesté le forfait post-stationnement (FPS) n° {} d'un montant de \
         {}, établi le {} à {} au lieu suivant : {}, pour le véhicule immatriculé {}.",
        french_date(paris_date(facts.received_at)),
        facts.notice_number,
        euros(facts.amount_cents),
        french_date(paris_date(facts.offence_at)),
        paris_time(facts.offence_at),
        facts.place,
        facts.plate
    ));
    line("");
    let mut body = String::new();
    match facts.kind {
        DecisionKind::FullCancellation => {
            body.push_str(
                "Après examen de votre recours, le forfait post-stationnement est annulé. Vous \
                 n'avez rien à payer ; si vous l'avez déjà réglé, il vous sera remboursé.",
            );
        }
        DecisionKind::PartialCancellation => {
            let _ = write!(
                body,
                "Après examen, votre recours est partiellement accueilli : le montant du forfait \
                 est ramené de {} à {}. L'avis de paiement rectificatif n° {} remplace l'avis \
                 initial ; seul le montant rectifié reste dû.",
                euros(facts.amount_cents),
                euros(facts.rectified_amount_cents.unwrap_or_default()),
                facts.rectified_notice_number.unwrap_or_default()
            );
        }
        DecisionKind::Rejection => {
            body.push_str(
                "Après examen, votre recours est rejeté et le forfait post-stationnement reste dû.",
            );
        }
        DecisionKind::ImplicitRejection | DecisionKind::Unspecified => {
            let _ = write!(
                body,
                "La Ville n'a pas répondu à votre recours dans le délai d'un mois qui suivait sa \
                 réception. Ce silence vaut décision implicite de rejet, née le {} : le forfait \
                 post-stationnement reste dû.",
                french_date(paris_date(facts.decided_at))
            );
        }
    }
    line(&body);
    if !facts.reasons.is_empty() {
        line("");
        line("Motifs de la décision :");
        line(facts.reasons);
    }
    if let Some(appeal_by) = facts.appeal_by {
        line("");
        line("Voies et délais de recours :");
        line(&next_step(appeal_by).text);
    }
    line("");
    line("Veuillez agréer, Madame, Monsieur, l'expression de nos salutations distinguées.");
    line("");
    if facts.decided_by.is_empty() {
        line("Pour le Maire, la Police municipale");
    } else {
        line(&format!(
            "Pour le Maire, {}, Police municipale",
            facts.decided_by
        ));
    }
    letter
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    fn facts(kind: DecisionKind) -> LetterFacts<'static> {
        LetterFacts {
            tracking_number: "RABC-DEFG-HJKM-N5",
            notice_number: "12345678901234567890123456",
            plate: "AB-123-CD",
            amount_cents: 3300,
            offence_at: "2026-03-12T13:35:00Z".parse().unwrap(),
            place: "12 cours Mirabeau",
            holder_name: "Jeanne Martin",
            holder_address: "3 rue Espariat, 13100 Aix-en-Provence",
            representative_name: "",
            received_at: "2026-03-20T09:00:00Z".parse().unwrap(),
            kind,
            reasons: "",
            rectified_amount_cents: Some(1700),
            rectified_notice_number: Some("99999999999999999999999999"),
            decided_at: "2026-04-02T09:00:00Z".parse().unwrap(),
            decided_by: "Inès Agent",
            appeal_by: Some("2026-05-02".parse().unwrap()),
        }
    }

    #[test]
    fn a_partial_cancellation_names_the_rectified_notice_and_the_tribunal() {
        let letter = render(&facts(DecisionKind::PartialCancellation));
        for part in [
            "ramené de 33,00 € à 17,00 €",
            "99999999999999999999999999",
            "12 mars 2026 à 14 h 35",
            "tribunal du stationnement payant",
            "2 mai 2026",
        ] {
            assert!(letter.contains(part), "{part} missing from:\n{letter}");
        }
    }

    #[test]
    fn a_cancellation_leaves_nothing_to_pay_and_no_appeal() {
        let mut f = facts(DecisionKind::FullCancellation);
        f.appeal_by = None;
        let letter = render(&f);
        assert!(letter.contains("est annulé"));
        assert!(!letter.contains("tribunal"));
    }
}
