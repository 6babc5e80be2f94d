//! Photos lose their metadata before they are stored: the GPS position first, and with
//! it everything a file says beyond its pixels, which stay byte for byte.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use guichet_kit::{
    testing::photos,
    upload::{PHOTOS, StripError, sha256_hex, sniff, strip_metadata},
};
use img_parts::{
    Bytes, ImageEXIF as _,
    png::{Png, PngChunk},
    riff::{RiffChunk, RiffContent},
    webp::WebP,
};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// Everything from the first quantisation table to the end of the image: the picture.
fn picture(jpeg: &[u8]) -> &[u8] {
    let at = jpeg.windows(2).position(|w| w == [0xFF, 0xDB]).unwrap();
    &jpeg[at..]
}

#[test]
fn a_jpeg_loses_its_gps_position_exif_xmp_and_comment_and_keeps_its_pixels() {
    let photo = photos::jpeg_with_gps();
    for trace in [
        b"Exif\0\0".as_slice(),
        &photos::GPS_LATITUDE,
        &photos::GPS_LONGITUDE,
        photos::XMP,
        photos::COMMENT,
    ] {
        assert!(
            contains(&photo, trace),
            "the fixture carries what is to be removed"
        );
    }
    let stripped = strip_metadata("image/jpeg", photo).unwrap();
    for trace in [
        b"Exif\0\0".as_slice(),
        &photos::GPS_LATITUDE,
        &photos::GPS_LONGITUDE,
        photos::XMP,
        photos::COMMENT,
        b"Guichet\0",
    ] {
        assert!(
            !contains(&stripped, trace),
            "{:?} left in the photo",
            String::from_utf8_lossy(trace)
        );
    }
    // Still a JPEG of the same picture: the same bytes from the tables to the end.
    assert_eq!(sniff(&stripped), Some("image/jpeg"));
    assert_eq!(picture(&stripped), picture(photos::GRADIENT_JPEG));
    let mut decoder =
        zune_jpeg::JpegDecoder::new(zune_jpeg::zune_core::bytestream::ZCursor::new(&stripped));
    decoder.decode().expect("decodes");
    assert_eq!(decoder.dimensions(), Some((16, 16)));
    // Stripping twice changes nothing more.
    assert_eq!(
        strip_metadata("image/jpeg", stripped.clone()).unwrap(),
        stripped
    );
    assert_ne!(sha256_hex(&stripped), sha256_hex(&photos::jpeg_with_gps()));
}

#[test]
fn a_portrait_photo_keeps_its_orientation_and_nothing_else() {
    let stripped = strip_metadata("image/jpeg", photos::portrait_jpeg_with_gps()).unwrap();
    assert!(!contains(&stripped, &photos::GPS_LATITUDE));
    assert!(!contains(&stripped, b"Guichet\0"));
    let jpeg = img_parts::jpeg::Jpeg::from_bytes(Bytes::from(stripped)).unwrap();
    let exif = jpeg.exif().expect("the orientation is kept");
    // One IFD entry: orientation (0x0112), SHORT, one value, 6.
    assert_eq!(&exif[..4], b"II*\0");
    assert_eq!(&exif[8..10], &1u16.to_le_bytes());
    assert_eq!(&exif[10..12], &0x0112u16.to_le_bytes());
    assert_eq!(&exif[18..20], &6u16.to_le_bytes());
}

#[test]
fn whatever_follows_the_end_of_a_jpeg_goes_too() {
    // A second picture (multi-picture files) or a vendor's trailer after EOI.
    let mut photo = photos::jpeg_with_gps();
    photo.extend_from_slice(b"\xFF\xD8\xFF\xE1\x00\x10Exif\0\0II*\0trailer");
    let stripped = strip_metadata("image/jpeg", photo).unwrap();
    assert!(stripped.ends_with(&[0xFF, 0xD9]));
    assert!(!contains(&stripped, b"Exif"));
}

#[test]
fn a_png_loses_its_text_exif_and_profile_chunks() {
    let mut png = Png::from_bytes(Bytes::from_static(photos::PNG)).unwrap();
    png.set_exif(Some(Bytes::from(photos::exif_with_gps(None))));
    let chunks = png.chunks_mut();
    chunks.insert(
        1,
        PngChunk::new(
            *b"tEXt",
            Bytes::from_static(b"Comment\0Photo prise au 12 rue Espariat"),
        ),
    );
    chunks.insert(
        1,
        PngChunk::new(
            *b"iTXt",
            Bytes::from_static(b"XML:com.adobe.xmp\0\0\0\0\0<x:xmpmeta/>"),
        ),
    );
    chunks.insert(
        1,
        PngChunk::new(*b"tIME", Bytes::from_static(&[7, 234, 12, 5, 8, 0, 0])),
    );
    let photo = png.encoder().bytes().to_vec();
    assert!(contains(&photo, &photos::GPS_LATITUDE));
    let stripped = strip_metadata("image/png", photo).unwrap();
    assert_eq!(stripped, photos::PNG, "only the pixels are left");
    // A PNG with nothing to remove comes back as it was.
    assert_eq!(
        strip_metadata("image/png", photos::PNG.to_vec()).unwrap(),
        photos::PNG
    );
}

/// A 1 × 1 lossless WebP in the extended format, with EXIF (GPS), XMP and an ICC profile.
fn webp_with_gps() -> Vec<u8> {
    let vp8l: &[u8] = &[
        0x2F, 0, 0, 0, 0x10, 0x07, 0x10, 0x11, 0x11, 0x88, 0x88, 0xFE, 0x07,
    ];
    let chunk = |id: &[u8; 4], data: &[u8]| {
        RiffChunk::new(*id, RiffContent::Data(Bytes::copy_from_slice(data)))
    };
    let riff = RiffChunk::new(
        *b"RIFF",
        RiffContent::List {
            kind: Some(*b"WEBP"),
            subchunks: vec![
                // Flags: ICC, EXIF and XMP; canvas 1 × 1.
                chunk(b"VP8X", &[0b0010_1100, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
                chunk(b"ICCP", b"a colour profile"),
                chunk(b"VP8L", vp8l),
                chunk(b"EXIF", &photos::exif_with_gps(None)),
                chunk(b"XMP ", photos::XMP),
            ],
        },
    );
    WebP::new(riff).unwrap().encoder().bytes().to_vec()
}

#[test]
fn a_webp_loses_its_exif_xmp_and_profile_and_says_so_in_its_header() {
    let photo = webp_with_gps();
    assert_eq!(sniff(&photo), Some("image/webp"));
    let stripped = strip_metadata("image/webp", photo).unwrap();
    assert!(!contains(&stripped, &photos::GPS_LATITUDE));
    assert!(!contains(&stripped, photos::XMP));
    assert!(!contains(&stripped, b"a colour profile"));
    let webp = WebP::from_bytes(Bytes::from(stripped)).unwrap();
    let ids: Vec<[u8; 4]> = webp.chunks().iter().map(RiffChunk::id).collect();
    assert_eq!(ids, [*b"VP8X", *b"VP8L"]);
    let header = webp
        .chunk_by_id(*b"VP8X")
        .unwrap()
        .content()
        .data()
        .unwrap()
        .clone();
    assert_eq!(header[0], 0, "no ICC, EXIF or XMP flag left");
}

#[test]
fn what_cannot_be_stripped_is_refused_and_documents_pass_unchanged() {
    // HEIC (iPhones) keeps EXIF in a container this cannot rewrite: refused, not kept.
    let heic = b"\0\0\0\x18ftypheic\0\0\0\0mif1heic".to_vec();
    assert_eq!(sniff(&heic), Some("image/heif"));
    assert_eq!(
        strip_metadata("image/heif", heic),
        Err(StripError::Unsupported)
    );
    // A JPEG cut short, or a header and nothing else.
    let photo = photos::jpeg_with_gps();
    assert_eq!(
        strip_metadata("image/jpeg", photo[..300].to_vec()),
        Err(StripError::Unreadable)
    );
    assert_eq!(
        strip_metadata(
            "image/jpeg",
            vec![
                0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10, b'J', b'F', b'I', b'F', 0, 1
            ]
        ),
        Err(StripError::Unreadable)
    );
    assert_eq!(
        strip_metadata("image/png", photos::PNG[..40].to_vec()),
        Err(StripError::Unreadable)
    );
    // A PDF is not an image: unchanged.
    let pdf = b"%PDF-1.7\n1 0 obj\n".to_vec();
    assert_eq!(strip_metadata("application/pdf", pdf.clone()).unwrap(), pdf);
}

#[test]
fn every_photo_type_accepted_is_one_whose_metadata_is_removed() {
    // Whatever the bytes, a type in `PHOTOS` is stripped or refused as damaged, never
    // refused as a type that cannot be stripped (nor passed through as a document).
    for photo_type in PHOTOS {
        assert!(photo_type.starts_with("image/"), "{photo_type}");
        assert_eq!(
            strip_metadata(photo_type, b"not an image".to_vec()),
            Err(StripError::Unreadable),
            "{photo_type}"
        );
    }
}
