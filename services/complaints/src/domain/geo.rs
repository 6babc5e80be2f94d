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

/// The city's territory: complaints are taken only inside it, since the city can act
/// only there.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(default)]
pub struct Territory {
    /// The commune's name, as the refusal says it.
    pub name: String,
    /// Its boundary, `[latitude, longitude]` in WGS84 degrees, in order around it
    /// (closing point optional).
    pub boundary: Vec<[f64; 2]>,
}

impl Default for Territory {
    /// Aix-en-Provence's commune, outlined to within a few hundred metres from its
    /// neighbours' positions: Puyricard, Les Milles, La Duranne and Luynes inside;
    /// Éguilles, Venelles, Le Tholonet, Meyreuil and Bouc-Bel-Air outside. A city
    /// sets its exact contour (from the IGN's Admin Express) in configuration.
    fn default() -> Self {
        Self {
            name: "Aix-en-Provence".to_owned(),
            boundary: vec![
                [43.635, 5.400],
                [43.625, 5.440],
                [43.600, 5.465],
                [43.578, 5.478],
                [43.555, 5.495],
                [43.530, 5.497],
                [43.505, 5.485],
                [43.488, 5.470],
                [43.465, 5.440],
                [43.458, 5.400],
                [43.470, 5.360],
                [43.478, 5.310],
                [43.500, 5.285],
                [43.520, 5.310],
                [43.530, 5.345],
                [43.548, 5.370],
                [43.572, 5.378],
                [43.600, 5.375],
                [43.625, 5.380],
            ],
        }
    }
}

impl Territory {
    /// Whether a point lies inside the boundary (even-odd rule). The only shape test
    /// the service needs, on a polygon of a few dozen points: a geometry crate would
    /// bring far more than it. An empty boundary takes every point.
    pub fn contains(&self, lat: f64, lon: f64) -> bool {
        let points = &self.boundary;
        if points.len() < 3 {
            return true;
        }
        let mut inside = false;
        let mut previous = points[points.len() - 1];
        for &[lat_i, lon_i] in points {
            let [lat_j, lon_j] = previous;
            if (lat_i > lat) != (lat_j > lat)
                && lon < (lon_j - lon_i) * (lat - lat_i) / (lat_j - lat_i) + lon_i
            {
                inside = !inside;
            }
            previous = [lat_i, lon_i];
        }
        inside
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAIRIE: (f64, f64) = (43.5300, 5.4478);

    #[test]
    fn the_commune_holds_its_villages_and_not_its_neighbours() {
        let aix = Territory::default();
        for (place, lat, lon) in [
            ("Hôtel de Ville", 43.5300, 5.4478),
            ("Puyricard", 43.577, 5.418),
            ("Les Milles", 43.5042, 5.3903),
            ("La Duranne", 43.4911, 5.3536),
            ("Luynes", 43.4864, 5.4181),
            ("Jas de Bouffan", 43.5262, 5.4219),
            ("Parc de la Torse", 43.5268, 5.4605),
        ] {
            assert!(aix.contains(lat, lon), "{place} is in Aix");
        }
        for (place, lat, lon) in [
            ("Éguilles", 43.5689, 5.3556),
            ("Venelles", 43.598, 5.482),
            ("Le Tholonet", 43.521, 5.511),
            ("Meyreuil", 43.487, 5.497),
            ("Bouc-Bel-Air", 43.452, 5.414),
            ("Paris", 48.8566, 2.3522),
            ("Null Island", 0.0, 0.0),
        ] {
            assert!(!aix.contains(lat, lon), "{place} is not in Aix");
        }
    }

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
