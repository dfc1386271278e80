"""Shared test helpers for the built-in actions (imported by tests and conftest)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from conveyor.engine.masking import Masker
from conveyor.engine.ports import ActionContext
from step_output_helpers import Recorder


@dataclass
class Env:
    """Paths of one test: a repository, a workspace and a state dir."""

    repo: Path
    workspace: Path
    state_dir: Path
    home: Path
    output: Recorder = field(default_factory=Recorder)
    masker: Masker = field(default_factory=Masker)

    def context(
        self,
        inputs: Mapping[str, str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        run_id: int = 1,
        github: Mapping[str, Any] | None = None,
        workspace: Path | None = None,
    ) -> ActionContext:
        base_env = {"HOME": str(self.home), "PATH": "/usr/bin:/bin"}
        return ActionContext(
            inputs=dict(inputs or {}),
            workspace=workspace or self.workspace,
            repository_root=self.repo,
            state_dir=self.state_dir,
            env={**base_env, **(env or {})},
            github=dict(github or {"repository": "octo/project"}),
            run_id=run_id,
            job_key="build",
            output=self.output,
            masker=self.masker,
            cancel=threading.Event(),
        )
