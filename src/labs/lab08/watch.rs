//! The flood a lab08 broker check met. Every connection a check opens ([`super::peer::Peer`])
//! shares one [`Watch`]; a connection sent more lines than the grader keeps notes it there and
//! stops reading, and the check's verdict gives way to the flood's failure ([`Watch::judge`]):
//! the grader could not see what came after it, and the student reads how much came.

use std::sync::{Arc, Mutex};

use crate::flood::{Tally, Unit};
use crate::labs::CheckCx;
use crate::labs::server::StudentServer;
use crate::report::Verdict;
use crate::text;

/// The first lines of a flood, shown in its failure.
const FLOOD_SHOWN: usize = 3;

/// What one check's connections met, shared by them all: the largest flood, and a connection
/// refused before the check sent anything (the broker was gone before it began).
#[derive(Clone, Default)]
pub(super) struct Watch(Arc<Mutex<Met>>);

#[derive(Default)]
struct Met {
    flood: Option<Flood>,
    refused: Option<String>,
}

/// A connection sent more lines than the grader keeps.
#[derive(Clone, Debug)]
pub(super) struct Flood {
    /// What that connection received before the grader stopped reading it.
    pub received: Tally,
    /// Its first lines, as received.
    pub first: Vec<String>,
}

impl Watch {
    /// The largest flood met so far, if any.
    pub fn flood(&self) -> Option<Flood> {
        self.0.lock().ok().and_then(|m| m.flood.clone())
    }

    /// A connection that received `received` (its first lines kept in `lines`) was flooded.
    pub fn note(&self, received: Tally, lines: &[String]) {
        if let Ok(mut m) = self.0.lock()
            && m.flood
                .as_ref()
                .is_none_or(|f| f.received.count < received.count)
        {
            m.flood = Some(Flood {
                received,
                first: lines.iter().take(FLOOD_SHOWN).cloned().collect(),
            });
        }
    }

    /// A connection the check opened before sending anything was refused (`error`).
    pub fn refused(&self, error: &std::io::Error) {
        if let Ok(mut m) = self.0.lock() {
            m.refused.get_or_insert_with(|| error.to_string());
        }
    }

    /// The refusal the check met, if it met one.
    pub fn refusal(&self) -> Option<String> {
        self.0.lock().ok().and_then(|m| m.refused.clone())
    }

    /// A check during which a connection was flooded fails for it, whatever else held: the
    /// grader stopped reading that connection, so what came after the flood was never seen.
    /// What the check found otherwise (a pass, or a failure that a flood explains) gives way.
    pub fn judge(&self, v: Verdict, server: &StudentServer, cx: &CheckCx<'_>) -> Verdict {
        let Some(f) = self.flood() else {
            return v;
        };
        let got = f.received.say(Unit::Lines, cx.lang);
        let message = cx.t(
            &format!(
                "브로커가 한 연결에 {got}을 쉴 새 없이 보냈습니다. 이 검사에서 발행한 메시지는 몇 개뿐이라, 채점기는 거기서 그 연결을 더 읽지 않았습니다"
            ),
            &format!(
                "the broker sent one connection {got} without pause, though this check published only a few messages; the grader stopped reading that connection there"
            ),
        );
        let first: Vec<String> = f
            .first
            .iter()
            .map(|l| text::clip(&text::escape_student(l.as_bytes()), 120, 1))
            .collect();
        server
            .failure(message)
            .expected(cx.t(
                "발행된 메시지마다 MSG 주제 내용 한 줄",
                "one MSG topic text line per message published",
            ))
            .actual(format!("{}\n...", first.join("\n")))
            .hint("flood")
            .into()
    }
}
