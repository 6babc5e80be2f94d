//! IBANs of the SEPA area: the country's length and the ISO 13616 check (the number,
//! letters turned into digits and the first four symbols moved to the end, leaves 1
//! when divided by 97).

use std::fmt;

/// IBAN length of each SEPA country (and French overseas departments and
/// collectivities that have their own country code but use the French format).
const SEPA: &[(&str, usize)] = &[
    ("AD", 24),
    ("AL", 28),
    ("AT", 20),
    ("BE", 16),
    ("BG", 22),
    ("BL", 27),
    ("CH", 21),
    ("CY", 28),
    ("CZ", 24),
    ("DE", 22),
    ("DK", 18),
    ("EE", 20),
    ("ES", 24),
    ("FI", 18),
    ("FR", 27),
    ("GB", 22),
    ("GF", 27),
    ("GI", 23),
    ("GP", 27),
    ("GR", 27),
    ("HR", 21),
    ("HU", 28),
    ("IE", 22),
    ("IS", 26),
    ("IT", 27),
    ("LI", 21),
    ("LT", 20),
    ("LU", 20),
    ("LV", 21),
    ("MC", 27),
    ("MD", 24),
    ("ME", 22),
    ("MF", 27),
    ("MK", 19),
    ("MQ", 27),
    ("MT", 31),
    ("NL", 18),
    ("NO", 15),
    ("PL", 28),
    ("PM", 27),
    ("PT", 25),
    ("RE", 27),
    ("RO", 24),
    ("SE", 24),
    ("SI", 19),
    ("SK", 24),
    ("SM", 27),
    ("VA", 22),
    ("YT", 27),
];

/// Whether `code` is a SEPA country code this module knows.
pub fn is_sepa_country(code: &str) -> bool {
    SEPA.iter().any(|(c, _)| *c == code)
}

/// An IBAN that passed its check, held without spaces and in upper case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Iban(String);

/// Why an IBAN was refused, so the resident reads what to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IbanError {
    /// Not two letters, two digits and letters or digits.
    Malformed,
    /// A country outside the SEPA area.
    NotSepa,
    /// Too short or too long for its country.
    WrongLength {
        /// The length the country's IBANs have.
        expected: usize,
    },
    /// The check digits do not match: a typo.
    Checksum,
}

impl Iban {
    /// Parses an IBAN as typed (spaces and lower case allowed).
    pub fn parse(input: &str) -> Result<Self, IbanError> {
        let compact: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_uppercase())
            .collect();
        let bytes = compact.as_bytes();
        if bytes.len() < 5
            || !bytes[..2].iter().all(u8::is_ascii_uppercase)
            || !bytes[2..4].iter().all(u8::is_ascii_digit)
            || !bytes.iter().all(u8::is_ascii_alphanumeric)
        {
            return Err(IbanError::Malformed);
        }
        let Some(&(_, expected)) = SEPA.iter().find(|(c, _)| *c == &compact[..2]) else {
            return Err(IbanError::NotSepa);
        };
        if compact.len() != expected {
            return Err(IbanError::WrongLength { expected });
        }
        if mod97(&compact) != 1 {
            return Err(IbanError::Checksum);
        }
        Ok(Self(compact))
    }

    /// The IBAN without spaces.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The two-letter country code.
    pub fn country(&self) -> &str {
        &self.0[..2]
    }
}

impl fmt::Display for Iban {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The IBAN's remainder by 97 once rearranged, computed digit by digit so that no
/// big number is needed.
fn mod97(iban: &str) -> u32 {
    let (head, tail) = iban.split_at(4);
    tail.chars().chain(head.chars()).fold(0, |rest, c| {
        // Only ASCII letters and digits reach this point: base 36 covers both.
        let value = c.to_digit(36).unwrap_or(0);
        if value >= 10 {
            (rest * 100 + value) % 97
        } else {
            (rest * 10 + value) % 97
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_sepa_ibans_are_accepted_and_compacted() {
        let iban = Iban::parse("fr76 3000 6000 0112 3456 7890 189").unwrap();
        assert_eq!(iban.as_str(), "FR7630006000011234567890189");
        assert_eq!(iban.country(), "FR");
        assert!(Iban::parse("DE89 3704 0044 0532 0130 00").is_ok());
        assert!(Iban::parse("GB82 WEST 1234 5698 7654 32").is_ok());
        assert!(Iban::parse("BE68 5390 0754 7034").is_ok());
        assert!(Iban::parse("CH93 0076 2011 6238 5295 7").is_ok());
        assert!(Iban::parse("MC58 1122 2000 0101 2345 6789 030").is_ok());
    }

    #[test]
    fn a_typo_breaks_the_check_digits() {
        assert_eq!(
            Iban::parse("FR76 3000 6000 0112 3456 7890 188"),
            Err(IbanError::Checksum)
        );
        assert_eq!(
            Iban::parse("FR67 3000 6000 0112 3456 7890 189"),
            Err(IbanError::Checksum)
        );
    }

    #[test]
    fn length_country_and_shape_are_checked() {
        assert_eq!(
            Iban::parse("FR76 3000 6000 0112 3456 7890 18"),
            Err(IbanError::WrongLength { expected: 27 })
        );
        // A valid Brazilian IBAN, outside SEPA.
        assert_eq!(
            Iban::parse("BR15 0000 0000 0000 1093 2840 814 P2"),
            Err(IbanError::NotSepa)
        );
        assert_eq!(
            Iban::parse("7630006000011234567890189"),
            Err(IbanError::Malformed)
        );
        assert_eq!(Iban::parse("FR76 3000*6000"), Err(IbanError::Malformed));
        assert_eq!(Iban::parse(""), Err(IbanError::Malformed));
    }
}
