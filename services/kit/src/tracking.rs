//! Tracking numbers: the one key a resident without an account holds, read aloud on the
//! phone and typed on a kiosk.
//!
//! Fourteen Crockford base32 symbols shown as `CK7Q-M2XH-D9WP-AR`: one symbol naming the
//! owning service (so the gateway routes without a lookup), twelve random symbols
//! (60 bits) and one check symbol. The check symbol is a weighted sum over GF(32) with a
//! distinct non-zero weight per position, so any single wrong symbol and any swap of two
//! different symbols changes it. Parsing ignores case, dashes and spaces, and reads the
//! usual confusions O as 0 and I or L as 1.

use std::{fmt, str::FromStr};

use rand::Rng as _;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Owner symbol + random symbols + check symbol.
const LEN: usize = 14;
const RANDOM: usize = 12;

/// A tracking number as logs and traces may show it: the owner symbol and the last two
/// symbols (`C…AR`), enough to tell demands apart in one trace, never enough to reach
/// one — the number is the only credential of a demand filed without an account.
pub fn redacted(number: &str) -> String {
    let symbols: Vec<char> = number.chars().filter(char::is_ascii_alphanumeric).collect();
    match symbols.as_slice() {
        [first, .., before_last, last] if symbols.len() > 4 => {
            format!("{first}…{before_last}{last}")
        }
        _ => "…".to_owned(),
    }
}

/// The service that owns a demand, named by the number's first symbol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    Teleservices,
    Complaints,
    Rapo,
}

impl Owner {
    pub const ALL: [Owner; 3] = [Owner::Teleservices, Owner::Complaints, Owner::Rapo];

    fn symbol(self) -> u8 {
        match self {
            Owner::Teleservices => b'T',
            Owner::Complaints => b'C',
            Owner::Rapo => b'R',
        }
    }

    fn from_symbol(symbol: u8) -> Option<Self> {
        Owner::ALL
            .into_iter()
            .find(|owner| owner.symbol() == symbol)
    }
}

/// Why a string is not a tracking number. Every case means "check what you typed".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TrackingNumberError {
    #[error("a tracking number has 14 symbols, got {0}")]
    Length(usize),
    #[error("{0:?} is not a tracking-number symbol")]
    Symbol(char),
    #[error("no service owns numbers starting with {0:?}")]
    Owner(char),
    #[error("the check symbol does not match: a symbol was mistyped")]
    Check,
}

/// A valid tracking number, stored as its 14 symbol values (0..32).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TrackingNumber([u8; LEN]);

impl TrackingNumber {
    /// A fresh number for `owner`, with 60 bits from the operating system's generator.
    pub fn generate(owner: Owner) -> Self {
        let mut rng = rand::rng();
        let mut values = [0u8; LEN];
        values[0] = value_of(owner.symbol()).unwrap_or_default();
        for value in &mut values[1..=RANDOM] {
            *value = rng.random_range(0..32);
        }
        values[LEN - 1] = check_value(&values[..LEN - 1]);
        Self(values)
    }

    /// Parses what a person typed or said.
    pub fn parse(input: &str) -> Result<Self, TrackingNumberError> {
        let symbols: Vec<char> = input
            .chars()
            .filter(|c| !matches!(c, '-' | ' ' | '\u{a0}'))
            .collect();
        if symbols.len() != LEN {
            return Err(TrackingNumberError::Length(symbols.len()));
        }
        let mut values = [0u8; LEN];
        for (value, &symbol) in values.iter_mut().zip(&symbols) {
            let normalized = match symbol.to_ascii_uppercase() {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            };
            *value = u8::try_from(normalized)
                .ok()
                .and_then(value_of)
                .ok_or(TrackingNumberError::Symbol(symbol))?;
        }
        let owner = ALPHABET[usize::from(values[0])];
        if Owner::from_symbol(owner).is_none() {
            return Err(TrackingNumberError::Owner(char::from(owner)));
        }
        if check_value(&values[..LEN - 1]) != values[LEN - 1] {
            return Err(TrackingNumberError::Check);
        }
        Ok(Self(values))
    }

    pub fn owner(&self) -> Owner {
        Owner::from_symbol(ALPHABET[usize::from(self.0[0])]).unwrap_or(
            Owner::Complaints, /* unreachable: checked at construction */
        )
    }

    /// The number without dashes, as stored in databases.
    pub fn compact(&self) -> String {
        self.0
            .iter()
            .map(|&v| char::from(ALPHABET[usize::from(v)]))
            .collect()
    }
}

impl fmt::Display for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let compact = self.compact();
        let (a, rest) = compact.split_at(4);
        let (b, rest) = rest.split_at(4);
        let (c, d) = rest.split_at(4);
        write!(f, "{a}-{b}-{c}-{d}")
    }
}

impl fmt::Debug for TrackingNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TrackingNumber({self})")
    }
}

impl FromStr for TrackingNumber {
    type Err = TrackingNumberError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn value_of(symbol: u8) -> Option<u8> {
    ALPHABET
        .iter()
        .position(|&s| s == symbol)
        .and_then(|p| u8::try_from(p).ok())
}

/// Multiplication in GF(2^5) modulo the primitive polynomial x^5 + x^2 + 1.
fn gf_mul(mut a: u8, mut b: u8) -> u8 {
    let mut product = 0;
    while b != 0 {
        if b & 1 != 0 {
            product ^= a;
        }
        b >>= 1;
        a <<= 1;
        if a & 0b10_0000 != 0 {
            a ^= 0b10_0101;
        }
    }
    product
}

/// The check value: sum of `value_i * alpha^(i+1)`. Weights are distinct powers of a
/// generator (its order, 31, exceeds the 13 positions) so any single change or swap of
/// different symbols changes the sum.
fn check_value(values: &[u8]) -> u8 {
    let mut weight = 1u8;
    let mut sum = 0u8;
    for &value in values {
        weight = gf_mul(weight, 2);
        sum ^= gf_mul(value, weight);
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_redacted_number_cannot_be_used() {
        assert_eq!(redacted("CK7Q-M2XH-D9WP-AR"), "C…AR");
        assert_eq!(redacted("abc"), "…");
    }

    fn owner() -> impl Strategy<Value = Owner> {
        prop::sample::select(Owner::ALL.to_vec())
    }

    fn number() -> impl Strategy<Value = TrackingNumber> {
        (owner(), prop::array::uniform12(0u8..32)).prop_map(|(owner, random)| {
            let mut values = [0u8; LEN];
            values[0] = value_of(owner.symbol()).unwrap_or_default();
            values[1..=RANDOM].copy_from_slice(&random);
            values[LEN - 1] = check_value(&values[..LEN - 1]);
            TrackingNumber(values)
        })
    }

    #[test]
    fn a_generated_number_names_its_owner_and_reads_back() {
        for owner in Owner::ALL {
            let number = TrackingNumber::generate(owner);
            assert_eq!(number.owner(), owner);
            let shown = number.to_string();
            assert_eq!(shown.len(), 17, "{shown}");
            assert_eq!(shown.matches('-').count(), 3);
            assert_eq!(TrackingNumber::parse(&shown), Ok(number));
        }
    }

    #[test]
    fn the_first_symbol_is_the_owner_letter() {
        assert!(
            TrackingNumber::generate(Owner::Complaints)
                .to_string()
                .starts_with('C')
        );
        assert!(
            TrackingNumber::generate(Owner::Rapo)
                .to_string()
                .starts_with('R')
        );
    }

    #[test]
    fn two_generated_numbers_differ() {
        let a = TrackingNumber::generate(Owner::Complaints);
        let b = TrackingNumber::generate(Owner::Complaints);
        assert_ne!(a, b);
    }

    #[test]
    fn garbage_is_refused_with_the_reason() {
        assert_eq!(
            TrackingNumber::parse("C12"),
            Err(TrackingNumberError::Length(3))
        );
        assert_eq!(
            TrackingNumber::parse("CK7Q-M2XH-D9WP-A*"),
            Err(TrackingNumberError::Symbol('*'))
        );
        assert_eq!(
            TrackingNumber::parse("UK7Q-M2XH-D9WP-AR"),
            Err(TrackingNumberError::Symbol('U'))
        );
        assert_eq!(
            TrackingNumber::parse("AK7Q-M2XH-D9WP-AR"),
            Err(TrackingNumberError::Owner('A'))
        );
    }

    proptest! {
        #[test]
        fn round_trip(number in number()) {
            prop_assert_eq!(TrackingNumber::parse(&number.to_string()), Ok(number));
            prop_assert_eq!(TrackingNumber::parse(&number.compact()), Ok(number));
        }

        #[test]
        fn case_dashes_and_confusable_letters_are_forgiven(number in number(), lower in any::<bool>()) {
            let typed: String = number
                .compact()
                .chars()
                .enumerate()
                .map(|(i, c)| match c {
                    '0' if i % 2 == 0 => 'O',
                    '1' if i % 3 == 0 => 'l',
                    '1' => 'I',
                    c if lower => c.to_ascii_lowercase(),
                    c => c,
                })
                .collect();
            let spaced = format!(" {} {} ", &typed[..7], &typed[7..]);
            prop_assert_eq!(TrackingNumber::parse(&typed), Ok(number));
            prop_assert_eq!(TrackingNumber::parse(&spaced), Ok(number));
        }

        #[test]
        fn one_wrong_symbol_is_caught(number in number(), position in 1usize..LEN, delta in 1u8..32) {
            let mut values = number.0;
            values[position] ^= delta;
            let typed: String = values.iter().map(|&v| char::from(ALPHABET[usize::from(v)])).collect();
            prop_assert!(TrackingNumber::parse(&typed).is_err(), "{typed} accepted");
        }

        #[test]
        fn two_swapped_symbols_are_caught(number in number(), position in 1usize..LEN - 1) {
            let mut values = number.0;
            prop_assume!(values[position] != values[position + 1]);
            values.swap(position, position + 1);
            let typed: String = values.iter().map(|&v| char::from(ALPHABET[usize::from(v)])).collect();
            prop_assert!(TrackingNumber::parse(&typed).is_err(), "{typed} accepted");
        }
    }
}
