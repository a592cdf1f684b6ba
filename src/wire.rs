//! Each lab's wire contract: what a student's program and the grader agree on, as the handout
//! states it (default ports, the texts a program prints or sends, paths, counts, time limits).
//!
//! The checks ([`crate::labs`]) and the clean references ([`crate::reference`]) both read these
//! facts from here, below both of them, so neither reaches into the other and a handout change
//! is one edit. Only facts live here: no sockets, no processes, nothing that depends on the
//! machine (see the layers in the crate docs).

/// lab01: an HTTP server on the seed's port, answering the seed's three-line body.
pub mod lab01 {
    use std::net::IpAddr;

    /// The port the seed hard-codes (a program that ignores `PORT` binds it).
    pub const DEFAULT_PORT: u16 = 8000;

    /// The body of `GET /` exactly as the seed prints it, `{client_ip}` standing for the
    /// caller's address.
    pub const BODY: &str = "OK! You reached the server.\nclient_ip={client_ip}\nTry accessing via localhost and via your private IP.\n";

    /// The body `template` (see [`BODY`]) for a caller at `client_ip`.
    pub fn body_with(template: &str, client_ip: IpAddr) -> String {
        template.replace("{client_ip}", &client_ip.to_string())
    }
}

/// lab04: a UDP echo server and a client that tries up to three times.
pub mod lab04 {
    use std::time::Duration;

    /// The server's port when `PORT` is unset.
    pub const DEFAULT_PORT: u16 = 6789;
    /// How long the client waits for each reply.
    pub const CLIENT_WAIT: Duration = Duration::from_secs(1);
    /// How many times the client sends before it gives up.
    pub const CLIENT_TRIES: usize = 3;
}

/// lab05: a TCP line-echo server and client.
pub mod lab05 {
    /// The server's port when `PORT` is unset.
    pub const DEFAULT_PORT: u16 = 8888;
    /// What the server puts before each line it echoes.
    pub const PREFIX: &str = "서버 응답: ";
}

/// lab06: a web server built on `http.server`.
pub mod lab06 {
    /// The port the seed hard-codes.
    pub const DEFAULT_PORT: u16 = 8000;
    /// The body of `GET /`, as the handout gives it (the grader's snapshot holds the same).
    pub const BODY: &str = "Hello, client!";

    /// The startup line: the URL a person can open (never the bind address `0.0.0.0`).
    pub fn startup_line(port: u16) -> String {
        format!("Server running at http://127.0.0.1:{port}/")
    }
}

/// lab07: an HTTP client with `requests` against the grader's httpbin-like service.
pub mod lab07 {
    use std::time::Duration;

    /// The query `GET /get` carries.
    pub const QUERY: [(&str, &str); 2] = [("lab", "07"), ("q", "파이썬 requests")];
    /// How many times `/flaky` answers 503 before it answers 200.
    pub const FLAKY_FAILURES: u32 = 2;
    /// The path that answers too late: the client's time-out must end it.
    pub const DELAY_PATH: &str = "/delay/5";
    /// The time-out the handout asks for on every request.
    pub const TIMEOUT: Duration = Duration::from_secs(2);
    /// At most this many retries after a 5xx.
    pub const MAX_RETRIES: u32 = 3;
    /// The first wait before a retry; each retry waits twice as long as the one before.
    pub const BACKOFF: Duration = Duration::from_millis(500);
}

/// lab08: a publish-subscribe broker and pull workers.
pub mod lab08 {
    /// The broker's port when `PORT` is unset.
    pub const DEFAULT_PORT: u16 = 6789;
}

/// lab09: a WebSocket chat server and client.
pub mod lab09 {
    /// The server's port when `PORT` is unset.
    pub const DEFAULT_PORT: u16 = 8765;
    /// What the client prints before each message it receives.
    pub const RECEIVED_PREFIX: &str = "< ";
}

/// lab10: a TLS client that checks the certificate and the host name.
pub mod lab10 {
    use std::time::Duration;

    /// The host name in every URL (the certificates are made for it): it resolves to loopback
    /// on every machine (hosts file or the hermetic fixture), and a name, unlike an address,
    /// is sent as SNI.
    pub const HOST: &str = "localhost";
    /// Each step (connect, handshake, response) gives up after this.
    pub const TIMEOUT: Duration = Duration::from_secs(3);
}
