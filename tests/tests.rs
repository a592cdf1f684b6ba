//! The one integration-test binary. Shared helpers live in `util`; each file covers one area.

mod util;

mod class_report;
mod cli;
mod fixtures_guard;
#[cfg(unix)]
mod hostile;
mod lab01;
mod lab02;
mod lab03;
mod lab04;
mod lab05;
mod lab06;
mod literal;
mod seed_programs;
mod starters;
mod student_loop;
