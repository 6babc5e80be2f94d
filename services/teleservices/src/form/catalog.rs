//! The city's starting catalogue of teleservices (Aix-en-Provence, from the city's
//! reference data): definitions loaded with the demo data, each a first version city
//! staff can edit. Departments are the identity service's department codes; themes
//! are the `teleservice:*` themes those departments handle there, without the prefix.
//! Service-level targets are demo targets or legal limits, as in the reference data.

use super::{
    condition::Condition,
    definition::{Channel, Definition, DemandStatus, Level},
    field::{DateBound, Field, FieldKind, MultipleChoiceRules},
};

/// Postcodes of the commune (centre, western and southern districts, Les Milles and
/// La Duranne, Luynes, Puyricard and Couteron).
const AIX_POSTCODES: [&str; 5] = ["13100", "13090", "13290", "13080", "13540"];
/// What residents usually photograph or scan, and photos: the types uploads take.
const DOCUMENTS: &[&str] = guichet_kit::upload::DOCUMENTS;
const PHOTOS: &[&str] = guichet_kit::upload::PHOTOS;
const MB: u64 = 1024 * 1024;
/// Channels where an agent or a device can take documents: every one but the phone.
const WITH_DOCUMENTS: &[Channel] = &[Channel::Web, Channel::App, Channel::Kiosk, Channel::Counter];
/// Planning files are plans and forms: a screen and a keyboard, or the counter.
const DESK_ONLY: &[Channel] = &[Channel::Web, Channel::Counter];

/// Every teleservice of the starting catalogue, each passing the definition checks.
pub fn seed() -> Vec<Definition> {
    vec![
        birth_certificate(),
        marriage_certificate(),
        death_certificate(),
        family_book(),
        marriage_appointment(),
        pacs_appointment(),
        birth_recognition(),
        signature_legalisation(),
        welcome_certificate(),
        identity_documents_appointment(),
        citizen_census(),
        electoral_registration(),
        electoral_address_change(),
        school_enrolment(),
        school_catchment_exemption(),
        canteen(),
        after_school(),
        canteen_fee_reduction(),
        holiday_centre(),
        nursery(),
        public_space_occupation(),
        skip_permit(),
        removal_parking(),
        roadworks_traffic_order(),
        terrace_permit(),
        temporary_drinks_licence(),
        public_event(),
        holiday_watch(),
        noise_complaint(),
        room_booking(),
        sports_facility_booking(),
        association_grant(),
        burial_plot(),
        cemetery_works(),
        unfit_housing(),
        urbanism_certificate(),
        prior_declaration(),
        street_numbering(),
        resident_parking(),
        domiciliation(),
        heatwave_register(),
        administrative_document(),
        letter_to_the_mayor(),
        contact_a_department(),
    ]
}

// ------------------------------------------------------------------ shared pieces

/// Who files: prefilled from the profile when signed in.
fn requester() -> Vec<Field> {
    vec![
        Field::section("requester", "Vos coordonnées"),
        Field::short_text("requester_family_name", "Nom")
            .required()
            .prefill("family_name"),
        Field::short_text("requester_given_name", "Prénom")
            .required()
            .prefill("given_name"),
        Field::email("requester_email", "Adresse e-mail")
            .required()
            .prefill("email")
            .help("Nous vous écrivons à cette adresse pour le suivi de votre demande."),
        Field::phone("requester_phone", "Téléphone").prefill("phone"),
    ]
}

/// [`requester`] plus a postal address.
fn requester_with_address() -> Vec<Field> {
    let mut fields = requester();
    fields.push(
        Field::address("requester_address", "Adresse postale")
            .required()
            .prefill("address"),
    );
    fields
}

/// Up to `max_files` scans or photos of 5 Mo.
fn documents(id: &str, label: &str, max_files: u32) -> Field {
    Field::file(id, label, DOCUMENTS, 5 * MB, max_files)
}

/// An address in the commune, placed on the map.
fn aix_address(id: &str, label: &str, on_map: bool) -> Field {
    Field::new(
        id,
        label,
        FieldKind::Address(super::field::AddressRules {
            coordinates_required: on_map,
            postcodes: AIX_POSTCODES.map(str::to_owned).to_vec(),
        }),
    )
}

fn from_today(days: i32) -> Option<DateBound> {
    Some(DateBound::days_from_today(days))
}

/// The day of filing: « not in the future » as a maximum, « not past » as a minimum.
fn today() -> Option<DateBound> {
    Some(DateBound::TODAY)
}

/// A multiple choice with bounds on how many to pick.
fn pick(
    id: &str,
    label: &str,
    options: &[(&str, &str)],
    min: Option<u32>,
    max: Option<u32>,
) -> Field {
    let mut field = Field::multiple_choice(id, label, options);
    if let FieldKind::MultipleChoice(MultipleChoiceRules {
        min_selected,
        max_selected,
        ..
    }) = &mut field.kind
    {
        *min_selected = min;
        *max_selected = max;
    }
    field
}

/// Sworn statement closing most forms.
fn oath() -> Field {
    Field::checkbox(
        "oath",
        "Je certifie sur l'honneur l'exactitude des informations fournies.",
    )
    .required()
}

fn appointment_statuses(definition: Definition) -> Definition {
    definition
        .sub_status(
            "rdv_propose",
            "Rendez-vous proposé",
            DemandStatus::InProgress,
        )
        .sub_status(
            "rdv_confirme",
            "Rendez-vous confirmé",
            DemandStatus::Resolved,
        )
}

// ------------------------------------------------------------------ état civil

/// The four kinds of copy of a birth or marriage certificate.
const COPY_TYPES: &[(&str, &str)] = &[
    ("integrale", "Copie intégrale"),
    ("filiation", "Extrait avec filiation"),
    ("sans_filiation", "Extrait sans filiation"),
    ("plurilingue", "Extrait plurilingue (pour l'étranger)"),
];

/// Copies that name the parents: only the people the law lists may have them.
const RESTRICTED_COPIES: [&str; 3] = ["integrale", "filiation", "plurilingue"];
/// Copies for which the form must ask for the parents' names.
const COPIES_WITH_PARENTS: [&str; 2] = ["integrale", "filiation"];

/// Who may ask for a restricted copy, and what proves it.
fn capacity_and_proof(capacities: &[(&str, &str)]) -> Vec<Field> {
    // Relatives and representatives prove their link; the person concerned and the
    // professionals (who bring a mandate) do not.
    let family_links: Vec<&str> = capacities
        .iter()
        .map(|(value, _)| *value)
        .filter(|value| !matches!(*value, "self" | "professional"))
        .collect();
    vec![
        Field::explanation(
            "anyone_may_ask",
            "Extrait sans filiation",
            "Toute personne peut obtenir un extrait sans filiation, sans avoir à justifier \
             d'un motif.",
        )
        .visible_if(Condition::eq("copy_type", "sans_filiation")),
        Field::choice("requester_capacity", "Vous êtes", capacities)
            .required()
            .visible_if(Condition::one_of("copy_type", &RESTRICTED_COPIES))
            .help("Seules ces personnes peuvent obtenir ce document."),
        documents(
            "proof_of_link",
            "Justificatif de votre lien avec la personne",
            3,
        )
        .required()
        .visible_if(Condition::one_of("requester_capacity", &family_links))
        .help("Livret de famille, votre propre acte de naissance ou jugement de tutelle."),
        documents("mandate", "Mandat de votre client", 1)
            .required()
            .visible_if(Condition::eq("requester_capacity", "professional")),
        Field::integer("copies", "Nombre d'exemplaires", Some(1), Some(5)).required(),
    ]
}

fn civil_status_sending(definition: Definition) -> Definition {
    let mut fields = requester();
    fields.push(
        Field::address("delivery_address", "Adresse d'envoi")
            .required()
            .prefill("address")
            .help("Les actes sont envoyés gratuitement par courrier ; aucune copie n'est envoyée par e-mail."),
    );
    definition
        .page("Envoi", fields)
        .sub_status(
            "acte_envoye",
            "Acte envoyé par courrier",
            DemandStatus::Resolved,
        )
        .sub_status(
            "acte_introuvable",
            "Aucun acte ne correspond",
            DemandStatus::Rejected,
        )
}

fn birth_certificate() -> Definition {
    let definition = Definition::new(
        "acte-de-naissance",
        "Demande d'acte de naissance",
        "ETAT_CIVIL",
        "ETAT_CIVIL",
        5,
        "Recevez par courrier une copie ou un extrait d'un acte de naissance dressé à \
         Aix-en-Provence. Gratuit.",
    )
    .page("Le document", {
        let mut fields =
            vec![Field::choice("copy_type", "Type de document", COPY_TYPES).required()];
        fields.extend(capacity_and_proof(&[
            ("self", "la personne concernée (majeure ou émancipée)"),
            ("spouse", "son époux ou son épouse"),
            ("ascendant", "son père, sa mère ou un autre ascendant"),
            ("descendant", "son enfant ou un autre descendant"),
            ("legal_representative", "son représentant légal"),
            ("professional", "avocat ou notaire"),
        ]));
        fields
    })
    .page(
        "La personne concernée",
        vec![
            Field::short_text("family_name", "Nom de naissance").required(),
            Field::short_text("given_names", "Prénoms").required(),
            Field::date("birth_date", "Date de naissance", None, today()).required(),
            Field::short_text("parent1_name", "Nom et prénoms du premier parent")
                .visible_if(Condition::one_of("copy_type", &RESTRICTED_COPIES))
                .required_if(Condition::one_of("copy_type", &COPIES_WITH_PARENTS)),
            Field::short_text("parent2_name", "Nom et prénoms du second parent")
                .visible_if(Condition::one_of("copy_type", &RESTRICTED_COPIES))
                .help("Laissez vide si la filiation n'est établie qu'à l'égard d'un parent."),
        ],
    );
    civil_status_sending(definition)
}

fn marriage_certificate() -> Definition {
    let definition = Definition::new(
        "acte-de-mariage",
        "Demande d'acte de mariage",
        "ETAT_CIVIL",
        "ETAT_CIVIL",
        5,
        "Recevez par courrier une copie ou un extrait d'un acte de mariage célébré à \
         Aix-en-Provence. Gratuit.",
    )
    .page("Le document", {
        let mut fields =
            vec![Field::choice("copy_type", "Type de document", COPY_TYPES).required()];
        fields.extend(capacity_and_proof(&[
            ("self", "l'un des époux"),
            ("ascendant", "un ascendant de l'un des époux"),
            ("descendant", "un descendant des époux"),
            (
                "legal_representative",
                "le représentant légal de l'un des époux",
            ),
            ("professional", "avocat ou notaire"),
        ]));
        fields
    })
    .page(
        "Le mariage",
        vec![
            Field::short_text("spouse1_name", "Nom et prénoms du premier époux").required(),
            Field::short_text("spouse2_name", "Nom et prénoms du second époux").required(),
            Field::date("marriage_date", "Date du mariage", None, today()).required(),
            Field::short_text(
                "spouse1_parents",
                "Noms et prénoms des parents du premier époux",
            )
            .visible_if(Condition::one_of("copy_type", &RESTRICTED_COPIES))
            .required_if(Condition::one_of("copy_type", &COPIES_WITH_PARENTS)),
            Field::short_text(
                "spouse2_parents",
                "Noms et prénoms des parents du second époux",
            )
            .visible_if(Condition::one_of("copy_type", &RESTRICTED_COPIES))
            .required_if(Condition::one_of("copy_type", &COPIES_WITH_PARENTS)),
        ],
    );
    civil_status_sending(definition)
}

fn death_certificate() -> Definition {
    let definition = Definition::new(
        "acte-de-deces",
        "Demande d'acte de décès",
        "ETAT_CIVIL",
        "ETAT_CIVIL",
        5,
        "Recevez par courrier une copie d'un acte de décès. Toute personne peut la \
         demander, sans justificatif. Gratuit.",
    )
    .page(
        "Le document",
        vec![
            Field::choice(
                "copy_type",
                "Type de document",
                &[
                    ("integrale", "Copie intégrale"),
                    ("plurilingue", "Extrait plurilingue (pour l'étranger)"),
                ],
            )
            .required(),
            Field::choice(
                "link_with_aix",
                "Le décès",
                &[
                    ("deces_a_aix", "a eu lieu à Aix-en-Provence"),
                    (
                        "domicile_a_aix",
                        "concerne une personne domiciliée à Aix-en-Provence",
                    ),
                ],
            )
            .required()
            .help("L'acte est délivré par la mairie du lieu du décès ou du dernier domicile."),
            Field::integer("copies", "Nombre d'exemplaires", Some(1), Some(5)).required(),
        ],
    )
    .page(
        "La personne décédée",
        vec![
            Field::short_text("family_name", "Nom").required(),
            Field::short_text("given_names", "Prénoms").required(),
            Field::date("death_date", "Date du décès", None, today()).required(),
            Field::short_text("death_place", "Lieu du décès").required(),
        ],
    );
    civil_status_sending(definition)
}

fn family_book() -> Definition {
    Definition::new(
        "livret-de-famille",
        "Duplicata ou mise à jour du livret de famille",
        "ETAT_CIVIL",
        "ETAT_CIVIL",
        30,
        "Demandez un second livret de famille, un duplicata après une perte, ou sa mise à jour.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "Votre demande",
        vec![
            Field::choice(
                "reason",
                "Motif",
                &[
                    ("perte", "Perte, vol ou destruction"),
                    ("divorce", "Divorce ou séparation (second livret)"),
                    (
                        "mise_a_jour",
                        "Mise à jour (naissance, décès, changement de nom)",
                    ),
                ],
            )
            .required(),
            documents("divorce_judgment", "Jugement de divorce", 2)
                .visible_if(Condition::eq("reason", "divorce"))
                .required(),
            Field::short_text("parent1", "Nom et prénoms du premier parent").required(),
            Field::short_text("parent2", "Nom et prénoms du second parent"),
            Field::short_text(
                "first_event_place",
                "Lieu du mariage ou de la première naissance",
            )
            .required(),
            Field::repeatable(
                "children",
                "Enfants",
                vec![
                    Field::short_text("name", "Nom et prénoms").required(),
                    Field::date("birth_date", "Date de naissance", None, today()).required(),
                    Field::short_text("birth_place", "Lieu de naissance").required(),
                ],
                None,
                Some(15),
            ),
            documents("identity_document", "Pièce d'identité", 2).required(),
        ],
    )
    .page("Vous", requester_with_address())
}

fn marriage_appointment() -> Definition {
    let spouse = |n: &str| {
        vec![
            Field::section(&format!("spouse{n}"), &format!("Futur époux {n}")),
            Field::short_text(&format!("spouse{n}_name"), "Nom et prénoms").required(),
            Field::date(
                &format!("spouse{n}_birth_date"),
                "Date de naissance",
                None,
                Some(DateBound::years_from_today(-18)),
            )
            .required()
            .help("Les futurs époux doivent être majeurs."),
            documents(
                &format!("spouse{n}_birth_certificate"),
                "Acte de naissance de moins de 3 mois",
                1,
            )
            .required()
            .help("Moins de 6 mois s'il a été délivré à l'étranger."),
            documents(&format!("spouse{n}_identity"), "Pièce d'identité", 2).required(),
        ]
    };
    appointment_statuses(
        Definition::new(
            "rendez-vous-dossier-mariage",
            "Rendez-vous pour déposer un dossier de mariage",
            "ETAT_CIVIL",
            "ETAT_CIVIL",
            10,
            "Demandez un rendez-vous pour déposer votre dossier de mariage à l'Hôtel de Ville.",
        )
        .account_required(&[])
        .channels(WITH_DOCUMENTS)
        .page("Les futurs époux", [spouse("1"), spouse("2")].concat())
        .page(
            "Le mariage",
            vec![
                Field::date(
                    "wished_date",
                    "Date de mariage souhaitée",
                    from_today(30),
                    from_today(365),
                )
                .required(),
                Field::date(
                    "other_date",
                    "Autre date possible",
                    from_today(30),
                    from_today(365),
                ),
                aix_address(
                    "residence",
                    "Domicile ou résidence à Aix-en-Provence",
                    false,
                )
                .required(),
                documents("proof_of_address", "Justificatif de domicile", 2).required(),
                Field::repeatable(
                    "witnesses",
                    "Témoins",
                    vec![
                        Field::short_text("name", "Nom et prénoms").required(),
                        documents("identity", "Pièce d'identité du témoin", 1).required(),
                    ],
                    Some(2),
                    Some(4),
                ),
            ],
        )
        .page("Vous", requester()),
    )
}

fn pacs_appointment() -> Definition {
    appointment_statuses(
        Definition::new(
            "rendez-vous-pacs",
            "Rendez-vous pour l'enregistrement d'un PACS",
            "ETAT_CIVIL",
            "ETAT_CIVIL",
            10,
            "Demandez un rendez-vous pour enregistrer votre pacte civil de solidarité.",
        )
        .account_required(&[])
        .channels(WITH_DOCUMENTS)
        .page(
            "Les partenaires",
            vec![
                Field::short_text("partner1_name", "Nom et prénoms du premier partenaire")
                    .required(),
                Field::short_text("partner2_name", "Nom et prénoms du second partenaire")
                    .required(),
                aix_address("shared_address", "Résidence commune", false).required(),
                Field::date(
                    "wished_date",
                    "Date souhaitée",
                    from_today(10),
                    from_today(180),
                )
                .required(),
                documents("agreement", "Convention de PACS (cerfa 15726)", 1).required(),
                documents("declaration", "Déclaration conjointe (cerfa 15725)", 1).required(),
                documents(
                    "birth_certificates",
                    "Actes de naissance de moins de 3 mois",
                    2,
                )
                .required(),
                documents("identities", "Pièces d'identité", 4).required(),
            ],
        )
        .page("Vous", requester()),
    )
}

fn birth_recognition() -> Definition {
    appointment_statuses(
        Definition::new(
            "reconnaissance-anticipee",
            "Reconnaissance anticipée ou déclaration de naissance (rendez-vous)",
            "ETAT_CIVIL",
            "ETAT_CIVIL",
            5,
            "Prenez rendez-vous pour reconnaître un enfant avant sa naissance ou déclarer une \
             naissance (dans les 5 jours qui suivent l'accouchement).",
        )
        .page(
            "Votre démarche",
            vec![
                Field::choice(
                    "procedure",
                    "Démarche",
                    &[
                        ("reconnaissance", "Reconnaissance anticipée"),
                        ("declaration", "Déclaration de naissance"),
                    ],
                )
                .required(),
                Field::date(
                    "expected_birth",
                    "Date prévue de l'accouchement",
                    today(),
                    from_today(280),
                )
                .visible_if(Condition::eq("procedure", "reconnaissance"))
                .required(),
                Field::date("birth_date", "Date de naissance", from_today(-5), today())
                    .visible_if(Condition::eq("procedure", "declaration"))
                    .required()
                    .help("La naissance doit être déclarée dans les 5 jours."),
                Field::yes_no("both_parents", "Les deux parents seront-ils présents ?").required(),
                Field::short_text("other_parent", "Nom et prénoms de l'autre parent"),
                documents("identity", "Pièce d'identité", 2).required(),
                documents("proof_of_address", "Justificatif de domicile", 1).required(),
            ],
        )
        .page("Vous", requester()),
    )
}

fn signature_legalisation() -> Definition {
    appointment_statuses(
        Definition::new(
            "legalisation-de-signature",
            "Légalisation de signature (rendez-vous)",
            "ETAT_CIVIL",
            "ETAT_CIVIL",
            3,
            "Prenez rendez-vous pour faire légaliser votre signature. Le document est signé \
             devant l'agent : ne le signez pas avant.",
        )
        .page(
            "Le document",
            vec![
                Field::short_text("signer", "Nom et prénoms du signataire").required(),
                Field::short_text("document_type", "Nature du document").required(),
                Field::short_text("destination_country", "Pays de destination"),
                Field::explanation(
                    "bring",
                    "À apporter",
                    "Votre pièce d'identité et le document non signé.",
                ),
            ],
        )
        .page("Vous", requester()),
    )
}

fn welcome_certificate() -> Definition {
    Definition::new(
        "attestation-d-accueil",
        "Attestation d'accueil d'un étranger (séjour de moins de 3 mois)",
        "ETAT_CIVIL",
        "ETAT_CIVIL",
        30,
        "Demandez l'attestation d'accueil que votre invité présentera pour obtenir son \
         visa. Timbre fiscal électronique de 30 €. Vous signerez l'attestation au guichet.",
    )
    .account_required(&[("family_name", Level::Verified)])
    .channels(WITH_DOCUMENTS)
    .sub_status(
        "signature_au_guichet",
        "En attente de votre signature au guichet",
        DemandStatus::AwaitingResident,
    )
    .page(
        "Votre logement",
        vec![
            aix_address("housing", "Adresse du logement", false)
                .required()
                .prefill("address"),
            Field::decimal("area", "Surface habitable (m²)", Some(9.0), Some(1000.0), 1).required(),
            Field::integer("rooms", "Nombre de pièces", Some(1), Some(30)).required(),
            Field::integer(
                "occupants",
                "Nombre d'occupants habituels",
                Some(1),
                Some(30),
            )
            .required(),
            documents("title_or_lease", "Titre de propriété ou bail", 3).required(),
            documents("income", "Justificatif de ressources", 3).required(),
            Field::pattern_text(
                "tax_stamp",
                "Numéro du timbre fiscal électronique (30 €)",
                "[0-9]{16}",
                "Le numéro du timbre compte 16 chiffres.",
            )
            .required(),
        ],
    )
    .page(
        "Votre invité",
        vec![
            Field::short_text("guest_name", "Nom et prénoms").required(),
            Field::date("guest_birth_date", "Date de naissance", None, today()).required(),
            Field::short_text("guest_nationality", "Nationalité").required(),
            Field::pattern_text(
                "guest_passport",
                "Numéro de passeport",
                "[A-Z0-9]{6,12}",
                "De 6 à 12 lettres majuscules ou chiffres.",
            )
            .required(),
            Field::date("arrival", "Date d'arrivée", from_today(7), from_today(365)).required(),
            Field::date(
                "departure",
                "Date de départ",
                from_today(7),
                from_today(455),
            )
            .required(),
            Field::yes_no(
                "insurance",
                "L'invité aura-t-il une assurance médicale d'au moins 30 000 € ?",
            )
            .required(),
        ],
    )
    .page("Vous", requester())
}

// ------------------------------------------------------------------ titres

fn identity_documents_appointment() -> Definition {
    appointment_statuses(
        Definition::new(
            "rendez-vous-cni-passeport",
            "Rendez-vous carte d'identité ou passeport",
            "TITRES",
            "TITRES",
            1,
            "Demandez un créneau au bureau des titres sécurisés (26 rue Chastel) après avoir \
             rempli votre pré-demande sur le site de l'ANTS.",
        )
        .page(
            "Votre demande",
            vec![
                Field::choice(
                    "document",
                    "Document",
                    &[
                        ("cni", "Carte d'identité"),
                        ("passeport", "Passeport"),
                        ("les_deux", "Les deux"),
                    ],
                )
                .required(),
                Field::choice(
                    "reason",
                    "Motif",
                    &[
                        ("premiere", "Première demande"),
                        ("renouvellement", "Renouvellement"),
                        ("perte_vol", "Perte ou vol"),
                    ],
                )
                .required(),
                Field::explanation(
                    "stamp_duty",
                    "Timbre fiscal",
                    "Passeport : 86 € pour un majeur, 42 € de 15 à 17 ans, 17 € avant 15 ans. \
                     Carte d'identité : gratuite, 25 € en cas de perte ou de vol.",
                ),
                Field::repeatable(
                    "people",
                    "Personnes concernées",
                    vec![
                        Field::short_text("name", "Nom et prénoms").required(),
                        Field::pattern_text(
                            "ants_number",
                            "Numéro de pré-demande ANTS",
                            "[A-Z0-9]{10}",
                            "Le numéro de pré-demande compte 10 lettres majuscules ou chiffres.",
                        )
                        .required(),
                    ],
                    Some(1),
                    Some(6),
                ),
                Field::choice(
                    "slot",
                    "Créneau préféré",
                    &[
                        ("matin", "Matin (8 h – 12 h)"),
                        ("midi", "Midi (12 h – 14 h)"),
                        ("apres_midi", "Après-midi (14 h – 18 h)"),
                    ],
                )
                .required(),
            ],
        )
        .page("Vous", requester()),
    )
}

// ------------------------------------------------------------------ citoyenneté

fn citizen_census() -> Definition {
    Definition::new(
        "recensement-citoyen",
        "Recensement citoyen à 16 ans",
        "CITOYENNETE",
        "ELECTIONS",
        5,
        "Tout jeune Français se fait recenser entre ses 16 ans et la fin du troisième mois \
         qui suit. L'attestation est envoyée par e-mail.",
    )
    .account_required(&[("birthdate", Level::Verified)])
    .channels(WITH_DOCUMENTS)
    .page(
        "Le jeune",
        vec![
            Field::short_text("family_name", "Nom").required(),
            Field::short_text("given_names", "Prénoms").required(),
            Field::date(
                "birth_date",
                "Date de naissance",
                Some(DateBound::years_from_today(-25)),
                Some(DateBound::years_from_today(-16)),
            )
            .required()
            .help("Après 16 ans et 3 mois, le recensement reste possible jusqu'à 25 ans."),
            Field::short_text("birth_place", "Lieu de naissance").required(),
            aix_address("address", "Adresse", false).required(),
            Field::short_text("parent1", "Nom et prénoms du premier parent").required(),
            Field::short_text("parent2", "Nom et prénoms du second parent"),
            Field::choice(
                "schooling",
                "Situation scolaire",
                &[
                    ("college", "Collège"),
                    ("lycee", "Lycée"),
                    ("apprentissage", "Apprentissage"),
                    ("autre", "Autre"),
                ],
            )
            .required(),
            documents("identity", "Pièce d'identité", 2).required(),
            documents("family_book", "Livret de famille", 3).required(),
        ],
    )
    .page("Vous", requester())
}

fn electoral_registration() -> Definition {
    Definition::new(
        "inscription-listes-electorales",
        "Inscription sur les listes électorales",
        "CITOYENNETE",
        "ELECTIONS",
        5,
        "Inscrivez-vous pour voter à Aix-en-Provence, au plus tard le sixième vendredi avant \
         un scrutin. Le maire statue dans les 5 jours.",
    )
    .account_required(&[
        ("family_name", Level::Verified),
        ("birthdate", Level::Verified),
    ])
    .channels(WITH_DOCUMENTS)
    .page(
        "Votre situation",
        vec![
            Field::choice(
                "nationality",
                "Nationalité",
                &[
                    ("fr", "Française"),
                    ("ue", "D'un autre pays de l'Union européenne"),
                ],
            )
            .required(),
            Field::short_text("eu_country", "Pays de nationalité")
                .visible_if(Condition::eq("nationality", "ue"))
                .required(),
            Field::date(
                "birth_date",
                "Date de naissance",
                None,
                Some(DateBound::years_from_today(-18)),
            )
            .required()
            .prefill("birthdate"),
            Field::choice(
                "link",
                "Votre lien avec la commune",
                &[
                    ("domicile", "J'y habite"),
                    ("residence", "J'y réside depuis au moins 6 mois"),
                    (
                        "contribuable",
                        "J'y paie des impôts locaux depuis au moins 2 ans",
                    ),
                ],
            )
            .required(),
            aix_address("address", "Adresse à Aix-en-Provence", false)
                .required()
                .prefill("address"),
            Field::yes_no("hosted", "Êtes-vous hébergé par un tiers ?").required(),
            documents("identity", "Pièce d'identité", 2).required(),
            documents(
                "proof_of_address",
                "Justificatif de domicile de moins de 3 mois",
                2,
            )
            .required()
            .visible_if(Condition::neq("link", "contribuable"))
            .help("Les factures de téléphone mobile ne sont pas acceptées."),
            documents(
                "host_documents",
                "Attestation d'hébergement et justificatif de domicile de l'hébergeant",
                3,
            )
            .visible_if(Condition::eq("hosted", true))
            .required(),
            documents(
                "tax_notices",
                "Avis d'imposition locale des deux dernières années",
                2,
            )
            .visible_if(Condition::eq("link", "contribuable"))
            .required(),
            oath(),
        ],
    )
    .page("Vous", requester())
}

fn electoral_address_change() -> Definition {
    Definition::new(
        "changement-adresse-electorale",
        "Changement d'adresse électorale dans la commune",
        "CITOYENNETE",
        "ELECTIONS",
        5,
        "Vous avez déménagé dans Aix-en-Provence : mettez à jour votre adresse et votre \
         bureau de vote.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "Vos adresses",
        vec![
            aix_address("old_address", "Ancienne adresse", false).required(),
            aix_address("new_address", "Nouvelle adresse", false).required(),
            documents("proof_of_address", "Justificatif de la nouvelle adresse", 2).required(),
        ],
    )
    .page("Vous", requester())
}

// ------------------------------------------------------------------ éducation

/// A child of school age.
fn child(min_years: i32, max_years: i32) -> Vec<Field> {
    vec![
        Field::short_text("child_family_name", "Nom de l'enfant").required(),
        Field::short_text("child_given_name", "Prénom de l'enfant").required(),
        Field::date(
            "child_birth_date",
            "Date de naissance de l'enfant",
            Some(DateBound::years_from_today(-max_years)),
            Some(DateBound::years_from_today(-min_years)),
        )
        .required(),
    ]
}

fn school() -> Field {
    Field::short_text("school", "École fréquentée").required()
}

fn family_quotient() -> Field {
    documents(
        "family_quotient",
        "Attestation de quotient familial CAF ou avis d'imposition",
        2,
    )
}

fn school_enrolment() -> Definition {
    Definition::new(
        "inscription-scolaire",
        "Inscription scolaire (maternelle et élémentaire)",
        "EDUCATION",
        "EDUCATION",
        15,
        "Inscrivez votre enfant dans une école publique d'Aix-en-Provence. L'école est \
         celle de votre secteur, sauf dérogation.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page("L'enfant", {
        let mut fields = child(2, 11);
        fields.extend([
            Field::choice(
                "level",
                "Niveau à la rentrée",
                &[
                    ("ps", "Petite section"),
                    ("ms", "Moyenne section"),
                    ("gs", "Grande section"),
                    ("cp", "CP"),
                    ("ce1", "CE1"),
                    ("ce2", "CE2"),
                    ("cm1", "CM1"),
                    ("cm2", "CM2"),
                ],
            )
            .required(),
            aix_address("address", "Adresse de l'enfant", false)
                .required()
                .prefill("address"),
            Field::short_text("catchment_school", "École de secteur")
                .help("Indiquée sur le site de la ville."),
            Field::yes_no("changing_school", "L'enfant change-t-il d'école ?").required(),
            documents(
                "school_leaving_certificate",
                "Certificat de radiation de l'ancienne école",
                1,
            )
            .visible_if(Condition::eq("changing_school", true))
            .required(),
            Field::short_text(
                "siblings",
                "Frères et sœurs déjà scolarisés (prénom, école)",
            ),
        ]);
        fields
    })
    .page(
        "Les responsables légaux",
        vec![
            Field::repeatable(
                "guardians",
                "Responsables légaux",
                vec![
                    Field::short_text("name", "Nom et prénom").required(),
                    Field::phone("phone", "Téléphone").required(),
                    Field::email("email", "E-mail"),
                ],
                Some(1),
                Some(2),
            ),
            Field::yes_no("separated", "Les parents sont-ils séparés ?").required(),
            documents(
                "custody_judgment",
                "Jugement fixant la résidence de l'enfant",
                3,
            )
            .visible_if(Condition::eq("separated", true))
            .required(),
            documents("family_book", "Livret de famille ou acte de naissance", 3).required(),
            documents("proof_of_address", "Justificatif de domicile", 2).required(),
            documents("vaccinations", "Carnet de vaccinations", 3).required(),
        ],
    )
    .page("Vous", requester())
}

fn school_catchment_exemption() -> Definition {
    Definition::new(
        "derogation-secteur-scolaire",
        "Demande de dérogation de secteur scolaire",
        "EDUCATION",
        "EDUCATION",
        45,
        "Demandez l'inscription de votre enfant dans une autre école que celle de votre \
         secteur. La commission se réunit au printemps.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .sub_status(
        "en_commission",
        "Examinée en commission",
        DemandStatus::InProgress,
    )
    .page("La demande", {
        let mut fields = child(2, 11);
        fields.extend([
            Field::short_text("catchment_school", "École de secteur").required(),
            Field::short_text("requested_school", "École demandée").required(),
            Field::choice(
                "reason",
                "Motif",
                &[
                    ("fratrie", "Un frère ou une sœur y est scolarisé"),
                    ("travail", "Proximité du lieu de travail"),
                    ("assistante", "Assistante maternelle dans le secteur"),
                    ("sante", "Raison médicale"),
                    ("autre", "Autre"),
                ],
            )
            .required(),
            Field::long_text("reason_details", "Précisez", 2000)
                .visible_if(Condition::eq("reason", "autre"))
                .required(),
            documents("proof", "Justificatif du motif", 3)
                .required_if(Condition::neq("reason", "autre")),
        ]);
        fields
    })
    .page("Vous", requester())
}

fn canteen() -> Definition {
    Definition::new(
        "inscription-cantine",
        "Inscription à la restauration scolaire",
        "EDUCATION",
        "EDUCATION",
        7,
        "Inscrivez votre enfant à la cantine pour l'année scolaire.",
    )
    .account_required(&[])
    .page("L'enfant", {
        let mut fields = child(2, 11);
        fields.extend([
            school(),
            pick(
                "days",
                "Jours de cantine",
                &[
                    ("lundi", "Lundi"),
                    ("mardi", "Mardi"),
                    ("jeudi", "Jeudi"),
                    ("vendredi", "Vendredi"),
                ],
                Some(1),
                None,
            )
            .required(),
            Field::choice(
                "diet",
                "Régime",
                &[
                    ("standard", "Standard"),
                    ("sans_viande", "Sans viande"),
                    ("sans_porc", "Sans porc"),
                ],
            )
            .required(),
            Field::yes_no(
                "pai",
                "L'enfant a-t-il un projet d'accueil individualisé (PAI) ?",
            )
            .required(),
            documents("pai_document", "PAI signé", 2)
                .visible_if(Condition::eq("pai", true))
                .required(),
            family_quotient(),
        ]);
        fields
    })
    .page("Vous", requester())
}

fn after_school() -> Definition {
    Definition::new(
        "inscription-periscolaire",
        "Inscription périscolaire (garderie, ateliers)",
        "EDUCATION",
        "EDUCATION",
        7,
        "Inscrivez votre enfant à la garderie du matin ou du soir et aux ateliers du midi.",
    )
    .account_required(&[])
    .page("L'enfant", {
        let mut fields = child(2, 11);
        fields.extend([
            school(),
            pick(
                "slots",
                "Créneaux",
                &[
                    ("matin", "Garderie du matin"),
                    ("midi", "Ateliers du midi"),
                    ("soir", "Garderie du soir"),
                ],
                Some(1),
                None,
            )
            .required(),
            Field::repeatable(
                "authorised_persons",
                "Personnes autorisées à venir chercher l'enfant",
                vec![
                    Field::short_text("name", "Nom et prénom").required(),
                    Field::phone("phone", "Téléphone").required(),
                    Field::short_text("relationship", "Lien avec l'enfant"),
                ],
                None,
                Some(5),
            ),
            documents("insurance", "Attestation d'assurance", 1).required(),
            family_quotient(),
        ]);
        fields
    })
    .page("Vous", requester())
}

fn canteen_fee_reduction() -> Definition {
    Definition::new(
        "reduction-tarif-cantine",
        "Demande de réduction tarifaire (cantine et périscolaire)",
        "EDUCATION",
        "EDUCATION",
        30,
        "Demandez un tarif adapté à vos ressources. Un éventuel trop-perçu est remboursé \
         sur votre compte.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "Votre foyer",
        vec![
            Field::integer(
                "household_size",
                "Nombre de personnes au foyer",
                Some(1),
                Some(20),
            )
            .required(),
            Field::decimal(
                "monthly_income",
                "Revenus mensuels du foyer (€)",
                Some(0.0),
                None,
                2,
            )
            .required(),
            Field::pattern_text(
                "caf_number",
                "Numéro d'allocataire CAF",
                "[0-9]{7}",
                "Le numéro d'allocataire compte 7 chiffres.",
            ),
            Field::choice(
                "reason",
                "Motif",
                &[
                    ("ressources", "Ressources modestes"),
                    ("changement", "Changement de situation"),
                    ("autre", "Autre"),
                ],
            )
            .required(),
            Field::long_text("situation", "Votre situation", 2000)
                .required_if(Condition::neq("reason", "ressources")),
            documents("tax_notice", "Avis d'imposition ou attestation CAF", 3).required(),
            Field::iban("iban", "IBAN pour un éventuel remboursement"),
        ],
    )
    .page("Vous", requester())
}

fn holiday_centre() -> Definition {
    Definition::new(
        "accueil-de-loisirs",
        "Inscription en accueil de loisirs (mercredis, vacances)",
        "EDUCATION",
        "EDUCATION",
        10,
        "Inscrivez votre enfant en accueil de loisirs le mercredi ou pendant les vacances.",
    )
    .account_required(&[])
    .page("L'enfant", {
        let mut fields = child(3, 12);
        fields.extend([
            Field::choice(
                "period",
                "Période",
                &[
                    ("mercredis", "Mercredis"),
                    ("automne", "Vacances d'automne"),
                    ("hiver", "Vacances d'hiver"),
                    ("printemps", "Vacances de printemps"),
                    ("ete", "Vacances d'été"),
                ],
            )
            .required(),
            Field::short_text("centre", "Accueil de loisirs souhaité").required(),
            Field::long_text(
                "health",
                "Informations de santé (allergies, traitements)",
                1000,
            ),
            documents("health_record", "Fiche sanitaire", 2).required(),
            documents("insurance", "Attestation d'assurance", 1).required(),
            family_quotient(),
        ]);
        fields
    })
    .page("Vous", requester())
}

fn nursery() -> Definition {
    Definition::new(
        "preinscription-creche",
        "Préinscription en crèche municipale",
        "EDUCATION",
        "EDUCATION",
        90,
        "Préinscrivez votre enfant, né ou à naître, en crèche municipale. Les places sont \
         attribuées en commission.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .sub_status(
        "en_commission",
        "Examinée en commission d'attribution",
        DemandStatus::InProgress,
    )
    .page(
        "L'enfant",
        vec![
            Field::yes_no("born", "L'enfant est-il né ?").required(),
            Field::short_text("child_given_name", "Prénom de l'enfant")
                .visible_if(Condition::eq("born", true))
                .required(),
            Field::date(
                "child_birth_date",
                "Date de naissance",
                Some(DateBound::years_from_today(-3)),
                today(),
            )
            .visible_if(Condition::eq("born", true))
            .required(),
            Field::date(
                "expected_birth",
                "Date prévue de naissance",
                today(),
                from_today(280),
            )
            .visible_if(Condition::eq("born", false))
            .required(),
            Field::date(
                "start_date",
                "Date d'entrée souhaitée",
                today(),
                from_today(730),
            )
            .required(),
            pick(
                "days",
                "Jours d'accueil",
                &[
                    ("lundi", "Lundi"),
                    ("mardi", "Mardi"),
                    ("mercredi", "Mercredi"),
                    ("jeudi", "Jeudi"),
                    ("vendredi", "Vendredi"),
                ],
                Some(1),
                None,
            )
            .required(),
            Field::short_text("hours", "Horaires souhaités").required(),
        ],
    )
    .page(
        "Les parents",
        vec![
            Field::choice(
                "work_status",
                "Situation des parents",
                &[
                    ("deux_actifs", "Deux parents en activité"),
                    ("un_actif", "Un parent en activité"),
                    ("formation", "En formation ou en recherche d'emploi"),
                    ("autre", "Autre"),
                ],
            )
            .required(),
            Field::pattern_text(
                "caf_number",
                "Numéro d'allocataire CAF",
                "[0-9]{7}",
                "Le numéro d'allocataire compte 7 chiffres.",
            ),
            documents("proof_of_address", "Justificatif de domicile", 2).required(),
            documents(
                "pregnancy_or_birth",
                "Certificat de grossesse ou acte de naissance",
                2,
            )
            .required(),
            documents("tax_notice", "Avis d'imposition (sans numéro CAF)", 2)
                .required_if(Condition::empty("caf_number")),
        ],
    )
    .page("Vous", requester())
}

// ------------------------------------------------------------------ voirie et domaine public

/// A private person or a company (with its SIRET).
fn applicant() -> Vec<Field> {
    vec![
        Field::choice(
            "applicant_kind",
            "Vous êtes",
            &[
                ("particulier", "Un particulier"),
                ("entreprise", "Une entreprise"),
            ],
        )
        .required(),
        Field::short_text("company_name", "Raison sociale")
            .visible_if(Condition::eq("applicant_kind", "entreprise"))
            .required(),
        Field::siret("siret", "SIRET")
            .visible_if(Condition::eq("applicant_kind", "entreprise"))
            .required()
            .prefill("siret"),
        documents("kbis", "Extrait Kbis", 1)
            .visible_if(Condition::eq("applicant_kind", "entreprise"))
            .required(),
    ]
}

fn public_space_occupation() -> Definition {
    Definition::new(
        "occupation-domaine-public",
        "Occupation temporaire du domaine public",
        "DOMAINE_PUBLIC",
        "TECHNIQUE",
        15,
        "Échafaudage, dépôt de matériaux, monte-meubles, camion de déménagement : demandez \
         l'autorisation au moins 15 jours à l'avance.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page("Le demandeur", applicant())
    .page(
        "L'occupation",
        vec![
            aix_address("location", "Adresse de l'occupation", true).required(),
            Field::choice(
                "purpose",
                "Objet",
                &[
                    ("echafaudage", "Échafaudage"),
                    ("materiaux", "Dépôt de matériaux"),
                    ("monte_meubles", "Monte-meubles"),
                    ("demenagement", "Camion de déménagement"),
                    ("autre", "Autre"),
                ],
            )
            .required(),
            Field::short_text("purpose_other", "Précisez")
                .visible_if(Condition::eq("purpose", "autre"))
                .required(),
            Field::choice(
                "unit",
                "Emprise mesurée en",
                &[("m2", "Mètres carrés"), ("ml", "Mètres linéaires")],
            )
            .required(),
            Field::decimal("size", "Emprise", Some(0.5), Some(1000.0), 1).required(),
            Field::date("start", "Début", from_today(15), from_today(365)).required(),
            Field::date("end", "Fin", from_today(15), from_today(730)).required(),
            documents("plan", "Plan de situation", 2).required(),
            documents("insurance", "Attestation d'assurance", 1).required(),
            documents(
                "planning_decision",
                "Autorisation d'urbanisme liée, le cas échéant",
                2,
            ),
        ],
    )
    .page("Vous", requester())
}

fn skip_permit() -> Definition {
    Definition::new(
        "permis-stationnement-benne",
        "Permis de stationnement pour benne ou échafaudage",
        "DOMAINE_PUBLIC",
        "TECHNIQUE",
        10,
        "Demandez l'autorisation de poser une benne ou un échafaudage sur la voie publique.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "L'installation",
        vec![
            Field::choice(
                "kind",
                "Installation",
                &[("benne", "Benne"), ("echafaudage", "Échafaudage")],
            )
            .required(),
            aix_address("location", "Adresse exacte", true).required(),
            Field::decimal("length", "Longueur (m)", Some(0.5), Some(50.0), 2).required(),
            Field::decimal("width", "Largeur (m)", Some(0.5), Some(10.0), 2).required(),
            Field::date("start", "Début", from_today(10), from_today(365)).required(),
            Field::date("end", "Fin", from_today(10), from_today(730)).required(),
            Field::yes_no("pedestrian_diversion", "Faut-il dévier les piétons ?").required(),
            Field::short_text("contractor", "Entreprise intervenante").required(),
            Field::siret("contractor_siret", "SIRET de l'entreprise"),
            documents("plan", "Plan d'implantation", 2).required(),
            documents("insurance", "Attestation d'assurance", 1).required(),
        ],
    )
    .page("Vous", requester())
}

fn removal_parking() -> Definition {
    Definition::new(
        "arrete-stationnement-demenagement",
        "Réservation de stationnement pour un déménagement",
        "DOMAINE_PUBLIC",
        "TECHNIQUE",
        10,
        "Demandez un arrêté réservant des places de stationnement devant votre logement le \
         jour du déménagement.",
    )
    .page(
        "Le déménagement",
        vec![
            aix_address("address", "Adresse", true).required(),
            Field::date("day", "Date", from_today(10), from_today(180)).required(),
            Field::integer("spaces", "Nombre de places", Some(1), Some(4)).required(),
            Field::repeatable(
                "vehicles",
                "Véhicules",
                vec![
                    Field::pattern_text(
                        "plate",
                        "Immatriculation",
                        "[A-Z]{2}-[0-9]{3}-[A-Z]{2}",
                        "Format AB-123-CD.",
                    )
                    .required(),
                ],
                Some(1),
                Some(4),
            ),
            documents(
                "proof",
                "Justificatif de domicile ou contrat de déménagement",
                2,
            )
            .required(),
        ],
    )
    .page("Vous", requester())
}

fn roadworks_traffic_order() -> Definition {
    Definition::new(
        "arrete-circulation-travaux",
        "Arrêté de circulation pour travaux",
        "DOMAINE_PUBLIC",
        "TECHNIQUE",
        15,
        "Entreprises : demandez la restriction de circulation qu'imposent vos travaux.",
    )
    .account_required(&[])
    .channels(DESK_ONLY)
    .page(
        "Les travaux",
        vec![
            Field::short_text("company_name", "Entreprise").required(),
            Field::siret("siret", "SIRET").required().prefill("siret"),
            aix_address("location", "Adresse des travaux", true).required(),
            Field::date("start", "Début", from_today(15), from_today(365)).required(),
            Field::date("end", "Fin", from_today(15), from_today(730)).required(),
            Field::choice(
                "restriction",
                "Restriction",
                &[
                    ("voie", "Voie neutralisée"),
                    ("route_barree", "Route barrée"),
                    ("deviation", "Déviation"),
                    ("alternat", "Circulation alternée"),
                ],
            )
            .required(),
            documents("signage_plan", "Plan de signalisation", 2).required(),
            documents(
                "planning_permission",
                "Autorisation d'urbanisme, le cas échéant",
                2,
            ),
        ],
    )
    .page("Vous", requester())
}

fn terrace_permit() -> Definition {
    Definition::new(
        "terrasse-etalage",
        "Autorisation de terrasse ou d'étalage",
        "COMMERCE",
        "TECHNIQUE",
        30,
        "Commerçants : demandez l'autorisation d'installer une terrasse ou un étalage sur le \
         domaine public.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "Votre commerce",
        vec![
            Field::short_text("business_name", "Enseigne").required(),
            Field::siret("siret", "SIRET de l'établissement")
                .required()
                .prefill("siret"),
            aix_address("location", "Adresse du commerce", true).required(),
            documents("kbis", "Extrait Kbis de moins de 3 mois", 1).required(),
            Field::yes_no("sells_drinks", "Servez-vous des boissons ?").required(),
            documents("drinks_licence", "Licence de débit de boissons", 1)
                .visible_if(Condition::eq("sells_drinks", true))
                .required(),
        ],
    )
    .page(
        "L'installation",
        vec![
            Field::choice(
                "kind",
                "Installation",
                &[("terrasse", "Terrasse"), ("etalage", "Étalage")],
            )
            .required(),
            Field::decimal("area", "Surface (m²)", Some(1.0), Some(300.0), 1).required(),
            pick(
                "furniture",
                "Mobilier",
                &[
                    ("tables", "Tables"),
                    ("chaises", "Chaises"),
                    ("parasols", "Parasols"),
                    ("jardinieres", "Jardinières"),
                    ("chevalet", "Chevalet"),
                    ("presentoir", "Présentoir"),
                ],
                Some(1),
                None,
            )
            .required(),
            Field::integer("tables", "Nombre de tables", Some(1), Some(100))
                .visible_if(Condition::eq("furniture", "tables"))
                .required(),
            Field::choice(
                "season",
                "Période",
                &[
                    ("annuelle", "Toute l'année"),
                    ("saisonniere", "Saison (avril à octobre)"),
                ],
            )
            .required(),
            Field::short_text("opening_hours", "Horaires d'exploitation").required(),
            documents("plan", "Plan coté de l'installation", 2).required(),
            Field::file("furniture_photos", "Photos du mobilier", PHOTOS, 5 * MB, 5).required(),
            documents("insurance", "Attestation d'assurance", 1).required(),
        ],
    )
    .page("Vous", requester())
}

// ------------------------------------------------------------------ police municipale

fn temporary_drinks_licence() -> Definition {
    Definition::new(
        "debit-de-boissons-temporaire",
        "Autorisation de buvette temporaire",
        "EVENEMENTS",
        "POLICE_MUN",
        10,
        "Associations : demandez l'ouverture d'une buvette (groupes 1 et 3) au moins 15 jours \
         avant votre manifestation. Cinq autorisations par an, dix pour les clubs sportifs \
         agréés.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "La buvette",
        vec![
            Field::short_text("association", "Association").required(),
            Field::yes_no("sports_club", "Club sportif agréé ?").required(),
            Field::short_text("event", "Manifestation").required(),
            aix_address("place", "Lieu", false).required(),
            Field::date("start", "Premier jour", from_today(15), from_today(365)).required(),
            Field::date("end", "Dernier jour", from_today(15), from_today(365)).required(),
            Field::short_text("hours", "Horaires").required(),
            pick("drink_groups", "Boissons servies", &[("groupe1", "Groupe 1 (sans alcool)"), ("groupe3", "Groupe 3 (vin, bière, cidre…)")], Some(1), None)
                .required(),
            Field::integer("used_this_year", "Autorisations déjà obtenues cette année", Some(0), Some(9)).required(),
            Field::explanation(
                "limit_reached",
                "Limite annuelle",
                "Une association peut obtenir cinq autorisations par an : votre demande risque d'être refusée.",
            )
            .visible_if(Condition::gte("used_this_year", 5).and(Condition::eq("sports_club", false))),
            documents("statutes", "Statuts ou récépissé de déclaration", 2).required(),
            documents("programme", "Programme de la manifestation", 1).required(),
        ],
    )
    .page("Vous", requester())
}

fn public_event() -> Definition {
    Definition::new(
        "declaration-manifestation",
        "Déclaration de manifestation sur l'espace public",
        "EVENEMENTS",
        "POLICE_MUN",
        30,
        "Déclarez votre manifestation un à deux mois à l'avance.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "La manifestation",
        vec![
            Field::short_text("organiser", "Organisateur").required(),
            Field::choice(
                "event_type",
                "Type",
                &[
                    ("festive", "Festive"),
                    ("culturelle", "Culturelle"),
                    ("sportive", "Sportive"),
                    ("revendicative", "Revendicative"),
                    ("autre", "Autre"),
                ],
            )
            .required(),
            aix_address("place", "Lieu", true).required(),
            Field::date(
                "start",
                "Début",
                Some(DateBound::FromToday {
                    amount: 1,
                    unit: super::field::DateUnit::Months,
                }),
                from_today(730),
            )
            .required(),
            Field::date("end", "Fin", None, from_today(730)).required(),
            Field::integer("expected_crowd", "Public attendu", Some(1), None).required(),
            Field::yes_no("sound_system", "Sonorisation ?").required(),
            Field::yes_no("food_or_drinks", "Restauration ou buvette ?").required(),
            documents("safety_plan", "Plan de sécurité", 3)
                .required_if(Condition::gte("expected_crowd", 1500)),
            documents("site_plan", "Plan du site", 2).required(),
            documents("insurance", "Attestation d'assurance", 1).required(),
        ],
    )
    .page("Vous", requester())
}

fn holiday_watch() -> Definition {
    Definition::new(
        "tranquillite-vacances",
        "Opération Tranquillité Vacances",
        "SECURITE",
        "POLICE_MUN",
        3,
        "Pendant votre absence, la police municipale passe surveiller votre logement.",
    )
    .page(
        "Votre absence",
        vec![
            aix_address("address", "Adresse du logement", true)
                .required()
                .prefill("address"),
            Field::choice(
                "housing",
                "Logement",
                &[("maison", "Maison"), ("appartement", "Appartement")],
            )
            .required(),
            Field::date("start", "Départ", today(), from_today(365)).required(),
            Field::date("end", "Retour", today(), from_today(455)).required(),
            Field::yes_no("alarm", "Le logement est-il équipé d'une alarme ?").required(),
            Field::short_text("keyholder", "Personne détenant les clés (nom, téléphone)"),
            Field::phone("contact_during_absence", "Téléphone pendant l'absence").required(),
            documents("identity", "Pièce d'identité", 2).required(),
            documents("proof_of_address", "Justificatif de domicile", 1).required(),
        ],
    )
    .page("Vous", requester())
}

fn noise_complaint() -> Definition {
    Definition::new(
        "nuisance-sonore",
        "Plainte pour nuisance sonore",
        "SECURITE",
        "POLICE_MUN",
        15,
        "Signalez un bruit répété : voisinage, établissement, chantier ou animal.",
    )
    .page(
        "Le bruit",
        vec![
            aix_address("address", "Adresse d'où vient le bruit", true).required(),
            Field::choice(
                "source",
                "Source",
                &[
                    ("voisin", "Voisinage"),
                    ("etablissement", "Bar ou établissement"),
                    ("chantier", "Chantier"),
                    ("animal", "Animal"),
                    ("autre", "Autre"),
                ],
            )
            .required(),
            pick(
                "times",
                "Moments",
                &[
                    ("jour", "Le jour"),
                    ("soir", "Le soir"),
                    ("nuit", "La nuit (22 h – 7 h)"),
                ],
                Some(1),
                None,
            )
            .required(),
            Field::choice(
                "frequency",
                "Fréquence",
                &[
                    ("ponctuel", "Ponctuelle"),
                    ("hebdomadaire", "Plusieurs fois par semaine"),
                    ("quotidien", "Tous les jours"),
                ],
            )
            .required(),
            Field::long_text("description", "Description", 4000).required(),
            documents("log", "Relevé des nuisances (dates et heures)", 3),
            Field::file(
                "recordings",
                "Enregistrements",
                &["audio/*", "video/*"],
                10 * MB,
                3,
            ),
        ],
    )
    .page("Vous", requester())
}

// ------------------------------------------------------------------ culture, sport, associations

fn room_booking() -> Definition {
    Definition::new(
        "reservation-salle-municipale",
        "Réservation d'une salle municipale",
        "VIE_ASSOCIATIVE",
        "CULTURE",
        15,
        "Associations et particuliers : demandez une salle municipale pour une réunion ou un \
         événement.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "La réservation",
        vec![
            Field::choice(
                "applicant_kind",
                "Vous êtes",
                &[
                    ("association", "Une association"),
                    ("particulier", "Un particulier"),
                ],
            )
            .required(),
            Field::short_text("association", "Association")
                .visible_if(Condition::eq("applicant_kind", "association"))
                .required(),
            Field::short_text("room", "Salle souhaitée").required(),
            Field::date("day", "Date", from_today(15), from_today(365)).required(),
            Field::short_text("hours", "Horaires").required(),
            Field::integer("attendance", "Nombre de participants", Some(1), Some(1000)).required(),
            Field::long_text("purpose", "Objet", 1000).required(),
            pick(
                "equipment",
                "Matériel",
                &[
                    ("sono", "Sonorisation"),
                    ("video", "Vidéoprojecteur"),
                    ("tables", "Tables et chaises"),
                ],
                None,
                None,
            ),
            documents("insurance", "Attestation d'assurance", 1).required(),
            documents("statutes", "Statuts de l'association", 2)
                .visible_if(Condition::eq("applicant_kind", "association"))
                .required(),
        ],
    )
    .page("Vous", requester())
}

fn sports_facility_booking() -> Definition {
    Definition::new(
        "reservation-equipement-sportif",
        "Réservation d'un équipement sportif",
        "CULTURE_SPORT",
        "SPORTS",
        15,
        "Clubs et associations : demandez un créneau dans un gymnase, un stade ou une piscine \
         municipale.",
    )
    .account_required(&[])
    .page(
        "La réservation",
        vec![
            Field::short_text("club", "Club ou association").required(),
            Field::choice(
                "facility_kind",
                "Équipement",
                &[
                    ("gymnase", "Gymnase"),
                    ("stade", "Stade"),
                    ("piscine", "Piscine"),
                    ("tennis", "Courts de tennis"),
                ],
            )
            .required(),
            Field::short_text("facility", "Équipement souhaité").required(),
            Field::choice(
                "recurrence",
                "Fréquence",
                &[("ponctuel", "Une fois"), ("hebdomadaire", "Chaque semaine")],
            )
            .required(),
            Field::date(
                "day",
                "Date (ou première séance)",
                from_today(7),
                from_today(365),
            )
            .required(),
            Field::date("until", "Dernière séance", from_today(7), from_today(365))
                .visible_if(Condition::eq("recurrence", "hebdomadaire"))
                .required(),
            Field::short_text("hours", "Horaires").required(),
            Field::integer("participants", "Nombre de participants", Some(1), Some(500)).required(),
            documents("insurance", "Attestation d'assurance", 1).required(),
        ],
    )
    .page("Vous", requester())
}

fn association_grant() -> Definition {
    Definition::new(
        "subvention-associative",
        "Demande de subvention associative",
        "VIE_ASSOCIATIVE",
        "CULTURE",
        90,
        "Demandez une subvention pour le fonctionnement ou un projet de votre association. \
         Le conseil municipal vote les subventions.",
    )
    .account_required(&[])
    .channels(DESK_ONLY)
    .sub_status(
        "vote_conseil",
        "Soumise au vote du conseil municipal",
        DemandStatus::InProgress,
    )
    .page(
        "L'association",
        vec![
            Field::short_text("association", "Nom de l'association").required(),
            Field::pattern_text(
                "rna",
                "Numéro RNA",
                "W[0-9]{9}",
                "Le numéro RNA commence par W suivi de 9 chiffres.",
            )
            .required_if(Condition::empty("siret")),
            Field::siret("siret", "SIRET").prefill("siret"),
            Field::long_text("project", "Projet", 5000).required(),
            Field::decimal(
                "amount",
                "Montant demandé (€)",
                Some(1.0),
                Some(500_000.0),
                2,
            )
            .required(),
            Field::iban("iban", "IBAN de l'association").required(),
            documents("cerfa", "Formulaire cerfa 12156", 1).required(),
            documents("statutes", "Statuts", 2).required(),
            documents("budget", "Budget prévisionnel", 2).required(),
            documents("accounts", "Derniers comptes approuvés", 3).required(),
        ],
    )
    .page("Vous", requester())
}

// ------------------------------------------------------------------ funéraire

const CEMETERIES: &[(&str, &str)] = &[
    ("saint_pierre", "Cimetière Saint-Pierre"),
    ("les_milles", "Cimetière des Milles"),
    ("grand_saint_jean", "Cimetière paysager du Grand Saint-Jean"),
    ("luynes", "Cimetière de Luynes"),
    ("puyricard", "Cimetière de Puyricard"),
    ("coutheron", "Cimetière de Coutheron"),
];

fn burial_plot() -> Definition {
    Definition::new(
        "concession-funeraire",
        "Achat ou renouvellement d'une concession funéraire",
        "FUNERAIRE",
        "FUNERAIRE",
        15,
        "Achetez ou renouvelez une concession dans l'un des six cimetières de la ville.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "La concession",
        vec![
            Field::choice(
                "operation",
                "Démarche",
                &[("achat", "Achat"), ("renouvellement", "Renouvellement")],
            )
            .required(),
            Field::short_text("concession_number", "Numéro de la concession")
                .visible_if(Condition::eq("operation", "renouvellement"))
                .required(),
            Field::choice("cemetery", "Cimetière", CEMETERIES).required(),
            Field::choice(
                "kind",
                "Type",
                &[
                    ("pleine_terre", "Pleine terre"),
                    ("caveau", "Caveau"),
                    ("columbarium", "Case de columbarium"),
                    ("cavurne", "Cavurne"),
                ],
            )
            .required(),
            Field::choice(
                "duration",
                "Durée",
                &[("15", "15 ans"), ("30", "30 ans"), ("50", "50 ans")],
            )
            .required(),
            Field::repeatable(
                "deceased",
                "Défunts",
                vec![
                    Field::short_text("name", "Nom et prénoms").required(),
                    Field::date("death_date", "Date du décès", None, today()).required(),
                ],
                None,
                Some(10),
            ),
            Field::long_text("beneficiaries", "Bénéficiaires de la concession", 2000),
            documents("identity", "Pièce d'identité", 2).required(),
            documents("death_certificate", "Acte de décès", 3)
                .required_if(Condition::filled("deceased")),
            documents("kinship", "Justificatif de parenté avec le titulaire", 3)
                .visible_if(Condition::eq("operation", "renouvellement"))
                .required(),
        ],
    )
    .page("Vous", requester_with_address())
}

fn cemetery_works() -> Definition {
    Definition::new(
        "travaux-cimetiere",
        "Autorisation de travaux en cimetière",
        "FUNERAIRE",
        "FUNERAIRE",
        7,
        "Marbriers : demandez l'autorisation de poser un monument ou de faire des travaux sur \
         une concession.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "Les travaux",
        vec![
            Field::choice("cemetery", "Cimetière", CEMETERIES).required(),
            Field::short_text("concession_number", "Numéro de la concession").required(),
            Field::long_text("works", "Travaux", 2000).required(),
            Field::short_text("company", "Entreprise").required(),
            Field::siret("siret", "SIRET").required().prefill("siret"),
            Field::date("start", "Début", from_today(7), from_today(365)).required(),
            Field::date("end", "Fin", from_today(7), from_today(365)).required(),
            documents("holder_consent", "Accord du titulaire de la concession", 1).required(),
            documents("monument_plan", "Plan du monument", 2).required(),
        ],
    )
    .page("Vous", requester())
}

// ------------------------------------------------------------------ habitat

fn unfit_housing() -> Definition {
    Definition::new(
        "logement-indigne",
        "Signalement d'un logement indigne ou insalubre",
        "HABITAT",
        "HYGIENE",
        30,
        "Signalez un logement dangereux pour la santé ou la sécurité de ses occupants. Un \
         accusé de réception vous parvient sous 5 jours, puis une visite est organisée.",
    )
    .sub_status(
        "accuse_reception",
        "Accusé de réception envoyé",
        DemandStatus::Received,
    )
    .sub_status(
        "visite_programmee",
        "Visite programmée",
        DemandStatus::InProgress,
    )
    .page(
        "Le logement",
        vec![
            aix_address("address", "Adresse du logement", false).required(),
            Field::short_text("floor", "Étage et numéro de porte"),
            Field::choice(
                "status",
                "Vous êtes",
                &[
                    ("locataire", "Locataire"),
                    ("proprietaire", "Propriétaire occupant"),
                    ("tiers", "Un tiers (voisin, proche, association)"),
                ],
            )
            .required(),
            pick(
                "problems",
                "Problèmes constatés",
                &[
                    ("humidite", "Humidité, moisissures"),
                    ("electricite", "Installation électrique dangereuse"),
                    ("chauffage", "Absence ou défaut de chauffage"),
                    ("plomb", "Peintures au plomb"),
                    ("nuisibles", "Nuisibles"),
                    ("suroccupation", "Suroccupation"),
                ],
                Some(1),
                None,
            )
            .required(),
            Field::yes_no(
                "landlord_contacted",
                "Le propriétaire ou l'agence a-t-il été prévenu ?",
            )
            .visible_if(Condition::eq("status", "locataire"))
            .required(),
            documents("letters", "Courriers au propriétaire ou à l'agence", 3)
                .visible_if(Condition::eq("landlord_contacted", true)),
            Field::yes_no(
                "vulnerable_occupants",
                "Des enfants, des personnes âgées ou malades y vivent-ils ?",
            )
            .required(),
            Field::file("photos", "Photos", PHOTOS, 10 * MB, 10),
            documents("lease", "Bail", 1).visible_if(Condition::eq("status", "locataire")),
        ],
    )
    .page("Vous", requester())
}

// ------------------------------------------------------------------ urbanisme

fn parcel() -> Vec<Field> {
    vec![
        Field::pattern_text(
            "parcel",
            "Référence cadastrale",
            "[0-9]{0,3} ?[A-Z]{1,2} ?[0-9]{1,4}",
            "Section et numéro, par exemple AB 123 (préfixe éventuel devant).",
        )
        .required(),
        aix_address("address", "Adresse du terrain", true).required(),
    ]
}

fn planning_statuses(definition: Definition) -> Definition {
    definition
        .sub_status(
            "piece_manquante",
            "Pièce manquante demandée",
            DemandStatus::AwaitingResident,
        )
        .sub_status(
            "consultation_abf",
            "Consultation de l'Architecte des Bâtiments de France",
            DemandStatus::InProgress,
        )
}

fn urbanism_certificate() -> Definition {
    planning_statuses(
        Definition::new(
            "certificat-urbanisme",
            "Demande de certificat d'urbanisme",
            "URBANISME",
            "URBANISME",
            30,
            "Connaître les règles applicables à un terrain (CUa, réponse sous 1 mois) ou savoir \
             si un projet y est réalisable (CUb, réponse sous 2 mois).",
        )
        .account_required(&[])
        .channels(DESK_ONLY)
        .page("Le terrain", {
            let mut fields = vec![
                Field::choice(
                    "certificate",
                    "Certificat",
                    &[
                        ("cua", "D'information (CUa)"),
                        ("cub", "Opérationnel (CUb)"),
                    ],
                )
                .required(),
            ];
            fields.extend(parcel());
            fields.extend([
                Field::long_text("project", "Description du projet", 5000)
                    .visible_if(Condition::eq("certificate", "cub"))
                    .required(),
                documents("cerfa", "Formulaire cerfa 13410", 1).required(),
                documents("location_plan", "Plan de situation", 2).required(),
            ]);
            fields
        })
        .page("Vous", requester_with_address()),
    )
}

fn prior_declaration() -> Definition {
    planning_statuses(
        Definition::new(
            "declaration-prealable-travaux",
            "Déclaration préalable de travaux",
            "URBANISME",
            "URBANISME",
            30,
            "Clôture, abri, extension de moins de 20 m², ravalement, changement de menuiseries : \
             déclarez vos travaux. Réponse sous 1 mois, plus si l'Architecte des Bâtiments de \
             France est consulté.",
        )
        .account_required(&[])
        .channels(DESK_ONLY)
        .page("Le projet", {
            let mut fields = parcel();
            fields.extend([
                pick(
                    "works",
                    "Travaux",
                    &[
                        ("extension", "Extension ou abri"),
                        ("cloture", "Clôture"),
                        ("facade", "Ravalement ou modification de façade"),
                        ("menuiseries", "Menuiseries"),
                        ("piscine", "Piscine"),
                        ("division", "Division de terrain"),
                    ],
                    Some(1),
                    None,
                )
                .required(),
                Field::decimal(
                    "created_area",
                    "Surface de plancher créée (m²)",
                    Some(0.0),
                    Some(40.0),
                    2,
                )
                .visible_if(Condition::eq("works", "extension"))
                .required(),
                Field::long_text("exterior", "Aspect extérieur (matériaux, couleurs)", 3000)
                    .required(),
                documents("cerfa", "Formulaire cerfa 13703 ou 13404", 1).required(),
                Field::file("plans", "Plans DP1 à DP8", &["application/pdf"], 10 * MB, 8)
                    .required(),
            ]);
            fields
        })
        .page("Vous", requester_with_address()),
    )
}

fn street_numbering() -> Definition {
    Definition::new(
        "certificat-numerotage",
        "Demande de certificat de numérotage",
        "URBANISME",
        "URBANISME",
        30,
        "Obtenez le numéro de voirie d'une construction neuve.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page("La construction", {
        let mut fields = parcel();
        fields.extend([
            Field::short_text("street", "Voie d'accès").required(),
            Field::short_text("building", "Bâtiment (maison, immeuble, local)").required(),
            documents("location_plan", "Plan de situation", 2).required(),
            documents("planning_permission", "Permis de construire", 2).required(),
        ]);
        fields
    })
    .page("Vous", requester())
}

// ------------------------------------------------------------------ stationnement

fn resident_parking() -> Definition {
    Definition::new(
        "stationnement-residant",
        "Abonnement de stationnement résident",
        "STATIONNEMENT",
        "STATIONNEMENT",
        10,
        "Un véhicule par foyer fiscal, immatriculé à votre nom et à votre adresse.",
    )
    .account_required(&[])
    .channels(WITH_DOCUMENTS)
    .page(
        "Votre véhicule",
        vec![
            Field::pattern_text(
                "plate",
                "Immatriculation",
                "[A-Z]{2}-[0-9]{3}-[A-Z]{2}",
                "Format AB-123-CD.",
            )
            .required(),
            Field::choice(
                "zone",
                "Zone",
                &[("1", "Zone 1"), ("2", "Zone 2"), ("3", "Zone 3")],
            )
            .required(),
            aix_address("address", "Adresse", false)
                .required()
                .prefill("address"),
            documents("registration", "Certificat d'immatriculation", 1).required(),
            documents("proof_of_address", "Justificatif de domicile", 1).required(),
            oath(),
        ],
    )
    .page("Vous", requester())
}

// ------------------------------------------------------------------ action sociale

fn domiciliation() -> Definition {
    Definition::new(
        "domiciliation",
        "Domiciliation administrative",
        "SOCIAL",
        "CCAS",
        15,
        "Sans domicile stable, recevez votre courrier au CCAS et faites valoir vos droits.",
    )
    .page(
        "Votre situation",
        vec![
            Field::short_text("family_name", "Nom")
                .required()
                .prefill("family_name"),
            Field::short_text("given_name", "Prénom")
                .required()
                .prefill("given_name"),
            Field::date("birth_date", "Date de naissance", None, today())
                .required()
                .prefill("birthdate"),
            Field::choice(
                "link",
                "Votre lien avec Aix-en-Provence",
                &[
                    ("sejour", "J'y vis"),
                    ("travail", "J'y travaille"),
                    ("famille", "J'y ai de la famille"),
                    ("suivi", "J'y suis suivi par un service social"),
                ],
            )
            .required(),
            Field::long_text("situation", "Votre situation", 2000).required(),
            documents("identity", "Pièce d'identité, si vous en avez une", 2),
            Field::phone("phone", "Téléphone, si vous en avez un"),
            Field::email("email", "E-mail, si vous en avez un"),
        ],
    )
}

fn heatwave_register() -> Definition {
    Definition::new(
        "registre-canicule",
        "Inscription au registre canicule et grand froid",
        "SOCIAL",
        "CCAS",
        2,
        "Personnes âgées, isolées ou handicapées : inscrivez-vous (ou inscrivez un proche) \
         pour être appelé pendant les alertes.",
    )
    .page(
        "La personne",
        vec![
            Field::choice(
                "for_whom",
                "Vous inscrivez",
                &[("moi", "Vous-même"), ("proche", "Un proche")],
            )
            .required(),
            Field::short_text("family_name", "Nom").required(),
            Field::short_text("given_name", "Prénom").required(),
            Field::date("birth_date", "Date de naissance", None, today()).required(),
            Field::choice(
                "reason",
                "Motif",
                &[
                    ("age", "65 ans ou plus"),
                    ("inaptitude", "60 ans ou plus, inapte au travail"),
                    ("handicap", "Handicap"),
                ],
            )
            .required(),
            aix_address("address", "Adresse", true).required(),
            Field::phone("phone", "Téléphone").required(),
            Field::yes_no("lives_alone", "Vit seule ?").required(),
            Field::short_text("doctor", "Médecin traitant"),
            Field::repeatable(
                "contacts",
                "Personnes à prévenir",
                vec![
                    Field::short_text("contact_name", "Nom et prénom").required(),
                    Field::phone("contact_phone", "Téléphone").required(),
                ],
                Some(1),
                Some(3),
            ),
        ],
    )
    .page_if(
        "Vous",
        Condition::eq("for_whom", "proche"),
        vec![
            Field::short_text("requester_name", "Votre nom et prénom").required(),
            Field::phone("requester_phone", "Votre téléphone")
                .required()
                .prefill("phone"),
            Field::checkbox("consent", "La personne est d'accord pour être inscrite.").required(),
        ],
    )
}

// ------------------------------------------------------------------ cabinet

fn administrative_document() -> Definition {
    Definition::new(
        "communication-document-administratif",
        "Demande de communication d'un document administratif",
        "CONTACT",
        "CABINET",
        30,
        "Demandez la communication d'un document administratif de la ville. Sans réponse \
         sous un mois, la demande est réputée refusée.",
    )
    .page(
        "Le document",
        vec![
            Field::long_text("document", "Document demandé", 2000).required(),
            Field::choice(
                "format",
                "Forme de la communication",
                &[
                    ("copie_papier", "Copie papier"),
                    ("email", "Envoi par e-mail"),
                    ("consultation", "Consultation sur place"),
                ],
            )
            .required(),
            Field::address("delivery_address", "Adresse d'envoi")
                .visible_if(Condition::eq("format", "copie_papier"))
                .required()
                .prefill("address"),
        ],
    )
    .page("Vous", requester())
}

/// Districts and villages of the commune.
const DISTRICTS: &[(&str, &str)] = &[
    ("centre", "Centre-ville"),
    ("encagnane", "Encagnane"),
    ("jas_de_bouffan", "Jas de Bouffan"),
    ("pont_de_l_arc", "Pont-de-l'Arc"),
    ("pont_de_beraud", "Pont de Béraud"),
    ("les_milles", "Les Milles"),
    ("la_duranne", "La Duranne"),
    ("luynes", "Luynes"),
    ("puyricard", "Puyricard"),
    ("celony", "Célony"),
    ("couteron", "Couteron"),
];

fn letter_to_the_mayor() -> Definition {
    Definition::new(
        "courrier-au-maire",
        "Écrire au Maire",
        "CONTACT",
        "CABINET",
        30,
        "Adressez un courrier au Maire d'Aix-en-Provence.",
    )
    .page(
        "Votre message",
        vec![
            Field::short_text("subject", "Objet").required(),
            Field::choice("district", "Quartier concerné", DISTRICTS),
            Field::long_text("message", "Message", 5000).required(),
            Field::yes_no("appointment", "Souhaitez-vous un rendez-vous ?").required(),
            documents("attachments", "Pièces jointes", 5),
        ],
    )
    .page("Vous", requester_with_address())
}

fn contact_a_department() -> Definition {
    Definition::new(
        "contact-service-municipal",
        "Écrire à un service municipal",
        "CONTACT",
        "CABINET",
        15,
        "Posez votre question au service concerné ; le cabinet la lui transmet.",
    )
    .page(
        "Votre message",
        vec![
            Field::choice(
                "department",
                "Service",
                &[
                    ("ETAT_CIVIL", "État civil"),
                    ("TITRES", "Cartes d'identité et passeports"),
                    ("ELECTIONS", "Élections"),
                    ("EDUCATION", "Éducation"),
                    ("URBANISME", "Urbanisme"),
                    ("TECHNIQUE", "Services techniques"),
                    ("POLICE_MUN", "Police municipale"),
                    ("STATIONNEMENT", "Stationnement"),
                    ("FUNERAIRE", "Cimetières"),
                    ("CCAS", "Action sociale (CCAS)"),
                    ("CULTURE", "Culture"),
                    ("SPORTS", "Sports"),
                    ("HYGIENE", "Hygiène et habitat"),
                ],
            )
            .required(),
            Field::short_text("subject", "Objet").required(),
            Field::long_text("message", "Message", 5000).required(),
            documents("attachments", "Pièces jointes", 3),
            Field::choice(
                "answer_by",
                "Réponse souhaitée par",
                &[
                    ("email", "E-mail"),
                    ("telephone", "Téléphone"),
                    ("courrier", "Courrier"),
                ],
            )
            .required(),
        ],
    )
    .page("Vous", {
        let mut fields = requester();
        fields.push(
            Field::address("postal_address", "Adresse postale")
                .visible_if(Condition::eq("answer_by", "courrier"))
                .required()
                .prefill("address"),
        );
        fields
    })
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, HashSet};

    use chrono::NaiveDate;
    use serde_json::json;

    use super::*;

    /// Departments and the teleservice themes they handle, as the identity service
    /// seeds them (`migrations/*_departments.sql`).
    const DEPARTMENT_THEMES: &[(&str, &[&str])] = &[
        ("ETAT_CIVIL", &["ETAT_CIVIL"]),
        ("TITRES", &["TITRES"]),
        ("ELECTIONS", &["CITOYENNETE"]),
        ("EDUCATION", &["EDUCATION"]),
        ("URBANISME", &["URBANISME"]),
        ("TECHNIQUE", &["DOMAINE_PUBLIC", "COMMERCE"]),
        ("POLICE_MUN", &["EVENEMENTS", "SECURITE"]),
        ("STATIONNEMENT", &["STATIONNEMENT"]),
        ("FUNERAIRE", &["FUNERAIRE"]),
        ("CCAS", &["SOCIAL"]),
        ("CULTURE", &["VIE_ASSOCIATIVE"]),
        ("SPORTS", &["CULTURE_SPORT"]),
        ("HYGIENE", &["HABITAT"]),
        ("CABINET", &["CONTACT"]),
    ];

    fn find(slug: &str) -> Definition {
        seed().into_iter().find(|d| d.slug == slug).expect("seeded")
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 3, 2).unwrap()
    }

    #[test]
    fn every_seeded_teleservice_passes_the_definition_checks() {
        for definition in seed() {
            if let Err(faults) = definition.check() {
                panic!("{}: {faults:?}", definition.slug);
            }
            let json = definition.to_json();
            assert_eq!(
                Definition::from_json(&json).unwrap(),
                definition,
                "{}",
                definition.slug
            );
        }
    }

    #[test]
    fn the_catalogue_has_at_least_thirty_teleservices_with_distinct_slugs() {
        let seeded = seed();
        assert!(seeded.len() >= 30, "{}", seeded.len());
        let slugs: HashSet<&str> = seeded.iter().map(|d| d.slug.as_str()).collect();
        assert_eq!(slugs.len(), seeded.len());
    }

    #[test]
    fn every_teleservice_goes_to_a_department_that_handles_its_theme() {
        let handled: BTreeMap<&str, &[&str]> = DEPARTMENT_THEMES.iter().copied().collect();
        let mut departments = HashSet::new();
        for definition in seed() {
            let themes = handled
                .get(definition.department.as_str())
                .unwrap_or_else(|| panic!("{}: unknown department", definition.slug));
            assert!(
                themes.contains(&definition.theme.as_str()),
                "{}",
                definition.slug
            );
            departments.insert(definition.department.clone());
        }
        assert_eq!(
            departments.len(),
            DEPARTMENT_THEMES.len(),
            "every department has a teleservice"
        );
    }

    #[test]
    fn civil_status_copies_follow_who_may_ask_rules() {
        let birth = find("acte-de-naissance");
        let mut answers = json!({
            "copy_type": "sans_filiation", "copies": 1,
            "family_name": "Martin", "given_names": "Jeanne", "birth_date": "1984-07-14",
            "requester_family_name": "Dupont", "requester_given_name": "Paul",
            "requester_email": "paul@example.fr",
            "delivery_address": {"street": "1 rue Lisse", "postcode": "13100", "city": "Aix-en-Provence"},
            "parent1_name": "ignoré"
        });
        // Anyone may have an extract without filiation: no capacity, no parents.
        let clean = birth.validate(&answers, &[], today()).unwrap();
        assert!(clean.values.get("parent1_name").is_none());
        // A full copy asks who is asking, and the parents' names.
        answers["copy_type"] = json!("integrale");
        answers.as_object_mut().unwrap().remove("parent1_name");
        let fields: Vec<String> = birth
            .validate(&answers, &[], today())
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["requester_capacity", "parent1_name"]);
        // A parent must prove the link; the person concerned need not.
        answers["parent1_name"] = json!("Martin Louis");
        answers["requester_capacity"] = json!("ascendant");
        let fields: Vec<String> = birth
            .validate(&answers, &[], today())
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(fields, ["proof_of_link"]);
        answers["requester_capacity"] = json!("self");
        assert!(birth.validate(&answers, &[], today()).is_ok());
        // An extract for use abroad names the parents but does not require them.
        answers["copy_type"] = json!("plurilingue");
        answers.as_object_mut().unwrap().remove("parent1_name");
        assert!(birth.validate(&answers, &[], today()).is_ok());
    }

    #[test]
    fn a_terrace_permit_needs_a_valid_siret() {
        let terrace = find("terrasse-etalage");
        let siret = terrace.field("siret").unwrap();
        assert!(siret.required);
        assert_eq!(siret.prefill.as_deref(), Some("siret"));
        assert!(terrace.audience.requires_account());
        let faults = terrace
            .validate(&json!({"siret": "732 829 320 00075"}), &[], today())
            .unwrap_err();
        assert!(
            faults
                .iter()
                .any(|v| v.field == "siret" && v.description.contains("SIRET"))
        );
    }

    #[test]
    fn the_catalogue_covers_the_areas_the_city_asked_for() {
        let slugs: HashSet<String> = seed().into_iter().map(|d| d.slug).collect();
        for slug in [
            "acte-de-naissance",
            "acte-de-mariage",
            "acte-de-deces",
            "rendez-vous-cni-passeport",
            "inscription-scolaire",
            "inscription-cantine",
            "inscription-periscolaire",
            "inscription-listes-electorales",
            "certificat-urbanisme",
            "declaration-prealable-travaux",
            "occupation-domaine-public",
            "permis-stationnement-benne",
            "terrasse-etalage",
            "reservation-salle-municipale",
            "registre-canicule",
            "domiciliation",
            "courrier-au-maire",
            "contact-service-municipal",
        ] {
            assert!(slugs.contains(slug), "{slug}");
        }
    }
}
