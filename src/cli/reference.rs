//! `grade reference LAB ...`: runs a lab's Rust reference by hand, so a student or a TA can
//! see what correct behaviour looks like (and tests can grade it through `grade.toml`).
//! Servers listen on `--port`, then `$PORT`, then the lab's default port, until Ctrl+C;
//! command-line programs take the lab's arguments.

use std::future::Future;
use std::io::Write;

use super::{exit, parse_lab, usage};
use crate::i18n::Lang;
use crate::lab::LabId;
use crate::reference;

pub(super) async fn run(lab: &str, port: Option<u16>, args: &[String]) -> i32 {
    let lab = match parse_lab(lab, Lang::detect()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let port = port
        .or_else(|| std::env::var("PORT").ok().and_then(|p| p.parse().ok()))
        .or(lab.info().seed_port)
        .unwrap_or(8000);
    let mut out = Vec::new();
    let err = &mut std::io::stderr();
    let code = match (lab, args.first().map(String::as_str)) {
        (LabId::Lab01, _) => {
            let listener = match tokio::net::TcpListener::bind(("0.0.0.0", port)).await {
                Ok(l) => l,
                Err(e) => return usage(format!("failed to listen on 0.0.0.0:{port}: {e}")),
            };
            let banner = reference::lab01::startup_lines(port).join("\n");
            return serve(&banner, reference::lab01::serve(listener)).await;
        }
        (LabId::Lab02, _) => reference::lab02::run(args, &mut out, err).await,
        (LabId::Lab03, _) => reference::lab03::run(args, &mut out, err).await,
        (LabId::Lab04, Some("server")) => {
            let socket = match tokio::net::UdpSocket::bind(("0.0.0.0", port)).await {
                Ok(s) => s,
                Err(e) => return usage(format!("failed to bind UDP 0.0.0.0:{port}: {e}")),
            };
            let banner = format!("[UDP] echo server on 0.0.0.0:{port}");
            return serve(&banner, reference::lab04::serve(socket)).await;
        }
        (LabId::Lab04, Some("client")) => reference::lab04::client(&args[1..], &mut out, err).await,
        (LabId::Lab05, Some("server")) => {
            let listener = match tokio::net::TcpListener::bind(("0.0.0.0", port)).await {
                Ok(l) => l,
                Err(e) => return usage(format!("failed to listen on 0.0.0.0:{port}: {e}")),
            };
            let banner = format!("[TCP] echo server on 0.0.0.0:{port}");
            return serve(&banner, reference::lab05::serve(listener)).await;
        }
        (LabId::Lab05, Some("client")) => reference::lab05::client(&args[1..], &mut out, err).await,
        (LabId::Lab06, _) => {
            let listener = match tokio::net::TcpListener::bind(("0.0.0.0", port)).await {
                Ok(l) => l,
                Err(e) => return usage(format!("failed to listen on 0.0.0.0:{port}: {e}")),
            };
            let banner = reference::lab06::startup_line(port);
            return serve(&banner, reference::lab06::serve(listener)).await;
        }
        (LabId::Lab04 | LabId::Lab05, _) => {
            return usage(format!(
                "grade reference {lab} server [--port N] | client HOST PORT MESSAGE..."
            ));
        }
    };
    let _ = std::io::stdout().write_all(&out);
    code
}

/// Prints the server's banner, then serves until the server fails (exit 3) or Ctrl+C (0).
async fn serve(banner: &str, server: impl Future<Output = std::io::Result<()>>) -> i32 {
    {
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "{banner}");
        let _ = out.flush();
    }
    tokio::select! {
        r = server => match r {
            Ok(()) => exit::PASSED,
            Err(e) => {
                eprintln!("grade: reference server failed: {e}");
                exit::GRADER
            }
        },
        _ = tokio::signal::ctrl_c() => exit::PASSED,
    }
}
