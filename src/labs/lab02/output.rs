//! Reading what `dns_lookup.py` printed, tolerantly: surrounding spaces, blank lines and lines
//! that are plainly commentary (a closing `Tip: ...`, an error explanation) are accepted, so
//! only the lines the lab defines are graded: `[DNS] domain=NAME` and `-> IP`.

use std::net::IpAddr;

/// What the program printed, read leniently.
#[derive(Debug, Default)]
pub(super) struct Parsed {
    /// The name on the first `[DNS] domain=` line.
    pub(super) domain: Option<String>,
    /// The addresses of the `-> IP` lines, in the order printed (repeats kept).
    pub(super) ips: Vec<IpAddr>,
    /// Lines that try to show an address but not in the `-> IP` form (`-> nope`, a bare IP).
    pub(super) bad: Vec<String>,
}

pub(super) fn parse(stdout: &str) -> Parsed {
    let mut p = Parsed::default();
    for line in stdout.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(d) = line.strip_prefix("[DNS] domain=") {
            if p.domain.is_none() {
                p.domain = Some(d.trim().to_string());
            }
            continue;
        }
        // The arrow as typed (`->`) or as the handout's prose prints it (`→`).
        if let Some(rest) = line.strip_prefix("->").or_else(|| line.strip_prefix('→')) {
            match rest.trim().parse::<IpAddr>() {
                Ok(ip) => p.ips.push(ip),
                Err(_) => p.bad.push(line.to_string()),
            }
        } else if mentions_address(line) {
            p.bad.push(line.to_string());
        }
        // Anything else is commentary: not graded.
    }
    p
}

/// Whether a line shows an IP address somewhere (so it is an address line in the wrong form,
/// not commentary).
fn mentions_address(line: &str) -> bool {
    line.split(|c: char| c.is_whitespace() || ",;()[]'\"=".contains(c))
        .any(|t| t.contains(['.', ':']) && t.parse::<IpAddr>().is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_seed_format() {
        let p = parse("[DNS] domain=localhost\n-> 127.0.0.1\n-> ::1\n");
        assert_eq!(p.domain.as_deref(), Some("localhost"));
        assert_eq!(p.ips.len(), 2);
        assert!(p.bad.is_empty());
    }

    #[test]
    fn reads_the_course_programs_output_tolerantly() {
        // Leading spaces, a blank line and a closing tip, as the course's own program prints.
        let p = parse(
            "[DNS] domain=localhost\n -> 127.0.0.1\n -> ::1\n\nTip: DNS can return several addresses, in any order.\n",
        );
        assert_eq!(p.ips.len(), 2);
        assert!(p.bad.is_empty(), "{:?}", p.bad);
        let p = parse("[DNS] domain=x\n→ 10.0.0.1\n[DNS] error: nothing\n");
        assert_eq!(p.ips.len(), 1);
        assert!(p.bad.is_empty());
    }

    #[test]
    fn address_lines_in_another_form_are_not_commentary() {
        let p = parse("domain localhost\n-> nope\n127.0.0.1\nIP: ::1\nat 10:30 it ran\n");
        assert_eq!(p.domain, None);
        assert_eq!(p.bad, ["-> nope", "127.0.0.1", "IP: ::1"]);
    }

    #[test]
    fn fuzz_parse_never_panics() {
        use proptest::prelude::*;
        proptest!(crate::fuzz_cases(3000), |(s in "(\\PC|\n|-> |→|\\[DNS\\] domain=|::1|127\\.0\\.0\\.1)*")| {
            let _ = parse(&s);
        });
    }
}
