//! The client's address as every limit and throttle sees it. Behind a reverse proxy the
//! TCP peer is the proxy, shared by the whole city: when — and only when — the peer is
//! one of the configured trusted proxies, the address comes from the `Forwarded`
//! (RFC 7239) or `X-Forwarded-For` header it added. Anyone else's headers are ignored, so
//! a client cannot choose the address it is counted under.

use std::{
    net::{IpAddr, SocketAddr},
    sync::Arc,
};

use anyhow::Context as _;
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use http::{HeaderMap, HeaderName, header::FORWARDED};
use ipnet::IpNet;

/// The reverse proxies whose forwarding headers are believed.
#[derive(Debug, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Addresses (`10.1.2.3`) or blocks (`10.0.0.0/8`); a typo stops the gateway at
    /// start rather than silently trusting nobody.
    pub fn parse(entries: &[String]) -> anyhow::Result<Self> {
        entries
            .iter()
            .map(|entry| entry.trim())
            // An empty setting (`GUICHET__HTTP__TRUSTED_PROXIES=""`) trusts nobody.
            .filter(|entry| !entry.is_empty())
            .map(|entry| {
                entry
                    .parse::<IpNet>()
                    .or_else(|_| entry.parse::<IpAddr>().map(IpNet::from))
                    .with_context(|| {
                        format!("http.trusted_proxies: {entry:?} is no address or CIDR block")
                    })
            })
            .collect::<anyhow::Result<_>>()
            .map(Self)
    }

    pub(crate) fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`: walking the forwarding chain from the nearest hop, the
    /// first address that is not a trusted proxy. A hop that cannot be read (`unknown`,
    /// an obfuscated name) ends the walk at the last hop known.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer;
        if !self.trusts(peer) {
            return client;
        }
        for hop in forwarded_for(headers).iter().rev() {
            match hop {
                Some(address) => {
                    client = *address;
                    if !self.trusts(client) {
                        break;
                    }
                }
                None => break,
            }
        }
        client
    }
}

/// The comma-separated elements of every `name` header, in order, blanks left out.
pub(crate) fn header_elements(headers: &HeaderMap, name: HeaderName) -> Vec<String> {
    headers
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The chain of client addresses, farthest first: `Forwarded`'s `for=` when present (the
/// standard), else `X-Forwarded-For`. `None` for a hop that is not an address.
fn forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    let values = |name| header_elements(headers, name);
    let forwarded = values(FORWARDED);
    if !forwarded.is_empty() {
        return forwarded
            .iter()
            .map(|element| forwarded_param(element, "for").and_then(node_address))
            .collect();
    }
    values(HeaderName::from_static("x-forwarded-for"))
        .iter()
        .map(|hop| node_address(hop))
        .collect()
}

/// The value of parameter `name` (`for`, `proto`) in one element of `Forwarded`, its
/// quotes removed.
pub(crate) fn forwarded_param<'a>(element: &'a str, name: &str) -> Option<&'a str> {
    element
        .split(';')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case(name))
        .map(|(_, value)| value.trim().trim_matches('"'))
}

/// An address from a node: `192.0.2.60`, `"192.0.2.60:4711"`, `"[2001:db8::17]:4711"`.
fn node_address(node: &str) -> Option<IpAddr> {
    let node = node.trim().trim_matches('"');
    if let Ok(address) = node.parse::<IpAddr>() {
        return Some(address);
    }
    if let Ok(socket) = node.parse::<SocketAddr>() {
        return Some(socket.ip());
    }
    // A bracketed IPv6 address without port.
    node.strip_prefix('[')
        .and_then(|n| n.strip_suffix(']'))
        .and_then(|n| n.parse().ok())
}

/// Middleware: replaces the connection's peer address by the real client's, so every
/// handler, limit and login throttle downstream counts the resident, not the proxy.
pub async fn real_address(
    State(proxies): State<Arc<TrustedProxies>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(ConnectInfo(peer)) = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .copied()
    {
        let client = proxies.client(peer.ip(), request.headers());
        if client != peer.ip() {
            // The client's port is unknown: keep the connection's, it is never used.
            request
                .extensions_mut()
                .insert(ConnectInfo(SocketAddr::new(client, peer.port())));
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in pairs {
            headers.append(*name, value.parse().unwrap_or_else(|_| unreachable!()));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn an_untrusted_peer_cannot_choose_its_address() {
        let proxies = TrustedProxies::default();
        let forged = headers(&[("x-forwarded-for", "203.0.113.7")]);
        assert_eq!(
            proxies.client(ip("198.51.100.1"), &forged),
            ip("198.51.100.1")
        );
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_forged_hops_before_it_are_ignored() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".to_owned(), "192.168.1.1".to_owned()])
            .unwrap_or_default();
        // The client sent a forged header; the ingress appended the address it saw.
        let chain = headers(&[("x-forwarded-for", "1.2.3.4, 203.0.113.7, 10.0.0.5")]);
        assert_eq!(proxies.client(ip("10.0.0.9"), &chain), ip("203.0.113.7"));
        let standard = headers(&[(
            "forwarded",
            r#"for=1.2.3.4, for="[2001:db8::17]:4711";proto=https"#,
        )]);
        assert_eq!(
            proxies.client(ip("192.168.1.1"), &standard),
            ip("2001:db8::17")
        );
        let unknown = headers(&[("forwarded", "for=unknown")]);
        assert_eq!(proxies.client(ip("10.0.0.9"), &unknown), ip("10.0.0.9"));
        assert!(TrustedProxies::parse(&["10.0.0.0/33".to_owned()]).is_err());
        let nobody = TrustedProxies::parse(&[String::new()]).unwrap_or_default();
        assert!(!nobody.trusts(ip("10.0.0.9")));
    }
}
