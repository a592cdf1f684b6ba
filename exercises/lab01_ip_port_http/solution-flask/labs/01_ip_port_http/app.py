"""Lab 01 (Flask 버전): 원래 실습 문서의 Flask 서버에 PORT 환경 변수 처리만 더했습니다.

준비: pip install -r requirements.txt   (또는 pip install flask)
실행: python3 labs/01_ip_port_http/app.py

시작 메시지는 직접 print하지 않습니다. host="0.0.0.0"으로 실행하면 Flask(Werkzeug)가
stderr에 다음 세 줄을 알아서 출력하고, 채점기도 이 형식을 인정합니다.
 * Running on all addresses (0.0.0.0)
 * Running on http://127.0.0.1:PORT
 * Running on http://<사설IP>:PORT
"""

import os

from flask import Flask, Response, request

app = Flask(__name__)

# 채점기는 실행할 때마다 비어 있는 포트를 PORT로 넘겨 줍니다. 값이 없으면 실습 기본 포트인 8000번을 씁니다.
PORT = int(os.environ.get("PORT", "8000"))


@app.get("/")
def index() -> Response:
    # request.remote_addr에는 TCP 연결을 맺은 상대방(peer)의 IP 주소가 들어 있습니다.
    # localhost로 접속하면 127.0.0.1이, 사설 IP로 접속하면 그 사설 IP가 찍힙니다.
    body = (
        "OK! You reached the server.\n"
        f"client_ip={request.remote_addr}\n"
        "Try accessing via localhost and via your private IP.\n"
    )
    # Flask의 기본 응답 형식은 text/html이므로 일반 텍스트(text/plain)라고 밝혀 둡니다.
    # (charset=utf-8은 Flask가 붙여 주고, Content-Length도 계산해 줍니다.)
    return Response(body, mimetype="text/plain")


# 다른 경로는 따로 만들지 않습니다. 등록되지 않은 경로에는 Flask가 알아서 404로 응답합니다.

if __name__ == "__main__":
    # 0.0.0.0: 모든 IPv4 주소에서 연결을 기다립니다 (localhost로도, 사설 IP로도 접속할 수 있습니다).
    # threaded=True는 Flask의 기본값이지만, 요청마다 스레드를 쓴다는 점을 드러내려고 적어 두었습니다.
    app.run(host="0.0.0.0", port=PORT, threaded=True)
