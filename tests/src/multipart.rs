//! `multipart/form-data` bodies as browsers and form clients write them, built by hand so
//! the tests control every byte (a part's type, a file name with accents).

use crate::Platform;

/// One part of a form: its name, and for a file its name; its type and bytes.
pub struct Part<'a> {
    pub name: &'a str,
    pub filename: Option<&'a str>,
    pub content_type: &'a str,
    pub body: &'a [u8],
}

/// A file part.
pub fn file<'a>(name: &'a str, filename: &'a str, body: &'a [u8]) -> Part<'a> {
    Part {
        name,
        filename: Some(filename),
        content_type: "application/octet-stream",
        body,
    }
}

/// A part that is no file.
pub fn text<'a>(name: &'a str, content_type: &'a str, body: &'a [u8]) -> Part<'a> {
    Part {
        name,
        filename: None,
        content_type,
        body,
    }
}

const BOUNDARY: &str = "guichet-test-boundary-7MA4YWxkTrZu0gW";

/// The body of a form of `parts`.
pub fn body(parts: &[Part<'_>]) -> Vec<u8> {
    let mut body = Vec::new();
    for part in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match part.filename {
            Some(filename) => format!("form-data; name=\"{}\"; filename=\"{filename}\"", part.name),
            None => format!("form-data; name=\"{}\"", part.name),
        };
        body.extend_from_slice(
            format!(
                "Content-Disposition: {disposition}\r\nContent-Type: {}\r\n\r\n",
                part.content_type
            )
            .as_bytes(),
        );
        body.extend_from_slice(part.body);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

impl Platform {
    /// Posts a form of `parts` to `path`, as `token`'s holder or anonymously.
    pub async fn post_form(
        &self,
        token: Option<&str>,
        path: &str,
        parts: &[Part<'_>],
    ) -> reqwest::Response {
        let mut request = self
            .http
            .post(self.url(path))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            )
            .body(body(parts));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"))
    }
}
