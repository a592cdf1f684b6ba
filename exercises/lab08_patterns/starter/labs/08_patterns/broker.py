"""Lab 08 - 발행-구독 브로커 (starter).

실행:  python labs/08_patterns/broker.py

약속(프로토콜): 한 줄 = UTF-8 글자 + 줄바꿈(\\n).
  클라이언트 -> 브로커:  SUB 주제 / UNSUB 주제 / PUB 주제 내용
  브로커 -> 구독자:      MSG 주제 내용  (그 주제를 정확히 구독한 연결 모두에게 한 번씩)
Protocol: one line = UTF-8 text + "\\n". SUB topic / UNSUB topic / PUB topic text in;
MSG topic text out, once to every connection subscribed to exactly that topic.

연결마다 스레드 하나로 줄을 읽습니다. 실행은 되지만 TODO 를 고치기 전에는 채점을 통과하지 못합니다.
A thread per connection reads lines. It runs, but does not pass the grader until the TODOs are fixed.
"""

import os  # noqa: F401  (TODO 1 에서 사용 / used in TODO 1)
import socket
import threading

# TODO 1: 포트를 PORT 환경 변수에서 읽으세요. 값이 없으면 6789 를 씁니다.
#         Read the port from the PORT environment variable; fall back to 6789.
PORT = 6789
HOST = "0.0.0.0"

# 주제(bytes) -> 그 주제를 구독한 연결. 여러 스레드가 함께 쓰므로 lock 으로 보호합니다.
# topic (bytes) -> the connection subscribed to it. Shared by threads: guarded by lock.
subscribers = {}
lock = threading.Lock()


def handle_client(conn, addr):
    # makefile: 소켓을 파일처럼 한 줄씩 읽습니다 (줄이 여러 조각으로 와도 한 줄로 모아 줍니다).
    # makefile reads the socket a line at a time, however the line arrives.
    # TODO 5: 상대가 갑자기 끊으면(reset) 아래 반복문에서 ConnectionResetError 가 납니다.
    #         try/except OSError 로 감싸고, 끝나면(정상이든 오류든) 이 연결을 모든 주제에서 빼세요.
    #         A peer that resets raises ConnectionResetError in the loop below. Wrap it in
    #         try/except OSError, and at the end (normal or not) remove this connection from
    #         every topic.
    with conn, conn.makefile("rb") as lines:
        for raw in lines:
            line = raw.rstrip(b"\r\n")
            parts = line.split(b" ", 2)  # 앞의 두 칸에서만 자릅니다 / split at the first two spaces only
            if parts[0] == b"SUB" and len(parts) == 2:
                with lock:
                    # TODO 2: 이러면 주제마다 마지막 구독자 하나만 남습니다. 연결의 집합(set)을 두세요:
                    #         subscribers.setdefault(topic, set()).add(conn)
                    #         This keeps only the last subscriber of a topic. Keep a set instead.
                    subscribers[parts[1]] = conn
            # TODO 3: UNSUB 주제를 처리하세요: 그 주제의 집합에서 이 연결을 뺍니다.
            #         Handle UNSUB topic: remove this connection from the topic's set.
            elif parts[0] == b"PUB" and len(parts) == 3:
                topic, text = parts[1], parts[2]
                message = b"MSG " + topic + b" " + text + b"\n"
                with lock:
                    target = subscribers.get(topic)
                if target is not None:
                    # TODO 4: 읽지 않는 구독자에게 sendall 하면, 그 구독자의 버퍼가 가득 찬 순간 여기서
                    #         멈추고 다른 구독자도 아무것도 받지 못합니다. 연결마다 보낼 메시지를 담는
                    #         큐(queue.Queue)와 그 큐를 비우며 보내는 스레드를 두세요 (또는 solution 처럼
                    #         selectors 로). 너무 많이 쌓이면 그 구독자를 끊어도 됩니다.
                    #         sendall to a subscriber that does not read blocks here once its buffer is
                    #         full, and nobody else gets anything. Give each connection a queue and a
                    #         thread that sends from it (or use selectors, as the solution does).
                    target.sendall(message)


def main():
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind((HOST, PORT))
    server.listen(64)
    print(f"[BROKER] {HOST}:{PORT}", flush=True)
    try:
        while True:
            conn, addr = server.accept()
            threading.Thread(target=handle_client, args=(conn, addr), daemon=True).start()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


if __name__ == "__main__":
    main()
