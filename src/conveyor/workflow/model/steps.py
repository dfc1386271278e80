"""One step of a job (also the steps of a composite action)."""

from __future__ import annotations

from pydantic import Field

from conveyor.workflow.model.common import Env, Expr, IfValue, Model, Scalar, Text


class Step(Model):
    """A step: ``run`` a script or ``uses`` an action (validation checks exactly one)."""

    id: str | None = None
    name: Text | None = None
    if_: IfValue | None = Field(None, alias="if")
    uses: str | None = None
    run: Text | None = None
    shell: str | None = None
    working_directory: str | None = Field(None, alias="working-directory")
    env: Env | None = None
    with_: dict[str, Scalar] | Expr | None = Field(None, alias="with")
    continue_on_error: bool | Expr | None = Field(None, alias="continue-on-error")
    timeout_minutes: int | float | Expr | None = Field(None, alias="timeout-minutes")

    @property
    def label(self) -> str:
        """How to name this step to a person: its name, id, or what it runs."""
        if self.name:
            return self.name
        if self.id:
            return self.id
        if self.uses:
            return self.uses
        first = (self.run or "").strip().splitlines()
        return f"Run {first[0]}" if first else "step"
