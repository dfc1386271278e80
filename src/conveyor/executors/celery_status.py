"""What the Celery side looks like now, for ``/metrics`` and messages: the live workers
with their labels, and how many jobs wait in each label queue (Redis brokers)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from conveyor.executors.celery_config import CelerySettings


def live_workers(client: Any, settings: CelerySettings) -> dict[str, dict[str, Any]]:
    """Live workers by name: their labels, concurrency and pid."""
    keys = list(client.scan_iter(match=settings.workers_pattern(), count=500))
    values = client.mget(keys) if keys else []
    skip = len(settings.worker_key(""))
    found: dict[str, dict[str, Any]] = {}
    for key, value in zip(keys, values, strict=True):
        if value is not None:
            found[key.decode()[skip:]] = json.loads(value)
    return found


def queue_depths(client: Any, settings: CelerySettings) -> dict[str, int]:
    """Jobs waiting per label queue (``linux+x64``: 3); only for a Redis broker, where a
    queue is a list named after it."""
    depths: dict[str, int] = {}
    start = settings.queue(())
    for key in client.scan_iter(match=start + "*", count=500):
        if client.type(key) == b"list":
            depths[key.decode()[len(start) :]] = int(client.llen(key))
    return depths


def worker_counter(settings: CelerySettings) -> Callable[[], float]:
    """How many workers are alive, asked at each call (a ``/metrics`` scrape): NaN while
    Redis cannot be reached."""
    import redis

    client = redis.Redis.from_url(settings.redis_url, socket_timeout=2)

    def count() -> float:
        try:
            return float(len(live_workers(client, settings)))
        except redis.RedisError:
            return float("nan")

    return count
