"""Lab 03 - URL 하나로 요청의 흐름 전체 보기 (starter): URL -> DNS -> TCP 연결 -> HTTP.

실행 (lab01 서버를 먼저 켜 두고):  python labs/03_client/client.py http://localhost:8000/

이 파일은 lab01 서버가 8000번 포트에서 돌고 있을 때만 그럴듯하게 동작합니다. TODO를 채우세요.
This file only looks right against a server on port 8000. Work through the TODOs.
"""

import socket
import sys
import time
from urllib.parse import urlsplit


def main():
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    # TODO(1): 인자가 없으면 stderr에 "usage: python client.py URL"을 출력하고 종료 코드 2로 끝내세요.
    # TODO(1): no argument -> "usage: python client.py URL" on stderr, exit 2.
    parts = urlsplit(sys.argv[1])

    # TODO(2): scheme이 http가 아니면 "[INPUT] error: only http:// URLs are supported"를 출력하고 종료 코드 2.
    # TODO(2): any scheme but http -> "[INPUT] error: only http:// URLs are supported", exit 2.
    host = parts.hostname

    # TODO(3): 포트는 URL에 있으면 그 값(parts.port)을 쓰고, 없으면 scheme으로 정합니다 (http 80, https 443).
    #          지금은 8000으로 고정되어 있어서 http://localhost:8080/도 8000번 포트로 접속합니다!
    # TODO(3): use the URL's port (parts.port), else the scheme's default (http 80, https 443).
    port = 8000

    # TODO(4): 쿼리 문자열도 요청 대상입니다: http://host/a?b=1 -> path=/a?b=1
    # TODO(4): the query string is part of the request target: /a?b=1
    path = parts.path or "/"
    print(f"[INPUT] host={host}, port={port}, path={path}")

    # TODO(5): 없는 이름이면 socket.gaierror가 납니다: "[DNS] error: could not resolve HOST (이유)"를 출력하고 종료 코드 1.
    # TODO(5): socket.gaierror -> "[DNS] error: could not resolve HOST (<reason>)", exit 1.
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    ips = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        if sockaddr[0] not in ips:  # 같은 주소가 되풀이될 수 있음 / may repeat
            ips.append(sockaddr[0])
    print("[DNS] resolved IPs:")
    for ip in ips:
        print(f"- {ip}")

    # TODO(6): 지금은 첫 번째 주소만 시도하고, 연결이 거부되면 traceback을 남기고 죽습니다.
    #          주소를 차례로 시도하세요. 실패한 주소는 "[TCP] connect to IP:PORT failed: 이유"를
    #          출력하고 다음 주소로 넘어갑니다. 모두 실패하면 "[TCP] error: could not connect to HOST:PORT (이유)"를
    #          출력하고 종료 코드 1. IPv6 주소는 대괄호로 감쌉니다: [::1]:8000
    # TODO(6): try every address in order; print "... failed: <reason>" for one that refuses and
    #          move on; if none connects print "[TCP] error: could not connect to HOST:PORT (<reason>)"
    #          and exit 1. Bracket IPv6 addresses: [::1]:8000
    family, _type, _proto, _canon, sockaddr = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.settimeout(5)
    start = time.perf_counter()  # connect() 앞뒤만 잽니다 / time the connect only
    sock.connect(sockaddr)
    ms = (time.perf_counter() - start) * 1000
    print(f"[TCP] connect to {sockaddr[0]}:{port} = {ms:.1f} ms")

    request = (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host}:{port}\r\n"
        "User-Agent: lab03-client\r\n"
        "Connection: close\r\n"
        "\r\n"
    )
    sock.sendall(request.encode("utf-8"))

    # TODO(7): recv 한 번에 응답 전체가 온다는 보장이 없습니다 (TCP는 바이트의 흐름).
    #          서버가 연결을 닫을 때(recv가 b""를 돌려줄 때)까지, 최대 1 MiB까지 모으세요.
    # TODO(7): one recv() is not the whole response: read until the server closes (b""), max 1 MiB.
    raw = sock.recv(65536)
    sock.close()

    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split()[1])  # "HTTP/1.1 200 OK" -> 200
    print(f"[HTTP] status={status}")
    print("[HTTP] body preview:")
    preview = body.decode("utf-8", errors="replace")[:500]
    print(preview, end="" if preview.endswith("\n") else "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
