"""What crosses the executor seam: a :class:`JobRequest` goes in, events come out, a
:class:`JobOutcome` ends it. Plain data with JSON round-trips and a schema version, so a
job can run in this process, in a child process, or on a worker elsewhere.

A request never holds a secret's value: ``secrets`` maps each name the job may read to a
:data:`SecretBinding` -- a reference to one of the run's secrets (:class:`SecretRef`),
or, for a reusable workflow's ``secrets:`` mapping, an expression over the caller's
bindings (:class:`SecretExpr`). The executing process resolves them from its own secret
source.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

import msgspec

from conveyor.engine.runkeys import run_key
from conveyor.engine.status import Conclusion
from conveyor.planner.github import RepoFacts
from conveyor.planner.plan import JobPlan

WIRE_SCHEMA_VERSION = 1
T = TypeVar("T")
DEFAULT_TIMEOUT_MINUTES = 360.0


class SecretRef(msgspec.Struct, frozen=True, tag="ref"):
    """The run's secret called ``name``."""

    name: str


class SecretExpr(msgspec.Struct, frozen=True, tag="expr"):
    """A value computed from other secrets: ``template`` evaluated with ``contexts`` and a
    ``secrets`` context made of ``secrets`` (the caller's bindings)."""

    template: str
    contexts: dict[str, Any]
    secrets: dict[str, SecretBinding]


SecretBinding = SecretRef | SecretExpr


class RunRef(msgspec.Struct, frozen=True):
    """The run a job belongs to."""

    run_id: int
    run_number: int
    workflow_path: str  # repository-relative
    workflow_name: str
    event: str
    uid: str = ""
    attempt: int = 1

    @property
    def key(self) -> str:
        """The name of the run's folders under the state directory (see
        :mod:`conveyor.engine.runkeys`)."""
        return run_key(self.run_id, self.uid)


class JobRequest(msgspec.Struct, frozen=True):
    """One job instance (one matrix combination) to execute.

    ``contexts`` holds ``github`` (without the token), ``needs``, ``strategy``,
    ``matrix``, ``vars`` and ``inputs``, evaluated by the orchestrator. ``workflow_env``
    is the (called) workflow's ``env`` as written: it may read secrets, so the executing
    process evaluates it; ``env_overrides`` (``--env``) win over it.
    """

    run: RunRef
    job_key: str
    job: JobPlan
    contexts: dict[str, Any]
    secrets: dict[str, SecretBinding]
    repo: RepoFacts
    state_dir: str
    workflow_env: Any = None
    workflow_defaults: dict[str, Any] = msgspec.field(default_factory=dict)
    env_overrides: dict[str, str] = msgspec.field(default_factory=dict)
    timeout_minutes: float = DEFAULT_TIMEOUT_MINUTES
    checkout_mode: str = "copy"
    debug: bool = False
    environment: str = ""  # jobs.<id>.environment's name; steps see CONVEYOR_ENVIRONMENT
    schema: int = WIRE_SCHEMA_VERSION


class JobOutcome(msgspec.Struct):
    """What a job instance (or a whole job across its matrix) ended with.

    ``conclusion`` is for display; ``result`` is ``needs.<id>.result`` (success, failure,
    cancelled or skipped); ``counts_as_failure`` fails the run (not with
    continue-on-error).
    """

    conclusion: Conclusion
    result: str
    outputs: dict[str, str] = msgspec.field(default_factory=dict)
    counts_as_failure: bool = False
    note: str = ""
    environment_url: str = ""
    schema: int = WIRE_SCHEMA_VERSION


def outcome_of(conclusion: Conclusion, *, continue_on_error: bool = False) -> JobOutcome:
    """The outcome of a job that ended with ``conclusion``."""
    result = {Conclusion.TIMED_OUT: "failure"}.get(conclusion, str(conclusion))
    failing = result == "failure"
    if failing and continue_on_error:
        return JobOutcome(conclusion, "success", counts_as_failure=False)
    return JobOutcome(conclusion, result, counts_as_failure=failing)


def _enc_hook(value: Any) -> Any:
    if isinstance(value, Path):
        return str(value)
    raise NotImplementedError(f"cannot encode {type(value).__name__}")


def _dec_hook(kind: type, value: Any) -> Any:
    if kind is Path:
        return Path(value)
    raise NotImplementedError(f"cannot decode {kind}")


def json_decoder(kind: type[T]) -> msgspec.json.Decoder[T]:
    """A JSON decoder for ``kind`` that knows the types our wire data uses (paths)."""
    return msgspec.json.Decoder(kind, dec_hook=_dec_hook)


JSON_ENCODER = msgspec.json.Encoder(enc_hook=_enc_hook)
_REQUEST = json_decoder(JobRequest)
_OUTCOME = json_decoder(JobOutcome)


def encode(value: JobRequest | JobOutcome) -> bytes:
    return JSON_ENCODER.encode(value)


def _checked(schema: int, what: str) -> None:
    if schema != WIRE_SCHEMA_VERSION:
        raise ValueError(
            f"{what} has schema {schema}, this conveyor speaks {WIRE_SCHEMA_VERSION}; "
            "run the same conveyor version on both sides"
        )


def decode_request(data: bytes | str) -> JobRequest:
    request = _REQUEST.decode(data)
    _checked(request.schema, "job request")
    return request


def decode_outcome(data: bytes | str) -> JobOutcome:
    outcome = _OUTCOME.decode(data)
    _checked(outcome.schema, "job outcome")
    return outcome
