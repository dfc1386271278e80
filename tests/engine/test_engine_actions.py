from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from engine_helpers import git_repo, run_text, write

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="node not installed")


def test_nested_composite_actions_with_inputs_outputs(repo: Path) -> None:
    write(
        repo,
        ".github/actions/outer/action.yml",
        """
        name: outer
        inputs:
          who:
            description: who
            default: world
        outputs:
          greeting:
            value: ${{ steps.inner.outputs.said }}
        runs:
          using: composite
          steps:
            - id: inner
              uses: ./.github/actions/inner
              with:
                text: hello ${{ inputs.who }}
            - run: echo "outer path ok=$(test -f "$GITHUB_ACTION_PATH/action.yml" && echo yes)"
              shell: bash
        """,
    )
    write(
        repo,
        ".github/actions/inner/action.yml",
        """
        name: inner
        inputs:
          text: {description: t, required: true}
        outputs:
          said:
            value: ${{ steps.say.outputs.said }}
        runs:
          using: composite
          steps:
            - id: say
              shell: bash
              run: |
                echo "inner says ${{ inputs.text }}"
                echo "said=${{ inputs.text }}!" >> "$GITHUB_OUTPUT"
        """,
    )
    result = run_text(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
              - id: greet
                uses: ./.github/actions/outer
                with:
                  who: conveyor
              - run: echo "result=${{ steps.greet.outputs.greeting }}"
        """,
    )
    assert result.conclusion == "success", result.text()
    lines = result.lines("build")
    assert "inner says hello conveyor" in lines
    assert "outer path ok=yes" in lines
    assert "result=hello conveyor!" in lines


def test_failing_composite_fails_step(repo: Path) -> None:
    write(
        repo,
        "act/action.yml",
        """
        name: bad
        runs:
          using: composite
          steps:
            - run: exit 4
              shell: bash
        """,
    )
    result = run_text(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - name: comp
                uses: ./act
        """,
    )
    assert result.conclusion == "failure"
    assert result.steps("build")["comp"].conclusion == "failure"


JS_ACTION = """
const fs = require('fs');
const phase = process.argv[2] || 'main';
const name = process.env.INPUT_WHO_NAME;
fs.appendFileSync(process.env.GITHUB_OUTPUT, `greeting=hi ${name}\\n`);
fs.appendFileSync(process.env.GITHUB_STATE, `seen=${name}\\n`);
console.log(`main: who=${name} mode=${process.env.INPUT_MODE} pre=${process.env.STATE_pre}`);
"""


@needs_node
def test_javascript_action_with_pre_main_post_and_state(repo: Path) -> None:
    write(
        repo,
        "js/action.yml",
        """
        name: js
        inputs:
          who name: {description: w, required: true}
          mode: {description: m, default: fast}
        outputs:
          greeting: {description: g}
        runs:
          using: node20
          pre: pre.js
          main: index.js
          post: post.js
        """,
    )
    write(repo, "js/index.js", JS_ACTION)
    write(
        repo,
        "js/pre.js",
        """
        const fs = require('fs');
        fs.appendFileSync(process.env.GITHUB_STATE, 'pre=done\\n');
        console.log('pre ran');
        """,
    )
    write(
        repo,
        "js/post.js",
        """
        console.log(`post: seen=${process.env.STATE_seen} pre=${process.env.STATE_pre}`);
        """,
    )
    result = run_text(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - id: js
                uses: ./js
                with:
                  who name: octocat
              - run: echo "out=${{ steps.js.outputs.greeting }}"
        """,
    )
    assert result.conclusion == "success", result.text()
    lines = result.lines("build")
    assert "pre ran" in lines
    assert "main: who=octocat mode=fast pre=done" in lines
    assert "out=hi octocat" in lines
    assert "post: seen=octocat pre=done" in lines
    names = list(result.steps("build"))
    assert names[0] == "Pre ./js" and names[-1] == "Post ./js"


def test_reusable_workflow_with_inherited_secrets_and_outputs(repo: Path) -> None:
    write(
        repo,
        ".github/workflows/callee.yml",
        """
        on:
          workflow_call:
            inputs:
              greeting: {type: string, required: true}
              count: {type: number, default: 2}
            outputs:
              said:
                value: ${{ jobs.speak.outputs.said }}
        jobs:
          speak:
            runs-on: ubuntu-latest
            outputs:
              said: ${{ steps.s.outputs.said }}
            steps:
              - id: s
                run: |
                  echo "callee ${{ inputs.greeting }} x${{ inputs.count }} token=$TOKEN"
                  echo "said=${{ inputs.greeting }}-done" >> "$GITHUB_OUTPUT"
                env:
                  TOKEN: ${{ secrets.TOKEN }}
        """,
    )
    result = run_text(
        repo,
        """
        on: push
        jobs:
          call:
            uses: ./.github/workflows/callee.yml
            with:
              greeting: hey
            secrets: inherit
          after:
            needs: call
            runs-on: ubuntu-latest
            steps:
              - run: echo "got ${{ needs.call.outputs.said }}"
        """,
        secrets={"TOKEN": "s3cr3t-token"},
    )
    assert result.conclusion == "success", result.text()
    assert "callee hey x2 token=***" in result.lines("call/speak")
    assert "got hey-done" in result.lines("after")
    assert result.jobs()["call"] == "success"


def _bare_action_repo(root: Path) -> str:
    src = git_repo(root / "src")
    write(
        src,
        "action.yml",
        """
        name: remote
        inputs:
          x: {description: x, default: dflt}
        runs:
          using: composite
          steps:
            - run: echo "remote action x=${{ inputs.x }}"
              shell: bash
        """,
    )
    subprocess.run(["git", "-C", str(src), "add", "."], check=True)
    subprocess.run(["git", "-C", str(src), "commit", "-qm", "v1"], check=True)
    subprocess.run(["git", "-C", str(src), "tag", "v1"], check=True)
    bare = root / "remotes" / "octo" / "greeter.git"
    bare.parent.mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", "--bare", str(src), str(bare)], check=True)
    return f"file://{root}/remotes/{{owner}}/{{repo}}.git"


def test_remote_action_from_local_bare_repo(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONVEYOR_ACTIONS_URL", _bare_action_repo(tmp_path))
    result = run_text(
        repo,
        """
        on: push
        jobs:
          build:
            runs-on: ubuntu-latest
            steps:
              - uses: octo/greeter@v1
                with:
                  x: given
        """,
    )
    assert result.conclusion == "success", result.text()
    assert "remote action x=given" in result.lines("build")
