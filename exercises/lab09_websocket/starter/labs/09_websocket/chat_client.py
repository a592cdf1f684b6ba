"""Lab 09 - WebSocket 채팅 클라이언트 (starter): 입력한 줄을 보내고, 온 메시지는 "< 메시지" 로 출력.

실행:  python labs/09_websocket/chat_client.py ws://127.0.0.1:8765     (먼저: pip install websockets)

지금은 한 줄을 입력해야 메시지를 하나 받습니다. 다른 사람이 보낸 메시지는 내가 다음 줄을
입력할 때까지 보이지 않습니다. TODO 를 고치세요.
Right now it receives one message per line typed: other people's messages show only once the
next line is typed. Fix the TODOs.
"""

import asyncio
import sys

from websockets.asyncio.client import connect


async def main(url):
    async with connect(url) as websocket:
        while True:
            # TODO 2: 입력이 끝나면(EOF) input() 이 EOFError 를 냅니다. traceback 대신 반복을
            #         끝내고 종료 코드 0 으로 끝나세요.
            #         At the end of input, input() raises EOFError. End the loop and exit 0
            #         instead of a traceback.
            line = input()
            await websocket.send(line)
            # TODO 1: 입력을 기다리는 동안에는 아무것도 받지 못합니다. 받기를 따로 돌리세요:
            #         asyncio.create_task 로 "async for message in websocket: print(...)" 작업을
            #         만들고, 입력은 스레드에서 읽습니다 (threading, daemon=True).
            #         Nothing is received while input() waits. Receive on the side: a task
            #         (asyncio.create_task) running "async for message in websocket: print(...)",
            #         and input read on a thread (threading, daemon=True).
            message = await websocket.recv()
            print(f"< {message}", flush=True)


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")
    if len(sys.argv) != 2:
        print("usage: python chat_client.py URL", file=sys.stderr)
        sys.exit(2)
    asyncio.run(main(sys.argv[1]))
