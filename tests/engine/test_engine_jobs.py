from __future__ import annotations

import itertools
import time
from pathlib import Path

from engine_helpers import run_text

from conveyor.engine.events import JobStarted


def test_needs_results_outputs_and_skips(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            outputs:
              value: ${{ steps.v.outputs.value }}
            steps:
              - id: v
                run: echo "value=42" >> "$GITHUB_OUTPUT"
          b:
            needs: a
            runs-on: ubuntu-latest
            steps:
              - run: echo "got ${{ needs.a.outputs.value }} ${{ needs.a.result }}"
              - run: exit 1
          c:
            needs: b
            runs-on: ubuntu-latest
            steps:
              - run: echo never
          d:
            needs: [a, b]
            if: failure()
            runs-on: ubuntu-latest
            steps:
              - run: echo "b was ${{ needs.b.result }}"
          e:
            needs: c
            if: always()
            runs-on: ubuntu-latest
            steps:
              - run: echo "c was ${{ needs.c.result }}"
          f:
            needs: a
            if: ${{ needs.a.outputs.value == '41' }}
            runs-on: ubuntu-latest
            steps:
              - run: echo never
        """,
    )
    assert result.conclusion == "failure"
    assert result.jobs() == {
        "a": "success",
        "b": "failure",
        "c": "skipped",
        "d": "success",
        "e": "success",
        "f": "skipped",
    }
    assert "got 42 success" in result.lines("b")
    assert "b was failure" in result.lines("d")
    assert "c was skipped" in result.lines("e")
    assert result.job("a").outputs == {"value": "42"}


def test_ready_set_no_stage_barrier(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          slow:
            runs-on: ubuntu-latest
            steps:
              - run: sleep 1.5
          fast:
            runs-on: ubuntu-latest
            steps:
              - run: "true"
          after-fast:
            needs: fast
            runs-on: ubuntu-latest
            steps:
              - run: "true"
        """,
    )
    assert result.conclusion == "success"
    started = {e.job_key: e.started_at for e in result.events if isinstance(e, JobStarted)}
    assert started["after-fast"] < result.job("slow").ended_at - 0.5


def test_job_continue_on_error_does_not_fail_run(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          flaky:
            runs-on: ubuntu-latest
            continue-on-error: true
            steps:
              - run: exit 1
          next:
            needs: flaky
            runs-on: ubuntu-latest
            steps:
              - run: echo "flaky=${{ needs.flaky.result }}"
        """,
    )
    assert result.conclusion == "success"
    assert result.jobs()["flaky"] == "failure"
    assert "flaky=success" in result.lines("next")


def test_job_timeout(repo: Path) -> None:
    begin = time.time()
    result = run_text(
        repo,
        """
        on: push
        jobs:
          slow:
            runs-on: ubuntu-latest
            timeout-minutes: 0.02
            steps:
              - run: sleep 30
              - run: echo never
        """,
    )
    assert time.time() - begin < 10
    assert result.conclusion == "failure"
    assert result.jobs()["slow"] == "timed_out"
    assert "timed out" in result.job("slow").note


def test_matrix_strategy_context_and_keys(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                py: ["3.11", "3.12"]
                os: [ubuntu-latest]
                include:
                  - py: "3.12"
                    extra: yes
            steps:
              - run: >-
                  echo "py=${{ matrix.py }} extra=${{ matrix.extra }}
                  idx=${{ strategy.job-index }}/${{ strategy.job-total }}"
        """,
    )
    assert result.conclusion == "success", result.text()
    assert set(result.jobs()) == {"test (3.11, ubuntu-latest)", "test (3.12, ubuntu-latest, yes)"}
    assert "py=3.12 extra=yes idx=1/2" in result.lines("test (3.12, ubuntu-latest, yes)")


def test_dynamic_matrix_from_needs_outputs(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          gen:
            runs-on: ubuntu-latest
            outputs:
              m: ${{ steps.g.outputs.m }}
            steps:
              - id: g
                run: echo 'm={"n":[1,2,3]}' >> "$GITHUB_OUTPUT"
          use:
            needs: gen
            runs-on: ubuntu-latest
            strategy:
              matrix: ${{ fromJSON(needs.gen.outputs.m) }}
            steps:
              - run: echo "n=${{ matrix.n }}"
        """,
    )
    assert result.conclusion == "success", result.text()
    assert {"use (1)", "use (2)", "use (3)"} <= set(result.jobs())


def test_fail_fast_cancels_siblings(repo: Path) -> None:
    begin = time.time()
    result = run_text(
        repo,
        """
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              matrix:
                n: [1, 2, 3]
            steps:
              - run: |
                  if [ "${{ matrix.n }}" = "1" ]; then sleep 0.3; exit 1; fi
                  sleep 30
        """,
        max_jobs=2,
    )
    assert time.time() - begin < 10
    assert result.jobs() == {
        "test (1)": "failure",
        "test (2)": "cancelled",
        "test (3)": "cancelled",
    }
    assert result.conclusion == "failure"


def test_fail_fast_false_lets_siblings_finish(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              fail-fast: false
              matrix:
                n: [1, 2]
            steps:
              - run: test "${{ matrix.n }}" = 2
        """,
    )
    assert result.jobs() == {"test (1)": "failure", "test (2)": "success"}


def test_max_parallel_limits_concurrency(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          test:
            runs-on: ubuntu-latest
            strategy:
              max-parallel: 1
              matrix:
                n: [1, 2, 3]
            steps:
              - run: sleep 0.2
        """,
        max_jobs=4,
    )
    assert result.conclusion == "success"
    spans = sorted(
        (e.started_at, e.ended_at) for e in result.events if type(e).__name__ == "JobFinished"
    )
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end - 0.01


def test_runs_on_unsupported_skipped_with_note_and_platform_mapping(repo: Path) -> None:
    text = """
        on: push
        jobs:
          win:
            runs-on: windows-latest
            steps:
              - run: echo ran-win
          mac:
            runs-on: [self-hosted, macos-14]
            steps:
              - run: echo ran-mac
          lin:
            runs-on: ubuntu-22.04
            steps:
              - run: echo ran-lin
        """
    result = run_text(repo, text)
    assert result.jobs() == {"win": "skipped", "mac": "skipped", "lin": "success"}
    assert "--platform windows-latest=local" in result.job("win").note
    assert result.conclusion == "success"
    mapped = run_text(repo, text, platforms={"windows-latest": "local", "ubuntu-22.04": "skip"})
    assert mapped.jobs() == {"win": "success", "mac": "skipped", "lin": "skipped"}
    assert "ran-win" in mapped.lines("win")


def test_docker_container_and_docker_step_fail_clearly(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          boxed:
            runs-on: ubuntu-latest
            container: node:20
            steps:
              - run: echo hi
          step:
            runs-on: ubuntu-latest
            steps:
              - name: dock
                uses: docker://alpine:3
        """,
    )
    assert result.conclusion == "failure"
    assert "needs Docker, which conveyor does not use" in result.job("boxed").note
    assert "boxed" in result.job("boxed").note
    assert "needs Docker" in result.steps("step")["dock"].note


def test_job_filter_selects_needs(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          a:
            runs-on: ubuntu-latest
            steps: [{run: "true"}]
          b:
            needs: a
            runs-on: ubuntu-latest
            steps: [{run: "true"}]
          c:
            runs-on: ubuntu-latest
            steps: [{run: "true"}]
        """,
        job_filter=("b",),
    )
    assert result.jobs() == {"a": "success", "b": "success"}


def test_job_level_concurrency_serialises_matrix_legs(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            concurrency: env-${{ github.ref }}
            strategy:
              matrix:
                n: [1, 2]
            steps:
              - run: sleep 0.3
        """,
        max_jobs=4,
    )
    assert result.conclusion == "success", result.text()
    steps = sorted(
        (e.started_at, e.ended_at) for e in result.events if type(e).__name__ == "StepFinished"
    )
    assert steps[1][0] >= steps[0][1]  # the second leg's step waited for the group
    assert "waiting for concurrency group 'env-refs/heads/main'" in result.text()


def test_interrupt_cancels_running_job(repo: Path) -> None:
    import threading

    interrupt = threading.Event()
    threading.Timer(0.8, interrupt.set).start()
    begin = time.time()
    result = run_text(
        repo,
        """
        on: push
        jobs:
          nap:
            runs-on: ubuntu-latest
            steps:
              - run: sleep 30
          later:
            needs: nap
            runs-on: ubuntu-latest
            steps:
              - run: echo never
        """,
        interrupt=interrupt,
    )
    assert time.time() - begin < 8
    assert result.conclusion == "cancelled"
    assert result.jobs() == {"nap": "cancelled", "later": "cancelled"}
