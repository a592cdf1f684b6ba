//! netgrade: an automated grader for a Python network-programming course.
//!
//! The `grade` binary starts a student's server or client, plays the other side with a
//! reference implementation written in Rust, and checks what it observes against the lab's
//! grader definition and snapshots.
//!
//! # Stages (one direction)
//!
//! 1. **Load**: [`lab`] names the labs; [`graders`] finds the lab's files (embedded in the binary,
//!    or `--graders DIR`); [`definition`] parses `lab.toml` and validates it into a
//!    [`definition::LabDef`] before any student code runs; [`submission`] works out how the
//!    student's program is started (`grade.toml`, `--python`, or the lab's default) and with
//!    which environment ([`submission::environment`]: nothing of the grader's is inherited).
//! 2. **Run**: [`runner`] walks the checks in order, skipping those whose prerequisites did not
//!    pass, and asks the lab's driver ([`labs`]) to run each one. Drivers supervise student
//!    processes through [`harness`] and talk to them with [`net`]. Nothing here prints.
//! 3. **Report**: the runner emits [`report::Event`]s; [`report::human`], [`report::json`] and
//!    the CI formats ([`report::junit`], [`report::gradescope`], [`report::github`]) render
//!    them into any `io::Write`, so they are tested into a `String`. `--report FORMAT=PATH`
//!    files are rendered from the final [`report::Report`] once the run is over
//!    ([`report::replay`]).
//!
//! # Layers (one way)
//!
//! Every module uses only modules of the layers below its own, never one beside or above it
//! (read from its `crate::` and `super::` paths; `tests/layers.rs` reads this table and the
//! sources and fails on any path that goes against it). Sub-modules of one module are free to
//! use each other. So facts flow down to one home: a lab's wire contract is [`wire`], read by
//! both its checks and its reference; outcomes and exit codes are the result model's
//! ([`report`], [`report::exit`], [`report::outcome`]); the harness and [`net`] return their
//! own types, and the checks turn them into verdicts.
//!
//! | layer | modules | what they are |
//! |---|---|---|
//! | 10 | `cli` | the command line: parse, wire the stages, return the exit code |
//! | 9 | `merge` | sharded batches read back and merged |
//! | 8 | `overview`, `watch`, `batch` | sessions: many gradings, each in a child `grade` |
//! | 7 | `subgrade` | one grading in a child `grade`, seen from outside |
//! | 6 | `runner` | the check graph: order, prerequisites, budgets, outcomes |
//! | 5 | `definition` | `lab.toml`, validated against what the code declares |
//! | 4 | `labs`, `reference` | the checks; the clean references (neither uses the other) |
//! | 3 | `counterpart`, `submission` | the grader's scripted peers; how a student's program starts |
//! | 2 | `harness`, `net`, `report` | processes; the grader's network code; the result model and its reporters |
//! | 1 | `lab`, `graders`, `flood` | the lab registry; where grader files come from; reading a peer that floods |
//! | 0 | `text`, `i18n`, `rng`, `interrupt`, `wire` | foundations; each lab's wire contract |
//!
//! # Module map
//!
//! | module | concept |
//! |---|---|
//! | [`cli`] | argument parsing, wiring the stages together, returning the exit code; `cli/student.rs` wires the student's loop (no lab, `--watch`); `cli/reports.rs`: `--format`, `--report FORMAT=PATH`, `--output`, GitHub's files from the environment; `cli/staff.rs`: staff's `snapshot`, `init-graders`, `check-graders` (no student code); `cli/package.rs`: `grade package KIND LAB`, what a platform needs to grade a lab (`gradescope`: an autograder bundle), from the templates in `templates/KIND/` built into the binary; `cli/merge.rs`: `grade batch-merge`; `cli/isolation.rs`: the grading's namespaces, entered before the runtime starts a thread; `cli/capture.rs`: `--capture FILE`, refused where the network is shared |
//! | [`wire`] | each lab's wire contract, the one home of what a student's program and the grader agree on (default ports, the texts printed or sent, paths, counts, the handout's time limits): read by the checks and the references alike |
//! | [`lab`] | the lab registry: ids, aliases, the programs of a lab by role (server, client) and their files |
//! | [`graders`] | where a lab's definition and snapshots are read from |
//! | [`flood`] | what every reader of a student's program shares against a flood: a wait that looks at its deadline before each read (`flood::by`; a time-out alone never fires while every read is ready), and the [`flood::Tally`] of what came, said in words |
//! | [`definition`] | `lab.toml`: parse, then validate into a richer type |
//! | [`submission`] | how each of a lab's programs is launched (`grade.toml` per role, Python discovery); `submission::environment`: the one allow-list of what a student's program finds in its environment (a private `HOME`/`TMPDIR` per grading, `PORT`, `PATH`, the locale, names passed with `--pass-env` or `grade.toml` `env`) |
//! | [`harness`] | spawning untrusted processes: a cleared environment, process groups, capped capture, standard input the grader writes (`Spec::with_stdin`, bounded by a deadline), readiness (a listening socket asked of the kernel over netlink, `harness::sockdiag`), teardown; `harness::netns` (Linux): every grading's private network namespace (fixture private IP; hermetic mode's resolver files); `harness::pidns` (Linux): its PID namespace, whose init reaps orphans, and each student process's own `/proc` and no capabilities |
//! | [`net`] | the grader's own network code: `net::capture` (`--capture`: a packet socket on the grading's `lo`, a bounded pcapng file with each check marked, and a failed check's exchange as a timeline), raw HTTP client with caps and deadlines, the lab programs' URLs (`net::url`), interfaces, the DNS fixture (where the grader is an *ordinary* HTTP client, a driver uses reqwest instead: `labs/lab06/wire.rs`) |
//! | [`runner`] | the check graph: order, prerequisites, time budgets, outcomes; tells a capture where each check begins and ends, and puts a failed check's exchange in its result |
//! | [`labs`] | one driver per lab: the checks themselves; `labs::spec`: the check graph as the code declares it; `labs::server`: the one way to run a student's server (PORT, default-port fallback, readiness, restart of one that exited or stopped listening, stop); `labs/lab07/judge.rs`: a lab whose checks are pure functions of what its counterpart recorded |
//! | [`reference`](mod@reference) | Rust reference implementations (`grade reference labNN`; lab01's server is the counterpart `counterpart::hello`, which lab03's checks also talk to); the texts `lab.toml`'s `[reference]` may change ([`reference::params`]); `reference::snapshots`: the registry of how each snapshot is made from a reference (`grade snapshot`) |
//! | [`counterpart`] | scripted, bounded peers for student clients (`counterpart::hello`: the seed's hello HTTP server, lab03's counterpart and lab01's reference; `counterpart::accept`: the TCP accept loop they share, a bounded number of connections at once; drop, stall, reply in pieces; lab08's ventilator and sink for three pull workers; lab09's WebSocket room that records, pushes and closes, `counterpart/ws_room.rs`); `counterpart::tls`: lab10's recording TLS servers and a stall (rustls, ring), `counterpart::tls::certs` the certificates made per grading (rcgen); `counterpart::httpbin`: lab07's httpbin-compatible HTTP/1.1 service that records every request, its connection and its times |
//! | [`report`] | the result model (verdicts, outcomes, `report::exit`: the exit codes, `report::outcome`: a child grading seen from outside, for `grade` with no lab and `grade batch`), events, and the reporters: `human`, `json`; for CI `junit` (quick-junit), `gradescope` (`results.json`), `github` (workflow commands) with `markdown` (the step summary) and `classroom` (GitHub Classroom's `result`); `details`: the plain text they share; `wire`: a check's exchange and the run's capture, as reports show them |
//! | [`report::class_html`] | `grade batch`'s `index.html`: a whole class in one self-contained page (inline SVG charts, sortable table, each student's failures); the numbers come from [`report::class_stats`] |
//! | [`text`] | normalization, redaction, visible whitespace, diffs, escaping student output |
//! | [`i18n`] | Korean and English, chosen by `--lang` or the locale |
//! | [`rng`] | the seeded generator behind every randomized value (`--seed` replays it) |
//! | [`batch`] | `grade batch LAB DIR`: a class, one child grading per submission, `--jobs` at a time, `--shard K/N`; each child hides its classmates, the results and staff's graders (`cli/batch.rs` wires it and writes `OUT/` from [`report::summary::Entry`]s: [`report::summary`] writes `summary.json`, `summary.csv` and each student's file, [`report::class_page`] `index.html`) |
//! | [`merge`] | `grade batch-merge OUT...`: the folders of a sharded batch read back into entries ([`report::summary::from_summary`]), checked to belong together (one lab, one split, no shard missing, one result per student) and merged; `cli/merge.rs` writes them with the batch's writers |
//! | [`overview`] | `grade` with no lab: every lab found, each graded by a child `grade labNN --format json`, summarized; rendered by [`report::overview`] |
//! | [`watch`] | `grade labNN --watch`: a child grading, then another on each change of the lab's files (notify); rendered by [`report::watch`] |
//! | [`subgrade`] | `grade` re-executing itself for one lab: why, running it (`child_grading`, bounded in time and output), stopping it politely, reading its exit and report into a [`report::outcome::Outcome`] |
//! | [`interrupt`] | Ctrl+C and SIGTERM as a stream, registered before any child starts |
//!
//! # How to add a lab
//!
//! 1. Add a variant to [`lab::LabId`] with its aliases, directory name, and its programs by
//!    role (a server lab may have a client too; its checks' ids then start with `client_`).
//!    A student server runs through [`labs::server::StudentServer`] (TCP or UDP readiness,
//!    the advisory `uses_port`); a student client talks to a bounded [`counterpart`]. What
//!    the handout fixes on the wire (the default port, the texts printed or sent, paths,
//!    counts, time limits) goes in `wire::labNN`, where the checks and the reference both
//!    read it (`seed_port` in the registry reads its `DEFAULT_PORT`).
//! 2. Write the driver `src/labs/labNN.rs` (a folder `labNN/` once it needs helpers, such as
//!    `lab01/banner.rs`, `lab03/output.rs`). Declare its checks once with the `checks!`
//!    macro ([`labs::spec`]): each id with the prerequisites its *code* relies on (a check
//!    that reads what another fetched) and the hint keys its failures may choose. Export
//!    `pub const CHECKS = Check::SPECS` and register it in [`labs::check_specs`]; implement
//!    [`labs::LabDriver`] (`run_check` matches on the `Check` enum, no catch-all arm) and
//!    register it in [`labs::driver_for`]; say in [`labs::wants_hermetic`] whether it needs
//!    hermetic mode (namespaces + DNS fixture).
//! 3. Write `graders/labNN/lab.toml`: every check in the same order, with titles and hints in
//!    `ko` and `en`, `hints.KEY` for each key the code declares, points, `needs` (at least the
//!    code's, directly or through another check), `timeout_ms`, `advisory = true` for advice
//!    that must never fail a run (0 points), and `visibility` (`visible`, `after_due_date`,
//!    `after_published`, `hidden`: when a Gradescope student sees the check; default
//!    `visible`). The unit test `every_built_in_definition_is_valid` holds it against the
//!    code.
//! 4. Write the reference in `src/reference/labNN.rs` and route it in `cli::reference`. A
//!    text a course may want to change (a body, a banner) is a [`reference::Param`] listed in
//!    [`reference::params`] (`[reference]` in `lab.toml`), with a check of what the lab's
//!    checks need from it. A check that compares against fixed text reads a snapshot
//!    (`CheckCx::snapshot`): register how it is made in `reference::snapshots` (a `Maker`
//!    variant, its `specs` entry, its arm in `make`: the reference's output, normalized and
//!    redacted the way the check compares it), then write `graders/labNN/snapshots/` with
//!    `cargo run -- snapshot labNN --graders graders`; the unit test
//!    `every_embedded_snapshot_is_what_the_reference_gives` keeps them in step.
//! 5. Add `exercises/labNN_<name>/` (handout ko+en, starter, solution), broken variants under
//!    `tests/fixtures/labNN/` (each starts with `# FAULT (name): ...`), the seeds' own programs
//!    and literal student programs under `tests/fixtures/literal/`, and tests in
//!    `tests/labNN.rs` that grade the solution (all pass), each variant (the named check
//!    fails, the rest behave) and pin what the grader says about each literal program.
//!
//! # How to add a check kind
//!
//! A check is a method of a lab driver returning a [`report::Verdict`]. To add one:
//!
//! 1. Add it to the driver's `checks!` block (id, the prerequisites its code needs, the hint
//!    keys it may choose) and to the `run_check` match (the match has no catch-all arm, so
//!    the compiler finds every place to touch).
//! 2. Declare it in the lab's `lab.toml` with its title, hint (and `hints.KEY`), points and
//!    prerequisites; `advisory = true` when it is advice (reported as `warning`, never a
//!    failure). A graded check never warns by itself: only the runner turns an advisory
//!    check's failure into a warning.
//! 3. Every wait inside it goes through a deadline (the harness and [`net`] helpers take one),
//!    and every time-out message names its limit; a loop that reads what a student's program
//!    sends looks at its deadline before each read ([`flood::by`]), keeps a bounded amount,
//!    counts the rest, and does constant work per read, so a flood ends as the student's
//!    failure in time; compare text through [`text`] so the
//!    student sees what was expected, what was seen and a diff. Read output tolerantly
//!    (surrounding spaces, blank lines, commentary) and never grade an order the lesson does
//!    not teach. Choose the hint by what was observed ([`report::Failure::hint`]). Return
//!    `Verdict::Error` only when the grader or the machine failed; `Verdict::Unavailable`
//!    when this machine or run cannot check it (not counted in the maximum). Draw random
//!    values from `cx.rng` (a stream named after the check, so others never shift).
//! 4. One concept per check: it must not fail for a lesson another check teaches.
//! 5. Add a broken variant that makes exactly this check fail, and a test for it.
//!
//! # How to add a report format
//!
//! 1. Write `src/report/<format>.rs`: a type implementing [`report::Reporter`] that renders
//!    the final [`report::Report`] on `Event::Finished` (a format that streams, like the
//!    human one, also handles `CheckFinished`). Map each [`report::Status`] with a `match`
//!    that names all five: the format must keep failed (the student) apart from error (the
//!    grader), and say what it does with skipped and warning. Reuse [`report::details`] for
//!    the text under a check. Nothing in it reads the environment or opens files: paths
//!    come in as parameters.
//! 2. Add the variant to `cli::Format` and to `cli/reports.rs` (`reporter`, the list in
//!    `parse_report`); `--report FORMAT=PATH` then works for it too.
//! 3. Test it: a unit snapshot from `report::tests_support::sample_report` (one check of
//!    each outcome), and in `tests/formats.rs` parse what `grade` writes back and hold it
//!    against the platform's documented fields and types. Document it in the README's
//!    "Reports for CI".

pub mod batch;
pub mod cli;
pub mod counterpart;
pub mod definition;
pub mod flood;
pub mod graders;
pub mod harness;
pub mod i18n;
pub mod interrupt;
pub mod lab;
pub mod labs;
pub mod merge;
pub mod net;
pub mod overview;
pub mod reference;
pub mod report;
pub mod rng;
pub mod runner;
pub mod subgrade;
pub mod submission;
pub mod text;
pub mod watch;
pub mod wire;

/// Cases per property test: `NETGRADE_FUZZ_CASES` for a long fuzzing run, else `default`.
#[cfg(test)]
pub(crate) fn fuzz_cases(default: u32) -> proptest::test_runner::Config {
    let n = std::env::var("NETGRADE_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    proptest::test_runner::Config::with_cases(n)
}
