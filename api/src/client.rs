//! Who is asking: the client's address, for the limits that apply per client (forms, exports).
//!
//! Behind a trusted reverse proxy (`--trust-forwarded`), the address is the rightmost entry of
//! `X-Forwarded-For` (or the last `for=` of `Forwarded`): the one our proxy appended, which the
//! client cannot forge — entries to its left are whatever the client sent. Otherwise it is the
//! peer of the TCP connection. IPv6 clients are counted per /64, the block one subscriber
//! usually holds, so rotating addresses inside it does not multiply an allowance.

use actix_web::HttpRequest;
use actix_web::http::header::HeaderMap;
use std::net::{IpAddr, Ipv6Addr};

/// The client's address, as described in the module's documentation.
pub fn address(req: &HttpRequest, trust_forwarded: bool) -> IpAddr {
    trust_forwarded
        .then(|| forwarded_for(req.headers()))
        .flatten()
        .or_else(|| req.peer_addr().map(|a| a.ip()))
        .unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// The rightmost address named by `X-Forwarded-For`, else by `Forwarded`.
fn forwarded_for(headers: &HeaderMap) -> Option<IpAddr> {
    let last_of = |name: &str| -> Option<String> {
        // Several header lines form one list, in order.
        headers
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .rfind(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(last) = last_of("x-forwarded-for") {
        return parse_node(&last);
    }
    let last = last_of("forwarded")?;
    let node = last
        .split(';')
        .find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            key.trim()
                .eq_ignore_ascii_case("for")
                .then_some(value.trim())
        })?
        .trim_matches('"');
    parse_node(node)
}

/// An address as proxies write it: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`,
/// `2001:db8::1`.
fn parse_node(raw: &str) -> Option<IpAddr> {
    if let Ok(ip) = raw.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = raw.strip_prefix('[') {
        return rest.split_once(']')?.0.parse().ok();
    }
    raw.rsplit_once(':')?.0.parse().ok()
}

/// What a per-client limit counts: the IPv4 address, or the IPv6 /64 (IPv4-mapped IPv6
/// addresses count as their IPv4 address).
pub fn network(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    fn request(headers: &[(&str, &str)]) -> HttpRequest {
        let mut req = TestRequest::default().peer_addr("203.0.113.9:5555".parse().unwrap());
        for (name, value) in headers {
            req = req.append_header((*name, *value));
        }
        req.to_http_request()
    }

    #[test]
    fn the_rightmost_forwarded_hop_is_the_client_and_the_leftmost_is_ignored() {
        let req = request(&[("X-Forwarded-For", "1.2.3.4, 198.51.100.7")]);
        assert_eq!(
            address(&req, true),
            "198.51.100.7".parse::<IpAddr>().unwrap()
        );
        // Without trust, the proxy's headers mean nothing.
        assert_eq!(
            address(&req, false),
            "203.0.113.9".parse::<IpAddr>().unwrap()
        );
        let req = request(&[(
            "Forwarded",
            "for=1.2.3.4, for=\"[2001:db8::7]:4711\";proto=https",
        )]);
        assert_eq!(
            address(&req, true),
            "2001:db8::7".parse::<IpAddr>().unwrap()
        );
    }

    #[test]
    fn ipv6_clients_count_per_64() {
        let a = network("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = network("2001:db8:1:2:bbbb::9".parse().unwrap());
        let c = network("2001:db8:1:3::1".parse().unwrap());
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            network("::ffff:192.0.2.1".parse().unwrap()),
            "192.0.2.1".parse::<IpAddr>().unwrap()
        );
    }
}
