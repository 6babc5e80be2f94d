//! Open311 GeoReport v2 documents, written once and rendered as JSON or XML exactly as
//! the specification shows them: JSON arrays even for one item, XML with the
//! specification's wrappers (`<services><service>`, `<service_requests><request>`…) and
//! an XML declaration, UTF-8 everywhere. Hand-written XML (escaping five characters) keeps
//! the gateway free of an XML library for a dozen element names.

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Number, Value};

/// The two formats, chosen by the resource's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// `services.json` → (`services`, JSON); `None` for any other extension.
    pub fn split(file: &str) -> Option<(&str, Self)> {
        let (stem, extension) = file.rsplit_once('.')?;
        let format = match extension {
            "json" => Self::Json,
            "xml" => Self::Xml,
            _ => return None,
        };
        (!stem.is_empty()).then_some((stem, format))
    }
}

/// A node of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Text(String),
    Number(f64),
    Bool(bool),
    Integer(i64),
    /// JSON `null`, an empty XML element.
    Null,
    /// An object: its fields in order.
    Object(Vec<(&'static str, Node)>),
    /// An array; in XML each item is wrapped in the element named here.
    List(&'static str, Vec<Node>),
}

impl Node {
    pub fn text(value: impl Into<String>) -> Self {
        Self::Text(value.into())
    }

    fn json(&self) -> Value {
        match self {
            Self::Text(text) => Value::String(text.clone()),
            Self::Number(n) => Number::from_f64(*n).map_or(Value::Null, Value::Number),
            Self::Integer(n) => Value::Number((*n).into()),
            Self::Bool(b) => Value::Bool(*b),
            Self::Null => Value::Null,
            Self::Object(fields) => Value::Object(
                fields
                    .iter()
                    .map(|(name, node)| ((*name).to_owned(), node.json()))
                    .collect::<Map<_, _>>(),
            ),
            Self::List(_, items) => Value::Array(items.iter().map(Self::json).collect()),
        }
    }

    /// The element's content (not the element itself).
    fn xml(&self, out: &mut String) {
        match self {
            Self::Text(text) => escape(text, out),
            Self::Number(n) => out.push_str(&n.to_string()),
            Self::Integer(n) => out.push_str(&n.to_string()),
            Self::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Self::Null => {}
            Self::Object(fields) => {
                for (name, node) in fields {
                    element(name, node, out);
                }
            }
            Self::List(item, items) => {
                for node in items {
                    element(item, node, out);
                }
            }
        }
    }
}

fn element(name: &str, node: &Node, out: &mut String) {
    out.push('<');
    out.push_str(name);
    out.push('>');
    node.xml(out);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

fn escape(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Control characters other than tab and line breaks are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => {}
            c => out.push(c),
        }
    }
}

/// A document: its root element name (XML) and its content.
pub fn render(format: Format, root: &str, node: &Node) -> String {
    match format {
        Format::Json => node.json().to_string(),
        Format::Xml => {
            let mut out = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>");
            element(root, node, &mut out);
            out
        }
    }
}

/// A response in `format` with the specification's content types.
pub fn respond(format: Format, status: StatusCode, root: &str, node: &Node) -> Response {
    let content_type = match format {
        Format::Json => "application/json; charset=utf-8",
        Format::Xml => "text/xml; charset=utf-8",
    };
    (
        status,
        [(header::CONTENT_TYPE, HeaderValue::from_static(content_type))],
        render(format, root, node),
    )
        .into_response()
}

/// The specification's error document: `[{"code":403,"description":"…"}]` or
/// `<errors><error><code>403</code><description>…</description></error></errors>`.
pub fn error(format: Format, status: StatusCode, descriptions: &[String]) -> Response {
    let errors = descriptions
        .iter()
        .map(|d| {
            Node::Object(vec![
                ("code", Node::Integer(i64::from(status.as_u16()))),
                ("description", Node::text(d.clone())),
            ])
        })
        .collect();
    respond(format, status, "errors", &Node::List("error", errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Node {
        Node::List(
            "request",
            vec![Node::Object(vec![
                ("service_request_id", Node::text("a1")),
                ("status_notes", Node::Null),
                ("lat", Node::Number(43.53)),
                ("description", Node::text("<b>&\"'")),
            ])],
        )
    }

    #[test]
    fn one_item_is_still_an_array_in_json() {
        let json: Value =
            serde_json::from_str(&render(Format::Json, "service_requests", &sample()))
                .expect("json");
        assert_eq!(json[0]["service_request_id"], "a1");
        assert_eq!(json[0]["status_notes"], Value::Null);
        assert_eq!(json[0]["lat"], 43.53);
    }

    #[test]
    fn xml_has_the_declaration_the_wrappers_and_escapes() {
        assert_eq!(
            render(Format::Xml, "service_requests", &sample()),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?><service_requests><request>\
             <service_request_id>a1</service_request_id><status_notes></status_notes>\
             <lat>43.53</lat><description>&lt;b&gt;&amp;&quot;&apos;</description>\
             </request></service_requests>"
        );
    }

    #[test]
    fn formats_come_from_the_extension() {
        assert_eq!(
            Format::split("services.json"),
            Some(("services", Format::Json))
        );
        assert_eq!(Format::split("a.b.xml"), Some(("a.b", Format::Xml)));
        assert_eq!(Format::split("services.html"), None);
        assert_eq!(Format::split("services"), None);
    }
}
