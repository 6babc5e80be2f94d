//! Distances on the map. A bounding box in degrees picks the candidates through a btree
//! index on (latitude, longitude); the exact great-circle distance decides.

/// Mean Earth radius (IUGG), metres.
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle distance in metres between two WGS84 points (haversine).
pub fn distance_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
}

/// The smallest latitude/longitude box holding every point within `radius_m` of a
/// point: `(min_lat, max_lat, min_lon, max_lon)`.
pub fn bounding_box(lat: f64, lon: f64, radius_m: f64) -> (f64, f64, f64, f64) {
    let dlat = (radius_m / EARTH_RADIUS_M).to_degrees();
    // Longitude degrees shrink towards the poles; near them, take every longitude.
    let cos = lat.to_radians().cos();
    let dlon = if cos > 1e-6 { dlat / cos } else { 360.0 };
    (lat - dlat, lat + dlat, lon - dlon, lon + dlon)
}

/// Moves a point `north_m` metres north and `east_m` metres east (small distances):
/// for tests and demo data.
pub fn offset(lat: f64, lon: f64, north_m: f64, east_m: f64) -> (f64, f64) {
    let dlat = (north_m / EARTH_RADIUS_M).to_degrees();
    let dlon = (east_m / (EARTH_RADIUS_M * lat.to_radians().cos())).to_degrees();
    (lat + dlat, lon + dlon)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIRIE: (f64, f64) = (43.5300, 5.4478);

    #[test]
    fn distances_on_the_ground_are_metres() {
        let (lat, lon) = offset(MAIRIE.0, MAIRIE.1, 30.0, 0.0);
        assert!((distance_m(MAIRIE.0, MAIRIE.1, lat, lon) - 30.0).abs() < 0.01);
        let (lat, lon) = offset(MAIRIE.0, MAIRIE.1, 0.0, 80.0);
        assert!((distance_m(MAIRIE.0, MAIRIE.1, lat, lon) - 80.0).abs() < 0.01);
        // Hôtel de Ville to Luynes' village centre: about 5.5 km.
        let d = distance_m(MAIRIE.0, MAIRIE.1, 43.4864, 5.4181);
        assert!((5_000.0..6_000.0).contains(&d), "{d}");
    }

    #[test]
    fn the_box_holds_the_whole_circle() {
        let (min_lat, max_lat, min_lon, max_lon) = bounding_box(MAIRIE.0, MAIRIE.1, 50.0);
        for (north, east) in [
            (50.0, 0.0),
            (-50.0, 0.0),
            (0.0, 50.0),
            (0.0, -50.0),
            (35.0, 35.0),
        ] {
            let (lat, lon) = offset(MAIRIE.0, MAIRIE.1, north, east);
            assert!((min_lat..=max_lat).contains(&lat) && (min_lon..=max_lon).contains(&lon));
        }
    }
}
