//! `grade reference LAB ...`: runs a lab's Rust reference by hand, so a student or a TA can
//! see what correct behaviour looks like (and tests can grade it through `grade.toml`).
//! Servers listen on `--port`, then `$PORT`, then the lab's default port, until Ctrl+C;
//! command-line programs take the lab's arguments (lab07: `BASE_URL` for the client, `serve`
//! for the grader's httpbin-compatible service). With `--graders DIR`, lab01 and lab06
//! answer with the texts of that directory's `[reference]`.

use std::future::Future;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use super::{exit, parse_lab, usage};
use crate::definition::LabDef;
use crate::graders::GraderSource;
use crate::i18n::Lang;
use crate::lab::LabId;
use crate::reference;

pub(super) async fn run(
    lab: &str,
    port: Option<u16>,
    graders: Option<PathBuf>,
    args: &[String],
) -> i32 {
    let lab = match parse_lab(lab, Lang::detect()) {
        Ok(l) => l,
        Err(code) => return code,
    };
    let params = match graders {
        None => reference::Params::defaults(lab),
        Some(dir) => match LabDef::load(&GraderSource::Dir(dir), lab) {
            Ok(def) => def.reference,
            Err(e) => return usage(e),
        },
    };
    let body = |default: &str| -> Arc<str> { params.get("body").unwrap_or(default).into() };
    let port = port.or_else(|| std::env::var("PORT").ok().and_then(|p| p.parse().ok()));
    let explicit_port = port;
    let port = port.or(lab.info().seed_port).unwrap_or(8000);
    let mut out = Vec::new();
    let err = &mut std::io::stderr();
    let code = match (lab, args.first().map(String::as_str)) {
        (LabId::Lab01, _) => {
            let listener = match tokio::net::TcpListener::bind(("0.0.0.0", port)).await {
                Ok(l) => l,
                Err(e) => return usage(format!("failed to listen on 0.0.0.0:{port}: {e}")),
            };
            let banner = reference::lab01::startup_lines(port).join("\n");
            let config = crate::counterpart::hello::Config {
                body: Some(body(crate::wire::lab01::BODY)),
                ..Default::default()
            };
            return serve(
                &banner,
                crate::counterpart::hello::serve_with(listener, config),
            )
            .await;
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
            let banner = crate::wire::lab06::startup_line(port);
            let body = body(crate::wire::lab06::BODY);
            return serve(&banner, reference::lab06::serve_with(listener, body)).await;
        }
        (LabId::Lab07, Some("serve")) => {
            // `serve --port N`: the option after the word, as a student types it.
            let port = match &args[1..] {
                [flag, n] if flag == "--port" => match n.parse() {
                    Ok(p) => p,
                    Err(_) => return usage(format!("--port {n}: not a port number")),
                },
                [] => port,
                _ => return usage("grade reference lab07 serve [--port N] | BASE_URL"),
            };
            let listener = match tokio::net::TcpListener::bind(("127.0.0.1", port)).await {
                Ok(l) => l,
                Err(e) => return usage(format!("failed to listen on 127.0.0.1:{port}: {e}")),
            };
            let banner = format!(
                "httpbin-compatible service on {}/ (/get, /post, /status/CODE, /delay/N, /flaky); each request is logged below",
                reference::lab07::base_url(std::net::SocketAddr::from(([127, 0, 0, 1], port)))
            );
            return serve(
                &banner,
                reference::lab07::serve(listener, std::io::stdout()),
            )
            .await;
        }
        (LabId::Lab07, _) => reference::lab07::run(args, &mut out, err).await,
        (LabId::Lab08, Some("broker")) => {
            let listener = match tokio::net::TcpListener::bind(("0.0.0.0", port)).await {
                Ok(l) => l,
                Err(e) => return usage(format!("failed to listen on 0.0.0.0:{port}: {e}")),
            };
            let banner = format!("[BROKER] publish-subscribe broker on 0.0.0.0:{port}");
            return serve(&banner, reference::lab08::serve(listener)).await;
        }
        (LabId::Lab08, Some("worker")) => reference::lab08::worker(&args[1..], &mut out, err).await,
        (LabId::Lab08, _) => {
            return usage(format!(
                "grade reference {lab} broker [--port N] | worker HOST PORT"
            ));
        }
        (LabId::Lab09, Some("server")) => {
            let listener = match tokio::net::TcpListener::bind(("0.0.0.0", port)).await {
                Ok(l) => l,
                Err(e) => return usage(format!("failed to listen on 0.0.0.0:{port}: {e}")),
            };
            let banner = format!("[WS] chat server on ws://127.0.0.1:{port}/");
            return serve(&banner, reference::lab09::serve(listener)).await;
        }
        // Prints each message as it arrives, not at the end: straight to stdout.
        (LabId::Lab09, Some("client")) => return reference::lab09::client(&args[1..]).await,
        (LabId::Lab09, _) => {
            return usage(format!(
                "grade reference {lab} server [--port N] | client URL"
            ));
        }
        (LabId::Lab10, Some("serve")) => {
            let ca = args.get(1).map_or("lab10-ca.pem", String::as_str);
            let (banner, servers) =
                match reference::lab10::test_servers(ca.as_ref(), explicit_port).await {
                    Ok(s) => s,
                    Err(e) => return usage(format!("failed to start the lab10 servers: {e}")),
                };
            return serve(&banner, servers).await;
        }
        (LabId::Lab10, _) => reference::lab10::run(args, &mut out, err).await,
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
