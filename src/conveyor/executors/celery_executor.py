"""``--executor celery``: each job goes to a Celery worker that has its ``runs-on`` labels.

The dispatching side of :mod:`conveyor.executors.celery_task`. For each job attempt it
grants a one-time secrets token (:mod:`conveyor.executors.secret_server`), sends the
request to the queue of the job's labels, then reads the job's Redis stream: the worker's
start, every event (already masked; the run's :class:`~conveyor.engine.bus.LocalEventBus`
numbers and records them as for local jobs), and the outcome last. Cancelling writes
``cancel`` (or ``stop``) on the job's control stream; the worker cancels the steps, whose
process groups are killed. A worker that stops renewing the job's lease (it died, or lost
its network) fails the job or, with ``CONVEYOR_WORKER_LOST=requeue``, sends it again.
A job no live worker can take waits, saying so, until one appears (or
``CONVEYOR_WORKER_WAIT`` seconds pass).
"""

from __future__ import annotations

import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kombu.exceptions import KombuError
from redis.exceptions import RedisError

from conveyor.engine.bus import StepLog
from conveyor.engine.events import Event, decode_event
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import JobOutcome, JobRequest, decode_outcome, encode, outcome_of
from conveyor.executors.celery_app import make_app
from conveyor.executors.celery_config import TASK_NAME, CelerySettings, normalise
from conveyor.executors.celery_status import live_workers
from conveyor.executors.celery_task import secret_names, started_fields
from conveyor.executors.process import ExecutorError
from conveyor.executors.secret_server import SecretServer
from conveyor.planner.runson import resolve_runs_on

READ_BLOCK_MS = 500
WORKERS_CACHE_SECONDS = 1.0
WAIT_POLL_SECONDS = 1.0
MAX_ATTEMPTS = 3
TIMINGS_KEPT = 10_000
DEADLINE_GRACE_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class Timing:
    """One job attempt: when it was queued and when a worker started it (0: never)."""

    job_key: str
    queued: float
    started: float
    worker: str


def job_labels(request: JobRequest) -> tuple[str, ...]:
    """The job's ``runs-on`` labels, resolved with its matrix, as routing compares them."""
    return normalise(resolve_runs_on(request.job.runs_on_template, request.contexts).labels)


class CeleryJobExecutor:
    """Sends jobs to Celery workers; ``secrets`` stay in this process and are served to
    the worker running a job that refers to them."""

    def __init__(self, secrets: Mapping[str, str], settings: CelerySettings | None = None):
        import redis

        self.settings = settings or CelerySettings.from_env()
        self._redis: Any = redis.Redis.from_url(self.settings.redis_url)
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise ExecutorError(
                f"--executor celery: cannot reach Redis at {self.settings.redis_url}: {exc}; "
                "start redis-server or set CONVEYOR_REDIS_URL"
            ) from exc
        self._app = make_app(self.settings)
        self._warm_up()
        self._secrets = SecretServer(secrets, self.settings.secrets_host)
        self._workers_lock = threading.Lock()
        self._workers: tuple[float, dict[str, tuple[str, ...]]] = (0.0, {})
        self.timings: deque[Timing] = deque(maxlen=TIMINGS_KEPT)  # the latest attempts

    # ------------------------------------------------------------ workers

    def live_workers(self) -> dict[str, tuple[str, ...]]:
        """Live workers by name with their labels (cached for a second)."""
        with self._workers_lock:
            at, found = self._workers
            if time.monotonic() - at < WORKERS_CACHE_SECONDS:
                return found
            found = {
                name: tuple(record.get("labels", ()))
                for name, record in live_workers(self._redis, self.settings).items()
            }
            self._workers = (time.monotonic(), found)
            return found

    def _able(self, labels: tuple[str, ...]) -> list[str]:
        wanted = set(labels)
        return [name for name, own in self.live_workers().items() if wanted <= set(own)]

    def _wait_for_worker(
        self, labels: tuple[str, ...], log: StepLog, cancel: threading.Event
    ) -> JobOutcome | None:
        """None once a live worker has the labels; an outcome when the job stops waiting."""
        if self._able(labels):
            return None
        shown = ", ".join(labels)
        known = self.live_workers()
        have = "; ".join(f"{n} [{', '.join(ls)}]" for n, ls in sorted(known.items())) or "none"
        limit = self.settings.wait_seconds
        log.line(
            f"waiting for a worker with labels [{shown}]: no live worker has them "
            f"(live workers: {have}); start one with conveyor worker --labels {','.join(labels)}"
            + (f"; the job fails after {limit:g} s" if limit > 0 else "")
        )
        since = time.monotonic()
        while not self._able(labels):
            if cancel.wait(WAIT_POLL_SECONDS):
                return _ended(Conclusion.CANCELLED, "cancelled while waiting for a worker")
            if limit > 0 and time.monotonic() - since > limit:
                note = (
                    f"no worker with labels [{shown}] appeared within {limit:g} s "
                    "(CONVEYOR_WORKER_WAIT); start one with conveyor worker --labels "
                    + ",".join(labels)
                )
                log.error(note)
                return _ended(Conclusion.FAILURE, note)
        log.line(f"a worker with labels [{shown}] is available")
        return None

    # ------------------------------------------------------------ jobs

    def execute(
        self,
        request: JobRequest,
        publish: Callable[[Event], None],
        cancel: threading.Event,
        stop: threading.Event,
    ) -> JobOutcome:
        log = StepLog(publish, request.run.run_id, request.job_key, None)
        labels = job_labels(request)
        for attempt in range(1, MAX_ATTEMPTS + 1):
            waited = self._wait_for_worker(labels, log, cancel)
            if waited is not None:
                return waited
            attempt_ = _Attempt(self, request, publish, (cancel, stop), labels, attempt=attempt)
            try:
                outcome = attempt_.run()
            except (OSError, RedisError, KombuError) as exc:  # Redis or the broker went away
                note = (
                    f"lost the connection to Redis ({self.settings.redis_url}) or the broker "
                    f"while the job ran: {exc}; check them, then re-run the job"
                )
                log.error(note)
                return _ended(Conclusion.FAILURE, note)
            if outcome is not None:
                return outcome
            lost = attempt_.lost_note
            if self.settings.lost_policy != "requeue" or attempt == MAX_ATTEMPTS:
                note = lost + (
                    "; the job failed (CONVEYOR_WORKER_LOST=requeue runs it again)"
                    if self.settings.lost_policy == "fail"
                    else f"; the job failed after {attempt} attempts"
                )
                log.error(note)
                return _ended(Conclusion.FAILURE, note)
            log.warning(f"{lost}; queueing the job again (attempt {attempt + 1})")
        raise AssertionError("unreachable")

    def _warm_up(self) -> None:
        """Connect to the broker now, not on the first job (a run's first jobs would start
        late); a broker that cannot be reached is an error before anything runs."""
        try:
            with self._app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=2)
        except Exception as exc:
            raise ExecutorError(
                f"--executor celery: cannot reach the broker at {self.settings.broker_url}: "
                f"{exc}; start it or set CONVEYOR_BROKER_URL"
            ) from exc

    def send(self, queue: str, envelope: dict[str, Any]) -> None:
        self._app.send_task(TASK_NAME, args=[envelope], queue=queue)

    def close(self) -> None:
        self._secrets.close()
        self._redis.close()
        self._app.close()


def _ended(conclusion: Conclusion, note: str) -> JobOutcome:
    outcome = outcome_of(conclusion)
    outcome.note = note
    return outcome


class _Attempt:
    """One attempt of one job: send it, follow its stream, watch its worker's lease."""

    def __init__(
        self,
        owner: CeleryJobExecutor,
        request: JobRequest,
        publish: Callable[[Event], None],
        flags: tuple[threading.Event, threading.Event],
        labels: tuple[str, ...],
        *,
        attempt: int,
    ) -> None:
        self.owner = owner
        self.request = request
        self.publish = publish
        self.cancel, self.stop = flags
        self.labels = labels
        self.attempt = attempt
        self.channel = uuid.uuid4().hex
        self.lost_note = ""
        self.worker = ""

    def run(self) -> JobOutcome | None:
        """The outcome, or None when the worker was lost (``lost_note`` says how)."""
        owner, settings = self.owner, self.owner.settings
        token = owner._secrets.grant(secret_names(self.request))
        envelope = {
            "request": encode(self.request).decode(),
            "channel": self.channel,
            "attempt": self.attempt,
            "secrets_url": owner._secrets.url,
            "secrets_token": token,
        }
        queued = time.time()
        started = 0.0
        try:
            self._renew()
            owner.send(settings.queue(self.labels), envelope)
            started, outcome = self._follow()
            return outcome
        finally:
            owner._secrets.revoke(token)
            owner.timings.append(Timing(self.request.job_key, queued, started, self.worker))
            owner._redis.delete(settings.dispatcher_key(self.channel))
            if self.worker:  # else a worker may take it yet: it must find the control word
                owner._redis.delete(
                    settings.events_key(self.channel), settings.control_key(self.channel)
                )

    def _renew(self) -> None:
        """Tell the worker someone still waits for the job (it stops the job otherwise)."""
        settings = self.owner.settings
        millis = int(settings.lease_seconds * 1000)
        self.owner._redis.set(settings.dispatcher_key(self.channel), "1", px=millis)

    def _control(self, word: str) -> None:
        self.owner._redis.xadd(self.owner.settings.control_key(self.channel), {"c": word})
        self.owner._redis.expire(self.owner.settings.control_key(self.channel), 24 * 3600)

    def _follow(self) -> tuple[float, JobOutcome | None]:
        redis, settings = self.owner._redis, self.owner.settings
        events = settings.events_key(self.channel)
        last = "0-0"
        started = 0.0
        said: set[str] = set()
        deadline = time.time() + self.request.timeout_minutes * 60 + DEADLINE_GRACE_SECONDS
        renewed = time.monotonic()
        while True:
            if time.monotonic() - renewed > 1.0:
                self._renew()
                renewed = time.monotonic()
            for word, flag in (("stop", self.stop), ("cancel", self.cancel)):
                if flag.is_set() and word not in said:
                    said.add(word)
                    self._control(word)
            found = redis.xread({events: last}, count=200, block=READ_BLOCK_MS)
            for _stream, entries in found or ():
                for entry_id, fields in entries:
                    last = entry_id
                    kind = fields.get(b"k")
                    if kind == b"S":
                        self.worker, _pid, started = started_fields(fields)
                    elif kind == b"E":
                        self.publish(decode_event(fields[b"d"]))
                    elif kind == b"O":
                        return started, decode_outcome(fields[b"d"])
            if said and not started:
                # not taken yet: the worker that takes it sees the control word first
                return 0.0, _ended(Conclusion.CANCELLED, "cancelled before a worker took it")
            if started and not found and not redis.exists(settings.lease_key(self.channel)):
                if redis.xread({events: last}, count=1):  # it finished just now: read on
                    continue
                self.lost_note = (
                    f"worker {self.worker} stopped renewing the job's lease "
                    f"(no heartbeat for {settings.lease_seconds:g} s)"
                )
                return started, None
            if time.time() > deadline:
                note = f"worker {self.worker or '?'} did not end the job in time"
                return started, _ended(Conclusion.FAILURE, note)
