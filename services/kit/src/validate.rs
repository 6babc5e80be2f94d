//! Checks on contact details people type (e-mail addresses, French phone numbers),
//! shared by every service that takes them.

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
}
