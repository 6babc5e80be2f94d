//! The validator's behaviour, field type by field type, then conditions, repeatable
//! blocks and versions: what every channel's submission will be judged by.

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::{
    AttachmentMeta, Condition, DateBound, Definition, Field,
    field::{AddressRules, FieldKind, IbanRules, MultipleChoiceRules, TextRules},
};

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
}

fn form(fields: Vec<Field>) -> Definition {
    let definition = Definition::new(
        "essai",
        "Essai",
        "CONTACT",
        "CABINET",
        5,
        "Un formulaire d'essai.",
    )
    .page("Page", fields);
    definition
        .check()
        .expect("test forms are valid definitions");
    definition
}

fn accepted(definition: &Definition, data: Value) -> Map<String, Value> {
    accepted_with(definition, data, &[])
}

fn accepted_with(
    definition: &Definition,
    data: Value,
    uploads: &[AttachmentMeta],
) -> Map<String, Value> {
    match definition.validate(&data, uploads, today()) {
        Ok(clean) => clean.values,
        Err(faults) => panic!("refused: {faults:?}"),
    }
}

/// `(path, message)` of every fault.
fn refused(definition: &Definition, data: Value) -> Vec<(String, String)> {
    refused_with(definition, data, &[])
}

fn refused_with(
    definition: &Definition,
    data: Value,
    uploads: &[AttachmentMeta],
) -> Vec<(String, String)> {
    definition
        .validate(&data, uploads, today())
        .expect_err("should be refused")
        .into_iter()
        .map(|v| (v.field, v.description))
        .collect()
}

fn paths(definition: &Definition, data: Value) -> Vec<String> {
    refused(definition, data)
        .into_iter()
        .map(|(path, _)| path)
        .collect()
}

// ------------------------------------------------------------------ field types

#[test]
fn a_short_text_is_trimmed_and_held_to_its_length_and_pattern() {
    let d = form(vec![
        Field::short_text("name", "Nom").required(),
        Field::new(
            "ants",
            "Numéro de pré-demande",
            FieldKind::ShortText(TextRules {
                min_length: Some(10),
                max_length: Some(10),
                pattern: Some(super::field::Pattern::new("[A-Z0-9]{10}")),
                pattern_hint: Some("10 lettres majuscules ou chiffres.".into()),
            }),
        ),
    ]);
    assert_eq!(
        accepted(&d, json!({"name": "  Martin ", "ants": "AB12CD34EF"})),
        json!({"name": "Martin", "ants": "AB12CD34EF"})
            .as_object()
            .cloned()
            .unwrap()
    );
    assert_eq!(
        refused(&d, json!({"name": "   ", "ants": "ab12cd34ef"})),
        [
            ("name".into(), "Ce champ est obligatoire.".into()),
            ("ants".into(), "10 lettres majuscules ou chiffres.".into())
        ]
    );
    assert_eq!(
        refused(&d, json!({"name": "a\nb", "ants": "AB12"})),
        [
            ("name".into(), "Cette réponse tient sur une ligne.".into()),
            ("ants".into(), "Au moins 10 caractères.".into())
        ]
    );
    assert_eq!(paths(&d, json!({"name": "x".repeat(256)})), ["name"]);
    assert_eq!(paths(&d, json!({"name": ["Martin"]})), ["name"]);
}

#[test]
fn a_text_holding_a_character_xml_forbids_is_refused() {
    let d = form(vec![
        Field::short_text("name", "Nom").required(),
        Field::long_text("message", "Message", 200),
    ]);
    assert_eq!(
        paths(
            &d,
            json!({"name": "Martin\u{FFFF}", "message": "Bonjour\u{0}\tà vous"})
        ),
        ["name", "message"]
    );
    assert_eq!(
        accepted(
            &d,
            json!({"name": "Martin", "message": "Bonjour,\r\n\tà vous 🚧"})
        )["message"],
        "Bonjour,\r\n\tà vous 🚧"
    );
}

#[test]
fn a_long_text_keeps_its_lines_within_its_limit() {
    let d = form(vec![Field::long_text("message", "Message", 20).required()]);
    assert_eq!(
        accepted(&d, json!({"message": " Bonjour,\nmerci. "}))["message"],
        "Bonjour,\nmerci."
    );
    assert_eq!(
        refused(&d, json!({"message": "x".repeat(21)})),
        [("message".into(), "Au plus 20 caractères.".into())]
    );
}

#[test]
fn an_integer_accepts_numbers_and_digit_strings_within_its_bounds() {
    let d = form(vec![Field::integer("copies", "Copies", Some(1), Some(5))]);
    assert_eq!(accepted(&d, json!({"copies": 3}))["copies"], 3);
    assert_eq!(accepted(&d, json!({"copies": " 4 "}))["copies"], 4);
    assert_eq!(
        refused(&d, json!({"copies": 6})),
        [("copies".into(), "La valeur doit être au plus 5.".into())]
    );
    assert_eq!(
        refused(&d, json!({"copies": 0})),
        [("copies".into(), "La valeur doit être au moins 1.".into())]
    );
    for wrong in [json!(2.5), json!("deux"), json!(true)] {
        assert_eq!(
            refused(&d, json!({ "copies": wrong })),
            [("copies".into(), "Saisissez un nombre entier.".into())]
        );
    }
}

#[test]
fn a_decimal_reads_french_commas_and_counts_its_decimals() {
    let d = form(vec![Field::decimal(
        "area",
        "Surface (m²)",
        Some(0.5),
        Some(500.0),
        2,
    )]);
    assert_eq!(accepted(&d, json!({"area": "12,5"}))["area"], 12.5);
    assert_eq!(accepted(&d, json!({"area": 12.25}))["area"], 12.25);
    assert_eq!(accepted(&d, json!({"area": " 200,50 "}))["area"], 200.5);
    assert_eq!(
        refused(&d, json!({"area": "12,345"})),
        [("area".into(), "Au plus 2 chiffres après la virgule.".into())]
    );
    assert_eq!(
        refused(&d, json!({"area": "0,25"})),
        [("area".into(), "La valeur doit être au moins 0,5.".into())]
    );
    for wrong in ["douze", "1e3", "inf", "12,5,1"] {
        assert_eq!(paths(&d, json!({ "area": wrong })), ["area"], "{wrong}");
    }
}

#[test]
fn an_email_is_lowercased_and_checked() {
    let d = form(vec![Field::email("email", "E-mail").required()]);
    assert_eq!(
        accepted(&d, json!({"email": " Jeanne.Martin@Example.FR "}))["email"],
        "jeanne.martin@example.fr"
    );
    assert_eq!(
        refused(&d, json!({"email": "jeanne.martin"})),
        [(
            "email".into(),
            "Cette adresse e-mail n'est pas valide (par exemple nom@exemple.fr).".into()
        )]
    );
}

#[test]
fn a_phone_number_is_stored_in_national_form() {
    let d = form(vec![Field::phone("phone", "Téléphone")]);
    assert_eq!(
        accepted(&d, json!({"phone": "+33 6 12 34 56 78"}))["phone"],
        "0612345678"
    );
    assert_eq!(
        accepted(&d, json!({"phone": "04.42.91.90.00"}))["phone"],
        "0442919000"
    );
    assert_eq!(paths(&d, json!({"phone": "12 34"})), ["phone"]);
    assert_eq!(paths(&d, json!({"phone": 612345678})), ["phone"]);
}

#[test]
fn a_date_accepts_iso_and_french_forms_within_fixed_and_relative_bounds() {
    let d = form(vec![
        Field::date(
            "birth",
            "Date de naissance",
            Some(DateBound::On(NaiveDate::from_ymd_opt(1900, 1, 1).unwrap())),
            Some(DateBound::TODAY),
        ),
        Field::date(
            "start",
            "Début des travaux",
            Some(DateBound::days_from_today(15)),
            None,
        ),
    ]);
    assert_eq!(
        accepted(&d, json!({"birth": "14/07/1984", "start": "2026-03-17"})),
        json!({"birth": "1984-07-14", "start": "2026-03-17"})
            .as_object()
            .cloned()
            .unwrap()
    );
    assert_eq!(
        refused(&d, json!({"birth": "2026-03-03", "start": "2026-03-16"})),
        [
            (
                "birth".into(),
                "La date ne peut pas être dans le futur.".into()
            ),
            (
                "start".into(),
                "La date doit être le 17/03/2026 ou après.".into()
            )
        ]
    );
    assert_eq!(
        refused(&d, json!({"birth": "1899-12-31"})),
        [(
            "birth".into(),
            "La date doit être le 01/01/1900 ou après.".into()
        )]
    );
    for wrong in ["31/02/2020", "2020-13-01", "hier"] {
        assert_eq!(
            refused(&d, json!({ "birth": wrong })),
            [(
                "birth".into(),
                "Saisissez une date valide (JJ/MM/AAAA).".into()
            )]
        );
    }
}

#[test]
fn a_yes_no_question_takes_booleans_and_no_is_an_answer() {
    let d = form(vec![Field::yes_no("alone", "Vivez-vous seul ?").required()]);
    assert_eq!(accepted(&d, json!({"alone": false}))["alone"], false);
    assert_eq!(
        refused(&d, json!({})),
        [("alone".into(), "Répondez par oui ou par non.".into())]
    );
    assert_eq!(paths(&d, json!({"alone": "oui"})), ["alone"]);
}

#[test]
fn a_required_checkbox_must_be_ticked_and_an_optional_one_stores_false() {
    let d = form(vec![
        Field::checkbox("oath", "J'atteste sur l'honneur").required(),
        Field::checkbox("newsletter", "Recevoir la lettre"),
    ]);
    assert_eq!(
        accepted(&d, json!({"oath": true})),
        json!({"oath": true, "newsletter": false})
            .as_object()
            .cloned()
            .unwrap()
    );
    assert_eq!(
        refused(&d, json!({"oath": false})),
        [("oath".into(), "Cochez cette case pour continuer.".into())]
    );
    assert_eq!(paths(&d, json!({"oath": "yes"})), ["oath"]);
}

#[test]
fn a_single_choice_takes_only_its_options() {
    let d = form(vec![
        Field::choice(
            "kind",
            "Type",
            &[("cni", "Carte d'identité"), ("passeport", "Passeport")],
        )
        .required(),
    ]);
    assert_eq!(
        accepted(&d, json!({"kind": "passeport"}))["kind"],
        "passeport"
    );
    assert_eq!(
        refused(&d, json!({"kind": "permis"})),
        [(
            "kind".into(),
            "Choisissez une des options proposées.".into()
        )]
    );
    assert_eq!(
        refused(&d, json!({})),
        [("kind".into(), "Choisissez une option.".into())]
    );
}

#[test]
fn a_multiple_choice_checks_each_pick_and_how_many() {
    let d = form(vec![Field::new(
        "days",
        "Jours",
        FieldKind::MultipleChoice(MultipleChoiceRules {
            options: ["lundi", "mardi", "jeudi", "vendredi"]
                .map(|d| super::field::Choice {
                    value: d.into(),
                    label: d.into(),
                })
                .to_vec(),
            min_selected: Some(2),
            max_selected: Some(3),
        }),
    )]);
    assert_eq!(
        accepted(&d, json!({"days": ["lundi", "jeudi", "lundi"]}))["days"],
        json!(["lundi", "jeudi"])
    );
    assert_eq!(
        refused(&d, json!({"days": ["lundi", "samedi", "dimanche"]})),
        [
            ("days[1]".into(), "Cette option n'existe pas.".into()),
            ("days[2]".into(), "Cette option n'existe pas.".into())
        ]
    );
    assert_eq!(
        refused(&d, json!({"days": ["lundi"]})),
        [("days".into(), "Choisissez au moins 2 options.".into())]
    );
    assert_eq!(
        paths(&d, json!({"days": ["lundi", "mardi", "jeudi", "vendredi"]})),
        ["days"]
    );
    assert!(accepted(&d, json!({"days": []})).is_empty());
}

#[test]
fn an_address_needs_street_postcode_and_city_and_coordinates_in_range() {
    let d = form(vec![
        Field::address("home", "Adresse").required(),
        Field::new(
            "site",
            "Lieu",
            FieldKind::Address(AddressRules {
                coordinates_required: true,
                postcodes: vec!["13100".into(), "13090".into()],
            }),
        ),
    ]);
    assert_eq!(
        accepted(
            &d,
            json!({"home": {"street": " 12 cours Mirabeau ", "postcode": "13100", "city": "Aix-en-Provence"},
                   "site": {"street": "Place de l'Hôtel de Ville", "postcode": "13100", "city": "Aix",
                            "latitude": 43.53, "longitude": 5.4478}})
        ),
        json!({"home": {"street": "12 cours Mirabeau", "postcode": "13100", "city": "Aix-en-Provence"},
               "site": {"street": "Place de l'Hôtel de Ville", "postcode": "13100", "city": "Aix",
                        "latitude": 43.53, "longitude": 5.4478}})
        .as_object()
        .cloned()
        .unwrap()
    );
    assert_eq!(
        paths(
            &d,
            json!({"home": {"street": "12 cours Mirabeau", "postcode": "1310"}})
        ),
        ["home.postcode", "home.city"]
    );
    assert_eq!(
        refused(
            &d,
            json!({"home": {"street": "Rue", "postcode": "13100", "city": "Aix"},
                           "site": {"street": "Rue", "postcode": "75001", "city": "Paris"}})
        ),
        [
            (
                "site.postcode".into(),
                "Cette démarche concerne la commune : codes postaux acceptés 13100, 13090.".into()
            ),
            (
                "site.latitude".into(),
                "Placez l'adresse sur la carte.".into()
            )
        ]
    );
    assert_eq!(
        paths(
            &d,
            json!({"home": {"street": "Rue", "postcode": "13100", "city": "Aix", "latitude": 91, "longitude": 5}})
        ),
        ["home.latitude"]
    );
    assert_eq!(
        paths(
            &d,
            json!({"home": {"street": "Rue", "postcode": "13100", "city": "Aix", "latitude": 43.5}})
        ),
        ["home.longitude"]
    );
    assert_eq!(
        refused(
            &d,
            json!({"home": {"street": " ", "postcode": "", "city": ""}})
        ),
        [("home".into(), "Indiquez l'adresse.".into())]
    );
    assert_eq!(paths(&d, json!({"home": "12 cours Mirabeau"})), ["home"]);
}

#[test]
fn a_siret_is_checked_and_kept_without_spaces() {
    let d = form(vec![Field::siret("siret", "SIRET").required()]);
    assert_eq!(
        accepted(&d, json!({"siret": "732 829 320 00074"}))["siret"],
        "73282932000074"
    );
    assert_eq!(
        refused(&d, json!({"siret": "732 829 320 00075"})),
        [(
            "siret".into(),
            "Ce numéro SIRET n'est pas valide (14 chiffres).".into()
        )]
    );
}

#[test]
fn an_iban_is_checked_kept_compact_and_limited_to_the_countries_asked() {
    let d = form(vec![
        Field::iban("any", "IBAN"),
        Field::new(
            "french",
            "IBAN français",
            FieldKind::Iban(IbanRules {
                countries: vec!["FR".into()],
            }),
        ),
    ]);
    assert_eq!(
        accepted(
            &d,
            json!({"any": "de89 3704 0044 0532 0130 00", "french": "FR76 3000 6000 0112 3456 7890 189"})
        ),
        json!({"any": "DE89370400440532013000", "french": "FR7630006000011234567890189"})
            .as_object()
            .cloned()
            .unwrap()
    );
    assert_eq!(
        refused(
            &d,
            json!({"any": "FR76 3000 6000 0112 3456 7890 188", "french": "DE89 3704 0044 0532 0130 00"})
        ),
        [
            (
                "any".into(),
                "Cet IBAN n'est pas valide : vérifiez chaque caractère.".into()
            ),
            (
                "french".into(),
                "Les IBAN de ce pays ne sont pas acceptés ici (pays acceptés : FR).".into()
            )
        ]
    );
    assert_eq!(
        refused(&d, json!({"any": "BR15 0000 0000 0000 1093 2840 814 P2"})),
        [(
            "any".into(),
            "Seuls les IBAN de l'espace SEPA sont acceptés.".into()
        )]
    );
}

fn upload(id: &str, mime: &str, size: u64) -> AttachmentMeta {
    AttachmentMeta {
        id: id.into(),
        mime_type: mime.into(),
        size,
        sha256: "ab".repeat(32),
    }
}

#[test]
fn a_file_field_checks_the_type_size_and_number_of_uploads() {
    let d = form(vec![
        Field::file(
            "proofs",
            "Justificatifs",
            &["application/pdf", "image/*"],
            1024 * 1024,
            2,
        )
        .required(),
    ]);
    let uploads = [
        upload("u1", "application/pdf", 1000),
        upload("u2", "image/jpeg", 2000),
        upload("u3", "application/zip", 100),
        upload("u4", "image/png", 2 * 1024 * 1024),
        upload("u5", "image/png", 10),
    ];
    let clean = d
        .validate(&json!({"proofs": ["u1", "u2"]}), &uploads, today())
        .unwrap();
    assert_eq!(clean.values["proofs"], json!(["u1", "u2"]));
    assert_eq!(
        clean
            .attachments
            .iter()
            .map(|a| (a.field.as_str(), a.id.as_str()))
            .collect::<Vec<_>>(),
        [("proofs", "u1"), ("proofs", "u2")]
    );
    assert_eq!(
        accepted_with(&d, json!({"proofs": "u1"}), &uploads)["proofs"],
        json!(["u1"])
    );
    assert_eq!(
        refused_with(&d, json!({"proofs": ["u3", "u4"]}), &uploads),
        [
            (
                "proofs[0]".into(),
                "Ce type de fichier n'est pas accepté (types acceptés : PDF, images).".into()
            ),
            (
                "proofs[1]".into(),
                "Ce fichier dépasse la taille maximale de 1 Mo.".into()
            )
        ]
    );
    assert_eq!(
        refused_with(&d, json!({"proofs": ["u1", "inconnu"]}), &uploads),
        [(
            "proofs[1]".into(),
            "Ce fichier est introuvable : déposez-le de nouveau.".into()
        )]
    );
    assert_eq!(
        refused_with(&d, json!({"proofs": ["u1", "u1"]}), &uploads),
        [("proofs[1]".into(), "Ce fichier est déjà joint.".into())]
    );
    assert_eq!(
        refused_with(&d, json!({"proofs": ["u1", "u2", "u5"]}), &uploads),
        [("proofs".into(), "Joignez au plus 2 fichiers.".into())]
    );
    assert_eq!(
        refused_with(&d, json!({"proofs": []}), &uploads),
        [("proofs".into(), "Joignez ce document.".into())]
    );
}

fn children_form() -> Definition {
    form(vec![
        Field::yes_no("shared_custody", "Garde alternée ?"),
        Field::repeatable(
            "children",
            "Enfants",
            vec![
                Field::short_text("name", "Prénom").required(),
                Field::date(
                    "birthdate",
                    "Date de naissance",
                    None,
                    Some(DateBound::TODAY),
                )
                .required(),
                Field::yes_no("allergy", "Allergie ?"),
                Field::long_text("allergy_details", "Précisez", 500)
                    .visible_if(Condition::eq("allergy", true))
                    .required(),
                Field::file(
                    "custody_judgment",
                    "Jugement",
                    &["application/pdf"],
                    1024 * 1024,
                    1,
                )
                .required_if(Condition::eq("shared_custody", true)),
            ],
            Some(1),
            Some(3),
        ),
    ])
}

#[test]
fn a_repeatable_block_reports_faults_with_the_index_of_the_entry() {
    let d = children_form();
    assert_eq!(
        refused(
            &d,
            json!({"children": [
                {"name": "Léa", "birthdate": "2019-05-04"},
                {"name": "", "birthdate": "2030-01-01"}
            ]})
        ),
        [
            (
                "children[1].name".into(),
                "Ce champ est obligatoire.".into()
            ),
            (
                "children[1].birthdate".into(),
                "La date ne peut pas être dans le futur.".into()
            )
        ]
    );
    assert_eq!(
        refused(&d, json!({"children": []})),
        [("children".into(), "Ajoutez au moins un élément.".into())]
    );
    let four = json!({"name": "A", "birthdate": "2019-05-04"});
    assert_eq!(
        refused(&d, json!({"children": [four, four, four, four]})),
        [("children".into(), "Au plus 3 éléments.".into())]
    );
    assert_eq!(
        refused(
            &d,
            json!({"children": [{"name": "Léa", "birthdate": "2019-05-04"}, "Tom"]})
        ),
        [("children[1]".into(), "Cet élément n'est pas valide.".into())]
    );
    assert_eq!(
        paths(&d, json!({"children": {"name": "Léa"}})),
        ["children"]
    );
}

#[test]
fn conditions_inside_a_block_read_the_same_entry_and_the_top_level() {
    let d = children_form();
    let uploads = [upload("j1", "application/pdf", 100)];
    // Entry 0 declares an allergy: its details are shown and required there only.
    assert_eq!(
        refused_with(
            &d,
            json!({"children": [
                {"name": "Léa", "birthdate": "2019-05-04", "allergy": true},
                {"name": "Tom", "birthdate": "2021-01-10", "allergy": false, "allergy_details": "ignoré"}
            ]}),
            &uploads
        ),
        [(
            "children[0].allergy_details".into(),
            "Ce champ est obligatoire.".into()
        )]
    );
    // A top-level answer makes a field of every entry required.
    assert_eq!(
        refused_with(
            &d,
            json!({"shared_custody": true, "children": [
                {"name": "Léa", "birthdate": "2019-05-04", "custody_judgment": ["j1"]},
                {"name": "Tom", "birthdate": "2021-01-10"}
            ]}),
            &uploads
        ),
        [(
            "children[1].custody_judgment".into(),
            "Joignez ce document.".into()
        )]
    );
    let clean = d
        .validate(
            &json!({"shared_custody": false, "children": [
                {"name": "Léa", "birthdate": "2019-05-04", "allergy": true, "allergy_details": "Arachide"},
                {"name": "Tom", "birthdate": "2021-01-10", "allergy": false, "allergy_details": "ignoré",
                 "custody_judgment": ["j1"]}
            ]}),
            &uploads,
            today(),
        )
        .unwrap();
    assert_eq!(
        clean.into_value(),
        json!({"shared_custody": false, "children": [
            {"name": "Léa", "birthdate": "2019-05-04", "allergy": true, "allergy_details": "Arachide"},
            {"name": "Tom", "birthdate": "2021-01-10", "allergy": false, "custody_judgment": ["j1"]}
        ]})
    );
}

#[test]
fn uploads_kept_inside_a_block_carry_the_path_of_their_entry() {
    let d = children_form();
    let uploads = [upload("j1", "application/pdf", 100)];
    let clean = d
        .validate(
            &json!({"children": [{"name": "Léa", "birthdate": "2019-05-04", "custody_judgment": "j1"}]}),
            &uploads,
            today(),
        )
        .unwrap();
    assert_eq!(clean.attachments[0].field, "children[0].custody_judgment");
    assert_eq!(clean.attachments[0].id, "j1");
}

#[test]
fn display_only_fields_and_unknown_keys_are_never_stored() {
    let d = form(vec![
        Field::section("who", "Vous"),
        Field::explanation("info", "À savoir", "Les copies sont gratuites."),
        Field::short_text("name", "Nom"),
    ]);
    assert_eq!(
        accepted(
            &d,
            json!({"who": "x", "info": "y", "name": "Martin", "hacker": 1})
        ),
        json!({"name": "Martin"}).as_object().cloned().unwrap()
    );
}

#[test]
fn answers_that_are_not_an_object_are_refused_as_a_whole() {
    let d = form(vec![Field::short_text("name", "Nom")]);
    assert_eq!(paths(&d, json!(["Martin"])), [""]);
}

#[test]
fn every_fault_is_reported_at_once_in_the_order_of_the_form() {
    let d = form(vec![
        Field::short_text("name", "Nom").required(),
        Field::email("email", "E-mail").required(),
        Field::integer("copies", "Copies", Some(1), Some(5)),
    ]);
    assert_eq!(
        paths(&d, json!({"email": "x", "copies": 9})),
        ["name", "email", "copies"]
    );
}

// ------------------------------------------------------------------ conditions

fn certificate_form() -> Definition {
    form(vec![
        Field::choice(
            "copy_type",
            "Type de document",
            &[
                ("integrale", "Copie intégrale"),
                ("filiation", "Extrait avec filiation"),
                ("sans_filiation", "Extrait sans filiation"),
            ],
        )
        .required(),
        Field::short_text("parents", "Noms des parents")
            .visible_if(Condition::neq("copy_type", "sans_filiation"))
            .required_if(Condition::one_of("copy_type", &["integrale", "filiation"])),
        Field::email("email", "E-mail"),
        Field::phone("phone", "Téléphone").required_if(Condition::empty("email")),
    ])
}

#[test]
fn a_hidden_field_is_neither_validated_nor_stored() {
    let d = certificate_form();
    // `parents` is hidden for an extract without filiation: its (invalid) answer is
    // neither judged nor kept.
    assert_eq!(
        accepted(
            &d,
            json!({"copy_type": "sans_filiation", "parents": ["pas", "un texte"], "phone": "0612345678"})
        ),
        json!({"copy_type": "sans_filiation", "phone": "0612345678"})
            .as_object()
            .cloned()
            .unwrap()
    );
    assert_eq!(
        refused(&d, json!({"copy_type": "integrale", "phone": "0612345678"})),
        [("parents".into(), "Ce champ est obligatoire.".into())]
    );
}

#[test]
fn required_if_requires_a_field_only_while_it_holds() {
    let d = certificate_form();
    assert_eq!(
        refused(&d, json!({"copy_type": "sans_filiation"})),
        [("phone".into(), "Ce champ est obligatoire.".into())]
    );
    assert!(
        accepted(
            &d,
            json!({"copy_type": "sans_filiation", "email": "a@b.fr"})
        )
        .get("phone")
        .is_none()
    );
    // An invalid e-mail does not count as one: the phone is needed.
    assert_eq!(
        paths(&d, json!({"copy_type": "sans_filiation", "email": "a@b"})),
        ["email", "phone"]
    );
}

#[test]
fn a_field_may_depend_on_a_field_declared_after_it() {
    let d = form(vec![
        Field::short_text("company", "Raison sociale")
            .visible_if(Condition::eq("applicant", "pro"))
            .required(),
        Field::choice(
            "applicant",
            "Vous êtes",
            &[("particulier", "Particulier"), ("pro", "Professionnel")],
        )
        .required(),
    ]);
    assert_eq!(paths(&d, json!({"applicant": "pro"})), ["company"]);
    assert_eq!(
        accepted(&d, json!({"applicant": "particulier", "company": "SARL"})),
        json!({"applicant": "particulier"})
            .as_object()
            .cloned()
            .unwrap()
    );
}

#[test]
fn a_hidden_answer_counts_as_empty_in_other_conditions() {
    let d = form(vec![
        Field::yes_no("pro", "Professionnel ?"),
        Field::siret("siret", "SIRET").visible_if(Condition::eq("pro", true)),
        Field::short_text("kbis", "Numéro Kbis")
            .visible_if(Condition::filled("siret"))
            .required(),
    ]);
    // The SIRET is answered but hidden: the Kbis field that depends on it is hidden too.
    assert_eq!(
        accepted(&d, json!({"pro": false, "siret": "73282932000074"})),
        json!({"pro": false}).as_object().cloned().unwrap()
    );
    assert_eq!(
        paths(&d, json!({"pro": true, "siret": "73282932000074"})),
        ["kbis"]
    );
}

#[test]
fn comparisons_on_numbers_and_dates_show_fields() {
    let d = form(vec![
        Field::integer("attendance", "Nombre de personnes", Some(1), None),
        Field::short_text("safety_plan", "Responsable sécurité")
            .visible_if(Condition::gt("attendance", 299))
            .required(),
        Field::date("event_day", "Date", None, None),
        Field::checkbox("summer", "Période estivale")
            .visible_if(
                Condition::gte("event_day", "2026-06-01")
                    .and(Condition::lte("event_day", "2026-08-31")),
            )
            .required(),
    ]);
    assert!(
        accepted(&d, json!({"attendance": 299, "event_day": "2026-05-31"}))
            .get("summer")
            .is_none()
    );
    assert_eq!(
        paths(&d, json!({"attendance": 300, "event_day": "2026-07-14"})),
        ["safety_plan", "summer"]
    );
}

#[test]
fn a_hidden_page_hides_all_its_fields() {
    let mut d = form(vec![Field::yes_no("pro", "Professionnel ?").required()]);
    d = d.page(
        "Entreprise",
        vec![Field::siret("siret", "SIRET").required()],
    );
    d.pages[1].visible_if = Some(Condition::eq("pro", true));
    d.check().unwrap();
    assert_eq!(
        accepted(&d, json!({"pro": false, "siret": "nope"})),
        json!({"pro": false}).as_object().cloned().unwrap()
    );
    assert_eq!(paths(&d, json!({"pro": true})), ["siret"]);
}

#[test]
fn uploads_of_a_hidden_field_are_not_kept() {
    let d = form(vec![
        Field::yes_no("third_party", "Pour un tiers ?"),
        Field::file("proof", "Justificatif", &["application/pdf"], 1024, 1)
            .visible_if(Condition::eq("third_party", true)),
    ]);
    let clean = d
        .validate(
            &json!({"third_party": false, "proof": ["u1"]}),
            &[upload("u1", "application/pdf", 10)],
            today(),
        )
        .unwrap();
    assert!(clean.attachments.is_empty());
    assert!(clean.values.get("proof").is_none());
}

// ------------------------------------------------------------------ versions

#[test]
fn two_versions_of_a_definition_judge_the_same_answers_differently() {
    let v1 = form(vec![
        Field::short_text("name", "Nom").required(),
        Field::phone("phone", "Téléphone"),
        Field::integer("copies", "Copies", Some(1), Some(10)),
    ]);
    let mut v2 = v1.clone();
    v2.pages[0].fields[1].required = true;
    if let FieldKind::Integer(rules) = &mut v2.pages[0].fields[2].kind {
        rules.max = Some(3);
    }
    v2.check().unwrap();
    let answers = json!({"name": "Martin", "copies": 5});
    assert!(v1.validate(&answers, &[], today()).is_ok());
    assert_eq!(paths(&v2, answers), ["phone", "copies"]);
}

#[test]
fn a_stored_definition_judges_as_the_one_that_was_stored() {
    let original = children_form();
    let stored = original.to_json();
    let restored = Definition::from_json(&stored).unwrap();
    assert_eq!(restored, original);
    let answers = json!({"children": [{"name": "Léa", "birthdate": "2030-01-01"}]});
    assert_eq!(
        refused(&restored, answers.clone()),
        refused(&original, answers)
    );
}
