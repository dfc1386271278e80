"""The API's request bodies and the answers that are not a store result as it is.

Store results (:mod:`conveyor.store.queries`, :mod:`conveyor.store.deliveries`, the
results and reporting models) are plain dataclasses; FastAPI documents and serialises
them as they are, so the API and ``conveyor show --format json`` say the same things.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from conveyor.store.queries import RunInfo


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunPage(BaseModel):
    runs: list[RunInfo]
    next_before: int | None = Field(
        None, description="Pass as ?before= for the next (older) page; null: no more."
    )


class RerunBody(_Body):
    failed_only: bool = Field(False, description="Re-run only the jobs that failed.")


class DispatchBody(_Body):
    workflow: str = Field(..., min_length=1, description="Workflow file or name.")
    ref: str = Field("", description="Branch, tag or commit (default: the default branch).")
    inputs: dict[str, Any] = Field(default_factory=dict)


class DecisionBody(_Body):
    comment: str = ""


class RollbackBody(_Body):
    app: str = Field(..., min_length=1)
    environment: str = Field(..., min_length=1)
    version: str | None = Field(None, description="Default: the version live before.")
    repository: str | None = Field(None, description="Name or key; needed with several.")
    force: bool = False
    reason: str = ""


class QuarantineBody(_Body):
    test: str = Field(..., min_length=1, description="The test id.")
    quarantined: bool
    repository: str | None = Field(None, description="Name or key; needed with several.")
    reason: str = ""


class Accepted(BaseModel):
    """What a write did: the run it is about, and what the queue answered."""

    run_id: int | None = None
    run_ids: list[int] = Field(default_factory=list)
    detail: str = ""


class Decided(BaseModel):
    run_id: int
    environment: str
    decision: str
    jobs: int
    by: str


class QuarantineAnswer(BaseModel):
    test: str
    quarantined: bool
    changed: bool


class ScheduleInfo(BaseModel):
    repository: str
    workflow_path: str
    name: str
    cron: str
    timezone: str
    next: list[float] = Field(description="The next fire times (UTC POSIX seconds).")


class Pending(BaseModel):
    run_id: int
    job: str
    environment: str
    reviewers: list[str]
    requested_by: str
    requested_at: float
    wait_until: float | None
