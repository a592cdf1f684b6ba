"""Lab 07 - requests 로 만드는 HTTP 클라이언트: 세션, 쿼리, JSON, 오류, 재시도, time-out.

실행:  python labs/07_http_client/http_client.py BASE_URL
      예) grade reference lab07 serve 로 연습용 서버를 켜고
          python labs/07_http_client/http_client.py http://127.0.0.1:8000

Reference solution: one requests.Session for every request, GET with params, POST JSON with
the token from the GET answer, a 404 reported, retries with exponential backoff on 5xx only,
and a 2 s time-out on every request.
"""

import sys
import time

import requests

# requests 에는 기본 time-out 이 없습니다. 값을 주지 않으면 답하지 않는 서버를 "영원히" 기다립니다.
# 그래서 모든 요청에 같은 값을 넘깁니다 (초 단위).
TIMEOUT = 2
# 5xx 응답에 다시 보낼 최대 횟수와, 첫 번째 재시도 전에 기다릴 시간(초).
MAX_RETRIES = 3
BACKOFF = 0.5


def request(session, method, url, **kwargs):
    """요청 하나를 보내고, 응답이 5xx 이면 기다렸다가 다시 보냅니다 (최대 MAX_RETRIES 번).

    5xx 는 "서버 쪽의 일시적인 문제"라서 조금 뒤에 다시 보내면 성공할 수 있습니다.
    4xx 는 "요청이 잘못되었다"는 뜻이라 다시 보내도 같은 답이 오므로 그대로 돌려줍니다.
    """
    for attempt in range(MAX_RETRIES + 1):
        response = session.request(method, url, timeout=TIMEOUT, **kwargs)
        if response.status_code < 500 or attempt == MAX_RETRIES:
            return response
        # 지수 백오프: 0.5초, 1초, 2초 ... 처럼 기다리는 시간을 매번 두 배로 늘립니다.
        # 모든 클라이언트가 곧바로 다시 보내면, 이미 힘든 서버에 요청이 한꺼번에 몰립니다.
        wait = BACKOFF * 2**attempt
        print(f"[RETRY] {method} {url} -> {response.status_code}, waiting {wait:.1f} s")
        time.sleep(wait)
    return response  # 여기에는 오지 않지만, 읽는 사람을 위해 적어 둡니다.


def main():
    # 한글이 Windows 콘솔(cp949)에서 깨지지 않도록 UTF-8 로 출력합니다.
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)
    if len(sys.argv) != 2:
        print("usage: python http_client.py BASE_URL", file=sys.stderr)
        sys.exit(2)
    base = sys.argv[1].rstrip("/")  # "http://host:port/" 처럼 끝에 / 가 있어도 됩니다.

    # Session 하나를 만들어 모든 요청에 씁니다. 세션은 TCP 연결을 열어 둔 채 다음 요청에
    # 다시 쓰므로(keep-alive), 요청마다 연결을 새로 맺는 requests.get() 보다 빠릅니다.
    # 쿠키와 기본 헤더도 세션에 담아 두면 모든 요청에 함께 갑니다.
    # with 문을 쓰면 끝날 때 열어 둔 연결을 닫아 줍니다.
    with requests.Session() as session:
        session.headers["User-Agent"] = "lab07-http-client"
        try:
            run(session, base)
        except requests.exceptions.ConnectionError as e:
            # 서버가 꺼져 있거나 주소가 틀렸을 때: traceback 대신 알아볼 수 있는 한 줄로.
            print(f"[ERROR] could not connect to {base} ({e.__class__.__name__})")
            sys.exit(1)


def run(session, base):
    # 1) GET + 쿼리 매개변수: params= 에 딕셔너리를 주면 requests 가 ?lab=07&q=... 를
    #    만들어 줍니다. 공백과 한글도 URL 에 쓸 수 있는 모양(%ED%8C%8C...)으로 바꿔 줍니다.
    r = request(session, "GET", f"{base}/get", params={"lab": "07", "q": "파이썬 requests"})
    data = r.json()  # 응답 본문(JSON 문자열)을 파이썬 딕셔너리로
    token = data["token"]  # 서버가 실행할 때마다 새로 만드는 값
    print(f"[GET] status={r.status_code} token={token}")

    # 2) POST + JSON 본문: json= 에 딕셔너리를 주면 본문을 JSON 으로 만들고
    #    Content-Type: application/json 헤더도 붙여 줍니다.
    #    (data= 에 딕셔너리를 주면 JSON 이 아니라 폼 데이터 lab=07&token=... 로 갑니다.)
    r = request(session, "POST", f"{base}/post", json={"lab": "07", "token": token})
    print(f"[POST] status={r.status_code}")

    # 3) 404: requests 는 4xx, 5xx 응답에도 예외를 내지 않고 응답을 그대로 돌려줍니다.
    #    raise_for_status() 가 그런 응답을 requests.HTTPError 로 바꿔 줍니다.
    r = request(session, "GET", f"{base}/status/404")
    try:
        r.raise_for_status()
    except requests.HTTPError:
        print(f"[ERROR] status={r.status_code} url={r.url}")

    # 4) 재시도: /flaky 는 처음 몇 번 503 으로 답합니다. request() 가 기다렸다가 다시 보냅니다.
    r = request(session, "GET", f"{base}/flaky")
    print(f"[FLAKY] status={r.status_code}")

    # 5) time-out: /delay/5 는 5초 뒤에야 답합니다. 2초가 지나면 requests 가
    #    requests.exceptions.Timeout 을 내므로, 잡아서 한 줄로 알립니다.
    #    (time-out 은 재시도하지 않습니다. request() 는 5xx "응답"만 다시 보냅니다.)
    try:
        r = request(session, "GET", f"{base}/delay/5")
        print(f"[DELAY] status={r.status_code}")
    except requests.exceptions.Timeout:
        print(f"[TIMEOUT] GET /delay/5: no answer within {TIMEOUT} s")


if __name__ == "__main__":
    main()
