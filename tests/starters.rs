//! Every starter in exercises/ runs and is graded (exit 1: checks fail, none errors): a student
//! starts from something that works, and the grader has work left to point at.

use crate::util::*;

/// `must_run`: the first check (the program starts or runs) passes as shipped.
fn starter(lab: &str, dir: &str, extra: &[&str], must_run: bool) -> serde_json::Value {
    let sub = copy_submission(&root().join(dir));
    let mut cmd = grade();
    cmd.args([lab, "--format", "json", "--submission"])
        .arg(sub.path())
        .args(extra);
    // The lab01 and lab06 starters bind the seed's fixed port 8000 (lab09's 8765): only inside
    // a private namespace.
    let mut cmd = if lab == "lab01" || lab == "lab06" || lab == "lab09" {
        match in_netns(&cmd) {
            Some(c) => c,
            None => return serde_json::Value::Null,
        }
    } else {
        cmd
    };
    let r = run(&mut cmd);
    assert_nothing_left(sub.path());
    r.code(1);
    let v = r.json();
    if must_run {
        let first = &v["checks"][0];
        assert_eq!(
            first["status"], "passed",
            "the starter must at least run\n{r}"
        );
    }
    assert!(!statuses(&v).iter().any(|s| s.ends_with("=error")), "{r}");
    v
}

#[test]
fn lab01_starter_runs_and_has_work_left() {
    starter("lab01", "exercises/lab01_ip_port_http/starter", &[], true);
}

#[test]
fn lab02_starter_runs_and_has_work_left() {
    let hermetic = if netns_available() { "on" } else { "off" };
    starter(
        "lab02",
        "exercises/lab02_dns/starter",
        &["--hermetic", hermetic],
        true,
    );
}

#[test]
fn lab03_starter_runs_and_has_work_left() {
    let hermetic = if netns_available() { "on" } else { "off" };
    // Its first TODO is the port: as shipped it only reaches a server on 8000, so against the
    // grader's server it fails `runs` (with its traceback shown), which is the lesson.
    let v = starter(
        "lab03",
        "exercises/lab03_client/starter",
        &["--hermetic", hermetic],
        false,
    );
    if v.is_null() {
        return;
    }
    // It failed early, yet what it printed before failing is graded, and so is what does not
    // depend on a good run: the report says what to fix first instead of skipping nine checks.
    assert_eq!(check(&v, "runs")["status"], "failed", "{v:#}");
    let m = check(&v, "runs")["message"].as_str().unwrap();
    assert!(
        m.contains("ConnectionRefusedError"),
        "the exception is named: {m}"
    );
    assert_eq!(
        check(&v, "input_line")["status"],
        "failed",
        "port=8000: {v:#}"
    );
    assert_eq!(check(&v, "dns_section")["status"], "passed", "{v:#}");
    assert_eq!(check(&v, "refused")["status"], "failed", "{v:#}");
    assert_eq!(v["fix_first"]["id"], "runs", "{v:#}");
    assert!(v["fix_first"]["blocks"].as_u64().unwrap() >= 4, "{v:#}");
}

#[test]
fn lab03_starter_human_report_says_what_to_fix_first() {
    if !netns_available() {
        return skip("namespaces are not available for hermetic mode");
    }
    let sub = copy_submission(&root().join("exercises/lab03_client/starter"));
    let r = run(grade()
        .args(["lab03", "--hermetic", "on", "--lang", "ko", "--submission"])
        .arg(sub.path()));
    r.code(1);
    r.stdout_has("먼저 고칠 것: runs");
    assert_nothing_left(sub.path());
}

#[test]
fn lab04_starter_runs_and_has_work_left() {
    starter("lab04", "exercises/lab04_udp_echo/starter", &[], true);
}

#[test]
fn lab05_starter_runs_and_has_work_left() {
    starter("lab05", "exercises/lab05_tcp_echo/starter", &[], true);
}

#[test]
fn lab06_starter_runs_and_has_work_left() {
    starter("lab06", "exercises/lab06_http_server/starter", &[], true);
}

#[test]
fn lab07_starter_runs_and_has_work_left() {
    if requests_available() {
        starter("lab07", "exercises/lab07_http_client/starter", &[], true);
    }
}

#[test]
fn lab08_starter_runs_and_has_work_left() {
    starter("lab08", "exercises/lab08_patterns/starter", &[], true);
}

#[test]
fn lab09_starter_runs_and_has_work_left() {
    if !crate::lab09::websockets_available() {
        return;
    }
    let v = starter("lab09", "exercises/lab09_websocket/starter", &[], true);
    if v.is_null() {
        return;
    }
    // An echo server and a client that reads, then receives: the two lessons of the lab.
    assert_eq!(check(&v, "broadcast")["status"], "failed", "{v:#}");
    assert_eq!(check(&v, "client_pushed")["status"], "failed", "{v:#}");
}

#[test]
fn lab10_starter_runs_and_has_work_left() {
    let v = starter("lab10", "exercises/lab10_tls/starter", &[], true);
    for id in ["subject", "sni", "wrong_host", "stall"] {
        assert_eq!(check(&v, id)["status"], "failed", "{id}");
    }
}
