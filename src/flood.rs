//! What every reader of a student's program shares against a flood: lines, messages or bytes
//! sent as fast as the program can write them, for as long as it runs. A reader keeps a
//! bounded amount of what comes, counts the rest in a [`Tally`], and stops at its deadline
//! with [`by`]; the check then fails, saying how much came ([`Tally::say`]).
//!
//! Why [`by`] and not `tokio::time::timeout_at` alone: a time-out polls its future first and
//! looks at the clock only when that future is pending. A read from a peer that floods is
//! never pending (the next bytes are always there), so a loop of reads, each under a fresh
//! time-out, ran past its deadline for as long as the flood lasted (issue 18: lab08's
//! `delivers` was stopped by the runner after 12 s with a wait of 3 s).

use std::future::Future;

use tokio::time::Instant;

use crate::i18n::Lang;

/// `fut`'s output, or `None` once `until` has passed: looked at before `fut` is polled, so a
/// loop of reads ends at its deadline even when every read is ready at once.
pub async fn by<F: Future>(until: Instant, fut: F) -> Option<F::Output> {
    if Instant::now() >= until {
        return None;
    }
    tokio::time::timeout_at(until, fut).await.ok()
}

/// How much a peer sent: how many units (lines, messages, requests) and their bytes, counted
/// whether the reader kept them or not.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    pub count: u64,
    pub bytes: u64,
}

/// What a [`Tally`] counts, for the words that name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Lines,
    Messages,
    Requests,
}

impl Tally {
    /// One more unit of `bytes` bytes.
    pub fn add(&mut self, bytes: usize) {
        self.count += 1;
        self.bytes += bytes as u64;
    }

    /// `12,345 lines (48.2 MiB)`; in Korean `12,345줄(48.2 MiB)`, `메시지 12,345개(48.2 MiB)`.
    pub fn say(&self, unit: Unit, lang: Lang) -> String {
        let (n, size) = (thousands(self.count), bytes(self.bytes, lang));
        match (lang, unit) {
            (Lang::Ko, Unit::Lines) => format!("{n}줄({size})"),
            (Lang::Ko, Unit::Messages) => format!("메시지 {n}개({size})"),
            (Lang::Ko, Unit::Requests) => format!("요청 {n}개({size})"),
            (Lang::En, Unit::Lines) => format!("{n} {} ({size})", plural(self.count, "line")),
            (Lang::En, Unit::Messages) => {
                format!("{n} {} ({size})", plural(self.count, "message"))
            }
            (Lang::En, Unit::Requests) => {
                format!("{n} {} ({size})", plural(self.count, "request"))
            }
        }
    }
}

fn plural(n: u64, word: &str) -> String {
    if n == 1 {
        word.to_string()
    } else {
        format!("{word}s")
    }
}

/// `1234567` as `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A size as people read it: `512 bytes`, `4.0 KiB`, `48.2 MiB`.
pub fn bytes(n: u64, lang: Lang) -> String {
    const KIB: f64 = 1024.0;
    let f = n as f64;
    if f < KIB {
        format!("{n}{}", lang.pick("바이트", " bytes"))
    } else if f < KIB * KIB {
        format!("{:.1} KiB", f / KIB)
    } else if f < KIB * KIB * KIB {
        format!("{:.1} MiB", f / KIB / KIB)
    } else {
        format!("{:.1} GiB", f / KIB / KIB / KIB)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_tally_is_said_with_its_unit_and_size() {
        let mut t = Tally::default();
        for _ in 0..12_345 {
            t.add(4000);
        }
        assert_eq!(t.say(Unit::Lines, Lang::En), "12,345 lines (47.1 MiB)");
        assert_eq!(t.say(Unit::Lines, Lang::Ko), "12,345줄(47.1 MiB)");
        assert_eq!(t.say(Unit::Messages, Lang::Ko), "메시지 12,345개(47.1 MiB)");
        let one = Tally { count: 1, bytes: 9 };
        assert_eq!(one.say(Unit::Requests, Lang::En), "1 request (9 bytes)");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
    }

    /// The point of `by`: a future that is always ready at once still ends at the deadline,
    /// where `timeout_at` would hand back its output for as long as it is polled.
    #[tokio::test]
    async fn a_loop_of_ready_reads_ends_at_its_deadline() {
        let until = Instant::now() + Duration::from_millis(50);
        let mut reads = 0u64;
        while by(until, std::future::ready(())).await.is_some() {
            reads += 1;
            // Work per read, as a reader of a flood does: the clock moves on.
            std::thread::sleep(Duration::from_micros(200));
        }
        assert!(Instant::now() >= until);
        assert!(reads > 0 && reads < 1_000, "{reads} reads");
    }
}
