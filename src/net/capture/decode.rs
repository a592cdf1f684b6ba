//! What a captured frame is, in a few words: addresses and ports, UDP or TCP (with its flags),
//! how many payload bytes and the first of them, and for TLS the records it starts with (a
//! ClientHello with its server name, an alert). Frames come from `lo`, so they carry an
//! Ethernet header of zeros; anything this cannot read is kept as "other", never an error:
//! the bytes are a student's.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

/// How many payload bytes a summary keeps (the timeline shows their start).
pub const START_KEPT: usize = 32;

/// One frame, summarized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub transport: Transport,
    /// Payload bytes (UDP data, TCP segment data).
    pub payload_len: usize,
    /// The first payload bytes, at most [`START_KEPT`].
    pub start: Vec<u8>,
    /// TLS records the payload begins with, when it looks like TLS.
    pub tls: Vec<Record>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    Udp,
    Tcp(TcpFlags),
    /// An ICMP (or ICMPv6) error about a datagram, `Unreachable` with its code: the addresses
    /// and ports are the datagram's, turned round (the error goes back to its sender).
    Unreachable {
        code: u8,
    },
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
}

/// A TLS record, as far as it can be read without keys.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Record {
    /// A ClientHello and the server name it asks for (SNI), if any.
    ClientHello {
        sni: Option<String>,
    },
    ServerHello,
    /// Another handshake message sent in the clear (TLS 1.2's Certificate, ...).
    Handshake(u8),
    /// An alert in the clear (TLS 1.2, or before the keys): its level and description.
    Alert {
        fatal: bool,
        description: u8,
    },
    ChangeCipherSpec,
    /// Application data, or anything TLS 1.3 encrypts (its handshake and its alerts too).
    Encrypted,
}

/// Reads an Ethernet frame from `lo`; `None` for anything but IPv4/IPv6 with UDP or TCP.
pub fn frame(data: &[u8]) -> Option<Frame> {
    let ethertype = u16::from_be_bytes([*data.get(12)?, *data.get(13)?]);
    let ip = data.get(14..)?;
    let (src_ip, dst_ip, protocol, transport) = match ethertype {
        0x0800 => {
            let ihl = usize::from(ip.first()? & 0x0f) * 4;
            let total = usize::from(u16::from_be_bytes([*ip.get(2)?, *ip.get(3)?]));
            let src = Ipv4Addr::new(*ip.get(12)?, *ip.get(13)?, *ip.get(14)?, *ip.get(15)?);
            let dst = Ipv4Addr::new(*ip.get(16)?, *ip.get(17)?, *ip.get(18)?, *ip.get(19)?);
            // A frame cut by the snap length still names its addresses and ports.
            let end = total.clamp(ihl, ip.len());
            (
                IpAddr::V4(src),
                IpAddr::V4(dst),
                *ip.get(9)?,
                ip.get(ihl..end)?,
            )
        }
        0x86dd => {
            let len = usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?]));
            let src: [u8; 16] = ip.get(8..24)?.try_into().ok()?;
            let dst: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            let end = (40 + len).min(ip.len());
            (
                IpAddr::V6(Ipv6Addr::from(src)),
                IpAddr::V6(Ipv6Addr::from(dst)),
                *ip.get(6)?,
                ip.get(40..end)?,
            )
        }
        _ => return None,
    };
    let port = |b: &[u8], at: usize| -> Option<u16> {
        Some(u16::from_be_bytes([*b.get(at)?, *b.get(at + 1)?]))
    };
    // ICMP destination unreachable (type 3; ICMPv6 type 1) quotes the datagram it refuses:
    // its header follows (8 bytes of ICMP, then the quoted IP header and ports).
    let unreachable = match (protocol, transport.first()) {
        (1, Some(3)) => Some(ihl_of(transport.get(8..)?)?),
        (58, Some(1)) => Some(40),
        _ => None,
    };
    if let Some(quoted_ip) = unreachable {
        let quoted = transport.get(8 + quoted_ip..)?;
        return Some(Frame {
            // The quoted datagram went dst -> src; the error comes back to its sender.
            src: SocketAddr::new(dst_ip, port(quoted, 2)?),
            dst: SocketAddr::new(src_ip, port(quoted, 0)?),
            transport: Transport::Unreachable {
                code: *transport.get(1)?,
            },
            payload_len: 0,
            start: Vec::new(),
            tls: Vec::new(),
        });
    }
    let (sport, dport) = (port(transport, 0)?, port(transport, 2)?);
    let (kind, payload) = match protocol {
        17 => (Transport::Udp, transport.get(8..).unwrap_or_default()),
        6 => {
            let offset = usize::from(transport.get(12)? >> 4) * 4;
            let f = transport.get(13)?;
            let flags = TcpFlags {
                fin: f & 0x01 != 0,
                syn: f & 0x02 != 0,
                rst: f & 0x04 != 0,
                ack: f & 0x10 != 0,
            };
            (
                Transport::Tcp(flags),
                transport.get(offset..).unwrap_or_default(),
            )
        }
        _ => return None,
    };
    let tls = match kind {
        Transport::Tcp(_) => records(payload),
        Transport::Udp | Transport::Unreachable { .. } => Vec::new(),
    };
    Some(Frame {
        src: SocketAddr::new(src_ip, sport),
        dst: SocketAddr::new(dst_ip, dport),
        transport: kind,
        payload_len: payload.len(),
        start: payload[..payload.len().min(START_KEPT)].to_vec(),
        tls,
    })
}

/// The header length of a quoted IPv4 header.
fn ihl_of(ip: &[u8]) -> Option<usize> {
    Some(usize::from(ip.first()? & 0x0f) * 4)
}

/// The TLS records a TCP payload starts with: only when it starts with a record header (a
/// segment from the middle of a record is not read), at most 8.
fn records(mut p: &[u8]) -> Vec<Record> {
    let mut out = Vec::new();
    while out.len() < 8 && p.len() >= 5 {
        let (kind, major, minor) = (p[0], p[1], p[2]);
        let len = usize::from(u16::from_be_bytes([p[3], p[4]]));
        if !(20..=23).contains(&kind) || major != 3 || minor > 4 || len > (1 << 14) + 2048 {
            break;
        }
        let body = &p[5..(5 + len).min(p.len())];
        out.push(match kind {
            20 => Record::ChangeCipherSpec,
            21 if body.len() >= 2 => Record::Alert {
                fatal: body[0] == 2,
                description: body[1],
            },
            22 => match body.first() {
                Some(1) => Record::ClientHello { sni: sni(body) },
                Some(2) => Record::ServerHello,
                Some(&t) => Record::Handshake(t),
                None => break,
            },
            _ => Record::Encrypted,
        });
        if p.len() < 5 + len {
            break;
        }
        p = &p[5 + len..];
    }
    out
}

/// The server name of a ClientHello (handshake message `m`, starting at its type byte).
fn sni(m: &[u8]) -> Option<String> {
    // type(1) length(3) version(2) random(32)
    let mut at = 1 + 3 + 2 + 32;
    let session = usize::from(*m.get(at)?);
    at += 1 + session;
    let suites = usize::from(u16::from_be_bytes([*m.get(at)?, *m.get(at + 1)?]));
    at += 2 + suites;
    let compression = usize::from(*m.get(at)?);
    at += 1 + compression;
    let ext_len = usize::from(u16::from_be_bytes([*m.get(at)?, *m.get(at + 1)?]));
    at += 2;
    let end = (at + ext_len).min(m.len());
    while at + 4 <= end {
        let kind = u16::from_be_bytes([m[at], m[at + 1]]);
        let len = usize::from(u16::from_be_bytes([m[at + 2], m[at + 3]]));
        let body = m.get(at + 4..at + 4 + len)?;
        if kind == 0 {
            // server_name_list(2) type(1) name_len(2) name
            let name_len = usize::from(u16::from_be_bytes([*body.get(3)?, *body.get(4)?]));
            let name = body.get(5..5 + name_len)?;
            return Some(String::from_utf8_lossy(name).into_owned());
        }
        at += 4 + len;
    }
    None
}

/// An alert's name as the TLS standard calls it (`unknown_ca`).
pub fn alert_name(description: u8) -> String {
    match description {
        0 => "close_notify".into(),
        10 => "unexpected_message".into(),
        20 => "bad_record_mac".into(),
        40 => "handshake_failure".into(),
        42 => "bad_certificate".into(),
        43 => "unsupported_certificate".into(),
        44 => "certificate_revoked".into(),
        45 => "certificate_expired".into(),
        46 => "certificate_unknown".into(),
        47 => "illegal_parameter".into(),
        48 => "unknown_ca".into(),
        50 => "decode_error".into(),
        51 => "decrypt_error".into(),
        70 => "protocol_version".into(),
        80 => "internal_error".into(),
        90 => "user_canceled".into(),
        112 => "unrecognized_name".into(),
        116 => "certificate_required".into(),
        120 => "no_application_protocol".into(),
        other => format!("alert {other}"),
    }
}

/// Frames built by hand, for the tests here and in `timeline`.
#[cfg(test)]
pub(crate) mod tests_support {
    use std::net::Ipv6Addr;

    /// An Ethernet+IPv4+UDP frame from 127.0.0.1:`sport` to 127.0.0.1:`dport`.
    pub(crate) fn udp4(sport: u16, dport: u16, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 8 + payload.len()) as u16;
        f.extend_from_slice(&[0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 17, 0, 0]);
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&[127, 0, 0, 1, 127, 0, 0, 1]);
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[0, 0]);
        f.extend_from_slice(payload);
        f
    }

    /// An Ethernet+IPv6+TCP frame with `flags` (the TCP flag byte).
    pub(crate) fn tcp6(sport: u16, dport: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x86, 0xdd]);
        f.extend_from_slice(&[0x60, 0, 0, 0]);
        f.extend_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        f.extend_from_slice(&[6, 64]);
        f.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        f.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        f.extend_from_slice(&sport.to_be_bytes());
        f.extend_from_slice(&dport.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 0, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0]);
        f.extend_from_slice(payload);
        f
    }
}

#[cfg(test)]
mod tests {
    use super::tests_support::{tcp6, udp4};
    use super::*;

    #[test]
    fn udp_and_tcp_frames_are_read() {
        let f = frame(&udp4(4000, 5000, b"hello")).unwrap();
        assert_eq!(f.src, "127.0.0.1:4000".parse().unwrap());
        assert_eq!(f.dst, "127.0.0.1:5000".parse().unwrap());
        assert_eq!((f.transport, f.payload_len), (Transport::Udp, 5));
        assert_eq!(f.start, b"hello");
        let f = frame(&tcp6(4000, 5000, 0x12, b"")).unwrap();
        assert_eq!(f.src, "[::1]:4000".parse().unwrap());
        let Transport::Tcp(flags) = f.transport else {
            panic!("{f:?}")
        };
        assert!(flags.syn && flags.ack && !flags.fin && !flags.rst);
        // Anything else: not read, never a panic.
        assert_eq!(frame(&[0u8; 10]), None);
        assert_eq!(frame(&udp4(1, 2, b"x")[..30]), None);
    }

    #[test]
    fn a_port_unreachable_error_names_the_datagram_turned_round() {
        // The grader's datagram 127.0.0.1:40000 -> :6789, refused: ICMP type 3, code 3,
        // quoting the datagram's IP header and ports.
        let datagram = udp4(40000, 6789, b"hi");
        let mut icmp = vec![3, 3, 0, 0, 0, 0, 0, 0];
        icmp.extend_from_slice(&datagram[14..14 + 28]);
        let mut f = udp4(0, 0, b"");
        f.truncate(14 + 20);
        f[23] = 1; // protocol ICMP
        let total = (20 + icmp.len()) as u16;
        f[16..18].copy_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&icmp);
        let f = frame(&f).unwrap();
        assert_eq!(f.transport, Transport::Unreachable { code: 3 });
        assert_eq!(f.src, "127.0.0.1:6789".parse().unwrap());
        assert_eq!(f.dst, "127.0.0.1:40000".parse().unwrap());
    }

    #[test]
    fn tls_records_name_the_client_hello_and_alerts() {
        // A ClientHello for "localhost": record, handshake header, version, random, empty
        // session, one suite, null compression, one SNI extension.
        let name = b"localhost";
        let mut ext = vec![0, 0];
        let list_len = (3 + name.len()) as u16;
        ext.extend_from_slice(&(list_len + 2).to_be_bytes());
        ext.extend_from_slice(&list_len.to_be_bytes());
        ext.push(0);
        ext.extend_from_slice(&(name.len() as u16).to_be_bytes());
        ext.extend_from_slice(name);
        let mut hello = vec![3, 3];
        hello.extend_from_slice(&[7u8; 32]);
        hello.extend_from_slice(&[0, 0, 2, 0x13, 0x01, 1, 0]);
        hello.extend_from_slice(&(ext.len() as u16).to_be_bytes());
        hello.extend_from_slice(&ext);
        let mut msg = vec![1, 0];
        msg.extend_from_slice(&(hello.len() as u16).to_be_bytes());
        msg.extend_from_slice(&hello);
        let mut rec = vec![22, 3, 1];
        rec.extend_from_slice(&(msg.len() as u16).to_be_bytes());
        rec.extend_from_slice(&msg);
        // Followed by an alert in the clear: fatal unknown_ca.
        rec.extend_from_slice(&[21, 3, 3, 0, 2, 2, 48]);
        let f = frame(&tcp6(50000, 443, 0x18, &rec)).unwrap();
        assert_eq!(
            f.tls,
            [
                Record::ClientHello {
                    sni: Some("localhost".into())
                },
                Record::Alert {
                    fatal: true,
                    description: 48
                }
            ]
        );
        assert_eq!(alert_name(48), "unknown_ca");
        // Plain text is not TLS.
        assert!(
            frame(&tcp6(1, 2, 0x18, b"GET / HTTP/1.1\r\n"))
                .unwrap()
                .tls
                .is_empty()
        );
    }
}
