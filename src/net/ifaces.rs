//! This machine's IPv4 addresses, from the interface list.

use std::net::Ipv4Addr;

/// Every IPv4 address of every interface, loopback included.
pub fn ipv4_addrs() -> Vec<Ipv4Addr> {
    let mut v: Vec<Ipv4Addr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .filter_map(|i| match i.ip() {
            std::net::IpAddr::V4(a) => Some(a),
            std::net::IpAddr::V6(_) => None,
        })
        .collect();
    v.sort();
    v.dedup();
    v
}

/// The addresses other machines on the LAN could reach this one at: non-loopback,
/// non-link-local IPv4. Private ranges (10/8, 172.16/12, 192.168/16) come first.
pub fn lan_ipv4() -> Vec<Ipv4Addr> {
    let mut v: Vec<Ipv4Addr> = ipv4_addrs()
        .into_iter()
        .filter(|a| !a.is_loopback() && !a.is_link_local() && !a.is_unspecified())
        .collect();
    v.sort_by_key(|a| !a.is_private());
    v
}
