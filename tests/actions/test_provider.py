from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from action_helpers import Env

from conveyor.actions import (
    BUILTINS,
    DefaultActionProvider,
    checkout,
    register_builtin,
    setup_python,
)
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.errors import ActionError
from git_repo_helpers import GitRun

NODE_ACTION = """\
name: greet
description: says hello
runs:
  using: node20
  main: index.js
"""
COMPOSITE_ACTION = """\
name: build
description: builds
runs:
  using: composite
  steps:
    - run: echo hi
      shell: bash
"""
DOCKER_ACTION = """\
name: lint
description: lints
runs:
  using: docker
  image: Dockerfile
"""
WORKFLOW = """\
on: workflow_call
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


@pytest.fixture
def provider(env: Env) -> DefaultActionProvider:
    return DefaultActionProvider(env.state_dir, source_url_template=None, offline=False)


def resolve(provider: DefaultActionProvider, env: Env, uses: str):  # type: ignore[no-untyped-def]
    return provider.resolve(uses, workspace=env.workspace, repository_root=env.repo)


@pytest.mark.parametrize(
    ("uses", "expected"),
    [
        ("actions/checkout@v4", checkout.run),
        ("actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683", checkout.run),
        ("Actions/Setup-Python@v5", setup_python.run),
        ("actions/setup-python", setup_python.run),
    ],
)
def test_builtins_ignore_ref(
    provider: DefaultActionProvider, env: Env, uses: str, expected: object
) -> None:
    resolved = resolve(provider, env, uses)
    assert resolved.kind == "builtin"
    assert resolved.builtin is expected
    assert resolved.uses == uses


def test_all_builtins_registered() -> None:
    expected = {
        "actions/checkout", "actions/setup-python", "actions/setup-node", "actions/setup-go",
        "actions/cache", "actions/cache/restore", "actions/cache/save",
        "actions/upload-artifact", "actions/download-artifact",
    }  # fmt: skip
    assert expected <= set(BUILTINS)


def test_cache_subactions_are_distinct(provider: DefaultActionProvider, env: Env) -> None:
    main = resolve(provider, env, "actions/cache@v4").builtin
    restore = resolve(provider, env, "actions/cache/restore@v4").builtin
    save = resolve(provider, env, "actions/cache/save@v4").builtin
    assert len({id(main), id(restore), id(save)}) == 3


def test_register_builtin_one_line(provider: DefaultActionProvider, env: Env) -> None:
    def changes(context: ActionContext) -> ActionResult:
        return ActionResult(outputs={"changed": "true"})

    register_builtin("Dorny/Paths-Filter", changes)
    try:
        resolved = resolve(provider, env, "dorny/paths-filter@v3")
        assert resolved.kind == "builtin" and resolved.builtin is changes
    finally:
        BUILTINS.pop("dorny/paths-filter")


@pytest.mark.parametrize(
    ("text", "kind"),
    [(NODE_ACTION, "node"), (COMPOSITE_ACTION, "composite"), (DOCKER_ACTION, "docker")],
)
def test_local_action_kinds(
    provider: DefaultActionProvider, env: Env, text: str, kind: str
) -> None:
    write(env.workspace / ".github/actions/thing/action.yml", text)
    resolved = resolve(provider, env, "./.github/actions/thing")
    assert resolved.kind == kind
    assert resolved.directory == (env.workspace / ".github/actions/thing").resolve()


def test_local_action_yaml_extension_and_repo_fallback(
    provider: DefaultActionProvider, env: Env
) -> None:
    write(env.repo / "tools/act/action.yaml", COMPOSITE_ACTION)
    resolved = resolve(provider, env, "./tools/act")
    assert resolved.kind == "composite"
    assert resolved.directory == (env.repo / "tools/act").resolve()


def test_local_action_workspace_wins(provider: DefaultActionProvider, env: Env) -> None:
    write(env.repo / "act/action.yml", DOCKER_ACTION)
    write(env.workspace / "act/action.yml", NODE_ACTION)
    assert resolve(provider, env, "./act").kind == "node"


def test_local_action_missing(provider: DefaultActionProvider, env: Env) -> None:
    with pytest.raises(ActionError) as info:
        resolve(provider, env, "./.github/actions/missing")
    message = str(info.value)
    assert "./.github/actions/missing" in message
    assert "action.yml" in message and "actions/checkout" in message


def test_local_action_unknown_runtime(provider: DefaultActionProvider, env: Env) -> None:
    write(
        env.workspace / "old/action.yml",
        "name: x\ndescription: y\nruns:\n  using: node8\n  main: a.js\n",
    )
    with pytest.raises(ActionError, match="old"):
        resolve(provider, env, "./old")


def test_local_reusable_workflow(provider: DefaultActionProvider, env: Env) -> None:
    path = write(env.repo / ".github/workflows/reuse.yml", WORKFLOW)
    resolved = resolve(provider, env, "./.github/workflows/reuse.yml")
    assert resolved.kind == "workflow"
    assert resolved.workflow_file == path
    with pytest.raises(ActionError, match="reusable workflow"):
        resolve(provider, env, "./.github/workflows/nope.yml")


def test_docker_image(provider: DefaultActionProvider, env: Env) -> None:
    resolved = resolve(provider, env, "docker://alpine:3.19")
    assert resolved.kind == "docker" and resolved.directory is None


# ---------------------------------------------------------------- remote actions


@pytest.fixture
def mirror(tmp_path: Path, run_git: GitRun) -> Path:
    """``<mirror>/octo/greet.git``: tag v1 (node), branch main (composite), a sub-action
    and a reusable workflow."""
    src = tmp_path / "greet-src"
    src.mkdir()
    run_git("init", "-q", "-b", "main", cwd=src)
    write(src / "action.yml", NODE_ACTION)
    write(src / "index.js", "console.log('hi')\n")
    write(src / "sub/deep/action.yml", DOCKER_ACTION)
    write(src / ".github/workflows/ci.yml", WORKFLOW)
    run_git("add", ".", cwd=src)
    run_git("commit", "-qm", "v1", cwd=src)
    run_git("tag", "v1", cwd=src)
    write(src / "action.yml", COMPOSITE_ACTION)
    run_git("commit", "-qam", "composite now", cwd=src)
    root = tmp_path / "mirror"
    bare = root / "octo" / "greet.git"
    bare.parent.mkdir(parents=True)
    run_git("clone", "-q", "--bare", str(src), str(bare), cwd=tmp_path)
    return root


def template(mirror: Path) -> str:
    return mirror.as_uri() + "/{owner}/{repo}.git"


def test_remote_tag_branch_and_cache_layout(env: Env, mirror: Path) -> None:
    provider = DefaultActionProvider(env.state_dir, source_url_template=template(mirror))
    tag = resolve(provider, env, "octo/greet@v1")
    assert tag.kind == "node"
    assert tag.directory == env.state_dir / "actions" / "octo" / "greet" / "v1"
    assert (tag.directory / "index.js").is_file()
    assert not (tag.directory / ".git").exists()
    branch = resolve(provider, env, "octo/greet@main")
    assert branch.kind == "composite"
    leftovers = [
        p.name for p in (env.state_dir / "actions/octo/greet").iterdir() if p.name.endswith(".tmp")
    ]
    assert leftovers == []


def test_remote_by_commit_sha(env: Env, mirror: Path, run_git: GitRun) -> None:
    sha = run_git("rev-parse", "v1", cwd=mirror / "octo" / "greet.git")
    provider = DefaultActionProvider(env.state_dir, source_url_template=template(mirror))
    assert resolve(provider, env, f"octo/greet@{sha}").kind == "node"


def test_remote_subpath_and_workflow(env: Env, mirror: Path) -> None:
    provider = DefaultActionProvider(env.state_dir, source_url_template=template(mirror))
    sub = resolve(provider, env, "octo/greet/sub/deep@v1")
    assert sub.kind == "docker"
    assert sub.directory == env.state_dir / "actions/octo/greet/v1/sub/deep"
    wf = resolve(provider, env, "octo/greet/.github/workflows/ci.yml@v1")
    assert wf.kind == "workflow"
    assert wf.workflow_file is not None and wf.workflow_file.is_file()
    with pytest.raises(ActionError, match="nope"):
        resolve(provider, env, "octo/greet/nope@v1")


def test_cached_copy_is_used_without_network(env: Env, mirror: Path) -> None:
    provider = DefaultActionProvider(env.state_dir, source_url_template=template(mirror))
    first = resolve(provider, env, "octo/greet@v1")
    shutil.rmtree(mirror)
    again = resolve(provider, env, "octo/greet@v1")
    assert again.directory == first.directory and again.kind == "node"
    offline = DefaultActionProvider(
        env.state_dir, source_url_template=template(mirror), offline=True
    )
    assert resolve(offline, env, "octo/greet@v1").kind == "node"


def test_env_template(env: Env, mirror: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVEYOR_ACTIONS_URL", template(mirror))
    provider = DefaultActionProvider(env.state_dir)
    assert resolve(provider, env, "octo/greet@v1").kind == "node"


def test_offline_without_cache_names_action_and_url(env: Env, mirror: Path) -> None:
    provider = DefaultActionProvider(
        env.state_dir, source_url_template=template(mirror), offline=True
    )
    with pytest.raises(ActionError) as info:
        resolve(provider, env, "octo/greet@v1")
    message = str(info.value)
    assert "octo/greet@v1" in message
    assert (mirror / "octo" / "greet.git").as_uri() in message
    assert "CONVEYOR_ACTIONS_URL" in message
    assert not (env.state_dir / "actions/octo/greet/v1").exists()


def test_clone_failure_names_action_and_cleans_up(env: Env, mirror: Path) -> None:
    provider = DefaultActionProvider(env.state_dir, source_url_template=template(mirror))
    with pytest.raises(ActionError) as info:
        resolve(provider, env, "octo/missing@v1")
    assert "octo/missing@v1" in str(info.value)
    assert "CONVEYOR_ACTIONS_URL" in str(info.value)
    with pytest.raises(ActionError, match="v9"):
        resolve(provider, env, "octo/greet@v9")
    parent = env.state_dir / "actions/octo/greet"
    assert [p.name for p in parent.iterdir() if not p.name.endswith(".lock")] == []


def test_remote_needs_a_ref(env: Env, mirror: Path) -> None:
    provider = DefaultActionProvider(env.state_dir, source_url_template=template(mirror))
    with pytest.raises(ActionError, match="needs a version"):
        resolve(provider, env, "octo/greet")


def test_bad_template(env: Env) -> None:
    provider = DefaultActionProvider(env.state_dir, source_url_template="file:///x/{owner}/{name}")
    with pytest.raises(ActionError, match="template"):
        resolve(provider, env, "octo/greet@v1")


def test_concurrent_resolves_clone_once(env: Env, mirror: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor

    provider = DefaultActionProvider(env.state_dir, source_url_template=template(mirror))
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: resolve(provider, env, "octo/greet@v1"), range(4)))
    assert {r.directory for r in results} == {env.state_dir / "actions/octo/greet/v1"}
    names = sorted(p.name for p in (env.state_dir / "actions/octo/greet").iterdir())
    assert names == [".v1.lock", "v1"]
