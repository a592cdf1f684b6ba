//! How each of a lab's snapshots is made from its Rust reference: the registry behind
//! `grade snapshot`. A snapshot is what a check compares a student's output against; it is
//! the reference's own output, normalized and redacted the way that check compares it, so a
//! course that changes a reference text (`[reference]` in `lab.toml`) regenerates the
//! snapshots instead of editing them by hand. Every maker runs the reference for real, on a
//! loopback port it binds itself (port 0, kept), and talks to it as the grader does.
//!
//! To add a snapshot: a [`Maker`] variant, its entry in [`specs`], its arm in [`make`], and a
//! check that reads it with `CheckCx::snapshot`. The unit test
//! `every_embedded_snapshot_is_what_the_reference_gives` holds `graders/` against the registry.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;

use super::Params;
use crate::lab::LabId;
use crate::net::http::{self, HttpLimits};
use crate::text;

/// One snapshot file of a lab, and how it is made.
#[derive(Debug)]
pub struct Spec {
    /// The file under `graders/<lab>/snapshots/`.
    pub file: &'static str,
    /// What it holds and who reads it, for staff.
    pub about: &'static str,
    pub maker: Maker,
}

/// The ways a snapshot is made (one per snapshot: a `match` names them all).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Maker {
    /// lab01: the reference server's body for `GET /`, normalized (`\r\n` folded, one final
    /// newline dropped), the `client_ip=` value redacted to `<CLIENT_IP>`: lab01's `body`.
    Lab01Body,
    /// lab03: the reference client against the reference lab01 server, with the port, the
    /// connect time and the body's token redacted: the shape of a correct run, for staff.
    Lab03Transcript,
    /// lab06: the reference server's body for `GET /` as sent, trailing whitespace dropped:
    /// lab06's `body`.
    Lab06Body,
}

/// The snapshots of `lab` (none for a lab whose checks compare no fixed text).
pub fn specs(lab: LabId) -> &'static [Spec] {
    match lab {
        LabId::Lab01 => &[Spec {
            file: "body.txt",
            about: "the body of GET /, client_ip redacted; check `body` compares it",
            maker: Maker::Lab01Body,
        }],
        LabId::Lab03 => &[Spec {
            file: "transcript.txt",
            about: "a correct run of the client, port, time and token redacted; for staff, no check reads it",
            maker: Maker::Lab03Transcript,
        }],
        LabId::Lab06 => &[Spec {
            file: "body.txt",
            about: "the body of GET /; check `body` compares it",
            maker: Maker::Lab06Body,
        }],
        LabId::Lab02
        | LabId::Lab04
        | LabId::Lab05
        | LabId::Lab07
        | LabId::Lab08
        | LabId::Lab09
        | LabId::Lab10 => &[],
    }
}

/// A snapshot as the reference gives it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Made {
    pub file: &'static str,
    /// The file's whole text (ending with a newline).
    pub text: String,
}

#[derive(Debug, thiserror::Error)]
#[error("{lab} snapshot {file}: the reference failed: {message}")]
pub struct MakeError {
    pub lab: LabId,
    pub file: &'static str,
    pub message: String,
}

/// Runs `lab`'s reference with `params` and makes each of its snapshots, in [`specs`] order.
pub async fn make_all(lab: LabId, params: &Params) -> Result<Vec<Made>, MakeError> {
    let mut out = Vec::new();
    for spec in specs(lab) {
        let text = make(spec.maker, params)
            .await
            .map_err(|message| MakeError {
                lab,
                file: spec.file,
                message,
            })?;
        out.push(Made {
            file: spec.file,
            text,
        });
    }
    Ok(out)
}

/// Makes one snapshot.
pub async fn make(maker: Maker, params: &Params) -> Result<String, String> {
    match maker {
        Maker::Lab01Body => {
            let config = crate::counterpart::hello::Config {
                body: params.get("body").map(Arc::from),
                ..Default::default()
            };
            let (listener, addr) = loopback().await?;
            let server = tokio::spawn(crate::counterpart::hello::serve_with(listener, config));
            let r = fetch_root(addr).await;
            server.abort();
            let body = r?.body_text();
            let redacted = text::redact_value(&text::normalize(&body), "client_ip=", "<CLIENT_IP>");
            Ok(format!("{redacted}\n"))
        }
        Maker::Lab03Transcript => lab03_transcript().await,
        Maker::Lab06Body => {
            let body: Arc<str> = params
                .get("body")
                .unwrap_or(crate::wire::lab06::BODY)
                .into();
            let (listener, addr) = loopback().await?;
            let server = tokio::spawn(super::lab06::serve_with(listener, body));
            let r = fetch_root(addr).await;
            server.abort();
            Ok(format!("{}\n", r?.body_text().trim_end()))
        }
    }
}

async fn loopback() -> Result<(TcpListener, SocketAddr), String> {
    let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .map_err(|e| format!("could not listen on 127.0.0.1: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    Ok((listener, addr))
}

async fn fetch_root(addr: SocketAddr) -> Result<http::Response, String> {
    let r = http::get(addr, None, "127.0.0.1", "/", HttpLimits::default())
        .await
        .map_err(|e| format!("GET / from the reference server: {e}"))?;
    if r.status != 200 {
        return Err(format!("GET / answered {}", r.status_line));
    }
    Ok(r)
}

async fn lab03_transcript() -> Result<String, String> {
    let (listener, addr) = loopback().await?;
    let port = addr.port();
    let config = crate::counterpart::hello::Config::default();
    config.set_token(Some("t0k3n".into()));
    let server = tokio::spawn(crate::counterpart::hello::serve_with(listener, config));
    let mut out = Vec::new();
    let mut err = Vec::new();
    let url = format!(
        "http://{}/",
        SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)
    );
    let code = super::lab03::run(&[url], &mut out, &mut err).await;
    server.abort();
    if code != 0 {
        return Err(format!(
            "the reference client exited {code}: {}",
            String::from_utf8_lossy(&err).trim()
        ));
    }
    let text = String::from_utf8_lossy(&out);
    let mut lines = Vec::new();
    for line in text.replace(&port.to_string(), "<PORT>").lines() {
        lines.push(match line.split_once(" = ") {
            Some((head, _)) if line.starts_with("[TCP]") => format!("{head} = <MS> ms"),
            _ => line.replace("t0k3n", "<TOKEN>"),
        });
    }
    Ok(lines.join("\n") + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graders::GraderSource;

    /// What `grade snapshot --check` holds in CI: the snapshots built into the binary are the
    /// references' own output.
    #[tokio::test]
    async fn every_embedded_snapshot_is_what_the_reference_gives() {
        for info in LabId::all() {
            let made = make_all(info.id, &Params::defaults(info.id)).await.unwrap();
            assert_eq!(made.len(), specs(info.id).len());
            for m in made {
                let file = GraderSource::Embedded
                    .read(info.key, &format!("snapshots/{}", m.file))
                    .unwrap();
                assert_eq!(m.text, file, "{} {}", info.key, m.file);
            }
        }
    }

    /// The lab01 snapshot is compared the way the `body` check compares: normalized, redacted.
    #[tokio::test]
    async fn a_course_body_flows_into_the_snapshot() {
        let mut set = std::collections::BTreeMap::new();
        set.insert(
            "body".to_string(),
            "Welcome!\r\nclient_ip={client_ip}\r\n".to_string(),
        );
        let params = Params::resolve(LabId::Lab01, &set).unwrap();
        let made = make(Maker::Lab01Body, &params).await.unwrap();
        assert_eq!(made, "Welcome!\nclient_ip=<CLIENT_IP>\n");
        set.insert("body".to_string(), "Bonjour !\n".to_string());
        let params = Params::resolve(LabId::Lab06, &set).unwrap();
        assert_eq!(
            make(Maker::Lab06Body, &params).await.unwrap(),
            "Bonjour !\n"
        );
    }

    #[test]
    fn unknown_or_bad_reference_settings_are_named() {
        let mut set = std::collections::BTreeMap::new();
        set.insert("bdy".to_string(), "x".to_string());
        let e = Params::resolve(LabId::Lab06, &set).unwrap_err();
        assert!(e.contains("`bdy`") && e.contains("settings: body"), "{e}");
        let e = Params::resolve(LabId::Lab02, &set).unwrap_err();
        assert!(e.contains("nothing to set"), "{e}");
        set.clear();
        set.insert("body".to_string(), "no address here".to_string());
        let e = Params::resolve(LabId::Lab01, &set).unwrap_err();
        assert!(e.contains("client_ip={client_ip}"), "{e}");
    }
}
