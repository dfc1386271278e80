"""A project to run the delivery actions in: a git repository with a conveyor.toml, its
state directory, runs recorded in the history database, and action contexts."""

from __future__ import annotations

import contextlib
import os
import subprocess
import textwrap
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from conveyor.engine.masking import Masker
from conveyor.engine.ports import ActionContext, NewRun
from conveyor.store import SqlRunStore
from git_repo_helpers import isolate_git
from step_output_helpers import Recorder

REPOSITORY_KEY = "github.com/acme/widgets"

CONFIG = """
[environments.dev]

[environments.staging]

[environments.production]
reviewers = ["bob"]

[apps.web]
provider = "process"
command = "python3 -m http.server $PORT"

[apps.api]
provider = "process"
command = "python3 -m http.server $PORT"
"""


def git(*args: str, cwd: Path) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@dataclass
class Project:
    root: Path  # the repository and the jobs' workspace
    state_dir: Path
    store: SqlRunStore
    run_id: int = 0
    output: Recorder = field(default_factory=Recorder)
    masker: Masker = field(default_factory=Masker)

    @property
    def sha(self) -> str:
        return git("rev-parse", "HEAD", cwd=self.root)

    def commit(self, message: str, files: Mapping[str, str]) -> str:
        for name, text in files.items():
            target = self.root / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        git("add", "-A", cwd=self.root)
        git("commit", "-qm", message, cwd=self.root)
        return self.sha

    def new_run(self, sha: str | None = None, workflow: str = ".github/workflows/ci.yml") -> int:
        run_id, _number = self.store.begin_run(
            NewRun(
                workflow_path=workflow,
                workflow_name="CI",
                event="push",
                ref="refs/heads/main",
                sha=sha or self.sha,
                repository="acme/widgets",
                pid=os.getpid(),
                repository_key=REPOSITORY_KEY,
            )
        )
        self.run_id = run_id
        return run_id

    def context(
        self,
        inputs: Mapping[str, str] | None = None,
        *,
        env: Mapping[str, str] | None = None,
        run_id: int | None = None,
        job_key: str = "deploy",
        sha: str | None = None,
    ) -> ActionContext:
        self.output = Recorder()
        github: dict[str, Any] = {
            "sha": sha or self.sha,
            "ref": "refs/heads/main",
            "repository": "acme/widgets",
        }
        base = {"HOME": str(self.root.parent / "home"), "PATH": os.environ.get("PATH", "")}
        return ActionContext(
            inputs=dict(inputs or {}),
            workspace=self.root,
            repository_root=self.root,
            state_dir=self.state_dir,
            env={**base, **(env or {})},
            github=github,
            run_id=self.run_id if run_id is None else run_id,
            job_key=job_key,
            output=self.output,
            masker=self.masker,
            cancel=threading.Event(),
        )


@contextlib.contextmanager
def make_project(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_url: str | None = None,
    config: str = CONFIG,
) -> Iterator[Project]:
    isolate_git(monkeypatch, tmp_path)
    if db_url:
        monkeypatch.setenv("CONVEYOR_DATABASE_URL", db_url)
    root = tmp_path / "project"
    root.mkdir()
    (tmp_path / "home").mkdir()
    git("init", "-q", "-b", "main", cwd=root)
    (root / "conveyor.toml").write_text(textwrap.dedent(config).lstrip())
    git("add", "-A", cwd=root)
    git("commit", "-qm", "first", cwd=root)
    state_dir = tmp_path / "state"
    store = SqlRunStore(state_dir)
    project = Project(root, state_dir, store)
    project.new_run()
    try:
        yield project
    finally:
        store.close()
