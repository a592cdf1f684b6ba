"""Lab 03 - URL 하나로 요청의 흐름 전체 보기: URL 해석 -> DNS -> TCP 연결 -> HTTP.

실행 (lab01 서버를 먼저 켜 두고):  python labs/03_client/client.py http://localhost:8000/
(Reference solution, standard library only: HTTP is written by hand on a plain socket.)"""

import socket
import sys
import time
from urllib.parse import urlsplit

# URL에 포트가 없으면 scheme으로 정합니다: http는 80, https는 443 (IANA가 정한 약속).
DEFAULT_PORTS = {"http": 80, "https": 443}
TIMEOUT = 5.0  # 초. 대답 없는 주소 앞에서 영원히 기다리지 않도록.
MAX_RESPONSE = 1024 * 1024  # 1 MiB. 끝없이 보내는 서버가 메모리를 다 먹지 않도록.


def why(err):  # 예외 -> 짧은 이유: "Connection refused", "timed out", ...
    return getattr(err, "strerror", None) or str(err)


def with_port(ip, port):
    # IPv6 주소에는 콜론(:)이 들어 있어서 "::1:8000"은 모호합니다. URL처럼 대괄호로 감쌉니다: [::1]:8000
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def parse_url(url):  # URL -> (host, port, path). 잘못된 입력이면 ValueError.
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError("only http:// URLs are supported")  # https(TLS)는 lab10 에서
    if not parts.hostname:
        raise ValueError(f"no host in URL: {url}")
    # parts.port 는 숫자가 아니거나 65535 를 넘으면 ValueError 를 냅니다.
    port = parts.port if parts.port is not None else DEFAULT_PORTS[parts.scheme]
    path = parts.path or "/"
    if parts.query:  # 쿼리 문자열도 서버에 보내야 하는 "요청 대상"의 일부입니다.
        path += "?" + parts.query
    return parts.hostname, port, path


def resolve(host, port):
    """리졸버가 준 순서대로, 서로 다른 주소마다 (ip, family, sockaddr) 하나씩."""
    # type=SOCK_STREAM: TCP 후보만 받습니다 (lab02 의 UDP/RAW 중복이 없어짐). 그래도 같은
    # 주소가 되풀이될 수 있어(/etc/hosts 에 같은 줄 두 번 등) 중복은 여기서도 뺍니다.
    candidates, seen = [], set()
    for family, _, _, _, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        # 출력에서는 IPv6 scope("%eth0")를 떼지만, 접속에는 sockaddr 를 그대로 씁니다.
        ip = sockaddr[0].split("%", 1)[0]
        if ip not in seen:
            seen.add(ip)
            candidates.append((ip, family, sockaddr))
    return candidates


def connect_any(candidates, port):
    """후보를 순서대로 시도해 처음 연결된 소켓을 돌려줍니다. 모두 실패하면 마지막 오류를 냅니다."""
    last_error = OSError("no address to try")
    for ip, family, sockaddr in candidates:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.settimeout(TIMEOUT)
        # connect() 바로 앞뒤에서만 잽니다: DNS 조회 등이 섞이면 "TCP 연결(3-way handshake)
        # 시간"이 아닙니다. perf_counter 는 시계 조정(NTP)에 흔들리지 않는 구간 측정용 시계.
        start = time.perf_counter()
        try:
            sock.connect(sockaddr)
        except OSError as e:
            # 주소가 여러 개인 이유가 바로 이것입니다(장애 대비). 한 주소가 거부하면 다음 주소로 넘어갑니다.
            # 예) localhost가 ::1, 127.0.0.1 순서로 해석되는데 서버는 IPv4에서만 리슨하고 있는 경우.
            sock.close()
            print(f"[TCP] connect to {with_port(ip, port)} failed: {why(e)}")
            last_error = e
            continue
        ms = (time.perf_counter() - start) * 1000
        print(f"[TCP] connect to {with_port(ip, port)} = {ms:.1f} ms")
        return sock
    raise last_error


def http_get(sock, host_header, path):
    # IP 하나에 사이트가 여럿일 수 있어 HTTP/1.1 은 Host 헤더가 필수입니다 (host:port 형태).
    request = (
        f"GET {path} HTTP/1.1\r\n"
        f"Host: {host_header}\r\n"
        "User-Agent: lab03-client\r\n"
        "Connection: close\r\n"  # "다 보내면 닫아 주세요": 응답의 끝 = 연결의 끝
        "\r\n"
    )
    sock.sendall(request.encode("utf-8"))
    # TCP 는 메시지가 아니라 바이트의 흐름: recv 한 번이 응답 전체라는 보장이 없으므로
    # 상대가 연결을 닫을 때(recv 가 b"" 를 줌)까지, 최대 1 MiB 까지 모읍니다.
    received = bytearray()
    try:
        while len(received) < MAX_RESPONSE and (data := sock.recv(65536)):
            received += data
    except socket.timeout:
        pass  # 연결을 닫아 주지 않는 서버: 5초 기다린 뒤 받은 데까지만 씁니다.
    return bytes(received[:MAX_RESPONSE])


def parse_response(raw):  # 응답 바이트 -> (상태 코드, 본문 바이트)
    head, _, body = raw.partition(b"\r\n\r\n")  # 헤더와 본문 사이는 빈 줄 하나
    fields = head.split(b"\r\n", 1)[0].split()  # 상태 줄, 예: b"HTTP/1.1 404 Not Found"
    if len(fields) < 2 or not fields[0].startswith(b"HTTP/") or not fields[1].isdigit():
        raise ValueError(f"malformed status line: {head[:80]!r}")
    # 참고: chunked 응답(조각 길이 줄이 섞임)은 풀지 않습니다. 실습 서버는 Content-Length 를 씀.
    return int(fields[1]), body


def main():
    # UTF-8 로, 줄마다 바로 출력 (Windows cp949 콘솔과, 파이프로 읽는 채점기를 위해).
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)
    if len(sys.argv) != 2:
        print("usage: python client.py URL", file=sys.stderr)  # 사용법은 stderr, 종료 코드 2
        return 2
    try:
        host, port, path = parse_url(sys.argv[1])
    except ValueError as e:
        print(f"[INPUT] error: {e}")
        return 2
    print(f"[INPUT] host={host}, port={port}, path={path}")
    try:
        candidates = resolve(host, port)
    except (socket.gaierror, UnicodeError) as e:
        print(f"[DNS] error: could not resolve {host} ({why(e)})")
        return 1
    print("[DNS] resolved IPs:")
    for ip, _, _ in candidates:
        print(f"- {ip}")
    try:
        sock = connect_any(candidates, port)
    except OSError as e:  # 거부(refused), 시간 초과(timeout), 네트워크 없음 ...
        print(f"[TCP] error: could not connect to {with_port(host, port)} ({why(e)})")
        return 1
    with sock:
        try:
            status, body = parse_response(http_get(sock, with_port(host, port), path))
        except (OSError, ValueError) as e:  # 연결 끊김, 빈 응답, 잘못된 상태 줄
            print(f"[HTTP] error: {why(e)}")
            return 1
    # 상태 코드 404, 500도 "서버가 제대로 대답한" 결과입니다. 상태 코드를 그대로 보여 주고 종료 코드는 0.
    print(f"[HTTP] status={status}")
    print("[HTTP] body preview:")
    # 앞 500 "글자"만: 바이트 단위로 자르면 한글(UTF-8에서 3바이트)이 중간에서 잘릴 수 있습니다.
    preview = body.decode("utf-8", errors="replace")[:500]
    print(preview, end="" if preview.endswith("\n") else "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
