use std::net::Ipv4Addr;

use super::*;
use crate::net::http::{HttpLimits, read_response};

async fn service(flaky_failures: u32) -> Httpbin {
    let l = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await.unwrap();
    let config = Config {
        token: "tok123".into(),
        flaky_failures,
        flaky_rearm: None,
        log: None,
    };
    Httpbin::start(l, config).unwrap()
}

/// Sends one request on `s` and reads its answer (framed by Content-Length).
async fn ask(s: &mut TcpStream, request: &str) -> http::Response {
    s.write_all(request.as_bytes()).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    read_response(s, deadline, HttpLimits::default())
        .await
        .unwrap()
}

fn get(path: &str) -> String {
    format!("GET {path} HTTP/1.1\r\nHost: x\r\n\r\n")
}

#[tokio::test]
async fn get_echoes_the_decoded_query_and_the_token_and_keeps_the_connection() {
    let svc = service(0).await;
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    let r = ask(
        &mut s,
        &get("//get/?lab=07&q=%ED%8C%8C%EC%9D%B4%EC%8D%AC+requests"),
    )
    .await;
    assert_eq!(r.status, 200);
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["args"]["q"], "파이썬 requests");
    assert_eq!(v["token"], "tok123");
    let post = "POST /post HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 13\r\n\r\n{\"token\": 42}";
    let r = ask(&mut s, post).await;
    let v: Value = serde_json::from_slice(&r.body).unwrap();
    assert_eq!(v["json"]["token"], 42);
    let mut other = TcpStream::connect(svc.addr()).await.unwrap();
    assert_eq!(ask(&mut other, &get("/status/404")).await.status, 404);
    let recs = svc.records();
    let seen: Vec<(u64, &str, &str)> = recs
        .iter()
        .map(|r| (r.conn, r.method.as_str(), r.path.as_str()))
        .collect();
    assert_eq!(
        seen,
        [
            (1, "GET", "/get"),
            (1, "POST", "/post"),
            (2, "GET", "/status/404")
        ]
    );
    assert_eq!(recs[0].query[1], ("q".into(), "파이썬 requests".into()));
    assert_eq!(recs[1].header("content-type"), Some("application/json"));
    assert!(matches!(
        recs[2].outcome,
        Outcome::Answered { status: 404, .. }
    ));
}

#[tokio::test]
async fn form_data_is_echoed_as_form_not_json() {
    let svc = service(0).await;
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    let post = "POST /post HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 11\r\n\r\ntoken=a+b&x";
    let v: Value = serde_json::from_slice(&ask(&mut s, post).await.body).unwrap();
    assert_eq!(v["form"]["token"], "a b");
    assert_eq!(v["json"], Value::Null);
}

#[tokio::test]
async fn flaky_fails_the_set_number_of_times_then_answers_200() {
    let svc = service(2).await;
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    let mut codes = Vec::new();
    for _ in 0..4 {
        codes.push(ask(&mut s, &get("/flaky")).await.status);
    }
    assert_eq!(codes, [503, 503, 200, 200]);
    assert!(svc.records().iter().all(|r| r.conn == 1));
}

/// A client that gives up while `/delay` stalls is recorded as having left, with when.
#[tokio::test]
async fn a_client_leaving_during_a_delay_is_recorded() {
    let svc = service(0).await;
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    s.write_all(get("/delay/5").as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(s);
    let end = Instant::now() + Duration::from_secs(3);
    loop {
        let recs = svc.records();
        if let Some(Outcome::ClientLeft { after }) = recs.first().map(|r| r.outcome) {
            assert!(after >= Duration::from_millis(150) && after < Duration::from_secs(2));
            break;
        }
        assert!(Instant::now() < end, "{recs:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn a_short_delay_is_answered_after_it() {
    let svc = service(0).await;
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    let r = ask(&mut s, &get("/delay/0.2")).await;
    assert_eq!(r.status, 200);
    let Outcome::Answered { after, .. } = svc.records()[0].outcome else {
        panic!("{:?}", svc.records());
    };
    assert!(after >= Duration::from_millis(200));
}

/// A HEAD answer carries no body: the next answer on the same connection is read whole.
#[tokio::test]
async fn head_is_answered_without_a_body_and_the_connection_goes_on() {
    let svc = service(0).await;
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    s.write_all(b"HEAD /get HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut head = Vec::new();
    while http::find_head_end(&head, 0).is_none() {
        let mut b = [0u8; 1];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut b))
            .await
            .unwrap()
            .unwrap();
        assert!(n > 0, "closed: {}", String::from_utf8_lossy(&head));
        head.extend_from_slice(&b[..n]);
    }
    let head = String::from_utf8(head).unwrap();
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(!head.contains("Content-Length: 0\r\n"), "{head}");
    // Were a body written after the head, this answer would start with it.
    assert_eq!(ask(&mut s, &get("/status/404")).await.status, 404);
}

/// A head without end, a body over the cap and a chunked body end the connection.
#[tokio::test]
async fn oversized_requests_are_refused() {
    let svc = service(0).await;
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    let big = format!(
        "POST /post HTTP/1.1\r\nContent-Length: {}\r\n\r\n",
        BODY_CAP + 1
    );
    assert_eq!(ask(&mut s, &big).await.status, 413);
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    let chunked = "POST /post HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n";
    assert_eq!(ask(&mut s, chunked).await.status, 411);
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    let endless = vec![b'a'; HEAD_CAP + 10_000];
    let _ = s.write_all(&endless).await;
    let mut rest = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut rest)).await;
    assert!(read.is_ok(), "closed, not kept waiting");
    assert!(svc.records().is_empty());
}

/// Request after request with a body of a megabyte (issue 18): every one is counted, the
/// records keep a bounded number of bytes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_of_big_requests_is_counted_and_kept_bounded() {
    let svc = service(0).await;
    let mut s = TcpStream::connect(svc.addr()).await.unwrap();
    let body = vec![b'x'; BODY_CAP];
    let head = format!("POST /post HTTP/1.1\r\nHost: x\r\nContent-Length: {BODY_CAP}\r\n\r\n");
    let sent = 12;
    for _ in 0..sent {
        s.write_all(head.as_bytes()).await.unwrap();
        s.write_all(&body).await.unwrap();
        let deadline = Instant::now() + Duration::from_secs(5);
        let limits = HttpLimits {
            body_cap: 4 * BODY_CAP,
            ..HttpLimits::default()
        };
        assert_eq!(
            read_response(&mut s, deadline, limits)
                .await
                .unwrap()
                .status,
            200
        );
    }
    assert_eq!(svc.tally().count, sent);
    let recs = svc.records();
    let kept: usize = recs.iter().map(|r| r.body.len()).sum();
    assert!(
        kept <= KEEP_BYTES && recs.len() < sent as usize,
        "{} kept",
        recs.len()
    );
}

#[test]
fn queries_and_paths_are_decoded() {
    let (p, q) = split_target("//status//404/?a=1&b=x+y%21&c&=&d=%zz%");
    assert_eq!(p, "/status/404");
    let want = [
        ("a", "1"),
        ("b", "x y!"),
        ("c", ""),
        ("", ""),
        ("d", "%zz%"),
    ];
    let want: Vec<(String, String)> = want
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    assert_eq!(q, want);
}

#[test]
fn fuzz_parse_query_never_panics() {
    use proptest::prelude::*;
    proptest!(crate::fuzz_cases(2000), |(s in "(\\PC|%|\\+|&|=)*")| {
        let _ = split_target(&s);
    });
}
