//! The DNS fixture of hermetic mode: a real authoritative DNS server (hickory-server) on
//! 127.0.0.1:53 inside the grader's own network namespace, answering a zone whose names are
//! fresh for every run (random labels from the seed), so nothing can be hard-coded:
//!
//! - `web`: a random 127.x.y.z and ::1, shaped like `localhost` but fresh every run, so that
//!   not even the addresses can be printed in advance (lab03's main URL);
//! - `multi`: two A records and one AAAA record (several addresses, IPv6 kept, duplicates);
//! - `alias`: a CNAME to `multi`;
//! - `fallback`: four loopback A records, only one of which serves (lab03): the driver picks
//!   one that is neither the resolver's first nor the first or last in sorted order (the
//!   octets are all three digits long, so sorting as text and as numbers agree), so that no
//!   shortcut (first address only, sorted, reversed) reaches it by luck;
//! - any other name under the fixture domain: NXDOMAIN.
//!
//! It also serves `localhost` (127.0.0.1 and ::1), which hermetic mode's hosts file leaves
//! out: with `localhost` on both a 127.0.0.1 and a ::1 line of a hosts file, glibc's
//! `gethostbyname_ex("localhost")` returns 127.0.0.1 twice (it maps ::1 to 127.0.0.1 for
//! IPv4 look-ups), and a correct program would fail `no_duplicates`. From DNS, every common
//! call gives each address once, and `getaddrinfo` still gives both.
//!
//! The addresses of `multi` are documentation ranges (TEST-NET-2/3, 2001:db8::/32): printed,
//! never contacted, and unroutable from inside the namespace anyway.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use hickory_server::Server;
use hickory_server::net::runtime::TokioRuntimeProvider;
use hickory_server::proto::rr::LowerName;
use hickory_server::proto::serialize::txt::Parser;
use hickory_server::store::in_memory::InMemoryZoneHandler;
use hickory_server::zone_handler::{AxfrPolicy, Catalog, ZoneType};

use crate::rng::Rng;

/// The fixture's domain: `.test` is reserved (RFC 6761) and never delegated.
pub const DOMAIN: &str = "netgrade.test";

/// The names and addresses of one run's zone.
#[derive(Clone, Debug)]
pub struct Zone {
    pub web: String,
    pub web_v4: Ipv4Addr,
    pub multi: String,
    pub alias: String,
    pub missing: String,
    pub fallback: String,
    pub multi_v4: [Ipv4Addr; 2],
    pub multi_v6: Ipv6Addr,
    /// `fallback`'s addresses in zone order; the lab03 driver chooses which one serves.
    pub fallback_v4: [Ipv4Addr; 4],
}

impl Zone {
    pub fn random(rng: &mut Rng) -> Zone {
        let label = |rng: &mut Rng, kind: &str| format!("{kind}-{}.{DOMAIN}", rng.token(8));
        Zone {
            web: label(rng, "web"),
            web_v4: rng.loopback_v4(),
            multi: label(rng, "multi"),
            alias: label(rng, "alias"),
            missing: label(rng, "missing"),
            fallback: label(rng, "fallback"),
            multi_v4: [
                Ipv4Addr::new(203, 0, 113, rng.range(1, 254) as u8),
                Ipv4Addr::new(198, 51, 100, rng.range(1, 254) as u8),
            ],
            multi_v6: Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, rng.range(1, 0xfffe) as u16),
            fallback_v4: fallback_addresses(rng),
        }
    }

    /// The zone in zone-file syntax.
    pub fn text(&self) -> String {
        let [a1, a2] = self.multi_v4;
        let fallback: String = self
            .fallback_v4
            .iter()
            .map(|ip| format!("{}. 60 IN A {ip}\n", self.fallback))
            .collect();
        format!(
            "$ORIGIN {DOMAIN}.\n\
             @ 60 IN SOA ns.{DOMAIN}. admin.{DOMAIN}. 1 3600 600 86400 60\n\
             @ 60 IN NS ns.{DOMAIN}.\n\
             ns 60 IN A 127.0.0.1\n\
             {web}. 60 IN A {web_v4}\n\
             {web}. 60 IN AAAA ::1\n\
             {m}. 60 IN A {a1}\n\
             {m}. 60 IN A {a2}\n\
             {m}. 60 IN AAAA {v6}\n\
             {alias}. 60 IN CNAME {m}.\n\
             {fallback}",
            web = self.web,
            web_v4 = self.web_v4,
            m = self.multi,
            v6 = self.multi_v6,
            alias = self.alias,
        )
    }
}

/// The `localhost.` zone: what a hosts file would say, once each.
const LOCALHOST_ZONE: &str = "$ORIGIN localhost.\n\
    localhost. 60 IN SOA localhost. admin.localhost. 1 3600 600 86400 60\n\
    localhost. 60 IN NS localhost.\n\
    localhost. 60 IN A 127.0.0.1\n\
    localhost. 60 IN AAAA ::1\n";

/// Four distinct loopback addresses whose octets all have three digits (100-254), so that
/// sorting them as text or as numbers gives the same order.
fn fallback_addresses(rng: &mut Rng) -> [Ipv4Addr; 4] {
    let mut out: Vec<Ipv4Addr> = Vec::with_capacity(4);
    while out.len() < 4 {
        let mut octet = || rng.range(100, 254) as u8;
        let ip = Ipv4Addr::new(127, octet(), octet(), octet());
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    [out[0], out[1], out[2], out[3]]
}

#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error("the fixture zone does not parse: {0}")]
    Zone(String),
    #[error("failed to listen on {addr} for the DNS fixture: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
}

/// A running fixture; it stops when dropped.
pub struct DnsFixture {
    _server: Server<Catalog>,
    addr: SocketAddr,
}

impl DnsFixture {
    /// Where it answers (UDP and TCP on the same port).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Adds the zone `text` (origin `origin`) to `catalog`.
fn add_zone(catalog: &mut Catalog, origin: &str, text: String) -> Result<(), FixtureError> {
    let origin = hickory_server::proto::rr::Name::from_ascii(origin)
        .map_err(|e| FixtureError::Zone(e.to_string()))?;
    let (origin, records) = Parser::new(text, None, Some(origin))
        .parse()
        .map_err(|e| FixtureError::Zone(e.to_string()))?;
    let handler = InMemoryZoneHandler::<TokioRuntimeProvider>::new(
        origin.clone(),
        records,
        ZoneType::Primary,
        AxfrPolicy::Deny,
    )
    .map_err(FixtureError::Zone)?;
    catalog.upsert(LowerName::new(&origin), vec![Arc::new(handler)]);
    Ok(())
}

/// Serves `zone` (and `localhost`) on `addr` over UDP and TCP.
pub async fn serve(zone: &Zone, addr: SocketAddr) -> Result<DnsFixture, FixtureError> {
    let mut catalog = Catalog::new();
    add_zone(&mut catalog, &format!("{DOMAIN}."), zone.text())?;
    add_zone(&mut catalog, "localhost.", LOCALHOST_ZONE.to_string())?;
    let mut server = Server::new(catalog);
    let bind = |source| FixtureError::Bind { addr, source };
    let udp = tokio::net::UdpSocket::bind(addr).await.map_err(bind)?;
    // TCP on the UDP socket's port (port 0 in tests picks one for both).
    let addr = udp.local_addr().map_err(bind)?;
    server.register_socket(udp);
    let bind = |source| FixtureError::Bind { addr, source };
    server.register_listener(
        tokio::net::TcpListener::bind(addr).await.map_err(bind)?,
        Duration::from_secs(5),
        4096,
    );
    Ok(DnsFixture {
        _server: server,
        addr,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A minimal DNS query for `name`, type A, class IN.
    fn query(id: u16, name: &str) -> Vec<u8> {
        let mut q = id.to_be_bytes().to_vec();
        q.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        for label in name.trim_end_matches('.').split('.') {
            q.push(label.len() as u8);
            q.extend_from_slice(label.as_bytes());
        }
        q.extend_from_slice(&[0, 0, 1, 0, 1]);
        q
    }

    /// Garbage datagrams sprayed at the fixture (a student's program may do it) change
    /// nothing: it still answers a real query afterwards.
    #[tokio::test]
    async fn garbage_datagrams_change_nothing() {
        let zone = Zone::random(&mut Rng::new(5));
        let fixture = serve(&zone, (std::net::Ipv4Addr::LOCALHOST, 0).into())
            .await
            .unwrap();
        let c = tokio::net::UdpSocket::bind((std::net::Ipv4Addr::LOCALHOST, 0))
            .await
            .unwrap();
        c.connect(fixture.addr()).await.unwrap();
        let mut rng = Rng::new(9);
        for i in 0..500usize {
            let len = (rng.next_u64() % 600) as usize + (i % 3);
            let junk: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
            let _ = c.send(&junk).await;
        }
        let mut buf = [0u8; 1500];
        // Drain whatever error answers came back, then ask for real.
        while let Ok(Ok(_)) =
            tokio::time::timeout(Duration::from_millis(50), c.recv(&mut buf)).await
        {}
        c.send(&query(0xbeef, "localhost.")).await.unwrap();
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            let n = tokio::time::timeout_at(deadline, c.recv(&mut buf))
                .await
                .expect("an answer in time")
                .unwrap();
            if buf[..2] == [0xbe, 0xef] {
                assert_eq!(buf[3] & 0x0f, 0, "rcode NOERROR");
                assert_eq!(u16::from_be_bytes([buf[6], buf[7]]), 1, "one A record");
                assert!(n > 12);
                break;
            }
        }
    }
}
