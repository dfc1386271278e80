"""``conveyor trigger`` on a temp repo with the multi-app layout of the seeds."""

from __future__ import annotations

from pathlib import Path

import pytest
from trigger_helpers import Git, commit, conveyor

pytestmark = pytest.mark.slow


def deploy(name: str, paths: list[str]) -> str:
    listed = "\n".join(f"      - '{p}'" for p in paths)
    return f"""\
name: {name}
on:
  push:
    branches: [telegram, line, dev, main]
    paths:
{listed}
jobs:
  deploy:
    runs-on: ubuntu-latest
    steps:
      - run: echo "{name} deploying"
"""


def release(name: str, tag: str) -> str:
    return f"""\
name: {name}
on:
  push:
    tags: ['{tag}']
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - run: echo "{name} for $GITHUB_REF_NAME"
"""


FULL_CHECK = """\
name: Full check
on:
  pull_request:
    types: [labeled, synchronize, opened]
jobs:
  full:
    if: contains(github.event.pull_request.labels.*.name, 'ready-for-merge')
    runs-on: ubuntu-latest
    steps:
      - run: echo "full check on $GITHUB_HEAD_REF into $GITHUB_BASE_REF"
"""

WORKFLOWS = {
    "deploy-telegram.yml": deploy(
        "Deploy Telegram",
        ["src/api/**", "src/agent.py", "src/workflow/**", "src/data/**", "frontend/twinbar/**"],
    ),
    "deploy-line.yml": deploy(
        "Deploy LINE",
        ["src/integrations/line_bot.py", "src/agent.py", "src/workflow/**", "src/data/**"],
    ),
    "deploy-scheduler.yml": deploy("Deploy Scheduler", ["src/scheduler/**", "src/data/**"]),
    "release-line.yml": release("Release LINE", "v-line-*"),
    "release-telegram.yml": release("Release Telegram", "v-telegram-*"),
    "full-check.yml": FULL_CHECK,
}


@pytest.fixture
def app(repo: Path, git: Git) -> Path:
    files = {f".github/workflows/{n}": t for n, t in WORKFLOWS.items()}
    files.update(
        {
            "src/api/endpoints.py": "x = 1\n",
            "src/data/aurora.py": "x = 1\n",
            "src/integrations/line_bot.py": "x = 1\n",
            "src/scheduler/jobs.py": "x = 1\n",
            "docs/readme.md": "# docs\n",
        }
    )
    commit(git, repo, files, "layout")
    git("checkout", "-qb", "telegram", cwd=repo)
    return repo


def verdicts(output: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in output.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in ("fires", "skip"):
            found[Path(parts[1].rstrip(":")).name] = parts[0]
    return found


def firing(output: str) -> set[str]:
    return {name for name, verdict in verdicts(output).items() if verdict == "fires"}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("src/api/endpoints.py", {"deploy-telegram.yml"}),
        ("src/data/aurora.py", {"deploy-telegram.yml", "deploy-line.yml", "deploy-scheduler.yml"}),
        ("src/integrations/line_bot.py", {"deploy-line.yml"}),
        ("src/scheduler/jobs.py", {"deploy-scheduler.yml"}),
        ("docs/readme.md", set()),
    ],
)
def test_push_fires_only_the_deploys_whose_paths_changed(
    app: Path, git: Git, change: str, expected: set[str]
) -> None:
    commit(git, app, {change: "changed = True\n"})
    result = conveyor(app, "trigger", "push", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert f"changed files (1): {change}" in result.stdout
    assert firing(result.stdout) == expected
    assert len(verdicts(result.stdout)) == len(WORKFLOWS)


def test_skip_reason_names_the_paths_filter(app: Path, git: Git) -> None:
    commit(git, app, {"docs/readme.md": "new\n"})
    out = conveyor(app, "trigger", "push", "--dry-run").stdout
    assert (
        "skip   .github/workflows/deploy-scheduler.yml: "
        "paths: no changed file matches [src/scheduler/**, src/data/**]"
    ) in out
    assert "release-line.yml: only tag filters are defined" in out
    assert "full-check.yml: 'push' is not one of its events" in out


def test_tag_fires_only_the_matching_release(app: Path) -> None:
    result = conveyor(app, "trigger", "tag", "v-line-1.2.3", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert firing(result.stdout) == {"release-line.yml"}
    assert "event: push refs/tags/v-line-1.2.3" in result.stdout


def test_real_push_run_executes_the_fired_workflow(app: Path, git: Git) -> None:
    commit(git, app, {"src/api/endpoints.py": "x = 2\n"})
    result = conveyor(app, "trigger", "push")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Deploy Telegram deploying" in result.stdout
    assert "Deploy LINE deploying" not in result.stdout


def test_real_tag_run_sees_the_tag_ref(app: Path) -> None:
    result = conveyor(app, "trigger", "tag", "v-telegram-2.0.0")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Release Telegram for v-telegram-2.0.0" in result.stdout


def test_pull_request_label_decides_the_full_check_job(app: Path, git: Git) -> None:
    commit(git, app, {"src/api/endpoints.py": "x = 3\n"})
    plain = conveyor(app, "trigger", "pull_request", "--base", "main")
    assert plain.returncode == 0, plain.stdout + plain.stderr
    assert firing(plain.stdout) == {"full-check.yml"}
    assert "changed files (1): src/api/endpoints.py" in plain.stdout
    assert "full check on" not in plain.stdout
    assert "skip" in plain.stdout.lower()
    labeled = conveyor(
        app, "trigger", "pull_request", "--type", "labeled", "--label", "ready-for-merge"
    )
    assert labeled.returncode == 0, labeled.stdout + labeled.stderr
    assert "full check on telegram into main" in labeled.stdout
    closed = conveyor(app, "trigger", "pull_request", "--type", "closed", "--dry-run")
    assert "activity type 'closed' not in types" in closed.stdout


def test_new_branch_push_compares_with_the_default_branch(app: Path, git: Git) -> None:
    commit(git, app, {"src/scheduler/jobs.py": "x = 2\n"})
    commit(git, app, {"docs/readme.md": "more\n"})
    result = conveyor(app, "trigger", "push", "--before", "0" * 40, "--dry-run")
    assert "changed files (2): docs/readme.md, src/scheduler/jobs.py" in result.stdout
    assert firing(result.stdout) == {"deploy-scheduler.yml"}


WORKFLOW_DISPATCH = """\
name: Manual
on:
  workflow_dispatch:
    inputs:
      level:
        type: choice
        options: [info, debug]
        default: info
      dry:
        type: boolean
      count:
        type: number
        default: 2
jobs:
  show:
    runs-on: ubuntu-latest
    steps:
      - env:
          TYPED: ${{ inputs.dry == true && inputs.count > 3 }}
          EVENT: ${{ github.event.inputs.dry == 'true' && github.event.inputs.count == '4' }}
        run: echo "typed=$TYPED level=${{ inputs.level }} event=$EVENT"
"""


def test_workflow_dispatch_validates_and_runs(repo: Path, git: Git) -> None:
    commit(git, repo, {".github/workflows/manual.yml": WORKFLOW_DISPATCH})
    wf = ".github/workflows/manual.yml"
    bad = conveyor(repo, "trigger", "workflow_dispatch", "-W", wf, "--input", "level=trace")
    assert bad.returncode == 2
    assert "manual.yml:5: workflow_dispatch input 'level' must be one of [info, debug]" in (
        bad.stderr
    )
    ok = conveyor(
        repo, "trigger", "workflow_dispatch", "-W", wf, "--input", "dry=true", "--input", "count=4"
    )
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "typed=true level=info event=true" in ok.stdout
