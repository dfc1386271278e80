"""The ``on:`` section: every trigger event and its configuration."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, ModelWrapValidatorHandler, PrivateAttr, model_validator

from conveyor.workflow.model.common import (
    NN,
    Model,
    NonEmpty,
    OptNonEmpty,
    Scalar,
    StrList,
    Text,
)


class EventConfig(Model):
    """Base of every event's configuration (the mapping under ``on.<event>``).

    GitHub's service reads an event's known settings and ignores the rest, so unknown
    keys are kept here and reported as warnings by ``checks/events.py``.
    """

    model_config = ConfigDict(extra="allow")


Filter = StrList | None  # GitHub reads an empty filter as no filter


class ActivityEvent(EventConfig):
    """An event filtered only by activity ``types`` (issues, release, ...)."""

    types: Filter = None


class PushEvent(EventConfig):
    """``push``: ref and path filters."""

    branches: Filter = None
    branches_ignore: Filter = Field(None, alias="branches-ignore")
    tags: Filter = None
    tags_ignore: Filter = Field(None, alias="tags-ignore")
    paths: Filter = None
    paths_ignore: Filter = Field(None, alias="paths-ignore")


class PullRequestEvent(ActivityEvent):
    """``pull_request``/``pull_request_target``: types plus base-branch and path filters."""

    branches: Filter = None
    branches_ignore: Filter = Field(None, alias="branches-ignore")
    paths: Filter = None
    paths_ignore: Filter = Field(None, alias="paths-ignore")


class MergeGroupEvent(ActivityEvent):
    """``merge_group``: types and base-branch filters."""

    branches: Filter = None
    branches_ignore: Filter = Field(None, alias="branches-ignore")


class ImageVersionEvent(ActivityEvent):
    """``image_version``: types, image names and versions."""

    names: Filter = None
    versions: Filter = None


class RefEvent(EventConfig):
    """``create``/``delete``: GitHub ignores filters here, but real workflows write them."""

    branches: Filter = None
    branches_ignore: Filter = Field(None, alias="branches-ignore")
    tags: Filter = None
    tags_ignore: Filter = Field(None, alias="tags-ignore")


class WorkflowRunEvent(ActivityEvent):
    """``workflow_run``: which workflows, activity types, and branch filters."""

    workflows: Filter = None
    branches: Filter = None
    branches_ignore: Filter = Field(None, alias="branches-ignore")


class ScheduleItem(Model):
    """One ``schedule`` entry: a POSIX cron line, optionally in an IANA time zone."""

    cron: NonEmpty
    timezone: OptNonEmpty = None


class ScheduleEvent(EventConfig):
    """Normalised ``schedule`` (in YAML it is a list of :class:`ScheduleItem`)."""

    crons: list[ScheduleItem] = Field(default_factory=list)


DispatchInputType = Literal["string", "boolean", "number", "choice", "environment"]


class DispatchInput(Model):
    """One ``workflow_dispatch`` input."""

    description: Text | None = None
    required: Annotated[bool | None, NN] = None
    default: Scalar = None
    type: Annotated[DispatchInputType | None, NN] = None
    options: Annotated[list[Scalar] | None, NN] = None


class WorkflowDispatchEvent(EventConfig):
    """``workflow_dispatch``: manual runs with typed inputs (``inputs:`` may be empty)."""

    inputs: dict[str, DispatchInput] | None = None


class CallInput(Model):
    """One ``workflow_call`` input; ``type`` is required by GitHub (checked by validation)."""

    description: Text | None = None
    required: Annotated[bool | None, NN] = None
    default: Scalar = None
    type: Annotated[Literal["boolean", "number", "string"] | None, NN] = None


class CallOutput(Model):
    """One ``workflow_call`` output: ``value`` is an expression over ``jobs``."""

    description: Text | None = None
    value: Text


class CallSecret(Model):
    """One secret a reusable workflow accepts."""

    description: Text | None = None
    required: Annotated[bool | None, NN] = None


class WorkflowCallEvent(EventConfig):
    """``workflow_call``: the interface of a reusable workflow (checked strictly)."""

    model_config = ConfigDict(extra="forbid")

    inputs: Annotated[dict[str, CallInput] | None, NN] = None
    outputs: Annotated[dict[str, CallOutput] | None, NN] = None
    secrets: Annotated[dict[str, CallSecret | None] | None, NN] = None


class On(Model):
    """The mapping form of ``on:``; every key is an event, null means "no filters"."""

    branch_protection_rule: ActivityEvent | None = None
    check_run: ActivityEvent | None = None
    check_suite: ActivityEvent | None = None
    create: RefEvent | None = None
    delete: RefEvent | None = None
    deployment: ActivityEvent | None = None
    deployment_status: ActivityEvent | None = None
    discussion: ActivityEvent | None = None
    discussion_comment: ActivityEvent | None = None
    fork: ActivityEvent | None = None
    gollum: ActivityEvent | None = None
    image_version: ImageVersionEvent | None = None
    issue_comment: ActivityEvent | None = None
    issues: ActivityEvent | None = None
    label: ActivityEvent | None = None
    merge_group: MergeGroupEvent | None = None
    milestone: ActivityEvent | None = None
    page_build: ActivityEvent | None = None
    project: ActivityEvent | None = None
    project_card: ActivityEvent | None = None
    project_column: ActivityEvent | None = None
    public: ActivityEvent | None = None
    pull_request: PullRequestEvent | None = None
    pull_request_comment: ActivityEvent | None = None
    pull_request_review: ActivityEvent | None = None
    pull_request_review_comment: ActivityEvent | None = None
    pull_request_target: PullRequestEvent | None = None
    push: PushEvent | None = None
    registry_package: ActivityEvent | None = None
    release: ActivityEvent | None = None
    repository_dispatch: ActivityEvent | None = None
    schedule: Annotated[list[ScheduleItem] | None, NN] = None
    status: ActivityEvent | None = None
    watch: ActivityEvent | None = None
    workflow_call: WorkflowCallEvent | None = None
    workflow_dispatch: WorkflowDispatchEvent | None = None
    workflow_run: WorkflowRunEvent | None = None

    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _keep_order(cls, data: Any, handler: ModelWrapValidatorHandler[On]) -> On:
        result = handler(data)
        if isinstance(data, dict):
            result._order = tuple(k for k in data if k in cls.model_fields)
        return result

    def events(self) -> dict[str, EventConfig | None]:
        """The events present, in file order, with their configuration (None when empty)."""
        result: dict[str, EventConfig | None] = {}
        names = self._order or tuple(
            n for n in type(self).model_fields if n in self.model_fields_set
        )
        for name in names:
            value = getattr(self, name)
            if name == "schedule":
                result[name] = ScheduleEvent(crons=list(value or []))
            else:
                result[name] = value
        return result


EVENT_NAMES: frozenset[str] = frozenset(On.model_fields)
"""Every event name a workflow may list under ``on:``."""
