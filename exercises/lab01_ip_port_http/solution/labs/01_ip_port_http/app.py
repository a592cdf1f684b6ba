"""Lab 01: IP, 포트와 가장 작은 HTTP 서버 (표준 라이브러리만 사용).

실행: python3 labs/01_ip_port_http/app.py
     (PORT 환경 변수가 있으면 그 포트를, 없으면 8000번을 사용합니다.)

이 서버로 다음 세 가지를 직접 확인할 수 있습니다.
- IP: 같은 서버에 localhost(127.0.0.1)와 사설 IP라는 서로 다른 "주소"로 접속할 수 있다.
- 포트: 한 컴퓨터 안에서 "어느 프로그램"으로 보낼지 정하는 번호다.
- HTTP: TCP 연결 위에서 요청(GET /)을 보내고 응답(상태 코드 + 본문)을 받는다.
"""

import os
import socket
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# 0.0.0.0은 "이 컴퓨터의 모든 IPv4 주소"라는 뜻입니다 (all addresses).
# 127.0.0.1에만 bind하면 loopback으로 들어온 연결만 받으므로, 같은 Wi-Fi에 있는 다른 기기가
# 사설 IP(예: 192.168.x.x)로 접속하면 연결이 거부됩니다. 두 경로를 모두 열어 두려고 0.0.0.0을 씁니다.
HOST = "0.0.0.0"

# 포트 번호를 코드에 박아 두지 않고 환경 변수에서 읽습니다.
# 8000번은 이미 다른 프로그램이 쓰고 있을 수 있고, 채점기도 실행할 때마다 비어 있는
# 포트를 골라 PORT로 넘겨 줍니다. 값이 없을 때만 실습 기본 포트인 8000번을 씁니다.
PORT = int(os.environ.get("PORT", "8000"))


def private_ipv4() -> str:
    """이 컴퓨터가 LAN(Wi-Fi 등)에서 쓰는 사설 IPv4 주소를 알아냅니다."""
    # UDP 소켓의 connect()는 TCP와 달리 패킷을 하나도 보내지 않습니다.
    # UDP에는 연결 수립 과정(handshake)이 없어서, connect()는 운영체제에
    # "앞으로 이 목적지로 보낸다"고 기록만 해 둡니다. 이때 운영체제가 라우팅 테이블을 보고
    # 어느 네트워크 카드(= 어느 출발 IP)로 내보낼지 정하므로, getsockname()으로
    # 그 출발 IP를 읽을 수 있습니다. 목적지 10.254.254.254는 실제로 있는 주소가 아니어도 됩니다.
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect(("10.254.254.254", 1))
        return s.getsockname()[0]
    except OSError:
        # 네트워크가 아예 없으면(비행기 모드 등) 나갈 경로를 정하는 것부터 실패합니다.
        # 그때는 자기 자신을 가리키는 loopback 주소를 대신 씁니다.
        return "127.0.0.1"
    finally:
        s.close()


class Handler(BaseHTTPRequestHandler):
    """요청 하나를 처리합니다. 스레드 서버이므로 요청마다 새 인스턴스가 만들어집니다."""

    def do_GET(self) -> None:
        if self.path != "/":
            # 모르는 경로에 200으로 응답하면 클라이언트는 "있는 페이지"로 오해합니다.
            # "그런 자원은 없다"는 뜻의 404로 응답하는 것이 HTTP의 약속입니다.
            self.send_text(404, f"Not Found: {self.path}\n")
            return

        # client_address는 accept()가 돌려준 상대방(peer)의 소켓 주소 (ip, port)입니다.
        # 요청 헤더처럼 클라이언트가 마음대로 적어 보낼 수 있는 값이 아니라, 실제로 TCP 연결을
        # 맺은 상대의 주소입니다. localhost로 접속하면 127.0.0.1이, 사설 IP로 접속하면
        # 그 사설 IP가 보이는 것을 직접 확인해 보세요.
        client_ip = self.client_address[0]
        body = (
            "OK! You reached the server.\n"
            f"client_ip={client_ip}\n"
            "Try accessing via localhost and via your private IP.\n"
        )
        self.send_text(200, body)

    def send_text(self, status: int, text: str) -> None:
        # Content-Length는 "글자 수"가 아니라 "바이트 수"입니다. UTF-8에서 한글은
        # 한 글자가 3바이트이므로, 반드시 인코딩한 뒤의 길이를 보내야 합니다.
        data = text.encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    # 요청 로그(127.0.0.1 - - [...] "GET / HTTP/1.1" 200 -)는 기본으로 stderr로 나갑니다.
    # stdout의 시작 메시지와 섞이지 않으므로 그대로 둡니다.


def main() -> None:
    # 먼저 bind하고 나서 메시지를 출력합니다. 순서가 반대면 "Running on ..."을 보고
    # 접속한 사람(또는 채점기)이 아직 열리지 않은 포트에 부딪힐 수 있습니다.
    # ThreadingHTTPServer: 요청마다 스레드를 따로 써서, 느린 클라이언트 하나가
    # 다른 클라이언트를 막지 않게 합니다.
    server = ThreadingHTTPServer((HOST, PORT), Handler)

    # flush=True: stdout이 파이프(채점기, 로그 파일)에 연결되어 있으면 파이썬은 출력을 모아 두었다가
    # 한꺼번에 내보냅니다. 서버는 끝나지 않으므로, 바로 내보내지 않으면 영영 보이지 않을 수 있습니다.
    print(f"Running on all addresses ({HOST})", flush=True)
    print(f"Running on http://127.0.0.1:{PORT}", flush=True)
    print(f"Running on http://{private_ipv4()}:{PORT}", flush=True)

    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl+C로 끌 때 traceback 없이 조용히 끝냅니다.
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
