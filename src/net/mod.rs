//! The grader's own network code: a raw HTTP client with caps and deadlines, and the list of
//! this machine's addresses (read from the interfaces, never by sending traffic).

pub mod dns_fixture;
pub mod http;
pub mod ifaces;
