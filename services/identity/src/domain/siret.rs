//! SIRET numbers: 14 digits identifying a business establishment, checked with Luhn,
//! except La Poste's establishments (SIREN 356000000), whose digits sum to a multiple of 5.

use std::fmt;

/// La Poste's SIREN: its thousands of SIRETs follow their own check rule.
const LA_POSTE_SIREN: &str = "356000000";

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
    fn luhn_valid_sirets_are_accepted() {
        assert!(Siret::parse("21130001200013").is_some());
        assert!(Siret::parse("732 829 320 00074").is_some());
    }

    #[test]
    fn a_wrong_digit_is_caught() {
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
