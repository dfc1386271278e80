"""The Celery application both sides use: one task, JSON only, no result backend.

Results do not go through Celery: a job's events and outcome stream through Redis
(:mod:`conveyor.executors.celery_task`). Messages are acknowledged when a worker takes
them (``acks_late`` off) and each pool process reserves one at a time, so a job is never
run twice by the broker behind the dispatcher's back: when a worker dies, the dispatcher
sees its lease run out and fails or re-queues the job itself (``CONVEYOR_WORKER_LOST``).
"""

from __future__ import annotations

from typing import Any

from conveyor.executors.celery_config import TASK_NAME, CelerySettings


def make_app(settings: CelerySettings) -> Any:
    from celery import Celery

    app = Celery("conveyor", broker=settings.broker_url, set_as_current=False)
    app.conf.update(
        task_serializer="json",
        accept_content=["json"],
        task_ignore_result=True,
        task_acks_late=False,
        worker_prefetch_multiplier=1,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
        task_default_queue=f"{settings.prefix}.default",
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        worker_enable_remote_control=False,
        worker_disable_rate_limits=True,
    )

    @app.task(name=TASK_NAME)  # type: ignore[untyped-decorator]
    def run_job(envelope: dict[str, Any]) -> None:
        from conveyor.executors import celery_task

        context = celery_task.CONTEXT
        if context is None:  # pragma: no cover - only conveyor worker runs tasks
            raise RuntimeError("conveyor.run_job runs in `conveyor worker` only")
        celery_task.run_envelope(envelope, context)

    return app
