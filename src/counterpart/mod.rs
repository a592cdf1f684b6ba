//! Counterparts: the scripted, sometimes misbehaving peers a check needs to talk to a student's
//! client (a UDP server that drops the first datagram or never answers, a TCP server that sends
//! its replies in pieces). They live apart from the clean reference implementations that
//! `grade reference` runs ([`crate::reference`]), and they face untrusted programs: every one
//! bounds its connections, line lengths, memory and time the way the harness bounds student
//! servers, so a connection flood, an endless line or a slow trickle never hangs a run or grows
//! the grader.

pub mod accept;
pub mod hello;
pub mod httpbin;
pub mod tcp_lines;
pub mod tls;
pub mod udp;
pub mod ventilator;
pub mod ws_room;
