//! Reading one answer against its field's type and rules: what the resident meant
//! (trimmed text, a phone number in national form, a SIRET or IBAN without spaces, a
//! parsed number or date), or what is wrong with it in French. Whether the field is
//! shown or required is decided by the validator, not here. File answers are judged
//! against what the platform knows of each upload ([`AttachmentMeta`]).

use std::collections::HashMap;

use chrono::NaiveDate;
use guichet_kit::validate::{
    Siret, first_non_xml_char, is_email, is_french_phone, national_phone, non_xml_char_message,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Number, Value};

use super::{
    condition::is_empty,
    field::{
        AddressRules, DateBound, DateRules, DecimalRules, FieldKind, FileRules, IbanRules,
        IntegerRules, LONG_TEXT_MAX, MultipleChoiceRules, SHORT_TEXT_MAX, TextRules,
    },
    iban::{Iban, IbanError},
};

/// What the platform knows of an uploaded file: stored before the submission, then
/// referenced by `id` in the answers of a file field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttachmentMeta {
    /// The upload's id, as the answers reference it.
    pub id: String,
    /// The type sniffed from the content (not the one the client claimed).
    pub mime_type: String,
    /// Size in bytes.
    pub size: u64,
    /// SHA-256 of the content, hex.
    pub sha256: String,
}

/// What the validator hands every answer: the day of filing and the uploads.
pub(crate) struct Context<'a> {
    pub today: NaiveDate,
    pub attachments: HashMap<&'a str, &'a AttachmentMeta>,
}

/// One thing wrong with an answer: where below the field (`.postcode`, `[1]`, or
/// nothing) and what, in French.
#[derive(Debug)]
pub(crate) struct Fault {
    pub suffix: String,
    pub message: String,
}

/// The normalised answer (`None` when there is none), or what is wrong with it.
pub(crate) type Parsed = Result<Option<Value>, Vec<Fault>>;

fn fault(message: impl Into<String>) -> Parsed {
    Err(vec![Fault {
        suffix: String::new(),
        message: message.into(),
    }])
}

/// Reads the answer to a field of this kind. Repeatable blocks are the validator's.
pub(crate) fn parse(kind: &FieldKind, raw: Option<&Value>, ctx: &Context<'_>) -> Parsed {
    let raw = match raw {
        Some(value) if !is_empty(value) => value,
        // An unticked box is an answer: « no ».
        _ if matches!(kind, FieldKind::Checkbox) => return Ok(Some(Value::Bool(false))),
        _ => return Ok(None),
    };
    match kind {
        FieldKind::ShortText(rules) => text(raw, rules, SHORT_TEXT_MAX, true),
        FieldKind::LongText(rules) => text(raw, rules, LONG_TEXT_MAX, false),
        FieldKind::Integer(rules) => integer(raw, rules),
        FieldKind::Decimal(rules) => decimal(raw, rules),
        FieldKind::Email => match raw.as_str().map(|s| s.trim().to_lowercase()) {
            Some(email) if is_email(&email) => Ok(Some(Value::String(email))),
            _ => fault("Cette adresse e-mail n'est pas valide (par exemple nom@exemple.fr)."),
        },
        FieldKind::Phone => match raw.as_str() {
            Some(phone) if is_french_phone(phone.trim()) => {
                Ok(Some(Value::String(national_phone(phone.trim()))))
            }
            _ => fault("Ce numéro de téléphone n'est pas valide (par exemple 06 12 34 56 78)."),
        },
        FieldKind::Date(rules) => date(raw, rules, ctx.today),
        FieldKind::YesNo => match raw {
            Value::Bool(_) => Ok(Some(raw.clone())),
            _ => fault("Répondez par oui ou par non."),
        },
        FieldKind::Checkbox => match raw {
            Value::Bool(_) => Ok(Some(raw.clone())),
            _ => fault("Cochez ou décochez cette case."),
        },
        FieldKind::Choice(rules) => match raw.as_str() {
            Some(value) if rules.options.iter().any(|o| o.value == value) => Ok(Some(raw.clone())),
            _ => fault("Choisissez une des options proposées."),
        },
        FieldKind::MultipleChoice(rules) => multiple_choice(raw, rules),
        FieldKind::Address(rules) => address(raw, rules),
        FieldKind::Siret => match raw.as_str().and_then(Siret::parse) {
            Some(siret) => Ok(Some(Value::String(siret.as_str().to_owned()))),
            None => fault("Ce numéro SIRET n'est pas valide (14 chiffres)."),
        },
        FieldKind::Iban(rules) => iban(raw, rules),
        FieldKind::File(rules) => files(raw, rules, ctx),
        FieldKind::Repeatable(_) | FieldKind::SectionTitle | FieldKind::Explanation(_) => Ok(None),
    }
}

fn text(raw: &Value, rules: &TextRules, cap: u32, single_line: bool) -> Parsed {
    let text = match raw {
        Value::String(s) => s.trim().to_owned(),
        Value::Number(n) => n.to_string(),
        _ => return fault("Saisissez un texte."),
    };
    if let Some(c) = first_non_xml_char(&text) {
        return fault(non_xml_char_message(c));
    }
    if single_line && text.contains(['\n', '\r']) {
        return fault("Cette réponse tient sur une ligne.");
    }
    let length = u32::try_from(text.chars().count()).unwrap_or(u32::MAX);
    let max = rules.max_length.map_or(cap, |m| m.min(cap));
    if let Some(min) = rules.min_length
        && length < min
    {
        return fault(format!("Au moins {min} caractères."));
    }
    if length > max {
        return fault(format!("Au plus {max} caractères."));
    }
    if let Some(pattern) = &rules.pattern
        && !pattern.is_match(&text)
    {
        return fault(
            rules
                .pattern_hint
                .clone()
                .unwrap_or_else(|| "Le format de cette réponse n'est pas valide.".to_owned()),
        );
    }
    Ok(Some(Value::String(text)))
}

/// Digits as typed, without the spaces people put between thousands.
fn compact_number(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}'))
        .collect()
}

fn integer(raw: &Value, rules: &IntegerRules) -> Parsed {
    let number = match raw {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => compact_number(s).parse::<i64>().ok(),
        _ => None,
    };
    let Some(number) = number else {
        return fault("Saisissez un nombre entier.");
    };
    if let Some(min) = rules.min
        && number < min
    {
        return fault(format!("La valeur doit être au moins {min}."));
    }
    if let Some(max) = rules.max
        && number > max
    {
        return fault(format!("La valeur doit être au plus {max}."));
    }
    Ok(Some(Value::from(number)))
}

fn decimal(raw: &Value, rules: &DecimalRules) -> Parsed {
    let (number, text) = match raw {
        // Rust prints floats without exponent: digits after the point are countable.
        Value::Number(n) => (
            n.as_f64(),
            n.as_f64().map(|f| f.to_string()).unwrap_or_default(),
        ),
        Value::String(s) => {
            let text = compact_number(s).replace(',', ".");
            let number = is_plain_decimal(&text)
                .then(|| text.parse::<f64>().ok())
                .flatten();
            (number, text)
        }
        _ => (None, String::new()),
    };
    let Some(number) = number.filter(|n| n.is_finite()) else {
        return fault("Saisissez un nombre (par exemple 12,50).");
    };
    if let Some(max) = rules.max_decimals {
        let decimals = text
            .split_once('.')
            .map_or(0, |(_, d)| d.trim_end_matches('0').len());
        if decimals > usize::from(max) {
            return fault(if max == 0 {
                "Saisissez un nombre sans décimales.".to_owned()
            } else {
                format!("Au plus {max} chiffres après la virgule.")
            });
        }
    }
    if let Some(min) = rules.min
        && number < min
    {
        return fault(format!(
            "La valeur doit être au moins {}.",
            french_number(min)
        ));
    }
    if let Some(max) = rules.max
        && number > max
    {
        return fault(format!(
            "La valeur doit être au plus {}.",
            french_number(max)
        ));
    }
    Ok(Number::from_f64(number).map(Value::Number))
}

/// Digits, with an optional sign and one decimal point: no exponent, no `inf`.
fn is_plain_decimal(text: &str) -> bool {
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    !(whole.is_empty() && fraction.is_empty())
        && whole.bytes().all(|b| b.is_ascii_digit())
        && fraction.bytes().all(|b| b.is_ascii_digit())
}

/// A number as French readers write it (`12,5`).
fn french_number(n: f64) -> String {
    n.to_string().replace('.', ",")
}

fn date(raw: &Value, rules: &DateRules, today: NaiveDate) -> Parsed {
    let date = raw.as_str().map(str::trim).and_then(|s| {
        NaiveDate::parse_from_str(s, "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(s, "%d/%m/%Y"))
            .ok()
    });
    let Some(date) = date else {
        return fault("Saisissez une date valide (JJ/MM/AAAA).");
    };
    if let Some(bound) = rules.min
        && bound.resolve(today).is_some_and(|min| date < min)
    {
        return fault(if bound == DateBound::TODAY {
            "La date ne peut pas être passée.".to_owned()
        } else {
            format!(
                "La date doit être le {} ou après.",
                french_date(bound.resolve(today))
            )
        });
    }
    if let Some(bound) = rules.max
        && bound.resolve(today).is_some_and(|max| date > max)
    {
        return fault(if bound == DateBound::TODAY {
            "La date ne peut pas être dans le futur.".to_owned()
        } else {
            format!(
                "La date doit être le {} ou avant.",
                french_date(bound.resolve(today))
            )
        });
    }
    Ok(Some(Value::String(date.format("%Y-%m-%d").to_string())))
}

fn french_date(date: Option<NaiveDate>) -> String {
    date.map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}

fn multiple_choice(raw: &Value, rules: &MultipleChoiceRules) -> Parsed {
    let items: Vec<&Value> = match raw {
        Value::Array(items) => items.iter().collect(),
        Value::String(_) => vec![raw],
        _ => return fault("Choisissez parmi les options proposées."),
    };
    let mut picked: Vec<Value> = Vec::new();
    let mut faults = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        match item.as_str() {
            Some(value) if rules.options.iter().any(|o| o.value == value) => {
                if !picked.contains(item) {
                    picked.push(item.clone());
                }
            }
            _ => faults.push(Fault {
                suffix: format!("[{i}]"),
                message: "Cette option n'existe pas.".to_owned(),
            }),
        }
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    let count = u32::try_from(picked.len()).unwrap_or(u32::MAX);
    if let Some(min) = rules.min_selected
        && count < min
    {
        return fault(format!("Choisissez au moins {min} options."));
    }
    if let Some(max) = rules.max_selected
        && count > max
    {
        return fault(format!("Choisissez au plus {max} options."));
    }
    Ok(Some(Value::Array(picked)))
}

fn address(raw: &Value, rules: &AddressRules) -> Parsed {
    let Value::Object(parts) = raw else {
        return fault("Indiquez l'adresse : numéro et voie, code postal et commune.");
    };
    let mut faults = Vec::new();
    let mut wrong = |suffix: &str, message: String| {
        faults.push(Fault {
            suffix: suffix.to_owned(),
            message,
        });
    };
    let text = |key: &str| match parts.get(key) {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let (street, complement, postcode, city) = (
        text("street"),
        text("complement"),
        text("postcode"),
        text("city"),
    );
    for (key, value, max, missing) in [
        (
            "street",
            &street,
            200,
            Some("Indiquez le numéro et la voie."),
        ),
        ("complement", &complement, 200, None),
        ("postcode", &postcode, 5, Some("Indiquez le code postal.")),
        ("city", &city, 100, Some("Indiquez la commune.")),
    ] {
        let suffix = format!(".{key}");
        if value.is_empty() {
            if let Some(missing) = missing {
                wrong(&suffix, missing.to_owned());
            }
        } else if key == "postcode"
            && (value.len() != 5 || !value.bytes().all(|b| b.is_ascii_digit()))
        {
            wrong(&suffix, "Le code postal compte 5 chiffres.".to_owned());
        } else if key == "postcode"
            && !rules.postcodes.is_empty()
            && !rules.postcodes.contains(value)
        {
            wrong(
                &suffix,
                format!(
                    "Cette démarche concerne la commune : codes postaux acceptés {}.",
                    rules.postcodes.join(", ")
                ),
            );
        } else if value.chars().count() > max {
            wrong(&suffix, format!("Au plus {max} caractères."));
        }
    }
    let coordinate = |key: &str| parts.get(key).filter(|v| !v.is_null()).map(Value::as_f64);
    let latitude = coordinate("latitude");
    let longitude = coordinate("longitude");
    match (latitude, longitude) {
        (Some(lat), _) if !lat.is_some_and(|l| (-90.0..=90.0).contains(&l)) => {
            wrong(
                ".latitude",
                "La latitude est comprise entre -90 et 90.".to_owned(),
            );
        }
        (_, Some(lon)) if !lon.is_some_and(|l| (-180.0..=180.0).contains(&l)) => {
            wrong(
                ".longitude",
                "La longitude est comprise entre -180 et 180.".to_owned(),
            );
        }
        (Some(_), None) => wrong(".longitude", "La longitude manque.".to_owned()),
        (None, Some(_)) => wrong(".latitude", "La latitude manque.".to_owned()),
        (None, None) if rules.coordinates_required => {
            wrong(".latitude", "Placez l'adresse sur la carte.".to_owned());
        }
        _ => {}
    }
    if !faults.is_empty() {
        return Err(faults);
    }
    let mut clean = Map::new();
    clean.insert("street".into(), street.into());
    if !complement.is_empty() {
        clean.insert("complement".into(), complement.into());
    }
    clean.insert("postcode".into(), postcode.into());
    clean.insert("city".into(), city.into());
    if let (Some(Some(lat)), Some(Some(lon))) = (latitude, longitude) {
        clean.insert("latitude".into(), lat.into());
        clean.insert("longitude".into(), lon.into());
    }
    Ok(Some(Value::Object(clean)))
}

fn iban(raw: &Value, rules: &IbanRules) -> Parsed {
    let parsed = raw.as_str().map_or(Err(IbanError::Malformed), Iban::parse);
    match parsed {
        Ok(iban)
            if !rules.countries.is_empty()
                && !rules.countries.iter().any(|c| c == iban.country()) =>
        {
            fault(format!(
                "Les IBAN de ce pays ne sont pas acceptés ici (pays acceptés : {}).",
                rules.countries.join(", ")
            ))
        }
        Ok(iban) => Ok(Some(Value::String(iban.as_str().to_owned()))),
        Err(IbanError::Malformed) => fault(
            "Un IBAN commence par le code du pays et deux chiffres (par exemple FR76 3000 …).",
        ),
        Err(IbanError::NotSepa) => fault("Seuls les IBAN de l'espace SEPA sont acceptés."),
        Err(IbanError::WrongLength { expected }) => {
            fault(format!("Un IBAN de ce pays compte {expected} caractères."))
        }
        Err(IbanError::Checksum) => fault("Cet IBAN n'est pas valide : vérifiez chaque caractère."),
    }
}

fn files(raw: &Value, rules: &FileRules, ctx: &Context<'_>) -> Parsed {
    let items: Vec<&Value> = match raw {
        Value::Array(items) => items.iter().collect(),
        Value::String(_) => vec![raw],
        _ => return fault("Joignez les fichiers demandés."),
    };
    if items.len() > usize::try_from(rules.max_files).unwrap_or(usize::MAX) {
        return fault(if rules.max_files == 1 {
            "Joignez un seul fichier.".to_owned()
        } else {
            format!("Joignez au plus {} fichiers.", rules.max_files)
        });
    }
    let mut ids: Vec<Value> = Vec::new();
    let mut faults = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let mut wrong = |message: String| {
            faults.push(Fault {
                suffix: format!("[{i}]"),
                message,
            });
        };
        let Some(meta) = item.as_str().and_then(|id| ctx.attachments.get(id)) else {
            wrong("Ce fichier est introuvable : déposez-le de nouveau.".to_owned());
            continue;
        };
        if ids.contains(item) {
            wrong("Ce fichier est déjà joint.".to_owned());
        } else if !rules
            .accept
            .iter()
            .any(|a| mime_matches(a, &meta.mime_type))
        {
            wrong(format!(
                "Ce type de fichier n'est pas accepté (types acceptés : {}).",
                rules
                    .accept
                    .iter()
                    .map(|a| type_name(a))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        } else if meta.size > rules.max_size {
            wrong(format!(
                "Ce fichier dépasse la taille maximale de {}.",
                human_size(rules.max_size)
            ));
        } else {
            ids.push(item.clone());
        }
    }
    if faults.is_empty() {
        Ok(Some(Value::Array(ids)))
    } else {
        Err(faults)
    }
}

/// Whether an accepted type (`image/*`, `application/pdf`) covers the sniffed one.
fn mime_matches(accepted: &str, actual: &str) -> bool {
    let actual = actual
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match accepted.strip_suffix("/*") {
        Some(family) => actual.split_once('/').is_some_and(|(f, _)| f == family),
        None => accepted == actual,
    }
}

/// What people call a file type.
fn type_name(mime: &str) -> String {
    match mime {
        "application/pdf" => "PDF".to_owned(),
        "image/jpeg" => "JPEG".to_owned(),
        "image/png" => "PNG".to_owned(),
        "image/webp" => "WebP".to_owned(),
        "image/*" => "images".to_owned(),
        "application/vnd.oasis.opendocument.text" => "ODT".to_owned(),
        "application/msword"
        | "application/vnd.openxmlformats-officedocument.wordprocessingml.document" => {
            "Word".to_owned()
        }
        other => other.to_owned(),
    }
}

/// A size as people read it (`5 Mo`, `500 ko`).
fn human_size(bytes: u64) -> String {
    const KIB: u64 = 1024;
    const MIB: u64 = 1024 * 1024;
    if bytes >= MIB {
        let tenths = bytes * 10 / MIB;
        if tenths.is_multiple_of(10) {
            format!("{} Mo", tenths / 10)
        } else {
            format!("{},{} Mo", tenths / 10, tenths % 10)
        }
    } else if bytes >= KIB {
        format!("{} ko", bytes / KIB)
    } else {
        format!("{bytes} octets")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_types_read_as_people_say_them() {
        assert_eq!(human_size(5 * 1024 * 1024), "5 Mo");
        assert_eq!(human_size(1536 * 1024), "1,5 Mo");
        assert_eq!(human_size(500 * 1024), "500 ko");
        assert_eq!(human_size(12), "12 octets");
        assert!(mime_matches("image/*", "image/png"));
        assert!(mime_matches(
            "application/pdf",
            "application/pdf; charset=binary"
        ));
        assert!(!mime_matches("image/*", "application/pdf"));
        assert_eq!(type_name("application/pdf"), "PDF");
    }
}
