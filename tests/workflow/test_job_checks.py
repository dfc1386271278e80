"""Job-level checks: ids, needs, cycles, matrix, timeouts, reusable-workflow calls."""

from __future__ import annotations

from wf_helpers import Check, at, message, rules


def test_bad_job_id(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          9build:
            runs-on: x
            steps: [{run: x}]
          ok_id-2:
            runs-on: x
            steps: [{run: x}]
        """
    )
    assert at(diags, "job-id") == [(3, 3)]
    assert "must start with a letter or '_'" in message(diags, "job-id")


def test_needs_unknown_job(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          build:
            runs-on: x
            steps: [{run: x}]
          test:
            needs: [build, biuld]
            runs-on: x
            steps: [{run: x}]
          deploy:
            needs: nope
            runs-on: x
            steps: [{run: x}]
        """
    )
    assert at(diags, "needs-unknown") == [(7, 20), (11, 12)]
    assert "did you mean 'build'?" in message(diags, "needs-unknown")


def test_needs_cycle_names_the_cycle(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            needs: c
            runs-on: x
            steps: [{run: x}]
          b:
            needs: a
            runs-on: x
            steps: [{run: x}]
          c:
            needs: [b]
            runs-on: x
            steps: [{run: x}]
        """
    )
    assert at(diags, "needs-cycle") == [(4, 5)]
    assert message(diags, "needs-cycle").startswith("dependency cycle: a -> c -> b -> a;")


def test_self_dependency_is_a_cycle(check: Check) -> None:
    diags = check("on: push\njobs:\n  a:\n    needs: a\n    runs-on: x\n    steps: [{run: x}]\n")
    assert at(diags, "needs-cycle") == [(4, 5)]
    assert "a -> a" in message(diags, "needs-cycle")


def test_matrix_empty_vector(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            strategy:
              matrix:
                os: [linux]
                py: []
            steps: [{run: x}]
        """
    )
    assert at(diags, "matrix-empty") == [(8, 13)]


def test_matrix_with_nothing(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            strategy:
              matrix: {}
            steps: [{run: x}]
        """
    )
    assert at(diags, "matrix-empty") == [(6, 15)]


def test_matrix_include_only_and_expression_are_fine(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            strategy:
              matrix:
                include: [{os: linux}]
            steps: [{run: x}]
          b:
            runs-on: x
            strategy:
              matrix: ${{ fromJSON('{"os":["a"]}') }}
              fail-fast: ${{ github.event_name == 'push' }}
              max-parallel: ${{ github.run_number }}
            steps: [{run: x}]
        """
    )
    assert diags == []


def test_job_timeout_not_positive(check: Check) -> None:
    diags = check(
        "on: push\njobs:\n  a:\n    runs-on: x\n    timeout-minutes: -5\n    steps: [{run: x}]\n"
    )
    assert at(diags, "timeout-minutes") == [(5, 22)]


def test_runs_on_job_needs_steps(check: Check) -> None:
    diags = check("on: push\njobs:\n  a:\n    runs-on: x\n")
    assert at(diags, "required") == [(3, 3)]
    assert "no 'steps'" in message(diags, "required")


def test_reusable_call_rejects_runner_keys(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          call:
            uses: octo/repo/.github/workflows/ci.yml@v1
            runs-on: x
            with: {a: 1}
            secrets: inherit
        """
    )
    assert at(diags, "unknown-key") == [(5, 5)]
    assert "calls a reusable workflow" in message(diags, "unknown-key")


def test_with_without_uses(check: Check) -> None:
    diags = check(
        "on: push\njobs:\n  a:\n    runs-on: x\n    with: {a: 1}\n    steps: [{run: x}]\n"
    )
    assert at(diags, "unknown-key") == [(5, 5)]


def test_reusable_workflow_reference_format(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            uses: octo/repo@v1
          b:
            uses: ./.github/workflows/other.yml
          c:
            uses: octo/repo/.github/workflows/x.yaml@main
        """
    )
    assert at(diags, "uses") == [(4, 11)]
    assert rules(diags) == ["uses"]
