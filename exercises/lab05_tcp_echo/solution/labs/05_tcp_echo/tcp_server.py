"""Lab 05 - TCP 에코 서버: 한 줄에 한 메시지, 연결마다 스레드 하나.

실행:  python labs/05_tcp_echo/tcp_server.py
      (PORT 환경 변수가 있으면 그 포트를, 없으면 8888번을 사용합니다.)

약속(프로토콜): 메시지 하나 = UTF-8 글자 한 줄 + 줄바꿈(\\n).
서버는 받은 줄마다 "서버 응답: " + 그 줄 + "\\n" 으로 답하고, 클라이언트가 연결을 닫으면 닫습니다.

Reference solution, standard library only. TCP carries a stream of bytes, not messages: the
server collects bytes until a newline and answers one line at a time, however the bytes arrive.
"""

import os
import socket
import sys
import threading

HOST = "0.0.0.0"  # 이 컴퓨터의 모든 IPv4 주소에서 연결을 받습니다.
PORT = int(os.environ.get("PORT", "8888"))

PREFIX = "서버 응답: ".encode("utf-8")  # 답의 앞부분. 바이트로 만들어 두고 그대로 붙입니다.
RECV_SIZE = 4096  # recv 한 번에 "최대" 몇 바이트를 받을지. 메시지 길이와는 상관이 없습니다.
MAX_LINE = 1024 * 1024  # 1 MiB. 줄바꿈 없이 끝없이 보내는 클라이언트가 메모리를 다 먹지 않도록.


def log(text):
    # 여러 스레드가 함께 출력하므로 한 번의 print 로 한 줄을 씁니다.
    print(text, flush=True)


def preview(line):
    text = line.decode("utf-8", errors="replace")  # 로그용. 깨진 바이트는 �로 보여 줄 뿐.
    return text if len(text) <= 40 else f"{text[:40]}... ({len(line)} bytes)"


def handle_client(conn, addr):
    """연결 하나를 끝까지 처리합니다. 이 함수는 연결마다 새 스레드에서 돕니다."""
    peer = f"{addr[0]}:{addr[1]}"
    log(f"[{peer}] 연결됨")
    # TCP 는 "메시지"가 아니라 "바이트의 흐름"을 나릅니다. recv 한 번이 돌려주는 것은
    # 메시지 하나가 아니라 "지금까지 도착한 바이트의 일부"입니다.
    #   - 한 줄이 여러 조각으로 올 수 있고 (한글 한 글자의 3바이트가 갈라질 수도 있습니다),
    #   - 여러 줄이 recv 한 번에 붙어서 올 수도 있습니다.
    # 그래서 받은 바이트를 buffer 에 모아 두고, 줄바꿈(\n)이 보일 때마다 한 줄씩 떼어 냅니다.
    buffer = bytearray()
    try:
        with conn:
            while True:
                chunk = conn.recv(RECV_SIZE)
                if not chunk:
                    # recv 가 b"" 를 돌려주면 상대가 연결을 닫은 것입니다 (TCP 에서만의 의미).
                    break
                buffer += chunk
                # 버퍼 안에 완성된 줄이 있는 만큼 모두 처리합니다 (0줄일 수도, 여러 줄일 수도).
                while (end := buffer.find(b"\n")) != -1:
                    line = bytes(buffer[:end])  # 줄바꿈은 빼고
                    del buffer[: end + 1]  # 줄바꿈까지 버퍼에서 지웁니다
                    # 바이트 그대로 붙여서 돌려줍니다: 줄이 완성된 뒤이므로 한글이 잘릴 일도,
                    # decode 하다 예외가 날 일도 없습니다.
                    # sendall: send 는 일부만 보낼 수 있습니다. sendall 은 다 보낼 때까지 반복합니다.
                    conn.sendall(PREFIX + line + b"\n")
                    log(f"[{peer}] {preview(line)}")
                if len(buffer) > MAX_LINE:
                    log(f"[{peer}] 줄이 너무 깁니다 ({len(buffer)} bytes), 연결을 닫습니다")
                    break
            if buffer:
                # 줄바꿈 없이 끝난 나머지는 약속된 "메시지"가 아니므로 답하지 않습니다.
                log(f"[{peer}] 줄바꿈 없이 끝난 {len(buffer)} bytes 는 버립니다")
    except OSError as e:
        # 클라이언트가 줄 중간에 연결을 끊어 버리면(reset) recv/sendall 이
        # ConnectionResetError, BrokenPipeError 등을 냅니다. 그 연결만 정리하고 끝내면 됩니다.
        # 다른 클라이언트는 자기 스레드에서 아무 영향 없이 계속 서비스를 받습니다.
        log(f"[{peer}] 연결 오류: {e!r}")
    log(f"[{peer}] 연결 끊김")


def main():
    sys.stdout.reconfigure(encoding="utf-8")  # 한글 로그가 Windows 콘솔에서 깨지지 않도록

    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind((HOST, PORT))
    # listen(): 이제부터 연결을 받습니다. 숫자는 accept() 를 기다리는 연결을 몇 개까지
    # 줄 세워 둘지입니다. 동시에 20개가 몰려와도 거절되지 않도록 넉넉하게 줍니다.
    server.listen(64)
    log(f"[TCP] 서버 시작: {HOST}:{PORT} 에서 연결 수신 대기 중")

    try:
        while True:
            conn, addr = server.accept()
            # 연결마다 스레드를 하나씩 만듭니다. 스레드 없이 여기서 handle_client 를 부르면,
            # 한 클라이언트가 연결을 열어 두는 동안 다른 클라이언트는 accept 조차 되지 않습니다.
            # daemon=True: Ctrl+C 로 서버를 끌 때 남은 스레드가 프로그램 종료를 막지 않게.
            threading.Thread(target=handle_client, args=(conn, addr), daemon=True).start()
    except KeyboardInterrupt:
        pass  # Ctrl+C: traceback 없이 끝냅니다.
    finally:
        server.close()


if __name__ == "__main__":
    main()
