//! The submission validator: the one function that judges every channel's answers
//! against the exact definition version filled. It decides which fields are shown
//! (conditions over other answers, page by page, entry by entry inside repeatable
//! blocks), judges the shown ones, and returns the cleaned answers — normalised,
//! without hidden or display-only fields, without unknown keys — or every fault with
//! its path (`children[0].birthdate`) and a French message.

use std::collections::HashMap;

use chrono::NaiveDate;
use guichet_kit::grpc::Violation;
use serde::Serialize;
use serde_json::{Map, Value};

use super::{
    condition::{Answers, Condition},
    definition::Definition,
    field::{BlockRules, Field, FieldKind, MAX_ENTRIES},
    input::{AttachmentMeta, Context, Parsed, parse},
};

/// Answers that passed validation, ready to be stored with the demand.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CleanData {
    /// Field id → normalised answer, for shown fields with an answer only; a
    /// repeatable block holds a list of such objects.
    pub values: Map<String, Value>,
    /// The uploads the answers keep, with the path of the field holding each: the
    /// ones to attach to the demand (uploads of hidden fields are not among them).
    pub attachments: Vec<AttachmentRef>,
}

/// One upload kept by the answers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentRef {
    /// Path of the file field (`documents`, `children[1].certificate`).
    pub field: String,
    /// The upload's id.
    pub id: String,
}

impl CleanData {
    /// The answers as one JSON object, as stored.
    pub fn into_value(self) -> Value {
        Value::Object(self.values)
    }
}

/// Judges `data` (an object: field id → answer) against `definition`, as filed on
/// `today` (relative date bounds such as `today+15d` count from it). `attachments`
/// describes the uploads the answers may reference. The definition is expected to
/// have passed [`Definition::check`]. Every fault is reported, not only the first.
pub fn validate(
    definition: &Definition,
    data: &Value,
    attachments: &[AttachmentMeta],
    today: NaiveDate,
) -> Result<CleanData, Vec<Violation>> {
    let Some(answers) = data.as_object() else {
        return Err(vec![Violation::new(
            "",
            "Les réponses doivent être un objet : identifiant du champ → réponse.",
        )]);
    };
    let ctx = Context {
        today,
        attachments: attachments.iter().map(|a| (a.id.as_str(), a)).collect(),
    };
    let slots = definition
        .pages
        .iter()
        .flat_map(|page| {
            page.fields.iter().map(move |field| Slot {
                field,
                page_condition: page.visible_if.as_ref(),
            })
        })
        .collect();
    let mut out = Output::default();
    let values = judge(slots, answers, None, "", &ctx, &mut out);
    if out.violations.is_empty() {
        Ok(CleanData {
            values,
            attachments: out.attachments,
        })
    } else {
        Err(out.violations)
    }
}

impl Definition {
    /// Judges a submission against this definition; see [`validate`].
    pub fn validate(
        &self,
        data: &Value,
        attachments: &[AttachmentMeta],
        today: NaiveDate,
    ) -> Result<CleanData, Vec<Violation>> {
        validate(self, data, attachments, today)
    }
}

#[derive(Default)]
struct Output {
    violations: Vec<Violation>,
    attachments: Vec<AttachmentRef>,
}

/// A field in a scope, with the condition of the page it is on (top level only).
#[derive(Clone, Copy)]
struct Slot<'a> {
    field: &'a Field,
    page_condition: Option<&'a Condition>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Seen {
    Unknown,
    /// Being decided: met again means a loop, which counts as hidden.
    Deciding,
    Shown,
    Hidden,
}

/// The fields conditions can see from one place: the top level, or one entry of a
/// repeatable block (its fields, then the top level's answers in `outer`).
struct Scope<'a, 'o> {
    slots: Vec<Slot<'a>>,
    index: HashMap<&'a str, usize>,
    parsed: Vec<Parsed>,
    seen: Vec<Seen>,
    outer: Option<&'o Map<String, Value>>,
}

impl Scope<'_, '_> {
    fn shown(&mut self, i: usize) -> bool {
        match self.seen[i] {
            Seen::Shown => return true,
            Seen::Hidden | Seen::Deciding => return false,
            Seen::Unknown => {}
        }
        self.seen[i] = Seen::Deciding;
        let Slot {
            field,
            page_condition,
        } = self.slots[i];
        let shown = page_condition.is_none_or(|c| c.holds(self))
            && field.visible_if.as_ref().is_none_or(|c| c.holds(self));
        self.seen[i] = if shown { Seen::Shown } else { Seen::Hidden };
        shown
    }

    /// The answers of shown fields, as conditions see them.
    fn answers(&mut self) -> Map<String, Value> {
        let mut answers = self.outer.cloned().unwrap_or_default();
        for i in 0..self.slots.len() {
            if self.shown(i)
                && let Ok(Some(value)) = &self.parsed[i]
            {
                answers.insert(self.slots[i].field.id.clone(), value.clone());
            }
        }
        answers
    }
}

impl Answers for Scope<'_, '_> {
    fn answer(&mut self, id: &str) -> Option<&Value> {
        match self.index.get(id) {
            Some(&i) => {
                if !self.shown(i) {
                    return None;
                }
                self.parsed[i].as_ref().ok().and_then(Option::as_ref)
            }
            None => self.outer.and_then(|answers| answers.get(id)),
        }
    }
}

/// Judges the fields of one scope against `raw`, reporting faults under `prefix`, and
/// returns the cleaned answers of the scope.
fn judge<'a>(
    slots: Vec<Slot<'a>>,
    raw: &Map<String, Value>,
    outer: Option<&Map<String, Value>>,
    prefix: &str,
    ctx: &Context<'_>,
    out: &mut Output,
) -> Map<String, Value> {
    let parsed = slots
        .iter()
        .map(|slot| match &slot.field.kind {
            // Conditions see a block only through `empty`: its number of entries.
            FieldKind::Repeatable(_) => Ok(match raw.get(&slot.field.id) {
                Some(Value::Array(entries)) if !entries.is_empty() => {
                    Some(Value::from(entries.len()))
                }
                _ => None,
            }),
            kind => parse(kind, raw.get(&slot.field.id), ctx),
        })
        .collect();
    let mut scope = Scope {
        index: slots
            .iter()
            .enumerate()
            .map(|(i, s)| (s.field.id.as_str(), i))
            .collect(),
        seen: vec![Seen::Unknown; slots.len()],
        slots,
        parsed,
        outer,
    };
    let has_blocks = scope
        .slots
        .iter()
        .any(|s| matches!(s.field.kind, FieldKind::Repeatable(_)));
    // What entries of blocks see of this scope: every shown answer.
    let answers_for_blocks = has_blocks.then(|| scope.answers());

    let mut clean = Map::new();
    for i in 0..scope.slots.len() {
        let field = scope.slots[i].field;
        if field.is_display_only() || !scope.shown(i) {
            continue;
        }
        let path = format!("{prefix}{}", field.id);
        let required = field.required
            || field
                .required_if
                .as_ref()
                .is_some_and(|c| c.holds(&mut scope));
        if let FieldKind::Repeatable(rules) = &field.kind {
            let entries = block(
                rules,
                raw.get(&field.id),
                required,
                &path,
                answers_for_blocks.as_ref(),
                ctx,
                out,
            );
            if let Some(entries) = entries {
                clean.insert(field.id.clone(), entries);
            }
            continue;
        }
        match &scope.parsed[i] {
            Err(faults) => {
                for fault in faults {
                    out.violations.push(Violation::new(
                        &format!("{path}{}", fault.suffix),
                        &fault.message,
                    ));
                }
            }
            Ok(None) if required => out
                .violations
                .push(Violation::new(&path, required_message(&field.kind))),
            Ok(Some(Value::Bool(false)))
                if required && matches!(field.kind, FieldKind::Checkbox) =>
            {
                out.violations
                    .push(Violation::new(&path, required_message(&field.kind)));
            }
            Ok(None) => {}
            Ok(Some(value)) => {
                if let (FieldKind::File(_), Value::Array(ids)) = (&field.kind, value) {
                    out.attachments
                        .extend(
                            ids.iter()
                                .filter_map(Value::as_str)
                                .map(|id| AttachmentRef {
                                    field: path.clone(),
                                    id: id.to_owned(),
                                }),
                        );
                }
                clean.insert(field.id.clone(), value.clone());
            }
        }
    }
    clean
}

/// Judges the entries of a shown repeatable block; `None` when it has none and needs none.
fn block(
    rules: &BlockRules,
    raw: Option<&Value>,
    required: bool,
    path: &str,
    outer: Option<&Map<String, Value>>,
    ctx: &Context<'_>,
    out: &mut Output,
) -> Option<Value> {
    let entries: &[Value] = match raw {
        None | Some(Value::Null) => &[],
        Some(Value::Array(entries)) => entries,
        Some(_) => {
            out.violations
                .push(Violation::new(path, "Ce bloc attend une liste d'éléments."));
            return None;
        }
    };
    let min = rules.min_entries.unwrap_or(0).max(u32::from(required));
    let max = rules.max_entries.unwrap_or(MAX_ENTRIES).min(MAX_ENTRIES);
    let count = u32::try_from(entries.len()).unwrap_or(u32::MAX);
    if count < min {
        let message = if min == 1 {
            "Ajoutez au moins un élément.".to_owned()
        } else {
            format!("Ajoutez au moins {min} éléments.")
        };
        out.violations.push(Violation::new(path, &message));
        return None;
    }
    if count > max {
        out.violations
            .push(Violation::new(path, &format!("Au plus {max} éléments.")));
        return None;
    }
    if entries.is_empty() {
        return None;
    }
    let mut clean = Vec::with_capacity(entries.len());
    for (k, entry) in entries.iter().enumerate() {
        let Value::Object(answers) = entry else {
            out.violations.push(Violation::new(
                &format!("{path}[{k}]"),
                "Cet élément n'est pas valide.",
            ));
            continue;
        };
        let slots = rules
            .fields
            .iter()
            .map(|field| Slot {
                field,
                page_condition: None,
            })
            .collect();
        let values = judge(slots, answers, outer, &format!("{path}[{k}]."), ctx, out);
        clean.push(Value::Object(values));
    }
    Some(Value::Array(clean))
}

fn required_message(kind: &FieldKind) -> &'static str {
    match kind {
        FieldKind::Checkbox => "Cochez cette case pour continuer.",
        FieldKind::YesNo => "Répondez par oui ou par non.",
        FieldKind::Choice(_) | FieldKind::MultipleChoice(_) => "Choisissez une option.",
        FieldKind::File(_) => "Joignez ce document.",
        FieldKind::Address(_) => "Indiquez l'adresse.",
        _ => "Ce champ est obligatoire.",
    }
}
