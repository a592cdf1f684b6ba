//! Literal student programs: what the grader must say about code students really write.
//!
//! The fixtures under `tests/fixtures/literal/` were not made from a solution with one fault
//! planted in it (those are `tests/fixtures/lab0N/`). Each is a program written the way a
//! student writes it from the course handout: the shortest way from the seed's instructions,
//! without the error handling nobody asked for, or the way the course's own original programs
//! are (port 8000 hard-coded, Flask's `debug=True`, `sorted(set(...))`, indented ` -> IP` lines,
//! a closing `Tip:` line). Nobody wrote them for these tests, so they show whether the grader
//! is fair to real programs:
//!
//! - whatever such a program gets right passes, however it is written (order of addresses,
//!   indentation, blank lines, Flask's banner, a reloader child process);
//! - what it does not do but was only advised (reading `PORT`, brackets around IPv6) is a
//!   `warning`, never a failure, and costs nothing;
//! - every failure is the student's real mistake (a traceback on a missing name, no usage
//!   message, `gethostbyname`'s single IPv4 address, only the first address tried), and its
//!   message or hint names that mistake, one concept per check.
//!
//! lab01's programs bind the seed's fixed port 8000, so they run inside a network namespace
//! made for the test, with `--hermetic off` so that its shape (a private address, a default
//! route, none) is what the program sees; lab02 and lab03 run with `--hermetic on`. lab07 has
//! the seed's own client (its base URL from the argument) and the urllib3 `Retry` snippet.

use std::process::Command;

use crate::util::*;

// lab08's brokers and workers, in a file of their own.
mod lab08;

const LAB01: [&str; 9] = [
    "starts",
    "uses_port",
    "all_addresses",
    "startup_log",
    "status_200",
    "body",
    "client_ip",
    "not_found",
    "lan",
];

const LAB02: [&str; 8] = [
    "runs",
    "format",
    "localhost",
    "multiple_addresses",
    "ipv6",
    "no_duplicates",
    "not_found",
    "usage",
];

const LAB03: [&str; 11] = [
    "runs",
    "input_line",
    "dns_section",
    "tcp_line",
    "ipv6_brackets",
    "status",
    "body_preview",
    "status_codes",
    "default_port",
    "refused",
    "fallback_address",
];

/// `id=status` for every id in `all`: the status given in `pinned`, else `passed`.
pub(crate) fn expect(all: &[&str], pinned: &[(&str, &str)]) -> Vec<String> {
    all.iter()
        .map(|id| {
            let s = pinned
                .iter()
                .find(|(p, _)| p == id)
                .map_or("passed", |(_, s)| *s);
            format!("{id}={s}")
        })
        .collect()
}

/// The statuses of `v`, with `id`'s status checked to be one of `either` and then replaced
/// by `either` joined with `|`, so that one comparison covers the whole list.
#[track_caller]
fn statuses_with_either(v: &serde_json::Value, r: &Run, id: &str, either: &[&str]) -> Vec<String> {
    let joined = either.join("|");
    statuses(v)
        .into_iter()
        .map(|s| match s.split_once('=') {
            Some((i, st)) if i == id => {
                assert!(
                    either.contains(&st),
                    "{id}={st}, expected one of {joined}\n{r}"
                );
                format!("{id}={joined}")
            }
            _ => s,
        })
        .collect()
}

/// A check's `message` and `hint`, lower-cased, for asserting on the words they use.
pub(crate) fn words(v: &serde_json::Value, id: &str) -> (String, String) {
    let c = check(v, id);
    let text = |k: &str| c[k].as_str().unwrap_or_default().to_lowercase();
    (text("message"), text("hint"))
}

fn flask_available() -> bool {
    let probe = Command::new(python().unwrap_or_else(|| "python3".into()))
        .args(["-c", "import flask"])
        .output();
    if probe.is_ok_and(|o| o.status.success()) {
        return true;
    }
    skip("Flask is not installed for the test interpreter (scripts/test makes a venv)");
    false
}

/// The kind of machine a lab01 program is graded on, as a namespace made for the test.
#[derive(Clone, Copy)]
enum Machine {
    /// [`in_netns`]: a "private" address ([`NETNS_LAN_IP`]/8) on `lo`, no default route.
    Lan,
    /// The same plus a default route (through `lo`, so nothing leaves the namespace): a
    /// student on Wi-Fi, where `connect(("8.8.8.8", 80))` on a UDP socket finds the LAN address.
    LanWithDefaultRoute,
    /// Only `lo` with 127.0.0.1: a laptop in airplane mode, no private address at all.
    Offline,
}

/// `cmd` (a `grade` command) inside a fresh network namespace shaped like `machine`.
fn on_machine(cmd: &Command, machine: Machine) -> Option<Command> {
    let setup = match machine {
        Machine::Lan => return in_netns(cmd),
        Machine::LanWithDefaultRoute => format!(
            "ip link set lo up && ip addr add {NETNS_LAN_IP}/8 dev lo && ip route add default dev lo"
        ),
        Machine::Offline => "ip link set lo up".to_string(),
    };
    if !netns_available() {
        skip("network namespaces (unshare -n, ip) are not available");
        return None;
    }
    let mut c = Command::new("unshare");
    c.args(["-n", "--", "sh", "-c"])
        .arg(format!("{setup} && exec \"$0\" \"$@\""))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    if let Some(d) = cmd.get_current_dir() {
        c.current_dir(d);
    }
    Some(c)
}

/// Grades a copy of a lab01 fixture inside a namespace shaped like `machine` (the programs
/// bind the fixed port 8000); `json` adds `--format json`.
fn grade_lab01(name: &str, machine: Machine, json: bool) -> Option<Run> {
    let sub = copy_submission(&root().join(format!("tests/fixtures/literal/{name}")));
    let mut cmd = grade();
    // The machine's own network, shaped by the test: what a student sees where the grader
    // cannot make a private one (macOS, Windows, no namespaces). Isolated gradings, where the
    // shape does not matter, are tested in `tests/isolation.rs`.
    cmd.args(["lab01", "--seed", "7", "--hermetic", "off"]);
    if json {
        cmd.args(["--format", "json"]);
    }
    cmd.arg("--submission").arg(sub.path());
    let mut cmd = on_machine(&cmd, machine)?;
    let r = run(&mut cmd);
    assert_nothing_left(sub.path());
    Some(r)
}

/// A lab01 program that ignores `PORT` but is otherwise right: `uses_port` is an advisory
/// warning, `lan` is skipped (no `--lan`), the rest passes, and the score is full.
fn lab01_passes_with_a_port_warning(name: &str, machine: Machine) {
    let Some(r) = grade_lab01(name, machine, true) else {
        return;
    };
    let v = r.json();
    assert_eq!(
        statuses(&v),
        expect(&LAB01, &[("uses_port", "warning"), ("lan", "skipped")]),
        "{r}"
    );
    r.code(0);
    assert_eq!(v["passed"], true, "{r}");
    assert_eq!(v["score"], v["max_score"], "{r}");
    let (message, hint) = words(&v, "uses_port");
    assert!(
        message.contains("port") && message.contains("8000"),
        "{message}"
    );
    assert!(hint.contains("os.environ"), "{hint}");
}

#[test]
fn lab01_flask_seed_passes_with_a_port_warning() {
    if flask_available() {
        lab01_passes_with_a_port_warning("lab01_flask_seed", Machine::Lan);
    }
}

#[test]
fn lab01_flask_seed_human_report_says_pass() {
    if !flask_available() {
        return;
    }
    let Some(r) = grade_lab01("lab01_flask_seed", Machine::Lan, false) else {
        return;
    };
    r.code(0).stdout_has("PASS");
}

/// `debug=True` starts Werkzeug's reloader, which runs the server in a child process.
#[test]
fn lab01_flask_course_with_debug_reloader_passes_with_a_port_warning() {
    if flask_available() {
        lab01_passes_with_a_port_warning("lab01_flask_course", Machine::Lan);
    }
}

/// The program finds its private IP with the usual `connect(("8.8.8.8", 80))` on a UDP
/// socket, which needs a route to 8.8.8.8: on a student's machine the default route.
#[test]
fn lab01_httpserver_shortest_passes_with_a_port_warning() {
    lab01_passes_with_a_port_warning("lab01_httpserver_shortest", Machine::LanWithDefaultRoute);
}

/// Without a route to 8.8.8.8, the program's `except OSError` fallback prints
/// `Running on http://127.0.0.1:8000` as its private line although the machine has a private
/// address (10.200.0.1): that third line does not name this machine's LAN address, so
/// `startup_log` fails (it costs one point); everything else is as on a normal machine.
/// (Flask's banner finds the address here: Werkzeug probes 10.253.155.219, routed to `lo`.)
#[test]
fn lab01_httpserver_shortest_without_a_route_prints_loopback_as_its_private_ip() {
    let Some(r) = grade_lab01("lab01_httpserver_shortest", Machine::Lan, true) else {
        return;
    };
    let v = r.json();
    assert_eq!(
        statuses(&v),
        expect(
            &LAB01,
            &[
                ("uses_port", "warning"),
                ("startup_log", "failed"),
                ("lan", "skipped")
            ]
        ),
        "{r}"
    );
    r.code(1);
    let c = check(&v, "startup_log");
    let actual = c["actual"].as_str().unwrap_or_default();
    assert!(
        actual.matches("Running on http://127.0.0.1:8000").count() == 2,
        "the evidence shows the loopback line printed as the private one: {c:#}"
    );
    let (_, hint) = words(&v, "startup_log");
    assert!(hint.contains("private ip"), "{hint}");
}

/// On a machine with no private address at all (airplane mode), Flask's banner and the
/// student's fallback both print 127.0.0.1 as the third line. There is no LAN address to
/// show, so that is right: `startup_log` passes, as on a connected machine.
#[test]
fn lab01_on_a_machine_without_a_private_address_loopback_is_the_right_third_line() {
    let mut fixtures = vec!["lab01_httpserver_shortest"];
    if flask_available() {
        fixtures.push("lab01_flask_seed");
    }
    for name in fixtures {
        lab01_passes_with_a_port_warning(name, Machine::Offline);
    }
}

fn lab02(name: &str) -> Option<(Run, serde_json::Value)> {
    hermetic_json("lab02", &format!("tests/fixtures/literal/{name}"))
}

/// The two mistakes every program without error handling makes, each with its own lesson.
#[track_caller]
fn lab02_no_error_handling(v: &serde_json::Value) {
    let (message, hint) = words(v, "not_found");
    assert!(message.contains("traceback"), "{message}");
    assert!(hint.contains("gaierror"), "{hint}");
    let (message, hint) = words(v, "usage");
    assert!(message.contains("argument"), "{message}");
    assert!(hint.contains("usage"), "{hint}");
}

/// `gethostbyname_ex` gives every IPv4 address, so the only address lesson it misses is IPv6.
/// Its list for `localhost` must not hold 127.0.0.1 twice: glibc maps the hosts file's
/// `::1 localhost` to 127.0.0.1 for an IPv4 look-up, so the grader's own hosts file must not
/// create a duplicate the student never printed on their machine.
#[test]
fn lab02_gethostbyname_ex_literal_misses_only_ipv6_and_error_handling() {
    let Some((r, v)) = lab02("lab02_gethostbyname_ex_literal") else {
        return;
    };
    assert_eq!(
        statuses(&v),
        expect(
            &LAB02,
            &[
                ("ipv6", "failed"),
                ("not_found", "failed"),
                ("usage", "failed")
            ]
        ),
        "{r}"
    );
    r.code(1);
    let (message, hint) = words(&v, "ipv6");
    assert!(message.contains("ipv6"), "{message}");
    assert!(
        (hint.contains("gethostbyname_ex") || hint.contains("ipv4"))
            && hint.contains("getaddrinfo"),
        "{hint}"
    );
    lab02_no_error_handling(&v);
}

/// `gethostbyname` gives one IPv4 address: `multiple_addresses` teaches that, `ipv6` teaches
/// the missing AAAA, and `localhost` passes (127.0.0.1 is localhost's IPv4 address).
#[test]
fn lab02_gethostbyname_literal_misses_the_list_ipv6_and_error_handling() {
    let Some((r, v)) = lab02("lab02_gethostbyname_literal") else {
        return;
    };
    assert_eq!(
        statuses(&v),
        expect(
            &LAB02,
            &[
                ("multiple_addresses", "failed"),
                ("ipv6", "failed"),
                ("not_found", "failed"),
                ("usage", "failed")
            ]
        ),
        "{r}"
    );
    r.code(1);
    let (_, hint) = words(&v, "multiple_addresses");
    assert!(
        hint.contains("gethostbyname")
            && (hint.contains("single address") || hint.contains("one address")),
        "{hint}"
    );
    let (message, _) = words(&v, "ipv6");
    assert!(message.contains("ipv6"), "{message}");
    lab02_no_error_handling(&v);
}

#[test]
fn lab02_getaddrinfo_literal_misses_only_error_handling() {
    let Some((r, v)) = lab02("lab02_getaddrinfo_literal") else {
        return;
    };
    assert_eq!(
        statuses(&v),
        expect(&LAB02, &[("not_found", "failed"), ("usage", "failed")]),
        "{r}"
    );
    r.code(1);
    lab02_no_error_handling(&v);
}

/// The course's own program sorts the addresses, indents ` -> IP`, ends with a blank line and
/// a `Tip:` line, and prints its usage on stdout with exit 1: all of it is right.
#[test]
fn lab02_course_original_passes() {
    let Some((r, v)) = lab02("lab02_course_original") else {
        return;
    };
    assert_eq!(statuses(&v), expect(&LAB02, &[]), "{r}");
    r.code(0);
    assert_eq!(v["passed"], true, "{r}");
    assert_eq!(v["score"], v["max_score"], "{r}");
}

fn lab03(name: &str) -> Option<(Run, serde_json::Value)> {
    hermetic_json("lab03", &format!("tests/fixtures/literal/{name}"))
}

/// The fallback name's first address refuses: the message must say that an address refuses
/// and that the client has to move on to the next one.
#[track_caller]
fn lab03_fallback_lesson(v: &serde_json::Value) {
    let (message, hint) = words(v, "fallback_address");
    assert!(message.contains("refus"), "{message}");
    assert!(
        message.contains("next") || message.contains("move on"),
        "{message}"
    );
    assert!(hint.contains("next") || hint.contains("in turn"), "{hint}");
}

/// Connects to the resolver's first address only, prints IPv6 without brackets, no error
/// handling. Which address comes first decides whether `ipv6_brackets` has anything to warn
/// about; either way it is advisory.
#[test]
fn lab03_first_address_literal_misses_refused_and_fallback() {
    let Some((r, v)) = lab03("lab03_first_address_literal") else {
        return;
    };
    let mut want = expect(
        &LAB03,
        &[("refused", "failed"), ("fallback_address", "failed")],
    );
    want[4] = "ipv6_brackets=passed|warning".into();
    assert_eq!(
        statuses_with_either(&v, &r, "ipv6_brackets", &["passed", "warning"]),
        want,
        "{r}"
    );
    r.code(1);
    let (message, hint) = words(&v, "refused");
    assert!(message.contains("traceback"), "{message}");
    assert!(hint.contains("connectionrefusederror"), "{hint}");
    lab03_fallback_lesson(&v);
}

/// The course's own client sorts the addresses and connects to the first one: where the
/// sorted first address happens to accept, that is luck, not a fallback.
#[test]
fn lab03_course_original_misses_only_fallback() {
    let Some((r, v)) = lab03("lab03_course_original") else {
        return;
    };
    let mut want = expect(&LAB03, &[("fallback_address", "failed")]);
    want[4] = "ipv6_brackets=passed|warning".into();
    assert_eq!(
        statuses_with_either(&v, &r, "ipv6_brackets", &["passed", "warning"]),
        want,
        "{r}"
    );
    r.code(1);
    lab03_fallback_lesson(&v);
}

const LAB07: [&str; 9] = [
    "runs",
    "get_params",
    "post_json",
    "session",
    "not_found",
    "no_retry_4xx",
    "retries",
    "backoff",
    "timeout",
];

fn lab07(name: &str) -> Option<(Run, serde_json::Value)> {
    requests_available()
        .then(|| grade_json("lab07", &format!("tests/fixtures/literal/{name}"), &[]))
}

/// Seed 003's `HTTPClient` with its own demo (`/get?key=value`, a POST of
/// `{'name': 'Python', ...}`): one Session, so `session` passes; it does none of the lab's
/// other steps, and each missing step fails its own check, naming the request never sent.
#[test]
fn lab07_seed_client_passes_session_and_misses_the_other_steps() {
    let Some((r, v)) = lab07("lab07_seed_client") else {
        return;
    };
    assert_eq!(
        statuses(&v),
        expect(
            &LAB07,
            &[
                ("get_params", "failed"),
                ("post_json", "failed"),
                ("not_found", "failed"),
                ("no_retry_4xx", "skipped"),
                ("retries", "failed"),
                ("backoff", "skipped"),
                ("timeout", "failed"),
            ]
        ),
        "{r}"
    );
    r.code(1);
    let (message, _) = words(&v, "get_params");
    assert!(message.contains("other query values"), "{message}");
    let (_, hint) = words(&v, "post_json");
    assert!(hint.contains("token"), "{hint}");
    for id in ["not_found", "retries", "timeout"] {
        let (message, _) = words(&v, id);
        assert!(message.contains("never received"), "{id}: {message}");
    }
}

/// The retry snippet found everywhere online (`Retry(total=3, backoff_factor=0.5,
/// status_forcelist=[...])`) retries a read time-out too, then raises `ConnectionError`, not
/// `Timeout`: the program crashes on `/delay/5`. Its retries and backoff (urllib3's: no wait,
/// then 1 s) pass; `timeout` names the urllib3 trap and its fix; `session` waits on `runs`.
#[test]
fn lab07_urllib3_retry_passes_backoff_and_crashes_on_the_retried_time_out() {
    let Some((r, v)) = lab07("lab07_urllib3_retry") else {
        return;
    };
    assert_eq!(
        statuses(&v),
        expect(
            &LAB07,
            &[
                ("runs", "failed"),
                ("session", "skipped"),
                ("timeout", "failed")
            ]
        ),
        "{r}"
    );
    r.code(1);
    let (message, hint) = words(&v, "timeout");
    assert!(message.contains("connectionerror"), "{message}");
    assert!(hint.contains("read=false"), "{hint}");
}

/// The same program after that hint (`Retry(..., read=False)`): urllib3's way passes whole.
#[test]
fn lab07_urllib3_with_read_false_passes() {
    let Some((r, v)) = lab07("lab07_urllib3_read_false") else {
        return;
    };
    assert_eq!(statuses(&v), expect(&LAB07, &[]), "{r}");
    r.code(0);
    assert_eq!(v["score"], v["max_score"], "{r}");
}

const LAB09: [&str; 14] = [
    "starts",
    "uses_port",
    "handshake",
    "sender_receives",
    "broadcast",
    "unchanged",
    "order",
    "client_leaves",
    "client_connects",
    "client_sends",
    "client_prints",
    "client_pushed",
    "client_exits",
    "client_server_closes",
];

/// The shortest way from the `websockets` documentation: a room with `broadcast` and
/// try/finally on the fixed port 8765 (bound to "localhost"), and a client that reads a line
/// with input(), sends it, then waits for one message. The server passes (a port warning);
/// the client shows other people's messages only after its next line and ends the input with
/// EOFError's traceback: each its own check, and the server-close check waits on the first.
#[test]
fn lab09_websockets_shortest_misses_pushed_messages_and_eof() {
    if !crate::lab09::websockets_available() {
        return;
    }
    let sub = copy_submission(&root().join("tests/fixtures/literal/lab09_websockets_shortest"));
    let mut cmd = grade();
    cmd.args(["lab09", "--format", "json", "--seed", "7", "--submission"])
        .arg(sub.path());
    let Some(mut cmd) = in_netns(&cmd) else {
        return;
    };
    let r = run(&mut cmd);
    assert_nothing_left(sub.path());
    r.code(1);
    let v = r.json();
    let pinned = [
        ("uses_port", "warning"),
        ("client_pushed", "failed"),
        ("client_exits", "failed"),
        ("client_server_closes", "skipped"),
    ];
    assert_eq!(statuses(&v), expect(&LAB09, &pinned), "{r}");
    let (m, h) = words(&v, "client_pushed");
    assert!(m.contains("only once the next line was typed"), "{m}");
    assert!(h.contains("recv()") && h.contains("input()"), "{h}");
    let (m, _) = words(&v, "client_exits");
    assert!(m.contains("eoferror"), "{m}");
}

const LAB10: [&str; 11] = [
    "connects",
    "version",
    "subject",
    "status",
    "body",
    "sni",
    "wrong_host",
    "unknown_ca",
    "expired",
    "stall",
    "clear_error",
];

/// The handout's calls in the fewest lines, no error handling. It verifies, sends SNI and
/// times out, so only the clear error line is missing.
#[test]
fn lab10_shortest_misses_only_clear_error() {
    let (r, v) = grade_json("lab10", "tests/fixtures/literal/lab10_shortest", &[]);
    r.code(1);
    assert_eq!(
        statuses(&v),
        expect(&LAB10, &[("clear_error", "failed")]),
        "{r}"
    );
    assert!(
        hint(&v, "clear_error").contains("SSLCertVerificationError"),
        "{r}"
    );
}
