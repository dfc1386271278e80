"""A project for the detected-test-reports tests: a git repository with workflows, a Python
environment whose ``pytest`` has the pytest-json-report plugin, stand-ins for the cloud
commands the seeds' workflows call (``aws``, ``doppler``), and a local mirror for the
remote actions they use."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

from conveyor.agent.address import NO_AGENT_ENV as NO_AGENT

CONVEYOR = [sys.executable, "-m", "conveyor"]
SITE = next(p for p in sys.path if p.endswith("site-packages") and Path(p).is_dir())

AWS = r"""#!/bin/sh
# stand-in for the AWS CLI: the answers of a healthy dev environment
echo "aws $*" >&2
case "$1 $2" in
  "lambda invoke")
    for last; do :; done
    echo '{"statusCode": 200, "body": {"success": 1}}' > "$last"
    echo '{"StatusCode": 200}' ;;
  "lambda get-function") echo '{"Configuration": {"State": "Active"}}' ;;
  "events describe-rule") echo '{"State": "ENABLED", "ScheduleExpression": "cron(0 1 * * ? *)"}' ;;
  "sqs send-message") echo '{"MessageId": "1"}' ;;
  *) echo "aws stand-in: unknown command $*" >&2; exit 2 ;;
esac
"""

DOPPLER = r"""#!/bin/sh
# stand-in for the Doppler CLI: `doppler secrets get NAME --plain`
case "$3" in
  AURORA_HOST) echo "aurora.dev.internal" ;;
  REPORT_JOBS_QUEUE_URL) echo "https://sqs.local/report-jobs" ;;
  *) exit 1 ;;
esac
"""

PIP = """\
import sys

# stand-in for pip in the project's environment: its packages are there already (the
# tests never download); prints what it was asked
print("pip (stand-in):", " ".join(sys.argv[1:]))
"""

PYTEST = """#!{python}
import sys
import pytest
sys.exit(pytest.main())
"""

CONFIGURE_AWS = """\
name: configure-aws-credentials (stand-in)
inputs:
  aws-access-key-id: {required: false}
  aws-secret-access-key: {required: false}
  aws-region: {required: true}
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "AWS_REGION=${{ inputs.aws-region }}" >> "$GITHUB_ENV"
"""


@dataclass
class Project:
    repo: Path
    state: Path
    env: dict[str, str]

    def conveyor(self, *args: str, check: bool = False) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [*CONVEYOR, *args],
            cwd=self.repo,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"conveyor {' '.join(args)}: {done.stdout}\n{done.stderr}")
        return done

    def report(self, run: str = "latest") -> dict[str, object]:
        done = self.conveyor("report", run, "--format", "json", check=True)
        loaded: dict[str, object] = json.loads(done.stdout)
        return loaded


def git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@e", *args],
        check=True,
        capture_output=True,
    )


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        target = root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")


def python_env(base: Path) -> Path:
    """A virtual environment whose ``python`` sees this suite's packages (pytest,
    pytest-json-report) and whose ``pip`` is a stand-in; its ``bin`` directory."""
    venv = base / "pyenv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python3*/site-packages"))
    (site / "suite.pth").write_text(SITE + "\n", encoding="utf-8")
    (site / "pip").mkdir()
    (site / "pip" / "__init__.py").write_text("", encoding="utf-8")
    (site / "pip" / "__main__.py").write_text(PIP, encoding="utf-8")
    scripts = {"pytest": PYTEST.format(python=venv / "bin" / "python")}
    for name, text in scripts.items():
        (venv / "bin" / name).write_text(text, encoding="utf-8")
        (venv / "bin" / name).chmod(0o755)
    return venv / "bin"


def stand_ins(base: Path) -> Path:
    folder = base / "stand-ins"
    folder.mkdir()
    for name, text in (("aws", AWS), ("doppler", DOPPLER)):
        (folder / name).write_text(text, encoding="utf-8")
        (folder / name).chmod(0o755)
    return folder


def action_mirror(base: Path) -> str:
    """A mirror holding ``aws-actions/configure-aws-credentials@v4``; the URL template."""
    repo = base / "mirror" / "aws-actions" / "configure-aws-credentials.git"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    (repo / "action.yml").write_text(CONFIGURE_AWS, encoding="utf-8")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "stand-in")
    git(repo, "tag", "v4")
    return (base / "mirror").as_uri() + "/{owner}/{repo}"


def make_project(base: Path, files: dict[str, str]) -> Project:
    repo = base / "repo"
    repo.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
    write_tree(repo, files)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "project")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("CONVEYOR_", "PYTEST_", "GITHUB_")) or k == NO_AGENT
    }
    if "CONVEYOR_EXECUTOR" in os.environ:
        env["CONVEYOR_EXECUTOR"] = os.environ["CONVEYOR_EXECUTOR"]
    env["CI"] = "true"
    env[NO_AGENT] = "1"
    env["CONVEYOR_HOME"] = str(base / "state")
    env["CONVEYOR_ACTIONS_URL"] = action_mirror(base)
    env["PATH"] = os.pathsep.join([str(python_env(base)), str(stand_ins(base)), "/usr/bin", "/bin"])
    return Project(repo, base / "state", env)
