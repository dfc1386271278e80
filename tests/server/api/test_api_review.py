"""Approvals (as the token's user, under the environment's rules), deployments and
rollback refusals, test results, flaky tests, quarantine, stats and schedules, against a
real ``conveyor serve``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from api_helpers import Api
from server_helpers import conveyor, wait_until

JUNIT = """\
<testsuite name="unit" tests="2">
  <testcase classname="tests.test_a" name="test_ok" time="0.5"/>
  <testcase classname="tests.test_a" name="test_bad" time="1.5">
    <failure message="assert 1 == 2">boom</failure>
  </testcase>
</testsuite>
"""


def _dispatch(api: Api, workflow: str) -> int:
    with api.client("write") as client:
        answer = client.post("/api/repos/o/demo/dispatch", json={"workflow": workflow})
    assert answer.status_code == 202, answer.text
    return int(answer.json()["run_id"])


def _waiting(api: Api, run_id: int) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def listed() -> bool:
        with api.client() as client:
            pending = client.get("/api/approvals").json()
        found[:] = [p for p in pending if p["run_id"] == run_id]
        return bool(found)

    wait_until(listed, 120, f"run {run_id} to wait for an approval")
    return found


def test_approve_as_the_token_user_under_the_environment_rules(api: Api) -> None:
    run_id = _dispatch(api, "deploy.yml")
    [waiting] = _waiting(api, run_id)
    assert waiting["job"] == "ship" and waiting["environment"] == "production"
    assert waiting["reviewers"] == ["bob"] and waiting["requested_by"] == "carol"
    with api.client("other") as client:  # eve has a reviewer token but is no reviewer here
        refused = client.post(f"/api/approvals/{run_id}/production/approve", json={})
    assert refused.status_code == 403
    assert "eve may not decide for 'production'" in refused.json()["detail"]
    with api.client("reviewer") as client:
        nothing = client.post(f"/api/approvals/{run_id}/staging/approve", json={})
        assert nothing.status_code == 404
        unknown = client.post("/api/approvals/999999/production/approve", json={})
        assert unknown.status_code == 404
        bad_verb = client.post(f"/api/approvals/{run_id}/production/maybe", json={})
        assert bad_verb.status_code == 422
        answer = client.post(
            f"/api/approvals/{run_id}/production/approve", json={"comment": "ship it"}
        )
        assert answer.status_code == 200, answer.text
        assert answer.json() == {
            "run_id": run_id,
            "environment": "production",
            "decision": "approved",
            "jobs": 1,
            "by": "bob",
        }
    detail = api.wait_run(run_id)
    assert detail["run"]["conclusion"] == "success"
    with api.client("reviewer") as client:
        again = client.post(f"/api/approvals/{run_id}/production/reject", json={})
    assert again.status_code == 409 and "already approved by bob" in again.json()["detail"]


def test_reject_from_the_cli_against_the_server(api: Api) -> None:
    run_id = _dispatch(api, "deploy.yml")
    _waiting(api, run_id)
    env = {"CONVEYOR_SERVER": api.url, "CONVEYOR_TOKEN": api.tokens["reviewer"]}
    listed = conveyor("pending", env=env)
    assert f"run {run_id}  ship  environment production" in listed
    out = conveyor("reject", str(run_id), "--env", "production", "--comment", "not now", env=env)
    assert out.strip() == f"rejected 1 job of run {run_id} for production (as bob)"
    detail = api.wait_run(run_id)
    assert detail["run"]["conclusion"] == "failure"
    [ship] = detail["jobs"]
    assert "bob" in ship["note"] and "not now" in ship["note"]


def test_deployments_and_rollback_refusals(api: Api) -> None:
    with api.client() as client:
        assert client.get("/api/deployments").json() == {"live": [], "history": []}
        assert client.get("/api/deployments", params={"app": "web"}).status_code == 200
    with api.client("reviewer") as client:
        answer = client.post(
            "/api/deployments/rollback", json={"app": "web", "environment": "production"}
        )
        missing = client.post("/api/deployments/rollback", json={"app": "web"})
    assert answer.status_code in (400, 404), answer.text
    assert "web" in answer.json()["detail"]
    assert missing.status_code == 422


def _ingest(api: Api, run_id: int, tmp: Path) -> None:
    report = tmp / "junit.xml"
    report.write_text(JUNIT, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "conveyor", "ingest", str(report), "--run", str(run_id),
         "--tier", "unit", "--commit", "abc", "--state-dir", str(api.state)],
        capture_output=True, text=True, timeout=120, check=False,
        env={**os.environ},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr


def test_test_results_flaky_quarantine_and_stats(api: Api, tmp_path: Path) -> None:
    [run_id] = api.local_runs
    _ingest(api, run_id, tmp_path)
    with api.client() as client:
        report = client.get(f"/api/runs/{run_id}/tests").json()
        flaky = client.get("/api/tests/flaky", params={"days": 30})
        stats = client.get("/api/stats", params={"days": 30, "workflow": "CI"}).json()
        detail = client.get(f"/api/runs/{run_id}").json()
        assert client.get("/api/runs/999999/tests").status_code == 404
    assert report["verdict"] == "failed"
    assert [f["test_id"] for f in report["failures"]] == ["tests.test_a::test_bad"]
    assert report["tiers"][0]["name"] == "unit" and report["tiers"][0]["passed"] == 1
    assert flaky.status_code == 200 and flaky.json() == []
    assert [w["workflow"] for w in stats["workflows"]] == ["CI"]
    assert stats["workflows"][0]["runs"] >= 1
    repository = detail["run"]["repository_name"]
    body = {"test": "tests.test_a::test_bad", "quarantined": True, "repository": repository}
    with api.client("write") as client:
        added = client.post("/api/tests/quarantine", json=body)
        twice = client.post("/api/tests/quarantine", json=body)
    assert added.status_code == 200 and added.json()["changed"] is True
    assert twice.json()["changed"] is False
    with api.client() as client:
        listed = client.get("/api/tests/quarantine", params={"repository": repository}).json()
        report = client.get(f"/api/runs/{run_id}/tests").json()
    assert [(q["test_id"], q["added_by"]) for q in listed] == [("tests.test_a::test_bad", "carol")]
    assert report["failures"][0]["quarantined"] is True
    with api.client("write") as client:
        released = client.post("/api/tests/quarantine", json={**body, "quarantined": False})
        gone = client.post("/api/tests/quarantine", json={**body, "quarantined": False})
    assert released.json()["changed"] is True
    assert gone.status_code == 404


def test_schedules_of_a_server_without_the_daemon(api: Api) -> None:
    with api.client() as client:
        answer = client.get("/api/schedules")
        too_many = client.get("/api/schedules", params={"count": 0})
    assert answer.status_code == 200 and answer.json() == []
    assert too_many.status_code == 422
