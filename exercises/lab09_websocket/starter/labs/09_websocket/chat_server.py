"""Lab 09 - WebSocket 채팅 서버 (starter): 한 사람이 보낸 메시지를 방 안의 모두에게 (보낸 사람 포함).

실행:  python labs/09_websocket/chat_server.py        (먼저: pip install websockets)
접속:  python labs/09_websocket/chat_client.py ws://127.0.0.1:8765

지금은 받은 메시지를 보낸 사람에게만 돌려주는 에코 서버입니다. TODO 를 고치세요.
Right now this is an echo server: each message goes back to its sender only. Fix the TODOs.
"""

import asyncio
import os  # noqa: F401  (TODO 1 에서 사용 / used in TODO 1)
import sys

from websockets.asyncio.server import serve

# TODO 1: 포트를 PORT 환경 변수에서 읽으세요. 값이 없으면 8765 를 씁니다.
#         Read the port from the PORT environment variable; fall back to 8765.
PORT = 8765
HOST = "0.0.0.0"

CLIENTS = set()  # 지금 방에 있는 연결들 / the connections in the room now


async def handler(websocket):
    CLIENTS.add(websocket)
    # TODO 3: 클라이언트가 close 없이 끊기면 async for 가 ConnectionClosedError 를 내고, 아래의
    #         CLIENTS.remove 는 실행되지 않습니다. try/finally 로 감싸 finally 에서 빼세요.
    #         A client that vanishes without a close makes async for raise ConnectionClosedError,
    #         and the CLIENTS.remove below never runs. Wrap it in try/finally.
    async for message in websocket:
        # TODO 2: 보낸 사람에게만 돌려주면 채팅방이 아닙니다. CLIENTS 의 모든 연결에
        #         (보낸 사람 포함) 그대로 보내세요: websockets.asyncio.server 의 broadcast.
        #         Sending back to the sender only is no chat room. Send the message, as it is,
        #         to every connection in CLIENTS (the sender too): broadcast from
        #         websockets.asyncio.server.
        await websocket.send(message)
    CLIENTS.remove(websocket)


async def main():
    sys.stdout.reconfigure(encoding="utf-8")
    async with serve(handler, HOST, PORT) as server:
        print(f"[WS] 채팅 서버 시작: ws://127.0.0.1:{PORT}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
