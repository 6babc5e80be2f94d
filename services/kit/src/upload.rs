//! Files residents upload (documents, photos): their real type read from their bytes,
//! never from what the client declares, their SHA-256, and a name safe to show and to
//! offer as a download.

use sha2::{Digest as _, Sha256};

/// What a supporting document may be, in every silo: PDF, or a photo or scan as JPEG or
/// PNG.
pub const DOCUMENTS: &[&str] = &["application/pdf", "image/jpeg", "image/png"];

/// The type the bytes really are (`application/pdf`, `image/png`…), if recognised.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    infer::get(data).map(|t| t.mime_type())
}

/// The type the bytes really are, if it is one of `accepted`.
pub fn sniff_among(data: &[u8], accepted: &[&str]) -> Option<&'static str> {
    sniff(data).filter(|t| accepted.contains(t))
}

/// SHA-256 of the content, lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    format!("{:x}", Sha256::digest(data))
}

/// A name safe to show and to put in `Content-Disposition`: no path, no control
/// characters, no quotes or semicolons, 120 characters at most; `{stem}.{extension}`
/// when nothing is left.
pub fn safe_name(name: &str, stem: &str, content_type: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '"' | ';' | '\\'))
        .take(120)
        .collect();
    let clean = clean.trim();
    if !clean.is_empty() {
        return clean.to_owned();
    }
    let extension = match content_type {
        "application/pdf" => "pdf",
        "image/jpeg" => "jpg",
        "image/png" => "png",
        "image/webp" => "webp",
        "image/heif" | "image/heic" => "heic",
        _ => "bin",
    };
    format!("{stem}.{extension}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_come_from_the_bytes() {
        assert_eq!(sniff(b"%PDF-1.7\n"), Some("application/pdf"));
        assert_eq!(sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff(b"pas une image"), None);
        assert_eq!(
            sniff_among(b"MZ\x90\x00\x03\x00", &["application/pdf"]),
            None
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn names_lose_their_paths_and_what_would_break_a_header() {
        assert_eq!(
            safe_name("C:\\Users\\j\\avis.pdf", "piece", "application/pdf"),
            "avis.pdf"
        );
        assert_eq!(safe_name("a\"b;c.png", "piece", "image/png"), "abc.png");
        assert_eq!(safe_name("", "piece", "image/png"), "piece.png");
    }
}
