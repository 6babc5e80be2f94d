//! Checks on values people type that several services take: contact details (e-mail
//! addresses, French phone numbers), business identifiers (SIRET), and the characters
//! every output can serve (XML 1.0's).

use std::{borrow::Cow, fmt};

/// A plausible e-mail address: one `@`, something before it, a dotted domain after,
/// no spaces. Delivery is the real test; this catches typos.
pub fn is_email(text: &str) -> bool {
    let Some((local, domain)) = text.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !text.chars().any(char::is_whitespace)
        && text.len() <= 254
}

/// A French phone number as people type it: `06 12 34 56 78`, `06.12.34.56.78`,
/// `+33 6 12 34 56 78` or `0033612345678`.
/// A latitude in decimal degrees (NaN and infinities are none).
pub fn is_latitude(degrees: f64) -> bool {
    (-90.0..=90.0).contains(&degrees)
}

/// A longitude in decimal degrees (NaN and infinities are none).
pub fn is_longitude(degrees: f64) -> bool {
    (-180.0..=180.0).contains(&degrees)
}

pub fn is_french_phone(text: &str) -> bool {
    let national = national_phone(text);
    national.len() == 10
        && national.starts_with('0')
        && !national.starts_with("00")
        && national.chars().all(|c| c.is_ascii_digit())
}

/// The ten-digit national form (`0612345678`), to compare numbers however typed.
pub fn national_phone(text: &str) -> String {
    let digits: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '.' | '-' | '\u{a0}'))
        .collect();
    if let Some(rest) = digits.strip_prefix("+33") {
        format!("0{rest}")
    } else if let Some(rest) = digits.strip_prefix("0033") {
        format!("0{rest}")
    } else {
        digits
    }
}

/// Whether a text holds something a person can see: not only white space, control
/// characters, or the invisible ones people paste (zero-width spaces and joiners,
/// direction marks, the soft hyphen, fillers, variation selectors, tag characters).
pub fn has_visible_content(text: &str) -> bool {
    text.chars()
        .any(|c| !c.is_whitespace() && !c.is_control() && !is_invisible(c))
}

/// Characters that render as nothing (Unicode format characters and blank letters).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{2800}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// Whether XML 1.0 allows `c` in a document (its `Char` production): tab, line feed,
/// carriage return, and every character from U+0020 on except U+FFFE and U+FFFF
/// (surrogates cannot occur in a Rust string). NUL and the other C0 controls are out.
pub fn is_xml_char(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..
    )
}

/// The first character of `text` that XML 1.0 does not allow, if any. Text the platform
/// accepts holds none, so every output (Open311 XML, the Atom feed) can serve it.
pub fn first_non_xml_char(text: &str) -> Option<char> {
    text.chars().find(|c| !is_xml_char(*c))
}

/// Whether every character of `text` is allowed in XML 1.0.
pub fn xml_safe(text: &str) -> bool {
    first_non_xml_char(text).is_none()
}

/// `text` without the characters XML 1.0 does not allow, for writers of XML documents:
/// text stored before they were refused must not break a document. Borrowed when
/// there is nothing to drop.
pub fn xml_servable(text: &str) -> Cow<'_, str> {
    if xml_safe(text) {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(text.chars().filter(|c| is_xml_char(*c)).collect())
    }
}

/// The French sentence refusing a text that holds `c`, for the person who typed it.
pub fn non_xml_char_message(c: char) -> String {
    format!(
        "Ce texte contient un caractère non autorisé (U+{:04X}) : retirez-le et réessayez.",
        u32::from(c)
    )
}

/// La Poste's SIREN: its thousands of SIRETs follow their own check rule.
const LA_POSTE_SIREN: &str = "356000000";

/// A SIRET number: 14 digits identifying a business establishment, checked with Luhn,
/// except La Poste's establishments (SIREN 356000000), whose digits sum to a multiple
/// of 5. Held without spaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siret(String);

impl Siret {
    /// Parses a SIRET as typed (spaces allowed), refusing any that fails its check.
    pub fn parse(input: &str) -> Option<Self> {
        let digits: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 14 || !digits.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        let valid = if digits.starts_with(LA_POSTE_SIREN) && digits != "35600000000048" {
            digit_sum(&digits).is_multiple_of(5)
        } else {
            luhn(&digits)
        };
        valid.then_some(Self(digits))
    }

    /// The 14 digits, without spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Siret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn digits(s: &str) -> impl DoubleEndedIterator<Item = u32> + '_ {
    s.chars().filter_map(|c| c.to_digit(10))
}

fn digit_sum(s: &str) -> u32 {
    digits(s).sum()
}

fn luhn(s: &str) -> bool {
    let sum: u32 = digits(s)
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_made_only_of_invisible_characters_holds_nothing() {
        assert!(has_visible_content("Trou profond"));
        assert!(has_visible_content(" é "));
        assert!(!has_visible_content(""));
        assert!(!has_visible_content(" \t\n\u{a0}"));
        assert!(!has_visible_content("\u{200B}\u{200D}\u{FEFF}\u{2060}"));
        assert!(!has_visible_content("\u{3164}\u{2800}\u{00AD}\u{0007}"));
        assert!(has_visible_content("\u{200B}x"));
    }

    #[test]
    fn only_what_xml_allows_is_servable() {
        assert!(xml_safe("Cours Mirabeau, l'Étang <&> \"ici\" 🚧\t\r\n"));
        assert!(xml_safe("\u{7F}\u{85}\u{FDD0}\u{FFFD}\u{10FFFF}"));
        for c in [
            '\u{0}', '\u{1}', '\u{8}', '\u{B}', '\u{C}', '\u{1B}', '\u{1F}',
        ] {
            assert_eq!(first_non_xml_char(&format!("a{c}b")), Some(c));
        }
        assert_eq!(first_non_xml_char("a\u{FFFE}b\u{FFFF}"), Some('\u{FFFE}'));
        assert_eq!(
            xml_servable("Cours\u{FFFF}\u{1} Mirabeau"),
            "Cours Mirabeau"
        );
        assert!(matches!(xml_servable("Cours Mirabeau"), Cow::Borrowed(_)));
        assert!(non_xml_char_message('\u{FFFF}').contains("(U+FFFF)"));
        assert!(non_xml_char_message('\u{0}').contains("(U+0000)"));
    }

    #[test]
    fn emails() {
        assert!(is_email("jeanne.martin@example.fr"));
        assert!(!is_email("jeanne.martin"));
        assert!(!is_email("jeanne@localhost"));
        assert!(!is_email("jeanne @example.fr"));
        assert!(!is_email("@example.fr"));
    }

    #[test]
    fn phones() {
        assert!(is_french_phone("06 12 34 56 78"));
        assert!(is_french_phone("04.42.91.90.00"));
        assert!(is_french_phone("+33 6 12 34 56 78"));
        assert!(is_french_phone("0033612345678"));
        assert!(!is_french_phone("12"));
        assert!(!is_french_phone("06 12 34 56 7a"));
        assert!(!is_french_phone("0012345678"));
        assert_eq!(
            national_phone("+33 6 12 34 56 78"),
            national_phone("06.12.34.56.78")
        );
    }

    #[test]
    fn luhn_valid_sirets_are_accepted() {
        assert!(Siret::parse("21130001200013").is_some());
        assert!(Siret::parse("732 829 320 00074").is_some());
        assert_eq!(
            Siret::parse("732 829 320 00074").unwrap().as_str(),
            "73282932000074"
        );
    }

    #[test]
    fn a_wrong_siret_digit_is_caught() {
        assert!(Siret::parse("21130001200014").is_none());
        assert!(Siret::parse("2113000120001").is_none());
        assert!(Siret::parse("2113000120001A").is_none());
    }

    #[test]
    fn la_poste_establishments_use_their_own_rule() {
        // Digits sum to 15: a multiple of 5, though not Luhn-valid.
        assert!(Siret::parse("35600000049837").is_some());
        assert!(!luhn("35600000049837"));
        assert!(Siret::parse("35600000049838").is_none());
        // La Poste's head office is a plain Luhn number.
        assert!(Siret::parse("35600000000048").is_some());
    }
}
