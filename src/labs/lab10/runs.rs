//! lab10's servers and the client's runs against them: the certificates and the CA file are
//! made on first use, each server listens on 127.0.0.1 (port 0, kept) and on ::1 with the same
//! port where it is free, and a run is the
//! student's client on one server's URL with the grading's CA file.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use super::HOST;
use crate::counterpart::tls::{self, Log, Seen, Versions, certs};
use crate::harness::Finished;
use crate::labs::CheckCx;
use crate::report::Verdict;
use crate::rng::Rng;
use crate::submission::Launch;

/// The grader's servers, one per lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Kind {
    Valid,
    WrongHost,
    UnknownCa,
    Expired,
    Stall,
}

/// One run of the client against one server.
pub(super) struct Run {
    pub(super) f: Finished,
    /// The command as a student would type it, for messages.
    pub(super) command: String,
    log: Log,
}

impl Run {
    /// What the server saw.
    pub(super) fn seen(&self) -> Seen {
        self.log.lock().map(|s| s.clone()).unwrap_or_default()
    }
}

/// Certificates and the CA file, once made.
struct Ready {
    certs: certs::Certs,
    cafile: PathBuf,
    /// Holds the CA file; removed on drop.
    _dir: tempfile::TempDir,
}

struct Running {
    port: u16,
    log: Log,
    /// One server on 127.0.0.1, one on ::1 where it could listen.
    tasks: Vec<JoinHandle<()>>,
}

pub(super) struct Servers {
    rng: Rng,
    /// The versions the valid server offers: only one, drawn per grading, so a version
    /// printed from memory is caught half of the time and the real one always passes.
    versions: Versions,
    token: String,
    ready: Option<Ready>,
    running: HashMap<Kind, Running>,
}

impl Servers {
    pub(super) fn new(seed: u64) -> Servers {
        let mut rng = Rng::named(seed, "lab10 servers");
        let versions = if rng.range(0, 1) == 0 {
            Versions::Tls13Only
        } else {
            Versions::Tls12Only
        };
        let token = rng.token(16);
        Servers {
            rng: Rng::named(seed, "lab10 certificates"),
            versions,
            token,
            ready: None,
            running: HashMap::new(),
        }
    }

    pub(super) fn token(&self) -> &str {
        &self.token
    }

    /// The valid server's body.
    pub(super) fn body(&self) -> String {
        tls::body(&self.token)
    }

    /// The one version the valid server accepts, as Python names it.
    pub(super) fn valid_version(&self) -> &'static str {
        match self.versions {
            Versions::Tls12Only => "TLSv1.2",
            Versions::Tls13Only | Versions::Both => "TLSv1.3",
        }
    }

    /// The common name of the valid server's certificate (empty before it is made).
    pub(super) fn valid_common_name(&self) -> String {
        self.ready
            .as_ref()
            .map(|r| r.certs.valid.common_name.clone())
            .unwrap_or_default()
    }

    fn ready(&mut self) -> Result<&Ready, Verdict> {
        if self.ready.is_none() {
            let certs =
                certs::make(&mut self.rng, HOST).map_err(|e| Verdict::Error(e.to_string()))?;
            let (dir, cafile) = write_ca(&certs.ca_pem)
                .map_err(|e| Verdict::Error(format!("failed to write the CA file: {e}")))?;
            self.ready = Some(Ready {
                certs,
                cafile,
                _dir: dir,
            });
        }
        Ok(self.ready.as_ref().expect("made above"))
    }

    /// Starts `kind`'s server if it is not running; its port and record.
    async fn start(&mut self, kind: Kind) -> Result<(u16, Log), Verdict> {
        if let Some(r) = self.running.get(&kind) {
            return Ok((r.port, r.log.clone()));
        }
        let versions = self.versions;
        let certs = &self.ready()?.certs;
        // The valid server offers the grading's one version; the others both, so that they
        // refuse a client for their certificate alone.
        let leaf = match kind {
            Kind::Valid => Some((&certs.valid, versions)),
            Kind::WrongHost => Some((&certs.wrong_host, Versions::Both)),
            Kind::UnknownCa => Some((&certs.unknown_ca, Versions::Both)),
            Kind::Expired => Some((&certs.expired, Versions::Both)),
            Kind::Stall => None,
        };
        let log = Log::default();
        let config = leaf
            .map(|(leaf, versions)| tls::server_config(leaf.key.clone(), versions, log.clone()))
            .transpose()
            .map_err(|e| Verdict::Error(format!("the grader's TLS configuration failed: {e}")))?;
        let (port, listeners) = tls::loopback_listeners(0).await.map_err(|e| {
            Verdict::Error(format!("the grader's TLS server could not listen: {e}"))
        })?;
        let body: Arc<str> = self.body().into();
        let tasks = listeners
            .into_iter()
            .map(|l| match &config {
                Some(c) => tokio::spawn(tls::serve(l, c.clone(), body.clone(), log.clone())),
                None => tokio::spawn(tls::stall(l, log.clone())),
            })
            .collect();
        let running = Running {
            port,
            log: log.clone(),
            tasks,
        };
        self.running.insert(kind, running);
        Ok((port, log))
    }

    /// The client on `kind`'s server: `tls_client.py https://localhost:PORT/ CAFILE`.
    pub(super) async fn run(
        &mut self,
        kind: Kind,
        launch: &Launch,
        limit: Duration,
        cx: &CheckCx<'_>,
    ) -> Result<Run, Verdict> {
        let (port, log) = self.start(kind).await?;
        let cafile = self.ready()?.cafile.to_string_lossy().into_owned();
        let url = format!("https://{HOST}:{port}/");
        let f = crate::labs::run_program(launch, &[&url, &cafile], limit, cx).await?;
        Ok(Run {
            f,
            command: format!("tls_client.py {url} CAFILE"),
            log,
        })
    }

    pub(super) fn stop(&mut self) {
        for task in self.running.drain().flat_map(|(_, r)| r.tasks) {
            task.abort();
        }
        self.ready = None;
    }
}

/// The CA certificate in a fresh directory anyone may read (a certificate is public, and
/// the student's program may run as another user).
fn write_ca(pem: &str) -> std::io::Result<(tempfile::TempDir, PathBuf)> {
    let dir = tempfile::Builder::new()
        .prefix("netgrade-lab10-")
        .tempdir()?;
    let path = dir.path().join("ca.pem");
    std::fs::write(&path, pem)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755))?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    }
    Ok((dir, path))
}
