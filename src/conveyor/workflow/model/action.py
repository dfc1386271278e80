"""Action metadata (``action.yml``): inputs, outputs and how the action runs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Discriminator, Field, Tag

from conveyor.workflow.model.common import Model, Scalar, Text
from conveyor.workflow.model.steps import Step


class ActionInput(Model):
    description: Text | None = None
    required: bool | str | None = None
    default: Scalar = None
    deprecation_message: str | None = Field(None, alias="deprecationMessage")
    type: str | None = None  # not part of GitHub's schema, which ignores it; seen in real actions


class ActionOutput(Model):
    description: Text | None = None
    value: str | None = None


class CompositeRuns(Model):
    using: Literal["composite"]
    steps: list[Step]


NODE_VERSIONS = ("node12", "node16", "node20", "node24")


class NodeRuns(Model):
    using: Literal["node12", "node16", "node20", "node24"]
    main: str
    pre: str | None = None
    post: str | None = None
    pre_if: str | None = Field(None, alias="pre-if")
    post_if: str | None = Field(None, alias="post-if")


class DockerRuns(Model):
    using: Literal["docker"]
    image: str
    entrypoint: str | None = None
    args: list[Scalar] | None = None
    env: dict[str, Scalar] | None = None
    pre_entrypoint: str | None = Field(None, alias="pre-entrypoint")
    post_entrypoint: str | None = Field(None, alias="post-entrypoint")


def _runs_kind(value: Any) -> str | None:
    using = value.get("using") if isinstance(value, dict) else getattr(value, "using", None)
    if using == "composite":
        return "composite"
    if using == "docker":
        return "docker"
    if using in NODE_VERSIONS:
        return "node"
    return None


Runs = Annotated[
    Annotated[CompositeRuns, Tag("composite")]
    | Annotated[NodeRuns, Tag("node")]
    | Annotated[DockerRuns, Tag("docker")],
    Discriminator(
        _runs_kind,
        custom_error_type="runs_using",
        custom_error_message="runs.using",
        custom_error_context={"expected": "'composite', 'docker' or one of node12/16/20/24"},
    ),
]


class Branding(Model):
    icon: str | None = None
    color: str | None = None


class ActionMetadata(Model):
    """The contents of an ``action.yml``."""

    name: Text
    description: Text | None = None
    author: Text | None = None
    inputs: dict[str, ActionInput | None] | None = None
    outputs: dict[str, ActionOutput | None] | None = None
    runs: Runs
    branding: Branding | None = None
