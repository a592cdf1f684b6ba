"""Lab 09 - WebSocket 채팅 서버: 한 사람이 보낸 메시지를 방 안의 모두에게 (보낸 사람 포함).

실행:  python labs/09_websocket/chat_server.py
      (PORT 환경 변수가 있으면 그 포트를, 없으면 8765번을 사용합니다.)
접속:  python labs/09_websocket/chat_client.py ws://127.0.0.1:8765

Reference solution with the websockets library (pip install websockets). One coroutine per
connection; every text message is passed on, unchanged, to every connected client, the sender
included, and a client that leaves (politely or not) is taken out of the room.
"""

import asyncio
import os
import sys

from websockets.asyncio.server import broadcast, serve

HOST = "0.0.0.0"  # 이 컴퓨터의 모든 IPv4 주소에서 연결을 받습니다.
PORT = int(os.environ.get("PORT", "8765"))

# 지금 방에 있는 연결들. asyncio 는 스레드 하나에서 돌기 때문에 잠금(lock) 없이 써도 됩니다.
CLIENTS = set()


def log(text):
    print(text, flush=True)


async def handler(websocket):
    """연결 하나를 처리합니다. websockets 가 연결마다 이 코루틴을 하나씩 실행해 줍니다."""
    peer = f"{websocket.remote_address[0]}:{websocket.remote_address[1]}"
    CLIENTS.add(websocket)
    log(f"[{peer}] 입장 (현재 {len(CLIENTS)}명)")
    try:
        # async for: 메시지가 올 때마다 한 번씩 돕니다. HTTP 처럼 "요청 하나에 응답 하나"가
        # 아니라, 연결이 열려 있는 동안 양쪽이 아무 때나 메시지를 보낼 수 있습니다.
        # 상대가 정상적으로 닫으면(close 프레임) 반복이 조용히 끝나고, 갑자기 끊기면(reset)
        # ConnectionClosedError 가 납니다.
        async for message in websocket:
            if not isinstance(message, str):
                continue  # 이 채팅방은 텍스트만 주고받습니다.
            # broadcast: 방의 모든 연결에 "보낸 사람 포함" 그대로 보냅니다. 연결마다 await 하며
            # 기다리지 않으므로 느린 클라이언트 하나가 방 전체를 붙잡지 않고, 이미 끊긴 연결은
            # 건너뜁니다. 받은 순서대로 바로 보내므로 보낸 사람별 순서도 그대로 지켜집니다.
            broadcast(CLIENTS, message)
            log(f"[{peer}] {message[:60]}")
    except Exception as e:  # 갑자기 끊긴 연결 등: 이 연결만의 문제입니다.
        log(f"[{peer}] 연결 오류: {e!r}")
    finally:
        # finally: 어떻게 끝나든(정상 종료, reset, 예외) 반드시 방에서 뺍니다. 빼지 않으면
        # 끊긴 연결이 방에 남아, 다음 메시지를 보낼 때마다 그 연결에서 오류가 납니다.
        CLIENTS.discard(websocket)
        log(f"[{peer}] 퇴장 (현재 {len(CLIENTS)}명)")


async def main():
    sys.stdout.reconfigure(encoding="utf-8")  # 한글 로그가 Windows 콘솔에서 깨지지 않도록
    async with serve(handler, HOST, PORT) as server:
        log(f"[WS] 채팅 서버 시작: ws://127.0.0.1:{PORT}")
        await server.serve_forever()  # Ctrl+C 까지 계속 연결을 받습니다.


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        pass  # Ctrl+C: traceback 없이 끝냅니다.
