//! What residents and agents file in several test files: FPS registry lines and a
//! complete RAPO dispute.

use chrono::NaiveDate;
use serde_json::{Value, json};

/// `%PDF-1.4` and a comment, base64: a PDF as far as sniffing goes.
pub const PDF: &str = "JVBERi0xLjQKJXRlc3QK";
/// A 1 × 1 PNG, base64: pieces are rewritten without their metadata, so they must parse.
pub const PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAACklEQVR4nGMAAQAABQABDQottAAAAABJRU5ErkJggg==";

/// The FPS registry's CSV header.
pub const FPS_HEADER: &str = "notice_number;plate;offence_at;place;amount_cents;issuing_agent;notified_on;notification_channel";

/// A 26-digit notice number ending in `n`.
pub fn notice(n: u32) -> String {
    format!("2026{n:022}")
}

/// One FPS of 33 € left on the windscreen, notified on `notified_on`.
pub fn fps_line(number: &str, plate: &str, notified_on: NaiveDate, place: &str) -> String {
    format!("{number};{plate};{notified_on} 10:15;{place};3300;AG-1234;{notified_on};pare_brise")
}

/// A piece of a dispute (`application/pdf`).
pub fn pdf_file(name: &str, data: &str) -> Value {
    json!({"name": name, "content_type": "application/pdf", "data": data})
}

/// A complete dispute for `number`, by Jeanne Martin.
pub fn dispute(number: &str) -> Value {
    json!({
        "notice_number": number,
        "plate": "AB-123-CD",
        "holder": {"name": "Jeanne Martin", "address": "3 rue Espariat, 13100 Aix-en-Provence"},
        "contact": {"email": "jeanne.martin@example.org"},
        "facts": "Garée cours Mirabeau de 14 h à 15 h, ticket pris à l'horodateur à 13 h 58.",
        "grounds": "Stationnement payé : le ticket horodateur est joint.",
        "pieces": {
            "payment_notice": pdf_file("avis.pdf", PDF),
            "registration_certificate": pdf_file("carte-grise.pdf", PDF),
            "supporting": [{"name": "reçu d'horodateur.png", "content_type": "image/png", "data": PNG}]
        }
    })
}
