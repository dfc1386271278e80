from __future__ import annotations

from pathlib import Path

from engine_helpers import run_text


def test_failing_step_fails_job_and_skips_rest_but_runs_failure_and_always(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - name: ok
                run: echo hello
              - name: bad
                run: exit 3
              - name: never
                run: echo never
              - name: on-failure
                if: failure()
                run: echo cleanup
              - name: always
                if: always()
                run: echo always
        """,
    )
    assert result.conclusion == "failure"
    steps = result.steps("build")
    assert steps["ok"].conclusion == "success"
    assert steps["bad"].conclusion == "failure" and steps["bad"].exit_code == 3
    assert steps["never"].conclusion == "skipped"
    assert steps["on-failure"].conclusion == "success"
    assert steps["always"].conclusion == "success"
    assert "hello" in result.lines("build") and "cleanup" in result.lines("build")


def test_continue_on_error_step_outcome_vs_conclusion(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: flaky
                continue-on-error: true
                run: exit 1
              - name: report
                run: >-
                  echo "outcome=${{ steps.flaky.outcome }}
                  conclusion=${{ steps.flaky.conclusion }}"
        """,
    )
    assert result.conclusion == "success"
    assert "outcome=failure conclusion=success" in result.lines("build")


def test_step_timeout_fails_step(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - name: slow
                timeout-minutes: 0.02
                run: sleep 30
        """,
    )
    assert result.conclusion == "failure"
    step = result.steps("build")["slow"]
    assert step.outcome == "timed_out" and step.conclusion == "failure"
    assert "timed out" in step.note
    assert step.ended_at - step.started_at < 10


def test_outputs_env_path_and_multiline(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        env:
          LEVEL: workflow
          WF_ONLY: wf
        jobs:
          build:
            runs-on: ubuntu-latest
            env:
              LEVEL: job
              JOB_ONLY: ${{ github.event_name == 'push' && 'wf' || 'x' }}-job
            steps:
              - id: produce
                run: |
                  echo "single=one" >> "$GITHUB_OUTPUT"
                  {
                    echo "multi<<EOF"
                    echo "line a"
                    echo "line b"
                    echo "EOF"
                  } >> "$GITHUB_OUTPUT"
                  echo "ADDED=from-env-file" >> "$GITHUB_ENV"
                  mkdir -p "$RUNNER_TEMP/bin"
                  printf '#!/bin/sh\\necho tool-ran\\n' > "$RUNNER_TEMP/bin/mytool"
                  chmod +x "$RUNNER_TEMP/bin/mytool"
                  echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
              - name: consume
                env:
                  LEVEL: step
                  MULTI: ${{ steps.produce.outputs.multi }}
                run: |
                  echo "single=${{ steps.produce.outputs.single }}"
                  echo "level=$LEVEL wf=$WF_ONLY job=$JOB_ONLY added=$ADDED"
                  echo "ctx-added=${{ env.ADDED }}"
                  echo "$MULTI" | tail -n 1
                  mytool
              - name: job-level
                run: echo "level=$LEVEL"
        """,
    )
    assert result.conclusion == "success", result.text()
    lines = result.lines("build")
    assert "single=one" in lines
    assert "level=step wf=wf job=wf-job added=from-env-file" in lines
    assert "ctx-added=from-env-file" in lines
    assert "line b" in lines
    assert "tool-ran" in lines
    assert "level=job" in lines
    assert (
        result.steps("build")['Run echo "single=one" >> "$GITHUB_OUTPUT"'].outputs["multi"]
        == "line a\nline b"
    )


def test_defaults_run_shell_and_working_directory(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        defaults:
          run:
            shell: sh
        jobs:
          build:
            runs-on: ubuntu-latest
            defaults:
              run:
                working-directory: sub
            steps:
              - run: mkdir -p sub
                working-directory: .
              - name: where
                run: echo "dir=$(basename "$PWD")"
              - name: py
                shell: python
                run: print("from python")
        """,
    )
    assert result.conclusion == "success", result.text()
    assert "dir=sub" in result.lines("build")
    assert "from python" in result.lines("build")


def test_github_and_runner_contexts_and_env(repo: Path) -> None:
    result = run_text(
        repo,
        """
        name: Ctx
        on: push
        jobs:
          info:
            runs-on: ubuntu-latest
            steps:
              - id: show
                run: |
                  echo "repo=${{ github.repository }} owner=${{ github.repository_owner }}"
                  echo "event=${{ github.event_name }} job=${{ github.job }}" \
                    "wf=${{ github.workflow }}"
                  echo "os=${{ runner.os }} ci=$CI actions=$GITHUB_ACTIONS"
                  echo "ws-match=${{ github.workspace == env.GITHUB_WORKSPACE_X }}"
                  echo "envrepo=$GITHUB_REPOSITORY run=$GITHUB_RUN_ID ref=$GITHUB_REF"
                  test "$GITHUB_WORKSPACE" = "$PWD" && echo in-workspace
                  test -f "$GITHUB_EVENT_PATH" && echo has-event
                  echo "runner-temp=${RUNNER_TEMP:+set} os=$RUNNER_OS"
                env:
                  GITHUB_WORKSPACE_X: ${{ github.workspace }}
        """,
    )
    assert result.conclusion == "success", result.text()
    lines = result.lines("info")
    assert "repo=octo/demo owner=octo" in lines
    assert "event=push job=info wf=Ctx" in lines
    assert "os=Linux ci=true actions=true" in lines
    assert "ws-match=true" in lines
    assert any(line.startswith("envrepo=octo/demo run=") for line in lines)
    assert "in-workspace" in lines and "has-event" in lines
    assert "runner-temp=set os=Linux" in lines


def test_secrets_and_add_mask_are_masked_everywhere(repo: Path) -> None:
    result = run_text(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            outputs:
              leaked: ${{ steps.s.outputs.tok }}
              fine: ${{ steps.s.outputs.fine }}
            steps:
              - id: s
                run: |
                  echo "secret is ${{ secrets.API_KEY }}"
                  echo "::add-mask::dynamic-value-42"
                  echo "dyn dynamic-value-42"
                  echo "tok=${{ secrets.API_KEY }}" >> "$GITHUB_OUTPUT"
                  echo "fine=ok" >> "$GITHUB_OUTPUT"
                  echo "summary ${{ secrets.API_KEY }}" >> "$GITHUB_STEP_SUMMARY"
        """,
        secrets={"API_KEY": "hunter2-very-secret"},
    )
    assert result.conclusion == "success", result.text()
    text = result.text()
    assert "secret is ***" in text and "dyn ***" in text
    assert "hunter2" not in repr(result.events)
    assert "dynamic-value-42" not in repr(result.events)
    job = result.job("build")
    assert job.outputs == {"fine": "ok"}
    assert any("Skip output 'leaked'" in repr(e) for e in result.events)
    step = next(iter(result.steps("build").values()))
    assert "summary ***" in step.summary
