//! Open311 GeoReport v2 documents, written once and rendered as JSON or XML exactly as
//! the specification shows them: JSON arrays even for one item, XML with the
//! specification's wrappers (`<services><service>`, `<service_requests><request>`…), an
//! XML declaration, and the layout of the specification's examples — one element per
//! line, indented, an empty value as `<account_id/>` — so an empty list is an open and a
//! close tag on their own lines, as clients' own fixtures write it. UTF-8 everywhere.
//! XML goes through quick-xml's writer, which escapes text; characters XML 1.0 forbids,
//! which rows stored before intake refused them may hold, are dropped, so every document
//! stays well-formed.

use std::io;

use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use guichet_kit::validate::xml_servable;
use quick_xml::{
    Writer,
    events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event},
};
use serde_json::{Map, Number, Value};

/// The two formats, chosen by the resource's extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

impl Format {
    /// The format a path asks for by its last segment's extension, XML (the format
    /// every endpoint must serve) unless it ends in `.json`: how an error answers a path
    /// no route serves.
    pub fn of_path(path: &str) -> Self {
        let last = path.rsplit('/').next().unwrap_or_default();
        match last.rsplit_once('.') {
            Some((_, "json")) => Self::Json,
            _ => Self::Xml,
        }
    }

    /// The content type the specification shows for its documents ("Format Support"):
    /// `text/xml; charset=utf-8`, `application/json; charset=utf-8`.
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json; charset=utf-8",
            Self::Xml => "text/xml; charset=utf-8",
        }
    }

    /// The bare media type, as discovery's `formats` lists it. Discovery is served with
    /// exactly this: validators compare its content type with the list, whole.
    pub fn media_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::Xml => "text/xml",
        }
    }

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
    /// JSON `null`, an empty XML element (`<account_id/>`, as the specification writes
    /// it).
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

    /// This node as the element `name`.
    fn write_xml<W: io::Write>(&self, name: &str, writer: &mut Writer<W>) -> io::Result<()> {
        if matches!(self, Self::Null) {
            return writer.write_event(Event::Empty(BytesStart::new(name)));
        }
        writer.write_event(Event::Start(BytesStart::new(name)))?;
        match self {
            Self::Text(value) => text(writer, &xml_servable(value))?,
            Self::Number(n) => text(writer, &n.to_string())?,
            Self::Integer(n) => text(writer, &n.to_string())?,
            Self::Bool(b) => text(writer, if *b { "true" } else { "false" })?,
            Self::Null => {} // Written above as an empty element.
            Self::Object(fields) => {
                for (field, node) in fields {
                    node.write_xml(field, writer)?;
                }
            }
            Self::List(item, items) => {
                for node in items {
                    node.write_xml(item, writer)?;
                }
            }
        }
        writer.write_event(Event::End(BytesEnd::new(name)))
    }
}

/// Text content, escaped by quick-xml (`<`, `>`, `&`, quotes, carriage returns).
fn text<W: io::Write>(writer: &mut Writer<W>, value: &str) -> io::Result<()> {
    writer.write_event(Event::Text(BytesText::new(value)))
}

/// A document: its root element name (XML) and its content.
pub fn render(format: Format, root: &str, node: &Node) -> String {
    match format {
        Format::Json => node.json().to_string(),
        Format::Xml => {
            // Indented by four spaces, as the specification's examples; text is never
            // touched (quick-xml breaks lines only between elements).
            let mut writer = Writer::new_with_indent(Vec::new(), b' ', 4);
            writer
                .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
                .and_then(|()| node.write_xml(root, &mut writer))
                .expect("writing into memory cannot fail");
            String::from_utf8(writer.into_inner()).expect("quick-xml writes the UTF-8 it is given")
        }
    }
}

/// A response in `format` with the specification's content types.
pub fn respond(format: Format, status: StatusCode, root: &str, node: &Node) -> Response {
    respond_as(format.content_type(), format, status, root, node)
}

/// A response in `format` served as `content_type`.
pub fn respond_as(
    content_type: &'static str,
    format: Format,
    status: StatusCode,
    root: &str,
    node: &Node,
) -> Response {
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
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>
<service_requests>
    <request>
        <service_request_id>a1</service_request_id>
        <status_notes/>
        <lat>43.53</lat>
        <description>&lt;b&gt;&amp;&quot;&apos;</description>
    </request>
</service_requests>"
        );
    }

    #[test]
    fn an_empty_list_is_an_open_and_a_close_tag_as_lists_are_written() {
        // What clients' fixtures for "no results" hold (the Code for America client's
        // `service_requests_empty.xml`): never `<service_requests/>`.
        assert_eq!(
            render(
                Format::Xml,
                "service_requests",
                &Node::List("request", vec![])
            ),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests>\n</service_requests>"
        );
        assert_eq!(
            render(
                Format::Json,
                "service_requests",
                &Node::List("request", vec![])
            ),
            "[]"
        );
        // An empty text stays an element with no content, as the specification's
        // `<description></description>`.
        let node = Node::Object(vec![("description", Node::text(""))]);
        assert!(render(Format::Xml, "request", &node).contains("<description></description>"));
    }

    #[test]
    fn characters_xml_forbids_are_dropped_and_the_rest_kept() {
        let node = Node::Object(vec![(
            "address",
            Node::text("Cours\u{FFFF}\u{1} Mira\u{FFFE}beau 🚧 l'Étang\r"),
        )]);
        assert_eq!(
            render(Format::Xml, "request", &node),
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<request>\n    \
             <address>Cours Mirabeau 🚧 l&apos;Étang&#13;</address>\n</request>"
        );
        // JSON escapes what it must: the text is kept as it is.
        assert_eq!(
            render(Format::Json, "request", &node),
            "{\"address\":\"Cours\u{FFFF}\\u0001 Mira\u{FFFE}beau 🚧 l'Étang\\r\"}"
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
        assert_eq!(
            Format::of_path("/open311/v2/nothing/here.json"),
            Format::Json
        );
        assert_eq!(Format::of_path("/open311/v2/a.json/b"), Format::Xml);
        assert_eq!(Format::of_path("/open311/v2"), Format::Xml);
    }
}
