"""Lab 04 - UDP 클라이언트 (starter): 메시지를 보내고 답을 기다리며, 답이 없으면 다시 보냅니다.

실행:  python labs/04_udp_echo/udp_client.py 127.0.0.1 6789 "안녕, UDP!"

목표 출력 / expected output (둘 중 하나 / one of):
    [UDP] reply from 127.0.0.1:6789: 안녕, UDP!        (exit 0)
    [UDP] no reply after 3 tries                      (exit 1)

이 파일은 서버가 답할 때는 잘 동작하지만, 데이터그램이 하나라도 사라지면 영원히 기다립니다.
This file works while the server answers, but waits forever once a datagram is lost.
"""

import socket
import sys


def main():
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    if len(sys.argv) != 4 or not sys.argv[2].isdigit():
        print("usage: python udp_client.py HOST PORT MESSAGE", file=sys.stderr)
        return 2
    host, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]

    family, _, _, _, server = socket.getaddrinfo(host, port, type=socket.SOCK_DGRAM)[0]
    client = socket.socket(family, socket.SOCK_DGRAM)

    # TODO 1: 시간 제한이 없으면 recvfrom 은 답이 올 때까지 영원히 기다립니다.
    #         client.settimeout(1.0) 으로 1초만 기다리게 하세요 (시간이 지나면 socket.timeout).
    #         Without a timeout recvfrom waits forever. Wait 1 second at most with
    #         client.settimeout(1.0) (it raises socket.timeout when the time is up).

    # TODO 2: UDP 는 전달을 보장하지 않습니다. 1초 안에 답이 없으면 같은 메시지를 다시 보내되,
    #         처음 보내기를 포함해 모두 3번까지만 보내세요 (for 반복 + try/except socket.timeout).
    #         UDP does not promise delivery. When no reply comes within 1 s, send the same message
    #         again, 3 sends in all, the first one included (a for loop + try/except socket.timeout).
    client.sendto(message.encode("utf-8"), server)
    data, sender = client.recvfrom(65535)

    # TODO 3: IPv6 주소는 대괄호로 감싸세요: [::1]:6789  (IPv6 addresses go in brackets.)
    print(f"[UDP] reply from {sender[0]}:{sender[1]}: {data.decode('utf-8', errors='replace')}")
    client.close()
    # TODO 4: 3번 모두 답이 없으면 "[UDP] no reply after 3 tries" 를 출력하고 종료 코드 1
    #         (return 1). traceback 이 나오면 안 됩니다.
    #         After 3 sends without a reply, print "[UDP] no reply after 3 tries" and exit 1
    #         (return 1), without a traceback.
    return 0

if __name__ == "__main__":
    sys.exit(main())
