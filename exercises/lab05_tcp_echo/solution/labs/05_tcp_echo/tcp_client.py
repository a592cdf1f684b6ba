"""Lab 05 - TCP 클라이언트: 메시지마다 한 줄을 보내고, 답도 한 줄씩 온전히 읽어 출력합니다.

실행:  python labs/05_tcp_echo/tcp_client.py 127.0.0.1 8888 안녕하세요 "두 번째 줄"

출력 (서버가 보낸 줄을 그대로, 한 줄에 하나씩):
    서버 응답: 안녕하세요
    서버 응답: 두 번째 줄

Reference solution, standard library only. One connection; each MESSAGE goes out as one line, and
each reply is read as a whole line however the bytes arrive, then printed exactly as received.
"""

import socket
import sys

TIMEOUT = 5.0  # 초. 연결과 답 기다리기 모두. 대답 없는 서버 앞에서 영원히 멈추지 않도록.
RECV_SIZE = 4096
MAX_LINE = 1024 * 1024  # 1 MiB. 줄바꿈을 끝내 보내지 않는 서버에 메모리를 다 쓰지 않도록.


def with_port(host, port):
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"  # IPv6 는 [::1]:8888


class LineReader:
    """소켓에서 한 줄씩 읽습니다. 줄 하나가 여러 조각으로 오든, 여러 줄이 한꺼번에 오든."""

    def __init__(self, sock):
        self.sock = sock
        self.buffer = bytearray()  # 받았지만 아직 줄로 떼어 내지 않은 바이트

    def read_line(self):
        # recv 한 번이 줄 하나라는 보장은 없습니다(TCP 는 바이트의 흐름). 줄바꿈이 보일 때까지
        # 모읍니다. 한 번에 두 줄이 왔다면 두 번째 줄은 buffer 에 남아 다음 호출에서 쓰입니다.
        while (end := self.buffer.find(b"\n")) == -1:
            if len(self.buffer) > MAX_LINE:
                raise ValueError(f"reply line longer than {MAX_LINE} bytes")
            chunk = self.sock.recv(RECV_SIZE)
            if not chunk:
                raise ConnectionError("the server closed the connection before a whole line")
            self.buffer += chunk
        line = bytes(self.buffer[:end])
        del self.buffer[: end + 1]
        return line


def main():
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    if len(sys.argv) < 4 or not sys.argv[2].isdigit() or not 0 < int(sys.argv[2]) < 65536:
        print("usage: python tcp_client.py HOST PORT MESSAGE...", file=sys.stderr)
        return 2
    host, port, messages = sys.argv[1], int(sys.argv[2]), sys.argv[3:]

    try:
        # create_connection: 이름을 해석하고(getaddrinfo), 나온 주소를 차례로 시도해 처음
        # 연결되는 소켓을 돌려줍니다 (lab03 에서 직접 했던 일). 거절되면 OSError.
        sock = socket.create_connection((host, port), timeout=TIMEOUT)
    except OSError as e:
        # 서버가 꺼져 있으면 ConnectionRefusedError: traceback 대신 한 줄로 알리고 종료 코드 1.
        print(f"[TCP] error: could not connect to {with_port(host, port)} ({e.strerror or e})")
        return 1

    with sock:
        reader = LineReader(sock)
        try:
            for message in messages:
                # 약속: 메시지 하나 = 한 줄. 끝에 \n 을 붙여야 서버가 "메시지 끝"을 압니다.
                sock.sendall(message.encode("utf-8") + b"\n")
                line = reader.read_line()
                # 받은 줄을 "그대로" 출력합니다. 앞에 다른 말을 붙이지 않습니다.
                # 한 줄이 완성된 뒤에 decode 하므로 한글이 중간에서 잘릴 일이 없습니다.
                print(line.decode("utf-8", errors="replace"))
        except (OSError, ValueError) as e:  # 시간 초과, 연결 끊김, 너무 긴 줄
            print(f"[TCP] error: {e}")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
