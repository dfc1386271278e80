"""The workflow file as a whole."""

from __future__ import annotations

from pydantic import Field

from conveyor.workflow.model.common import Env, Model, Text
from conveyor.workflow.model.events import EventConfig, On
from conveyor.workflow.model.jobs import ConcurrencyValue, Defaults, Job, PermissionsValue


class Workflow(Model):
    """A workflow: triggers (``on``), shared settings, and jobs by id."""

    name: Text | None = None
    run_name: Text | None = Field(None, alias="run-name")
    on: str | list[str] | On
    permissions: PermissionsValue | None = None
    env: Env | None = None
    defaults: Defaults | None = None
    concurrency: ConcurrencyValue | None = None
    jobs: dict[str, Job]

    def events(self) -> dict[str, EventConfig | None]:
        """Every trigger event with its configuration (None when it has none), any ``on`` form."""
        if isinstance(self.on, str):
            return {self.on: None}
        if isinstance(self.on, list):
            return dict.fromkeys(self.on)
        return self.on.events()
