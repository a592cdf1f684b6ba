"""Lab 05 - TCP 클라이언트 (starter): 메시지마다 한 줄을 보내고, 답을 한 줄씩 출력합니다.

실행:  python labs/05_tcp_echo/tcp_client.py 127.0.0.1 8888 안녕하세요 "두 번째 줄"

목표 출력 / expected output (서버가 보낸 줄 그대로 / the server's lines, as received):
    서버 응답: 안녕하세요
    서버 응답: 두 번째 줄

이 파일은 답이 recv 한 번에 다 올 때만 제대로 보입니다. TODO 를 고치세요.
This file only looks right when each reply arrives in one recv(). Fix the TODOs.
"""

import socket
import sys


def main():
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    if len(sys.argv) < 4 or not sys.argv[2].isdigit():
        print("usage: python tcp_client.py HOST PORT MESSAGE...", file=sys.stderr)
        return 2
    host, port, messages = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

    # TODO 1: 서버가 꺼져 있으면 여기서 ConnectionRefusedError traceback 이 납니다.
    #         try/except OSError 로 감싸 "[TCP] error: ..." 로 시작하는 한 줄을 출력하고 종료 코드 1.
    #         With no server this raises a ConnectionRefusedError traceback. Wrap it in
    #         try/except OSError, print one line starting with "[TCP] error:" and exit 1.
    client_socket = socket.create_connection((host, port), timeout=5)

    for message in messages:
        # 메시지 하나 = 한 줄: 끝의 \n 이 "메시지 끝" 표시입니다.
        # One message = one line: the trailing \n marks its end.
        client_socket.sendall(message.encode("utf-8") + b"\n")

        # TODO 2: recv 한 번이 답 한 줄이라는 보장은 없습니다. 답이 조각나서 오면 앞부분만
        #         출력하고(한글이 잘리면 UnicodeDecodeError), 나머지는 다음 메시지의 답인 것처럼
        #         섞여 나옵니다. 버퍼에 모아 b"\n" 까지 한 줄을 온전히 읽은 뒤 출력하세요.
        #         One recv() is not one reply line. A reply that arrives in pieces is printed
        #         half (a split Korean character raises UnicodeDecodeError), and the rest shows up
        #         as if it answered the next message. Buffer until b"\n", then print the whole line.
        data = client_socket.recv(1024)
        print(data.decode("utf-8"), end="")

    client_socket.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
