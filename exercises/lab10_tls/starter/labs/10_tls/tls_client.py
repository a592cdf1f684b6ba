"""Lab 10 - TLS 클라이언트 (starter): 인증서와 호스트 이름을 확인한 뒤에만 요청을 보냅니다.

실행 (grade reference lab10 serve로 실습 서버를 먼저 켜 두고):
    python labs/10_tls/tls_client.py https://localhost:PORT/ lab10-ca.pem

이 파일은 올바른 서버 앞에서는 그럴듯하게 동작하지만, 다른 호스트의 인증서를 받아들이고
대답 없는 서버 앞에서 영원히 기다립니다. TODO를 채우세요.
This file looks right against a good server, but it accepts a certificate for another host
and waits forever on a server that never answers. Work through the TODOs.
"""

import socket
import ssl
import sys
from urllib.parse import urlsplit


def main():
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    # TODO(1): 인자가 두 개가 아니면 stderr에 "usage: python tls_client.py URL CAFILE"을 출력하고 종료 코드 2.
    # TODO(1): without two arguments -> "usage: python tls_client.py URL CAFILE" on stderr, exit 2.
    parts = urlsplit(sys.argv[1])
    host = parts.hostname
    port = parts.port or 443
    path = parts.path or "/"

    # CAFILE의 CA만 믿는 컨텍스트. 기본값은 인증서 검증(CERT_REQUIRED)과 호스트 이름 확인(check_hostname)이 켜진 상태입니다.
    # A context trusting only the CA in CAFILE; by default it verifies the certificate and the host name.
    context = ssl.create_default_context(cafile=sys.argv[2])

    # TODO(2): 아래 줄을 지우세요. 호스트 이름 확인을 끄면 다른 사이트의 인증서도 통과합니다.
    # TODO(2): delete the line below: with the host name check off, another site's certificate passes.
    context.check_hostname = False

    # TODO(3): 제한 시간 3초를 정하세요: socket.create_connection((host, port), timeout=3)
    # TODO(3): set a 3 s time-out: socket.create_connection((host, port), timeout=3)
    sock = socket.create_connection((host, port))

    # TODO(4): server_hostname=host를 넘기세요. SNI로 서버에 이름을 알리고, 그 이름으로 인증서를 확인합니다.
    # TODO(4): pass server_hostname=host: it is sent as SNI and the certificate is checked against it.
    # TODO(5): 검증 실패(ssl.SSLCertVerificationError)와 시간 초과(TimeoutError)를 잡아
    #          "[ERROR] certificate verify failed: <e.verify_message>", "[ERROR] timed out (3 s)"를 출력하고 종료 코드 1.
    # TODO(5): catch ssl.SSLCertVerificationError and TimeoutError: print
    #          "[ERROR] certificate verify failed: <e.verify_message>" or "[ERROR] timed out (3 s)", exit 1.
    tls = context.wrap_socket(sock)

    print(f"[TLS] version={tls.version()}")
    # TODO(6): tls.getpeercert()["subject"]에서 commonName을 찾아 "[TLS] subject=CN=<이름>"을 출력하세요.
    # TODO(6): find commonName in tls.getpeercert()["subject"] and print "[TLS] subject=CN=<name>".

    request = f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nConnection: close\r\n\r\n"
    tls.sendall(request.encode("utf-8"))
    received = b""
    while True:
        data = tls.recv(65536)
        if not data:  # 서버가 연결을 닫으면 b"" / the server closed the connection
            break
        received += data
    tls.close()

    head, _, body = received.partition(b"\r\n\r\n")
    status = head.split(b"\r\n", 1)[0].split()[1].decode()
    print(f"[HTTP] status={status}")
    print(body.decode("utf-8", errors="replace"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
