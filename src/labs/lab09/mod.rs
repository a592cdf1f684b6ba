//! lab09 websocket: two programs around one chat room (seed 003's real-time goal). The
//! student's `chat_server.py` (the `websockets` library, `PORT`, default 8765) sends every
//! text message to every client, the sender included; the grader plays its clients
//! (`server.rs`). The student's `chat_client.py URL` sends each line of its input as one text
//! message and prints each message that arrives as `< TEXT` at once; the grader plays its
//! server with a bounded room that records, pushes and closes
//! ([`crate::counterpart::ws_room`], `client.rs`), and writes its standard input.

mod client;
mod exit;
mod peer;
mod server;

use super::server::StudentServer;
use super::{BoxFuture, CheckCx, LabDriver};
use crate::harness::ports::Probe;
use crate::i18n::Lang;
use crate::lab::Role;
use crate::report::Verdict;
use crate::submission::Programs;
use crate::wire::lab09::DEFAULT_PORT;
use client::ClientSide;

// The code's prerequisites only: a running server, or the client's first run. That a check
// builds on another's lesson (`order` on `broadcast`, `client_server_closes` on
// `client_pushed`) is said in lab.toml, where staff may change it.
checks! {
    enum Check {
        Starts = "starts",
        UsesPort = "uses_port" needs ["starts"],
        Handshake = "handshake" needs ["starts"],
        SenderReceives = "sender_receives" needs ["starts"] hints ["flood"],
        Broadcast = "broadcast" needs ["starts"] hints ["flood"],
        Unchanged = "unchanged" needs ["starts"] hints ["flood"],
        Order = "order" needs ["starts"] hints ["flood"],
        ClientLeaves = "client_leaves" needs ["starts"] hints ["flood"],
        ClientConnects = "client_connects",
        ClientSends = "client_sends" needs ["client_connects"] hints ["newline", "flood"],
        ClientPrints = "client_prints" needs ["client_sends"] hints ["format"],
        ClientPushed = "client_pushed" needs ["client_prints"] hints ["after_input"],
        ClientExits = "client_exits" needs ["client_connects"],
        ClientServerCloses = "client_server_closes" hints ["waits_for_input"],
    }
}

/// The checks, in the order of `graders/lab09/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

pub struct Lab09 {
    server: StudentServer,
    client: ClientSide,
}

impl Lab09 {
    pub fn new(programs: Programs) -> Lab09 {
        let launch = programs.get(Role::Server).cloned().map_err(Clone::clone);
        let server = StudentServer::new(launch, DEFAULT_PORT, Probe::Tcp);
        let launch = programs.get(Role::Client).cloned().map_err(Clone::clone);
        Lab09 {
            server,
            client: ClientSide::new(launch),
        }
    }
}

impl LabDriver for Lab09 {
    fn run_check<'a>(&'a mut self, id: &'a str, mut cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab09 has no check `{id}`"));
            };
            // Every server check gets a running server, started again if it exited. A check
            // that puts clients in the room gets a server of its own, started afresh: a server
            // that never takes a closed connection out of its set would otherwise carry the
            // grader's earlier clients into it, and fail whichever check first sent to one of
            // them, as Python's set order decided. That lesson is `client_leaves`'s alone.
            let ready = match check {
                Check::Starts => Ok(()),
                Check::UsesPort | Check::Handshake => self.server.ensure_running(&cx).await,
                Check::SenderReceives
                | Check::Broadcast
                | Check::Unchanged
                | Check::Order
                | Check::ClientLeaves => self.server.start_afresh(&cx).await,
                Check::ClientConnects
                | Check::ClientSends
                | Check::ClientPrints
                | Check::ClientPushed
                | Check::ClientExits
                | Check::ClientServerCloses => Ok(()),
            };
            if let Err(v) = ready {
                return v;
            }
            let s = &mut self.server;
            let cx = &mut cx;
            match check {
                Check::Starts => s.start(cx).await,
                Check::UsesPort => s.uses_port(cx),
                Check::Handshake => server::handshake(s, cx).await,
                Check::SenderReceives => server::sender_receives(s, cx).await,
                Check::Broadcast => server::broadcast(s, cx).await,
                Check::Unchanged => server::unchanged(s, cx).await,
                Check::Order => server::order(s, cx).await,
                Check::ClientLeaves => server::client_leaves(s, cx).await,
                Check::ClientConnects => self.client.connects(cx).await,
                Check::ClientSends => self.client.sends(cx).await,
                Check::ClientPrints => self.client.prints(cx).await,
                Check::ClientPushed => self.client.pushed(cx).await,
                Check::ClientExits => self.client.exits(cx).await,
                Check::ClientServerCloses => self.client.server_closes(cx).await,
            }
        })
    }

    fn student_ports(&self) -> Vec<u16> {
        self.server.ports()
    }

    fn teardown(&mut self, lang: Lang) -> BoxFuture<'_, Vec<String>> {
        Box::pin(async move {
            self.client.stop().await;
            self.server.stop(lang).await
        })
    }
}
