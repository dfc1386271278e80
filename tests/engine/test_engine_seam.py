"""The executor seam: the engine's scheduling driven by an in-memory fake executor, and the
plain-data round-trips of what crosses the seam (requests, events, outcomes)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import msgspec
import pytest
from engine_helpers import Recorder, git_repo, write

from conveyor.actions import DefaultActionProvider
from conveyor.engine.events import (
    Annotation,
    Event,
    JobFinished,
    JobStarted,
    LogLine,
    RunFinished,
    RunStarted,
    StepFinished,
    StepStarted,
    decode_event,
    encode_event,
)
from conveyor.engine.masking import Masker
from conveyor.engine.run import RunReport, run_workflows
from conveyor.engine.runstate import RunOptions, Services
from conveyor.engine.status import Conclusion
from conveyor.engine.wire import (
    JobOutcome,
    JobRequest,
    RunRef,
    SecretExpr,
    SecretRef,
    decode_outcome,
    decode_request,
    encode,
)
from conveyor.planner.build import plan_workflow
from conveyor.planner.github import RepoFacts
from conveyor.planner.plan import decode_workflow, encode_workflow
from conveyor.workflow.loader import load_workflow

Script = Callable[[JobRequest, threading.Event], JobOutcome]


@dataclass
class FakeExecutor:
    """Executes nothing: answers each job from ``scripts`` (by job id; default success) and
    records what it was asked, when, and with which request."""

    scripts: dict[str, Script] = field(default_factory=dict)
    started: dict[str, float] = field(default_factory=dict)
    ended: dict[str, float] = field(default_factory=dict)
    requests: dict[str, JobRequest] = field(default_factory=dict)
    running: int = 0
    most_running: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def execute(
        self,
        request: JobRequest,
        publish: Callable[[Event], None],
        cancel: threading.Event,
        stop: threading.Event,
    ) -> JobOutcome:
        del publish, stop
        key = request.job_key
        with self.lock:
            self.started[key] = time.monotonic()
            self.requests[key] = request
            self.running += 1
            self.most_running = max(self.most_running, self.running)
        try:
            script = self.scripts.get(
                request.job.id, lambda _r, _c: JobOutcome(Conclusion.SUCCESS, "success")
            )
            return script(request, cancel)
        finally:
            with self.lock:
                self.running -= 1
                self.ended[key] = time.monotonic()

    def close(self) -> None:
        return None


def sleeping(seconds: float, outputs: dict[str, str] | None = None) -> Script:
    def script(_request: JobRequest, cancel: threading.Event) -> JobOutcome:
        if cancel.wait(seconds):
            return JobOutcome(Conclusion.CANCELLED, "cancelled")
        return JobOutcome(Conclusion.SUCCESS, "success", dict(outputs or {}))

    return script


def failing(_request: JobRequest, _cancel: threading.Event) -> JobOutcome:
    return JobOutcome(Conclusion.FAILURE, "failure", counts_as_failure=True)


def run_fake(
    repo: Path, text: str, fake: FakeExecutor, **options: object
) -> tuple[list[RunReport], Recorder]:
    path = write(repo, ".github/workflows/wf.yml", text)
    loaded = load_workflow(str(path))
    opts = RunOptions(
        repo=RepoFacts(root=repo, repository="octo/demo"),
        state_dir=repo / ".conveyor",
        **{"max_jobs": 4, **options},  # type: ignore[arg-type]
    )
    plan = plan_workflow(
        loaded.require(), path=str(path), event="push", payload={}, document=loaded.document
    )
    recorder = Recorder()
    services = Services(
        executor=fake,
        actions=DefaultActionProvider(repo / ".conveyor"),
        masker=Masker(),
        sinks=[recorder],
    )
    return run_workflows([plan], opts, services), recorder


def finished(recorder: Recorder) -> dict[str, str]:
    return {e.job_key: str(e.conclusion) for e in recorder.events if isinstance(e, JobFinished)}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return git_repo(tmp_path / "repo")


def test_fake_executor_drives_a_ready_set_without_stage_barriers(repo: Path) -> None:
    fake = FakeExecutor({"slow": sleeping(0.6), "fast": sleeping(0.05)})
    reports, recorder = run_fake(
        repo,
        """
        on: push
        jobs:
          slow: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
          fast: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
          after-fast: {needs: fast, runs-on: ubuntu-latest, steps: [{run: "true"}]}
          last: {needs: [slow, after-fast], runs-on: ubuntu-latest, steps: [{run: "true"}]}
        """,
        fake,
    )
    assert reports[0].conclusion is Conclusion.SUCCESS
    assert fake.started["after-fast"] < fake.ended["slow"]  # did not wait for the stage
    assert fake.started["last"] >= max(fake.ended["slow"], fake.ended["after-fast"])
    assert set(finished(recorder)) == {"slow", "fast", "after-fast", "last"}


def test_needs_outputs_become_a_matrix_and_reach_the_request(repo: Path) -> None:
    fake = FakeExecutor({"setup": sleeping(0.0, {"versions": '["3.11", "3.12"]'})})
    run_fake(
        repo,
        """
        on: push
        jobs:
          setup:
            runs-on: ubuntu-latest
            outputs: {versions: "${{ steps.x.outputs.v }}"}
            steps: [{id: x, run: "true"}]
          test:
            needs: setup
            runs-on: ubuntu-latest
            strategy:
              matrix:
                python: ${{ fromJSON(needs.setup.outputs.versions) }}
            steps: [{run: "true"}]
        """,
        fake,
    )
    keys = sorted(k for k in fake.requests if k.startswith("test"))
    assert keys == ["test (3.11)", "test (3.12)"]
    request = fake.requests["test (3.12)"]
    assert request.contexts["matrix"] == {"python": "3.12"}
    assert request.contexts["strategy"]["job-total"] == 2
    assert request.contexts["needs"]["setup"]["result"] == "success"


def test_fail_fast_cancels_the_other_combinations_through_the_seam(repo: Path) -> None:
    def by_leg(request: JobRequest, cancel: threading.Event) -> JobOutcome:
        if request.contexts["matrix"]["n"] == 1:
            time.sleep(0.05)
            return failing(request, cancel)
        return sleeping(10)(request, cancel)

    fake = FakeExecutor({"legs": by_leg})
    started = time.monotonic()
    reports, recorder = run_fake(
        repo,
        """
        on: push
        jobs:
          legs:
            runs-on: ubuntu-latest
            strategy: {matrix: {n: [1, 2, 3]}}
            steps: [{run: "true"}]
        """,
        fake,
    )
    assert time.monotonic() - started < 5
    assert reports[0].conclusion is Conclusion.FAILURE
    jobs = finished(recorder)
    assert jobs["legs (1)"] == "failure"
    assert jobs["legs (2)"] == jobs["legs (3)"] == "cancelled"
    note = next(
        e.note for e in recorder.events if isinstance(e, JobFinished) and e.job_key == "legs (2)"
    )
    assert "fail-fast: legs (1) failed" in note


def test_failed_need_skips_dependants_and_max_parallel_caps_the_fake(repo: Path) -> None:
    fake = FakeExecutor({"build": failing, "wide": sleeping(0.1)})
    reports, recorder = run_fake(
        repo,
        """
        on: push
        jobs:
          build: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
          deploy: {needs: build, runs-on: ubuntu-latest, steps: [{run: "true"}]}
          report:
            needs: build
            if: always()
            runs-on: ubuntu-latest
            steps: [{run: "true"}]
          wide:
            runs-on: ubuntu-latest
            strategy: {max-parallel: 2, matrix: {n: [1, 2, 3, 4, 5]}}
            steps: [{run: "true"}]
        """,
        fake,
    )
    jobs = finished(recorder)
    assert jobs["deploy"] == "skipped" and "deploy" not in fake.requests
    assert jobs["report"] == "success" and "report" in fake.requests
    assert reports[0].conclusion is Conclusion.FAILURE
    wide = [k for k in fake.started if k.startswith("wide")]
    assert len(wide) == 5
    overlapping = max(
        sum(1 for o in wide if fake.started[o] <= fake.started[k] < fake.ended[o]) for k in wide
    )
    assert overlapping <= 2


def test_continue_on_error_is_applied_by_the_orchestrator(repo: Path) -> None:
    fake = FakeExecutor({"lint": failing})
    reports, recorder = run_fake(
        repo,
        """
        on: push
        jobs:
          lint: {runs-on: ubuntu-latest, continue-on-error: true, steps: [{run: "true"}]}
          after: {needs: lint, runs-on: ubuntu-latest, steps: [{run: "true"}]}
        """,
        fake,
    )
    assert reports[0].conclusion is Conclusion.SUCCESS
    assert finished(recorder) == {"lint": "failure", "after": "success"}


def test_requests_carry_secret_references_never_values(repo: Path) -> None:
    fake = FakeExecutor()
    write(
        repo,
        ".github/workflows/called.yml",
        """
        on:
          workflow_call:
            secrets:
              token: {required: true}
              combo: {required: false}
        jobs:
          inner: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
        """,
    )
    run_fake(
        repo,
        """
        on: push
        jobs:
          direct: {runs-on: ubuntu-latest, steps: [{run: "echo ${{ secrets.API_KEY }}"}]}
          call:
            uses: ./.github/workflows/called.yml
            secrets:
              token: ${{ secrets.API_KEY }}
              combo: ${{ secrets.API_KEY }}-${{ github.event_name }}
        """,
        fake,
        secrets={"API_KEY": "s3cr3t-value-9", "GITHUB_TOKEN": "tok-123"},
    )
    direct = fake.requests["direct"]
    inner = fake.requests["call/inner"]
    for request in (direct, inner):
        assert b"s3cr3t-value-9" not in encode(request)
        assert b"tok-123" not in encode(request)
    assert direct.secrets["API_KEY"] == SecretRef("API_KEY")
    assert inner.secrets["token"] == SecretRef("API_KEY")
    combo = inner.secrets["combo"]
    assert isinstance(combo, SecretExpr) and combo.secrets["API_KEY"] == SecretRef("API_KEY")
    assert inner.secrets["GITHUB_TOKEN"] == SecretRef("GITHUB_TOKEN")


def test_request_event_and_outcome_round_trip_as_json(repo: Path) -> None:
    fake = FakeExecutor()
    write(
        repo,
        "actions/greet/action.yml",
        """
        name: greet
        inputs: {who: {default: world}}
        outputs: {said: {value: "${{ steps.s.outputs.said }}"}}
        runs:
          using: composite
          steps:
            - id: s
              run: echo "said=hi ${{ inputs.who }}" >> "$GITHUB_OUTPUT"
              shell: bash
        """,
    )
    run_fake(
        repo,
        """
        on: push
        env: {LEVEL: "${{ github.event_name }}"}
        jobs:
          build:
            runs-on: ubuntu-latest
            environment: {name: staging, url: "https://x/${{ github.sha }}"}
            steps:
              - uses: ./actions/greet
                with: {who: you}
              - name: Deploy ${{ github.ref }}
                run: echo hi
                timeout-minutes: 3
        """,
        fake,
    )
    request = fake.requests["build"]
    data = encode(request)
    again = decode_request(data)
    assert again == request
    assert again.job.steps[0].action is not None
    assert again.job.steps[0].action.kind == "composite"
    inner = again.job.steps[0].action.steps[0].source
    assert inner.file.endswith("actions/greet/action.yml") and (inner.line, inner.col) == (7, 7)
    assert again.job.environment is not None and again.job.environment.name == "staging"
    assert isinstance(again.repo.root, Path)
    outcome = JobOutcome(Conclusion.FAILURE, "failure", {"a": "1"}, True, "why", "https://x")
    assert decode_outcome(encode(outcome)) == outcome
    events: list[Event] = [
        RunStarted(1, 2, "wf.yml", "CI", "push", "refs/heads/main", "abc", 1.5, 7, seq=1),
        JobStarted(1, "b (x)", "b", "B", {"x": 1}, ("ubuntu-latest",), 2.0, "staging", 2),
        StepStarted(1, "b (x)", 0, "step", 2.5, 3),
        LogLine(1, "b (x)", 0, "hello", 2.6, "stderr", 4),
        Annotation(1, "b (x)", 0, "error", "bad", "f.py", 3, 4, "T", 5),
        StepFinished(1, "b (x)", 0, "step", Conclusion.FAILURE, Conclusion.SUCCESS, 1, 2.5, 2.7),
        JobFinished(1, "b (x)", Conclusion.SUCCESS, 2.0, 3.0, {"o": "v"}, "n", "success", "u"),
        RunFinished(1, Conclusion.SUCCESS, 3.5, 9),
    ]
    for event in events:
        assert decode_event(encode_event(event)) == event
    with pytest.raises(msgspec.ValidationError):
        decode_event(b'{"kind": "no_such_event"}')


def test_plan_round_trips_and_a_foreign_schema_is_refused(repo: Path) -> None:
    path = write(
        repo,
        ".github/workflows/wf.yml",
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps: [{run: echo a, if: "${{ always() }}"}]
        """,
    )
    loaded = load_workflow(str(path))
    plan = plan_workflow(
        loaded.require(), path=str(path), event="push", payload={}, document=loaded.document
    )
    assert decode_workflow(encode_workflow(plan)) == plan
    step = plan.jobs[0].steps[0]
    assert (step.source.file, step.source.line) == (str(path), 5)
    assert step.where("if").col > step.source.col
    foreign = encode_workflow(plan).replace(b'"schema":1', b'"schema":99')
    with pytest.raises(ValueError, match="schema 99"):
        decode_workflow(foreign)
    request = JobRequest(
        run=RunRef(1, 1, "wf.yml", "w", "push"),
        job_key="a",
        job=plan.jobs[0],
        contexts={},
        secrets={},
        repo=RepoFacts(root=repo),
        state_dir=str(repo),
    )
    with pytest.raises(ValueError, match="schema 7"):
        decode_request(encode(request).replace(b'"schema":1}', b'"schema":7}'))


MATRIX = """
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        python: ["3.11", "3.12"]
        os: [ubuntu-latest, ubuntu-22.04]
    steps: [{run: "true"}]
  lint: {runs-on: ubuntu-latest, steps: [{run: "true"}]}
"""


def test_job_filter_takes_a_matrix_display_name(repo: Path) -> None:
    fake = FakeExecutor()
    run_fake(repo, MATRIX, fake, job_filter=("test (3.12, ubuntu-22.04)",))
    assert sorted(fake.requests) == ["test (3.12, ubuntu-22.04)"]


def test_matrix_filter_keeps_matching_combinations(repo: Path) -> None:
    fake = FakeExecutor()
    run_fake(repo, MATRIX, fake, matrix_filter={"python": ("3.11",)})
    assert sorted(fake.requests) == [
        "lint",
        "test (3.11, ubuntu-22.04)",
        "test (3.11, ubuntu-latest)",
    ]
    fake = FakeExecutor()
    _reports, recorder = run_fake(repo, MATRIX, fake, matrix_filter={"python": ("2.7",)})
    assert sorted(fake.requests) == ["lint"]
    assert finished(recorder)["test"] == "skipped"
