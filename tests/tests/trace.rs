//! One trace across every hop, as an operator's tracing backend receives it: the whole
//! platform runs as separate processes (one tracer each, as in production), every one
//! exporting over OTLP to a receiver this test serves. A resident files a complaint with
//! an e-mail address through the gateway; the spans of that one request, from the
//! gateway's HTTP span to the consumers that write the agents' feed item and queue the
//! resident's e-mail, must form one tree. The metrics exported alongside must name
//! routes and methods, never paths.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex},
    time::Duration,
};

use guichet_tests::{fleet::Fleet, pothole};
use opentelemetry_proto::tonic::{
    collector::{
        metrics::v1::{
            ExportMetricsServiceRequest, ExportMetricsServiceResponse,
            metrics_service_server::{MetricsService, MetricsServiceServer},
        },
        trace::v1::{
            ExportTraceServiceRequest, ExportTraceServiceResponse,
            trace_service_server::{TraceService, TraceServiceServer},
        },
    },
    common::v1::{AnyValue, KeyValue, any_value},
    metrics::v1::metric::Data,
    trace::v1::span::SpanKind,
};
use reqwest::StatusCode;
use tonic::{Request, Response, Status};

/// One span as received, ids in hex as `traceparent` writes them.
#[derive(Debug, Clone)]
struct Received {
    service: String,
    trace: String,
    id: String,
    /// Empty for a root.
    parent: String,
    name: String,
    kind: SpanKind,
    attributes: HashMap<String, String>,
}

/// One data point of a metric: the process, the metric, its labels, and its count (a
/// histogram's) or value (a sum's or gauge's).
#[derive(Debug, Clone)]
struct Point {
    service: String,
    metric: String,
    attributes: HashMap<String, String>,
    value: f64,
}

/// What the platform exported so far.
#[derive(Clone, Default)]
struct Receiver {
    spans: Arc<Mutex<Vec<Received>>>,
    points: Arc<Mutex<Vec<Point>>>,
}

fn text(value: Option<&AnyValue>) -> String {
    match value.and_then(|v| v.value.as_ref()) {
        Some(any_value::Value::StringValue(s)) => s.clone(),
        Some(any_value::Value::IntValue(i)) => i.to_string(),
        Some(any_value::Value::BoolValue(b)) => b.to_string(),
        Some(any_value::Value::DoubleValue(d)) => d.to_string(),
        other => format!("{other:?}"),
    }
}

fn attributes(list: &[KeyValue]) -> HashMap<String, String> {
    list.iter()
        .map(|kv| (kv.key.clone(), text(kv.value.as_ref())))
        .collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tonic::async_trait]
impl TraceService for Receiver {
    async fn export(
        &self,
        request: Request<ExportTraceServiceRequest>,
    ) -> Result<Response<ExportTraceServiceResponse>, Status> {
        let mut received = Vec::new();
        for resource in request.into_inner().resource_spans {
            let service = resource
                .resource
                .map(|r| attributes(&r.attributes))
                .and_then(|mut a| a.remove("service.name"))
                .unwrap_or_default();
            for span in resource.scope_spans.into_iter().flat_map(|s| s.spans) {
                received.push(Received {
                    service: service.clone(),
                    trace: hex(&span.trace_id),
                    id: hex(&span.span_id),
                    parent: hex(&span.parent_span_id),
                    kind: span.kind(),
                    name: span.name,
                    attributes: attributes(&span.attributes),
                });
            }
        }
        self.spans.lock().unwrap().extend(received);
        Ok(Response::new(ExportTraceServiceResponse::default()))
    }
}

#[tonic::async_trait]
impl MetricsService for Receiver {
    async fn export(
        &self,
        request: Request<ExportMetricsServiceRequest>,
    ) -> Result<Response<ExportMetricsServiceResponse>, Status> {
        let mut points = Vec::new();
        for resource in request.into_inner().resource_metrics {
            let service = resource
                .resource
                .map(|r| attributes(&r.attributes))
                .and_then(|mut a| a.remove("service.name"))
                .unwrap_or_default();
            for metric in resource.scope_metrics.into_iter().flat_map(|s| s.metrics) {
                let mut point = |attributes: HashMap<String, String>, value: f64| {
                    points.push(Point {
                        service: service.clone(),
                        metric: metric.name.clone(),
                        attributes,
                        value,
                    });
                };
                use opentelemetry_proto::tonic::metrics::v1::number_data_point::Value;
                let number = |value: Option<Value>| match value {
                    Some(Value::AsDouble(d)) => d,
                    #[allow(clippy::cast_precision_loss)] // small counts
                    Some(Value::AsInt(i)) => i as f64,
                    None => f64::NAN,
                };
                match &metric.data {
                    Some(Data::Histogram(h)) => {
                        for p in &h.data_points {
                            #[allow(clippy::cast_precision_loss)] // small counts
                            point(attributes(&p.attributes), p.count as f64);
                        }
                    }
                    Some(Data::Sum(s)) => {
                        for p in &s.data_points {
                            point(attributes(&p.attributes), number(p.value));
                        }
                    }
                    Some(Data::Gauge(g)) => {
                        for p in &g.data_points {
                            point(attributes(&p.attributes), number(p.value));
                        }
                    }
                    _ => {}
                }
            }
        }
        self.points.lock().unwrap().extend(points);
        Ok(Response::new(ExportMetricsServiceResponse::default()))
    }
}

impl Receiver {
    /// Serves OTLP/gRPC on a free port of this machine; answers its endpoint.
    async fn start(&self) -> String {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let endpoint = format!("http://{}", listener.local_addr().unwrap());
        let server = tonic::transport::Server::builder()
            .add_service(TraceServiceServer::new(self.clone()))
            .add_service(MetricsServiceServer::new(self.clone()))
            .serve_with_incoming(tokio_stream::wrappers::TcpListenerStream::new(listener));
        tokio::spawn(server);
        endpoint
    }

    fn trace(&self, trace: &str) -> Vec<Received> {
        let spans = self.spans.lock().unwrap();
        spans.iter().filter(|s| s.trace == trace).cloned().collect()
    }

    fn points(&self, service: &str, metric: &str) -> Vec<Point> {
        let points = self.points.lock().unwrap();
        points
            .iter()
            .filter(|p| p.service == service && p.metric == metric)
            .cloned()
            .collect()
    }
}

/// The spans of one trace, and what to ask of them.
struct Tree(Vec<Received>);

impl Tree {
    fn by_id(&self, id: &str) -> Option<&Received> {
        self.0.iter().find(|s| s.id == id)
    }

    /// The first span of `service` that `matches`.
    fn find(&self, service: &str, matches: impl Fn(&Received) -> bool) -> Option<&Received> {
        self.0.iter().find(|s| s.service == service && matches(s))
    }

    /// Whether `ancestor` is above `span`, following parent links.
    fn descends(&self, span: &Received, ancestor: &Received) -> bool {
        let mut at = span;
        for _ in 0..self.0.len() {
            if at.parent == ancestor.id {
                return true;
            }
            match self.by_id(&at.parent) {
                Some(parent) => at = parent,
                None => return false,
            }
        }
        false
    }

    /// Spans whose parent was not received.
    fn orphans(&self) -> Vec<&Received> {
        let ids: HashSet<&str> = self.0.iter().map(|s| s.id.as_str()).collect();
        self.0
            .iter()
            .filter(|s| !s.parent.is_empty() && !ids.contains(s.parent.as_str()))
            .collect()
    }

    /// Everything the filing's trace must hold, or what is missing.
    fn check(&self, root_id: &str) -> Result<(), String> {
        let attr = |s: &Received, key: &str| s.attributes.get(key).cloned().unwrap_or_default();
        let roots: Vec<&Received> = self.0.iter().filter(|s| s.parent.is_empty()).collect();
        let [root] = roots.as_slice() else {
            return Err(format!("one root expected, found {roots:#?}"));
        };
        if root.id != root_id || root.service != "gateway" || root.kind != SpanKind::Server {
            return Err(format!(
                "the root is not the gateway's HTTP span: {root:#?}"
            ));
        }
        if root.name != "POST /api/v1/complaints"
            || attr(root, "http.route") != "/api/v1/complaints"
        {
            return Err(format!(
                "the HTTP span is not named after its route: {root:#?}"
            ));
        }
        let orphans = self.orphans();
        if !orphans.is_empty() {
            return Err(format!("spans whose parent is missing: {orphans:#?}"));
        }
        const RPC: &str = "guichet.complaints.v1.Complaints/FileComplaint";
        let call = self
            .find("gateway", |s| s.kind == SpanKind::Client && s.name == RPC)
            .ok_or("no gRPC client span in the gateway")?;
        let served = self
            .find("complaints", |s| {
                s.kind == SpanKind::Server && s.name == RPC
            })
            .ok_or("no gRPC server span in the complaints service")?;
        let parent = self.by_id(&served.parent).ok_or("served without parent")?;
        if parent.service != "gateway" || served.parent != call.id {
            return Err(format!(
                "the server span's parent is not the gateway's call: {parent:#?}"
            ));
        }
        if attr(served, "rpc.grpc.status_code") != "0" {
            return Err(format!("the call did not succeed: {served:#?}"));
        }
        let transaction = self
            .find("complaints", |s| {
                s.name == "db transaction" && attr(s, "db.system") == "postgresql"
            })
            .ok_or("no transaction span in the complaints service")?;
        if !self.descends(transaction, served) {
            return Err("the transaction is not under the gRPC call".into());
        }
        let published = self
            .find("complaints", |s| {
                s.kind == SpanKind::Producer
                    && attr(s, "messaging.rabbitmq.destination.routing_key")
                        == "complaints.complaint.filed"
            })
            .ok_or("the relay's publication of complaints.complaint.filed is missing")?;
        if !self.descends(published, transaction) {
            return Err("the publication is not under the transaction".into());
        }
        for consumer in ["notifications.feed", "notifications.residents"] {
            let consumed = self
                .find("notifications", |s| {
                    s.kind == SpanKind::Consumer && attr(s, "consumer") == consumer
                })
                .ok_or_else(|| format!("no consumer span of {consumer}"))?;
            // Producer and consumer are both children of the context stored with the
            // event: the change that wrote it.
            if consumed.parent != published.parent || !self.descends(consumed, transaction) {
                return Err(format!(
                    "{consumer} is not in the event's context: {consumed:#?}"
                ));
            }
        }
        let feed = self
            .find("notifications", |s| s.name == "Write a feed item")
            .ok_or("the feed item's span is missing")?;
        let email = self
            .find("notifications", |s| {
                s.name == "Queue a delivery" && attr(s, "channel") == "email"
            })
            .ok_or("the e-mail's span is missing")?;
        for (span, consumer) in [
            (feed, "notifications.feed"),
            (email, "notifications.residents"),
        ] {
            let under = self.0.iter().any(|c| {
                c.kind == SpanKind::Consumer
                    && attr(c, "consumer") == consumer
                    && self.descends(span, c)
            });
            if !under {
                return Err(format!("{} is not under {consumer}", span.name));
            }
        }
        // The delivery worker sends the mail later, in the trace it was queued in.
        let sent = self
            .find("notifications", |s| {
                s.name == "Send a delivery" && attr(s, "channel") == "email"
            })
            .ok_or("the e-mail's sending is missing")?;
        if !self.descends(sent, email) {
            return Err("the e-mail's sending is not under its queuing".into());
        }
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_filing_is_one_trace_from_the_gateway_to_the_feed_and_the_email_sent() {
    let receiver = Receiver::default();
    let endpoint = receiver.start().await;
    let fleet = Fleet::start_with(
        &[],
        &[
            ("GUICHET__TELEMETRY__OTLP_ENDPOINT", &endpoint),
            // Spans leave every 100 ms and metrics every 500 ms, not every 5 s and 60 s.
            ("OTEL_BSP_SCHEDULE_DELAY", "100"),
            ("OTEL_METRIC_EXPORT_INTERVAL", "500"),
        ],
    )
    .await
    .unwrap();

    let filed = fleet
        .http
        .post(fleet.url("/api/v1/complaints"))
        .json(&pothole())
        .send()
        .await
        .unwrap();
    assert_eq!(filed.status(), StatusCode::CREATED);
    let traceresponse = filed.headers()["traceresponse"]
        .to_str()
        .unwrap()
        .to_owned();
    let number = filed.json::<serde_json::Value>().await.unwrap()["tracking_number"]
        .as_str()
        .unwrap()
        .to_owned();
    let parts: Vec<&str> = traceresponse.split('-').collect();
    let (trace, root) = (parts[1], parts[2]);

    // Spans arrive in batches from six processes: wait until the tree is whole.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let outcome = loop {
        let outcome = Tree(receiver.trace(trace)).check(root);
        if outcome.is_ok() || tokio::time::Instant::now() > deadline {
            break outcome;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if let Err(missing) = outcome {
        let mut spans = receiver.trace(trace);
        spans.sort_by(|a, b| a.service.cmp(&b.service));
        let spans: Vec<String> = spans
            .iter()
            .map(|s| {
                format!(
                    "{} {:?} {:?} {} <- {}",
                    s.service, s.kind, s.name, s.id, s.parent
                )
            })
            .collect();
        panic!(
            "{missing}\nthe trace's spans:\n{}\nlogs in {}",
            spans.join("\n"),
            fleet.logs().display()
        );
    }

    // The metrics of that filing, by route and method; a lookup by number counts under
    // its template, never under the number.
    let lookup = fleet
        .http
        .get(fleet.url(&format!("/api/v1/demands/{number}")))
        .send()
        .await
        .unwrap();
    assert_eq!(lookup.status(), StatusCode::OK);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    let missing = loop {
        let http = receiver.points("gateway", "http.server.request.duration");
        let has = |route: &str, status: &str| {
            http.iter().any(|p| {
                p.attributes.get("http.route").map(String::as_str) == Some(route)
                    && p.attributes
                        .get("http.response.status_code")
                        .map(String::as_str)
                        == Some(status)
                    && p.value >= 1.0
            })
        };
        let rpc = receiver.points("complaints", "rpc.server.call.duration");
        let lag = receiver.points("notifications", "guichet.consumer.lag");
        let published = receiver.points("complaints", "guichet.outbox.published");
        let pending = receiver.points("complaints", "guichet.outbox.pending");
        let checks = [
            ("the filing's route", has("/api/v1/complaints", "201")),
            (
                "the lookup's route",
                has("/api/v1/demands/{tracking_number}", "200"),
            ),
            (
                "the filing's RPC",
                rpc.iter().any(|p| {
                    p.attributes.get("rpc.method").map(String::as_str) == Some("FileComplaint")
                        && p.attributes.get("rpc.grpc.status_code").map(String::as_str) == Some("0")
                }),
            ),
            (
                "the feed consumer's lag",
                lag.iter().any(|p| {
                    p.attributes
                        .get("messaging.consumer.group.name")
                        .map(String::as_str)
                        == Some("notifications.feed")
                        && p.value >= 1.0
                }),
            ),
            (
                "the relay's publications",
                published.iter().any(|p| p.value >= 1.0),
            ),
            ("the outbox backlog", !pending.is_empty()),
        ];
        let missing: Vec<&str> = checks
            .iter()
            .filter(|(_, ok)| !ok)
            .map(|(what, _)| *what)
            .collect();
        if missing.is_empty() || tokio::time::Instant::now() > deadline {
            break missing;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert!(missing.is_empty(), "metrics missing: {missing:?}");
    let bare: String = number.chars().filter(|c| *c != '-').collect();
    let points = receiver.points.lock().unwrap();
    let leaked = points.iter().find(|p| {
        p.attributes
            .values()
            .any(|v| v.contains(&number) || v.contains(&bare))
    });
    assert!(
        leaked.is_none(),
        "a tracking number in a metric: {leaked:?}"
    );
}
