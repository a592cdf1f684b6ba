"""Lab 08 - 발행-구독(publish-subscribe) 브로커.

실행:  python labs/08_patterns/broker.py
      (PORT 환경 변수가 있으면 그 포트를, 없으면 6789번을 사용합니다.)

약속(프로토콜): 한 줄 = UTF-8 글자 + 줄바꿈(\\n).
  클라이언트 -> 브로커:  SUB 주제 / UNSUB 주제 / PUB 주제 내용
  브로커 -> 구독자:      MSG 주제 내용  (그 주제를 "정확히" 구독한 연결 모두에게 한 번씩)

Reference solution, standard library only. One thread watches every socket with `selectors`,
and nothing in it ever waits for one client: each connection has its own input buffer (lines
are cut at \\n) and its own output buffer (sent as fast as that client reads).
"""

import os
import selectors
import socket
import sys

HOST = "0.0.0.0"  # 이 컴퓨터의 모든 IPv4 주소에서 연결을 받습니다.
PORT = int(os.environ.get("PORT", "6789"))

RECV_SIZE = 65536  # recv 한 번에 "최대" 몇 바이트를 받을지. 메시지 길이와는 상관없습니다.
MAX_LINE = 1024 * 1024  # 줄바꿈 없이 1 MiB 넘게 보내는 연결은 끊습니다 (메모리 보호).
MAX_BACKLOG = 4 * 1024 * 1024  # 구독자에게 못 보내고 쌓인 데이터가 4 MiB를 넘으면 끊습니다.

# selectors: 소켓 여러 개를 한꺼번에 지켜보다가 "지금 읽을 수 있는 것", "지금 보낼 수 있는 것"을
# 알려 줍니다. 스레드 하나로 모든 연결을 처리하므로 자료 구조에 락(lock)이 필요 없습니다.
sel = selectors.DefaultSelector()

# 주제(bytes) -> 그 주제를 구독한 Client 들의 집합(set).
# 리스트가 아니라 집합이라서 같은 연결이 두 번 들어가지 않고, 빼기도 쉽습니다.
subscribers = {}


class Client:
    """연결 하나의 상태."""

    def __init__(self, sock, addr):
        self.sock = sock
        self.name = f"{addr[0]}:{addr[1]}"
        self.inbuf = bytearray()  # 받았지만 아직 줄바꿈이 오지 않은 바이트
        self.outbuf = bytearray()  # 보내야 하지만 아직 상대가 받아 가지 않은 바이트
        self.topics = set()  # 이 연결이 구독 중인 주제들 (연결이 끊기면 모두 빼기 위해)
        self.writing = False  # EVENT_WRITE 도 지켜보는 중인지
        self.closed = False


def log(text):
    print(text, flush=True)


def accept(listener):
    sock, addr = listener.accept()
    # non-blocking: recv/send 가 기다려야 할 상황이면 기다리지 않고 바로 BlockingIOError 를 냅니다.
    # 한 스레드가 모든 연결을 돌보므로, 어느 한 연결 때문에 멈춰 서면 안 됩니다.
    sock.setblocking(False)
    client = Client(sock, addr)
    sel.register(sock, selectors.EVENT_READ, client)
    log(f"[{client.name}] 연결됨")


def close(client, why):
    """연결 하나를 정리합니다. 다른 연결에는 아무 영향이 없습니다."""
    if client.closed:
        return
    client.closed = True
    # 떠난 구독자에게는 더 이상 보내지 않도록 모든 주제에서 뺍니다.
    for topic in client.topics:
        subs = subscribers.get(topic)
        if subs is not None:
            subs.discard(client)
            if not subs:
                del subscribers[topic]
    client.topics.clear()
    sel.unregister(client.sock)
    client.sock.close()
    log(f"[{client.name}] 연결 끊김 ({why})")


def on_readable(client):
    try:
        data = client.sock.recv(RECV_SIZE)
    except BlockingIOError:
        return  # 아직 읽을 것이 없습니다
    except OSError as e:
        # 상대가 갑자기 끊으면(reset) ConnectionResetError 가 납니다.
        # 이 연결만 정리하면 됩니다. 여기서 예외가 밖으로 나가면 브로커 전체가 죽습니다.
        close(client, f"오류: {e!r}")
        return
    if not data:
        close(client, "상대가 연결을 닫음")
        return
    # TCP 는 바이트의 흐름입니다. 한 줄이 여러 번의 recv 로 나뉘어 오기도, 여러 줄이 한 번에
    # 오기도 합니다. 연결마다 따로 버퍼에 모으고, \n 이 보일 때마다 한 줄씩 떼어 처리합니다.
    client.inbuf += data
    while not client.closed and (end := client.inbuf.find(b"\n")) != -1:
        line = bytes(client.inbuf[:end]).rstrip(b"\r")
        del client.inbuf[: end + 1]
        handle_line(client, line)
    if not client.closed and len(client.inbuf) > MAX_LINE:
        close(client, "줄이 너무 깁니다")


def handle_line(client, line):
    # 바이트 그대로 다룹니다: 주제와 내용을 바꾸지 않고 그대로 전달하면 되므로 decode 가
    # 필요 없고, 한글이 섞여도 깨질 일이 없습니다.
    # split(b" ", 2): 앞의 두 칸에서만 자릅니다. 내용 안의 공백은 내용의 일부입니다.
    parts = line.split(b" ", 2)
    command = parts[0]
    if command == b"SUB" and len(parts) == 2:
        topic = parts[1]
        subscribers.setdefault(topic, set()).add(client)
        client.topics.add(topic)
    elif command == b"UNSUB" and len(parts) == 2:
        topic = parts[1]
        subs = subscribers.get(topic)
        if subs is not None:
            subs.discard(client)
            if not subs:
                del subscribers[topic]
        client.topics.discard(topic)
    elif command == b"PUB" and len(parts) >= 2:
        topic = parts[1]
        text = parts[2] if len(parts) == 3 else b""
        message = b"MSG " + topic + b" " + text + b"\n"
        # 주제가 "정확히" 같은 구독자에게만 보냅니다: subscribers[topic] 은 == 로 찾은 것입니다.
        # (news 를 구독한 연결이 newsletter 를 받으면 안 됩니다.)
        # list(...) 로 복사해 두는 이유: 보내다가 오류가 난 구독자는 close() 가 집합에서 빼므로,
        # 도는 도중에 집합이 바뀌어도 괜찮게 하려는 것입니다.
        for sub in list(subscribers.get(topic, ())):
            deliver(sub, message)
    else:
        log(f"[{client.name}] 알 수 없는 줄: {line[:80].decode('utf-8', errors='replace')}")


def deliver(client, data):
    """client 에게 보낼 데이터를 그 연결의 버퍼에 넣고, 지금 보낼 수 있는 만큼 보냅니다.

    sendall 을 쓰면 안 되는 이유: 읽지 않는 구독자의 소켓 버퍼가 가득 차면 sendall 은 상대가
    읽을 때까지 기다립니다. 그동안 브로커 전체(이 스레드 하나)가 멈추고 다른 구독자도 아무것도
    받지 못합니다. 그래서 남은 것은 버퍼에 두었다가 "보낼 수 있다"는 알림이 올 때 보냅니다.
    """
    client.outbuf += data
    flush(client)
    if not client.closed and len(client.outbuf) > MAX_BACKLOG:
        # 너무 느린 구독자: 계속 쌓아 두면 브로커의 메모리가 바닥납니다. 이 구독자만 끊습니다.
        close(client, "너무 느린 구독자")


def flush(client):
    try:
        sent = client.sock.send(client.outbuf)  # 받아 줄 수 있는 만큼만 보내고 바로 돌아옵니다
    except BlockingIOError:
        sent = 0
    except OSError as e:
        close(client, f"보내기 오류: {e!r}")  # 떠난 구독자: 그 연결만 정리합니다
        return
    del client.outbuf[:sent]
    # 아직 남은 것이 있으면 "보낼 수 있게 되면" 알려 달라고(EVENT_WRITE) 등록합니다.
    want = bool(client.outbuf)
    if want != client.writing:
        client.writing = want
        events = selectors.EVENT_READ | (selectors.EVENT_WRITE if want else 0)
        sel.modify(client.sock, events, client)


def main():
    sys.stdout.reconfigure(encoding="utf-8")  # 한글 로그가 Windows 콘솔에서 깨지지 않도록

    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind((HOST, PORT))
    listener.listen(64)
    listener.setblocking(False)
    sel.register(listener, selectors.EVENT_READ, None)  # data=None 이면 대기 소켓
    log(f"[BROKER] 시작: {HOST}:{PORT} 에서 연결 수신 대기 중")

    try:
        while True:
            # select(): 준비된 소켓이 생길 때까지 기다렸다가 (소켓, 일어난 일) 목록을 돌려줍니다.
            for key, events in sel.select():
                if key.data is None:
                    accept(key.fileobj)
                    continue
                client = key.data
                if events & selectors.EVENT_READ and not client.closed:
                    on_readable(client)
                if events & selectors.EVENT_WRITE and not client.closed:
                    flush(client)
    except KeyboardInterrupt:
        pass  # Ctrl+C: traceback 없이 끝냅니다.
    finally:
        listener.close()


if __name__ == "__main__":
    main()
