"""The server's Prometheus metrics (``GET /metrics``), one registry per application.

Queue depth (jobs waiting for a slot), running jobs, job durations, runs started,
webhook deliveries by outcome and rejections by reason, workers (the executor's own
count: threads of the local executor; Celery workers when that executor reports them).
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_DURATIONS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.queue_depth = Gauge(
            "conveyor_queue_depth", "Jobs waiting for an execution slot.", registry=r
        )
        self.running_jobs = Gauge("conveyor_running_jobs", "Jobs executing now.", registry=r)
        self.active_runs = Gauge("conveyor_active_runs", "Runs in progress here.", registry=r)
        self.job_seconds = Histogram(
            "conveyor_job_duration_seconds",
            "How long jobs took, by result.",
            ["result"],
            buckets=_DURATIONS,
            registry=r,
        )
        self.runs_started = Counter(
            "conveyor_runs_started", "Runs started, by cause.", ["cause"], registry=r
        )
        self.webhooks = Counter(
            "conveyor_webhook_deliveries",
            "Webhook deliveries taken, by event and outcome.",
            ["event", "outcome"],
            registry=r,
        )
        self.webhook_rejections = Counter(
            "conveyor_webhook_rejections",
            "Webhook requests refused before anything was recorded, by reason.",
            ["reason"],
            registry=r,
        )
        self.webhook_backlog = Gauge(
            "conveyor_webhook_backlog", "Recorded deliveries not turned into runs yet.", registry=r
        )
        self.workers = Gauge("conveyor_workers", "Workers that can take jobs.", registry=r)

    def count_workers(self, count: Callable[[], float]) -> None:
        """Report ``count()`` as the worker count at every scrape."""
        self.workers.set_function(count)

    def render(self) -> bytes:
        return generate_latest(self.registry)
