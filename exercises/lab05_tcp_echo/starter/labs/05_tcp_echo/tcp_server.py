"""Lab 05 - TCP 에코 서버 (starter): 한 줄에 한 메시지, 연결마다 스레드 하나.

실행:  python labs/05_tcp_echo/tcp_server.py

약속(프로토콜): 메시지 하나 = UTF-8 글자 한 줄 + 줄바꿈(\\n).
서버는 받은 줄마다 "서버 응답: " + 그 줄 + "\\n" 으로 답합니다.
Protocol: one message = one line of UTF-8 text + "\\n"; each line is answered with
"서버 응답: " + the line + "\\n".

이 파일은 강의 자료의 스레드 서버와 같은 구조입니다. 짧은 메시지를 하나씩 보내면 잘 되는 것처럼
보이지만, recv 한 번을 메시지 하나로 여기기 때문에 채점을 통과하지 못합니다. TODO 를 고치세요.
This has the same shape as the course's threaded server. It looks right with one short message
at a time, but takes one recv() as one message, so it does not pass the grader. Fix the TODOs.
"""

import os  # noqa: F401  (TODO 1 에서 사용 / used in TODO 1)
import socket
import sys
import threading

# TODO 1: 포트를 PORT 환경 변수에서 읽으세요. 값이 없으면 8888 을 씁니다.
#         Read the port from the PORT environment variable; fall back to 8888.
PORT = 8888
HOST = "0.0.0.0"  # 이 컴퓨터의 모든 IPv4 주소 / every IPv4 address of this machine


def handle_client(client_socket, address):
    try:
        while True:
            # TODO 2: recv(1024) 한 번은 "메시지 하나"가 아닙니다. TCP 는 바이트의 흐름이라서
            #         한 줄이 여러 조각으로 오기도 하고(한글 한 글자가 갈라지기도 하고),
            #         여러 줄이 한 번에 오기도 하며, 1024 바이트보다 긴 줄도 있습니다.
            #         받은 바이트를 버퍼(bytearray)에 모으고, b"\n" 이 보일 때마다 한 줄씩 떼어 내
            #         그 줄마다 답하세요.
            #         One recv(1024) is not one message. TCP is a byte stream: a line can come in
            #         pieces (even splitting a Korean character), several lines can come at once,
            #         and a line can be longer than 1024 bytes. Collect the bytes in a buffer
            #         (bytearray) and answer each line each time a b"\n" shows up.
            data = client_socket.recv(1024)
            if not data:
                break  # b"": 상대가 연결을 닫았습니다 / the client closed the connection

            # TODO 3: 조각난 한글을 decode 하면 UnicodeDecodeError 가 납니다. 줄이 완성된 뒤에
            #         바이트 그대로 "서버 응답: ".encode("utf-8") + line + b"\n" 을 보내세요.
            #         Decoding a split Korean character raises UnicodeDecodeError. Once a line is
            #         complete, send "서버 응답: ".encode("utf-8") + line + b"\n" as bytes.
            message = data.decode("utf-8")
            print(f"받은 메시지: {message!r}", flush=True)
            response = f"서버 응답: {message}"
            # TODO 4: send 는 일부만 보낼 수도 있습니다. sendall 을 쓰세요.
            #         send() may send only part of the data: use sendall().
            client_socket.send(response.encode("utf-8"))
    except Exception as e:
        print(f"클라이언트 처리 오류: {e}", flush=True)
    finally:
        client_socket.close()


def main():
    sys.stdout.reconfigure(encoding="utf-8")
    server_socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server_socket.bind((HOST, PORT))
    server_socket.listen(64)
    print(f"TCP 서버 시작: {HOST}:{PORT}", flush=True)

    try:
        while True:
            client_socket, address = server_socket.accept()
            print(f"클라이언트 연결: {address}", flush=True)
            # 연결마다 스레드 하나: 한 클라이언트가 연결을 열어 두어도 다른 클라이언트가 기다리지 않습니다.
            # One thread per connection: a client that keeps its connection open blocks no one.
            threading.Thread(target=handle_client, args=(client_socket, address), daemon=True).start()
    except KeyboardInterrupt:
        pass
    finally:
        server_socket.close()


if __name__ == "__main__":
    main()
