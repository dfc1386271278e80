"""The workflow file as a whole."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from conveyor.workflow.model.common import NN, Env, Model, NonEmpty, Text
from conveyor.workflow.model.events import EventConfig, On
from conveyor.workflow.model.jobs import Defaults, Job, PermissionsValue, WorkflowConcurrency


class Workflow(Model):
    """A workflow: triggers (``on``), shared settings, and jobs by id."""

    name: Text | None = None
    description: Text | None = None
    run_name: Text | None = Field(None, alias="run-name")
    on: NonEmpty | list[NonEmpty] | On
    permissions: Annotated[PermissionsValue | None, NN] = None
    env: Annotated[Env | None, NN] = None
    defaults: Annotated[Defaults | None, NN] = None
    concurrency: WorkflowConcurrency | None = None
    jobs: dict[str, Job]

    def events(self) -> dict[str, EventConfig | None]:
        """Every trigger event with its configuration (None when it has none), any ``on`` form."""
        if isinstance(self.on, str):
            return {self.on: None}
        if isinstance(self.on, list):
            return dict.fromkeys(self.on)
        return self.on.events()
