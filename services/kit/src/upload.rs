//! Files residents upload (documents, photos): their real type read from their bytes,
//! never from what the client declares, their metadata removed before they are stored
//! (a photo taken at home tells where the resident lives), their SHA-256, and a name
//! safe to show and to offer as a download.

use std::borrow::Cow;

use img_parts::{
    Bytes, ImageEXIF as _,
    jpeg::{Jpeg, markers},
    png::Png,
    riff::RiffContent,
    webp::WebP,
};
use sha2::{Digest as _, Sha256};

/// What a supporting document may be, in every silo: PDF, or a photo or scan as JPEG or
/// PNG.
pub const DOCUMENTS: &[&str] = &["application/pdf", "image/jpeg", "image/png"];

/// What a photo may be, in every silo: the types a camera produces whose metadata
/// [`strip_metadata`] removes, so a photo accepted is always stored without it. HEIC
/// (iPhones) keeps its EXIF in a container this cannot rewrite: refused.
pub const PHOTOS: &[&str] = &["image/jpeg", "image/png", "image/webp"];

/// The type the bytes really are (`application/pdf`, `image/png`…), if recognised.
pub fn sniff(data: &[u8]) -> Option<&'static str> {
    infer::get(data).map(|t| t.mime_type())
}

/// The type the bytes really are, if it is one of `accepted`.
pub fn sniff_among(data: &[u8], accepted: &[&str]) -> Option<&'static str> {
    sniff(data).filter(|t| accepted.contains(t))
}

/// Why a file's metadata could not be removed: such a file is refused, never stored
/// with its metadata.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StripError {
    /// An image type whose metadata cannot be removed here (HEIC, TIFF, GIF…).
    #[error("this image type cannot be stripped of its metadata")]
    Unsupported,
    /// Its structure does not parse: damaged, truncated, or not what its bytes claim.
    #[error("the image is damaged or truncated")]
    Unreadable,
}

impl StripError {
    /// What to tell the resident, in French.
    pub fn message(self) -> &'static str {
        match self {
            Self::Unsupported => {
                "Ce format d'image n'est pas accepté : envoyez une photo JPEG, PNG ou WebP."
            }
            Self::Unreadable => "Cette image est illisible ou incomplète : envoyez-la de nouveau.",
        }
    }
}

/// Removes from a file what it says beyond its content, before it is stored: a photo
/// keeps its pixels, byte for byte (nothing is re-encoded), and loses its EXIF (GPS
/// position, date, camera, serial numbers, thumbnail), XMP, IPTC, ICC profile,
/// comments, text chunks, and whatever follows the image (trailers, the other images of
/// a multi-picture file). Only an EXIF orientation other than "upright" is kept, alone,
/// so portrait photos are not shown sideways.
///
/// `content_type` is the type sniffed from the bytes ([`sniff`]): JPEG, PNG and WebP are
/// stripped; any other image type is refused ([`StripError::Unsupported`]) rather than
/// kept with its metadata; documents that are not images (PDF) come back unchanged.
pub fn strip_metadata(content_type: &str, data: Vec<u8>) -> Result<Vec<u8>, StripError> {
    match content_type {
        "image/jpeg" => strip_jpeg(data),
        "image/png" => strip_png(data),
        "image/webp" => strip_webp(data),
        other if other.starts_with("image/") => Err(StripError::Unsupported),
        _ => Ok(data),
    }
}

/// JPEG segments kept before the first scan: what decoding needs (frame and scan
/// headers, tables, restart interval), the JFIF header without its thumbnail, and
/// Adobe's colour-transform flag. Every other application segment and comment goes.
fn strip_jpeg(data: Vec<u8>) -> Result<Vec<u8>, StripError> {
    let data = Bytes::from(data);
    let jpeg = Jpeg::from_bytes(data.clone()).map_err(|_| StripError::Unreadable)?;
    let segments = jpeg.segments();
    let scan = segments
        .last()
        .filter(|s| s.marker() == markers::SOS)
        .ok_or(StripError::Unreadable)?;
    if !segments.iter().any(|s| is_frame(s.marker())) {
        return Err(StripError::Unreadable);
    }
    let orientation = segments
        .iter()
        .filter(|s| s.marker() == markers::APP1)
        .find_map(|s| s.contents().strip_prefix(EXIF_PREFIX).and_then(orientation));
    let mut out = Vec::with_capacity(jpeg.len());
    out.extend_from_slice(&[0xFF, markers::SOI]);
    let mut pending_orientation = orientation;
    for segment in segments {
        let (marker, contents) = (segment.marker(), segment.contents());
        let kept: Option<Cow<'_, [u8]>> = match marker {
            markers::APP0 if contents.starts_with(b"JFIF\0") && contents.len() >= 14 => {
                // Version, units and density; the thumbnail (its size and pixels) goes.
                let mut header = contents[..12].to_vec();
                header.extend_from_slice(&[0, 0]);
                Some(Cow::Owned(header))
            }
            markers::APP14 if contents.starts_with(b"Adobe") => Some(Cow::Borrowed(contents)),
            m if is_metadata(m) => None,
            _ => Some(Cow::Borrowed(contents)),
        };
        let Some(kept) = kept else { continue };
        if marker != markers::APP0
            && let Some(orientation) = pending_orientation.take()
        {
            let mut exif = EXIF_PREFIX.to_vec();
            exif.extend_from_slice(&orientation_only(orientation));
            write_segment(&mut out, markers::APP1, &exif);
        }
        write_segment(&mut out, marker, &kept);
    }
    // The first scan's entropy-coded data runs from its header to the end of the file.
    let entropy = scan.len_with_entropy() - scan.len();
    copy_scans(&data[data.len() - entropy..], &mut out)?;
    Ok(out)
}

/// What precedes the TIFF structure of EXIF in a JPEG segment.
const EXIF_PREFIX: &[u8] = b"Exif\0\0";

/// The entropy-coded scans, copied up to and including the end-of-image marker: a
/// segment between scans that carries metadata (application data, comments) is left
/// out, and so is whatever follows the end of the image. A file cut short before its
/// end marker gets one.
fn copy_scans(entropy: &[u8], out: &mut Vec<u8>) -> Result<(), StripError> {
    let mut copied = 0;
    let mut i = 0;
    while i + 1 < entropy.len() {
        if entropy[i] != 0xFF {
            i += 1;
            continue;
        }
        match entropy[i + 1] {
            // Fill byte: the marker starts at the next 0xFF.
            0xFF => i += 1,
            // A stuffed 0xFF in the data, a restart marker, TEM: no length.
            0x00 | 0x01 | 0xD0..=0xD7 => i += 2,
            markers::EOI => {
                out.extend_from_slice(&entropy[copied..i + 2]);
                return Ok(());
            }
            marker => {
                let length = entropy
                    .get(i + 2..i + 4)
                    .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
                    .filter(|&n| n >= 2)
                    .ok_or(StripError::Unreadable)?;
                let end = i + 2 + length;
                if end > entropy.len() {
                    return Err(StripError::Unreadable);
                }
                if is_metadata(marker) {
                    out.extend_from_slice(&entropy[copied..i]);
                    copied = end;
                }
                i = end;
            }
        }
    }
    out.extend_from_slice(&entropy[copied..]);
    out.extend_from_slice(&[0xFF, markers::EOI]);
    Ok(())
}

fn write_segment(out: &mut Vec<u8>, marker: u8, contents: &[u8]) {
    // Parsed segments fit their 16-bit length; so does the orientation block.
    let length = u16::try_from(contents.len() + 2).unwrap_or(u16::MAX);
    out.extend_from_slice(&[0xFF, marker]);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(contents);
}

/// Start-of-frame markers (SOF0–SOF15 but DHT, JPG and DAC).
fn is_frame(marker: u8) -> bool {
    matches!(marker, 0xC0..=0xCF) && !matches!(marker, markers::DHT | markers::JPG | markers::DAC)
}

/// Application segments, comments and reserved extensions: data about the image.
fn is_metadata(marker: u8) -> bool {
    matches!(marker, markers::APP0..=markers::APP15 | markers::JPG0..=markers::JPG13 | markers::COM)
}

/// PNG chunks kept: the critical ones, transparency, colour space and gamma (so the
/// picture looks the same), background, pixel size, and APNG's animation chunks.
/// Text (`tEXt`, `zTXt`, `iTXt`, where XMP lives), `eXIf`, `tIME`, `iCCP` and every
/// private chunk go.
const PNG_KEPT: &[[u8; 4]] = &[
    *b"IHDR", *b"PLTE", *b"IDAT", *b"IEND", *b"tRNS", *b"cHRM", *b"gAMA", *b"sBIT", *b"sRGB",
    *b"cICP", *b"mDCV", *b"cLLI", *b"bKGD", *b"pHYs", *b"acTL", *b"fcTL", *b"fdAT",
];

fn strip_png(data: Vec<u8>) -> Result<Vec<u8>, StripError> {
    let mut png = Png::from_bytes(Bytes::from(data)).map_err(|_| StripError::Unreadable)?;
    let complete = png.chunks().first().is_some_and(|c| c.kind() == *b"IHDR")
        && png.chunks().last().is_some_and(|c| c.kind() == *b"IEND");
    if !complete {
        return Err(StripError::Unreadable);
    }
    let orientation = png.exif().as_deref().and_then(orientation);
    png.chunks_mut().retain(|c| PNG_KEPT.contains(&c.kind()));
    if let Some(orientation) = orientation {
        png.set_exif(Some(Bytes::from(orientation_only(orientation))));
    }
    let len = png.len();
    Ok(encoded(png.encoder(), len))
}

/// WebP chunks kept: the image itself (lossy, lossless, alpha), the extended header and
/// animation. `EXIF`, `XMP `, `ICCP` and unknown chunks go.
const WEBP_KEPT: &[[u8; 4]] = &[*b"VP8 ", *b"VP8L", *b"VP8X", *b"ALPH", *b"ANIM", *b"ANMF"];
/// The extended header's flags for an ICC profile, EXIF and XMP.
const WEBP_METADATA_FLAGS: u8 = 0b0010_1100;

fn strip_webp(data: Vec<u8>) -> Result<Vec<u8>, StripError> {
    let mut webp = WebP::from_bytes(Bytes::from(data)).map_err(|_| StripError::Unreadable)?;
    let orientation = webp.exif().as_deref().and_then(orientation);
    webp.chunks_mut().retain(|c| WEBP_KEPT.contains(&c.id()));
    if !webp
        .chunks()
        .iter()
        .any(|c| matches!(&c.id(), b"VP8 " | b"VP8L" | b"ANMF"))
    {
        return Err(StripError::Unreadable);
    }
    for chunk in webp.chunks_mut() {
        if chunk.id() == *b"VP8X"
            && let RiffContent::Data(header) = chunk.content_mut()
            && let Some(&flags) = header.first()
        {
            let mut cleared = header.to_vec();
            cleared[0] = flags & !WEBP_METADATA_FLAGS;
            *header = Bytes::from(cleared);
        }
    }
    if let Some(orientation) = orientation {
        webp.set_exif(Some(Bytes::from(orientation_only(orientation))));
    }
    let len = usize::try_from(webp.len()).unwrap_or_default();
    Ok(encoded(webp.encoder(), len))
}

/// An encoded image in one buffer of its exact size.
fn encoded(pieces: impl Iterator<Item = Bytes>, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    for piece in pieces {
        out.extend_from_slice(&piece);
    }
    out
}

/// The orientation an EXIF block (TIFF structure) gives its image, when it is not the
/// default "upright" (1).
fn orientation(exif: &[u8]) -> Option<u16> {
    let exif = exif.strip_prefix(EXIF_PREFIX).unwrap_or(exif);
    let big_endian = match exif.get(..4)? {
        b"II*\0" => false,
        b"MM\0*" => true,
        _ => return None,
    };
    let u16_at = |at: usize| {
        let b = exif.get(at..at + 2)?;
        Some(if big_endian {
            u16::from_be_bytes([b[0], b[1]])
        } else {
            u16::from_le_bytes([b[0], b[1]])
        })
    };
    let u32_at = |at: usize| {
        let b = exif.get(at..at + 4)?;
        let b = [b[0], b[1], b[2], b[3]];
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = usize::try_from(u32_at(4)?).ok()?;
    let entries = u16_at(ifd)?;
    (0..usize::from(entries))
        .map(|n| ifd + 2 + n * 12)
        .find(|&entry| u16_at(entry) == Some(ORIENTATION_TAG))
        // A SHORT (type 3) holding one value, left-justified in the value field.
        .filter(|&entry| u16_at(entry + 2) == Some(3))
        .and_then(|entry| u16_at(entry + 8))
        .filter(|o| (2..=8).contains(o))
}

const ORIENTATION_TAG: u16 = 0x0112;

/// An EXIF block (little-endian TIFF) that holds the orientation and nothing else.
fn orientation_only(orientation: u16) -> Vec<u8> {
    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes()); // IFD0 right after the header
    tiff.extend_from_slice(&1u16.to_le_bytes()); // one entry
    tiff.extend_from_slice(&ORIENTATION_TAG.to_le_bytes());
    tiff.extend_from_slice(&3u16.to_le_bytes()); // SHORT
    tiff.extend_from_slice(&1u32.to_le_bytes()); // one value
    tiff.extend_from_slice(&orientation.to_le_bytes());
    tiff.extend_from_slice(&[0, 0]);
    tiff.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    tiff
}

/// SHA-256 of the content, lower-case hex.
pub fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// A name safe to show and to put in `Content-Disposition`: no path, no control
/// characters, no quotes or semicolons, 120 characters at most; `{stem}.{extension}`
/// when nothing is left.
pub fn safe_name(name: &str, stem: &str, content_type: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let clean: String = base
        .chars()
        // Nothing a header, a listing or an XML document could not carry.
        .filter(|c| {
            !c.is_control() && crate::validate::is_xml_char(*c) && !matches!(c, '"' | ';' | '\\')
        })
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
        assert_eq!(
            safe_name("re\u{FFFF}cu\u{FFFE}.pdf", "piece", "application/pdf"),
            "recu.pdf",
            "a name XML cannot carry is cleaned, never refused nor stored as is"
        );
    }
}
