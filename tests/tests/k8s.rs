//! The Kubernetes manifests as a cluster would take them: `k8s/` rendered with
//! `kubectl kustomize` (base, dev and prod), every object checked strictly against its
//! schema (kubernetes-validate for the built-in kinds, the pinned operators' fields in
//! `k8s/schemas/` for the custom resources), the policy check (checkov) passing with its
//! exceptions written down, and the NetworkPolicies evaluated here, selector by selector,
//! to prove they allow exactly the platform's call graph, and gRPC under TLS in both
//! overlays with the kubelet's probes on each service's plain-text health port. The
//! Python tools come from PyPI into `infra/k8s/.venv`, which `./infra/test` installs
//! (`ensure_k8s_tools`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly

use std::{
    collections::{BTreeMap, BTreeSet},
    net::Ipv4Addr,
    path::{Path, PathBuf},
    process::Command,
    sync::atomic::{AtomicUsize, Ordering},
};

use serde_json::{Value, json};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A program of `infra/k8s/.venv`.
fn tool(name: &str) -> PathBuf {
    let path = root().join("infra/k8s/.venv/bin").join(name);
    assert!(
        path.exists(),
        "{} is missing: run ./infra/test once, or python3 -m venv infra/k8s/.venv && \
         infra/k8s/.venv/bin/pip install -r infra/k8s/requirements.txt",
        path.display()
    );
    path
}

/// A directory of this test, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        // Tests run in parallel and may render the same overlay.
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir =
            std::env::temp_dir().join(format!("guichet-k8s-{}-{n}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        std::fs::remove_dir_all(&self.0).ok();
    }
}

/// `kubectl kustomize k8s/<target>`, as `kubectl apply -k` would send it.
fn render(target: &str) -> String {
    let output = Command::new("kubectl")
        .arg("kustomize")
        .arg(root().join("k8s").join(target))
        .output()
        .expect("kubectl is missing: install it (./infra/test says how)");
    assert!(
        output.status.success(),
        "kubectl kustomize k8s/{target} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// Renders `target` into `dir/<file>` and returns the path.
fn render_to(dir: &Path, target: &str, file: &str) -> PathBuf {
    let path = dir.join(file);
    std::fs::write(&path, render(target)).unwrap();
    path
}

/// Runs `infra/k8s/manifests.py` with `args`: (success, stdout and stderr).
fn manifests(args: &[&Path]) -> (bool, String) {
    let output = Command::new(tool("python"))
        .arg(root().join("infra/k8s/manifests.py"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// The rendered objects of an overlay, as JSON.
fn objects(target: &str) -> Vec<Value> {
    let dir = Scratch::new(&format!("json-{}", target.replace('/', "-")));
    let file = render_to(&dir.0, target, "rendered.yaml");
    let output = Command::new(tool("python"))
        .arg(root().join("infra/k8s/manifests.py"))
        .arg("json")
        .arg(&file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn every_rendered_object_is_valid_against_its_schema() {
    let dir = Scratch::new("validate");
    let files = [
        render_to(&dir.0, "base", "base.yaml"),
        render_to(&dir.0, "overlays/dev", "dev.yaml"),
        render_to(&dir.0, "overlays/prod", "prod.yaml"),
    ];
    let mut args: Vec<&Path> = vec![Path::new("validate")];
    args.extend(files.iter().map(PathBuf::as_path));
    let (ok, report) = manifests(&args);
    assert!(ok, "invalid manifests:\n{report}");
    assert!(report.contains(", 0 error(s)"), "{report}");
}

#[test]
fn an_unknown_field_fails_validation_in_a_built_in_kind_and_in_a_custom_resource() {
    let dir = Scratch::new("unknown");
    for (kind, misspelt) in [
        ("Deployment", json!({"replica": 2})),
        ("Cluster", json!({"instance": 3})),
        ("RabbitmqCluster", json!({"replica": 3})),
        ("ScheduledBackup", json!({"schedul": "0 0 0 * * *"})),
    ] {
        let mut all = objects("overlays/prod");
        let object = all.iter_mut().find(|o| o["kind"] == kind).unwrap();
        for (key, value) in misspelt.as_object().unwrap() {
            object["spec"][key] = value.clone();
        }
        // JSON is YAML: the validator reads it as it is.
        let file = dir.0.join(format!("{kind}.yaml"));
        let stream: Vec<String> = all.iter().map(|o| o.to_string()).collect();
        std::fs::write(&file, stream.join("\n---\n")).unwrap();
        let (ok, report) = manifests(&[Path::new("validate"), &file]);
        assert!(!ok, "a {kind} with {misspelt} passed:\n{report}");
        assert!(report.contains("was unexpected"), "{report}");
    }
}

#[test]
fn the_policy_check_passes_with_every_exception_explained() {
    let config = root().join("k8s/.checkov.yaml");
    let text = std::fs::read_to_string(&config).unwrap();
    // Each skipped check has its reason in the comment right above it.
    let lines: Vec<&str> = text.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        if line.trim_start().starts_with("- CKV") {
            assert!(
                i > 0 && lines[i - 1].trim_start().starts_with('#'),
                "{} skips {} without a reason above it",
                config.display(),
                line.trim()
            );
        }
    }
    // Base has no namespace of its own (not deployable alone): the overlays are judged.
    let dir = Scratch::new("checkov");
    render_to(&dir.0, "overlays/dev", "dev.yaml");
    render_to(&dir.0, "overlays/prod", "prod.yaml");
    let output = Command::new(tool("checkov"))
        .arg("--config-file")
        .arg(&config)
        .arg("-d")
        .arg(&dir.0)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "checkov failed:\n{report}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(report.contains("Failed checks: 0"), "{report}");
}

// --- the NetworkPolicies, evaluated ----------------------------------------------------

/// A pod as NetworkPolicies see it: its namespace (with the namespace's labels), its own
/// labels, its address, and the port it serves.
#[derive(Debug, Clone)]
struct Pod {
    name: String,
    namespace: String,
    namespace_labels: BTreeMap<String, String>,
    labels: BTreeMap<String, String>,
    ip: Ipv4Addr,
    port: u16,
    protocol: &'static str,
}

fn label_map(value: &Value) -> BTreeMap<String, String> {
    value
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// Whether a label selector (`matchLabels`, `matchExpressions`) selects `labels`; an empty
/// selector selects everything.
fn selects(selector: &Value, labels: &BTreeMap<String, String>) -> bool {
    let by_label = label_map(&selector["matchLabels"])
        .iter()
        .all(|(k, v)| labels.get(k) == Some(v));
    let by_expression = selector["matchExpressions"]
        .as_array()
        .map(|expressions| {
            expressions.iter().all(|e| {
                let key = e["key"].as_str().unwrap();
                let values: Vec<&str> = e["values"]
                    .as_array()
                    .map(|v| v.iter().map(|x| x.as_str().unwrap()).collect())
                    .unwrap_or_default();
                match e["operator"].as_str().unwrap() {
                    "In" => labels
                        .get(key)
                        .is_some_and(|v| values.contains(&v.as_str())),
                    "NotIn" => !labels
                        .get(key)
                        .is_some_and(|v| values.contains(&v.as_str())),
                    "Exists" => labels.contains_key(key),
                    "DoesNotExist" => !labels.contains_key(key),
                    other => panic!("unknown operator {other}"),
                }
            })
        })
        .unwrap_or(true);
    by_label && by_expression
}

fn cidr_contains(cidr: &str, ip: Ipv4Addr) -> bool {
    let (net, bits) = cidr.split_once('/').unwrap();
    let net: Ipv4Addr = net.parse().unwrap();
    let bits: u32 = bits.parse().unwrap();
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(ip) & mask == u32::from(net) & mask
}

/// Whether a policy peer (`podSelector`, `namespaceSelector`, `ipBlock`) of a policy in
/// `policy_namespace` names `pod`.
fn peer_matches(peer: &Value, policy_namespace: &str, pod: &Pod) -> bool {
    if let Some(block) = peer.get("ipBlock") {
        let excepted = block["except"]
            .as_array()
            .is_some_and(|e| e.iter().any(|c| cidr_contains(c.as_str().unwrap(), pod.ip)));
        return cidr_contains(block["cidr"].as_str().unwrap(), pod.ip) && !excepted;
    }
    let namespace_ok = match peer.get("namespaceSelector") {
        Some(selector) => selects(selector, &pod.namespace_labels),
        None => pod.namespace == policy_namespace,
    };
    let pod_ok = peer
        .get("podSelector")
        .is_none_or(|s| selects(s, &pod.labels));
    namespace_ok && pod_ok
}

/// Whether a rule's `ports` admit `pod`'s serving port (none listed: every port).
fn port_matches(ports: &Value, pod: &Pod) -> bool {
    let Some(ports) = ports.as_array() else {
        return true;
    };
    ports.iter().any(|p| {
        let protocol = p["protocol"].as_str().unwrap_or("TCP");
        let port = p["port"].as_u64().expect("numeric ports only");
        let end = p["endPort"].as_u64().unwrap_or(port);
        protocol == pod.protocol && (port..=end).contains(&u64::from(pod.port))
    })
}

struct Policies {
    namespace: String,
    policies: Vec<Value>,
}

impl Policies {
    /// The policies of `kind` (`Ingress` or `Egress`) that select `pod`.
    fn isolating<'a>(&'a self, pod: &'a Pod, kind: &'a str) -> impl Iterator<Item = &'a Value> {
        self.policies.iter().filter(move |p| {
            pod.namespace == self.namespace
                && selects(&p["spec"]["podSelector"], &pod.labels)
                && p["spec"]["policyTypes"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|t| t == kind)
        })
    }

    /// Whether one direction's rules let the connection through. Pods outside the
    /// namespace, or not selected by any policy of that direction, are not isolated.
    fn direction_allows(&self, kind: &str, subject: &Pod, other: &Pod, target: &Pod) -> bool {
        let (field, peers) = if kind == "Ingress" {
            ("ingress", "from")
        } else {
            ("egress", "to")
        };
        let mut isolating = self.isolating(subject, kind).peekable();
        if isolating.peek().is_none() {
            return true;
        }
        isolating.any(|policy| {
            policy["spec"][field].as_array().is_some_and(|rules| {
                rules.iter().any(|rule| {
                    let peer_ok = rule[peers].as_array().is_none_or(|list| {
                        list.iter()
                            .any(|peer| peer_matches(peer, &self.namespace, other))
                    });
                    peer_ok && port_matches(&rule["ports"], target)
                })
            })
        })
    }

    /// Whether `from` may open a connection to `to`'s serving port: `from`'s egress and
    /// `to`'s ingress must both allow it.
    fn allows(&self, from: &Pod, to: &Pod) -> bool {
        self.direction_allows("Egress", from, to, to)
            && self.direction_allows("Ingress", to, from, to)
    }
}

/// The container's port named `name`, if it has one.
fn named_port(container: &Value, name: &str) -> Option<u16> {
    container["ports"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name)
        .map(|p| u16::try_from(p["containerPort"].as_u64().unwrap()).unwrap())
}

/// The port a container serves its callers on: the first but the health-only one.
fn serving_port(container: &Value) -> u16 {
    let port = container["ports"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] != "health")
        .unwrap();
    u16::try_from(port["containerPort"].as_u64().unwrap()).unwrap()
}

/// Every pod that matters to the call graph: the overlay's Deployments as rendered, the
/// operators' pods with the labels the operators give them, the ingress controller,
/// cluster DNS, a pod of another namespace, and addresses outside the cluster.
fn pods(all: &[Value]) -> (Policies, Vec<Pod>) {
    let namespace = all.iter().find(|o| o["kind"] == "Namespace").unwrap();
    let name = namespace["metadata"]["name"].as_str().unwrap().to_owned();
    let mut ns_labels = label_map(&namespace["metadata"]["labels"]);
    // Set by the API server on every namespace.
    ns_labels.insert("kubernetes.io/metadata.name".into(), name.clone());
    let other_ns =
        |n: &str| BTreeMap::from([("kubernetes.io/metadata.name".to_owned(), n.to_owned())]);
    // Pods take their addresses in the cluster's pod range: the overlay's, as the
    // gateway's trusted proxies (the ingress controller's pods) say it.
    let gateway_config = all
        .iter()
        .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "guichet-gateway")
        .unwrap();
    let pod_range = gateway_config["data"]["GUICHET__HTTP__TRUSTED_PROXIES"]
        .as_str()
        .unwrap()
        .split(',')
        .next()
        .unwrap();
    let base: Ipv4Addr = pod_range.split_once('/').unwrap().0.parse().unwrap();
    let mut next_ip = 10u32;
    let mut ip = || {
        next_ip += 1;
        let address = Ipv4Addr::from(u32::from(base) + next_ip);
        assert!(cidr_contains(pod_range, address));
        address
    };
    let mut pods = Vec::new();
    for deployment in all.iter().filter(|o| o["kind"] == "Deployment") {
        let template = &deployment["spec"]["template"];
        let port = serving_port(&template["spec"]["containers"][0]);
        pods.push(Pod {
            name: deployment["metadata"]["name"].as_str().unwrap().into(),
            namespace: name.clone(),
            namespace_labels: ns_labels.clone(),
            labels: label_map(&template["metadata"]["labels"]),
            ip: ip(),
            port,
            protocol: "TCP",
        });
    }
    let mut add = |pod_name: &str,
                   namespace: &str,
                   pod_labels: &[(&str, &str)],
                   port: u16,
                   protocol,
                   address| {
        let namespace_labels = if namespace == name {
            ns_labels.clone()
        } else {
            other_ns(namespace)
        };
        pods.push(Pod {
            name: pod_name.into(),
            namespace: namespace.into(),
            namespace_labels,
            labels: pod_labels
                .iter()
                .map(|(k, v)| ((*k).into(), (*v).into()))
                .collect(),
            ip: address,
            port,
            protocol,
        });
    };
    // CloudNativePG's instance pods.
    add(
        "postgres",
        &name,
        &[
            ("cnpg.io/cluster", "guichet-postgres"),
            ("cnpg.io/podRole", "instance"),
        ],
        5432,
        "TCP",
        ip(),
    );
    // The RabbitMQ Cluster Operator's pods.
    add(
        "rabbitmq",
        &name,
        &[
            ("app.kubernetes.io/name", "guichet-rabbitmq"),
            ("app.kubernetes.io/component", "rabbitmq"),
            ("app.kubernetes.io/part-of", "rabbitmq"),
        ],
        5672,
        "TCP",
        ip(),
    );
    // ingress-nginx's controller, from its pinned release's manifest.
    add(
        "ingress-controller",
        "ingress-nginx",
        &[
            ("app.kubernetes.io/name", "ingress-nginx"),
            ("app.kubernetes.io/component", "controller"),
            ("app.kubernetes.io/instance", "ingress-nginx"),
        ],
        443,
        "TCP",
        ip(),
    );
    add(
        "dns",
        "kube-system",
        &[("k8s-app", "kube-dns")],
        53,
        "UDP",
        ip(),
    );
    add(
        "elsewhere",
        "default",
        &[("app", "curious")],
        8080,
        "TCP",
        ip(),
    );
    // Outside the cluster: FranceConnect, the mail relay, the SMS provider, anything.
    let public = Ipv4Addr::new(198, 51, 100, 7);
    add("internet:443", "", &[], 443, "TCP", public);
    add("internet:587", "", &[], 587, "TCP", public);
    add("internet:5432", "", &[], 5432, "TCP", public);
    let policies = all
        .iter()
        .filter(|o| o["kind"] == "NetworkPolicy")
        .cloned()
        .collect();
    (
        Policies {
            namespace: name,
            policies,
        },
        pods,
    )
}

/// The platform's call graph: who connects to whom, nothing else.
fn intended() -> BTreeSet<(&'static str, &'static str)> {
    let services = [
        "guichet-identity",
        "guichet-teleservices",
        "guichet-complaints",
        "guichet-rapo",
        "guichet-notifications",
    ];
    let mut edges = BTreeSet::from([
        ("ingress-controller", "guichet-gateway"),
        ("guichet-gateway", "guichet-otel-collector"),
        // FranceConnect.
        ("guichet-identity", "internet:443"),
        // The mail relay and the SMS provider.
        ("guichet-notifications", "internet:587"),
        ("guichet-notifications", "internet:443"),
        // The collector's backend.
        ("guichet-otel-collector", "internet:443"),
        // Replication, clustering, the Kubernetes API and the backups' object store.
        ("postgres", "postgres"),
        ("postgres", "internet:443"),
        ("rabbitmq", "rabbitmq"),
        ("rabbitmq", "internet:443"),
    ]);
    for service in services {
        edges.insert(("guichet-gateway", service));
        edges.insert((service, "postgres"));
        edges.insert((service, "rabbitmq"));
        edges.insert((service, "guichet-otel-collector"));
        if service != "guichet-identity" {
            // Token keys, profiles, the links of identity's e-mails.
            edges.insert((service, "guichet-identity"));
        }
    }
    edges
}

fn check_call_graph(target: &str) {
    let all = objects(target);
    let (policies, pods) = pods(&all);
    let names: BTreeSet<&str> = pods.iter().map(|p| p.name.as_str()).collect();
    for edge in intended() {
        assert!(
            names.contains(edge.0) && names.contains(edge.1),
            "{target}: no pod for {edge:?}"
        );
    }
    let ours = |p: &Pod| p.namespace == policies.namespace;
    let mut wrong = Vec::new();
    for from in &pods {
        for to in &pods {
            // Connections between two pods outside the namespace are not ours to judge.
            if !ours(from) && !ours(to) {
                continue;
            }
            let allowed = policies.allows(from, to);
            // Every process of the namespace resolves names.
            let expected = intended().contains(&(from.name.as_str(), to.name.as_str()))
                || (to.name == "dns" && ours(from));
            if allowed != expected {
                wrong.push(format!(
                    "{} -> {}:{} is {} but should be {}",
                    from.name,
                    to.name,
                    to.port,
                    if allowed { "allowed" } else { "denied" },
                    if expected { "allowed" } else { "denied" },
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{target}:\n{}", wrong.join("\n"));

    // The same, said as the issue says it.
    let pod = |n: &str| pods.iter().find(|p| p.name == n).unwrap();
    let gateway = pod("guichet-gateway");
    let services: Vec<&Pod> = pods
        .iter()
        .filter(|p| {
            p.labels
                .get("app.kubernetes.io/component")
                .map(String::as_str)
                == Some("service")
        })
        .collect();
    assert_eq!(services.len(), 5, "{target}");
    for service in &services {
        assert!(
            policies.allows(gateway, service),
            "{target}: the gateway cannot reach {}",
            service.name
        );
        assert!(
            !policies.allows(service, gateway),
            "{target}: {} reaches the gateway",
            service.name
        );
    }
    let reaching_gateway: Vec<&str> = pods
        .iter()
        .filter(|p| policies.allows(p, gateway))
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(reaching_gateway, ["ingress-controller"], "{target}");

    // The health-only ports (plain text, for the kubelet's probes) are in no rule: no
    // other pod, in the namespace or out, reaches them. The kubelet probes from the pod's
    // own node, which NetworkPolicies always let through.
    let mut health_ports = 0;
    for deployment in all.iter().filter(|o| o["kind"] == "Deployment") {
        let name = deployment["metadata"]["name"].as_str().unwrap();
        let container = &deployment["spec"]["template"]["spec"]["containers"][0];
        let Some(health) = named_port(container, "health") else {
            continue;
        };
        let probed = Pod {
            port: health,
            ..pod(name).clone()
        };
        for from in pods.iter().filter(|p| p.name != name) {
            assert!(
                !policies.allows(from, &probed),
                "{target}: {} reaches {name}'s health port {health}",
                from.name
            );
        }
        health_ports += 1;
    }
    assert_eq!(health_ports, 5, "{target}: the services' health ports");
}

#[test]
fn the_network_policies_allow_exactly_the_call_graph_in_production() {
    check_call_graph("overlays/prod");
}

#[test]
fn the_network_policies_allow_exactly_the_call_graph_in_development() {
    check_call_graph("overlays/dev");
}

// --- the way in ------------------------------------------------------------------------

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    files
}

/// The number in the gateway's `const NAME: … = <expression>;`, wherever in
/// `gateway/src` it is, the expression being a product of integers
/// (`36 * 1024 * 1024`) or `Duration::from_secs(n)`.
fn gateway_constant(name: &str) -> u64 {
    let prefix = format!("const {name}:");
    let line = rust_files(&root().join("gateway/src"))
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(f)
                .unwrap()
                .lines()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .find(|l| l.trim_start().starts_with(&prefix))
        .unwrap_or_else(|| panic!("no const {name} in gateway/src"));
    let expression = line.split_once('=').unwrap().1.trim().trim_end_matches(';');
    let expression = expression
        .trim_start_matches("Duration::from_secs(")
        .trim_end_matches(')');
    expression
        .split('*')
        .map(|f| f.trim().replace('_', "").parse::<u64>().unwrap())
        .product()
}

fn annotation(ingress: &Value, key: &str) -> String {
    ingress["metadata"]["annotations"][format!("nginx.ingress.kubernetes.io/{key}")]
        .as_str()
        .unwrap_or_else(|| panic!("no {key} on {}", ingress["metadata"]["name"]))
        .to_owned()
}

fn megabytes(size: &str) -> u64 {
    size.strip_suffix('m').unwrap().parse::<u64>().unwrap() * 1024 * 1024
}

#[test]
fn the_ingress_streams_the_live_feed_and_takes_the_largest_upload_over_tls() {
    let heartbeat = gateway_constant("HEARTBEAT");
    let largest_body = gateway_constant("FILING_BODY");
    for target in ["overlays/dev", "overlays/prod"] {
        let all = objects(target);
        let ingresses: Vec<&Value> = all.iter().filter(|o| o["kind"] == "Ingress").collect();
        let routes = |i: &Value| {
            i["spec"]["rules"][0]["http"]["paths"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["path"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        let feed = ingresses
            .iter()
            .find(|i| routes(i).contains(&"/api/v1/agent/feed/stream".to_owned()))
            .unwrap_or_else(|| panic!("{target}: no Ingress for the live feed"));
        assert_eq!(annotation(feed, "proxy-buffering"), "off", "{target}");
        let read: u64 = annotation(feed, "proxy-read-timeout").parse().unwrap();
        assert!(
            read > 2 * heartbeat,
            "{target}: the feed's read timeout {read} s is within two heartbeats"
        );
        let main = ingresses
            .iter()
            .find(|i| routes(i).contains(&"/".to_owned()))
            .unwrap_or_else(|| panic!("{target}: no Ingress for /"));
        assert!(
            megabytes(&annotation(main, "proxy-body-size")) >= largest_body,
            "{target}"
        );
        for ingress in &ingresses {
            assert!(
                ingress["spec"]["tls"][0]["secretName"].is_string(),
                "{target}: no TLS"
            );
        }
        // The gateway trusts the ingress controller's addresses, and nobody when unset.
        let gateway_config = all
            .iter()
            .find(|o| o["kind"] == "ConfigMap" && o["metadata"]["name"] == "guichet-gateway")
            .unwrap();
        let trusted = gateway_config["data"]["GUICHET__HTTP__TRUSTED_PROXIES"]
            .as_str()
            .unwrap();
        assert!(
            !trusted.is_empty() && trusted.split(',').all(|c| c.contains('/')),
            "{target}: {trusted}"
        );
        // Pod Security "restricted" is enforced on the namespace.
        let namespace = all.iter().find(|o| o["kind"] == "Namespace").unwrap();
        for mode in ["enforce", "audit", "warn"] {
            assert_eq!(
                namespace["metadata"]["labels"][format!("pod-security.kubernetes.io/{mode}")],
                "restricted",
                "{target}"
            );
        }
    }
}

#[test]
fn every_process_outlives_its_longest_request_when_stopped() {
    for deployment in objects("overlays/prod")
        .iter()
        .filter(|o| o["kind"] == "Deployment")
    {
        let name = deployment["metadata"]["name"].as_str().unwrap();
        let spec = &deployment["spec"]["template"]["spec"];
        // The gateway's request deadline, as the manifest sets it or by default.
        let request_timeout =
            env_value(&spec["containers"][0], "GUICHET__TIMEOUTS__REQUEST_SECONDS")
                .map_or(guichet_gateway::Timeouts::default().request_seconds, |v| {
                    v.parse().unwrap()
                });
        let pre_stop = spec["containers"][0]["lifecycle"]["preStop"]["sleep"]["seconds"]
            .as_u64()
            .unwrap_or_else(|| panic!("{name} has no preStop sleep"));
        let grace = spec["terminationGracePeriodSeconds"].as_u64().unwrap();
        if name != "guichet-otel-collector" {
            assert!(
                grace > pre_stop + request_timeout,
                "{name}: {grace} s of grace"
            );
        }
        assert!(pre_stop >= 5, "{name}");
    }
}

/// The value of the container's variable `name`, written in the manifest.
fn env_value<'a>(container: &'a Value, name: &str) -> Option<&'a str> {
    container["env"]
        .as_array()?
        .iter()
        .find(|e| e["name"] == name)
        .map(|e| e["value"].as_str().unwrap())
}

#[test]
fn grpc_runs_over_tls_in_both_overlays_and_the_probes_reach_the_plain_health_port() {
    for target in ["overlays/dev", "overlays/prod"] {
        let all = objects(target);
        let of_kind = |kind: &'static str| all.iter().filter(move |o| o["kind"] == kind);
        let certificates: BTreeMap<&str, &Value> = of_kind("Certificate")
            .map(|o| (o["spec"]["secretName"].as_str().unwrap(), o))
            .collect();
        // The services' certificates come from the private CA, itself made by cert-manager.
        let ca_issuer = of_kind("Issuer")
            .find(|i| i["metadata"]["name"] == "guichet-grpc")
            .unwrap_or_else(|| panic!("{target}: no gRPC CA issuer"));
        let ca_secret = ca_issuer["spec"]["ca"]["secretName"].as_str().unwrap();
        assert_eq!(
            certificates[ca_secret]["spec"]["isCA"], true,
            "{target}: {ca_secret}"
        );
        let mut services = 0;
        for deployment in of_kind("Deployment") {
            let name = deployment["metadata"]["name"].as_str().unwrap();
            if name == "guichet-otel-collector" {
                continue;
            }
            let spec = &deployment["spec"]["template"]["spec"];
            let container = &spec["containers"][0];
            let volume = spec["volumes"]
                .as_array()
                .unwrap()
                .iter()
                .find(|v| v["name"] == "grpc-tls")
                .unwrap_or_else(|| panic!("{target}: {name} mounts no certificate"));
            let secret_name = volume["secret"]["secretName"].as_str().unwrap();
            assert_eq!(secret_name, format!("{name}-grpc-tls"), "{target}");
            let certificate = certificates
                .get(secret_name)
                .unwrap_or_else(|| panic!("{target}: no Certificate makes {secret_name}"));
            assert_eq!(
                certificate["spec"]["issuerRef"]["name"], "guichet-grpc",
                "{target}: {name}"
            );
            // The certificate is for the name the callers' URLs use.
            assert_eq!(certificate["spec"]["dnsNames"], json!([name]), "{target}");
            let mount = container["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["name"] == "grpc-tls")
                .unwrap_or_else(|| panic!("{target}: {name} does not mount grpc-tls"))["mountPath"]
                .as_str()
                .unwrap();
            // Each variable names a key of the Secret cert-manager writes, where it is
            // mounted.
            let from_secret = |variable: &str, key: &str| {
                assert_eq!(
                    env_value(container, variable),
                    Some(format!("{mount}/{key}").as_str()),
                    "{target}: {name}'s {variable}"
                );
            };
            from_secret("GUICHET__GRPC__TLS_CA", "ca.crt");
            if name == "guichet-gateway" {
                // It serves no gRPC: the CA alone is mounted, never a key.
                assert_eq!(
                    volume["secret"]["items"],
                    json!([{"key": "ca.crt", "path": "ca.crt"}]),
                    "{target}"
                );
                for variable in ["GUICHET__GRPC__TLS_CERT", "GUICHET__GRPC__TLS_KEY"] {
                    assert_eq!(env_value(container, variable), None, "{target}: {variable}");
                }
                continue;
            }
            services += 1;
            assert!(volume["secret"]["items"].is_null(), "{target}: {name}");
            from_secret("GUICHET__GRPC__TLS_CERT", "tls.crt");
            from_secret("GUICHET__GRPC__TLS_KEY", "tls.key");
            // The kubelet's gRPC probes (plain text) go to the health-only port the
            // service opens, not to its TLS port.
            let health: u16 = env_value(container, "GUICHET__GRPC__HEALTH_PORT")
                .unwrap_or_else(|| panic!("{target}: {name} has no health port"))
                .parse()
                .unwrap();
            assert_eq!(
                named_port(container, "health"),
                Some(health),
                "{target}: {name}"
            );
            assert_ne!(serving_port(container), health, "{target}: {name}");
            for probe in ["startupProbe", "readinessProbe", "livenessProbe"] {
                assert_eq!(
                    container[probe]["grpc"]["port"].as_u64(),
                    Some(u64::from(health)),
                    "{target}: {name}'s {probe}"
                );
            }
            // Callers never see it: the Service names the TLS port alone.
            let service = of_kind("Service")
                .find(|s| s["metadata"]["name"] == name)
                .unwrap();
            for port in service["spec"]["ports"].as_array().unwrap() {
                assert_ne!(port["port"].as_u64(), Some(u64::from(health)), "{target}");
            }
        }
        assert_eq!(services, 5, "{target}");
    }
}
