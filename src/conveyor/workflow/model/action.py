"""Action metadata (``action.yml``): inputs, outputs and how the action runs."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Discriminator, Field, Tag

from conveyor.workflow.model.common import NN, Env, Model, NonEmpty, OptNonEmpty, Text
from conveyor.workflow.model.steps import Step


class ActionInput(Model):
    """One input; GitHub keeps any other key an input has (``type:`` is often seen)."""

    model_config = ConfigDict(extra="allow")

    description: Text | None = None
    required: bool | Text | None = None  # the runner reads inputs loosely: 'true' is seen
    default: Text | None = None
    deprecation_message: Text | None = Field(None, alias="deprecationMessage")


class ActionOutput(Model):
    description: Text | None = None
    value: Text | None = None


class CompositeRuns(Model):
    using: Literal["composite"]
    steps: list[Step]


NODE_VERSIONS = ("node12", "node16", "node20", "node24")


class NodeRuns(Model):
    using: Literal["node12", "node16", "node20", "node24"]
    main: NonEmpty
    pre: OptNonEmpty = None
    post: OptNonEmpty = None
    pre_if: Text | None = Field(None, alias="pre-if")
    post_if: Text | None = Field(None, alias="post-if")


class DockerRuns(Model):
    using: Literal["docker"]
    image: NonEmpty
    entrypoint: OptNonEmpty = None
    args: Annotated[list[Text | None] | None, NN] = None
    env: Annotated[Env | None, NN] = None
    pre_entrypoint: OptNonEmpty = Field(None, alias="pre-entrypoint")
    pre_if: Text | None = Field(None, alias="pre-if")
    post_entrypoint: OptNonEmpty = Field(None, alias="post-entrypoint")
    post_if: Text | None = Field(None, alias="post-if")


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
    """Marketplace look: one of Feather's icon names and one of eight colours."""

    icon: OptNonEmpty = None
    color: Annotated[
        Literal["white", "yellow", "blue", "green", "orange", "red", "purple", "gray-dark"] | None,
        NN,
    ] = None


class ActionMetadata(Model):
    """The contents of an ``action.yml`` (``description`` is optional: the runner
    does not need it, only the Marketplace does)."""

    name: NonEmpty
    description: Text | None = None
    author: Text | None = None
    inputs: Annotated[dict[str, ActionInput] | None, NN] = None
    outputs: Annotated[dict[str, ActionOutput] | None, NN] = None
    runs: Runs
    branding: Annotated[Branding | None, NN] = None
