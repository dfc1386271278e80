"""What the router saw per version: one record per request (when it ended, how long it
took, its status), kept in a bounded ring, and its summary per interval.

An error is a 5xx answer or none at all (status 0: the version did not answer, or the
answer was cut short). The router records; the control listener's ``GET /metrics``
summarises a time window into buckets (:func:`buckets`), which canary analysis reads
(:mod:`conveyor.delivery.analysis`).
"""

from __future__ import annotations

from collections import deque
from typing import Any

# requests remembered per version: ~30 MB at most; 13 minutes at 250 requests/s (a
# longer cumulative analysis window sees the newest requests only)
KEEP = 200_000


class Traffic:
    """The requests of one version, newest last: (end wall-clock, seconds, status)."""

    __slots__ = ("records",)

    def __init__(self) -> None:
        self.records: deque[tuple[float, float, int]] = deque(maxlen=KEEP)

    def add(self, ended: float, seconds: float, status: int) -> None:
        self.records.append((ended, seconds, status))


def buckets(traffic: Traffic | None, start: float, end: float, count: int) -> list[dict[str, Any]]:
    """The requests that ended in [start, end), in ``count`` equal buckets: per bucket its
    ``start``, ``requests``, ``errors``, ``latencies`` (milliseconds, each request's), and
    for people reading it: ``error_rate`` and the ``p50``/``p95``/``p99`` latencies."""
    count = max(1, count)
    width = (end - start) / count if end > start else 1.0
    out: list[dict[str, Any]] = [
        {"start": start + i * width, "requests": 0, "errors": 0, "latencies": []}
        for i in range(count)
    ]
    if traffic is None:
        return out
    for ended, seconds, status in reversed(traffic.records):
        if ended >= end:
            continue
        if ended < start:
            break
        bucket = out[min(count - 1, int((ended - start) / width))]
        bucket["requests"] += 1
        if status == 0 or status >= 500:
            bucket["errors"] += 1
        bucket["latencies"].append(round(seconds * 1000, 3))
    for bucket in out:
        requests, latencies = bucket["requests"], sorted(bucket["latencies"])
        bucket["error_rate"] = bucket["errors"] / requests if requests else None
        for q in (50, 95, 99):
            bucket[f"p{q}"] = (
                latencies[min(len(latencies) - 1, q * len(latencies) // 100)] if latencies else None
            )
    return out
