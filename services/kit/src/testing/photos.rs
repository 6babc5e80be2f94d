//! Photos for tests: a real JPEG (`tests/fixtures/gradient.jpg`, a 16 × 16 gradient
//! written by libjpeg; `tests/fixtures/README.md` says how), and the same picture with
//! what a phone or an editor adds to it — EXIF with a GPS position, XMP, a comment —
//! built here with `img-parts`, so a test can check that all of it is gone.

use img_parts::{
    Bytes, ImageEXIF as _,
    jpeg::{Jpeg, JpegSegment, markers},
};

/// A 16 × 16 baseline JPEG, with a JFIF header and nothing else.
pub const GRADIENT_JPEG: &[u8] = include_bytes!("../../tests/fixtures/gradient.jpg");

/// The smallest valid PNG: one transparent pixel.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0A, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0x00, 0x01, 0x00, 0x00,
    0x05, 0x00, 0x01, 0x0D, 0x0A, 0x2D, 0xB4, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE,
    0x42, 0x60, 0x82,
];

/// The latitude [`exif_with_gps`] writes (43° 31′ 48.6″ N, the Cours Mirabeau), as its
/// three rationals are stored: found in a file, the position is still there.
pub const GPS_LATITUDE: [u8; 24] = rationals([(43, 1), (31, 1), (486, 10)]);
/// The longitude (5° 26′ 52.1″ E).
pub const GPS_LONGITUDE: [u8; 24] = rationals([(5, 1), (26, 1), (521, 10)]);
/// The comment [`jpeg_with_gps`] adds.
pub const COMMENT: &[u8] = b"Photo prise au 12 rue Espariat";
/// The XMP packet [`jpeg_with_gps`] adds, after its namespace header.
pub const XMP: &[u8] = b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF \
    xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\"><rdf:Description \
    xmlns:exif=\"http://ns.adobe.com/exif/1.0/\" exif:GPSLatitude=\"43,31.81N\"/>\
    </rdf:RDF></x:xmpmeta>";

/// [`GRADIENT_JPEG`] as a phone would send it: an EXIF block with the camera's make
/// and a GPS position, an XMP packet repeating it, and a comment.
pub fn jpeg_with_gps() -> Vec<u8> {
    with_metadata(None)
}

/// The same, taken in portrait: its EXIF also says to turn it (orientation 6, 90°
/// clockwise).
pub fn portrait_jpeg_with_gps() -> Vec<u8> {
    with_metadata(Some(6))
}

fn with_metadata(orientation: Option<u16>) -> Vec<u8> {
    #[allow(clippy::expect_used)] // a constant fixture: it parses, or every test says so
    let mut jpeg = Jpeg::from_bytes(Bytes::from_static(GRADIENT_JPEG)).expect("a JPEG fixture");
    jpeg.set_exif(Some(Bytes::from(exif_with_gps(orientation))));
    let xmp = [b"http://ns.adobe.com/xap/1.0/\0".as_slice(), XMP].concat();
    // After the JFIF header and the EXIF block, before the tables and the frame.
    let segments = jpeg.segments_mut();
    segments.insert(
        2,
        JpegSegment::new_with_contents(markers::APP1, Bytes::from(xmp)),
    );
    segments.insert(
        3,
        JpegSegment::new_with_contents(markers::COM, Bytes::from_static(COMMENT)),
    );
    jpeg.encoder().bytes().to_vec()
}

/// An EXIF block (little-endian TIFF, without the `Exif\0\0` prefix): IFD0 with the
/// make, the orientation if given, and a pointer to a GPS IFD holding a latitude and a
/// longitude.
pub fn exif_with_gps(orientation: Option<u16>) -> Vec<u8> {
    const ASCII: u16 = 2;
    const SHORT: u16 = 3;
    const LONG: u16 = 4;
    const RATIONAL: u16 = 5;
    let ifd0_entries: u16 = if orientation.is_some() { 3 } else { 2 };
    let ifd0_end = 8 + 2 + 12 * u32::from(ifd0_entries) + 4;
    let make_at = ifd0_end;
    let make = b"Guichet\0";
    let gps_at = make_at + 8;
    let gps_end = gps_at + 2 + 12 * 4 + 4;
    let (latitude_at, longitude_at) = (gps_end, gps_end + 24);

    let mut tiff = b"II*\0".to_vec();
    tiff.extend_from_slice(&8u32.to_le_bytes());
    let entry = |tiff: &mut Vec<u8>, tag: u16, kind: u16, count: u32, value: [u8; 4]| {
        tiff.extend_from_slice(&tag.to_le_bytes());
        tiff.extend_from_slice(&kind.to_le_bytes());
        tiff.extend_from_slice(&count.to_le_bytes());
        tiff.extend_from_slice(&value);
    };
    tiff.extend_from_slice(&ifd0_entries.to_le_bytes());
    entry(&mut tiff, 0x010F, ASCII, 8, make_at.to_le_bytes());
    if let Some(orientation) = orientation {
        let [a, b] = orientation.to_le_bytes();
        entry(&mut tiff, 0x0112, SHORT, 1, [a, b, 0, 0]);
    }
    entry(&mut tiff, 0x8825, LONG, 1, gps_at.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(make);
    tiff.extend_from_slice(&4u16.to_le_bytes());
    entry(&mut tiff, 0x0001, ASCII, 2, *b"N\0\0\0");
    entry(&mut tiff, 0x0002, RATIONAL, 3, latitude_at.to_le_bytes());
    entry(&mut tiff, 0x0003, ASCII, 2, *b"E\0\0\0");
    entry(&mut tiff, 0x0004, RATIONAL, 3, longitude_at.to_le_bytes());
    tiff.extend_from_slice(&0u32.to_le_bytes());
    tiff.extend_from_slice(&GPS_LATITUDE);
    tiff.extend_from_slice(&GPS_LONGITUDE);
    tiff
}

/// Three EXIF rationals, little-endian.
const fn rationals(values: [(u32, u32); 3]) -> [u8; 24] {
    let mut out = [0; 24];
    let mut i = 0;
    while i < 3 {
        let (n, d) = values[i];
        let (n, d) = (n.to_le_bytes(), d.to_le_bytes());
        let mut j = 0;
        while j < 4 {
            out[i * 8 + j] = n[j];
            out[i * 8 + 4 + j] = d[j];
            j += 1;
        }
        i += 1;
    }
    out
}
