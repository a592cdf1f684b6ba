//! Rust reference implementations of the labs. The grader uses them as counterparts (the
//! server a student's client talks to), and `grade reference labNN` runs them by hand, so that
//! a student or a TA can see what correct behaviour looks like.

pub mod lab01;
pub mod lab02;
pub mod lab03;
pub mod lab04;
pub mod lab05;
pub mod lab06;
