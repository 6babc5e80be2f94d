//! RAPO domain: notice numbers and plates, the legal deadlines, decisions, and what a
//! valid import line and a valid dispute are. No I/O here.

pub mod filing;
pub mod letter;
pub mod registry;

use chrono::{DateTime, NaiveDate, Utc};
use guichet_kit::calendar::{add_months, paris_date, paris_start_of_day};
use guichet_proto::rapo::v1::DecisionKind;

/// The department handling every dispute, and the theme agents of other departments
/// may be given.
pub const DEPARTMENT: &str = "POLICE_MUN";
pub const THEME: &str = "rapo";

/// Where classic parking fines (PV) are contested: not the city.
pub const ANTAI_URL: &str = "www.antai.gouv.fr";

/// What a notice number typed by a resident is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    /// An FPS payment notice: 26 digits (the 28-digit télépaiement number is accepted
    /// and its 2-digit key dropped).
    Fps(String),
    /// A classic fine's avis de contravention (10 digits): not a RAPO matter.
    Pv,
    Invalid,
}

impl Notice {
    pub fn parse(input: &str) -> Self {
        let digits: String = input
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-' && *c != '.')
            .collect();
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Self::Invalid;
        }
        match digits.len() {
            26 => Self::Fps(digits),
            28 => Self::Fps(digits[..26].to_owned()),
            10 => Self::Pv,
            _ => Self::Invalid,
        }
    }
}

/// A plate compared as the SIV and the old FNI print it, whatever the separators and
/// case: `ab-123-cd` and `AB 123 CD` are the same plate.
pub fn plate_key(plate: &str) -> String {
    plate
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

/// Whether a plate looks like a French plate (SIV `AB-123-CD` or FNI `1234 AB 13`); a
/// foreign plate is accepted if it has 2 to 12 letters and digits.
pub fn is_plate(plate: &str) -> bool {
    let key = plate_key(plate);
    (2..=12).contains(&key.len())
        && plate
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '-'))
}

/// The last Paris day to file a RAPO against a notice notified on `notified_on`: one
/// calendar month later.
pub fn filing_deadline(notified_on: NaiveDate) -> NaiveDate {
    add_months(notified_on, 1)
}

/// The city's answer is due one month after receipt: the last Paris day, and the
/// instant that day is over (silence from then on is an implicit rejection).
pub fn answer_deadline(received_at: DateTime<Utc>) -> (NaiveDate, DateTime<Utc>) {
    let answer_by = add_months(paris_date(received_at), 1);
    (answer_by, end_of_day(answer_by))
}

/// The instant a Paris day is over.
pub fn end_of_day(date: NaiveDate) -> DateTime<Utc> {
    paris_start_of_day(date.succ_opt().unwrap_or(date))
}

/// The last Paris day to go to the Tribunal du stationnement payant: one month after the
/// decision (explicit: the day it was notified; implicit: the day it was born).
pub fn appeal_deadline(decided_on: NaiveDate) -> NaiveDate {
    add_months(decided_on, 1)
}

/// Days from today to `answer_by` in Paris (0 on the last day, negative once passed).
pub fn days_left(answer_by: NaiveDate, now: DateTime<Utc>) -> i32 {
    i32::try_from((answer_by - paris_date(now)).num_days()).unwrap_or(i32::MIN)
}

/// The sub-status code of a decision, as stored and shown (`annulation_totale`…).
pub fn decision_code(kind: DecisionKind) -> &'static str {
    match kind {
        DecisionKind::FullCancellation => "annulation_totale",
        DecisionKind::PartialCancellation => "annulation_partielle",
        DecisionKind::Rejection => "rejet",
        DecisionKind::ImplicitRejection => "rejet_implicite",
        DecisionKind::Unspecified => "",
    }
}

pub fn parse_decision_code(code: &str) -> DecisionKind {
    match code {
        "annulation_totale" => DecisionKind::FullCancellation,
        "annulation_partielle" => DecisionKind::PartialCancellation,
        "rejet" => DecisionKind::Rejection,
        "rejet_implicite" => DecisionKind::ImplicitRejection,
        _ => DecisionKind::Unspecified,
    }
}

/// Whether the resident may still go to court against the decision: anything not
/// wholly in their favour.
pub fn opens_appeal(kind: DecisionKind) -> bool {
    matches!(
        kind,
        DecisionKind::PartialCancellation
            | DecisionKind::Rejection
            | DecisionKind::ImplicitRejection
    )
}

/// A rectified notice's number: 26 random digits from the operating system's generator.
pub fn rectified_notice_number() -> String {
    use rand::Rng as _;
    let mut rng = rand::rng();
    (0..26)
        .map(|i| {
            let low = if i == 0 { 1 } else { 0 };
            char::from(b'0' + rng.random_range(low..10u8))
        })
        .collect()
}

/// `33,00 €`.
pub fn euros(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{},{:02} €", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    fn date(text: &str) -> NaiveDate {
        text.parse().unwrap()
    }

    #[test]
    fn notice_numbers_are_26_digits_and_a_pv_is_recognised() {
        let fps = "12345678901234567890123456";
        assert_eq!(Notice::parse(fps), Notice::Fps(fps.into()));
        assert_eq!(
            Notice::parse("1234 5678 9012 3456 7890 1234 56"),
            Notice::Fps(fps.into())
        );
        assert_eq!(Notice::parse(&format!("{fps}42")), Notice::Fps(fps.into()));
        assert_eq!(Notice::parse("0123456789"), Notice::Pv);
        assert_eq!(Notice::parse("12345"), Notice::Invalid);
        assert_eq!(Notice::parse("ABC"), Notice::Invalid);
    }

    #[test]
    fn plates_compare_without_separators_or_case() {
        assert_eq!(plate_key("ab-123-cd"), plate_key("AB 123 CD"));
        assert!(is_plate("AB-123-CD") && is_plate("1234 AB 13"));
        assert!(!is_plate("A") && !is_plate("AB/123"));
    }

    #[test]
    fn a_rapo_is_filed_within_one_calendar_month_of_notification() {
        assert_eq!(filing_deadline(date("2026-03-03")), date("2026-04-03"));
        assert_eq!(filing_deadline(date("2026-01-31")), date("2026-02-28"));
    }

    #[test]
    fn the_answer_is_due_one_month_after_receipt_in_paris_days() {
        // Received at 00:30 in Paris on 1 April (still 31 March in UTC).
        let (answer_by, due_at) = answer_deadline("2026-03-31T22:30:00Z".parse().unwrap());
        assert_eq!(answer_by, date("2026-05-01"));
        assert_eq!(
            due_at,
            "2026-05-01T22:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(
            days_left(answer_by, "2026-05-01T12:00:00Z".parse().unwrap()),
            0
        );
        assert_eq!(
            days_left(answer_by, "2026-05-02T12:00:00Z".parse().unwrap()),
            -1
        );
    }

    #[test]
    fn amounts_read_in_euros() {
        assert_eq!(euros(3300), "33,00 €");
        assert_eq!(euros(1705), "17,05 €");
    }

    #[test]
    fn a_rectified_notice_number_is_a_notice_number() {
        let number = rectified_notice_number();
        assert_eq!(Notice::parse(&number), Notice::Fps(number.clone()));
    }
}
