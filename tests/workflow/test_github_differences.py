"""Each place where conveyor used to differ from GitHub: one workflow GitHub refuses (with
the line and column conveyor reports) and one it accepts (no errors).

The cases come from GitHub's own parser test data (actions/languageservices,
workflow-parser/testdata/reader) and its runner's YAML reader.
"""

from __future__ import annotations

import pytest
from wf_helpers import Check

from conveyor.diagnostics import Diagnostic

JOB = "on: push\njobs:\n  a:\n    runs-on: x\n"
STEPS = "jobs:\n  a:\n    runs-on: x\n    steps:\n"
JOBS = "jobs:\n  a: {runs-on: x, steps: []}\n"


def errors(diags: list[Diagnostic]) -> list[tuple[int, int, str]]:
    return [(d.line, d.col, d.rule) for d in diags if d.is_error]


def only_warnings(diags: list[Diagnostic]) -> None:
    assert [d.format() for d in diags if d.is_error] == []


# -- valid workflows conveyor used to refuse -----------------------------------------------


def test_background_steps(check: Check) -> None:
    only_warnings(
        check(
            JOB
            + """    steps:
      - id: server
        run: npm start
        background: true
      - id: checkout
        uses: actions/checkout@v4
        background: true
      - wait:
          - server
          - checkout
      - wait-all:
      - cancel: server
      - parallel:
          - run: echo one
          - run: echo two
"""
        )
    )
    diags = check(
        JOB
        + """    steps:
      - id: server
        run: npm start
        background: true
      - wait: [servr]
      - wait-all: false
      - cancel: server
        run: x
"""
    )
    assert errors(diags) == [(9, 16, "step-id"), (10, 19, "type"), (12, 9, "step-kind")]


def test_job_without_steps(check: Check) -> None:
    # The issue listed this as valid, but GitHub's parser refuses it: its test data
    # errors-job-runs-on-and-no-steps.yml says "Required property is missing: steps".
    assert errors(check("on: push\njobs:\n  a:\n    runs-on: x\n")) == [(3, 3, "required")]
    only_warnings(check(JOB + "    steps: []\n"))
    assert errors(check(JOB + "    steps: {run: x}\n")) == [(5, 12, "type")]


def test_cancel_timeout_minutes(check: Check) -> None:
    only_warnings(check(JOB + "    cancel-timeout-minutes: 5\n    steps: [{run: x}]\n"))
    diags = check(JOB + "    cancel-timeout-minutes: soon\n    steps: [{run: x}]\n")
    assert errors(diags) == [(5, 29, "type")]


def test_environment_deployment(check: Check) -> None:
    only_warnings(
        check(JOB + "    environment: {name: prod, deployment: false}\n    steps: [{run: x}]\n")
    )
    diags = check(JOB + "    environment: {name: prod, deployment: maybe}\n    steps: [{run: x}]\n")
    assert errors(diags) == [(5, 43, "type")]


def test_status_functions_with_job_arguments(check: Check) -> None:
    text = """
        on: push
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
          b: {runs-on: x, steps: [{run: x}]}
          c:
            needs: [a, b]
            if: success('a', 'b') || failure('b')
            runs-on: x
            steps:
              - run: x
                if: {step_if}
        """
    only_warnings(check(text.replace("{step_if}", "success()")))
    diags = check(text.replace("{step_if}", "success('a')"))
    assert errors(diags) == [(11, 13, "expression")]
    assert "Too many parameters" in next(d.message for d in diags if d.is_error)


def test_service_given_as_image_string(check: Check) -> None:
    only_warnings(check(JOB + "    services:\n      redis: redis:7\n    steps: [{run: x}]\n"))
    diags = check(JOB + "    services:\n      redis: ''\n    steps: [{run: x}]\n")
    assert errors(diags) == [(6, 14, "type")]


def test_image_version_event(check: Check) -> None:
    head = "on:\n  image_version:\n    names: {names}\n    versions: ['1.*']\n"
    tail = "jobs:\n  a: {runs-on: x, steps: [{run: x}]}\n"
    only_warnings(check(head.replace("{names}", "[my-image]") + tail))
    assert errors(check(head.replace("{names}", "{a: b}") + tail)) == [(3, 12, "type")]


def test_workflow_dispatch_inputs_null_and_unknown_keys(check: Check) -> None:
    tail = "jobs:\n  a: {runs-on: x, steps: [{run: x}]}\n"
    only_warnings(check("on:\n  workflow_dispatch:\n    inputs:\n" + tail))
    diags = check("on:\n  workflow_dispatch:\n    unknown-key: asdf\n" + tail)
    only_warnings(diags)  # GitHub ignores it; conveyor warns
    assert [(d.line, d.col, d.rule) for d in diags] == [(3, 5, "unknown-key")]
    # an input itself is checked strictly
    diags = check("on:\n  workflow_dispatch:\n    inputs:\n      x: {bogus: 1}\n" + tail)
    assert errors(diags) == [(4, 11, "unknown-key")]
    diags = check("on:\n  workflow_dispatch:\n    inputs:\n      x:\n" + tail)
    assert errors(diags) == [(4, 7, "type")]


def test_huge_timeout_minutes(check: Check) -> None:
    huge = "9" * 400
    text = (
        JOB + "    timeout-minutes: {t}\n    steps:\n      - run: x\n        timeout-minutes: {t}\n"
    )
    only_warnings(check(text.replace("{t}", f"+{huge}.12")))
    only_warnings(check(text.replace("{t}", f"-{huge}")))  # GitHub reads it; conveyor warns
    assert errors(check(text.replace("{t}", "'5'"))) == [(5, 22, "type"), (8, 26, "type")]


def test_action_reference_with_spaces(check: Check) -> None:
    only_warnings(check(JOB + "    steps:\n      - uses: 'actions/checkout@v4 '\n"))
    only_warnings(check(JOB + "    steps:\n      - uses: octo/repo/my path@my branch\n"))
    assert errors(check(JOB + "    steps:\n      - uses: actions/checkout\n")) == [(6, 15, "uses")]


def test_workflow_description(check: Check) -> None:
    tail = "on: push\njobs:\n  a: {runs-on: x, steps: [{run: x}]}\n"
    only_warnings(check("description: Builds the project\n" + tail))
    assert errors(check("description: {a: b}\n" + tail)) == [(1, 14, "type")]


def test_merge_group_branches(check: Check) -> None:
    tail = "jobs:\n  a: {runs-on: x, steps: [{run: x}]}\n"
    only_warnings(check("on:\n  merge_group:\n    branches: [main]\n" + tail))
    assert errors(check("on:\n  merge_group:\n    branches: {main: 1}\n" + tail)) == [
        (3, 15, "type")
    ]


# -- invalid workflows conveyor used to accept -------------------------------------------


def test_yaml_anchors(check: Check) -> None:
    only_warnings(
        check(
            """
            on: push
            env: &shared
              A: b
            jobs:
              a:
                runs-on: &runner ubuntu-latest
                env: *shared
                steps: [{run: x}]
              b:
                runs-on: *runner
                steps: [{run: x}]
            """
        )
    )
    diags = check(
        """
        on: push
        env: &shared
          A: b
        jobs:
          a:
            runs-on: x
            env:
              <<: *shared
            steps: [{run: x}]
        """
    )
    assert errors(diags) == [(8, 7, "yaml-merge-key")]
    diags = check(JOB + "    env: &e\n      nested: *e\n    steps: [{run: x}]\n")
    assert (6, 7, "yaml-alias") in errors(diags)


def test_empty_expression(check: Check) -> None:
    only_warnings(check(JOB + "    steps: [{run: 'echo ${{ github.sha }}'}]\n"))
    assert errors(check(JOB + "    steps: [{run: 'echo ${{ }}'}]\n")) == [(5, 25, "expression")]


def test_job_id_with_two_underscores(check: Check) -> None:
    only_warnings(check("on: push\njobs:\n  _x: {runs-on: x, steps: [{run: x}]}\n"))
    diags = check("on: push\njobs:\n  __x: {runs-on: x, steps: [{run: x}]}\n")
    assert errors(diags) == [(3, 3, "job-id")]


def test_job_ids_differing_only_in_case(check: Check) -> None:
    ok = "on: push\njobs:\n  build: {runs-on: x, steps: [{run: x}]}\n"
    only_warnings(check(ok + "  test: {runs-on: x, steps: [{run: x}]}\n"))
    diags = check(ok + "  Build: {runs-on: x, steps: [{run: x}]}\n")
    assert errors(diags) == [(4, 3, "duplicate-job-id")]


@pytest.mark.parametrize("group", ["my-group", "organization/my-group", "ent/my-group"])
def test_runs_on_group_valid(check: Check, group: str) -> None:
    only_warnings(
        check(f"on: push\njobs:\n  a:\n    runs-on: {{group: {group}}}\n    steps: [{{run: x}}]\n")
    )


@pytest.mark.parametrize("group", ["team/my-group", "organization/", "org/a/b"])
def test_runs_on_group_invalid(check: Check, group: str) -> None:
    diags = check(f"on: push\njobs:\n  a:\n    runs-on:\n      group: {group}\n    steps: []\n")
    assert errors(diags) == [(5, 14, "runs-on")]


def test_no_jobs(check: Check) -> None:
    assert errors(check("on: push\njobs: {}\n")) == [(2, 1, "required")]
    only_warnings(check("on: push\njobs:\n  a: {runs-on: x, steps: [{run: x}]}\n"))


def _nested(depth: int) -> str:
    return "[" * depth + "1" + "]" * depth


def test_too_deeply_nested_matrix(check: Check) -> None:
    text = JOB + "    strategy:\n      matrix:\n        v: {value}\n    steps: [{run: x}]\n"
    only_warnings(check(text.replace("{value}", _nested(40))))
    # the root mapping, jobs, a, strategy and matrix are 5 levels: the 46th '[' is the 51st
    diags = check(text.replace("{value}", _nested(50)))
    assert errors(diags) == [(7, 12 + 45, "size-limit")]


def test_object_depth_limit(check: Check) -> None:
    def run(depth: int) -> str:
        deep = "{a: " * depth + "1" + "}" * depth
        matrix = "    strategy:\n      matrix:\n        include:\n          - "
        return JOB + "    steps: [{run: x}]\n" + matrix + deep + "\n"

    only_warnings(check(run(44)))
    # root, jobs, a, strategy, matrix and include are 6 levels: the 45th '{' is the 51st
    assert errors(check(run(45))) == [(9, 13 + 4 * 44, "size-limit")]


def test_file_size_limit(check: Check) -> None:
    text = "on: push\njobs:\n  a: {runs-on: x, steps: [{run: x}]}\n"
    only_warnings(check(text + "#" * (1024 * 1024 - len(text) - 1) + "\n"))
    assert errors(check(text + "#" * (1024 * 1024) + "\n")) == [(1, 1, "size-limit")]


def test_result_size_limit(check: Check) -> None:
    levels = ["a: &l0 '" + "x" * 100 + "'"]
    for i in range(1, 6):
        levels.append(f"l{i}: &l{i} [" + ", ".join([f"*l{i - 1}"] * 10) + "]")
    body = "\n".join("      " + line for line in levels)
    text = JOB + "    steps: [{run: x}]\n    strategy:\n      matrix:\n        include:\n"
    small = text + "        - " + levels[0] + "\n"
    only_warnings(check(small))
    diags = check(text + "        - " + body.lstrip() + "\n")
    assert (1, 1, "size-limit") in errors(diags)


def test_expression_length_limit(check: Check) -> None:
    def run(n: int) -> str:
        return JOB + "    steps: [{run: \"${{ '" + "x" * n + "' }}\"}]\n"

    only_warnings(check(run(20_000)))
    assert errors(check(run(21_000))) == [(5, 24, "expression")]


@pytest.mark.parametrize(
    ("value", "col"),
    [("!!bool maybe", 24), ("!!int 3.5", 24), ("!!float x", 24), ("!!timestamp 2001-12-14", 24)],
)
def test_yaml_tags_refused(check: Check, value: str, col: int) -> None:
    diags = check(JOB + f"    continue-on-error: {value}\n    steps: [{{run: x}}]\n")
    assert (5, col, "yaml-tag") in errors(diags)


@pytest.mark.parametrize(
    "text",
    [
        "    continue-on-error: !!bool true\n    timeout-minutes: !!int 5\n",
        "    timeout-minutes: !!float 2\n    name: !!str 3\n",
    ],
)
def test_yaml_tags_accepted(check: Check, text: str) -> None:
    only_warnings(check(JOB + text + "    steps: [{run: x}]\n"))


def test_workflow_call_input_keys(check: Check) -> None:
    head = "on:\n  workflow_call:\n    inputs:\n      x:\n        type: string\n"
    tail = "jobs:\n  a: {runs-on: x, steps: [{run: x}]}\n"
    only_warnings(check(head + "        description: d\n        default: v\n" + tail))
    diags = check(head + "        deprecationMessage: old\n" + tail)
    assert errors(diags) == [(6, 9, "unknown-key")]


def test_container_needs_an_image(check: Check) -> None:
    only_warnings(check(JOB + "    container: {image: alpine, options: --cpus 1}\n    steps: []\n"))
    diags = check(JOB + "    container:\n      image:\n    steps: []\n")
    assert errors(diags) == [(6, 7, "type")]
    only_warnings(check(JOB + "    container: '${{ matrix.c }}'\n    steps: []\n"))
    only_warnings(check(JOB + "    container: {credentials: '${{ matrix.c }}'}\n    steps: []\n"))
    text = "    container: {options: --cpus 1}\n    services:\n      db: {env: {}}\n    steps: []\n"
    diags = check(JOB + text)
    # at the mapping, as GitHub (job-container-missing-image.yml)
    assert errors(diags) == [(5, 16, "required"), (7, 11, "required")]


# -- underscore spellings ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key", "line", "col", "dashed"),
    [
        ("jobs:\n  a:\n    runs_on: x\n    steps: [{run: x}]\n", "runs_on", 3, 5, "runs-on"),
        (
            "jobs:\n  a:\n    runs-on: x\n    timeout_minutes: 5\n    steps: [{run: x}]\n",
            "timeout_minutes",
            4,
            5,
            "timeout-minutes",
        ),
        (
            STEPS + "      - run: x\n        continue_on_error: maybe\n",
            "continue_on_error",
            6,
            9,
            "continue-on-error",
        ),
        (
            STEPS + "      - run: x\n        working_directory: d\n",
            "working_directory",
            6,
            9,
            "working-directory",
        ),
        ("jobs:\n  a:\n    if_: true\n    runs-on: x\n    steps: []\n", "if_", 3, 5, "if"),
        (
            "jobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: a/b@v1\n        with_: {}\n",
            "with_",
            6,
            9,
            "with",
        ),
        (
            "jobs:\n  a:\n    runs-on: x\n    strategy: {fail_fast: false}\n    steps: []\n",
            "fail_fast",
            4,
            16,
            "fail-fast",
        ),
        (
            "jobs:\n  a:\n    runs-on: x\n    strategy:\n      max_parallel: 2\n    steps: []\n",
            "max_parallel",
            5,
            7,
            "max-parallel",
        ),
        ("run_name: x\njobs:\n  a: {runs-on: x, steps: []}\n", "run_name", 1, 1, "run-name"),
        (
            "concurrency:\n  group: g\n  cancel_in_progress: true\n" + JOBS,
            "cancel_in_progress",
            3,
            3,
            "cancel-in-progress",
        ),
        (
            "permissions:\n  pull_requests: write\n" + JOBS,
            "pull_requests",
            2,
            3,
            "pull-requests",
        ),
    ],
)
def test_underscore_spellings_are_unknown_keys(
    check: Check, text: str, key: str, line: int, col: int, dashed: str
) -> None:
    diags = check("on: push\n" + text)
    found = [d for d in diags if d.is_error and d.rule == "unknown-key"]
    assert [(d.line, d.col) for d in found] == [(line + 1, col)]
    assert f"unknown key '{key}'" in found[0].message
    assert f"did you mean '{dashed}'?" in found[0].message
    # never read as the real key: no type error for its value
    assert [d.rule for d in diags if d.is_error and d.rule != "required"] == ["unknown-key"]
    correct = check("on: push\n" + text.replace(key, dashed).replace("maybe", "true"))
    only_warnings(correct)
