//! The lab registry: which labs exist, what they are called, and where a student's files live.

use std::fmt;

/// A lab the grader knows. Adding a lab starts here (see the crate docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LabId {
    Lab01,
    Lab02,
    Lab03,
    Lab04,
    Lab05,
    Lab06,
    Lab07,
    Lab08,
    Lab09,
    Lab10,
}

/// Which side of a conversation a student's program plays; the grader plays the other.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Server,
    Client,
}

impl Role {
    /// `server` or `client`: the key in `grade.toml` (`[lab05.server]`).
    pub fn key(self) -> &'static str {
        match self {
            Role::Server => "server",
            Role::Client => "client",
        }
    }
}

/// One program a student writes for a lab.
#[derive(Debug)]
pub struct Program {
    pub role: Role,
    /// Its file, relative to the submission root.
    pub file: &'static str,
}

/// Facts about a lab that do not depend on its grader definition.
#[derive(Debug)]
pub struct LabInfo {
    pub id: LabId,
    /// `lab01`: the canonical id, used in reports and `graders/<id>/`.
    pub key: &'static str,
    /// `ip_port_http`: the name from the catalogue.
    pub name: &'static str,
    /// `01_ip_port_http`: the folder under `labs/` in a student repository.
    pub dir: &'static str,
    /// The programs the student writes, one per role (a server lab may also have a client).
    /// Check ids of a lab's client program start with `client_` when the lab has a server too.
    pub programs: &'static [Program],
    /// The port the seed hard-codes; servers that ignore `PORT` bind this one.
    pub seed_port: Option<u16>,
    /// The folder under `exercises/` with the handout and solution.
    pub exercise: &'static str,
}

const LABS: &[LabInfo] = &[
    LabInfo {
        id: LabId::Lab01,
        key: "lab01",
        name: "ip_port_http",
        dir: "01_ip_port_http",
        programs: &[Program {
            role: Role::Server,
            file: "labs/01_ip_port_http/app.py",
        }],
        seed_port: Some(crate::wire::lab01::DEFAULT_PORT),
        exercise: "lab01_ip_port_http",
    },
    LabInfo {
        id: LabId::Lab02,
        key: "lab02",
        name: "dns",
        dir: "02_dns",
        programs: &[Program {
            role: Role::Client,
            file: "labs/02_dns/dns_lookup.py",
        }],
        seed_port: None,
        exercise: "lab02_dns",
    },
    LabInfo {
        id: LabId::Lab03,
        key: "lab03",
        name: "client",
        dir: "03_client",
        programs: &[Program {
            role: Role::Client,
            file: "labs/03_client/client.py",
        }],
        seed_port: None,
        exercise: "lab03_client",
    },
    LabInfo {
        id: LabId::Lab04,
        key: "lab04",
        name: "udp_echo",
        dir: "04_udp_echo",
        programs: &[
            Program {
                role: Role::Server,
                file: "labs/04_udp_echo/udp_server.py",
            },
            Program {
                role: Role::Client,
                file: "labs/04_udp_echo/udp_client.py",
            },
        ],
        seed_port: Some(crate::wire::lab04::DEFAULT_PORT),
        exercise: "lab04_udp_echo",
    },
    LabInfo {
        id: LabId::Lab05,
        key: "lab05",
        name: "tcp_echo",
        dir: "05_tcp_echo",
        programs: &[
            Program {
                role: Role::Server,
                file: "labs/05_tcp_echo/tcp_server.py",
            },
            Program {
                role: Role::Client,
                file: "labs/05_tcp_echo/tcp_client.py",
            },
        ],
        seed_port: Some(crate::wire::lab05::DEFAULT_PORT),
        exercise: "lab05_tcp_echo",
    },
    LabInfo {
        id: LabId::Lab06,
        key: "lab06",
        name: "http_server",
        dir: "06_http_server",
        programs: &[Program {
            role: Role::Server,
            file: "labs/06_http_server/server.py",
        }],
        seed_port: Some(crate::wire::lab06::DEFAULT_PORT),
        exercise: "lab06_http_server",
    },
    LabInfo {
        id: LabId::Lab07,
        key: "lab07",
        name: "http_client",
        dir: "07_http_client",
        programs: &[Program {
            role: Role::Client,
            file: "labs/07_http_client/http_client.py",
        }],
        seed_port: None,
        exercise: "lab07_http_client",
    },
    LabInfo {
        id: LabId::Lab08,
        key: "lab08",
        name: "patterns",
        dir: "08_patterns",
        programs: &[
            Program {
                role: Role::Server,
                file: "labs/08_patterns/broker.py",
            },
            Program {
                role: Role::Client,
                file: "labs/08_patterns/worker.py",
            },
        ],
        seed_port: Some(crate::wire::lab08::DEFAULT_PORT),
        exercise: "lab08_patterns",
    },
    LabInfo {
        id: LabId::Lab09,
        key: "lab09",
        name: "websocket",
        dir: "09_websocket",
        programs: &[
            Program {
                role: Role::Server,
                file: "labs/09_websocket/chat_server.py",
            },
            Program {
                role: Role::Client,
                file: "labs/09_websocket/chat_client.py",
            },
        ],
        seed_port: Some(crate::wire::lab09::DEFAULT_PORT),
        exercise: "lab09_websocket",
    },
    LabInfo {
        id: LabId::Lab10,
        key: "lab10",
        name: "tls",
        dir: "10_tls",
        programs: &[Program {
            role: Role::Client,
            file: "labs/10_tls/tls_client.py",
        }],
        seed_port: None,
        exercise: "lab10_tls",
    },
];

impl LabInfo {
    /// The file of the lab's first program (its only one in a one-program lab).
    pub fn main_file(&self) -> &'static str {
        self.programs[0].file
    }

    /// The program playing `role`, if the lab has one.
    pub fn program(&self, role: Role) -> Option<&'static Program> {
        self.programs.iter().find(|p| p.role == role)
    }
}

impl LabId {
    pub fn info(self) -> &'static LabInfo {
        LABS.iter()
            .find(|l| l.id == self)
            .expect("every LabId has an entry in LABS")
    }

    /// Every lab, in catalogue order.
    pub fn all() -> impl Iterator<Item = &'static LabInfo> {
        LABS.iter()
    }

    /// Accepts `lab01`, `01`, `1`, `01_ip_port_http` and `ip_port_http` (case-insensitive).
    pub fn parse(s: &str) -> Option<LabId> {
        let s = s.trim().to_ascii_lowercase();
        let number = s.strip_prefix("lab").unwrap_or(&s);
        if let Ok(n) = number.parse::<u32>() {
            return LABS
                .iter()
                .find(|l| l.key[3..].parse::<u32>() == Ok(n))
                .map(|l| l.id);
        }
        LABS.iter()
            .find(|l| l.dir == s || l.name == s || l.exercise == s)
            .map(|l| l.id)
    }
}

impl fmt::Display for LabId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.info().key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_every_spelling_the_cli_promises() {
        for s in [
            "lab01",
            "01",
            "1",
            "01_ip_port_http",
            "LAB01",
            "ip_port_http",
        ] {
            assert_eq!(LabId::parse(s), Some(LabId::Lab01), "{s}");
        }
        assert_eq!(LabId::parse("3"), Some(LabId::Lab03));
        assert_eq!(LabId::parse("lab99"), None);
        for info in LabId::all() {
            assert!(!info.programs.is_empty(), "{}", info.key);
            assert!(info.main_file().starts_with(&format!("labs/{}/", info.dir)));
        }
        assert_eq!(LabId::parse(""), None);
    }
}
