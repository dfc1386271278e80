"""What a Celery worker does with one job: ``conveyor.run_job(envelope)``.

The envelope holds the :class:`~conveyor.engine.wire.JobRequest` as JSON, the job's
channel (the name of its Redis keys), its attempt, and where and with which one-job token
to fetch the job's secrets. The job runs in the worker's pool process with the same job
executor as local runs (:func:`conveyor.engine.jobexec.execute_job`); its events, masked
here already, go to the channel's Redis stream in order, the outcome last. While it runs,
a thread renews the job's lease and follows the channel's control stream (``cancel`` /
``stop``); when the job ends, whatever its steps left running is killed.
"""

from __future__ import annotations

import contextlib
import os
import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from conveyor.engine.bus import mask_event
from conveyor.engine.events import Event, encode_event
from conveyor.engine.jobexec import execute_job
from conveyor.engine.jobstate import JobServices
from conveyor.engine.local_executor import MappingSecrets
from conveyor.engine.masking import Masker, env_masker
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import JobOutcome, JobRequest, decode_request, encode, outcome_of
from conveyor.executors.celery_config import CelerySettings
from conveyor.executors.secret_client import fetch_secrets

STREAM_TTL_SECONDS = 24 * 3600
WORKER_ENV = "CONVEYOR_WORKER"
"""Every step a worker runs sees the worker's name here."""


@dataclass
class WorkerContext:
    """What the worker's pool processes share: set once in ``conveyor worker``."""

    settings: CelerySettings
    name: str
    state_dir: Path | None = None  # None: the dispatcher's state directory (shared)


CONTEXT: WorkerContext | None = None
_CLIENTS: dict[tuple[int, str], Any] = {}


def redis_client(url: str) -> Any:
    """This process's Redis client (a pool process gets its own after the fork)."""
    key = (os.getpid(), url)
    if key not in _CLIENTS:
        import redis

        _CLIENTS[key] = redis.Redis.from_url(url)
    return _CLIENTS[key]


class _Stream:
    """Appends a job's events (masked) to its Redis stream, in order."""

    def __init__(self, client: Any, key: str, masker: Masker) -> None:
        self._client = client
        self._key = key
        self._masker = masker
        self._lock = threading.Lock()

    def add(self, fields: dict[str, Any]) -> None:
        with self._lock:
            self._client.xadd(self._key, fields)

    def event(self, event: Event) -> None:
        self.add({"k": "E", "d": encode_event(mask_event(event, self._masker))})


def _follow(client: Any, settings: CelerySettings, channel: str, owner: str, flags: _Flags) -> None:
    """Renew the lease and follow control messages until the job is done; when the
    dispatching process stops renewing its own key (it was killed), stop the job."""
    lease = settings.lease_key(channel)
    control = settings.control_key(channel)
    last = "0-0"
    millis = int(settings.lease_seconds * 1000)
    while not flags.done.is_set():
        try:
            client.set(lease, owner, px=millis)
            if not client.exists(settings.dispatcher_key(channel)):
                print(f"conveyor worker: job {channel}: its dispatcher is gone; stopping it")
                flags.stop.set()
                flags.cancel.set()
            found = client.xread({control: last}, count=10, block=1000)
        except Exception:  # Redis unreachable for a moment: try again
            traceback.print_exc()
            time.sleep(1.0)
            continue
        for _stream, entries in found or ():
            for entry_id, fields in entries:
                last = entry_id
                word = fields.get(b"c", b"")
                if word == b"stop":
                    flags.stop.set()
                    flags.cancel.set()
                elif word == b"cancel":
                    flags.cancel.set()


@dataclass
class _Flags:
    cancel: threading.Event
    stop: threading.Event
    done: threading.Event


_PROVIDERS: dict[Path, Any] = {}


def _actions(state_dir: Path) -> Any:
    from conveyor.actions import DefaultActionProvider

    if state_dir not in _PROVIDERS:
        _PROVIDERS[state_dir] = DefaultActionProvider(state_dir)
    return _PROVIDERS[state_dir]


def run_envelope(envelope: dict[str, Any], context: WorkerContext) -> None:
    """Execute the envelope's job; every outcome, even of a bug, reaches the stream."""
    settings = context.settings
    client = redis_client(settings.redis_url)
    channel = str(envelope["channel"])
    masker = env_masker(os.environ)
    stream = _Stream(client, settings.events_key(channel), masker)
    owner = f"{context.name}:{os.getpid()}"
    client.set(settings.lease_key(channel), owner, px=int(settings.lease_seconds * 1000))
    stream.add({"k": "S", "w": context.name, "p": os.getpid(), "t": repr(time.time())})
    client.expire(settings.events_key(channel), STREAM_TTL_SECONDS)
    flags = _Flags(threading.Event(), threading.Event(), threading.Event())
    follower = threading.Thread(
        target=_follow, args=(client, settings, channel, owner, flags), daemon=True
    )
    follower.start()
    os.environ[WORKER_ENV] = context.name
    try:
        outcome = _execute(envelope, context, masker, stream, flags)
    finally:
        flags.done.set()
    outcome.note = masker.mask(outcome.note)
    outcome.environment_url = masker.mask(outcome.environment_url)
    stream.add({"k": "O", "d": encode(outcome)})
    client.xadd(settings.control_key(channel), {"c": "done"})  # wakes the follower
    follower.join(timeout=5)
    client.delete(settings.lease_key(channel), settings.control_key(channel))


def _execute(
    envelope: dict[str, Any],
    context: WorkerContext,
    masker: Masker,
    stream: _Stream,
    flags: _Flags,
) -> JobOutcome:
    from conveyor.runners import LocalStepRunner, kill_all_process_groups

    try:
        request = decode_request(str(envelope["request"]))
    except (ValueError, msgspec.DecodeError) as exc:
        outcome = outcome_of(Conclusion.FAILURE)
        outcome.note = f"worker {context.name}: unreadable job request: {exc}"
        return outcome
    if context.state_dir is not None:
        request = msgspec.structs.replace(request, state_dir=str(context.state_dir))
    try:
        values = fetch_secrets(
            str(envelope.get("secrets_url", "")),
            str(envelope.get("secrets_token", "")),
            secret_names(request),
        )
    except OSError as exc:
        outcome = outcome_of(Conclusion.FAILURE)
        outcome.note = f"worker {context.name}: {exc}"
        return outcome
    for value in values.values():
        masker.add(value)
    from conveyor.tiers.stepreports import StepReportIngester

    services = JobServices(
        LocalStepRunner(),
        _actions(Path(request.state_dir)),
        masker,
        stream.event,
        reports=StepReportIngester(),
    )
    try:
        return execute_job(request, services, MappingSecrets(values), flags.cancel, flags.stop)
    except Exception as exc:  # a bug: the dispatcher still gets an outcome
        traceback.print_exc()
        outcome = outcome_of(Conclusion.FAILURE)
        outcome.note = f"worker {context.name}: the job failed to execute: {exc!r}"
        return outcome
    finally:
        kill_all_process_groups()


def secret_names(request: JobRequest) -> list[str]:
    """The names of the run's secrets the job's bindings refer to."""
    from conveyor.engine.wire import SecretBinding, SecretExpr

    names: set[str] = set()
    stack: list[SecretBinding] = list(request.secrets.values())
    while stack:
        binding = stack.pop()
        if isinstance(binding, SecretExpr):
            stack.extend(binding.secrets.values())
        else:
            names.add(binding.name)
    return sorted(names)


def started_fields(fields: dict[bytes, bytes]) -> tuple[str, int, float]:
    """The worker name, pid and start time of a stream's ``S`` entry."""
    with contextlib.suppress(ValueError):
        return (
            fields.get(b"w", b"").decode(),
            int(fields.get(b"p", b"0")),
            float(fields.get(b"t", b"0")),
        )
    return "", 0, 0.0
