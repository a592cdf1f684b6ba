//! The one integration-test binary. Shared helpers live in `util`; each file covers one area.

mod util;

mod batch;
mod batch_merge;
mod capture;
mod class_report;
mod cli;
#[cfg(unix)]
mod environment;
mod fixtures_guard;
#[cfg(unix)]
mod flood;
mod formats;
#[cfg(unix)]
mod hostile;
mod isolation;
mod lab01;
mod lab02;
mod lab03;
mod lab04;
mod lab05;
mod lab06;
mod lab07;
mod lab08;
mod lab09;
mod lab10;
mod layers;
mod literal;
#[cfg(unix)]
mod package;
mod release;
mod seed_programs;
mod staff;
mod starters;
mod student_loop;
mod templates;
