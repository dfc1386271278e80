from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from action_helpers import Env

from conveyor.actions import setup_go, setup_node, setup_python

RUNNING = ".".join(str(n) for n in sys.version_info[:3])
MINOR = f"{sys.version_info[0]}.{sys.version_info[1]}"


def test_setup_python_finds_running_version(env: Env) -> None:
    result = setup_python.run(env.context({"python-version": RUNNING}))
    assert result.ok, result.message
    assert result.outputs["python-version"] == RUNNING
    python = Path(result.outputs["python-path"])
    assert python.is_file()
    assert result.env["pythonLocation"]
    shim = Path(result.path[-1])
    assert shim.is_relative_to(env.state_dir)
    out = subprocess.run(
        [str(shim / "python"), "-c", "import sys; print(sys.version_info[:3])"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert out.strip() == str(tuple(sys.version_info[:3]))
    assert f"Using CPython {RUNNING}" in env.output.text


@pytest.mark.parametrize("spec", [MINOR, f">={MINOR}", f"{sys.version_info[0]}.x"])
def test_setup_python_ranges(env: Env, spec: str) -> None:
    result = setup_python.run(env.context({"python-version": spec}))
    assert result.ok, result.message
    assert result.outputs["python-version"].startswith(f"{sys.version_info[0]}.")


def test_setup_python_missing_version_fails_clearly(env: Env) -> None:
    result = setup_python.run(env.context({"python-version": "2.6"}))
    assert not result.ok
    assert "'2.6'" in result.message
    assert RUNNING in result.message, "names the versions found"
    assert "pyenv install 2.6" in result.message and "uv python install 2.6" in result.message


def test_setup_python_version_file(env: Env) -> None:
    (env.workspace / ".python-version").write_text(f"# pinned\n{RUNNING}\n")
    result = setup_python.run(env.context({"python-version-file": ".python-version"}))
    assert result.ok, result.message
    assert result.outputs["python-version"] == RUNNING
    (env.workspace / "pyproject.toml").write_text(f'[project]\nrequires-python = ">={MINOR}"\n')
    assert setup_python.run(env.context({"python-version-file": "pyproject.toml"})).ok
    missing = setup_python.run(env.context({"python-version-file": "nope.txt"}))
    assert not missing.ok and "nope.txt" in missing.message


def test_setup_python_without_input_uses_python_version_file(env: Env) -> None:
    (env.workspace / ".python-version").write_text("2.5\n")
    result = setup_python.run(env.context({}))
    assert not result.ok and "'2.5'" in result.message


@pytest.mark.skipif(shutil.which("pypy3") is not None, reason="PyPy installed")
def test_setup_python_pypy_is_explained(env: Env) -> None:
    result = setup_python.run(env.context({"python-version": "pypy3.10"}))
    assert not result.ok
    assert "PyPy" in result.message and "does not download" in result.message


def test_setup_python_options(env: Env) -> None:
    result = setup_python.run(
        env.context({"python-version": RUNNING, "cache": "pip", "update-environment": "false"})
    )
    assert result.ok, result.message
    assert result.path == [] and result.env == {}
    assert "cache: pip" in env.output.text


@pytest.mark.skipif(shutil.which("node", path="/usr/bin:/bin") is None, reason="no node")
def test_setup_node_finds_installed(env: Env) -> None:
    result = setup_node.run(env.context({"node-version": "x"}))
    assert result.ok, result.message
    assert result.outputs["node-version"].startswith("v")
    assert all((Path(p) / "node").exists() for p in result.path)


def test_setup_node_missing(env: Env) -> None:
    result = setup_node.run(env.context({"node-version": "0.1"}))
    assert not result.ok
    assert "'0.1'" in result.message and "nvm install 0" in result.message


def test_setup_node_version_file(env: Env) -> None:
    (env.workspace / ".nvmrc").write_text("0.2\n")
    result = setup_node.run(env.context({"node-version-file": ".nvmrc"}))
    assert not result.ok and "'0.2'" in result.message


def test_setup_go_missing(env: Env) -> None:
    (env.workspace / "go.mod").write_text("module x\n\ngo 0.1\n")
    result = setup_go.run(env.context({"go-version-file": "go.mod"}))
    assert not result.ok
    assert "'0.1'" in result.message and "golang.org/dl/go0.1" in result.message
