"""unknown-key, type and required: the schema checks that come from the model."""

from __future__ import annotations

from wf_helpers import Check, at, message, rules


def test_unknown_key_in_job_suggests_close_match(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            step:
              - run: echo hi
        """
    )
    assert at(diags, "unknown-key") == [(5, 5)]
    assert (
        message(diags, "unknown-key") == "unknown key 'step' in job 'build'; did you mean 'steps'?"
    )


def test_unknown_key_in_step_and_top_level(check: Check) -> None:
    diags = check(
        """
        on: push
        nmae: x
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo hi
                shel: bash
        """
    )
    assert at(diags, "unknown-key") == [(2, 1), (8, 9)]
    assert "did you mean 'shell'?" in next(d for d in diags if d.line == 8).message


def test_misplaced_key_names_where_it_belongs(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - run: echo hi
                needs: other
        """
    )
    assert at(diags, "unknown-key") == [(7, 9)]
    assert "belongs in a job" in message(diags, "unknown-key")


def test_unknown_event_in_map_and_string_forms(check: Check) -> None:
    diags = check(
        """
        on:
          pushh:
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert at(diags, "unknown-key") == [(2, 3)]
    assert "did you mean 'push'?" in message(diags, "unknown-key")
    diags = check("on: [push, pul_request]\njobs:\n  a: {runs-on: x, steps: [{run: x}]}\n")
    assert at(diags, "unknown-key") == [(1, 12)]
    assert "did you mean 'pull_request'?" in message(diags, "unknown-key")


def test_wrong_types(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          build:
            runs-on: [[3]]
            continue-on-error: maybe
            timeout-minutes: soon
            steps:
              - echo hi
        """
    )
    # GitHub reads `runs-on: 3` as the label "3" (a scalar where text is expected is
    # text), so a list inside the list is the wrong type here.
    assert at(diags, "type") == [(4, 15), (5, 24), (6, 22), (8, 9)]
    text = " | ".join(d.message for d in diags)
    assert "item 1 of 'runs-on' of job 'build' must be a string; got a list" in text
    assert "a boolean (true or false) or an expression" in text
    assert "step 1 of job 'build' must be a mapping; got the string 'echo hi'" in text


def test_type_inside_union_reports_the_inner_problem(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          build:
            runs-on: {group: big, colour: red}
            steps: [{run: x}]
        """
    )
    assert rules(diags) == ["unknown-key"]
    assert at(diags, "unknown-key") == [(4, 27)]


def test_required_top_level_keys(check: Check) -> None:
    diags = check("name: x\n")
    assert sorted(d.message for d in diags if d.rule == "required") == [
        "'jobs' is required in the top level; add it",
        "'on' is required in the top level; add it",
    ]
    assert at(diags, "required") == [(1, 1), (1, 1)]


def test_required_job_runs_on_or_uses(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          build:
            steps: [{run: x}]
        """
    )
    assert at(diags, "required") == [(3, 3)]
    assert "has no 'runs-on'" in message(diags, "required")


def test_required_step_run_or_uses(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          build:
            runs-on: x
            steps:
              - name: nothing
        """
    )
    assert at(diags, "required") == [(6, 9)]
    assert "neither 'run'" in message(diags, "required")


def test_required_inside_mapping(check: Check) -> None:
    diags = check(
        """
        on:
          schedule:
            - timezone: UTC
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert at(diags, "required") == [(3, 7)]
    assert message(diags, "required") == "'cron' is required in schedule item 1; add it"


def test_duplicate_job_id_from_loader(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
          a: {runs-on: y, steps: [{run: x}]}
        """
    )
    assert at(diags, "duplicate-job-id") == [(4, 3)]


def test_yaml_syntax_error_is_a_diagnostic(check: Check) -> None:
    diags = check("on: push\njobs: [\n")
    assert rules(diags) == ["yaml-syntax"]


def test_empty_file(check: Check) -> None:
    diags = check("# nothing\n")
    assert rules(diags) == ["required"]
    assert "empty" in diags[0].message


def test_top_level_not_mapping(check: Check) -> None:
    assert rules(check("- a\n- b\n")) == ["type"]


def test_all_errors_collected(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            timeout-minutes: 0
            steps:
              - run: x
                uses: a/b@v1
              - id: 1x
                run: x
        """
    )
    assert sorted(set(rules(diags))) == ["run-and-uses", "step-id", "timeout-minutes"]
