"""Lab 07 - requests 로 만드는 HTTP 클라이언트 (starter).

실행:  python labs/07_http_client/http_client.py BASE_URL
      예) grade reference lab07 serve 로 연습용 서버를 켜고
          python labs/07_http_client/http_client.py http://127.0.0.1:8000

지금은 첫 단계(GET + 쿼리)만 합니다. TODO를 차례로 채우세요.
Only the first step (GET with a query) is done. Work through the TODOs.
"""

import sys

import requests

# TODO(5): requests 에는 기본 time-out 이 없습니다. 모든 요청에 timeout=TIMEOUT 을 넘기세요.
# TODO(5): requests has no default time-out: pass timeout=TIMEOUT with every request.
TIMEOUT = 2


def main():
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)
    if len(sys.argv) != 2:
        print("usage: python http_client.py BASE_URL", file=sys.stderr)
        sys.exit(2)
    base = sys.argv[1].rstrip("/")

    # TODO(1): requests.get() 은 부를 때마다 연결을 새로 맺습니다. session = requests.Session() 을
    #          하나 만들고 모든 요청을 session.get(), session.post() 로 보내세요.
    # TODO(1): requests.get() opens a new connection every call: make one requests.Session()
    #          and send every request through it.

    # 1) GET + 쿼리 매개변수 (params= 가 ?lab=07&q=... 를 만들어 줍니다)
    r = requests.get(f"{base}/get", params={"lab": "07", "q": "파이썬 requests"})
    token = r.json()["token"]
    print(f"[GET] status={r.status_code} token={token}")

    # TODO(2): POST /post 에 JSON 본문 {"lab": "07", "token": token} 을 보내고 [POST] status=N 출력.
    #          (data= 가 아니라 json= 입니다.)
    # TODO(2): POST /post with the JSON body {"lab": "07", "token": token}; print [POST] status=N.

    # TODO(3): GET /status/404 의 404 를 [ERROR] status=404 url=URL 줄로 알리고 계속 진행하세요.
    # TODO(3): report the 404 of GET /status/404 as [ERROR] status=404 url=URL and go on.

    # TODO(4): GET /flaky 는 처음 두 번 503 으로 답합니다. 5xx 응답이면 0.5초, 1초, 2초 ...
    #          기다렸다가 다시 보내고(최대 3번), [FLAKY] status=N 출력. 4xx 는 다시 보내지 않습니다.
    # TODO(4): /flaky answers 503 twice first: on a 5xx wait 0.5 s, 1 s, 2 s ... and send again
    #          (up to 3 times), then print [FLAKY] status=N. Never retry a 4xx.

    # TODO(5): GET /delay/5 는 5초 뒤에 답합니다. 2초 time-out 으로 requests.exceptions.Timeout 을
    #          잡아 [TIMEOUT] GET /delay/5: no answer within 2 s 를 출력하세요.
    # TODO(5): /delay/5 answers after 5 s: with a 2 s time-out catch requests.exceptions.Timeout
    #          and print [TIMEOUT] GET /delay/5: no answer within 2 s.


if __name__ == "__main__":
    main()
