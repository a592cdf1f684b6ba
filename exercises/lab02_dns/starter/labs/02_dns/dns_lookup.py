"""Lab 02 - DNS 조회 (starter): 도메인 이름 하나가 가리키는 IP 주소를 모두 출력합니다.

실행:  python labs/02_dns/dns_lookup.py localhost

목표 출력 / expected output:
    [DNS] domain=localhost
    -> 127.0.0.1
    -> ::1

이 파일은 실행은 되지만 채점을 통과하지 못합니다. TODO를 하나씩 채우세요.
This file runs but does not pass the grader yet: work through the TODOs.
"""

import socket
import sys


def main():
    # 한글 도메인도 Windows 콘솔(cp949)에서 깨지지 않도록 UTF-8로, 줄마다 바로 출력합니다.
    # Print UTF-8, one line at a time (the grader reads the output through a pipe).
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    # TODO(1): 인자가 없으면 stderr에 "usage: python dns_lookup.py NAME"을 출력하고 종료 코드 2로 끝내세요.
    #          지금은 인자 없이 실행하면 IndexError traceback이 납니다.
    # TODO(1): with no argument, print "usage: python dns_lookup.py NAME" on stderr and exit 2.
    #          Right now it crashes with an IndexError traceback.
    name = sys.argv[1]
    print(f"[DNS] domain={name}")

    # TODO(2): gethostbyname은 IPv4 주소를 "하나만" 돌려줍니다. 이름 하나에 주소가 여러 개일 수
    #          있으므로(로드 밸런싱, 장애 대비, IPv4 + IPv6) socket.getaddrinfo(name, None)을 쓰세요.
    #          각 결과는 (family, type, proto, canonname, sockaddr)이고 주소는 sockaddr[0]입니다.
    # TODO(2): gethostbyname returns ONE IPv4 address. A name can have several (load balancing,
    #          failover, IPv4 + IPv6): use socket.getaddrinfo(name, None); the address is sockaddr[0].
    #
    # TODO(3): getaddrinfo는 같은 주소를 소켓 종류(TCP/UDP/RAW)마다 한 번씩 돌려줍니다.
    #          리졸버가 준 순서를 지키면서 중복을 빼세요. IPv6 주소의 "%eth0" 같은 scope도 떼세요.
    # TODO(3): getaddrinfo returns each address once per socket type: drop the duplicates while
    #          keeping the resolver's order. Strip an IPv6 scope such as "%eth0".
    #
    # TODO(4): 없는 이름이면 socket.gaierror가 납니다. traceback 대신
    #          "[DNS] error: could not resolve NAME (이유)"를 stdout에 출력하고 종료 코드 1로 끝내세요.
    # TODO(4): a name that does not resolve raises socket.gaierror: print
    #          "[DNS] error: could not resolve NAME (<reason>)" on stdout and exit 1, no traceback.
    ip = socket.gethostbyname(name)
    print(f"-> {ip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
