//! What a submission's network looks like (Linux, where namespaces can be made): every lab is
//! graded in a private network namespace with only loopback and a fixture "private IP".
//! The probe fixture records, from inside a grading, what the usual "find my private IP" trick
//! returns and what a TCP connection to an outside address gets. Every grading here also runs
//! inside a namespace made by the test, so nothing could leave the machine even if the
//! grader's own isolation failed.

use crate::util::*;

/// Grades the probe fixture (the lab01 solution plus the probe) with `seed`; returns the run,
/// its report and the probe's record as `key=value` lines.
fn probe(seed: &str) -> Option<(Run, serde_json::Value, String)> {
    let sub = copy_submission(&root().join("tests/fixtures/isolation/reaches_out"));
    let mut cmd = grade();
    cmd.args(["lab01", "--format", "json", "--seed", seed, "--submission"])
        .arg(sub.path());
    let mut cmd = in_netns(&cmd)?;
    let r = run(&mut cmd);
    assert_nothing_left(sub.path());
    let v = r.json();
    let record = std::fs::read_to_string(sub.path().join("probe.txt"))
        .unwrap_or_else(|e| panic!("the probe wrote no record ({e})\n{r}"));
    Some((r, v, record))
}

fn value<'a>(record: &'a str, key: &str) -> &'a str {
    record
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{key}=")))
        .unwrap_or_else(|| panic!("no {key} in {record}"))
}

#[test]
fn outside_is_unreachable_at_once_and_the_private_ip_is_a_fixture() {
    let Some((r, v, record)) = probe("7") else {
        return;
    };
    r.code(0);
    assert_eq!(v["network"], "isolated", "{r}");
    assert_eq!(v["processes"], "isolated", "{r}");
    // The usual trick finds a private address: not the test namespace's, the grading's own.
    let ip: std::net::Ipv4Addr = value(&record, "udp_trick").parse().unwrap();
    assert!(ip.is_private(), "{record}");
    assert_ne!(ip.to_string(), NETNS_LAN_IP, "{record}");
    // A TCP connection to an outside address: no route, at once (not a time-out).
    assert_eq!(value(&record, "tcp_outside"), "OSError:113", "{record}");
    let secs: f64 = value(&record, "tcp_outside_seconds").parse().unwrap();
    assert!(secs < 1.0, "{record}");
    // Found the usual way, the fixture address passes the checks about the private IP.
    for id in ["startup_log", "lan"] {
        assert_eq!(check(&v, id)["status"], "passed", "{id}\n{r}");
    }

    // The address comes from the seed: the same seed replays it, another gives another.
    let (_, _, again) = probe("7").expect("available a moment ago");
    assert_eq!(value(&again, "udp_trick"), ip.to_string());
    let (_, _, other) = probe("8").expect("available a moment ago");
    assert_ne!(value(&other, "udp_trick"), ip.to_string());
}

/// A server on the seed's fixed port needs no free port: its grading has ports of its own.
/// Two gradings of the same port-8000 program at once do not collide.
#[test]
fn two_gradings_of_a_fixed_port_server_run_side_by_side() {
    if !netns_available() {
        return skip("network namespaces are not available");
    }
    let subs: Vec<_> = (0..2)
        .map(|_| copy_submission(&root().join("tests/fixtures/literal/lab06_httpserver_shortest")))
        .collect();
    let children: Vec<_> = subs
        .iter()
        .map(|sub| {
            let mut cmd = grade();
            cmd.args(["lab06", "--format", "json", "--seed", "7", "--submission"])
                .arg(sub.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped());
            cmd.spawn().expect("grade starts")
        })
        .collect();
    for (child, sub) in children.into_iter().zip(&subs) {
        let out = child.wait_with_output().expect("grade ends");
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
        });
        assert_eq!(v["network"], "isolated");
        // Port 8000 was its own: it started, and ignoring PORT is the usual warning only.
        assert_eq!(check(&v, "starts")["status"], "passed", "{v:#}");
        assert_eq!(check(&v, "uses_port")["status"], "warning", "{v:#}");
        assert_nothing_left(sub.path());
    }
}

/// Where the grader does not isolate (`--hermetic off` here; no namespaces on macOS and
/// Windows), the report says so.
#[test]
fn a_shared_network_is_named_in_the_report() {
    let (r, v) = grade_json(
        "lab06",
        "exercises/lab06_http_server/solution",
        &["--hermetic", "off"],
    );
    r.code(0);
    assert_eq!(v["network"], "shared", "{r}");
    assert_eq!(v["processes"], "shared", "{r}");
    let notices = v["notices"].to_string();
    assert!(notices.contains("not isolated"), "{notices}");
    assert!(notices.contains("the grader's included"), "{notices}");
    let sub = copy_submission(&root().join("exercises/lab06_http_server/solution"));
    let r = run(grade()
        .args(["lab06", "--hermetic", "off", "--lang", "ko", "--submission"])
        .arg(sub.path()));
    r.code(0)
        .stdout_has("네트워크와 프로세스를 격리하지 않았습니다");
}

/// Grades the /proc snooping fixture with a secret in grade's environment; returns the run and
/// what the fixture saw.
fn snoop(unprivileged: bool) -> Option<(Run, String, String)> {
    let sub = copy_submission(&root().join("tests/fixtures/isolation/reads_proc"));
    let secret = format!("s3cret-{}", std::process::id());
    let args = ["lab01", "--format", "json", "--seed", "7"];
    let r = if unprivileged {
        // The program, run as nobody, writes its record next to itself.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(sub.path(), std::fs::Permissions::from_mode(0o777)).unwrap();
        // In grade's environment, as a CI runner's token would be.
        grade_unprivileged_with(&args, sub.path(), &[("NETGRADE_PROC_SECRET", &secret)])?
    } else {
        let mut cmd = grade();
        cmd.args(args)
            .arg("--submission")
            .arg(sub.path())
            .env("NETGRADE_PROC_SECRET", &secret);
        run(&mut in_netns(&cmd)?)
    };
    assert_nothing_left(sub.path());
    let record = std::fs::read_to_string(sub.path().join("snoop.txt"))
        .unwrap_or_else(|e| panic!("the probe wrote no record ({e})\n{r}"));
    Some((r, record, secret))
}

/// A submission that walks /proc finds nothing of the grader's: no process but its own
/// grading's (the namespace's init and itself), no secret in any environment, command line
/// or memory it can read, no parent above it, and no way to unmount its /proc.
#[track_caller]
fn assert_sees_nothing_of_the_grader(r: &Run, record: &str, secret: &str) {
    r.code(0);
    assert!(!record.contains(secret), "{record}");
    assert_eq!(value(record, "found"), "none", "{record}\n{r}");
    assert_eq!(value(record, "parents"), "0", "{record}");
    assert_eq!(value(record, "umount_proc"), "-1", "{record}");
    // Only the init (an empty environment) and the program itself.
    let me = value(record, "me");
    assert_eq!(value(record, "pids"), format!("1,{me}"), "{record}");
    let init = value(record, "cmdline 1");
    assert_eq!(init, "grade --netgrade-pid1", "{record}");
    assert_eq!(r.json()["processes"], "isolated", "{r}");
}

#[test]
fn a_submission_reading_proc_finds_nothing_of_the_grader_as_root() {
    let Some((r, record, secret)) = snoop(false) else {
        return;
    };
    assert_sees_nothing_of_the_grader(&r, &record, &secret);
}

#[test]
fn a_submission_reading_proc_finds_nothing_of_the_grader_unprivileged() {
    let Some((r, record, secret)) = snoop(true) else {
        return;
    };
    assert_sees_nothing_of_the_grader(&r, &record, &secret);
}
