"""Lab 01: IP, 포트와 가장 작은 HTTP 서버 — 시작 코드 (starter).

실행: python3 labs/01_ip_port_http/app.py

이 파일은 그대로도 실행되지만 채점을 통과하지는 못합니다.
`# TODO` 표시가 있는 곳을 고쳐서 README의 요구 사항에 맞추세요.
This file runs as is but does not pass the grader: fix every `# TODO`.
"""

import os  # noqa: F401  (TODO 1에서 사용 / used in TODO 1)
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# TODO 1: 포트를 PORT 환경 변수에서 읽으세요. 값이 없으면 8000을 씁니다.
#         Read the port from the PORT environment variable; fall back to 8000.
#         힌트/hint: os.environ.get(...)
PORT = 8000

# TODO 2: 127.0.0.1은 loopback으로 들어온 연결만 받습니다. 모든 IPv4 주소(0.0.0.0)에 bind하세요.
#         127.0.0.1 only accepts loopback connections. Bind all IPv4 addresses (0.0.0.0).
HOST = "127.0.0.1"


def private_ipv4() -> str:
    """이 컴퓨터의 사설 IPv4 주소를 돌려줍니다. Returns this machine's private IPv4 address."""
    # UDP 소켓의 connect()는 패킷을 보내지 않고, 운영체제가 어느 출발 주소를 쓸지만 정합니다.
    # UDP connect() sends no packet: the OS only picks the source address it would use.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.254.254.254", 1))
        return s.getsockname()[0]
    except OSError:
        return "127.0.0.1"
    finally:
        s.close()


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        # TODO 5: 경로가 "/"가 아니면 404로 응답하세요 (예: 본문 "Not Found: <path>").
        #         Any path other than "/" must answer 404 (e.g. body "Not Found: <path>").

        # TODO 4: client_ip를 고정값이 아니라 실제로 접속한 상대의 주소로 바꾸세요.
        #         Replace the hard-coded value with the real peer address.
        #         힌트/hint: self.client_address
        client_ip = "127.0.0.1"
        body = (
            "OK! You reached the server.\n"
            f"client_ip={client_ip}\n"
            "Try accessing via localhost and via your private IP.\n"
        )
        self.send_text(200, body)

    def send_text(self, status: int, text: str) -> None:
        # Content-Length는 인코딩한 뒤의 바이트 수입니다. Content-Length counts bytes, not characters.
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def main() -> None:
    server = ThreadingHTTPServer((HOST, PORT), Handler)

    # TODO 3: bind한 뒤에 아래 세 줄을 정확히 출력하세요 (flush=True를 잊지 마세요).
    #         After binding, print exactly these three lines (remember flush=True):
    #           Running on all addresses (0.0.0.0)
    #           Running on http://127.0.0.1:PORT
    #           Running on http://<사설IP / private IP>:PORT      <- private_ipv4() 사용
    print(f"Running on http://127.0.0.1:{PORT}", flush=True)

    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
