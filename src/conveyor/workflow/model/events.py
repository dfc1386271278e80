"""The ``on:`` section: every trigger event and its configuration."""

from __future__ import annotations

from typing import Annotated, Any, Literal, get_args

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    model_validator,
)

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
    value: Text | None  # required; GitHub reads an empty value as ""


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


def event_keys(event: str) -> frozenset[str]:
    """The settings GitHub knows for ``event`` (the keys of its configuration mapping)."""
    field = On.model_fields.get(event)
    for member in get_args(field.annotation) if field is not None else ():
        if isinstance(member, type) and issubclass(member, BaseModel):
            return frozenset(f.alias or n for n, f in member.model_fields.items())
    return frozenset()


ACTIVITY_TYPES: dict[str, tuple[str, ...]] = {
    "branch_protection_rule": ("created", "edited", "deleted"),
    "check_run": ("completed", "created", "rerequested", "requested_action"),
    "check_suite": ("completed",),
    "discussion": (
        "created", "edited", "deleted", "transferred", "pinned", "unpinned", "labeled",
        "unlabeled", "locked", "unlocked", "category_changed", "answered", "unanswered",
    ),
    "discussion_comment": ("created", "edited", "deleted"),
    "image_version": ("created", "ready", "deleted"),
    "issue_comment": ("created", "edited", "deleted"),
    "issues": (
        "opened", "edited", "deleted", "transferred", "pinned", "unpinned", "closed",
        "reopened", "assigned", "unassigned", "labeled", "unlabeled", "locked", "unlocked",
        "milestoned", "demilestoned", "field_added", "field_removed", "typed", "untyped",
    ),
    "label": ("created", "edited", "deleted"),
    "merge_group": ("checks_requested",),
    "milestone": ("created", "closed", "opened", "edited", "deleted"),
    "project": ("created", "closed", "reopened", "edited", "deleted"),
    "project_card": ("created", "moved", "converted", "edited", "deleted"),
    "project_column": ("created", "updated", "moved", "deleted"),
    "pull_request": (
        "assigned", "unassigned", "labeled", "unlabeled", "opened", "edited", "closed",
        "reopened", "synchronize", "converted_to_draft", "locked", "unlocked", "enqueued",
        "dequeued", "milestoned", "demilestoned", "ready_for_review", "review_requested",
        "review_request_removed", "auto_merge_enabled", "auto_merge_disabled", "stacked",
    ),
    "pull_request_comment": ("created", "edited", "deleted"),
    "pull_request_review": ("submitted", "edited", "dismissed"),
    "pull_request_review_comment": ("created", "edited", "deleted"),
    "registry_package": ("published", "updated"),
    "release": (
        "published", "unpublished", "created", "edited", "deleted", "prereleased", "released",
    ),
    "watch": ("started",),
    "workflow_run": ("requested", "completed", "in_progress"),
}  # fmt: skip
"""The activity ``types`` each event has (``repository_dispatch`` takes any name)."""
ACTIVITY_TYPES["pull_request_target"] = ACTIVITY_TYPES["pull_request"]
