"""Lab 08 - pull 워커 (starter).

실행:  python labs/08_patterns/worker.py HOST PORT

약속(프로토콜): 한 줄 = UTF-8 글자 + 줄바꿈(\\n).
  워커 -> 나눠 주는 쪽: READY / DONE id n*n      나눠 주는 쪽 -> 워커: TASK id n / END
Protocol: the worker sends READY and DONE id n*n; the ventilator sends TASK id n and END.

지금은 READY 를 한 번 보내고 한 줄을 받아 출력할 뿐입니다. TODO 를 고치세요.
For now it sends READY once, prints one line and ends. Fix the TODOs.
"""

import socket
import sys


def main():
    host, port = sys.argv[1], int(sys.argv[2])
    sock = socket.create_connection((host, port), timeout=60)
    # makefile: 한 줄씩 읽습니다 / read a line at a time
    lines = sock.makefile("r", encoding="utf-8")
    sock.sendall(b"READY\n")

    line = lines.readline()
    print("받은 줄 / received:", line.strip(), flush=True)

    # TODO 1: TASK id n 을 받으면 DONE id n*n 을 보내세요.
    #         On TASK id n, send DONE id n*n.
    # TODO 2: 답한 "다음에" READY 를 다시 보내고, 다음 줄을 받아 되풀이하세요 (한 번에 일 하나).
    #         After answering, send READY again and repeat (one task at a time).
    # TODO 3: END 를 받으면 반복을 멈추고 종료 코드 0 으로 끝내세요.
    #         On END, stop and exit with status 0.
    sock.close()


if __name__ == "__main__":
    main()
