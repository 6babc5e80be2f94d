//! The FPS registry's import format: CSV from the municipal police system, one notice a
//! line, each bad line reported with its number and a French reason.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use guichet_kit::{
    calendar::{paris_date, paris_offset_hours},
    validate::first_non_xml_char,
};

use super::{Notice, is_plate, plate_key};

/// The columns, by header name; their order in the file is free.
pub const COLUMNS: [&str; 8] = [
    "notice_number",
    "plate",
    "offence_at",
    "place",
    "amount_cents",
    "issuing_agent",
    "notified_on",
    "notification_channel",
];

/// Longest text kept in a column.
const MAX_TEXT: usize = 300;

/// One valid notice of an import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FpsRecord {
    pub notice_number: String,
    pub plate: String,
    pub offence_at: DateTime<Utc>,
    pub place: String,
    pub amount_cents: i64,
    pub issuing_agent: String,
    pub notified_on: NaiveDate,
    pub notification_channel: String,
}

impl FpsRecord {
    pub fn plate_key(&self) -> String {
        plate_key(&self.plate)
    }
}

/// The lines of an import: the valid notices with their line numbers, and the refused
/// lines with the reason.
#[derive(Debug, Default)]
pub struct Parsed {
    pub records: Vec<(u32, FpsRecord)>,
    pub rejected: Vec<(u32, String)>,
}

/// Reads a CSV export. `;` or `,` separated (whichever the header uses), fields quoted
/// RFC 4180 style where needed; a byte-order mark and blank lines are ignored.
pub fn parse(text: &str) -> Parsed {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut parsed = Parsed::default();
    let separator = match text.lines().find(|l| !l.trim().is_empty()) {
        Some(header) if header.contains(';') => b';',
        _ => b',',
    };
    let rows = match records(text, separator) {
        Ok(rows) => rows,
        Err(unreadable) => {
            parsed.rejected.push(unreadable);
            return parsed;
        }
    };
    let mut rows = rows.into_iter();
    let Some((header_line, header)) = rows.next() else {
        parsed.rejected.push((
            1,
            "Le fichier est vide : une ligne d'en-tête est attendue.".into(),
        ));
        return parsed;
    };
    let header: Vec<String> = header
        .iter()
        .map(|h| h.trim().to_ascii_lowercase())
        .collect();
    let mut positions = Vec::with_capacity(COLUMNS.len());
    for column in COLUMNS {
        match header.iter().position(|h| h == column) {
            Some(position) => positions.push(position),
            None => {
                parsed.rejected.push((
                    header_line,
                    format!(
                        "En-tête incomplet : la colonne « {column} » manque (colonnes attendues : {}).",
                        COLUMNS.join(", ")
                    ),
                ));
                return parsed;
            }
        }
    }
    for (line, fields) in rows {
        if fields.len() != header.len() {
            parsed.rejected.push((
                line,
                format!(
                    "La ligne compte {} colonnes au lieu de {}.",
                    fields.len(),
                    header.len()
                ),
            ));
            continue;
        }
        let field = |i: usize| {
            positions
                .get(i)
                .and_then(|p| fields.get(*p))
                .map_or("", |f| f.trim())
        };
        match record([
            field(0),
            field(1),
            field(2),
            field(3),
            field(4),
            field(5),
            field(6),
            field(7),
        ]) {
            Ok(record) => parsed.records.push((line, record)),
            Err(reasons) => parsed.rejected.push((line, reasons.join(" "))),
        }
    }
    parsed
}

/// One line's fields, in `COLUMNS` order, checked all at once.
fn record(fields: [&str; 8]) -> Result<FpsRecord, Vec<String>> {
    let [
        number,
        plate,
        offence_at,
        place,
        amount,
        agent,
        notified_on,
        channel,
    ] = fields;
    let mut reasons = Vec::new();
    let notice_number = match Notice::parse(number) {
        Notice::Fps(n) if number.len() == 26 => Some(n),
        _ => {
            reasons.push(format!(
                "Numéro d'avis « {number} » invalide : 26 chiffres attendus."
            ));
            None
        }
    };
    if !is_plate(plate) {
        reasons.push(format!("Immatriculation « {plate} » invalide."));
    }
    let offence_at = parse_instant(offence_at);
    if offence_at.is_none() {
        reasons.push(format!(
            "Date et heure de constatation « {} » invalides (attendu : 2026-03-12T14:35:00+01:00 ou 2026-03-12 14:35, heure de Paris).",
            fields[2]
        ));
    }
    for (value, what) in [(place, "Le lieu"), (agent, "L'agent verbalisateur")] {
        if value.is_empty() {
            reasons.push(format!("{what} manque."));
        } else if value.chars().count() > MAX_TEXT {
            reasons.push(format!("{what} dépasse {MAX_TEXT} caractères."));
        } else if let Some(c) = first_non_xml_char(value) {
            reasons.push(format!(
                "{what} contient un caractère non autorisé (U+{:04X}).",
                u32::from(c)
            ));
        }
    }
    let amount_cents = amount.parse::<i64>().ok().filter(|a| *a > 0);
    if amount_cents.is_none() {
        reasons.push(format!(
            "Montant « {amount} » invalide : un nombre entier de centimes est attendu (3300 pour 33 €)."
        ));
    }
    let notified = NaiveDate::parse_from_str(notified_on, "%Y-%m-%d").ok();
    match (notified, offence_at) {
        (None, _) => reasons.push(format!(
            "Date de notification « {notified_on} » invalide (attendu : 2026-03-12)."
        )),
        (Some(n), Some(at)) if n < paris_date(at) => {
            reasons.push("La date de notification précède la constatation.".into());
        }
        _ => {}
    }
    let notification_channel = notification_channel(channel);
    if notification_channel.is_none() {
        reasons.push(format!(
            "Mode de notification « {channel} » inconnu (pare_brise, courrier ou electronique)."
        ));
    }
    match (
        notice_number,
        offence_at,
        amount_cents,
        notified,
        notification_channel,
    ) {
        (
            Some(notice_number),
            Some(offence_at),
            Some(amount_cents),
            Some(notified_on),
            Some(channel),
        ) if reasons.is_empty() => Ok(FpsRecord {
            notice_number,
            plate: plate.to_owned(),
            offence_at,
            place: place.to_owned(),
            amount_cents,
            issuing_agent: agent.to_owned(),
            notified_on,
            notification_channel: channel.to_owned(),
        }),
        _ => Err(reasons),
    }
}

/// RFC 3339, or a local Paris time `YYYY-MM-DD HH:MM[:SS]` (also with a `T`).
fn parse_instant(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(at) = DateTime::parse_from_rfc3339(text) {
        return Some(at.with_timezone(&Utc));
    }
    let local = [
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M",
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(text, f).ok())?;
    // The offset in force at that local time: summer time first (the earlier instant
    // when the autumn hour repeats).
    [2, 1].into_iter().find_map(|hours| {
        let utc = (local - chrono::Duration::hours(hours)).and_utc();
        (paris_offset_hours(utc) == hours).then_some(utc)
    })
}

fn notification_channel(text: &str) -> Option<&'static str> {
    let key: String = text
        .trim()
        .to_lowercase()
        .replace(['-', ' '], "_")
        .replace('é', "e");
    match key.as_str() {
        "pare_brise" | "parebrise" => Some("pare_brise"),
        "courrier" | "courrier_antai" | "postal" => Some("courrier"),
        "electronique" | "voie_electronique" | "email" => Some("electronique"),
        _ => None,
    }
}

/// A record's fields, with the line it starts on.
type Row = (u32, Vec<String>);

/// Splits CSV text into records with the `csv` crate, each with the line it starts on:
/// quoted fields may hold separators, doubled quotes and line breaks; blank lines are
/// skipped. A file the reader cannot go through is refused from the line it stopped at.
fn records(text: &str, separator: u8) -> Result<Vec<Row>, (u32, String)> {
    let bytes = text.as_bytes();
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(separator)
        .has_headers(false)
        .flexible(true)
        .from_reader(bytes);
    let mut records = Vec::new();
    let mut record = csv::StringRecord::new();
    // The reader's position is where the previous record ended, before any blank line:
    // lines are counted here up to the record's first character.
    let (mut line, mut counted) = (1u32, 0usize);
    loop {
        match reader.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => return Ok(records),
            Err(error) => {
                let at = error
                    .position()
                    .and_then(|p| u32::try_from(p.line()).ok())
                    .unwrap_or(line);
                return Err((
                    at,
                    format!("Le fichier n'est pas un CSV lisible à partir de la ligne {at}."),
                ));
            }
        }
        let mut start = record
            .position()
            .and_then(|p| usize::try_from(p.byte()).ok())
            .unwrap_or(counted);
        while matches!(bytes.get(start), Some(b'\r' | b'\n')) {
            start += 1;
        }
        let skipped = bytes.get(counted..start).unwrap_or_default();
        line = line.saturating_add(
            u32::try_from(skipped.iter().filter(|b| **b == b'\n').count()).unwrap_or(u32::MAX),
        );
        counted = counted.max(start);
        let fields: Vec<String> = record.iter().map(str::to_owned).collect();
        if !(fields.len() == 1 && fields.first().is_some_and(|f| f.trim().is_empty())) {
            records.push((line, fields));
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests fail loudly

    use super::*;

    const HEADER: &str = "notice_number;plate;offence_at;place;amount_cents;issuing_agent;notified_on;notification_channel";

    #[test]
    fn quoted_fields_keep_separators_quotes_and_line_breaks() {
        let rows = records("a;\"b;c\";\"d \"\"e\"\"\"\r\n\"f\ng\";h\n\n", b';').unwrap();
        assert_eq!(
            rows,
            vec![
                (1, vec!["a".into(), "b;c".into(), "d \"e\"".into()]),
                (2, vec!["f\ng".into(), "h".into()]),
            ]
        );
    }

    #[test]
    fn good_lines_are_read_and_bad_ones_reported_with_their_number() {
        let csv = format!(
            "{HEADER}\n\
             12345678901234567890123456;AB-123-CD;2026-03-12 14:35;\"12, cours Mirabeau\";3300;AG-1234;2026-03-12;pare-brise\n\
             123;AB-123-CD;hier;;-5;;2026-13-01;pigeon\n\
             12345678901234567890123457;AB-123-CD;2026-03-12T14:35:00+01:00;Rue d'Italie;3300;AG-1234;2026-03-12\n"
        );
        let parsed = parse(&csv);
        assert_eq!(parsed.records.len(), 1);
        let (line, fps) = &parsed.records[0];
        assert_eq!(*line, 2);
        assert_eq!(fps.place, "12, cours Mirabeau");
        assert_eq!(fps.notification_channel, "pare_brise");
        assert_eq!(
            fps.offence_at,
            "2026-03-12T13:35:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        assert_eq!(parsed.rejected.len(), 2);
        let (line, reason) = &parsed.rejected[0];
        assert_eq!(*line, 3);
        for part in [
            "Numéro d'avis",
            "constatation",
            "lieu",
            "Montant",
            "agent",
            "notification",
        ] {
            assert!(reason.contains(part), "{reason} should mention {part}");
        }
        assert_eq!(parsed.rejected[1].0, 4);
        assert!(parsed.rejected[1].1.contains("7 colonnes au lieu de 8"));
    }

    #[test]
    fn lines_are_numbered_as_the_file_shows_them_past_blank_lines_and_quoted_breaks() {
        let csv = format!(
            "\u{feff}{HEADER}\r\n\r\n\
             12345678901234567890123456;AB-123-CD;2026-03-12 14:35;\"12, cours\r\nMirabeau\";3300;AG-1234;2026-03-12;courrier\r\n\
             \r\n   \r\n\
             12345678901234567890123457;AB-123-CD;2026-03-12 14:35;Rue d'Italie\u{1};3300;AG-1234;2026-03-12;courrier\r\n"
        );
        let parsed = parse(&csv);
        assert_eq!(parsed.records.len(), 1, "{:?}", parsed.rejected);
        assert_eq!(parsed.records[0].0, 3);
        assert_eq!(parsed.records[0].1.place, "12, cours\r\nMirabeau");
        assert_eq!(parsed.rejected.len(), 1);
        let (line, reason) = &parsed.rejected[0];
        assert_eq!(*line, 7);
        assert!(
            reason.contains("Le lieu contient un caractère non autorisé (U+0001)"),
            "{reason}"
        );
    }

    #[test]
    fn a_file_without_the_expected_header_is_refused_whole() {
        let parsed = parse("numero,plaque\n1,2\n");
        assert!(parsed.records.is_empty());
        assert_eq!(parsed.rejected.len(), 1);
        assert!(parsed.rejected[0].1.contains("notice_number"));
    }

    #[test]
    fn comma_separated_files_work_too() {
        let csv = HEADER.replace(';', ",")
            + "\n12345678901234567890123456,1234 AB 13,2026-07-01 09:00,Place des Prêcheurs,3300,AG-77,2026-07-03,courrier\n";
        let parsed = parse(&csv);
        assert_eq!(parsed.records.len(), 1, "{:?}", parsed.rejected);
        // Summer time: 09:00 in Paris is 07:00 UTC.
        assert_eq!(
            parsed.records[0].1.offence_at,
            "2026-07-01T07:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
    }

    #[test]
    fn the_demo_registry_loads_whole() {
        let parsed = parse(include_str!("../../../../infra/demo/fps.csv"));
        assert!(parsed.rejected.is_empty(), "{:?}", parsed.rejected);
        assert_eq!(parsed.records.len(), 12);
        assert!(parsed.records.iter().all(|(_, f)| f.amount_cents == 3300));
    }
}
