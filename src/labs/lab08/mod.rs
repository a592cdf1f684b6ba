//! lab08 patterns: two messaging patterns of seed 001 over TCP lines. The student's `broker.py`
//! is a publish-subscribe broker (`SUB topic`, `UNSUB topic`, `PUB topic text` in; `MSG topic
//! text` out to every connection subscribed to exactly that topic); the grader plays its
//! publishers and subscribers, one of which stops reading and one of which resets. The
//! student's `worker.py HOST PORT` is a pull worker; the grader runs three at once against its
//! own ventilator and sink ([`crate::counterpart::ventilator`]) and grades what they did.
//!
//! The broker handles two connections in an order of its own, so the grader never assumes a
//! `SUB` is in effect because it was sent: it publishes a sync text until the subscriber
//! receives it (`peer::subscribe`), and it knows a subscriber has everything once a fence
//! text published after the messages has reached it.

mod broker;
mod gone;
mod peer;
mod resilience;
mod watch;
mod workers;

use super::server::StudentServer;
use super::{BoxFuture, CheckCx, DriverEnv, LabDriver};
use crate::harness::ports::Probe;
use crate::i18n::Lang;
use crate::lab::Role;
use crate::report::Verdict;
use crate::submission::Programs;
use crate::wire::lab08::DEFAULT_PORT;
use broker::flat;
use workers::Workers;

checks! {
    enum Check {
        Starts = "starts",
        UsesPort = "uses_port" needs ["starts"],
        Delivers = "delivers" needs ["starts"] hints ["flood"],
        ExactTopic = "exact_topic" needs ["starts"] hints ["prefix", "flood"],
        EverySubscriber = "every_subscriber" needs ["starts"] hints ["one_only", "twice", "flood"],
        Unsub = "unsub" needs ["starts"] hints ["flood"],
        SlowSubscriber = "slow_subscriber" needs ["starts"] hints ["flood"],
        SubscriberVanishes = "subscriber_vanishes" needs ["starts"] hints ["flood"],
        SeveralPublishers = "several_publishers" needs ["starts"] hints ["flood"],
        ClientReady = "client_ready",
        ClientResults = "client_results" needs ["client_ready"],
        ClientNoneLost = "client_none_lost" needs ["client_ready"] hints ["stopped_asking"],
        ClientNoDuplicates = "client_no_duplicates" needs ["client_ready"],
        ClientOneAtATime = "client_one_at_a_time" needs ["client_ready"],
        ClientSpread = "client_spread" needs ["client_ready"],
        ClientExits = "client_exits" needs ["client_ready"] hints ["never_ends"],
    }
}

/// The checks, in the order of `graders/lab08/lab.toml`.
pub const CHECKS: &[super::spec::CheckSpec] = Check::SPECS;

pub struct Lab08 {
    server: StudentServer,
    workers: Workers,
}

impl Lab08 {
    pub fn new(programs: Programs, env: DriverEnv) -> Lab08 {
        let launch = programs.get(Role::Server).cloned().map_err(Clone::clone);
        let server = StudentServer::new(launch, DEFAULT_PORT, Probe::Tcp);
        let launch = programs.get(Role::Client).cloned().map_err(Clone::clone);
        Lab08 {
            server,
            workers: Workers::new(launch, env.seed),
        }
    }
}

impl LabDriver for Lab08 {
    fn run_check<'a>(&'a mut self, id: &'a str, mut cx: CheckCx<'a>) -> BoxFuture<'a, Verdict> {
        Box::pin(async move {
            let Some(check) = Check::parse(id) else {
                return Verdict::Error(format!("lab08 has no check `{id}`"));
            };
            // Every broker check gets a running broker, started again if it exited or stopped
            // listening.
            if let Err(v) = self.server.before_check(CHECKS, id, &cx).await {
                return v;
            }
            let server = &mut self.server;
            match check {
                Check::Starts => server.start(&cx).await,
                Check::UsesPort => server.uses_port(&cx),
                Check::Delivers
                | Check::ExactTopic
                | Check::EverySubscriber
                | Check::Unsub
                | Check::SlowSubscriber
                | Check::SubscriberVanishes
                | Check::SeveralPublishers => {
                    let (mut v, refused) = broker_check(check, server, &mut cx).await;
                    // Refused before it sent anything: the broker went just before this check
                    // (as the last one's connections closed). Once more, on a broker started
                    // again; refused again, the broker ends by itself, during this check.
                    if refused.is_some() {
                        if let Err(failed) = server.ensure_running(&cx).await {
                            return failed;
                        }
                        let again;
                        (v, again) = broker_check(check, server, &mut cx).await;
                        if let Some(error) = again {
                            return gone::unreachable_again(server, &error, &cx).await;
                        }
                    }
                    gone::settle(server, v, &cx).await
                }
                Check::ClientReady => self.workers.ready(&cx).await,
                Check::ClientResults => self.workers.results(&cx),
                Check::ClientNoneLost => self.workers.none_lost(&cx),
                Check::ClientNoDuplicates => self.workers.no_duplicates(&cx),
                Check::ClientOneAtATime => self.workers.one_at_a_time(&cx),
                Check::ClientSpread => self.workers.spread(&cx),
                Check::ClientExits => self.workers.exits(&cx),
            }
        })
    }

    fn student_ports(&self) -> Vec<u16> {
        self.server.ports()
    }

    fn teardown(&mut self, lang: Lang) -> BoxFuture<'_, Vec<String>> {
        Box::pin(self.server.stop(lang))
    }
}

/// One run of a broker check, and the refusal it met before sending anything, if any. Its
/// connections share a [`watch::Watch`]: a flood any of them met decides the verdict
/// ([`watch::Watch::judge`]), and a refusal is noted there.
async fn broker_check(
    check: Check,
    server: &mut StudentServer,
    cx: &mut CheckCx<'_>,
) -> (Verdict, Option<String>) {
    let w = watch::Watch::default();
    let v = match check {
        Check::Delivers => flat(broker::delivers(server, cx, &w).await),
        Check::ExactTopic => flat(broker::exact_topic(server, cx, &w).await),
        Check::EverySubscriber => flat(broker::every_subscriber(server, cx, &w).await),
        Check::Unsub => flat(broker::unsub(server, cx, &w).await),
        Check::SlowSubscriber => flat(resilience::slow_subscriber(server, cx, &w).await),
        Check::SubscriberVanishes => flat(resilience::subscriber_vanishes(server, cx, &w).await),
        Check::SeveralPublishers => flat(resilience::several_publishers(server, cx, &w).await),
        Check::Starts
        | Check::UsesPort
        | Check::ClientReady
        | Check::ClientResults
        | Check::ClientNoneLost
        | Check::ClientNoDuplicates
        | Check::ClientOneAtATime
        | Check::ClientSpread
        | Check::ClientExits => {
            return (
                Verdict::Error(format!("{check:?} is not a broker check")),
                None,
            );
        }
    };
    (w.judge(v, server, cx), w.refusal())
}
