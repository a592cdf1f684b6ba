"""Lab 04 - UDP 에코 서버: 받은 데이터그램을 바이트 그대로, 보낸 쪽에게 돌려줍니다.

실행:  python labs/04_udp_echo/udp_server.py
      (PORT 환경 변수가 있으면 그 포트를, 없으면 6789번을 사용합니다.)

Reference solution, standard library only. A UDP echo server: every datagram is sent back,
byte for byte, to the address and port it came from, for as long as the server runs.
"""

import os
import socket
import sys
from datetime import datetime

# 0.0.0.0: 이 컴퓨터의 모든 IPv4 주소에서 받습니다. 'localhost'(127.0.0.1)에만 bind 하면
# 같은 컴퓨터 안에서 온 데이터그램만 받을 수 있습니다.
HOST = "0.0.0.0"

# 포트는 환경 변수에서 읽고, 없을 때만 실습 문서의 6789번을 씁니다.
# 채점기는 매번 비어 있는 포트를 골라 PORT 로 넘겨 줍니다.
PORT = int(os.environ.get("PORT", "6789"))

# 데이터그램 하나를 받을 버퍼 크기입니다. UDP 는 데이터그램 "단위"로 오가므로,
# 버퍼보다 긴 데이터그램은 나머지가 잘려 버려집니다 (다음 recvfrom 으로 이어 받을 수 없습니다).
# 이 실습은 4096 바이트까지 온전히 돌려주기로 약속했습니다.
MAX_SIZE = 4096


def main():
    # 한글 로그가 Windows 콘솔(cp949)에서 깨지지 않도록 UTF-8 로, 줄마다 바로 내보냅니다.
    sys.stdout.reconfigure(encoding="utf-8", line_buffering=True)

    # SOCK_DGRAM: UDP. 연결(connect/accept)이 없으므로 listen() 도 accept() 도 없습니다.
    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind((HOST, PORT))
    # bind 가 끝난 "뒤에" 출력합니다. 이 줄을 보고 보낸 데이터그램은 반드시 받습니다.
    print(f"[UDP] {datetime.now():%H:%M:%S} 서버 시작: {HOST}:{PORT} 에서 수신 대기 중")

    try:
        # 서버는 데이터그램 하나로 끝나지 않습니다. 실습 문서의 예제는 한 번 답하고
        # close() 했지만, 서버는 다음 클라이언트를 위해 계속 기다려야 합니다.
        while True:
            try:
                # recvfrom 은 (데이터, 보낸 쪽 주소) 를 돌려줍니다. UDP 에는 연결이 없으므로
                # "누구에게 답할지"는 데이터그램마다 이 주소를 보고 정해야 합니다.
                data, client = server.recvfrom(MAX_SIZE)

                # 로그에서만 글자로 바꿔 봅니다. errors="replace": UTF-8 이 아닌 바이트는 �로
                # 보여 줄 뿐 예외를 내지 않습니다 (strict 로 decode 하면 그 자리에서 서버가 죽습니다).
                # 참고: b"" (빈 데이터그램)도 정상적인 데이터그램입니다. TCP 와 달리 UDP 에서
                # 빈 데이터는 "연결이 끝났다"는 뜻이 아닙니다.
                text = data.decode("utf-8", errors="replace")
                preview = text if len(text) <= 60 else text[:60] + "..."
                print(f"[UDP] {datetime.now():%H:%M:%S} {client[0]}:{client[1]} {len(data)} bytes: {preview!r}")

                # 받은 바이트를 "그대로" 돌려줍니다. 문자열로 바꿨다가 다시 인코딩하지 않으므로
                # UTF-8 이 아닌 바이트가 와도 문제없고, 한글도 한 바이트도 달라지지 않습니다.
                # 답장은 보낸 쪽의 (IP, 포트)로 보냅니다. 클라이언트마다 운영체제가 임시 포트를
                # 골라 주므로, 고정된 주소로 보내면 엉뚱한 곳에 도착합니다.
                server.sendto(data, client)
            except OSError as e:
                # 데이터그램 하나에서 난 오류로 서버 전체가 멈추면 안 됩니다. Windows 에서는
                # 이런 오류가 실제로 납니다: 예전에 보낸 답장이 이미 닫힌 포트에 닿으면 다음
                # recvfrom 이 ConnectionResetError(10054)를 내고, 버퍼보다 큰 데이터그램은
                # 잘리는 대신 OSError(10040)가 됩니다. 기록만 하고 다음 데이터그램을 기다립니다.
                print(f"[UDP] 오류, 계속 수신 대기: {e}", file=sys.stderr)
    except KeyboardInterrupt:
        pass  # Ctrl+C: traceback 없이 조용히 끝냅니다.
    finally:
        server.close()


if __name__ == "__main__":
    main()
