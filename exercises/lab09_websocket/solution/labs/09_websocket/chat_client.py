"""Lab 09 - WebSocket 채팅 클라이언트: 입력한 줄을 보내고, 온 메시지는 "< 메시지" 로 바로 출력.

실행:  python labs/09_websocket/chat_client.py ws://127.0.0.1:8765

입력한 줄마다 메시지 하나를 보냅니다. 서버가 보낸 메시지(내 것, 다른 사람 것)는 입력을
기다리는 중에도 바로 출력합니다. 입력이 끝나면(Ctrl+D, Windows 는 Ctrl+Z 후 Enter) 또는
서버가 연결을 닫으면 종료합니다.

Reference solution with the websockets library (pip install websockets). Receiving and reading
input run side by side: input is read on a thread (input() blocks), messages are received in
an asyncio task, so a message that arrives while the user is typing is printed at once.
"""

import asyncio
import sys
import threading

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed


def read_lines(loop, queue):
    """스레드에서 표준 입력을 한 줄씩 읽어 asyncio 쪽 queue 에 넣습니다.

    input()/readline() 은 줄이 들어올 때까지 "멈춰" 기다립니다. 이벤트 루프 안에서 부르면
    그동안 메시지를 하나도 받지 못하므로, 따로 스레드에서 읽습니다.
    """
    for line in sys.stdin:
        # 다른 스레드에서 asyncio 의 queue 를 만질 때는 call_soon_threadsafe 를 씁니다.
        loop.call_soon_threadsafe(queue.put_nowait, line.rstrip("\r\n"))
    loop.call_soon_threadsafe(queue.put_nowait, None)  # None: 입력 끝(EOF)


async def receive(websocket):
    """서버가 보내는 메시지를 오는 대로 출력합니다. 서버가 닫으면 반복이 끝납니다."""
    async for message in websocket:
        print(f"< {message}", flush=True)


async def send_input(websocket, queue):
    """입력한 줄을 하나씩 메시지로 보냅니다. 입력이 끝나면 돌아옵니다."""
    while (line := await queue.get()) is not None:
        await websocket.send(line)  # str 을 보내면 텍스트 메시지. 줄바꿈은 이미 뗐습니다.


async def main(url):
    try:
        websocket = await asyncio.wait_for(connect(url), timeout=5)
    except (OSError, asyncio.TimeoutError) as e:
        print(f"[WS] error: could not connect to {url} ({e})")
        return 1

    queue = asyncio.Queue()
    # daemon=True: 서버가 먼저 닫았을 때, 입력을 기다리며 멈춰 있는 이 스레드가 프로그램
    # 종료를 막지 않도록. (loop.run_in_executor 의 스레드는 daemon 이 아니라서 막습니다.)
    threading.Thread(target=read_lines, args=(asyncio.get_running_loop(), queue), daemon=True).start()

    async with websocket:
        receiving = asyncio.create_task(receive(websocket))
        sending = asyncio.create_task(send_input(websocket, queue))
        # 둘 중 먼저 끝나는 쪽이 끝입니다: 입력이 끝났거나(sending), 서버가 닫았거나(receiving).
        done, pending = await asyncio.wait({receiving, sending}, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()
        for task in done:
            try:
                task.result()
            except ConnectionClosed:
                pass  # 서버가 갑자기 끊은 경우도 조용히 끝냅니다.
        if receiving in done:
            print("[WS] 서버가 연결을 닫았습니다")
    # async with 를 나오면서 close 프레임을 보내고 연결을 닫습니다.
    return 0


if __name__ == "__main__":
    sys.stdout.reconfigure(encoding="utf-8")
    if len(sys.argv) != 2:
        print("usage: python chat_client.py URL", file=sys.stderr)
        sys.exit(2)
    try:
        sys.exit(asyncio.run(main(sys.argv[1])))
    except KeyboardInterrupt:
        sys.exit(0)
