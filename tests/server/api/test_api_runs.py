"""Runs, logs (and following them as server-sent events), dispatch, cancel and re-run,
against a real ``conveyor serve`` whose history has a run recorded by ``conveyor run``."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import httpx
from api_helpers import Api
from server_helpers import wait_until


def _sse(api: Api, path: str, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """Every event of a stream until it ends, with the time each one came."""
    events: list[dict[str, Any]] = []
    with (
        api.client() as client,
        client.stream("GET", path, headers=headers or {}, timeout=120) as answer,
    ):
        assert answer.status_code == 200, answer.read()
        assert answer.headers["content-type"].startswith("text/event-stream")
        current: dict[str, Any] = {}
        for raw in answer.iter_lines():
            if raw == "":
                if "data" in current:
                    current["at"] = time.monotonic()
                    events.append(current)
                current = {}
                continue
            name, _, value = raw.partition(":")
            current[name] = value.removeprefix(" ")
    return events


def test_the_local_run_is_listed_with_its_jobs(api: Api) -> None:
    [run_id] = api.local_runs
    with api.client() as client:
        page = client.get("/api/runs").json()
        detail = client.get(f"/api/runs/{run_id}").json()
    assert page["next_before"] is None
    assert page["runs"][0]["workflow_name"] == "CI"
    assert page["runs"][0]["conclusion"] == "failure"
    jobs = {job["job_key"]: job for job in detail["jobs"]}
    assert jobs["build"]["conclusion"] == "success"
    assert jobs["build"]["outputs"] == {"greeting": "hi"}
    assert jobs["test"]["needs"] == ["build"]
    assert jobs["test"]["conclusion"] == "failure"
    assert jobs["test"]["steps"][0]["name"] == "tests"
    assert jobs["test"]["steps"][0]["exit_code"] == 1
    assert jobs["test"]["duration"] is not None


def test_unknown_and_invalid_runs(api: Api) -> None:
    with api.client() as client:
        missing = client.get("/api/runs/999999")
        assert missing.status_code == 404
        assert "no run 999999" in missing.json()["detail"]
        assert client.get("/api/runs/abc").status_code == 422
        assert client.get("/api/runs/0").status_code == 422
        assert client.get("/api/runs?status=bogus").status_code == 400
        assert client.get("/api/runs?limit=0").status_code == 422
        assert client.get("/api/runs?repository=nope").status_code == 404
        assert client.get("/api/runs/999999/logs").status_code == 404


def test_logs_of_a_run_a_job_and_a_step(api: Api) -> None:
    [run_id] = api.local_runs
    with api.client() as client:
        every = client.get(f"/api/runs/{run_id}/logs").json()
        test_job = client.get(f"/api/runs/{run_id}/logs", params={"job": "test"}).json()
        by_name = client.get(
            f"/api/runs/{run_id}/logs", params={"job": "build", "step": "0"}
        ).json()
        later = client.get(
            f"/api/runs/{run_id}/logs", params={"after": every["lines"][0]["seq"]}
        ).json()
        no_job = client.get(f"/api/runs/{run_id}/logs", params={"job": "nope"})
    texts = [line["text"] for line in every["lines"]]
    assert "hello nobody" in texts and "testing" in texts
    assert {line["job"] for line in test_job["lines"]} == {"test"}
    assert [line["text"] for line in by_name["lines"]] == ["hello nobody"]
    assert set(by_name["lines"][0]) == {"seq", "job", "step", "stream", "time", "text"}
    assert later["lines"] == every["lines"][1:]
    assert no_job.status_code == 400 and "its jobs: build, test" in no_job.json()["detail"]


def test_follow_a_finished_run_ends_and_honours_last_event_id(api: Api) -> None:
    [run_id] = api.local_runs
    events = _sse(api, f"/api/runs/{run_id}/logs?follow=1")
    lines = [e for e in events if "event" not in e]
    assert [json.loads(e["data"])["text"] for e in lines][:1] == ["hello nobody"]
    assert [e["id"] for e in lines] == [str(json.loads(e["data"])["seq"]) for e in lines]
    assert events[-1]["event"] == "end"
    assert json.loads(events[-1]["data"])["conclusion"] == "failure"
    again = _sse(
        api, f"/api/runs/{run_id}/logs?follow=1", headers={"Last-Event-ID": lines[0]["id"]}
    )
    assert [e["data"] for e in again if "event" not in e] == [e["data"] for e in lines[1:]]


def test_dispatch_and_follow_lines_while_the_run_writes_them(api: Api) -> None:
    with api.client("write") as client:
        answer = client.post(
            "/api/repos/o/demo/dispatch", json={"workflow": "slow.yml", "inputs": {}}
        )
    assert answer.status_code == 202, answer.text
    run_id = answer.json()["run_id"]
    events = _sse(api, f"/api/runs/{run_id}/logs?follow=1")
    ticks = [json.loads(e["data"]) for e in events if "event" not in e]
    assert [t["text"] for t in ticks] == [f"tick {i}" for i in range(1, 9)]
    assert {t["job"] for t in ticks} == {"tick"} and {t["step"] for t in ticks} == {0}
    arrivals = [e["at"] for e in events if "event" not in e]
    assert arrivals[-1] - arrivals[0] > 2.0  # streamed as written (0.5 s apart), not at the end
    assert events[-1]["event"] == "end"
    assert json.loads(events[-1]["data"]) == {
        "run_id": run_id,
        "status": "completed",
        "conclusion": "success",
    }
    detail = api.wait_run(run_id)
    assert detail["run"]["event"] == "workflow_dispatch"
    assert detail["run"]["actor"] == "carol"  # the token's user started it


def test_dispatch_with_inputs_and_the_refusals(api: Api) -> None:
    with api.client("write") as client:
        answer = client.post(
            "/api/repos/o/demo/dispatch",
            json={"workflow": "ci", "ref": "main", "inputs": {"who": "the api"}},
        )
        assert answer.status_code == 202, answer.text
        run_id = answer.json()["run_id"]
        unknown_repo = client.post("/api/repos/nope/dispatch", json={"workflow": "ci"})
        unknown_flow = client.post("/api/repos/o/demo/dispatch", json={"workflow": "zzz"})
        bad_ref = client.post("/api/repos/o/demo/dispatch", json={"workflow": "ci", "ref": "x"})
        bad_input = client.post(
            "/api/repos/o/demo/dispatch", json={"workflow": "ci", "inputs": {"nope": 1}}
        )
        extra = client.post("/api/repos/o/demo/dispatch", json={"workflow": "ci", "x": 1})
        not_json = client.post(
            "/api/repos/o/demo/dispatch",
            content=b"{nope",
            headers={"Content-Type": "application/json"},
        )
    assert unknown_repo.status_code == 404
    assert unknown_flow.status_code == 404 and "ci.yml" in unknown_flow.json()["detail"]
    assert bad_ref.status_code == 404
    assert bad_input.status_code == 400, bad_input.text
    assert extra.status_code == 422 and not_json.status_code == 422
    with api.client("write") as client:
        as_text = client.post(
            "/api/repos/o/demo/dispatch",
            content=b'{"workflow": "ci"}',
            headers={"Content-Type": "text/plain"},
        )
    assert as_text.status_code == 422
    with api.client("write") as client:
        huge = client.post(
            "/api/repos/o/demo/dispatch",
            json={"workflow": "ci", "inputs": {"who": "x" * (2 * 1024 * 1024)}},
        )
    assert huge.status_code == 413 and "at most 1048576" in huge.json()["detail"]
    api.wait_run(run_id)
    with api.client() as client:
        lines = client.get(f"/api/runs/{run_id}/logs", params={"job": "build"}).json()
        dispatched = client.get("/api/runs", params={"event": "workflow_dispatch"}).json()
        by_carol = client.get("/api/runs", params={"actor": "carol"}).json()
        on_main = client.get("/api/runs", params={"branch": "main", "workflow": "CI"}).json()
        failed = client.get("/api/runs", params={"status": "failure"}).json()
        of_demo = client.get("/api/runs", params={"repository": "o/demo"}).json()
    assert "hello the api" in [line["text"] for line in lines["lines"]]
    assert run_id in [r["id"] for r in dispatched["runs"]]
    assert {r["event"] for r in dispatched["runs"]} == {"workflow_dispatch"}
    assert {r["actor"] for r in by_carol["runs"]} == {"carol"}
    assert {r["workflow_name"] for r in on_main["runs"]} == {"CI"}
    assert {r["conclusion"] for r in failed["runs"]} == {"failure"}
    assert run_id in [r["id"] for r in of_demo["runs"]]


def test_paging_newest_first(api: Api) -> None:
    with api.client() as client:
        every = [r["id"] for r in client.get("/api/runs", params={"limit": 500}).json()["runs"]]
        seen: list[int] = []
        before = None
        while True:
            params = {"limit": 1} if before is None else {"limit": 1, "before": before}
            page = client.get("/api/runs", params=params).json()
            seen += [r["id"] for r in page["runs"]]
            before = page["next_before"]
            if before is None:
                break
    assert len(every) >= 2
    assert seen == every


def test_cancel_a_running_run_and_rerun_the_failed_jobs(api: Api) -> None:
    with api.client("write") as client:
        run_id = client.post("/api/repos/o/demo/dispatch", json={"workflow": "slow.yml"}).json()[
            "run_id"
        ]
        first_line = threading.Event()

        def watch() -> None:
            with (
                api.client() as reader,
                reader.stream("GET", f"/api/runs/{run_id}/logs?follow=1", timeout=120) as answer,
            ):
                for raw in answer.iter_lines():
                    if raw.startswith("data:") and "tick" in raw:
                        first_line.set()
                        return

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        assert first_line.wait(60)
        answer = client.post(f"/api/runs/{run_id}/cancel")
        assert answer.status_code == 202, answer.text
        detail = api.wait_run(run_id)
        assert detail["run"]["conclusion"] == "cancelled"
        again = client.post(f"/api/runs/{run_id}/cancel")
        assert again.status_code == 409 and "already finished" in again.json()["detail"]

        [local] = api.local_runs
        before = client.get(f"/api/runs/{local}").json()
        rerun = client.post(f"/api/runs/{local}/rerun", json={"failed_only": True})
        assert rerun.status_code == 202, rerun.text
        assert rerun.json()["run_id"] == local  # the run's next attempt
        assert client.post("/api/runs/999999/rerun", json={}).status_code == 404
        wait_until(
            lambda: client.get(f"/api/runs/{local}").json()["run"]["attempt"] == 2,
            30,
            "the second attempt",
        )
    detail = api.wait_run(local)
    assert detail["run"]["attempt"] == 2
    jobs = {job["job_key"]: job for job in detail["jobs"]}  # type: ignore[attr-defined]
    old = {job["job_key"]: job for job in before["jobs"]}
    assert "test" in jobs
    for key, job in old.items():  # what succeeded is kept as it was; the failed ran again
        if job["conclusion"] == "success":
            assert jobs[key]["started_at"] == job["started_at"], key
        elif job["conclusion"] == "failure":
            assert jobs[key]["started_at"] != job["started_at"], key


def test_a_run_without_a_queue_is_not_cancelled_elsewhere(api: Api) -> None:
    """An in-progress run of another process (a local `conveyor run`) is not this server's."""
    with api.client("write") as client:
        answer = client.post(f"/api/runs/{api.local_runs[0]}/cancel")
    assert answer.status_code == 409


def test_openapi_documents_every_route(api: Api) -> None:
    document = httpx.get(api.url + "/api/openapi.json", timeout=30).json()
    paths = set(document["paths"])
    for path in (
        "/api/runs",
        "/api/runs/{run_id}",
        "/api/runs/{run_id}/logs",
        "/api/runs/{run_id}/cancel",
        "/api/runs/{run_id}/rerun",
        "/api/repos/{name}/dispatch",
        "/api/approvals",
        "/api/approvals/{run_id}/{environment}/{decision}",
        "/api/deployments",
        "/api/deployments/rollback",
        "/api/runs/{run_id}/tests",
        "/api/tests/flaky",
        "/api/tests/quarantine",
        "/api/stats",
        "/api/schedules",
    ):
        assert path in paths, path
    assert "HTTPBearer" in document["components"]["securitySchemes"]
