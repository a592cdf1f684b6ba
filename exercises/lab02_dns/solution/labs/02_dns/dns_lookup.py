"""Lab 02 - DNS 조회: 도메인 이름 하나가 가리키는 IP 주소를 모두 출력합니다.

실행:  python labs/02_dns/dns_lookup.py localhost

출력 형식 (채점기가 읽는 줄):
    [DNS] domain=localhost
    -> 127.0.0.1
    -> ::1

Reference solution. Standard library only.
"""

import socket
import sys


def lookup(name):
    """name 을 IP 주소 목록으로 바꿉니다. 리졸버가 준 순서는 지키고, 중복은 뺍니다."""
    # 왜 gethostbyname 이 아니라 getaddrinfo 인가?
    # gethostbyname 은 IPv4 주소를 "하나만" 돌려줍니다. 하지만 이름 하나는 주소를 여러 개
    # 가질 수 있습니다: 같은 서비스를 여러 서버가 나눠 맡거나(로드 밸런싱), 한 대가 죽어도
    # 다른 서버로 접속할 수 있게 하거나(장애 대비), IPv4 와 IPv6 를 함께 쓰기 때문입니다.
    # 그래서 DNS 서버는 주소 목록을 주고, 그 순서를 매번 돌려 가며(라운드 로빈) 주기도 합니다.
    # 같은 이름을 두 번 조회했을 때 결과가 다른 것은 버그가 아니라 이 때문입니다.
    # getaddrinfo 는 그 목록 전체를, IPv4 와 IPv6 모두 돌려줍니다.
    infos = socket.getaddrinfo(name, None)

    # getaddrinfo 의 결과는 "주소 목록"이 아니라 "접속 후보 목록"입니다.
    # 후보 하나 = (family, type, proto, canonname, sockaddr).
    # 소켓 종류(type)를 지정하지 않았으므로 리졸버는 주소 하나마다 SOCK_STREAM(TCP),
    # SOCK_DGRAM(UDP), SOCK_RAW 후보를 따로 만들어 줍니다. 그래서 그대로 출력하면
    # "-> 127.0.0.1" 이 세 번 나옵니다. 주소는 같고 소켓 종류만 다른 것이므로
    # 주소는 한 번씩만 출력해야 합니다. (채점기가 잡는 바로 그 버그입니다.)
    addresses = []
    seen = set()  # 이미 출력할 목록에 넣은 주소 (빠른 "있나?" 검사용)
    for _family, _type, _proto, _canonname, sockaddr in infos:
        # sockaddr 의 첫 칸이 주소 문자열입니다: IPv4 는 (ip, port),
        # IPv6 는 (ip, port, flowinfo, scope_id).
        ip = sockaddr[0]
        # 링크-로컬 IPv6 주소(fe80::...)에는 "%eth0" 같은 scope 가 붙어 올 수 있습니다.
        # "어느 네트워크 카드로 나갈지"라는 정보일 뿐 주소의 일부가 아니므로 떼어 냅니다.
        ip = ip.split("%", 1)[0]
        # set만 쓰면 순서가 섞이고, list만 쓰면 중복 검사가 느립니다.
        # 둘을 함께 써서 "처음 나온 순서"를 지키며 중복을 뺍니다. 채점기는 순서를 보지 않으므로
        # sorted()로 정렬해도 되지만, 여기서는 리졸버가 준 순서를 그대로 보여 줍니다.
        if ip not in seen:
            seen.add(ip)
            addresses.append(ip)
    return addresses


def main():
    # Windows 콘솔 기본 인코딩(cp949)과 상관없이 UTF-8 로 출력하고, 줄마다 바로 내보냅니다.
    # 채점기는 파이프로 출력을 읽습니다. 파이프로 나가는 출력은 보통 버퍼에 모였다가
    # 나중에 한꺼번에 나가서, 그 사이에는 "아무 출력도 없는" 것처럼 보일 수 있습니다.
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    if len(sys.argv) != 2:
        # 사용법은 stderr로 보냅니다. stdout은 "결과"만 담는 통로로 남겨 둡니다.
        # 종료 코드 2는 관례상 "명령을 잘못 썼다"는 뜻입니다 (argparse도 2를 씁니다).
        print("usage: python dns_lookup.py NAME", file=sys.stderr)
        return 2

    name = sys.argv[1]
    print(f"[DNS] domain={name}")
    try:
        addresses = lookup(name)
    except (socket.gaierror, UnicodeError) as e:
        # 없는 이름은 프로그램의 버그가 아니라 흔히 일어나는 "결과"입니다. traceback 대신
        # 사람이 읽을 수 있는 한 줄을 남기고, 0이 아닌 종료 코드로 실패를 알립니다.
        # (다른 프로그램과 채점기는 출력된 글자가 아니라 종료 코드를 보고 성공과 실패를 판단합니다.)
        # UnicodeError: 빈 라벨("a..b")이나 63자가 넘는 라벨처럼 이름 규칙(IDNA)에 어긋나는
        # 이름은 리졸버에 묻기도 전에 파이썬이 거부합니다. 이것도 "조회 실패"입니다.
        reason = getattr(e, "strerror", None) or str(e)
        print(f"[DNS] error: could not resolve {name} ({reason})")
        return 1

    for ip in addresses:
        print(f"-> {ip}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
