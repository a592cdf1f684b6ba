"""Lab 06 - http.server 로 만드는 웹 서버 (starter): GET / 에 "Hello, client!" 로 답합니다.

실행:  python labs/06_http_server/server.py

이 파일은 강의 자료의 웹 서버와 같은 구조입니다. 브라우저로 열면 잘 되는 것처럼 보이지만
채점을 통과하지 못합니다. TODO 를 차례로 고치세요.
This has the same shape as the course's web server. It looks fine in a browser, but it does not
pass the grader. Work through the TODOs.
"""

import socketserver
import sys
from http.server import BaseHTTPRequestHandler

# TODO 1: 포트를 PORT 환경 변수에서 읽으세요. 값이 없으면 8000 을 씁니다.
#         Read the port from the PORT environment variable; fall back to 8000.
#         힌트/hint: import os; int(os.environ.get("PORT", "8000"))
server_address = ("", 8000)


class MyRequestHandler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = "Hello, client!".encode("utf-8")
        self.send_response(200)
        self.send_header("Content-type", "text/html")
        # TODO 2: 본문이 몇 바이트인지 Content-Length 헤더로 알려 주세요 (글자 수가 아니라
        #         인코딩한 뒤의 바이트 수: len(body)). 없으면 받는 쪽은 연결이 끊길 때까지
        #         기다려야 본문이 끝났는지 압니다.
        #         Send a Content-Length header with the body's size in bytes (len(body), after
        #         encoding). Without it the client only knows the body ended when the connection closes.
        self.end_headers()
        self.wfile.write(body)


def main():
    sys.stdout.reconfigure(encoding="utf-8")

    # TODO 3: socketserver.TCPServer 는 한 번에 연결 하나만 처리합니다. 연결만 열어 두고
    #         요청을 보내지 않는 클라이언트 하나가 다른 모든 클라이언트를 기다리게 합니다.
    #         from http.server import ThreadingHTTPServer 로 바꾸세요 (연결마다 스레드 하나).
    #         socketserver.TCPServer handles one connection at a time: a single client that opens
    #         a connection and sends nothing makes everyone else wait. Use
    #         http.server.ThreadingHTTPServer instead (one thread per connection).
    with socketserver.TCPServer(server_address, MyRequestHandler) as httpd:
        # TODO 4: server_address[0] 은 빈 문자열('')이라서 "http://:8000" 이 출력됩니다.
        #         ''(와 0.0.0.0)는 "모든 주소에서 기다리기"라는 뜻일 뿐, 찾아갈 주소가 아닙니다.
        #         브라우저가 열 수 있는 주소를 출력하세요: Server running at http://127.0.0.1:PORT/
        #         server_address[0] is the empty string, so this prints "http://:8000". '' (and
        #         0.0.0.0) means "wait on every address", not a place to go. Print a URL a browser
        #         can open: Server running at http://127.0.0.1:PORT/
        print(f"Server running at http://{server_address[0]}:{server_address[1]}", flush=True)
        httpd.serve_forever()


if __name__ == "__main__":
    main()
