//! Reading and checking a definition ([`Definition::from_json`], [`Definition::check`]):
//! what makes a definition unusable (duplicate ids, a condition on
//! a field that does not exist, a choice without options, min above max, a pattern
//! that does not compile, conditions that depend on each other in a loop…), each
//! reported with the JSON path of the fault and a French message for the designer.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use guichet_kit::grpc::Violation;
use serde_json::Value;

use super::{
    condition::Condition,
    definition::{Audience, Definition},
    field::{
        Choice, DateBound, Field, FieldKind, LONG_TEXT_MAX, MAX_ATTACHMENT_SIZE, MAX_ENTRIES,
        MAX_FILES, SHORT_TEXT_MAX, TextRules,
    },
    iban::is_sepa_country,
};

/// Longest slug: it is part of an address people may read aloud.
const MAX_SLUG: usize = 80;
/// Longest title, theme or department code, label.
const MAX_TITLE: usize = 200;
const MAX_CODE: usize = 40;
/// Longest field id.
const MAX_ID: usize = 64;
/// Longest service-level target: a year.
const MAX_SLA_DAYS: u32 = 366;
/// Most decimals a decimal field may ask for.
const MAX_DECIMALS: u8 = 10;

impl Definition {
    /// Reads a definition sent by a designer (or stored, or loaded from the catalogue)
    /// and checks it: every fault is reported with its JSON path
    /// (`pages[1].fields[3].options`) and a French message.
    pub fn from_json(json: &Value) -> Result<Self, Vec<Violation>> {
        let definition: Definition = serde_path_to_error::deserialize(json).map_err(|error| {
            let path = error.path().to_string();
            let path = if path == "." { String::new() } else { path };
            vec![Violation::new(
                &path,
                &format!("Définition illisible à cet endroit : {}.", error.inner()),
            )]
        })?;
        definition.check()?;
        Ok(definition)
    }

    /// Checks the definition: every fault at once, in the order of the document.
    pub fn check(&self) -> Result<(), Vec<Violation>> {
        let faults = check(self);
        if faults.is_empty() {
            Ok(())
        } else {
            Err(faults)
        }
    }
}

/// Every fault of the definition, in the order of the document.
fn check(definition: &Definition) -> Vec<Violation> {
    let mut checker = Checker {
        faults: Vec::new(),
        entries: Vec::new(),
        index: HashMap::new(),
    };
    checker.header(definition);
    checker.collect(definition);
    checker.fields();
    checker.conditions(definition);
    checker.loops(definition);
    checker.faults
}

/// A field with where it sits.
struct Entry<'a> {
    /// `pages[0].fields[2]`, or `pages[0].fields[2].fields[1]` inside a block.
    path: String,
    field: &'a Field,
    page: usize,
    /// The id of the enclosing repeatable block, if any.
    block: Option<&'a str>,
}

struct Checker<'a> {
    faults: Vec<Violation>,
    entries: Vec<Entry<'a>>,
    /// Field id → first entry with that id.
    index: HashMap<&'a str, usize>,
}

impl<'a> Checker<'a> {
    fn fault(&mut self, path: &str, message: &str) {
        self.faults.push(Violation::new(path, message));
    }

    fn header(&mut self, d: &Definition) {
        if !is_slug(&d.slug) {
            self.fault(
                "slug",
                "L'adresse de la démarche s'écrit en minuscules non accentuées, chiffres et \
                 tirets simples (par exemple « acte-de-naissance »), 80 caractères au plus.",
            );
        }
        self.text(
            "title",
            &d.title,
            MAX_TITLE,
            "Donnez un titre à la démarche.",
        );
        self.text(
            "description",
            &d.description,
            4_000,
            "Décrivez la démarche en quelques lignes.",
        );
        for (path, code) in [("theme", &d.theme), ("department", &d.department)] {
            if !is_code(code) {
                self.fault(
                    path,
                    "Un code s'écrit en majuscules non accentuées, chiffres et soulignés \
                     (par exemple « ETAT_CIVIL »).",
                );
            }
        }
        if let Audience::Account { minimum_levels } = &d.audience {
            for name in minimum_levels.keys() {
                if !guichet_kit::profile::is_form_attribute(name) {
                    self.fault(
                        &format!("audience.minimum_levels.{name}"),
                        &format!("« {name} » n'est pas une information du profil."),
                    );
                }
            }
        }
        if d.channels.is_empty() {
            self.fault("channels", "Choisissez au moins un canal de dépôt.");
        }
        for (i, channel) in d.channels.iter().enumerate() {
            if d.channels[..i].contains(channel) {
                self.fault(&format!("channels[{i}]"), "Ce canal est déjà cité.");
            }
        }
        if d.sla_days > MAX_SLA_DAYS {
            self.fault(
                "sla_days",
                "Le délai de traitement ne peut pas dépasser 366 jours.",
            );
        }
        let mut codes = HashSet::new();
        for (i, sub) in d.sub_statuses.iter().enumerate() {
            if !is_id(&sub.code) {
                self.fault(
                    &format!("sub_statuses[{i}].code"),
                    "Un code de sous-statut s'écrit en minuscules non accentuées, chiffres et \
                     soulignés.",
                );
            } else if !codes.insert(sub.code.as_str()) {
                self.fault(
                    &format!("sub_statuses[{i}].code"),
                    &format!("Le sous-statut « {} » est déjà défini.", sub.code),
                );
            }
            self.text(
                &format!("sub_statuses[{i}].label"),
                &sub.label,
                MAX_TITLE,
                "Donnez un libellé au sous-statut.",
            );
        }
        if d.pages.is_empty() {
            self.fault("pages", "Ajoutez au moins une page.");
        }
        for (p, page) in d.pages.iter().enumerate() {
            self.text(
                &format!("pages[{p}].title"),
                &page.title,
                MAX_TITLE,
                "Donnez un titre à la page.",
            );
            if page.fields.is_empty() {
                self.fault(
                    &format!("pages[{p}].fields"),
                    "Ajoutez au moins un champ à la page.",
                );
            }
        }
    }

    fn text(&mut self, path: &str, text: &str, max: usize, missing: &str) {
        if text.trim().is_empty() {
            self.fault(path, missing);
        } else if text.chars().count() > max {
            self.fault(path, &format!("{max} caractères au plus."));
        }
    }

    /// Lists every field with its path, and checks ids are well formed and unique.
    fn collect(&mut self, d: &'a Definition) {
        for (p, page) in d.pages.iter().enumerate() {
            for (f, field) in page.fields.iter().enumerate() {
                let path = format!("pages[{p}].fields[{f}]");
                self.add(path.clone(), field, p, None);
                for (n, nested) in field.children().iter().enumerate() {
                    self.add(format!("{path}.fields[{n}]"), nested, p, Some(&field.id));
                }
            }
        }
        if !self.entries.iter().any(|e| !e.field.is_display_only()) && !d.pages.is_empty() {
            self.fault(
                "pages",
                "Le formulaire doit comporter au moins un champ à remplir.",
            );
        }
    }

    fn add(&mut self, path: String, field: &'a Field, page: usize, block: Option<&'a str>) {
        if !is_id(&field.id) {
            self.fault(
                &format!("{path}.id"),
                "Un identifiant de champ s'écrit en minuscules non accentuées, chiffres et \
                 soulignés, et commence par une lettre.",
            );
        } else if let Some(&first) = self.index.get(field.id.as_str()) {
            let message = format!(
                "L'identifiant « {} » est déjà celui d'un autre champ ({}).",
                field.id, self.entries[first].path
            );
            self.fault(&format!("{path}.id"), &message);
        } else {
            self.index.insert(&field.id, self.entries.len());
        }
        self.entries.push(Entry {
            path,
            field,
            page,
            block,
        });
    }

    fn fields(&mut self) {
        for i in 0..self.entries.len() {
            let entry = &self.entries[i];
            let (path, field, nested) = (entry.path.clone(), entry.field, entry.block.is_some());
            self.field(&path, field, nested);
        }
    }

    fn field(&mut self, path: &str, field: &Field, nested: bool) {
        self.text(
            &format!("{path}.label"),
            &field.label,
            MAX_TITLE,
            "Donnez un libellé au champ.",
        );
        if field.is_display_only() {
            let why = "Un titre ou un texte d'explication n'attend pas de réponse";
            if field.required {
                self.fault(
                    &format!("{path}.required"),
                    &format!("{why} : il ne peut pas être obligatoire."),
                );
            }
            if field.required_if.is_some() {
                self.fault(
                    &format!("{path}.required_if"),
                    &format!("{why} : il ne peut pas être obligatoire."),
                );
            }
            if field.prefill.is_some() {
                self.fault(
                    &format!("{path}.prefill"),
                    &format!("{why} : il ne peut pas être pré-rempli."),
                );
            }
        }
        if let Some(attribute) = &field.prefill {
            if nested {
                self.fault(
                    &format!("{path}.prefill"),
                    "Un champ d'un bloc répétable ne peut pas être pré-rempli.",
                );
            } else if !guichet_kit::profile::is_form_attribute(attribute) {
                self.fault(
                    &format!("{path}.prefill"),
                    &format!("« {attribute} » n'est pas une information du profil."),
                );
            } else if !field.is_display_only() && !prefill_fits(attribute, &field.kind) {
                self.fault(
                    &format!("{path}.prefill"),
                    &format!(
                        "L'information « {attribute} » ne peut pas remplir un champ de type {}.",
                        field.kind.name()
                    ),
                );
            }
        }
        match &field.kind {
            FieldKind::ShortText(rules) => self.text_rules(path, rules, SHORT_TEXT_MAX),
            FieldKind::LongText(rules) => self.text_rules(path, rules, LONG_TEXT_MAX),
            FieldKind::Integer(rules) => {
                if let (Some(min), Some(max)) = (rules.min, rules.max)
                    && min > max
                {
                    self.fault(&format!("{path}.min"), "Le minimum dépasse le maximum.");
                }
            }
            FieldKind::Decimal(rules) => {
                if let (Some(min), Some(max)) = (rules.min, rules.max)
                    && min > max
                {
                    self.fault(&format!("{path}.min"), "Le minimum dépasse le maximum.");
                }
                if rules.max_decimals.is_some_and(|d| d > MAX_DECIMALS) {
                    self.fault(
                        &format!("{path}.max_decimals"),
                        "10 chiffres après la virgule au plus.",
                    );
                }
            }
            FieldKind::Date(rules) => {
                if let (Some(min), Some(max)) = (rules.min, rules.max)
                    && date_range_is_empty(min, max)
                {
                    self.fault(
                        &format!("{path}.min"),
                        "La date la plus ancienne est après la date la plus récente.",
                    );
                }
            }
            FieldKind::Choice(rules) => self.options(path, &rules.options),
            FieldKind::MultipleChoice(rules) => {
                self.options(path, &rules.options);
                let count = u32::try_from(rules.options.len()).unwrap_or(u32::MAX);
                match (rules.min_selected, rules.max_selected) {
                    (Some(min), Some(max)) if min > max => {
                        self.fault(
                            &format!("{path}.min_selected"),
                            "Le minimum dépasse le maximum.",
                        );
                    }
                    (_, Some(0)) => {
                        self.fault(
                            &format!("{path}.max_selected"),
                            "Le maximum doit être d'au moins 1.",
                        );
                    }
                    (Some(min), _) if min > count => self.fault(
                        &format!("{path}.min_selected"),
                        "Le minimum dépasse le nombre d'options.",
                    ),
                    _ => {}
                }
            }
            FieldKind::Address(rules) => {
                for (k, postcode) in rules.postcodes.iter().enumerate() {
                    if !is_postcode(postcode) {
                        self.fault(
                            &format!("{path}.postcodes[{k}]"),
                            "Un code postal compte 5 chiffres.",
                        );
                    }
                }
            }
            FieldKind::Iban(rules) => {
                for (k, country) in rules.countries.iter().enumerate() {
                    if !is_sepa_country(country) {
                        self.fault(
                            &format!("{path}.countries[{k}]"),
                            &format!("« {country} » n'est pas un code de pays de l'espace SEPA."),
                        );
                    }
                }
            }
            FieldKind::File(rules) => {
                if rules.accept.is_empty() {
                    self.fault(
                        &format!("{path}.accept"),
                        "Indiquez les types de fichiers acceptés.",
                    );
                }
                for (k, mime) in rules.accept.iter().enumerate() {
                    if !is_mime_pattern(mime) {
                        self.fault(
                            &format!("{path}.accept[{k}]"),
                            "Un type de fichier s'écrit comme « application/pdf » ou « image/* ».",
                        );
                    } else if !can_be_uploaded(mime) {
                        // A field asking for what uploads refuse could never be answered.
                        self.fault(
                            &format!("{path}.accept[{k}]"),
                            "Les images sont acceptées en JPEG, PNG ou WebP seulement : leurs \
                             métadonnées (position GPS…) sont retirées, ce qui est impossible \
                             pour les autres formats.",
                        );
                    }
                }
                if rules.max_size == 0 || rules.max_size > MAX_ATTACHMENT_SIZE {
                    self.fault(
                        &format!("{path}.max_size"),
                        "La taille maximale d'un fichier est comprise entre 1 octet et 10 Mo.",
                    );
                }
                if rules.max_files == 0 || rules.max_files > MAX_FILES {
                    self.fault(
                        &format!("{path}.max_files"),
                        "Le nombre de fichiers est compris entre 1 et 20.",
                    );
                }
            }
            FieldKind::Repeatable(rules) => {
                if nested {
                    self.fault(path, "Un bloc répétable ne peut pas en contenir un autre.");
                }
                if rules.fields.iter().all(Field::is_display_only) {
                    self.fault(
                        &format!("{path}.fields"),
                        "Un bloc répétable doit comporter au moins un champ à remplir.",
                    );
                }
                if let (Some(min), Some(max)) = (rules.min_entries, rules.max_entries)
                    && min > max
                {
                    self.fault(
                        &format!("{path}.min_entries"),
                        "Le minimum dépasse le maximum.",
                    );
                }
                if rules.max_entries.is_some_and(|m| m == 0 || m > MAX_ENTRIES) {
                    self.fault(
                        &format!("{path}.max_entries"),
                        "Le nombre d'éléments est compris entre 1 et 50.",
                    );
                }
                if rules.min_entries.is_some_and(|m| m > MAX_ENTRIES) {
                    self.fault(
                        &format!("{path}.min_entries"),
                        "Le nombre d'éléments est compris entre 1 et 50.",
                    );
                }
            }
            FieldKind::Explanation(rules) => {
                if rules.body.trim().is_empty() {
                    self.fault(&format!("{path}.body"), "Écrivez le texte à afficher.");
                }
            }
            FieldKind::Email
            | FieldKind::Phone
            | FieldKind::YesNo
            | FieldKind::Checkbox
            | FieldKind::Siret
            | FieldKind::SectionTitle => {}
        }
    }

    fn text_rules(&mut self, path: &str, rules: &TextRules, cap: u32) {
        if let (Some(min), Some(max)) = (rules.min_length, rules.max_length)
            && min > max
        {
            self.fault(
                &format!("{path}.min_length"),
                "La longueur minimale dépasse la longueur maximale.",
            );
        }
        if rules.max_length.is_some_and(|m| m == 0 || m > cap) {
            self.fault(
                &format!("{path}.max_length"),
                &format!("La longueur maximale est comprise entre 1 et {cap} caractères pour ce type de champ."),
            );
        }
        if let Some(pattern) = &rules.pattern
            && pattern.regex().is_none()
        {
            self.fault(
                &format!("{path}.pattern"),
                "Cette expression régulière n'est pas valide (ou dépasse 500 caractères).",
            );
        }
    }

    fn options(&mut self, path: &str, options: &[Choice]) {
        if options.is_empty() {
            self.fault(&format!("{path}.options"), "Ajoutez au moins une option.");
        }
        let mut seen = HashSet::new();
        for (k, option) in options.iter().enumerate() {
            if option.value.trim().is_empty() {
                self.fault(
                    &format!("{path}.options[{k}].value"),
                    "Une option doit avoir une valeur.",
                );
            } else if !seen.insert(option.value.as_str()) {
                self.fault(
                    &format!("{path}.options[{k}].value"),
                    &format!(
                        "La valeur « {} » est déjà celle d'une autre option.",
                        option.value
                    ),
                );
            }
            self.text(
                &format!("{path}.options[{k}].label"),
                &option.label,
                MAX_TITLE,
                "Donnez un libellé à l'option.",
            );
        }
    }

    /// Checks every condition: the fields it names exist, carry answers, are in reach,
    /// and can be compared as asked.
    fn conditions(&mut self, d: &'a Definition) {
        for (p, page) in d.pages.iter().enumerate() {
            if let Some(condition) = &page.visible_if {
                self.condition(condition, &format!("pages[{p}].visible_if"), None, None);
            }
        }
        for i in 0..self.entries.len() {
            let field = self.entries[i].field;
            let path = self.entries[i].path.clone();
            let block = self.entries[i].block;
            for (name, condition) in [
                ("visible_if", &field.visible_if),
                ("required_if", &field.required_if),
            ] {
                if let Some(condition) = condition {
                    self.condition(condition, &format!("{path}.{name}"), Some(&field.id), block);
                }
            }
        }
    }

    fn condition(
        &mut self,
        condition: &Condition,
        path: &str,
        referrer: Option<&str>,
        block: Option<&str>,
    ) {
        let op = condition.op();
        match condition {
            Condition::And(list) | Condition::Or(list) => {
                if list.is_empty() {
                    self.fault(&format!("{path}.{op}"), "Combinez au moins une condition.");
                }
                for (i, inner) in list.iter().enumerate() {
                    self.condition(inner, &format!("{path}.{op}[{i}]"), referrer, block);
                }
            }
            Condition::Not(inner) => self.condition(inner, &format!("{path}.not"), referrer, block),
            Condition::Eq(c)
            | Condition::Neq(c)
            | Condition::Lt(c)
            | Condition::Lte(c)
            | Condition::Gt(c)
            | Condition::Gte(c) => {
                if let Some(kind) =
                    self.target(&c.field, &format!("{path}.{op}.field"), referrer, block, op)
                {
                    self.constant(kind, &c.field, &c.value, &format!("{path}.{op}.value"));
                }
            }
            Condition::In(m) => {
                if let Some(kind) =
                    self.target(&m.field, &format!("{path}.in.field"), referrer, block, op)
                {
                    if m.values.is_empty() {
                        self.fault(
                            &format!("{path}.in.values"),
                            "Indiquez au moins une valeur.",
                        );
                    }
                    for (k, value) in m.values.iter().enumerate() {
                        self.constant(kind, &m.field, value, &format!("{path}.in.values[{k}]"));
                    }
                }
            }
            Condition::Empty(r) => {
                self.target(
                    &r.field,
                    &format!("{path}.empty.field"),
                    referrer,
                    block,
                    op,
                );
            }
        }
    }

    /// The kind of the field a condition names, if it may be named there with `op`.
    fn target(
        &mut self,
        id: &str,
        path: &str,
        referrer: Option<&str>,
        block: Option<&str>,
        op: &str,
    ) -> Option<&'a FieldKind> {
        let Some(&i) = self.index.get(id) else {
            self.fault(
                path,
                &format!("Aucun champ ne porte l'identifiant « {id} »."),
            );
            return None;
        };
        let entry = &self.entries[i];
        let field = entry.field;
        let target_block = entry.block;
        if field.is_display_only() {
            self.fault(
                path,
                &format!(
                    "« {id} » est un titre ou un texte d'explication : il n'a pas de réponse."
                ),
            );
            return None;
        }
        if referrer == Some(id) {
            self.fault(
                path,
                "Une condition ne peut pas porter sur son propre champ.",
            );
            return None;
        }
        if target_block.is_some() && target_block != block {
            self.fault(
                path,
                &format!(
                    "« {id} » est dans un bloc répétable : seuls les champs de ce bloc peuvent \
                     s'y référer."
                ),
            );
            return None;
        }
        let ordered = matches!(
            field.kind,
            FieldKind::Integer(_) | FieldKind::Decimal(_) | FieldKind::Date(_)
        );
        let empty_only = matches!(
            field.kind,
            FieldKind::Address(_) | FieldKind::File(_) | FieldKind::Repeatable(_)
        );
        if empty_only && op != "empty" {
            self.fault(
                path,
                &format!("Seule la condition « empty » s'applique au champ « {id} »."),
            );
            return None;
        }
        if matches!(op, "lt" | "lte" | "gt" | "gte") && !ordered {
            self.fault(
                path,
                &format!(
                    "« {id} » n'est ni un nombre ni une date : il ne peut pas être comparé \
                     ainsi."
                ),
            );
            return None;
        }
        Some(&field.kind)
    }

    /// Checks a constant a field is compared with is of that field's kind.
    fn constant(&mut self, kind: &FieldKind, id: &str, value: &Value, path: &str) {
        let wrong = match kind {
            FieldKind::Integer(_) | FieldKind::Decimal(_) => {
                (!value.is_number()).then(|| "Cette valeur doit être un nombre.".to_owned())
            }
            FieldKind::Date(_) => value
                .as_str()
                .and_then(|s| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
                .is_none()
                .then(|| "Cette valeur doit être une date AAAA-MM-JJ.".to_owned()),
            FieldKind::YesNo | FieldKind::Checkbox => {
                (!value.is_boolean()).then(|| "Cette valeur doit être true ou false.".to_owned())
            }
            FieldKind::Choice(_) | FieldKind::MultipleChoice(_) => {
                let options = kind.options().unwrap_or_default();
                let known = value
                    .as_str()
                    .is_some_and(|v| options.iter().any(|o| o.value == v));
                (!known).then(|| format!("{value} n'est pas une option du champ « {id} »."))
            }
            _ => (!value.is_string()).then(|| "Cette valeur doit être un texte.".to_owned()),
        };
        if let Some(message) = wrong {
            self.fault(path, &message);
        }
    }

    /// Refuses display conditions that depend on each other in a loop (a field shown
    /// if another is filled, itself shown if the first is filled): no order could
    /// decide them.
    fn loops(&mut self, d: &Definition) {
        // Field → fields its visibility reads, within its scope.
        let mut edges: Vec<Vec<usize>> = vec![Vec::new(); self.entries.len()];
        for (i, entry) in self.entries.iter().enumerate() {
            let page = entry
                .block
                .is_none()
                .then(|| d.pages[entry.page].visible_if.as_ref())
                .flatten();
            for condition in [entry.field.visible_if.as_ref(), page]
                .into_iter()
                .flatten()
            {
                for (_, id) in condition.references() {
                    if let Some(&j) = self.index.get(id)
                        && self.entries[j].block == entry.block
                    {
                        edges[i].push(j);
                    }
                }
            }
        }
        let mut state = vec![0u8; self.entries.len()]; // 0 new, 1 on the path, 2 done
        let mut stack = Vec::new();
        for start in 0..self.entries.len() {
            if state[start] == 0 {
                self.visit(start, &edges, &mut state, &mut stack);
            }
        }
    }

    fn visit(
        &mut self,
        node: usize,
        edges: &[Vec<usize>],
        state: &mut [u8],
        stack: &mut Vec<usize>,
    ) {
        state[node] = 1;
        stack.push(node);
        for &next in &edges[node] {
            match state[next] {
                0 => self.visit(next, edges, state, stack),
                1 => {
                    let from = stack.iter().position(|&n| n == next).unwrap_or(0);
                    let mut names: Vec<&str> = stack[from..]
                        .iter()
                        .map(|&n| self.entries[n].field.id.as_str())
                        .collect();
                    names.push(&self.entries[next].field.id);
                    let message = format!(
                        "Ces conditions d'affichage dépendent les unes des autres en boucle ({}).",
                        names.join(" → ")
                    );
                    let entry = &self.entries[next];
                    let path = if entry.field.visible_if.is_some() {
                        format!("{}.visible_if", entry.path)
                    } else {
                        format!("pages[{}].visible_if", entry.page)
                    };
                    self.fault(&path, &message);
                }
                _ => {}
            }
        }
        stack.pop();
        state[node] = 2;
    }
}

/// Whether a profile attribute can fill a field of this kind.
fn prefill_fits(attribute: &str, kind: &FieldKind) -> bool {
    match kind {
        FieldKind::ShortText(_) | FieldKind::LongText(_) => true,
        FieldKind::Email => attribute == "email",
        FieldKind::Phone => attribute == "phone",
        FieldKind::Date(_) => attribute == "birthdate",
        FieldKind::Address(_) => attribute == "address",
        FieldKind::Siret => attribute == "siret",
        FieldKind::Choice(_) => matches!(attribute, "civility" | "gender"),
        _ => false,
    }
}

/// Whether no date can be between the bounds, whatever the day of filing. Bounds of
/// different sorts (a fixed date and a relative one) depend on the day: not judged.
fn date_range_is_empty(min: DateBound, max: DateBound) -> bool {
    let reference = NaiveDate::from_ymd_opt(2000, 1, 1).unwrap_or_default();
    match (min, max) {
        (DateBound::On(a), DateBound::On(b)) => a > b,
        (DateBound::FromToday { .. }, DateBound::FromToday { .. }) => {
            matches!((min.resolve(reference), max.resolve(reference)), (Some(a), Some(b)) if a > b)
        }
        _ => false,
    }
}

fn is_slug(slug: &str) -> bool {
    !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug.split('-').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
}

fn is_code(code: &str) -> bool {
    code.len() <= MAX_CODE
        && code.bytes().next().is_some_and(|b| b.is_ascii_uppercase())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// A field id or sub-status code: `[a-z][a-z0-9_]*`.
pub(crate) fn is_id(id: &str) -> bool {
    id.len() <= MAX_ID
        && id.bytes().next().is_some_and(|b| b.is_ascii_lowercase())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_postcode(text: &str) -> bool {
    text.len() == 5 && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a file of type `mime` can be uploaded at all: an image only as one of the
/// types whose metadata is removed (`kit::upload::PHOTOS`), anything else as it comes.
fn can_be_uploaded(mime: &str) -> bool {
    match mime.strip_prefix("image/") {
        Some("*") | None => true,
        Some(_) => guichet_kit::upload::PHOTOS.contains(&mime),
    }
}

fn is_mime_pattern(mime: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"+-.".contains(&b))
    };
    match mime.split_once('/') {
        Some((kind, "*")) => token(kind),
        Some((kind, sub)) => token(kind) && token(sub),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use crate::form::{
        Condition, Definition, Field, Level, definition::DemandStatus, field::FieldKind,
    };

    fn definition(fields: Vec<Field>) -> Definition {
        Definition::new(
            "essai",
            "Essai",
            "CONTACT",
            "CABINET",
            5,
            "Un formulaire d'essai.",
        )
        .page("Page", fields)
    }

    #[test]
    fn a_malformed_definition_is_refused_with_the_path_of_the_fault() {
        let json = json!({
            "slug": "x", "title": "X", "theme": "T", "department": "D", "description": "",
            "audience": {"access": "anonymous"}, "channels": ["web", "fax"], "sla_days": 5,
            "pages": []
        });
        let faults = Definition::from_json(&json).unwrap_err();
        assert_eq!(faults[0].field, "channels[1]");
        assert!(faults[0].description.starts_with("Définition illisible"));
    }

    /// `(path, message)` of every fault.
    fn faults(definition: &Definition) -> Vec<(String, String)> {
        definition
            .check()
            .expect_err("should be refused")
            .into_iter()
            .map(|v| (v.field, v.description))
            .collect()
    }

    fn paths(definition: &Definition) -> Vec<String> {
        faults(definition)
            .into_iter()
            .map(|(path, _)| path)
            .collect()
    }

    fn json_paths(json: Value) -> Vec<String> {
        Definition::from_json(&json)
            .expect_err("should be refused")
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn a_well_formed_definition_passes_and_reads_back_from_json() {
        let d = definition(vec![
            Field::choice("kind", "Type", &[("a", "A"), ("b", "B")]).required(),
            Field::short_text("detail", "Précisez").visible_if(Condition::eq("kind", "b")),
        ])
        .account_required(&[("family_name", Level::FranceConnect)])
        .sub_status(
            "rdv_propose",
            "Rendez-vous proposé",
            DemandStatus::InProgress,
        );
        d.check().unwrap();
        assert_eq!(Definition::from_json(&d.to_json()).unwrap(), d);
    }

    #[test]
    fn duplicate_ids_are_refused_even_across_pages_and_blocks() {
        let d = definition(vec![
            Field::short_text("name", "Nom"),
            Field::repeatable(
                "kids",
                "Enfants",
                vec![Field::short_text("name", "Prénom")],
                None,
                None,
            ),
        ])
        .page("Suite", vec![Field::email("name", "E-mail")]);
        assert_eq!(
            faults(&d),
            [
                (
                    "pages[0].fields[1].fields[0].id".into(),
                    "L'identifiant « name » est déjà celui d'un autre champ (pages[0].fields[0])."
                        .into()
                ),
                (
                    "pages[1].fields[0].id".into(),
                    "L'identifiant « name » est déjà celui d'un autre champ (pages[0].fields[0])."
                        .into()
                ),
            ]
        );
    }

    #[test]
    fn a_condition_on_an_unknown_field_is_refused_with_its_path() {
        let d = definition(vec![
            Field::short_text("a", "A"),
            Field::short_text("b", "B")
                .visible_if(Condition::eq("a", "x").and(Condition::filled("zz"))),
        ]);
        assert_eq!(
            faults(&d),
            [(
                "pages[0].fields[1].visible_if.and[1].not.empty.field".into(),
                "Aucun champ ne porte l'identifiant « zz ».".into()
            )]
        );
    }

    #[test]
    fn a_condition_on_a_field_declared_later_is_fine() {
        definition(vec![
            Field::short_text("a", "A").required_if(Condition::eq("b", true)),
            Field::yes_no("b", "B"),
        ])
        .check()
        .unwrap();
    }

    #[test]
    fn a_choice_without_options_or_with_duplicate_values_is_refused() {
        let d = definition(vec![
            Field::choice("a", "A", &[]),
            Field::multiple_choice("b", "B", &[("x", "X"), ("x", "Y"), ("", "Z")]),
        ]);
        assert_eq!(
            paths(&d),
            [
                "pages[0].fields[0].options",
                "pages[0].fields[1].options[1].value",
                "pages[0].fields[1].options[2].value"
            ]
        );
    }

    #[test]
    fn a_minimum_above_its_maximum_is_refused() {
        let mut text = Field::short_text("t", "T");
        if let FieldKind::ShortText(rules) = &mut text.kind {
            rules.min_length = Some(10);
            rules.max_length = Some(5);
        }
        let d = definition(vec![
            Field::integer("i", "I", Some(5), Some(1)),
            Field::decimal("d", "D", Some(2.0), Some(1.0), 2),
            Field::date(
                "day",
                "Jour",
                Some(super::DateBound::days_from_today(30)),
                Some(super::DateBound::TODAY),
            ),
            text,
            Field::repeatable(
                "r",
                "R",
                vec![Field::short_text("x", "X")],
                Some(3),
                Some(2),
            ),
        ]);
        assert_eq!(
            paths(&d),
            [
                "pages[0].fields[0].min",
                "pages[0].fields[1].min",
                "pages[0].fields[2].min",
                "pages[0].fields[3].min_length",
                "pages[0].fields[4].min_entries"
            ]
        );
    }

    #[test]
    fn an_invalid_pattern_is_refused() {
        let d = definition(vec![Field::pattern_text("p", "P", "[A-Z", "Lettres")]);
        assert_eq!(
            faults(&d),
            [(
                "pages[0].fields[0].pattern".into(),
                "Cette expression régulière n'est pas valide (ou dépasse 500 caractères).".into()
            )]
        );
    }

    #[test]
    fn an_invalid_slug_theme_or_department_is_refused() {
        for slug in [
            "",
            "Acte",
            "acte--naissance",
            "-acte",
            "acte_naissance",
            "é",
        ] {
            let mut d = definition(vec![Field::short_text("a", "A")]);
            d.slug = slug.into();
            assert_eq!(paths(&d), ["slug"], "{slug}");
        }
        let mut d = definition(vec![Field::short_text("a", "A")]);
        d.theme = "État civil".into();
        d.department = "etat_civil".into();
        assert_eq!(paths(&d), ["theme", "department"]);
    }

    #[test]
    fn display_only_fields_cannot_be_required_nor_prefilled() {
        let d = definition(vec![
            Field::short_text("a", "A"),
            Field::section("s", "Section").required(),
            Field::explanation("e", "Info", "Texte")
                .required_if(Condition::filled("a"))
                .prefill("email"),
        ]);
        assert_eq!(
            paths(&d),
            [
                "pages[0].fields[1].required",
                "pages[0].fields[2].required_if",
                "pages[0].fields[2].prefill"
            ]
        );
    }

    #[test]
    fn a_form_needs_pages_fields_and_something_to_answer() {
        let empty = Definition::new("essai", "Essai", "CONTACT", "CABINET", 5, "Essai");
        assert_eq!(paths(&empty), ["pages"]);
        let only_text =
            definition(vec![Field::explanation("e", "Info", "Texte")]).page("Vide", vec![]);
        assert_eq!(paths(&only_text), ["pages[1].fields", "pages"]);
    }

    #[test]
    fn conditions_must_name_fields_that_carry_comparable_answers() {
        let d = definition(vec![
            Field::section("s", "Section"),
            Field::short_text("t", "T"),
            Field::choice("c", "C", &[("a", "A")]),
            Field::address("addr", "Adresse"),
            Field::integer("n", "N", None, None),
            Field::short_text("x", "X")
                .visible_if(Condition::filled("s"))
                .required_if(Condition::Or(vec![
                    Condition::gt("t", 3),
                    Condition::eq("c", "b"),
                    Condition::eq("addr", "x"),
                    Condition::eq("n", "trois"),
                    Condition::eq("x", "moi"),
                ])),
        ]);
        assert_eq!(
            faults(&d),
            [
                (
                    "pages[0].fields[5].visible_if.not.empty.field".into(),
                    "« s » est un titre ou un texte d'explication : il n'a pas de réponse.".into()
                ),
                (
                    "pages[0].fields[5].required_if.or[0].gt.field".into(),
                    "« t » n'est ni un nombre ni une date : il ne peut pas être comparé ainsi."
                        .into()
                ),
                (
                    "pages[0].fields[5].required_if.or[1].eq.value".into(),
                    "\"b\" n'est pas une option du champ « c ».".into()
                ),
                (
                    "pages[0].fields[5].required_if.or[2].eq.field".into(),
                    "Seule la condition « empty » s'applique au champ « addr ».".into()
                ),
                (
                    "pages[0].fields[5].required_if.or[3].eq.value".into(),
                    "Cette valeur doit être un nombre.".into()
                ),
                (
                    "pages[0].fields[5].required_if.or[4].eq.field".into(),
                    "Une condition ne peut pas porter sur son propre champ.".into()
                ),
            ]
        );
    }

    #[test]
    fn only_fields_of_the_same_block_may_refer_to_a_field_inside_it() {
        let d = definition(vec![
            Field::yes_no("top", "Top"),
            Field::repeatable(
                "kids",
                "Enfants",
                vec![
                    Field::yes_no("allergy", "Allergie"),
                    Field::short_text("details", "Détails")
                        .visible_if(Condition::eq("allergy", true).and(Condition::eq("top", true))),
                ],
                None,
                None,
            ),
            Field::short_text("outside", "Dehors").visible_if(Condition::eq("allergy", true)),
        ]);
        assert_eq!(paths(&d), ["pages[0].fields[2].visible_if.eq.field"]);
    }

    #[test]
    fn display_conditions_that_loop_are_refused() {
        let d = definition(vec![
            Field::short_text("a", "A").visible_if(Condition::filled("b")),
            Field::short_text("b", "B").visible_if(Condition::filled("a")),
            Field::short_text("c", "C").required_if(Condition::filled("c2")),
            Field::short_text("c2", "C2").required_if(Condition::filled("c")),
        ]);
        assert_eq!(
            faults(&d),
            [(
                "pages[0].fields[0].visible_if".into(),
                "Ces conditions d'affichage dépendent les unes des autres en boucle (a → b → a)."
                    .into()
            )]
        );
        let mut page = definition(vec![Field::yes_no("p", "P")]);
        page.pages[0].visible_if = Some(Condition::eq("p", true));
        assert_eq!(paths(&page), ["pages[0].visible_if"]);
    }

    #[test]
    fn prefill_names_a_profile_attribute_that_fits_the_field() {
        let d = definition(vec![
            Field::short_text("a", "A").prefill("shoe_size"),
            Field::date("b", "B", None, None).prefill("email"),
            Field::repeatable(
                "r",
                "R",
                vec![Field::short_text("n", "N").prefill("given_name")],
                None,
                None,
            ),
            Field::email("ok", "E-mail").prefill("email"),
        ]);
        assert_eq!(
            faults(&d),
            [
                (
                    "pages[0].fields[0].prefill".into(),
                    "« shoe_size » n'est pas une information du profil.".into()
                ),
                (
                    "pages[0].fields[1].prefill".into(),
                    "L'information « email » ne peut pas remplir un champ de type date.".into()
                ),
                (
                    "pages[0].fields[2].fields[0].prefill".into(),
                    "Un champ d'un bloc répétable ne peut pas être pré-rempli.".into()
                ),
            ]
        );
    }

    #[test]
    fn file_rules_and_nested_blocks_are_checked() {
        let d = definition(vec![
            Field::file("f", "F", &["pdf", "image/*"], 0, 0),
            Field::file("g", "G", &[], 30 * 1024 * 1024, 1),
            Field::repeatable(
                "r",
                "R",
                vec![Field::repeatable(
                    "inner",
                    "I",
                    vec![Field::short_text("x", "X")],
                    None,
                    None,
                )],
                None,
                Some(0),
            ),
        ]);
        assert_eq!(
            paths(&d),
            [
                "pages[0].fields[0].accept[0]",
                "pages[0].fields[0].max_size",
                "pages[0].fields[0].max_files",
                "pages[0].fields[1].accept",
                "pages[0].fields[1].max_size",
                "pages[0].fields[2].max_entries",
                "pages[0].fields[2].fields[0]",
            ]
        );
    }

    #[test]
    fn a_file_field_asks_only_for_what_uploads_can_take() {
        // HEIC keeps its GPS position where it cannot be removed: uploads refuse it, so
        // a form asking for it could never be answered; nor could a 15 Mo file be sent.
        let d = definition(vec![
            Field::file("photos", "Photos", &["image/jpeg", "image/heic"], 1024, 1),
            Field::file("plans", "Plans", &["application/pdf"], 15 * 1024 * 1024, 1),
            Field::file(
                "ok",
                "Pièces",
                &["image/*", "image/webp", "audio/*"],
                1024,
                1,
            ),
        ]);
        assert_eq!(
            paths(&d),
            [
                "pages[0].fields[0].accept[1]",
                "pages[0].fields[1].max_size"
            ]
        );
    }

    #[test]
    fn audience_channels_and_sub_statuses_are_checked() {
        let mut d = definition(vec![Field::short_text("a", "A")])
            .account_required(&[("shoe_size", Level::Verified)])
            .channels(&[crate::form::Channel::Web, crate::form::Channel::Web])
            .sub_status("rdv", "Rendez-vous", DemandStatus::InProgress)
            .sub_status("rdv", "Encore", DemandStatus::InProgress)
            .sub_status("Bad Code", "", DemandStatus::Closed);
        d.sla_days = 400;
        assert_eq!(
            paths(&d),
            [
                "audience.minimum_levels.shoe_size",
                "channels[1]",
                "sla_days",
                "sub_statuses[1].code",
                "sub_statuses[2].code",
                "sub_statuses[2].label"
            ]
        );
    }

    #[test]
    fn a_definition_that_does_not_read_is_refused_with_the_path_of_the_fault() {
        let base = json!({
            "slug": "essai", "title": "Essai", "theme": "CONTACT", "department": "CABINET",
            "description": "Essai", "audience": {"access": "anonymous"}, "channels": ["web"],
            "sla_days": 5, "pages": [{"title": "Page", "fields": [
                {"id": "a", "type": "short_text", "label": "A"},
                {"id": "b", "type": "date", "label": "B", "max": "today"}
            ]}]
        });
        assert!(Definition::from_json(&base).is_ok());

        let mut unknown_type = base.clone();
        unknown_type["pages"][0]["fields"][1]["type"] = json!("signature");
        assert_eq!(json_paths(unknown_type), ["pages[0].fields[1]"]);

        let mut bad_bound = base.clone();
        bad_bound["pages"][0]["fields"][1]["max"] = json!("demain");
        let faults = Definition::from_json(&bad_bound).unwrap_err();
        assert_eq!(faults[0].field, "pages[0].fields[1]");
        assert!(
            faults[0]
                .description
                .contains("n'est pas une borne de date"),
            "{}",
            faults[0].description
        );

        let mut bad_condition = base.clone();
        bad_condition["pages"][0]["fields"][0]["visible_if"] = json!({"like": {"field": "b"}});
        assert_eq!(json_paths(bad_condition), ["pages[0].fields[0].visible_if"]);

        let mut no_options = base;
        no_options["pages"][0]["fields"][0] =
            json!({"id": "a", "type": "choice", "label": "A", "options": []});
        assert_eq!(json_paths(no_options), ["pages[0].fields[0].options"]);
    }
}
