"""Lab 08 - pull 워커.

실행:  python labs/08_patterns/worker.py HOST PORT
      (작업을 나눠 주는 쪽(ventilator)이 HOST:PORT 에서 기다리고 있어야 합니다.)

약속(프로토콜): 한 줄 = UTF-8 글자 + 줄바꿈(\\n).
  워커 -> 나눠 주는 쪽:  READY           (일을 하나 주세요)
  나눠 주는 쪽 -> 워커:  TASK id n        (이 일을 하세요)
  워커 -> 나눠 주는 쪽:  DONE id n*n      (다 했습니다), 그리고 다시 READY
  나눠 주는 쪽 -> 워커:  END              (더 할 일이 없습니다: 종료 코드 0으로 끝냅니다)

Reference solution, standard library only. Pull: the worker asks for one task, answers it,
and only then asks for the next, so a busy worker never holds work another could be doing.
"""

import socket
import sys


def main():
    sys.stdout.reconfigure(encoding="utf-8")  # 한글 출력이 Windows 콘솔에서 깨지지 않도록
    if len(sys.argv) != 3:
        print("usage: python worker.py HOST PORT", file=sys.stderr)
        return 2
    host = sys.argv[1]
    try:
        port = int(sys.argv[2])
    except ValueError:
        print("usage: python worker.py HOST PORT", file=sys.stderr)
        return 2

    try:
        # create_connection: 이름 풀이와 연결을 한 번에. timeout 은 연결과 이후의 recv 에 모두
        # 적용되어, 나눠 주는 쪽이 사라져도 워커가 영원히 기다리지 않습니다.
        sock = socket.create_connection((host, port), timeout=60)
    except OSError as e:
        print(f"[WORKER] error: could not connect to {host}:{port} ({e})")
        return 1

    try:
        # makefile: 소켓을 파일처럼 한 줄씩 읽게 해 줍니다. 한 줄이 여러 조각으로 와도
        # 줄바꿈까지 모아서 한 줄로 돌려주므로, recv 한 번 = 한 줄이라고 가정할 필요가 없습니다.
        with sock, sock.makefile("r", encoding="utf-8", newline="\n") as lines:
            # pull 방식: 먼저 "일을 주세요"라고 청합니다. 나눠 주는 쪽은 READY 를 보낸
            # 워커에게만 일을 줍니다. 그래서 빨리 끝낸 워커가 더 많은 일을 가져갑니다.
            sock.sendall(b"READY\n")
            for line in lines:
                words = line.split()
                if words == ["END"]:
                    print("[WORKER] END: 할 일이 더 없습니다")
                    return 0
                if len(words) == 3 and words[0] == "TASK":
                    task_id, n = words[1], int(words[2])
                    result = n * n  # 파이썬의 int 는 아무리 커도 넘치지 않습니다
                    print(f"[WORKER] task {task_id}: {n}^2 = {result}", flush=True)
                    # 답(DONE)을 보낸 "다음에야" 다음 일을 청합니다(READY).
                    # 답하기 전에 READY 를 또 보내면 일을 쌓아 두는(hoarding) 것이 됩니다.
                    sock.sendall(f"DONE {task_id} {result}\nREADY\n".encode("utf-8"))
            print("[WORKER] error: the connection ended without END")
            return 1
    except OSError as e:  # 시간 초과(socket.timeout 도 OSError), reset 등
        print(f"[WORKER] error: {e!r}")
        return 1


if __name__ == "__main__":
    sys.exit(main())
