"""One step of a job (also the steps of a composite action).

GitHub knows six kinds of step: ``run`` a script, ``uses`` an action, ``wait`` for
background steps, ``wait-all``, ``cancel`` a background step, and a ``parallel`` group.
One model holds the keys of all of them; ``checks/steps.py`` refuses a key that the
step's kind does not take (``with`` on a ``run`` step, ``shell`` on a ``uses`` step...).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from conveyor.workflow.model.common import (
    NN,
    Env,
    Expr,
    IfValue,
    Model,
    Number,
    OptNonEmpty,
    Scalar,
    StrList,
    Text,
)


class Step(Model):
    """A step (see the module docstring for its kinds)."""

    id: OptNonEmpty = None
    name: Text | None = None
    if_: IfValue | None = Field(None, alias="if")
    uses: OptNonEmpty = None
    run: Text | None = None
    shell: Text | None = None
    working_directory: Text | None = Field(None, alias="working-directory")
    env: Annotated[Env | None, NN] = None
    with_: Annotated[dict[str, Scalar] | Expr | None, NN] = Field(None, alias="with")
    continue_on_error: Annotated[bool | Expr | None, NN] = Field(None, alias="continue-on-error")
    timeout_minutes: Annotated[Number | Expr | None, NN] = Field(None, alias="timeout-minutes")
    background: Annotated[bool | None, NN] = None
    wait: Annotated[StrList | None, NN] = None
    wait_all: bool | None = Field(None, alias="wait-all")
    cancel: OptNonEmpty = None
    parallel: Annotated[list[Step] | None, NN] = None

    @property
    def label(self) -> str:
        """How to name this step to a person: its name, id, or what it runs."""
        if self.name:
            return self.name
        if self.id:
            return self.id
        if self.uses:
            return self.uses
        if self.wait is not None:
            return "Wait"
        if self.wait_all is not None:
            return "Wait for all"
        if self.cancel is not None:
            return "Cancel"
        first = (self.run or "").strip().splitlines()
        return f"Run {first[0]}" if first else "step"
