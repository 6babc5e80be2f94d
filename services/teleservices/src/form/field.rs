//! The fields a form is made of: what every field shares (id, label, conditions,
//! prefill) and, per type, the rules a designer sets (lengths, bounds, options, allowed
//! files, nested fields). Types only; judging answers is `validate`'s job.

use std::{fmt, sync::OnceLock};

use chrono::{Days, Months, NaiveDate};
use regex::{Regex, RegexBuilder};
use serde::{Deserialize, Serialize};

use super::condition::Condition;

/// Longest short text kept when the designer sets no `max_length`: one line.
pub const SHORT_TEXT_MAX: u32 = 255;
/// Longest long text kept when the designer sets no `max_length`: a few pages.
pub const LONG_TEXT_MAX: u32 = 10_000;
/// Most entries a repeatable block may ever hold, whatever the designer asks.
pub const MAX_ENTRIES: u32 = 50;
/// Most files one attachment field may ever hold.
pub const MAX_FILES: u32 = 20;
/// Largest upload kept (10 Mio); each file field may set a lower limit. The use cases
/// read it from here so the form module depends on nothing above it.
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;
/// Largest attachment the platform stores (what an upload may be), whatever the
/// designer asks.
pub const MAX_ATTACHMENT_SIZE: u64 = MAX_UPLOAD as u64;
/// Longest pattern a designer may write: patterns are for formats, not programs.
pub const MAX_PATTERN_LEN: usize = 500;

/// One field of a form, as every channel renders it and the validator judges it.
/// Serialised flat: `{"id": "birthdate", "type": "date", "label": "…", "max": "today"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Unique in the whole form (nested fields included): the key of the answer in the
    /// submitted data and what conditions refer to. Lowercase, digits, underscores.
    pub id: String,
    /// The question as residents read it, in French.
    pub label: String,
    /// A hint shown under the field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
    /// An answer is needed whenever the field is shown.
    #[serde(default)]
    pub required: bool,
    /// Shown (and so validated and stored) only while this holds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible_if: Option<Condition>,
    /// Required while this holds (and the field is shown).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_if: Option<Condition>,
    /// The profile attribute that fills the field for a signed-in resident
    /// (`family_name`, `email`…); certified attributes are shown read-only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefill: Option<String>,
    /// The type of the field and the rules that go with it.
    #[serde(flatten)]
    pub kind: FieldKind,
}

/// The type of a field, with its own rules. Tagged by `type` in JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum FieldKind {
    /// One line of text.
    ShortText(TextRules),
    /// Several lines of text.
    LongText(TextRules),
    /// A whole number.
    Integer(IntegerRules),
    /// A number with decimals (`12,5` or `12.5`).
    Decimal(DecimalRules),
    /// An e-mail address, stored in lower case.
    Email,
    /// A French phone number, stored in its ten-digit national form.
    Phone,
    /// A calendar date, stored as `AAAA-MM-JJ`.
    Date(DateRules),
    /// A yes/no question: both answers are answers.
    YesNo,
    /// A box to tick; when required it must be ticked (a sworn statement).
    Checkbox,
    /// One option among several.
    Choice(ChoiceRules),
    /// Any number of options among several.
    MultipleChoice(MultipleChoiceRules),
    /// A postal address (street, postcode, city) with optional coordinates.
    Address(AddressRules),
    /// A business establishment number, stored without spaces.
    Siret,
    /// A bank account number of a SEPA country, stored without spaces, upper case.
    Iban(IbanRules),
    /// Uploaded files, referenced by id.
    File(FileRules),
    /// A list of entries, each made of the nested fields (children, witnesses…).
    Repeatable(BlockRules),
    /// A heading inside a page: shown, never validated nor stored.
    SectionTitle,
    /// A paragraph of explanation: shown, never validated nor stored.
    Explanation(ExplanationRules),
}

/// Rules of short and long texts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TextRules {
    /// Fewest characters once trimmed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_length: Option<u32>,
    /// Most characters once trimmed; the platform caps it anyway.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<u32>,
    /// A regular expression the whole trimmed text must match.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<Pattern>,
    /// What to tell a resident whose text does not match, in French
    /// (« 10 caractères, lettres et chiffres »).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern_hint: Option<String>,
}

/// Bounds of a whole number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IntegerRules {
    /// Smallest value accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<i64>,
    /// Largest value accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
}

/// Bounds and precision of a decimal number.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecimalRules {
    /// Smallest value accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// Largest value accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
    /// Most digits after the decimal separator (2 for an amount in euros).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_decimals: Option<u8>,
}

/// The range a date must fall in.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DateRules {
    /// Earliest date accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<DateBound>,
    /// Latest date accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<DateBound>,
}

/// One option of a choice: the stored value and what residents read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    /// What is stored and what conditions compare with; stable across versions.
    pub value: String,
    /// What residents read, in French.
    pub label: String,
}

/// The options of a single choice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChoiceRules {
    /// At least one; values unique.
    pub options: Vec<Choice>,
}

/// The options of a multiple choice, and how many may be picked.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MultipleChoiceRules {
    /// At least one; values unique.
    pub options: Vec<Choice>,
    /// Fewest options to pick once anything is picked (or always, when required).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_selected: Option<u32>,
    /// Most options to pick.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_selected: Option<u32>,
}

/// Rules of a postal address.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct AddressRules {
    /// The address must be placed on the map (latitude and longitude).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub coordinates_required: bool,
    /// Postcodes accepted (`13100`, `13090`…), for procedures limited to the commune;
    /// empty means any French postcode.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub postcodes: Vec<String>,
}

/// Rules of an IBAN.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct IbanRules {
    /// Country codes accepted (`FR`); empty means any SEPA country.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub countries: Vec<String>,
}

/// Rules of an attachment field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileRules {
    /// MIME types accepted (`application/pdf`, `image/*`), checked against the type
    /// sniffed from the content, not the one the browser claims.
    pub accept: Vec<String>,
    /// Largest size of one file, in bytes.
    pub max_size: u64,
    /// Most files in this field.
    #[serde(default = "one")]
    pub max_files: u32,
}

fn one() -> u32 {
    1
}

/// Rules of a repeatable block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BlockRules {
    /// The fields of one entry; their conditions may refer to fields of the same entry
    /// and to top-level fields.
    pub fields: Vec<Field>,
    /// Fewest entries when the block is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_entries: Option<u32>,
    /// Most entries; the platform caps it at [`MAX_ENTRIES`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_entries: Option<u32>,
    /// How one entry is called on the « add » button (« un enfant »).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry_label: Option<String>,
}

/// The text of an explanation.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExplanationRules {
    /// The paragraph shown, in French.
    pub body: String,
}

/// Builders for the unit tests. The catalogue is data (`catalogue/*.json`) and
/// designers send JSON: only tests build a field in Rust.
#[cfg(test)]
impl Field {
    /// A field of the given type, optional, with no condition nor prefill.
    pub fn new(id: &str, label: &str, kind: FieldKind) -> Self {
        Self {
            id: id.to_owned(),
            label: label.to_owned(),
            help: None,
            required: false,
            visible_if: None,
            required_if: None,
            prefill: None,
            kind,
        }
    }

    /// A short text without rules.
    pub fn short_text(id: &str, label: &str) -> Self {
        Self::new(id, label, FieldKind::ShortText(TextRules::default()))
    }

    /// A short text that must match `pattern`, with the hint shown when it does not.
    pub fn pattern_text(id: &str, label: &str, pattern: &str, hint: &str) -> Self {
        Self::new(
            id,
            label,
            FieldKind::ShortText(TextRules {
                pattern: Some(Pattern::new(pattern)),
                pattern_hint: Some(hint.to_owned()),
                ..TextRules::default()
            }),
        )
    }

    /// A long text of at most `max_length` characters.
    pub fn long_text(id: &str, label: &str, max_length: u32) -> Self {
        Self::new(
            id,
            label,
            FieldKind::LongText(TextRules {
                max_length: Some(max_length),
                ..TextRules::default()
            }),
        )
    }

    /// A whole number between `min` and `max`.
    pub fn integer(id: &str, label: &str, min: Option<i64>, max: Option<i64>) -> Self {
        Self::new(id, label, FieldKind::Integer(IntegerRules { min, max }))
    }

    /// A decimal number between `min` and `max`, with at most `max_decimals` decimals.
    pub fn decimal(
        id: &str,
        label: &str,
        min: Option<f64>,
        max: Option<f64>,
        max_decimals: u8,
    ) -> Self {
        Self::new(
            id,
            label,
            FieldKind::Decimal(DecimalRules {
                min,
                max,
                max_decimals: Some(max_decimals),
            }),
        )
    }

    /// An e-mail address.
    pub fn email(id: &str, label: &str) -> Self {
        Self::new(id, label, FieldKind::Email)
    }

    /// A French phone number.
    pub fn phone(id: &str, label: &str) -> Self {
        Self::new(id, label, FieldKind::Phone)
    }

    /// A date between `min` and `max`.
    pub fn date(id: &str, label: &str, min: Option<DateBound>, max: Option<DateBound>) -> Self {
        Self::new(id, label, FieldKind::Date(DateRules { min, max }))
    }

    /// A yes/no question.
    pub fn yes_no(id: &str, label: &str) -> Self {
        Self::new(id, label, FieldKind::YesNo)
    }

    /// A box to tick.
    pub fn checkbox(id: &str, label: &str) -> Self {
        Self::new(id, label, FieldKind::Checkbox)
    }

    /// One option among `(value, label)` pairs.
    pub fn choice(id: &str, label: &str, options: &[(&str, &str)]) -> Self {
        Self::new(
            id,
            label,
            FieldKind::Choice(ChoiceRules {
                options: choices(options),
            }),
        )
    }

    /// Any number of options among `(value, label)` pairs.
    pub fn multiple_choice(id: &str, label: &str, options: &[(&str, &str)]) -> Self {
        Self::new(
            id,
            label,
            FieldKind::MultipleChoice(MultipleChoiceRules {
                options: choices(options),
                min_selected: None,
                max_selected: None,
            }),
        )
    }

    /// A postal address anywhere in France, coordinates optional.
    pub fn address(id: &str, label: &str) -> Self {
        Self::new(id, label, FieldKind::Address(AddressRules::default()))
    }

    /// A SIRET number.
    pub fn siret(id: &str, label: &str) -> Self {
        Self::new(id, label, FieldKind::Siret)
    }

    /// An IBAN of any SEPA country.
    pub fn iban(id: &str, label: &str) -> Self {
        Self::new(id, label, FieldKind::Iban(IbanRules::default()))
    }

    /// Up to `max_files` files of the `accept`ed types, each at most `max_size` bytes.
    pub fn file(id: &str, label: &str, accept: &[&str], max_size: u64, max_files: u32) -> Self {
        Self::new(
            id,
            label,
            FieldKind::File(FileRules {
                accept: accept.iter().map(|t| (*t).to_owned()).collect(),
                max_size,
                max_files,
            }),
        )
    }

    /// A repeatable block of `fields`, with between `min` and `max` entries.
    pub fn repeatable(
        id: &str,
        label: &str,
        fields: Vec<Field>,
        min: Option<u32>,
        max: Option<u32>,
    ) -> Self {
        Self::new(
            id,
            label,
            FieldKind::Repeatable(BlockRules {
                fields,
                min_entries: min,
                max_entries: max,
                entry_label: None,
            }),
        )
    }

    /// A heading.
    pub fn section(id: &str, label: &str) -> Self {
        Self::new(id, label, FieldKind::SectionTitle)
    }

    /// A paragraph of explanation under a short heading.
    pub fn explanation(id: &str, label: &str, body: &str) -> Self {
        Self::new(
            id,
            label,
            FieldKind::Explanation(ExplanationRules {
                body: body.to_owned(),
            }),
        )
    }

    /// Makes the field required whenever shown.
    #[must_use]
    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Shows the field only while `condition` holds.
    #[must_use]
    pub fn visible_if(mut self, condition: Condition) -> Self {
        self.visible_if = Some(condition);
        self
    }

    /// Requires the field while `condition` holds.
    #[must_use]
    pub fn required_if(mut self, condition: Condition) -> Self {
        self.required_if = Some(condition);
        self
    }

    /// Fills the field from a profile attribute.
    #[must_use]
    pub fn prefill(mut self, attribute: &str) -> Self {
        self.prefill = Some(attribute.to_owned());
        self
    }
}

impl Field {
    /// Display-only fields (section titles, explanations) carry no answer.
    pub fn is_display_only(&self) -> bool {
        matches!(
            self.kind,
            FieldKind::SectionTitle | FieldKind::Explanation(_)
        )
    }

    /// The nested fields of a repeatable block; empty for any other field.
    pub fn children(&self) -> &[Field] {
        match &self.kind {
            FieldKind::Repeatable(block) => &block.fields,
            _ => &[],
        }
    }
}

#[cfg(test)]
fn choices(options: &[(&str, &str)]) -> Vec<Choice> {
    options
        .iter()
        .map(|(value, label)| Choice {
            value: (*value).to_owned(),
            label: (*label).to_owned(),
        })
        .collect()
}

impl FieldKind {
    /// The `type` tag, as in JSON (`short_text`), for messages and checks.
    pub fn name(&self) -> &'static str {
        match self {
            FieldKind::ShortText(_) => "short_text",
            FieldKind::LongText(_) => "long_text",
            FieldKind::Integer(_) => "integer",
            FieldKind::Decimal(_) => "decimal",
            FieldKind::Email => "email",
            FieldKind::Phone => "phone",
            FieldKind::Date(_) => "date",
            FieldKind::YesNo => "yes_no",
            FieldKind::Checkbox => "checkbox",
            FieldKind::Choice(_) => "choice",
            FieldKind::MultipleChoice(_) => "multiple_choice",
            FieldKind::Address(_) => "address",
            FieldKind::Siret => "siret",
            FieldKind::Iban(_) => "iban",
            FieldKind::File(_) => "file",
            FieldKind::Repeatable(_) => "repeatable",
            FieldKind::SectionTitle => "section_title",
            FieldKind::Explanation(_) => "explanation",
        }
    }

    /// The options of a single or multiple choice.
    pub fn options(&self) -> Option<&[Choice]> {
        match self {
            FieldKind::Choice(rules) => Some(&rules.options),
            FieldKind::MultipleChoice(rules) => Some(&rules.options),
            _ => None,
        }
    }
}

/// A regular expression a text must match as a whole, kept as the designer wrote it
/// (that is what is stored and served) and compiled once on first use.
#[derive(Clone, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub struct Pattern {
    source: String,
    compiled: OnceLock<Option<Regex>>,
}

impl Pattern {
    /// A pattern as written; whether it compiles is checked with the definition.
    pub fn new(source: &str) -> Self {
        Self {
            source: source.to_owned(),
            compiled: OnceLock::new(),
        }
    }

    /// The pattern as the designer wrote it.
    pub fn as_str(&self) -> &str {
        &self.source
    }

    /// The compiled expression, anchored at both ends; `None` when it does not compile
    /// or is too long.
    pub fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| {
                let build = |source: &str| RegexBuilder::new(source).size_limit(1 << 20).build();
                // Compiled alone first, so that `a)|(?:b` cannot escape the anchors.
                if self.source.len() > MAX_PATTERN_LEN || build(&self.source).is_err() {
                    return None;
                }
                build(&format!("^(?:{})$", self.source)).ok()
            })
            .as_ref()
    }

    /// Whether `text` matches; an invalid pattern matches nothing.
    pub fn is_match(&self, text: &str) -> bool {
        self.regex().is_some_and(|r| r.is_match(text))
    }
}

impl From<String> for Pattern {
    fn from(source: String) -> Self {
        Self {
            source,
            compiled: OnceLock::new(),
        }
    }
}

impl From<Pattern> for String {
    fn from(pattern: Pattern) -> Self {
        pattern.source
    }
}

impl PartialEq for Pattern {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl fmt::Debug for Pattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Pattern").field(&self.source).finish()
    }
}

/// A bound of a date range: a fixed date (`2026-03-15`) or a date relative to the day
/// of filing (`today`, `today+15d`, `today-3m`, `today-16y`), so that « at least 15
/// days ahead » or « not in the future » need no yearly edit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub enum DateBound {
    /// This very date.
    On(NaiveDate),
    /// The day of filing moved by `amount` units (negative: in the past).
    FromToday {
        /// How many units; negative moves back.
        amount: i32,
        /// Days, months or years.
        unit: DateUnit,
    },
}

/// The unit of a relative date bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateUnit {
    /// `d`
    Days,
    /// `m`
    Months,
    /// `y`
    Years,
}

impl DateBound {
    /// The day of filing itself.
    pub const TODAY: DateBound = DateBound::FromToday {
        amount: 0,
        unit: DateUnit::Days,
    };

    /// The day of filing moved by `amount` days.
    pub fn days_from_today(amount: i32) -> Self {
        DateBound::FromToday {
            amount,
            unit: DateUnit::Days,
        }
    }

    /// The date this bound stands for when filing on `today`; `None` out of the
    /// calendar's range.
    pub fn resolve(&self, today: NaiveDate) -> Option<NaiveDate> {
        match *self {
            DateBound::On(date) => Some(date),
            DateBound::FromToday { amount, unit } => {
                let count = amount.unsigned_abs();
                let forward = amount >= 0;
                match unit {
                    DateUnit::Days => {
                        let days = Days::new(u64::from(count));
                        if forward {
                            today.checked_add_days(days)
                        } else {
                            today.checked_sub_days(days)
                        }
                    }
                    DateUnit::Months | DateUnit::Years => {
                        let months = if unit == DateUnit::Years {
                            count.checked_mul(12)?
                        } else {
                            count
                        };
                        if forward {
                            today.checked_add_months(Months::new(months))
                        } else {
                            today.checked_sub_months(Months::new(months))
                        }
                    }
                }
            }
        }
    }
}

impl TryFrom<String> for DateBound {
    type Error = String;

    fn try_from(text: String) -> Result<Self, Self::Error> {
        let refused = || {
            format!(
                "« {text} » n'est pas une borne de date : écrivez AAAA-MM-JJ, today, \
                 ou today+15d, today-3m, today-18y."
            )
        };
        let Some(rest) = text.strip_prefix("today") else {
            return NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                .map(DateBound::On)
                .map_err(|_| refused());
        };
        if rest.is_empty() {
            return Ok(DateBound::TODAY);
        }
        let (sign, rest) = match rest.split_at_checked(1) {
            Some(("+", rest)) => (1, rest),
            Some(("-", rest)) => (-1, rest),
            _ => return Err(refused()),
        };
        let (digits, unit) = match rest.split_at_checked(rest.len().saturating_sub(1)) {
            Some((digits, "d")) => (digits, DateUnit::Days),
            Some((digits, "m")) => (digits, DateUnit::Months),
            Some((digits, "y")) => (digits, DateUnit::Years),
            _ => return Err(refused()),
        };
        if digits.is_empty() || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(refused());
        }
        let amount: i32 = digits.parse().map_err(|_| refused())?;
        Ok(DateBound::FromToday {
            amount: sign * amount,
            unit,
        })
    }
}

impl From<DateBound> for String {
    fn from(bound: DateBound) -> Self {
        match bound {
            DateBound::On(date) => date.format("%Y-%m-%d").to_string(),
            DateBound::FromToday { amount: 0, .. } => "today".to_owned(),
            DateBound::FromToday { amount, unit } => {
                let unit = match unit {
                    DateUnit::Days => 'd',
                    DateUnit::Months => 'm',
                    DateUnit::Years => 'y',
                };
                format!("today{amount:+}{unit}")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_field_is_serialised_flat_with_its_type() {
        let field = Field::integer("copies", "Nombre de copies", Some(1), Some(5)).required();
        let json = serde_json::to_value(&field).unwrap();
        assert_eq!(
            json,
            json!({"id": "copies", "label": "Nombre de copies", "required": true,
                   "type": "integer", "min": 1, "max": 5})
        );
        let back: Field = serde_json::from_value(json).unwrap();
        assert_eq!(back, field);
    }

    #[test]
    fn every_field_type_survives_a_round_trip_through_json() {
        let fields = vec![
            Field::pattern_text("ants", "Numéro", "[A-Z0-9]{10}", "10 caractères"),
            Field::long_text("message", "Message", 2000),
            Field::decimal("amount", "Montant", Some(0.0), None, 2),
            Field::email("email", "E-mail"),
            Field::phone("phone", "Téléphone"),
            Field::date("day", "Date", Some(DateBound::days_from_today(15)), None),
            Field::yes_no("alone", "Seul ?"),
            Field::checkbox("oath", "J'atteste"),
            Field::choice("kind", "Type", &[("a", "A")]),
            Field::multiple_choice("days", "Jours", &[("lundi", "Lundi")]),
            Field::address("address", "Adresse"),
            Field::siret("siret", "SIRET"),
            Field::iban("iban", "IBAN"),
            Field::file("proof", "Justificatif", &["application/pdf"], 1024, 2),
            Field::repeatable(
                "kids",
                "Enfants",
                vec![Field::short_text("name", "Nom")],
                Some(1),
                Some(3),
            ),
            Field::section("s", "Section"),
            Field::explanation("info", "À savoir", "Les copies sont gratuites."),
        ];
        for field in fields {
            let json = serde_json::to_value(&field).unwrap();
            assert_eq!(json["type"], field.kind.name());
            let back: Field = serde_json::from_value(json).unwrap();
            assert_eq!(back, field);
        }
    }

    #[test]
    fn date_bounds_read_fixed_and_relative_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 1, 31).unwrap();
        let parse = |s: &str| DateBound::try_from(s.to_owned());
        assert_eq!(
            parse("2026-03-15").unwrap().resolve(today),
            NaiveDate::from_ymd_opt(2026, 3, 15)
        );
        assert_eq!(parse("today").unwrap().resolve(today), Some(today));
        assert_eq!(
            parse("today+15d").unwrap().resolve(today),
            NaiveDate::from_ymd_opt(2026, 2, 15)
        );
        assert_eq!(
            parse("today+1m").unwrap().resolve(today),
            NaiveDate::from_ymd_opt(2026, 2, 28)
        );
        assert_eq!(
            parse("today-16y").unwrap().resolve(today),
            NaiveDate::from_ymd_opt(2010, 1, 31)
        );
        for wrong in [
            "tomorrow",
            "today+",
            "today+15",
            "today*3d",
            "15/03/2026",
            "today+-3d",
        ] {
            assert!(parse(wrong).is_err(), "{wrong}");
        }
        for text in ["today", "today+15d", "today-3m", "2026-03-15"] {
            assert_eq!(String::from(parse(text).unwrap()), text);
        }
    }

    #[test]
    fn a_pattern_matches_the_whole_text() {
        let pattern = Pattern::new("[0-9]{5}");
        assert!(pattern.is_match("13100"));
        assert!(!pattern.is_match("131000"));
        assert!(!pattern.is_match("a13100"));
        assert!(Pattern::new("(").regex().is_none());
        assert!(Pattern::new("a)|(?:b").regex().is_none());
        assert!(!Pattern::new("(").is_match("("));
    }
}
