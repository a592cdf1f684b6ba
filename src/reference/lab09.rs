//! The reference lab09 programs: `grade reference lab09 server` (a WebSocket chat room on
//! `PORT`, default 8765: every text message to every client, the sender included; the room of
//! [`crate::counterpart::ws_room`]) and `grade reference lab09 client URL` (each line of its
//! standard input sent as one text message, each message that arrives printed as `< TEXT` at
//! once, whatever the input is doing).

use std::io::{BufRead, Write};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::counterpart::ws_room;
use crate::wire::lab09::RECEIVED_PREFIX;

/// The server: [`ws_room::serve`] until stopped.
pub use ws_room::serve;

/// The client. Returns the exit status: 0 when its input ended or the server closed, 1 when it
/// could not connect or the connection failed, 2 usage.
pub async fn client(args: &[String]) -> i32 {
    let [url] = args else {
        eprintln!("usage: python chat_client.py URL");
        return 2;
    };
    let connect =
        tokio_tungstenite::connect_async_with_config(url.as_str(), Some(ws_room::config()), true);
    let ws = match tokio::time::timeout(Duration::from_secs(5), connect).await {
        Ok(Ok((ws, _))) => ws,
        Ok(Err(e)) => {
            println!("[WS] error: could not connect to {url} ({e})");
            return 1;
        }
        Err(_) => {
            println!("[WS] error: could not connect to {url} (timed out)");
            return 1;
        }
    };
    let (mut sink, mut incoming) = ws.split();
    // Standard input on a thread of its own: a blocking read there never keeps a message that
    // arrives from being printed. The thread is left behind at exit (the process ends).
    let (tx, mut lines) = mpsc::channel::<String>(64);
    std::thread::spawn(move || {
        for line in std::io::stdin().lock().lines() {
            let Ok(line) = line else { break };
            if tx.blocking_send(line).is_err() {
                return;
            }
        }
    });
    let mut out = std::io::stdout();
    loop {
        tokio::select! {
            line = lines.recv() => match line {
                Some(line) => {
                    if sink.send(Message::text(line)).await.is_err() {
                        println!("[WS] the connection is gone");
                        return 1;
                    }
                }
                None => {
                    // End of input: say goodbye with a close frame, then leave.
                    let _ = tokio::time::timeout(Duration::from_secs(1), sink.close()).await;
                    return 0;
                }
            },
            msg = incoming.next() => match msg {
                Some(Ok(Message::Text(t))) => {
                    let _ = writeln!(out, "{RECEIVED_PREFIX}{}", t.as_str());
                    let _ = out.flush();
                }
                Some(Ok(Message::Close(_))) | None => {
                    println!("[WS] the server closed the connection");
                    return 0;
                }
                Some(Ok(_)) => {}
                Some(Err(e)) => {
                    println!("[WS] error: {e}");
                    return 1;
                }
            },
        }
    }
}
