//! Checks on values people type that several services take: contact details (e-mail
//! addresses, French phone numbers) and business identifiers (SIRET).

use std::fmt;

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
