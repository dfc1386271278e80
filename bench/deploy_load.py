"""The deploy benchmark's load generator, a process of its own (bench/bench_deploy.py).

``python bench/deploy_load.py RATE OUT URL...``: every 1/RATE seconds it starts one
``GET /version`` against each URL (open loop: a slow answer does not slow the pace),
over kept-alive connections (aiohttp's client), until SIGTERM; then it writes one JSON
list per request to OUT: ``[url index, wall-clock start, seconds, status, body]``
(status 0: the request failed without an answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time

from aiohttp import ClientSession, ClientTimeout, TCPConnector

Result = tuple[int, float, float, int, str]


async def _one(session: ClientSession, index: int, url: str, results: list[Result]) -> None:
    started = time.time()
    clock = time.perf_counter()
    try:
        async with session.get(url) as answer:
            body = await answer.text()
            status = answer.status
    except Exception as exc:
        body, status = f"{type(exc).__name__}: {exc}", 0
    results.append((index, started, time.perf_counter() - clock, status, body))


async def run(rate: float, urls: list[str]) -> list[Result]:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    results: list[Result] = []
    pending: set[asyncio.Task[None]] = set()
    sessions = [
        ClientSession(connector=TCPConnector(limit=0), timeout=ClientTimeout(total=30))
        for _ in urls
    ]
    print("ready", flush=True)
    interval = 1.0 / rate
    due = loop.time()
    while not stop.is_set():
        for index, (session, url) in enumerate(zip(sessions, urls, strict=True)):
            task = loop.create_task(_one(session, index, f"{url}/version", results))
            pending.add(task)
            task.add_done_callback(pending.discard)
        due += interval
        delay = due - loop.time()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), delay)
    if pending:
        await asyncio.wait(pending, timeout=30)
    for session in sessions:
        await session.close()
    return results


def main(argv: list[str]) -> int:
    rate, out, urls = float(argv[0]), argv[1], argv[2:]
    results = asyncio.run(run(rate, urls))
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(results, handle)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
