//! Photos of a complaint: the type is judged from the bytes, never from a name or a
//! header the client chose; sizes and counts are bounded; what the camera wrote beside
//! the pixels (the GPS position first) is removed before anything is stored.

use guichet_kit::{grpc::Violation, upload};
use guichet_proto::complaints::v1::Photo;

/// Photos per complaint, at filing and added later together.
pub const MAX_PHOTOS: usize = 5;
/// A phone camera's picture fits; a 5 × 5 MiB filing still fits one gRPC message.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// What a camera produces and whose metadata can be removed (`kit::upload::PHOTOS`):
/// HEIC is refused rather than stored with the resident's position; iPhones send JPEG
/// to web forms, and apps convert.
const ACCEPTED: &[&str] = upload::PHOTOS;

/// A photo that passed the checks, ready to be stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CheckedPhoto {
    pub mime_type: &'static str,
    pub sha256: String,
    pub content: Vec<u8>,
}

/// Checks one photo; `field` is its path in the request (`photos[2]`).
pub fn check(photo: Photo, field: &str) -> Result<CheckedPhoto, Violation> {
    if photo.content.is_empty() {
        return Err(Violation::new(field, "La photo est vide."));
    }
    if photo.content.len() > MAX_PHOTO_BYTES {
        return Err(Violation::new(
            field,
            "Une photo ne doit pas dépasser 5 Mo.",
        ));
    }
    let mime_type = upload::sniff_among(&photo.content, ACCEPTED).ok_or_else(|| {
        Violation::new(field, "Seules les photos JPEG, PNG ou WebP sont acceptées.")
    })?;
    // Stored, hashed and served without its metadata.
    let content = upload::strip_metadata(mime_type, photo.content)
        .map_err(|refused| Violation::new(field, refused.message()))?;
    Ok(CheckedPhoto {
        mime_type,
        sha256: upload::sha256_hex(&content),
        content,
    })
}

/// Checks the photos sent with a filing, reporting every fault with its index.
pub fn check_all(photos: Vec<Photo>) -> Result<Vec<CheckedPhoto>, Vec<Violation>> {
    if photos.len() > MAX_PHOTOS {
        return Err(vec![Violation::new("photos", "Joignez 5 photos au plus.")]);
    }
    let mut checked = Vec::new();
    let mut faults = Vec::new();
    for (i, photo) in photos.into_iter().enumerate() {
        match check(photo, &format!("photos[{i}]")) {
            Ok(photo) => checked.push(photo),
            Err(fault) => faults.push(fault),
        }
    }
    if faults.is_empty() {
        Ok(checked)
    } else {
        Err(faults)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn photo(content: &[u8]) -> Photo {
        Photo {
            filename: "photo.jpg".into(),
            content: content.to_vec(),
        }
    }

    use guichet_kit::testing::photos;

    const JPEG: &[u8] = photos::GRADIENT_JPEG;
    const PNG: &[u8] = photos::PNG;
    /// A 1 × 1 lossless WebP.
    const WEBP: &[u8] =
        b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0\x2f\0\0\0\x10\x07\x10\x11\x11\x88\x88\xfe\x07\0";
    const HEIC: &[u8] = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic";

    #[test]
    fn camera_formats_are_accepted_from_their_bytes() {
        let sniffed = |bytes: &[u8]| check(photo(bytes), "p").map(|p| p.mime_type).ok();
        assert_eq!(sniffed(JPEG), Some("image/jpeg"));
        assert_eq!(sniffed(PNG), Some("image/png"));
        assert_eq!(sniffed(WEBP), Some("image/webp"));
    }

    #[test]
    fn a_photo_is_kept_without_its_gps_position_and_hashed_as_kept() {
        let taken = photos::jpeg_with_gps();
        let kept = check(photo(&taken), "photos[0]").expect("accepted");
        let has = |bytes: &[u8], needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        assert!(has(&taken, &photos::GPS_LATITUDE));
        assert!(!has(&kept.content, &photos::GPS_LATITUDE));
        assert!(!has(&kept.content, b"Exif"));
        assert_eq!(kept.sha256, upload::sha256_hex(&kept.content));
    }

    #[test]
    fn heic_and_damaged_photos_are_refused_rather_than_kept_with_their_metadata() {
        let fault = check(photo(HEIC), "photos[1]").expect_err("refused");
        assert_eq!(fault.field, "photos[1]");
        // A JPEG header and nothing else.
        let fault = check(photo(&JPEG[..20]), "photo").expect_err("refused");
        assert!(
            fault.description.contains("illisible"),
            "{}",
            fault.description
        );
    }

    #[test]
    fn anything_else_is_refused_whatever_its_name() {
        let fault = check(photo(b"%PDF-1.7 not a photo"), "photos[0]").expect_err("refused");
        assert_eq!(fault.field, "photos[0]");
        assert!(check(photo(b""), "p").is_err());
        let mut big = JPEG.to_vec();
        big.resize(MAX_PHOTO_BYTES + 1, 0);
        assert!(check(photo(&big), "p").is_err());
    }

    #[test]
    fn six_photos_are_too_many_and_each_fault_is_named() {
        assert!(check_all(vec![photo(JPEG); 6]).is_err());
        let faults = check_all(vec![photo(JPEG), photo(b"text"), photo(PNG)]).expect_err("refused");
        assert_eq!(faults.len(), 1);
        assert_eq!(faults[0].field, "photos[1]");
        let ok = check_all(vec![photo(JPEG)]).expect("accepted");
        assert_eq!(ok[0].sha256.len(), 64);
    }
}
