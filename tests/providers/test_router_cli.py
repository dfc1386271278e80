"""`conveyor router status|stop|start` on a state directory with a deployed app."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from providers_helpers import artifact, marked_processes, target

from conveyor.cli.main import main
from conveyor.providers.process import ProcessProvider


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    code = main(list(args))
    return code, capsys.readouterr().out


def test_status_stop_and_start(
    provider: ProcessProvider, state_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = target()
    first = provider.publish(where, provider.stage(where, artifact(tmp_path, "v1")))
    provider.switch(where, first)
    second = provider.publish(where, provider.stage(where, artifact(tmp_path, "v2")))
    url = provider.endpoint(where)
    state = str(state_dir)

    code, out = run_cli(capsys, "router", "status", "--state-dir", state, "--json")
    assert code == 0
    [entry] = json.loads(out)
    assert (entry["app"], entry["environment"], entry["router"], entry["live"]) == (
        "web",
        "dev",
        url,
        first,
    )
    assert [(v["id"], v["name"], v["running"]) for v in entry["versions"]] == [
        (first, "v1", True),
        (second, "v2", True),
    ]
    code, out = run_cli(capsys, "router", "status", "--state-dir", state)
    assert out.splitlines()[0] == f"web in dev: {url}"
    assert out.splitlines()[1].startswith(f"  * {first:>3}  v1  published, running on")

    code, out = run_cli(capsys, "router", "stop", "--state-dir", state, "--app", "web")
    assert (code, out) == (0, "stopped 3 processes\n")
    assert marked_processes(state_dir) == []
    code, out = run_cli(capsys, "router", "status", "--state-dir", state)
    assert out.splitlines()[0] == "web in dev: router stopped"

    code, out = run_cli(capsys, "router", "start", "--state-dir", state)
    assert (code, out) == (0, f"web in dev: {url} (live: {first})\n")
    assert httpx.get(f"{url}/version").text == "v1"


def test_start_with_nothing_deployed(state_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out = run_cli(capsys, "router", "start", "--state-dir", str(state_dir))
    assert (code, out) == (0, "nothing is live: deploy first\n")
    code, out = run_cli(capsys, "router", "status", "--state-dir", str(state_dir))
    assert out == "no app was deployed with the process provider here\n"
