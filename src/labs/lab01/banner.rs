//! Finding the three `Running on ...` startup lines in what the server printed.

use std::net::Ipv4Addr;

use crate::text;

/// What the startup lines gave.
#[derive(Debug, Default)]
pub(super) struct Banner {
    pub(super) all: bool,
    pub(super) local: bool,
    pub(super) private: Option<Ipv4Addr>,
    /// The lines shown to the student as "actual".
    pub(super) shown: String,
}

impl Banner {
    pub(super) fn is_complete(&self) -> bool {
        self.all && self.local && self.private.is_some()
    }
}

/// Finds the three `Running on` lines in stdout and stderr. Flask's ` * ` prefix is allowed.
pub(super) fn banner(stdout: &str, stderr: &str, port: u16) -> Banner {
    let mut b = Banner::default();
    let mut shown = Vec::new();
    let local = format!("Running on http://127.0.0.1:{port}");
    for line in stdout.lines().chain(stderr.lines()) {
        let l = line.trim();
        let l = l.strip_prefix("* ").unwrap_or(l).trim();
        if !l.contains("Running on") {
            continue;
        }
        if shown.len() < 10 {
            shown.push(text::escape_student(l.as_bytes()));
        }
        if l == "Running on all addresses (0.0.0.0)" {
            b.all = true;
        } else if l == local && !b.local {
            b.local = true;
        } else if l == local {
            // A second 127.0.0.1 line: on a machine with no network address, the "private"
            // line a program finds (Flask's banner too) is loopback. `startup_log` accepts it
            // only when this machine really has no other address.
            b.private.get_or_insert(Ipv4Addr::LOCALHOST);
        } else if let Some(rest) = l.strip_prefix("Running on http://")
            && let Some(ip) = rest.strip_suffix(&format!(":{port}"))
            && let Ok(ip) = ip.parse::<Ipv4Addr>()
            && ip != Ipv4Addr::LOCALHOST
        {
            b.private = Some(ip);
        }
    }
    b.shown = if shown.is_empty() {
        let first: Vec<&str> = stdout.lines().chain(stderr.lines()).take(10).collect();
        text::escape_student(first.join("\n").as_bytes())
    } else {
        shown.join("\n")
    };
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fuzz_banner_never_panics_and_shows_only_escaped_text() {
        use proptest::prelude::*;
        proptest!(crate::fuzz_cases(3000), |(o in "(\\PC|\n|\u{1b}|Running on http://127.0.0.1:9000|\\* )*", e in any::<Vec<u8>>(), port in any::<u16>())| {
            let b = banner(&o, &String::from_utf8_lossy(&e), port);
            prop_assert!(!b.shown.contains('\x1b'));
        });
    }

    #[test]
    fn banner_on_stdout() {
        let b = banner(
            "Running on all addresses (0.0.0.0)\nRunning on http://127.0.0.1:9000\nRunning on http://192.168.0.7:9000\n",
            "",
            9000,
        );
        assert!(b.is_complete());
        assert_eq!(b.private, Some(Ipv4Addr::new(192, 168, 0, 7)));
    }

    #[test]
    fn a_second_loopback_line_is_the_private_line_of_a_machine_offline() {
        let b = banner(
            "Running on all addresses (0.0.0.0)\nRunning on http://127.0.0.1:9000\nRunning on http://127.0.0.1:9000\n",
            "",
            9000,
        );
        assert!(b.is_complete());
        assert_eq!(b.private, Some(Ipv4Addr::LOCALHOST));
        let once = banner(
            "Running on all addresses (0.0.0.0)\nRunning on http://127.0.0.1:9000\n",
            "",
            9000,
        );
        assert!(!once.is_complete());
    }

    #[test]
    fn flask_banner_on_stderr_counts() {
        let b = banner(
            " * Serving Flask app 'app'\n",
            "WARNING: This is a development server.\n * Running on all addresses (0.0.0.0)\n * Running on http://127.0.0.1:9000\n * Running on http://10.0.0.2:9000\nPress CTRL+C to quit\n",
            9000,
        );
        assert!(b.is_complete(), "{b:?}");
    }

    #[test]
    fn wrong_port_or_missing_line_is_incomplete() {
        let b = banner(
            "Running on all addresses (0.0.0.0)\nRunning on http://127.0.0.1:8000\nRunning on http://10.0.0.2:8000\n",
            "",
            9000,
        );
        assert!(!b.is_complete());
        let b = banner("Server started on port 9000\n", "", 9000);
        assert!(!b.is_complete());
        assert_eq!(b.shown, "Server started on port 9000");
    }
}
