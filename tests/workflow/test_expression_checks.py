"""Expression syntax and context/function availability, with exact positions."""

from __future__ import annotations

from wf_helpers import Check, at, message, rules

HEAD = "on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n"


def test_syntax_error_in_plain_scalar(check: Check) -> None:
    diags = check(HEAD + "      - run: echo ${{ github.sha ) }}\n")
    assert at(diags, "expression") == [(6, 34)]


def test_syntax_error_in_quoted_scalar(check: Check) -> None:
    diags = check(HEAD + '      - run: "echo ${{ 1 == }}"\n')
    # the value starts at col 14; the parser points at the '==' missing its right operand
    assert at(diags, "expression") == [(6, 26)]


def test_syntax_error_in_literal_block(check: Check) -> None:
    diags = check(HEAD + "      - run: |\n          echo one\n          echo ${{ github.sha ) }}\n")
    assert at(diags, "expression") == [(8, 31)]


def test_syntax_error_in_folded_block(check: Check) -> None:
    diags = check(HEAD + "      - run: >\n          echo one\n          echo two ${{ foo( }}\n")
    assert at(diags, "expression") == [(8, 24)]


def test_unterminated_expression(check: Check) -> None:
    diags = check(HEAD + "      - run: echo ${{ github.sha\n")
    assert at(diags, "expression") == [(6, 19)]
    assert "Unterminated" in message(diags, "expression")


def test_if_without_braces_is_an_expression(check: Check) -> None:
    diags = check(HEAD + "      - run: x\n        if: success() &&\n")
    assert at(diags, "expression") == [(7, 23)]
    assert rules(diags) == ["expression"]


def test_secrets_not_allowed_in_job_if(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            if: ${{ secrets.TOKEN != '' }}
            runs-on: x
            steps: [{run: x}]
        """
    )
    assert at(diags, "context") == [(4, 13)]
    assert message(diags, "context").startswith("context 'secrets' is not available in job if")


def test_matrix_not_allowed_in_run_name_and_concurrency(check: Check) -> None:
    diags = check(
        """
        on: push
        run-name: Deploy ${{ matrix.env }}
        concurrency: ${{ github.ref }}-${{ matrix.os }}
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert at(diags, "context") == [(2, 22), (3, 36)]


def test_env_not_available_at_workflow_env(check: Check) -> None:
    diags = check(
        """
        on: push
        env:
          A: ${{ secrets.X }}
          B: ${{ env.A }}
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert at(diags, "context") == [(4, 10)]


def test_hashfiles_only_in_steps(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            env:
              K: ${{ hashFiles('**/lock') }}
            steps:
              - run: echo ${{ hashFiles('**/lock') }}
        """
    )
    assert at(diags, "context") == [(6, 14)]
    assert "'hashFiles()' is only available in step keys" in message(diags, "context")


def test_status_functions_only_in_if(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: x
            if: always()
            steps:
              - run: echo ${{ success() }}
                if: failure() || cancelled()
        """
    )
    assert at(diags, "context") == [(7, 23)]
    assert "only allowed in 'if' conditions" in message(diags, "context")


def test_step_context_everywhere_in_steps(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          a:
            runs-on: ${{ matrix.os }}
            strategy:
              matrix:
                os: [linux]
            outputs:
              v: ${{ steps.s.outputs.v }}
            steps:
              - id: s
                run: echo ${{ env.X }} ${{ secrets.Y }} ${{ runner.os }} ${{ job.status }}
              - uses: octo/act@v1
                with:
                  k: ${{ steps.s.outputs.v }}
        """
    )
    assert rules(diags) == []


def test_workflow_call_output_uses_jobs(check: Check) -> None:
    diags = check(
        """
        on:
          workflow_call:
            outputs:
              v:
                value: ${{ jobs.a.outputs.v }}
            inputs:
              x:
                type: string
                default: ${{ github.ref }}
        jobs:
          a: {runs-on: x, steps: [{run: x}]}
        """
    )
    assert rules(diags) == []


def test_multiline_if_block_points_at_the_right_line(check: Check) -> None:
    diags = check(
        HEAD + "      - run: x\n        if: |\n          github.ref == 'main' &&\n          )\n"
    )
    assert at(diags, "expression") == [(9, 11)]
    assert "\n" not in message(diags, "expression")


def test_insert_and_sequence_expressions_where_github_takes_them(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          build:
            runs-on: x
            strategy:
              matrix:
                ${{ insert }}: ${{ fromJSON(inputs.vectors) }}
                py: ['3.11', '${{ fromJSON(needs.setup.outputs.more) }}']
                include:
                  - ${{ insert }}: ${{ fromJSON(inputs.extra) }}
                    os: linux
            concurrency:
              ${{ insert }}: ${{ fromJSON(inputs.c) }}
            env:
              ${{ insert }}: ${{ fromJSON(inputs.env) }}
              A: b
            steps:
              - uses: a/b@v1
                with:
                  ${{ insert }}: ${{ fromJSON(steps.x.outputs.with) }}
        """
    )
    assert [d.format() for d in diags] == []


def test_insert_refused_where_github_refuses_expressions(check: Check) -> None:
    diags = check(
        """
        on: push
        jobs:
          build:
            ${{ insert }}: ${{ fromJSON(inputs.job) }}
            runs-on: x
            steps:
              - run: echo ${{ insert }}
                env:
                  ${{ insert }}: ${{ fromJSON(secrets.X) }}
                  k: ${{ matrix.insert }}
        """
    )
    assert at(diags, "expression-place") == [(4, 5)]
    assert "not allowed as keys in job 'build'" in message(diags, "expression-place")
    assert at(diags, "expression") == [(7, 23)]
    assert "only allowed as a whole mapping key" in message(diags, "expression")
    assert rules(diags) == ["expression-place", "expression"]
