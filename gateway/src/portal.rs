//! The screens: the portal (`/`), the street kiosk (`/borne/`) and the agents' intranet
//! (`/agents/`), built from `gateway/web` by `npm run build` into `web.dist` and served
//! here as static files; and the city's look (`GET /api/v1/city`), which they read at start. Hashed
//! assets are cached for a year; pages, the manifest and the service worker are
//! revalidated on every visit, so a new release shows at once.

use std::{path::PathBuf, sync::Arc};

use axum::{
    body::Body,
    extract::{Request, State},
    http::{HeaderValue, Method, header},
    response::Response,
};
use serde::{Deserialize, Serialize};
use tower::ServiceExt as _;
use tower_http::services::{ServeDir, ServeFile};
use utoipa::ToSchema;

/// Where the built front end is.
#[derive(Debug, Clone, Deserialize)]
#[serde(default)]
pub struct WebConfig {
    /// The `dist` directory of `gateway/web`; when it holds no `index.html` the gateway
    /// serves the API alone (and the minimal follow pages).
    pub dist: String,
}

impl Default for WebConfig {
    fn default() -> Self {
        Self {
            dist: "gateway/web/dist".to_owned(),
        }
    }
}

/// The city's look and contact details, from configuration (`city.*`): the screens
/// take their name, logo and colours from here, never from code.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct City {
    pub name: String,
    /// An image the screens show in their header; none shows the name alone.
    pub logo_url: Option<String>,
    pub colors: Colors,
    pub contact: CityContact,
    pub map: MapSettings,
    /// A kiosk clears everything entered after this long without a touch.
    pub kiosk_idle_seconds: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct Colors {
    /// Headers and buttons (`#7a1f2b`).
    pub primary: String,
    /// Text on `primary`; the pair must keep a 4.5:1 contrast.
    pub on_primary: String,
    /// Highlights.
    pub accent: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct CityContact {
    pub phone: String,
    pub email: Option<String>,
    pub address: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct MapSettings {
    /// A tile server (`https://tiles.example.org/{z}/{x}/{y}.png`); none draws no
    /// background, and a pin is still placed on the map or by address.
    pub tile_url: Option<String>,
    /// The tiles' credit, shown on the map.
    pub attribution: String,
    pub center: Position,
    pub zoom: u8,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Position {
    pub lat: f64,
    pub lon: f64,
}

impl Default for City {
    fn default() -> Self {
        Self {
            name: "Ville d'Aix-en-Provence".to_owned(),
            logo_url: None,
            colors: Colors::default(),
            contact: CityContact::default(),
            map: MapSettings::default(),
            kiosk_idle_seconds: 120,
        }
    }
}

impl Default for Colors {
    fn default() -> Self {
        // White on this red is 8.9:1, far above AA's 4.5:1.
        Self {
            primary: "#7a1f2b".to_owned(),
            on_primary: "#ffffff".to_owned(),
            accent: "#f2b705".to_owned(),
        }
    }
}

impl Default for CityContact {
    fn default() -> Self {
        Self {
            phone: "04 42 91 90 00".to_owned(),
            email: None,
            address: "Place de l'Hôtel de Ville, 13100 Aix-en-Provence".to_owned(),
        }
    }
}

impl Default for MapSettings {
    fn default() -> Self {
        Self {
            tile_url: None,
            attribution: String::new(),
            // The Hôtel de Ville.
            center: Position {
                lat: 43.53,
                lon: 5.4478,
            },
            zoom: 14,
        }
    }
}

/// The city's name, look, contact details and map: what the screens show before
/// anything else.
#[utoipa::path(
    get,
    path = "/api/v1/city",
    tag = "city",
    responses((status = 200, body = City, headers(("ETag" = String)))),
)]
pub async fn city(State(city): State<Arc<City>>, request: Request) -> Response {
    crate::cache::tagged(request.headers(), &*city)
}

/// The pages' policy: everything from the gateway itself; map tiles from the tile
/// server configured, if any; styles inline too (the map library positions its tiles
/// with them).
fn page_csp(city: &City) -> String {
    let tiles = city
        .map
        .tile_url
        .as_deref()
        .and_then(tile_origin)
        .map(|origin| format!(" {origin}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
         img-src 'self' data: blob:{tiles}; connect-src 'self'; frame-ancestors 'none'; \
         base-uri 'self'; form-action 'self'; manifest-src 'self'; worker-src 'self'"
    )
}

/// `https://tiles.example.org` of `https://tiles.example.org/{z}/{x}/{y}.png`.
fn tile_origin(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let host = rest.split('/').next()?;
    let safe = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '{' | '}'))
    };
    (matches!(scheme, "https" | "http") && safe(host)).then(|| format!("{scheme}://{host}"))
}

/// The screen other than the portal a page path belongs to: its directory in the build.
fn screen(path: &str) -> Option<&'static str> {
    ["borne", "agents"].into_iter().find(|screen| {
        path.strip_prefix('/')
            .and_then(|rest| rest.strip_prefix(screen))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
    })
}

/// The built front end, when there is one.
#[derive(Clone)]
pub struct Portal {
    dist: PathBuf,
    csp: HeaderValue,
}

impl Portal {
    /// The front end in `web.dist`, if it was built.
    pub fn open(web: &WebConfig, city: &City) -> Option<Self> {
        let dist = PathBuf::from(&web.dist);
        if !dist.join("index.html").is_file() {
            tracing::warn!(dist = %dist.display(), "no front end built: serving the API alone");
            return None;
        }
        let csp = HeaderValue::from_str(&page_csp(city)).ok()?;
        Some(Self { dist, csp })
    }

    /// Whether the portal answers a request no API route took: a `GET` outside
    /// `/api/` and `/open311/`, whose unknown paths stay `404` problems.
    pub fn serves(&self, request: &Request) -> bool {
        let path = request.uri().path();
        let api = path.starts_with("/api/") || path.starts_with("/open311/");
        !api && matches!(*request.method(), Method::GET | Method::HEAD)
    }

    /// A file of the build, or the page of the screen the path belongs to (its own
    /// router then shows the right view).
    pub async fn serve(self, request: Request) -> Response {
        let path = request.uri().path();
        let page = match screen(path) {
            Some(screen) => self.dist.join(screen).join("index.html"),
            None => self.dist.join("index.html"),
        };
        let hashed = path.starts_with("/assets/");
        let files = ServeDir::new(&self.dist).precompressed_gzip();
        // A missing asset is a 404, not the page: a stale page's script must fail loudly.
        let served = if hashed {
            files.oneshot(request).await
        } else {
            files
                .fallback(ServeFile::new(&page).precompressed_gzip())
                .oneshot(request)
                .await
        };
        let mut response = match served {
            Ok(response) => response.map(Body::new),
            Err(never) => match never {},
        };
        let cache = if hashed && response.status().is_success() {
            "public, max-age=31536000, immutable"
        } else {
            // Pages, the manifest and the service worker: checked on every visit.
            "no-cache"
        };
        let headers = response.headers_mut();
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        headers.insert(header::CONTENT_SECURITY_POLICY, self.csp.clone());
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_screen_owns_its_paths() {
        assert_eq!(screen("/borne"), Some("borne"));
        assert_eq!(screen("/borne/accueil"), Some("borne"));
        assert_eq!(screen("/agents/demandes/C-1"), Some("agents"));
        assert_eq!(screen("/agents"), Some("agents"));
        assert_eq!(screen("/agentsx"), None);
        assert_eq!(screen("/suivi/agents"), None);
        assert_eq!(screen("/"), None);
    }

    #[test]
    fn the_pages_may_load_tiles_from_the_configured_server_only() {
        let mut city = City::default();
        assert!(page_csp(&city).contains("img-src 'self' data: blob:;"));
        city.map.tile_url = Some("https://tuiles.aixenprovence.fr/{z}/{x}/{y}.png".to_owned());
        assert!(
            page_csp(&city).contains("img-src 'self' data: blob: https://tuiles.aixenprovence.fr;")
        );
        city.map.tile_url = Some("javascript:alert(1)".to_owned());
        assert!(page_csp(&city).contains("img-src 'self' data: blob:;"));
        city.map.tile_url = Some("https://evil.example; script-src *".to_owned());
        assert!(!page_csp(&city).contains("evil"));
    }
}
