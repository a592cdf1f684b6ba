"""Lab 04 - UDP 에코 서버 (starter): 받은 데이터그램을 바이트 그대로, 보낸 쪽에게 돌려줍니다.

실행:  python labs/04_udp_echo/udp_server.py

이 파일은 실습 문서의 udp_server.py 와 거의 같습니다. 실행은 되지만 데이터그램 하나에
고정된 문장으로 답하고 끝나 버려서 채점을 통과하지 못합니다. TODO 를 차례로 고치세요.
This is almost the course's udp_server.py: it runs, but answers ONE datagram with a fixed
sentence and exits, so it does not pass the grader. Work through the TODOs.
"""

import os  # noqa: F401  (TODO 1 에서 사용 / used in TODO 1)
import socket
import sys
from datetime import datetime

# TODO 1: 포트를 PORT 환경 변수에서 읽으세요. 값이 없으면 6789 를 씁니다.
#         Read the port from the PORT environment variable; fall back to 6789.
#         힌트/hint: int(os.environ.get("PORT", "6789"))
PORT = 6789

# TODO 2: 'localhost' 는 이 컴퓨터 안에서 온 데이터그램만 받습니다. 0.0.0.0 에 bind 하세요.
#         'localhost' only receives datagrams sent from this machine. Bind 0.0.0.0.
HOST = "localhost"

# 데이터그램 하나를 받을 버퍼 크기. 4096 바이트까지 잘리지 않고 와야 하므로 줄이지 마세요.
# The receive buffer: datagrams up to 4096 bytes must arrive whole, so do not make it smaller.
MAX_SIZE = 4096


def main():
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((HOST, PORT))
    print(f"서버 시작 시간: {datetime.now()}")
    print("클라이언트의 호출 대기 중...")

    # TODO 3: 서버는 데이터그램 하나로 끝나면 안 됩니다. 아래의 받기-답하기를 while True 로
    #         감싸 계속 수신 대기하게 하고, close() 는 반복이 끝난 뒤(Ctrl+C)로 옮기세요.
    #         A server must not stop after one datagram: wrap the receive-and-answer below in
    #         `while True`, and close the socket only after the loop (Ctrl+C).
    data, client = server.recvfrom(MAX_SIZE)

    # TODO 4: strict 한 decode 는 UTF-8 이 아닌 바이트에서 UnicodeDecodeError 로 서버를 죽입니다.
    #         로그에는 data.decode("utf-8", errors="replace") 를 쓰세요.
    #         A strict decode kills the server on bytes that are not UTF-8: use
    #         data.decode("utf-8", errors="replace") for the log line.
    print(f"{datetime.now()} {client}: {data.decode('utf-8')}")

    # TODO 5: 고정된 문장이 아니라 받은 바이트(data)를 그대로, 보낸 쪽(client)에게 돌려주세요.
    #         Send back the bytes received (data) as they are, to the sender (client),
    #         instead of a fixed sentence.
    server.sendto("절 부르셨나요?".encode("utf-8"), client)
    server.close()


if __name__ == "__main__":
    main()
