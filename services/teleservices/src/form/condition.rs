//! Conditions that show, hide or require a field: an expression tree (`and`, `or`,
//! `not`, comparisons, `in`, `empty`) over other fields' answers, referred to by id.
//! Evaluation reads answers through [`Answers`], so the validator decides what a
//! hidden or invalid answer looks like (absent).

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A condition over other fields' answers. JSON: `{"eq": {"field": "copy_type",
/// "value": "integrale"}}`, `{"and": [..]}`, `{"not": {..}}`, `{"empty": {"field": "x"}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Every condition holds (at least one condition).
    And(Vec<Condition>),
    /// At least one condition holds (at least one condition).
    Or(Vec<Condition>),
    /// The condition does not hold.
    Not(Box<Condition>),
    /// The answer equals the value; for a multiple choice, the value is among those
    /// picked. An absent answer equals nothing.
    Eq(Comparison),
    /// The opposite of `eq`.
    Neq(Comparison),
    /// The answer (number or date) is before/below the value; false when absent.
    Lt(Comparison),
    /// Before/below or equal.
    Lte(Comparison),
    /// After/above.
    Gt(Comparison),
    /// After/above or equal.
    Gte(Comparison),
    /// The answer is one of the values; for a multiple choice, one of those picked is.
    In(Membership),
    /// The field has no answer (or is hidden).
    Empty(FieldRef),
}

/// A field compared with a constant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// The id of the field compared.
    pub field: String,
    /// The constant, of the field's kind (a string for texts, choices and dates, a
    /// number, or a boolean for yes/no and checkboxes).
    pub value: Value,
}

/// A field compared with a list of constants.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    /// The id of the field compared.
    pub field: String,
    /// The constants, each of the field's kind.
    pub values: Vec<Value>,
}

/// A field named by a condition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldRef {
    /// The id of the field.
    pub field: String,
}

/// Where a condition reads answers from. `None` for a field that is hidden, has no
/// answer, or whose answer is invalid.
pub trait Answers {
    /// The normalised answer of field `id`.
    fn answer(&mut self, id: &str) -> Option<&Value>;
}

impl Answers for serde_json::Map<String, Value> {
    fn answer(&mut self, id: &str) -> Option<&Value> {
        self.get(id)
    }
}

impl Condition {
    /// `field == value`.
    pub fn eq(field: &str, value: impl Into<Value>) -> Self {
        Condition::Eq(Comparison::new(field, value))
    }

    /// `field != value`.
    pub fn neq(field: &str, value: impl Into<Value>) -> Self {
        Condition::Neq(Comparison::new(field, value))
    }

    /// `field < value`.
    pub fn lt(field: &str, value: impl Into<Value>) -> Self {
        Condition::Lt(Comparison::new(field, value))
    }

    /// `field <= value`.
    pub fn lte(field: &str, value: impl Into<Value>) -> Self {
        Condition::Lte(Comparison::new(field, value))
    }

    /// `field > value`.
    pub fn gt(field: &str, value: impl Into<Value>) -> Self {
        Condition::Gt(Comparison::new(field, value))
    }

    /// `field >= value`.
    pub fn gte(field: &str, value: impl Into<Value>) -> Self {
        Condition::Gte(Comparison::new(field, value))
    }

    /// `field` is one of `values`.
    pub fn one_of<V: Into<Value> + Clone>(field: &str, values: &[V]) -> Self {
        Condition::In(Membership {
            field: field.to_owned(),
            values: values.iter().cloned().map(Into::into).collect(),
        })
    }

    /// `field` has no answer.
    pub fn empty(field: &str) -> Self {
        Condition::Empty(FieldRef {
            field: field.to_owned(),
        })
    }

    /// `field` has an answer.
    pub fn filled(field: &str) -> Self {
        Condition::Not(Box::new(Self::empty(field)))
    }

    /// Both hold.
    #[must_use]
    pub fn and(self, other: Condition) -> Self {
        match self {
            Condition::And(mut all) => {
                all.push(other);
                Condition::And(all)
            }
            one => Condition::And(vec![one, other]),
        }
    }

    /// Either holds.
    #[must_use]
    pub fn or(self, other: Condition) -> Self {
        match self {
            Condition::Or(mut any) => {
                any.push(other);
                Condition::Or(any)
            }
            one => Condition::Or(vec![one, other]),
        }
    }

    /// Whether the condition holds for these answers.
    pub fn holds(&self, answers: &mut dyn Answers) -> bool {
        match self {
            Condition::And(all) => all.iter().all(|c| c.holds(answers)),
            Condition::Or(any) => any.iter().any(|c| c.holds(answers)),
            Condition::Not(inner) => !inner.holds(answers),
            Condition::Eq(c) => answers
                .answer(&c.field)
                .is_some_and(|a| matches(a, &c.value)),
            Condition::Neq(c) => !answers
                .answer(&c.field)
                .is_some_and(|a| matches(a, &c.value)),
            Condition::Lt(c) => {
                order(answers.answer(&c.field), &c.value).is_some_and(|o| o.is_lt())
            }
            Condition::Lte(c) => {
                order(answers.answer(&c.field), &c.value).is_some_and(|o| o.is_le())
            }
            Condition::Gt(c) => {
                order(answers.answer(&c.field), &c.value).is_some_and(|o| o.is_gt())
            }
            Condition::Gte(c) => {
                order(answers.answer(&c.field), &c.value).is_some_and(|o| o.is_ge())
            }
            Condition::In(m) => answers
                .answer(&m.field)
                .is_some_and(|a| m.values.iter().any(|v| matches(a, v))),
            Condition::Empty(r) => answers.answer(&r.field).is_none_or(is_empty),
        }
    }

    /// The ids of the fields this condition reads, with the JSON path of each
    /// reference below the condition (`and[1].eq.field`).
    pub fn references(&self) -> Vec<(String, &str)> {
        let mut found = Vec::new();
        self.collect(String::new(), &mut found);
        found
    }

    fn collect<'a>(&'a self, path: String, found: &mut Vec<(String, &'a str)>) {
        let join = |tag: &str| {
            if path.is_empty() {
                tag.to_owned()
            } else {
                format!("{path}.{tag}")
            }
        };
        match self {
            Condition::And(list) | Condition::Or(list) => {
                let tag = if matches!(self, Condition::And(_)) {
                    "and"
                } else {
                    "or"
                };
                for (i, c) in list.iter().enumerate() {
                    c.collect(format!("{}[{i}]", join(tag)), found);
                }
            }
            Condition::Not(inner) => inner.collect(join("not"), found),
            Condition::Eq(c)
            | Condition::Neq(c)
            | Condition::Lt(c)
            | Condition::Lte(c)
            | Condition::Gt(c)
            | Condition::Gte(c) => found.push((format!("{}.field", join(self.op())), &c.field)),
            Condition::In(m) => found.push((join("in.field"), &m.field)),
            Condition::Empty(r) => found.push((join("empty.field"), &r.field)),
        }
    }

    /// The operator, as in JSON.
    pub fn op(&self) -> &'static str {
        match self {
            Condition::And(_) => "and",
            Condition::Or(_) => "or",
            Condition::Not(_) => "not",
            Condition::Eq(_) => "eq",
            Condition::Neq(_) => "neq",
            Condition::Lt(_) => "lt",
            Condition::Lte(_) => "lte",
            Condition::Gt(_) => "gt",
            Condition::Gte(_) => "gte",
            Condition::In(_) => "in",
            Condition::Empty(_) => "empty",
        }
    }
}

impl Comparison {
    fn new(field: &str, value: impl Into<Value>) -> Self {
        Self {
            field: field.to_owned(),
            value: value.into(),
        }
    }
}

/// Whether an answer counts as no answer: null, blank text, an empty list, or an
/// object (an address) all of whose parts are empty.
pub fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        Value::Object(parts) => parts.values().all(is_empty),
        Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Equality as residents mean it: numbers by value (`1` is `1.0`), a list contains.
fn matches(answer: &Value, constant: &Value) -> bool {
    match (answer, constant) {
        (Value::Array(items), _) => items.iter().any(|item| matches(item, constant)),
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        _ => answer == constant,
    }
}

/// How an answer compares with a constant: numbers by value, dates by calendar.
fn order(answer: Option<&Value>, constant: &Value) -> Option<std::cmp::Ordering> {
    match (answer?, constant) {
        (Value::Number(a), Value::Number(b)) => a.as_f64()?.partial_cmp(&b.as_f64()?),
        (Value::String(a), Value::String(b)) => Some(date(a)?.cmp(&date(b)?)),
        _ => None,
    }
}

fn date(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn answers(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn conditions_read_as_json_operators() {
        let condition = Condition::one_of("copy_type", &["integrale", "filiation"])
            .and(Condition::filled("parent"));
        let json = serde_json::to_value(&condition).unwrap();
        assert_eq!(
            json,
            json!({"and": [
                {"in": {"field": "copy_type", "values": ["integrale", "filiation"]}},
                {"not": {"empty": {"field": "parent"}}}
            ]})
        );
        assert_eq!(
            serde_json::from_value::<Condition>(json).unwrap(),
            condition
        );
    }

    #[test]
    fn comparisons_hold_on_numbers_dates_and_texts() {
        let mut a = answers(json!({
            "age": 16, "amount": 12.5, "day": "2026-03-15", "kind": "integrale",
            "days": ["lundi", "mardi"], "alone": false, "blank": "  "
        }));
        assert!(Condition::eq("age", 16.0).holds(&mut a));
        assert!(Condition::gte("age", 16).holds(&mut a));
        assert!(!Condition::gt("age", 16).holds(&mut a));
        assert!(Condition::lt("amount", 13).holds(&mut a));
        assert!(Condition::lte("amount", 12.5).holds(&mut a));
        assert!(Condition::gt("day", "2026-03-01").holds(&mut a));
        assert!(!Condition::lt("day", "2026-03-01").holds(&mut a));
        assert!(Condition::neq("kind", "extrait").holds(&mut a));
        assert!(Condition::eq("days", "mardi").holds(&mut a));
        assert!(Condition::one_of("days", &["mercredi", "lundi"]).holds(&mut a));
        assert!(!Condition::one_of("days", &["mercredi"]).holds(&mut a));
        assert!(Condition::eq("alone", false).holds(&mut a));
        assert!(Condition::empty("blank").holds(&mut a));
        assert!(Condition::empty("missing").holds(&mut a));
        assert!(!Condition::empty("alone").holds(&mut a));
    }

    #[test]
    fn an_absent_answer_compares_with_nothing() {
        let mut a = Map::new();
        assert!(!Condition::eq("x", 1).holds(&mut a));
        assert!(Condition::neq("x", 1).holds(&mut a));
        assert!(!Condition::lt("x", 1).holds(&mut a));
        assert!(!Condition::gte("x", 1).holds(&mut a));
        assert!(!Condition::one_of("x", &[1]).holds(&mut a));
    }

    #[test]
    fn and_or_not_combine() {
        let mut a = answers(json!({"a": 1, "b": 2}));
        assert!(
            Condition::eq("a", 1)
                .and(Condition::eq("b", 2))
                .holds(&mut a)
        );
        assert!(
            !Condition::eq("a", 1)
                .and(Condition::eq("b", 3))
                .holds(&mut a)
        );
        assert!(
            Condition::eq("a", 9)
                .or(Condition::eq("b", 2))
                .holds(&mut a)
        );
        assert!(!Condition::Not(Box::new(Condition::eq("a", 1))).holds(&mut a));
    }

    #[test]
    fn references_carry_their_json_path() {
        let condition =
            Condition::eq("a", 1).and(Condition::filled("b").or(Condition::one_of("c", &[1])));
        let refs = condition.references();
        assert_eq!(
            refs,
            [
                ("and[0].eq.field".to_owned(), "a"),
                ("and[1].or[0].not.empty.field".to_owned(), "b"),
                ("and[1].or[1].in.field".to_owned(), "c"),
            ]
        );
    }
}
