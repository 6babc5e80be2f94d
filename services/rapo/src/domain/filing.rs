//! What an admissible dispute is: the form (who files, statement, pieces) and, against
//! the registry, the notice (an FPS of the city, the plate on it, the month to file).
//! Every problem is reported at once, by field path, in French.

use chrono::{DateTime, NaiveDate, Utc};
use guichet_kit::{
    calendar::{french_date, paris_date},
    grpc::Violation,
    upload,
    validate::{is_email, is_french_phone},
};
use guichet_proto::rapo::v1::{Attachment, FileDisputeRequest, NoticeKind};

use super::{ANTAI_URL, Notice, filing_deadline, is_plate, plate_key};

/// Largest piece accepted: a phone photo or a few scanned pages.
pub const MAX_PIECE_BYTES: usize = 3 * 1024 * 1024;
/// Largest dossier, every piece together.
pub const MAX_TOTAL_BYTES: usize = 10 * 1024 * 1024;
/// Supporting documents at most.
pub const MAX_SUPPORTING: usize = 10;
/// Longest statement of facts or grounds.
const MAX_STATEMENT: usize = 10_000;
const MAX_TEXT: usize = 300;

/// A stored file: what it is for, and what its bytes are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPiece {
    pub role: &'static str,
    pub name: String,
    pub content_type: &'static str,
    pub sha256: String,
    pub data: Vec<u8>,
}

/// A dispute whose form is complete; the registry checks come next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDispute {
    pub notice_number: String,
    pub plate: String,
    pub holder_name: String,
    pub holder_address: String,
    pub representative_name: String,
    pub representative_address: String,
    pub contact_email: String,
    pub contact_phone: String,
    pub facts: String,
    pub grounds: String,
    pub pieces: Vec<NewPiece>,
}

/// The form's problems, or the dispute. A classic fine (PV) is refused on its own, with
/// where to go instead: nothing else about the form matters then.
pub fn parse(request: &FileDisputeRequest) -> Result<NewDispute, Vec<Violation>> {
    let mut violations = Vec::new();
    let notice = Notice::parse(&request.notice_number);
    if request.notice_kind() == NoticeKind::Pv || notice == Notice::Pv {
        return Err(vec![Violation::new(
            "notice_number",
            &format!(
                "Cet avis est un avis de contravention (PV), pas un forfait post-stationnement : \
                 il ne se conteste pas par un recours auprès de la Ville. Adressez votre \
                 contestation à l'Agence nationale de traitement automatisé des infractions \
                 (ANTAI), sur {ANTAI_URL} ou par courrier, selon les indications portées sur l'avis."
            ),
        )]);
    }
    let notice_number = match notice {
        Notice::Fps(number) => number,
        _ => {
            violations.push(Violation::new(
                "notice_number",
                "Le numéro de l'avis de paiement comporte 26 chiffres (28 pour le numéro de télépaiement).",
            ));
            String::new()
        }
    };
    let plate = request.plate.trim();
    if !is_plate(plate) {
        violations.push(Violation::new(
            "plate",
            "Indiquez l'immatriculation du véhicule (par exemple AB-123-CD).",
        ));
    }
    let holder = request.holder.clone().unwrap_or_default();
    let holder_name = text(
        &holder.name,
        "holder.name",
        "Indiquez le nom du titulaire du certificat d'immatriculation.",
        &mut violations,
    );
    let holder_address = limited(&holder.address, "holder.address", &mut violations);
    let representative = request.representative.clone().unwrap_or_default();
    let on_behalf = !representative.name.trim().is_empty();
    let representative_name = limited(&representative.name, "representative.name", &mut violations);
    let representative_address = limited(
        &representative.address,
        "representative.address",
        &mut violations,
    );
    let contact = request.contact.clone().unwrap_or_default();
    let contact_email = contact.email.trim().to_owned();
    if !contact_email.is_empty() && !is_email(&contact_email) {
        violations.push(Violation::new(
            "contact.email",
            "Cette adresse e-mail n'est pas valide.",
        ));
    }
    let contact_phone = contact.phone.trim().to_owned();
    if !contact_phone.is_empty() && !is_french_phone(&contact_phone) {
        violations.push(Violation::new(
            "contact.phone",
            "Ce numéro de téléphone n'est pas valide.",
        ));
    }
    let facts = statement(
        &request.facts,
        "facts",
        "Exposez les faits : où, quand, ce qui s'est passé.",
        &mut violations,
    );
    let grounds = statement(
        &request.grounds,
        "grounds",
        "Indiquez les motifs pour lesquels vous contestez le forfait.",
        &mut violations,
    );
    let pieces = pieces(request, on_behalf, &mut violations);
    if !violations.is_empty() {
        return Err(violations);
    }
    Ok(NewDispute {
        notice_number,
        plate: plate.to_owned(),
        holder_name,
        holder_address,
        representative_name,
        representative_address,
        contact_email,
        contact_phone,
        facts,
        grounds,
        pieces,
    })
}

/// The notice as the registry knows it, for the admissibility checks.
#[derive(Debug, Clone)]
pub struct RegisteredNotice {
    pub plate: String,
    pub notified_on: NaiveDate,
    /// Set on a rectified notice.
    pub rectifies: Option<String>,
}

/// Admissibility against the registry: the notice is one of the city's FPS, the plate is
/// the one on it, the month to file has not passed, and no dispute exists for it yet.
pub fn check_notice(
    plate: &str,
    notice: Option<&RegisteredNotice>,
    already_disputed: bool,
    now: DateTime<Utc>,
) -> Vec<Violation> {
    let Some(notice) = notice else {
        return vec![Violation::new(
            "notice_number",
            "Aucun forfait post-stationnement de la Ville ne porte ce numéro : vérifiez le \
             numéro de l'avis de paiement. Un avis émis par une autre commune se conteste \
             auprès de celle-ci.",
        )];
    };
    let mut violations = Vec::new();
    if notice.rectifies.is_some() {
        violations.push(Violation::new(
            "notice_number",
            "Cet avis est un avis rectificatif émis à la suite d'un recours : il se conteste \
             directement devant le tribunal du stationnement payant.",
        ));
    }
    if already_disputed {
        violations.push(Violation::new(
            "notice_number",
            "Un recours administratif préalable a déjà été déposé pour cet avis de paiement : \
             suivez-le avec le numéro de suivi reçu lors du dépôt.",
        ));
    }
    if is_plate(plate) && plate_key(plate) != plate_key(&notice.plate) {
        violations.push(Violation::new(
            "plate",
            "Cette immatriculation ne correspond pas à celle de l'avis de paiement.",
        ));
    }
    let deadline = filing_deadline(notice.notified_on);
    if paris_date(now) > deadline {
        violations.push(Violation::new(
            "notice_number",
            &format!(
                "Le délai d'un mois pour former un recours contre cet avis, notifié le {}, a \
                 expiré le {} : le recours est irrecevable.",
                french_date(notice.notified_on),
                french_date(deadline)
            ),
        ));
    }
    violations
}

fn text(value: &str, path: &str, missing: &str, violations: &mut Vec<Violation>) -> String {
    let value = value.trim();
    if value.is_empty() {
        violations.push(Violation::new(path, missing));
    }
    limited(value, path, violations)
}

fn limited(value: &str, path: &str, violations: &mut Vec<Violation>) -> String {
    let value = value.trim();
    if value.chars().count() > MAX_TEXT {
        violations.push(Violation::new(
            path,
            &format!("{MAX_TEXT} caractères au plus."),
        ));
    }
    value.to_owned()
}

fn statement(value: &str, path: &str, missing: &str, violations: &mut Vec<Violation>) -> String {
    let value = value.trim();
    if value.is_empty() {
        violations.push(Violation::new(path, missing));
    } else if value.chars().count() > MAX_STATEMENT {
        violations.push(Violation::new(path, "10 000 caractères au plus."));
    }
    value.to_owned()
}

/// The required pieces and the optional ones, each sniffed and checked.
fn pieces(
    request: &FileDisputeRequest,
    on_behalf: bool,
    violations: &mut Vec<Violation>,
) -> Vec<NewPiece> {
    let given = request.pieces.clone().unwrap_or_default();
    let present = |a: &Option<Attachment>| a.as_ref().is_some_and(|a| !a.data.is_empty());
    if !present(&given.payment_notice) {
        violations.push(Violation::new(
            "pieces.payment_notice",
            "Joignez une copie de l'avis de paiement contesté.",
        ));
    }
    let certificate = present(&given.registration_certificate);
    let (sale, receipt) = (
        present(&given.sale_declaration),
        present(&given.sale_registration_receipt),
    );
    match (certificate, sale, receipt) {
        (true, _, _) | (false, true, true) => {}
        (false, true, false) => violations.push(Violation::new(
            "pieces.sale_registration_receipt",
            "Joignez l'accusé d'enregistrement de la déclaration de cession (SIV), ou une \
             copie du certificat d'immatriculation.",
        )),
        (false, false, true) => violations.push(Violation::new(
            "pieces.sale_declaration",
            "Joignez la déclaration de cession du véhicule avec son accusé d'enregistrement, \
             ou une copie du certificat d'immatriculation.",
        )),
        (false, false, false) => violations.push(Violation::new(
            "pieces.registration_certificate",
            "Joignez une copie du certificat d'immatriculation, ou la déclaration de cession \
             et son accusé d'enregistrement si le véhicule a été vendu.",
        )),
    }
    if on_behalf && !present(&given.mandate) {
        violations.push(Violation::new(
            "pieces.mandate",
            "Vous déposez le recours pour le titulaire : joignez le mandat qu'il a signé.",
        ));
    }
    if given.supporting.len() > MAX_SUPPORTING {
        violations.push(Violation::new(
            "pieces.supporting",
            &format!("{MAX_SUPPORTING} pièces justificatives au plus."),
        ));
    }
    let mut pieces = Vec::new();
    let named = [
        ("payment_notice", &given.payment_notice),
        ("registration_certificate", &given.registration_certificate),
        ("sale_declaration", &given.sale_declaration),
        (
            "sale_registration_receipt",
            &given.sale_registration_receipt,
        ),
        ("mandate", &given.mandate),
    ];
    for (role, attachment) in named {
        if let Some(attachment) = attachment.as_ref().filter(|a| !a.data.is_empty())
            && let Some(piece) = piece(role, attachment, &format!("pieces.{role}"), violations)
        {
            pieces.push(piece);
        }
    }
    for (i, attachment) in given.supporting.iter().enumerate() {
        let path = format!("pieces.supporting[{i}]");
        if attachment.data.is_empty() {
            violations.push(Violation::new(&path, "Ce fichier est vide."));
        } else if let Some(piece) = piece("supporting", attachment, &path, violations) {
            pieces.push(piece);
        }
    }
    let total: usize = pieces.iter().map(|p| p.data.len()).sum();
    if total > MAX_TOTAL_BYTES {
        violations.push(Violation::new(
            "pieces",
            "L'ensemble des pièces dépasse 10 Mo : réduisez la taille des fichiers.",
        ));
    }
    pieces
}

fn piece(
    role: &'static str,
    attachment: &Attachment,
    path: &str,
    violations: &mut Vec<Violation>,
) -> Option<NewPiece> {
    if attachment.data.len() > MAX_PIECE_BYTES {
        violations.push(Violation::new(
            &format!("{path}.data"),
            "Ce fichier dépasse 3 Mo : réduisez sa taille.",
        ));
        return None;
    }
    let Some(content_type) = upload::sniff_among(&attachment.data, ACCEPTED) else {
        violations.push(Violation::new(
            &format!("{path}.data"),
            "Ce fichier n'est ni un PDF, ni une image JPEG ou PNG.",
        ));
        return None;
    };
    // A photo of a ticket or a car is stored, hashed and served without its metadata.
    let data = match upload::strip_metadata(content_type, attachment.data.clone()) {
        Ok(data) => data,
        Err(refused) => {
            violations.push(Violation::new(&format!("{path}.data"), refused.message()));
            return None;
        }
    };
    Some(NewPiece {
        role,
        name: upload::safe_name(&attachment.name, "piece", content_type),
        content_type,
        sha256: upload::sha256_hex(&data),
        data,
    })
}

/// The pieces' accepted types, as sniffed from their bytes.
const ACCEPTED: &[&str] = guichet_kit::upload::DOCUMENTS;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use guichet_proto::rapo::v1::{Person, Pieces};

    use super::*;

    const PDF: &[u8] = b"%PDF-1.7\n1 0 obj\n";

    fn pdf(name: &str) -> Option<Attachment> {
        Some(Attachment {
            name: name.into(),
            content_type: "application/pdf".into(),
            data: PDF.to_vec(),
        })
    }

    fn request() -> FileDisputeRequest {
        FileDisputeRequest {
            notice_number: "12345678901234567890123456".into(),
            plate: "AB-123-CD".into(),
            holder: Some(Person {
                name: "Jeanne Martin".into(),
                address: "3 rue Espariat, 13100 Aix-en-Provence".into(),
            }),
            facts: "J'ai payé au parcmètre à 14 h 10.".into(),
            grounds: "Stationnement payé : ticket joint.".into(),
            pieces: Some(Pieces {
                payment_notice: pdf("avis.pdf"),
                registration_certificate: pdf("carte-grise.pdf"),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn fields(result: Result<NewDispute, Vec<Violation>>) -> Vec<String> {
        result
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn a_complete_form_is_accepted_with_the_sniffed_types() {
        let dispute = parse(&request()).unwrap();
        assert_eq!(dispute.pieces.len(), 2);
        assert!(
            dispute
                .pieces
                .iter()
                .all(|p| p.content_type == "application/pdf")
        );
        assert_eq!(dispute.pieces[0].sha256.len(), 64);
    }

    #[test]
    fn a_sale_declaration_needs_its_receipt_and_a_mandate_is_needed_for_someone_else() {
        let mut r = request();
        let pieces = r.pieces.as_mut().unwrap();
        pieces.registration_certificate = None;
        pieces.sale_declaration = pdf("cession.pdf");
        r.representative = Some(Person {
            name: "Paul Martin".into(),
            address: String::new(),
        });
        assert_eq!(
            fields(parse(&r)),
            ["pieces.sale_registration_receipt", "pieces.mandate"]
        );
    }

    #[test]
    fn a_photo_piece_is_kept_without_its_gps_position() {
        use guichet_kit::testing::photos;
        let mut r = request();
        r.pieces.as_mut().unwrap().supporting = vec![Attachment {
            name: "ticket.jpg".into(),
            content_type: "image/jpeg".into(),
            data: photos::jpeg_with_gps(),
        }];
        let dispute = parse(&r).unwrap();
        let kept = dispute
            .pieces
            .iter()
            .find(|p| p.role == "supporting")
            .unwrap();
        assert_eq!(kept.content_type, "image/jpeg");
        let has = |needle: &[u8]| kept.data.windows(needle.len()).any(|w| w == needle);
        assert!(!has(&photos::GPS_LATITUDE));
        assert!(!has(b"Exif"));
        assert_eq!(kept.sha256, upload::sha256_hex(&kept.data));
    }

    #[test]
    fn a_file_that_is_not_a_pdf_jpeg_or_png_is_refused() {
        let mut r = request();
        r.pieces.as_mut().unwrap().payment_notice = Some(Attachment {
            name: "avis.pdf".into(),
            content_type: "application/pdf".into(),
            data: b"MZ\x90\x00 not a pdf".to_vec(),
        });
        assert_eq!(fields(parse(&r)), ["pieces.payment_notice.data"]);
    }

    #[test]
    fn a_pv_is_sent_to_the_antai() {
        let mut r = request();
        r.notice_number = "0123456789".into();
        let violations = parse(&r).unwrap_err();
        assert_eq!(violations.len(), 1);
        assert!(violations[0].description.contains("ANTAI"));
        let mut r = request();
        r.notice_kind = NoticeKind::Pv as i32;
        assert!(parse(&r).unwrap_err()[0].description.contains(ANTAI_URL));
    }
}
