"""Settings shared by the Celery executor (the dispatching side) and ``conveyor worker``.

Both sides read the same environment, so a worker and the processes dispatching to it
agree on the broker, the Redis that carries events, and the key prefix:

* ``CONVEYOR_BROKER_URL`` -- Celery's broker (default ``redis://127.0.0.1:6379/0``;
  ``amqp://`` for RabbitMQ);
* ``CONVEYOR_REDIS_URL`` -- where job events, leases and control messages go (default: the
  broker when it is Redis, else ``redis://127.0.0.1:6379/0``);
* ``CONVEYOR_CELERY_PREFIX`` -- the prefix of every key and queue (default ``conveyor``),
  so two installations (or two test sessions) can share one Redis;
* ``CONVEYOR_WORKER_LOST`` -- ``fail`` (default) or ``requeue``: what happens to a job
  whose worker stopped heart-beating;
* ``CONVEYOR_WORKER_WAIT`` -- seconds a job waits for a worker with its labels before it
  fails (default ``0``: wait until cancelled);
* ``CONVEYOR_SECRETS_HOST`` -- the address the dispatching process serves secrets on
  (default ``127.0.0.1``; a worker on another machine needs one it can reach).

Routing: a job goes to the queue named after its sorted, lower-cased ``runs-on`` labels;
a worker consumes the queue of every non-empty subset of its labels, so a job reaches
exactly the workers that have all its labels (see docs/architecture.md).
"""

from __future__ import annotations

import itertools
import os
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from conveyor.errors import UsageError

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
TASK_NAME = "conveyor.run_job"
LEASE_SECONDS = 10.0
HEARTBEAT_SECONDS = 2.0
MAX_LABELS = 8
POLICIES = ("fail", "requeue")


def require_celery(what: str) -> None:
    """Celery and redis-py come with the ``celery`` extra; say so when they are missing."""
    import importlib.util

    missing = [m for m in ("celery", "redis") if importlib.util.find_spec(m) is None]
    if missing:
        raise UsageError(f"{what} needs {' and '.join(missing)}: pip install 'conveyor[celery]'")


def machine_label() -> str:
    machine = platform.machine().lower()
    return {"x86_64": "x64", "amd64": "x64", "aarch64": "arm64"}.get(machine, machine)


DEFAULT_LABELS = ("self-hosted", "linux", machine_label(), "ubuntu-latest")


def normalise(labels: Iterable[str]) -> tuple[str, ...]:
    """Labels as routing compares them: lower-cased, stripped, sorted, each once."""
    return tuple(sorted({label.strip().lower() for label in labels if label.strip()}))


@dataclass(frozen=True, slots=True)
class CelerySettings:
    broker_url: str = DEFAULT_BROKER
    redis_url: str = DEFAULT_BROKER
    prefix: str = "conveyor"
    lost_policy: str = "fail"
    wait_seconds: float = 0.0
    secrets_host: str = "127.0.0.1"
    lease_seconds: float = LEASE_SECONDS

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, *, broker: str | None = None
    ) -> CelerySettings:
        env = os.environ if environ is None else environ
        broker_url = broker or env.get("CONVEYOR_BROKER_URL") or DEFAULT_BROKER
        if not broker_url.startswith(("redis://", "rediss://", "amqp://", "amqps://")):
            raise UsageError(
                f"broker {broker_url!r}: expected a redis:// or amqp:// URL "
                "(--broker or CONVEYOR_BROKER_URL)"
            )
        default_redis = broker_url if broker_url.startswith("redis") else DEFAULT_BROKER
        policy = env.get("CONVEYOR_WORKER_LOST", "fail").strip().lower() or "fail"
        if policy not in POLICIES:
            raise UsageError(f"CONVEYOR_WORKER_LOST={policy}: expected fail or requeue")
        wait = env.get("CONVEYOR_WORKER_WAIT", "0").strip() or "0"
        try:
            wait_seconds = float(wait)
        except ValueError:
            raise UsageError(f"CONVEYOR_WORKER_WAIT={wait}: expected seconds") from None
        return cls(
            broker_url=broker_url,
            redis_url=env.get("CONVEYOR_REDIS_URL") or default_redis,
            prefix=env.get("CONVEYOR_CELERY_PREFIX") or "conveyor",
            lost_policy=policy,
            wait_seconds=wait_seconds,
            secrets_host=env.get("CONVEYOR_SECRETS_HOST") or "127.0.0.1",
        )

    # ------------------------------------------------------------ names in Redis

    def queue(self, labels: Iterable[str]) -> str:
        """The queue of jobs needing exactly these labels."""
        return f"{self.prefix}.jobs.{'+'.join(normalise(labels))}"

    def worker_queues(self, labels: Iterable[str]) -> list[str]:
        """Every queue a worker with ``labels`` serves: one per non-empty subset."""
        own = normalise(labels)
        if not own:
            raise UsageError("a worker needs at least one label (--labels linux,x64)")
        if len(own) > MAX_LABELS:
            raise UsageError(
                f"--labels: at most {MAX_LABELS} labels (a worker serves a queue per subset)"
            )
        subsets = (c for n in range(1, len(own) + 1) for c in itertools.combinations(own, n))
        return [self.queue(subset) for subset in subsets]

    def worker_key(self, name: str) -> str:
        return f"{self.prefix}:worker:{name}"

    def workers_pattern(self) -> str:
        return f"{self.prefix}:worker:*"

    def events_key(self, channel: str) -> str:
        return f"{self.prefix}:job:{channel}:events"

    def control_key(self, channel: str) -> str:
        return f"{self.prefix}:job:{channel}:control"

    def lease_key(self, channel: str) -> str:
        """Renewed by the worker running the job."""
        return f"{self.prefix}:job:{channel}:lease"

    def dispatcher_key(self, channel: str) -> str:
        """Renewed by the process waiting for the job's outcome."""
        return f"{self.prefix}:job:{channel}:dispatcher"
