"""Lab 06 - http.server 로 만드는 웹 서버: GET / 에 "Hello, client!" 로 답합니다.

실행:  python labs/06_http_server/server.py
      (PORT 환경 변수가 있으면 그 포트를, 없으면 8000번을 사용합니다.)
그리고 브라우저에서 시작 줄에 나온 주소(http://127.0.0.1:8000/)를 엽니다.

Reference solution, standard library only: a threaded http.server that answers GET / with
200, Content-Type: text/html, a correct Content-Length and the body "Hello, client!".
"""

import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

# bind 할 주소. 0.0.0.0 은 "이 컴퓨터의 모든 IPv4 주소에서 기다린다"는 뜻입니다 ('' 도 같은 뜻).
# 이것은 "기다리는 쪽"의 주소이지, 브라우저가 "찾아갈" 주소가 아닙니다 (아래 main 참고).
HOST = "0.0.0.0"
PORT = int(os.environ.get("PORT", "8000"))

BODY = "Hello, client!".encode("utf-8")  # 본문은 바이트로 보냅니다. 미리 한 번만 인코딩합니다.


class HelloHandler(BaseHTTPRequestHandler):
    """요청 하나를 처리합니다. http.server 가 요청 줄과 헤더를 읽고, 메서드 이름에 맞는
    do_GET, do_POST ... 를 불러 줍니다. 없는 메서드(여기서는 POST 등)에는 http.server 가
    알아서 501 Not Implemented 로 답하고, 요청 줄이 망가졌으면 400 Bad Request 로 답합니다."""

    # SimpleHTTPRequestHandler 가 아니라 BaseHTTPRequestHandler 를 씁니다.
    # SimpleHTTPRequestHandler 는 현재 폴더의 파일을 내보내려고 만든 핸들러라서, do_GET 만
    # 바꿔 두면 HEAD 요청에는 여전히 폴더 안의 파일을 기준으로 답합니다 (GET 과 HEAD 가 어긋남).
    # 우리 서버에는 필요 없는 기능이므로 아무것도 미리 구현되지 않은 기본 핸들러에서 시작합니다.

    # 요청 줄이 망가져 있으면(예: "HELLO THERE") 파이썬 3.11 의 http.server 는 400 을 보내면서도
    # 상태 줄과 헤더를 빼고 HTML 본문만 보냅니다. 버전을 읽기 전이라 아주 옛날 방식인 HTTP/0.9 로
    # 답하기 때문인데, 그러면 받는 쪽은 400 이라는 숫자를 본문 속에서만 볼 수 있습니다.
    # 버전을 알 수 없을 때 HTTP/1.0 으로 여기게 하면 "HTTP/1.0 400 ..." 상태 줄이 제대로 나갑니다.
    default_request_version = "HTTP/1.0"

    def do_GET(self):
        if self.path != "/":
            # 실습이 약속한 주소는 / 하나입니다. 나머지에는 "없다"는 404 로 답합니다.
            self.send_error(404, "Not Found")
            return
        self.send_response(200)  # 상태 줄 "HTTP/1.0 200 OK" (+ Server, Date 헤더)
        # Content-Type: 본문이 "무엇"인지 알려 줍니다. 브라우저는 이 값을 보고 HTML 로 그릴지,
        # 글자 그대로 보여 줄지, 내려받을지 정합니다. charset: 바이트를 글자로 바꾸는 방법.
        self.send_header("Content-Type", "text/html; charset=utf-8")
        # Content-Length: 본문이 "몇 바이트"인지 알려 줍니다. 이 값이 없으면 받는 쪽은
        # 연결이 끊길 때까지 기다려야만 본문이 끝났는지 압니다. 글자 수가 아니라 바이트 수:
        # 한글은 UTF-8 에서 한 글자가 3바이트이므로, 인코딩한 뒤의 길이를 씁니다.
        self.send_header("Content-Length", str(len(BODY)))
        self.end_headers()  # 헤더 끝 = 빈 줄(\r\n)
        self.wfile.write(BODY)

    # 요청마다 찍히는 로그(127.0.0.1 - - [...] "GET / HTTP/1.1" 200 -)는 stderr 로 나갑니다.
    # 그대로 둡니다.


def main():
    # 시작 줄의 URL 과 한글 로그가 Windows 콘솔(cp949)에서 깨지지 않도록 UTF-8 로.
    sys.stdout.reconfigure(encoding="utf-8")

    # ThreadingHTTPServer: 연결마다 스레드를 하나씩 씁니다. socketserver.TCPServer(HTTPServer)는
    # 한 번에 연결 하나만 처리하므로, 연결만 열어 두고 요청을 보내지 않는 클라이언트 하나
    # (브라우저는 미리 연결을 열어 두곤 합니다)가 다른 모든 클라이언트를 기다리게 만듭니다.
    server = ThreadingHTTPServer((HOST, PORT), HelloHandler)

    # bind 가 끝난 "뒤에", 실제로 열리는 주소를 출력합니다.
    # 0.0.0.0 (또는 '')은 "모든 주소에서 기다리기"라는 뜻이라 접속할 곳을 가리키지 않습니다.
    # 강의 예제처럼 f"http://{server_address[0]}:{port}" 로 찍으면 "http://:8000" 이 나오는데,
    # 호스트가 비어 있는 URL 이라 브라우저가 열지 못합니다. 같은 컴퓨터에서는 127.0.0.1
    # (또는 localhost)로 접속하면 되므로 그 주소를 보여 줍니다.
    print(f"Server running at http://127.0.0.1:{PORT}/", flush=True)

    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass  # Ctrl+C: traceback 없이 끝냅니다.
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
