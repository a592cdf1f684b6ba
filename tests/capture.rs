//! `--capture FILE`: every capture is read back with tshark (Wireshark's command line, Debian's
//! `tshark`; `.ci/run` installs it), never with our own writer's code: the file parses, every
//! check is marked, the payloads the grader sent and got are there, the counts agree with what
//! the grader counted, and a flood leaves a file at its cap that says how much is missing.
//! Gradings run inside a network namespace the test makes, as every capture needs one.

use std::path::Path;
use std::process::Command;

use crate::util::*;

/// Whether tshark is here (skips, or fails under NETGRADE_STRICT, when it is not).
fn tshark_available() -> bool {
    if Command::new("tshark")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return true;
    }
    skip("tshark is not installed (.ci/run installs Debian's tshark)");
    false
}

/// `tshark -r FILE ARGS...`: its standard output; a failure to read the file fails the test.
#[track_caller]
fn tshark(file: &Path, args: &[&str]) -> String {
    let out = Command::new("tshark")
        .arg("-r")
        .arg(file)
        .args(args)
        .output()
        .expect("tshark runs");
    assert!(
        out.status.success(),
        "tshark -r {} {args:?}: {}\n{}",
        file.display(),
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Lines of `tshark -T fields -e FIELD...` for frames matching `filter`.
#[track_caller]
fn fields(file: &Path, filter: &str, names: &[&str]) -> Vec<String> {
    let mut args = vec!["-Y", filter, "-T", "fields"];
    for n in names {
        args.extend(["-e", n]);
    }
    tshark(file, &args)
        .lines()
        .map(str::to_string)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Grades `fixture` of `lab` with `--capture` into a temporary folder, inside a namespace of
/// the test's own; the run, its report and the capture's path (and the folder keeping it).
fn captured(
    lab: &str,
    fixture: &str,
    extra: &[&str],
) -> Option<(
    Run,
    serde_json::Value,
    std::path::PathBuf,
    tempfile::TempDir,
)> {
    if !tshark_available() {
        return None;
    }
    let sub = copy_submission(&root().join(fixture));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("run.pcapng");
    let mut cmd = grade();
    cmd.args([lab, "--format", "json", "--seed", "7", "--submission"])
        .arg(sub.path())
        .arg("--capture")
        .arg(&file)
        .args(extra)
        .env("NETGRADE_REPORT_PEAK_RSS", "1");
    let r = run(&mut in_netns(&cmd)?);
    assert_nothing_left(sub.path());
    let v = r.json();
    Some((r, v, file, dir))
}

/// Every check the run graded is marked where it begins and where it ends, with its outcome.
#[track_caller]
fn assert_every_check_marked(file: &Path, v: &serde_json::Value) {
    let marks = fields(file, "frame.interface_id == 1", &["frame.comment"]).join("\n");
    for c in v["checks"].as_array().unwrap() {
        let (id, status) = (c["id"].as_str().unwrap(), c["status"].as_str().unwrap());
        if status == "skipped" {
            continue;
        }
        assert!(
            marks.contains(&format!("check {id} begins")),
            "{id}: {marks}"
        );
        let word = if status == "warning" {
            "failed"
        } else {
            status
        };
        assert!(
            marks.contains(&format!("check {id} ends: {word}")),
            "{id} ({status}): {marks}"
        );
    }
}

#[test]
fn lab05_capture_is_read_by_tshark_with_every_check_marked_and_split_writes_in_pieces() {
    let Some((r, v, file, _dir)) = captured("lab05", "exercises/lab05_tcp_echo/solution", &[])
    else {
        return;
    };
    r.code(0);
    assert_every_check_marked(&file, &v);
    // What the grader says it wrote is what tshark reads (frames of lo, not the marks).
    let frames = fields(&file, "frame.interface_id == 0", &["frame.number"]).len();
    assert_eq!(v["capture"]["written"], frames as u64, "{r}");
    assert_eq!(v["capture"]["not_written"], 0, "{r}");
    assert!(frames > 50, "{frames}");
    // split_writes sends one line in pieces: tshark sees several segments with data go to
    // the student's server in that check.
    let pieces = fields(
        &file,
        "frame.comment == \"check split_writes\" && tcp.len > 0",
        &["tcp.srcport", "tcp.dstport", "tcp.len"],
    );
    assert!(pieces.len() >= 4, "{pieces:#?}");
    // Every frame of a check carries its name: the check's own filter shows them.
    let echo = fields(
        &file,
        "frame.comment contains \"check echo\"",
        &["frame.number"],
    );
    assert!(echo.len() >= 4, "{echo:?}");
}

#[test]
fn lab04_the_echo_payload_crosses_both_ways_and_twenty_datagrams_each_way() {
    let Some((r, v, file, _dir)) = captured("lab04", "exercises/lab04_udp_echo/solution", &[])
    else {
        return;
    };
    r.code(0);
    assert_every_check_marked(&file, &v);
    // The echo check's random payload: what the grader sent came back byte for byte.
    let echo = fields(
        &file,
        "frame.comment == \"check echo\" && udp",
        &["udp.srcport", "udp.dstport", "data.data"],
    );
    assert_eq!(echo.len(), 2, "{echo:#?}");
    let cols: Vec<Vec<&str>> = echo.iter().map(|l| l.split('\t').collect()).collect();
    assert_eq!(
        cols[0][0], cols[1][1],
        "the reply goes back to the sender's port"
    );
    assert_eq!(cols[0][2], cols[1][2], "the payload comes back as it went");
    assert!(cols[0][2].len() > 8, "{echo:?}");
    // keeps_serving sends 20 datagrams in a row; the student's server answers each.
    let serving = fields(
        &file,
        "frame.comment == \"check keeps_serving\" && udp",
        &["udp.srcport"],
    );
    let to_server = serving.iter().filter(|p| *p == &serving[0]).count();
    assert_eq!((to_server, serving.len()), (20, 40), "{serving:?}");
}

#[test]
fn lab10_the_unknown_ca_run_shows_the_clients_tls_alert_and_decrypted_tls13() {
    let Some((r, v, file, _dir)) = captured("lab10", "exercises/lab10_tls/solution", &[]) else {
        return;
    };
    r.code(0);
    assert_every_check_marked(&file, &v);
    // The client's refusal: Python's OpenSSL sends its alert in the clear.
    let alerts = fields(
        &file,
        "frame.comment == \"check unknown_ca\" && tls.alert_message.desc == 48",
        &["frame.number"],
    );
    assert_eq!(alerts.len(), 1, "one unknown_ca alert: {alerts:?}");
    // The refusing servers speak TLS 1.3, whose certificate travels encrypted: the grader's
    // session keys in the file let a single pass of tshark read it.
    let certificates = fields(
        &file,
        "frame.comment == \"check unknown_ca\" && tls.handshake.type == 11",
        &["frame.number"],
    );
    assert_eq!(certificates.len(), 1, "{certificates:?}");
    let hellos = fields(
        &file,
        "frame.comment == \"check connects\" && tls.handshake.type == 1",
        &["tls.handshake.extensions_server_name"],
    );
    assert_eq!(hellos, ["localhost"]);
}

/// lab08's slow subscriber moves 8 MiB in one check: past 4 MiB its frames keep only their
/// first 128 bytes, so the file stays small and every later check is in it.
#[test]
fn lab08_one_bulk_check_does_not_crowd_the_others_out() {
    let Some((r, v, file, _dir)) = captured("lab08", "exercises/lab08_patterns/solution", &[])
    else {
        return;
    };
    r.code(0);
    assert_every_check_marked(&file, &v);
    assert_eq!(v["capture"]["not_written"], 0, "{r}");
    let cut = fields(
        &file,
        "frame.comment == \"check slow_subscriber\" && frame.cap_len < frame.len",
        &["frame.cap_len"],
    );
    assert!(!cut.is_empty() && cut.iter().all(|l| l == "128"), "{cut:?}");
    assert!(std::fs::metadata(&file).unwrap().len() < 8 << 20);
}

/// A failed check's report shows its exchange, in both languages and in JSON.
#[test]
fn a_failed_check_shows_its_exchange_from_the_capture() {
    let Some((r, v, _file, dir)) =
        captured("lab05", "tests/fixtures/lab05/recv_1024_as_message", &[])
    else {
        return;
    };
    r.code(1);
    let wire = &check(&v, "split_writes")["wire"];
    let lines = wire["lines"].as_array().unwrap();
    assert!(!lines.is_empty() && lines.len() <= 12, "{wire}");
    assert!(
        lines
            .iter()
            .any(|l| l["from"] == "grader" && l["proto"] == "TCP" && l["bytes"] == 1),
        "the grader's one-byte pieces: {wire}"
    );
    // A check that passed carries no timeline.
    assert!(check(&v, "echo").get("wire").is_none());
    for (lang, heading, arrow) in [
        (
            "en",
            "on the wire (from the capture):",
            "grader → student  TCP",
        ),
        (
            "ko",
            "네트워크로 오간 패킷 (캡처에서 발췌):",
            "채점기 → 프로그램  TCP",
        ),
    ] {
        let sub = copy_submission(&root().join("tests/fixtures/lab05/recv_1024_as_message"));
        let mut cmd = grade();
        cmd.args(["lab05", "--lang", lang, "--seed", "7", "--submission"])
            .arg(sub.path())
            .arg("--capture")
            .arg(dir.path().join(format!("{lang}.pcapng")));
        let r = run(&mut in_netns(&cmd).unwrap());
        r.code(1).stdout_has(heading).stdout_has(arrow);
        assert_nothing_left(sub.path());
    }
}

/// 200,000 datagrams from a student's client: the file stops at its 16 MiB cap, says in the
/// file and in the report how many frames it could not write, and the grader's own memory
/// stays bounded.
#[test]
fn a_flood_leaves_a_capture_at_its_cap_with_the_count_of_what_is_missing() {
    let Some((r, v, file, _dir)) = captured(
        "lab04",
        "tests/fixtures/hostile/lab04_flood",
        &["--only", "client_runs"],
    ) else {
        return;
    };
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(size <= (16 << 20) + (64 << 10), "{size}");
    assert!(size > 15 << 20, "a flood fills the file: {size}");
    let missing = v["capture"]["not_written"].as_u64().unwrap();
    assert!(missing > 10_000, "{r}");
    assert!(v["notices"].to_string().contains("not written"), "{r}");
    let closing = fields(
        &file,
        "frame.comment contains \"capture incomplete\"",
        &["frame.comment"],
    );
    assert_eq!(closing.len(), 1, "{closing:?}");
    assert!(
        closing[0].contains(&format!("{missing} frames not written")),
        "{closing:?}"
    );
    // The file still reads to its end, every check's marks included.
    assert_every_check_marked(&file, &v);
    let peak = r
        .stderr
        .lines()
        .find_map(|l| l.strip_prefix("grade: peak_rss_kib="))
        .and_then(|k| k.parse::<u64>().ok())
        .expect("the peak is reported");
    assert!(peak < 64 << 10, "peak {peak} KiB");
}

/// No namespace of its own, no capture: this computer's interfaces are never recorded.
#[test]
fn a_capture_is_refused_where_the_network_is_shared() {
    let sub = copy_submission(&root().join("exercises/lab04_udp_echo/solution"));
    let dir = tempfile::tempdir().unwrap();
    let r = run(grade()
        .args(["lab04", "--hermetic", "off", "--submission"])
        .arg(sub.path())
        .arg("--capture")
        .arg(dir.path().join("run.pcapng")));
    r.code(2)
        .stderr_has("--capture needs the grading's own network");
    assert!(!dir.path().join("run.pcapng").exists());
    let r = run(grade()
        .args(["--capture", "x.pcapng", "--submission"])
        .arg(sub.path()));
    r.code(2).stderr_has("--capture needs a lab");
}

/// `grade batch --capture`: one capture per student in OUT/captures, linked from its row.
#[test]
fn batch_writes_a_capture_per_student_and_links_it() {
    if !tshark_available() {
        return;
    }
    let class = tempfile::tempdir().unwrap();
    for name in ["kim", "lee min"] {
        copy_dir_into(
            &root().join("exercises/lab04_udp_echo/solution"),
            &class.path().join(name),
        );
    }
    let out = tempfile::tempdir().unwrap();
    let mut cmd = grade();
    cmd.args(["batch", "lab04"])
        .arg(class.path())
        .arg("--out")
        .arg(out.path())
        .args(["--capture", "--jobs", "2"]);
    let r = run(&mut in_netns(&cmd).unwrap());
    r.code(0);
    let html = std::fs::read_to_string(out.path().join("index.html")).unwrap();
    for (name, href) in [("kim", "kim.pcapng"), ("lee min", "lee%20min.pcapng")] {
        let file = out.path().join("captures").join(format!("{name}.pcapng"));
        assert!(
            !fields(&file, "udp", &["frame.number"]).is_empty(),
            "{name}"
        );
        assert!(
            html.contains(&format!("href=\"captures/{href}\"")),
            "{name}"
        );
    }
}

fn copy_dir_into(src: &Path, dst: &Path) {
    let tmp = copy_submission(src);
    std::fs::create_dir_all(dst.parent().unwrap()).unwrap();
    let status = Command::new("cp")
        .arg("-r")
        .arg(tmp.path())
        .arg(dst)
        .status()
        .unwrap();
    assert!(status.success());
}
