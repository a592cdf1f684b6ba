"""Lab 04 - UDP 클라이언트: 메시지를 보내고 답을 기다리며, 답이 없으면 다시 보냅니다.

실행:  python labs/04_udp_echo/udp_client.py 127.0.0.1 6789 "안녕, UDP!"

출력 (둘 중 하나):
    [UDP] reply from 127.0.0.1:6789: 안녕, UDP!        (종료 코드 0)
    [UDP] no reply after 3 tries                      (종료 코드 1)

Reference solution, standard library only. UDP does not promise delivery: a datagram (or its
reply) can be lost, so the client waits a bounded time and sends again, a bounded number of times.
"""

import socket
import sys

TIMEOUT = 1.0  # 초. 한 번 보낸 뒤 답을 기다리는 시간.
MAX_SENDS = 3  # 처음 보내기를 포함해 모두 3번까지 보냅니다.
MAX_REPLY = 65535  # UDP 데이터그램 하나의 최대 크기. 답이 잘리지 않도록 넉넉하게 받습니다.


def with_port(ip, port):
    # IPv6 주소에는 ':' 가 들어 있어 "::1:6789" 는 어디까지가 주소인지 모호합니다.
    # URL 처럼 대괄호로 감쌉니다: [::1]:6789
    return f"[{ip}]:{port}" if ":" in ip else f"{ip}:{port}"


def main():
    # UTF-8 로, 줄마다 바로 출력합니다 (Windows cp949 콘솔과, 파이프로 읽는 채점기를 위해).
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    # 인자가 모자라거나 PORT 가 1~65535 의 숫자가 아니면 사용법을 stderr 에, 종료 코드 2.
    if len(sys.argv) != 4 or not sys.argv[2].isdigit() or not 0 < int(sys.argv[2]) < 65536:
        print("usage: python udp_client.py HOST PORT MESSAGE", file=sys.stderr)
        return 2
    host, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    # HOST 는 이름(localhost)일 수도, IPv4/IPv6 주소일 수도 있습니다. getaddrinfo 가 알맞은
    # 주소 체계(AF_INET / AF_INET6)와 목적지 주소를 함께 알려 줍니다.
    try:
        family, _, _, _, server = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    except (socket.gaierror, UnicodeError) as e:
        print(f"[UDP] error: could not resolve {host} ({e})")
        return 1

    # 보낼 것은 글자가 아니라 바이트입니다. 한글도 보낼 수 있도록 UTF-8 로 인코딩합니다.
    payload = message.encode("utf-8")

    with socket.socket(family, socket.SOCK_DGRAM) as sock:
        # 시간 제한이 없으면 recvfrom 은 답이 올 때까지 "영원히" 기다립니다. UDP 는 전달을
        # 보장하지 않으므로, 보낸 데이터그램이나 답장이 사라지면 프로그램이 멈춰 버립니다.
        sock.settimeout(TIMEOUT)

        for attempt in range(1, MAX_SENDS + 1):
            # 처음 보내든 다시 보내든 같은 소켓을 씁니다: 출발 포트가 같아야 늦게 도착한
            # 앞선 답장도 이 소켓으로 받을 수 있습니다.
            sock.sendto(payload, server)
            try:
                data, sender = sock.recvfrom(MAX_REPLY)
            except socket.timeout:
                # 답이 없으면 다시 보냅니다. 몇 번까지 보낼지 정해 두어야(여기서는 3번)
                # 서버가 꺼져 있을 때도 프로그램이 끝납니다.
                print(f"[UDP] try {attempt}: no reply within {TIMEOUT:g} s", file=sys.stderr)
                continue
            except OSError as e:
                # 일부 운영체제(Windows 등)는 닫힌 포트에서 돌아온 ICMP 오류를 다음 recvfrom 의
                # ConnectionResetError 로 알려 줍니다. 답이 없는 것과 같으니 다시 보냅니다.
                print(f"[UDP] try {attempt}: {e}", file=sys.stderr)
                continue

            # 답을 보낸 쪽의 주소는 recvfrom 이 알려 줍니다 (우리가 보낸 주소가 아니라).
            # 답은 바이트이므로 글자로 바꿔 출력합니다. 깨진 바이트는 �로 보여 줄 뿐 죽지 않습니다.
            text = data.decode("utf-8", errors="replace")
            print(f"[UDP] reply from {with_port(sender[0], sender[1])}: {text}")
            return 0

    print(f"[UDP] no reply after {MAX_SENDS} tries")
    return 1


if __name__ == "__main__":
    sys.exit(main())
