//! lab08's literal programs: brokers and workers written from the handout alone (see the
//! parent module for what the literal fixtures are). Besides what each gets wrong, these pin
//! where a broker that dies is blamed: under the check during which it died, with its
//! traceback, and never under a later one (the grader starts it again before the next check).

use super::{expect, words};
use crate::util::*;

const LAB08: [&str; 16] = [
    "starts",
    "uses_port",
    "delivers",
    "exact_topic",
    "every_subscriber",
    "unsub",
    "slow_subscriber",
    "subscriber_vanishes",
    "several_publishers",
    "client_ready",
    "client_results",
    "client_none_lost",
    "client_no_duplicates",
    "client_one_at_a_time",
    "client_spread",
    "client_exits",
];

/// The shortest broker a student writes from the handout: a thread per connection reading
/// lines with `makefile`, a list of subscribers per topic, `sendall` to each, no error
/// handling. The topics, copies, UNSUB and several publishers are right; a subscriber that
/// stops reading blocks the publisher's thread (and with it the other subscriber), and one
/// that resets kills the thread of the next publisher that sends to it, so the subscriber
/// after it in the list gets nothing. Its worker, a `for line in f` loop, is right.
#[test]
fn lab08_shortest_misses_slow_subscriber_and_subscriber_vanishes() {
    let (r, v) = grade_json("lab08", "tests/fixtures/literal/lab08_shortest", &[]);
    assert_eq!(
        statuses(&v),
        expect(
            &LAB08,
            &[
                ("slow_subscriber", "failed"),
                ("subscriber_vanishes", "failed")
            ]
        ),
        "{r}"
    );
    r.code(1);
    let (_, hint) = words(&v, "slow_subscriber");
    assert!(hint.contains("sendall"), "{hint}");
    let (message, _) = words(&v, "subscriber_vanishes");
    assert!(message.contains("0 / 2"), "{message}");
}

/// The handout's other way past a slow subscriber: a thread per connection, a
/// `queue.Queue(maxsize=100)` per subscriber emptied by its own sending thread, a message
/// dropped (`put_nowait`, `queue.Full`) when that queue is full. Everything passes: the grader
/// publishes no faster than the reading subscriber receives, so a bounded queue is no fault
/// (it once published 8 MiB at once, and this broker dropped the reading subscriber's messages).
#[test]
fn lab08_queue_per_subscriber_passes_slow_subscriber() {
    let (r, v) = grade_json(
        "lab08",
        "tests/fixtures/literal/lab08_queue_per_subscriber",
        &[],
    );
    assert_eq!(statuses(&v), expect(&LAB08, &[]), "{r}");
    r.code(0);
}

/// A broker whose main thread does all the sending, reading through a thread per connection
/// (threads that are not daemon threads, as `threading.Thread` makes them). A connection that
/// ends is closed but left in its topics, and `sendall` is guarded against the two errors the
/// handout names only: the publish after a subscriber's reset sends on a closed socket, and
/// `OSError: [Errno 9] Bad file descriptor` ends the main thread. Its `with` closes the
/// listening socket at once, but the reader threads of the connections still open keep the
/// process alive until they close, so it is still running (or only just exiting) when the next
/// check begins. `subscriber_vanishes` says the broker stopped accepting connections and shows
/// the traceback; `several_publishers` gets a broker started again and passes (it was refused
/// and told to buffer lines per connection). A blocking `sendall` also misses `slow_subscriber`.
#[test]
fn lab08_one_dispatcher_is_blamed_where_it_crashed() {
    let (r, v) = grade_json("lab08", "tests/fixtures/literal/lab08_one_dispatcher", &[]);
    assert_eq!(
        statuses(&v),
        expect(
            &LAB08,
            &[
                ("slow_subscriber", "failed"),
                ("subscriber_vanishes", "failed")
            ]
        ),
        "{r}"
    );
    r.code(1);
    crashed_in_subscriber_vanishes(&v, &r);
}

/// A single-threaded `select` broker with a status thread that prints every 10 s (not a daemon
/// thread). A reset is read as an end and the socket closed, but the connection stays in its
/// topics: the next publish to it raises `OSError: [Errno 9] Bad file descriptor`, the main
/// thread ends and its `with` closes the listening socket, and the status thread keeps the
/// process running for good. The grader stops that process (its whole tree) and starts the
/// broker again for the next check. The same crash may also come as `slow_subscriber`'s
/// connections close (a publish still queued for the subscriber that was cut off): that check
/// fails for its own lesson anyway, and says so.
#[test]
fn lab08_status_thread_is_started_again_though_it_still_runs() {
    let (r, v) = grade_json("lab08", "tests/fixtures/literal/lab08_status_thread", &[]);
    assert_eq!(
        statuses(&v),
        expect(
            &LAB08,
            &[
                ("slow_subscriber", "failed"),
                ("subscriber_vanishes", "failed")
            ]
        ),
        "{r}"
    );
    r.code(1);
    let (message, _) = words(&v, "slow_subscriber");
    assert!(message.contains("/ 2048"), "{message}");
    crashed_in_subscriber_vanishes(&v, &r);
}

/// The crash after the reset is told under `subscriber_vanishes` (the broker stopped accepting
/// connections, its traceback, the hint about guarding send), not under `several_publishers`,
/// which passed on a broker started again.
#[track_caller]
fn crashed_in_subscriber_vanishes(v: &serde_json::Value, r: &Run) {
    let (message, hint) = words(v, "subscriber_vanishes");
    assert!(
        message.starts_with(
            "after a subscriber reset its connection, the broker stopped accepting connections: \
             its listening socket is closed, yet the process runs on"
        ),
        "{message}\n{r}"
    );
    assert!(hint.contains("try/except oserror"), "{hint}");
    let stderr = check(v, "subscriber_vanishes")["output"]["stderr"]
        .as_str()
        .unwrap_or_default();
    assert!(
        stderr.contains("OSError: [Errno 9] Bad file descriptor"),
        "{stderr}\n{r}"
    );
    assert!(check(v, "several_publishers")["message"].is_null(), "{r}");
    let notices = v["notices"].to_string();
    assert!(notices.contains("the grader started it again"), "{r}");
}
