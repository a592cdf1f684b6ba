"""Lab 10 - TLS 클라이언트: 인증서와 호스트 이름을 확인한 뒤에만 요청을 보냅니다.

실행:  python labs/10_tls/tls_client.py https://localhost:8443/ ca.pem
(Reference solution, standard library only: socket + ssl, HTTP written by hand.)"""

import socket
import ssl
import sys
from urllib.parse import urlsplit

TIMEOUT = 3.0  # 초. 연결, 핸드셰이크, 응답 읽기 모두 이 시간 안에 끝나야 합니다.
MAX_RESPONSE = 1024 * 1024  # 1 MiB. 끝없이 보내는 서버가 메모리를 다 먹지 않도록.


def parse_url(url):  # URL -> (host, port, path). 잘못된 입력이면 ValueError.
    parts = urlsplit(url)
    if parts.scheme != "https":
        raise ValueError("only https:// URLs are supported")
    if not parts.hostname:
        raise ValueError(f"no host in URL: {url}")
    port = parts.port if parts.port is not None else 443  # https의 기본 포트
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    return parts.hostname, port, path


def make_context(cafile):
    # create_default_context()는 안전한 기본값으로 시작합니다:
    #   verify_mode = CERT_REQUIRED  (인증서가 믿을 만한 CA의 서명을 받았는지, 기간이 유효한지 확인)
    #   check_hostname = True        (인증서가 "내가 접속하려던 그 호스트"의 것인지 확인)
    # cafile을 주면 시스템의 CA 대신 그 파일의 CA만 믿습니다. 실습 서버의 인증서는 채점기가 만든
    # CA가 서명했으므로, 이 CA를 믿어야 검증이 통과합니다.
    # 주의: 검증을 끄는 설정(CERT_NONE, check_hostname = False)은 "아무 서버나 믿겠다"는 뜻입니다.
    # 중간에서 가로채는 공격자(man-in-the-middle)도 그대로 통과시키므로 절대 쓰지 않습니다.
    return ssl.create_default_context(cafile=cafile)


def subject_cn(cert):
    # getpeercert()의 subject는 ((("commonName", "..."),), (("organizationName", "..."),)) 같은
    # 튜플의 튜플입니다. 이름-값 쌍을 dict로 모아 commonName을 꺼냅니다.
    fields = dict(pair for rdn in cert.get("subject", ()) for pair in rdn)
    return fields.get("commonName", "")


def fetch(host, port, path, context):
    # 1) TCP 연결. timeout을 주면 이 소켓의 모든 작업(connect, 핸드셰이크, recv)에 적용됩니다.
    with socket.create_connection((host, port), timeout=TIMEOUT) as raw:
        # 2) TLS 핸드셰이크. server_hostname은 두 가지 일을 합니다:
        #    - SNI: ClientHello에 "이 이름의 사이트를 원합니다"라고 적어 보냅니다. IP 하나에 여러
        #      사이트가 있는 서버는 이 이름을 보고 어떤 인증서를 줄지 고릅니다.
        #    - 호스트 이름 확인: 받은 인증서의 subjectAltName에 이 이름이 있는지 확인합니다.
        with context.wrap_socket(raw, server_hostname=host) as tls:
            # 여기까지 왔으면 인증서 검증이 끝났습니다. 실패했다면 wrap_socket이 예외를 냈습니다.
            print(f"[TLS] version={tls.version()}")
            print(f"[TLS] subject=CN={subject_cn(tls.getpeercert())}")
            # 3) 암호화된 연결 위에서는 평문 소켓과 똑같이 HTTP를 주고받습니다.
            request = (
                f"GET {path} HTTP/1.1\r\n"
                f"Host: {host}:{port}\r\n"
                "User-Agent: lab10-client\r\n"
                "Connection: close\r\n"
                "\r\n"
            )
            tls.sendall(request.encode("utf-8"))
            received = bytearray()
            while len(received) < MAX_RESPONSE and (data := tls.recv(65536)):
                received += data
            return bytes(received[:MAX_RESPONSE])


def main():
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)
    if len(sys.argv) != 3:
        print("usage: python tls_client.py URL CAFILE", file=sys.stderr)
        return 2
    try:
        host, port, path = parse_url(sys.argv[1])
        context = make_context(sys.argv[2])
    except (ValueError, OSError) as e:  # 잘못된 URL, 읽을 수 없는 CA 파일
        print(f"[ERROR] {e}")
        return 2
    try:
        raw = fetch(host, port, path, context)
    # 순서가 중요합니다: SSLCertVerificationError는 SSLError의, SSLError와 TimeoutError는
    # OSError의 하위 클래스라서 구체적인 것부터 잡아야 합니다.
    except ssl.SSLCertVerificationError as e:
        # verify_message: "certificate has expired", "Hostname mismatch, ..." 같은 짧은 이유
        print(f"[ERROR] certificate verify failed: {e.verify_message}")
        return 1
    except TimeoutError:  # socket.timeout은 TimeoutError의 다른 이름입니다 (Python 3.10+)
        # 대답하지 않는 서버 앞에서 영원히 기다리지 않고, 정한 시간이 지나면 포기합니다.
        print(f"[ERROR] timed out ({TIMEOUT:.0f} s)")
        return 1
    except ssl.SSLError as e:
        print(f"[ERROR] TLS handshake failed: {e.reason or e}")
        return 1
    except OSError as e:  # 연결 거부, 이름 해석 실패 등
        print(f"[ERROR] could not connect to {host}:{port} ({e.strerror or e})")
        return 1
    head, _, body = raw.partition(b"\r\n\r\n")
    fields = head.split(b"\r\n", 1)[0].split()  # 상태 줄, 예: b"HTTP/1.1 200 OK"
    if len(fields) < 2 or not fields[1].isdigit():
        print("[ERROR] malformed response")
        return 1
    print(f"[HTTP] status={int(fields[1])}")
    text = body.decode("utf-8", errors="replace")
    print(text, end="" if text.endswith("\n") else "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
