"""Built-in ``actions/checkout``: fill the job workspace from the local repository.

Modes (``$CONVEYOR_CHECKOUT_MODE``, set by the engine from ``--checkout``):

* ``copy`` (default): the working tree *as it is on disk*, including uncommitted
  changes and untracked files that are not ignored, plus a shared ``.git``. With a
  ``ref`` that is not HEAD, a clean checkout of that commit instead.
* ``worktree``: ``git worktree add --detach <workspace> <ref or HEAD>`` (committed
  files only). When the job ends a post step releases it (the repository's worktree
  list forgets it; the files stay until ``conveyor gc``).

``repository`` naming another repository clones it from the actions source
(``$CONVEYOR_ACTIONS_URL`` template, default GitHub).
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from conveyor.actions.common import (
    InputError,
    env_value,
    fail,
    get_bool,
    get_input,
    log,
    resolve_under,
)
from conveyor.actions.remote_cache import SOURCE_ENV, source_template, source_url
from conveyor.actions.tree_copy import (
    attach_git_dir,
    checkout_commit,
    copy_plain_tree,
    copy_working_tree,
    empty_dir,
)
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.errors import ConveyorError
from conveyor.git import git, git_out, repo_info, resolve_commit
from conveyor.git.worktrees import release_worktree

MODE_ENV = "CONVEYOR_CHECKOUT_MODE"
MODES = ("copy", "worktree")
_IGNORED_INPUTS = (
    "fetch-depth", "fetch-tags", "token", "ssh-key", "ssh-known-hosts", "ssh-strict",
    "persist-credentials", "submodules", "lfs", "sparse-checkout", "filter", "show-progress",
    "set-safe-directory", "github-server-url",
)  # fmt: skip


def run(context: ActionContext) -> ActionResult:
    try:
        return _run(context)
    except (InputError, ConveyorError, OSError) as exc:
        return fail(context, f"checkout failed: {exc}")


def _run(context: ActionContext) -> ActionResult:
    workspace = Path(context.workspace).resolve()
    dest = resolve_under(workspace, get_input(context, "path"), "repository path")
    root = Path(context.repository_root).resolve()
    ref = get_input(context, "ref")
    clean = get_bool(context, "clean", True)
    ignored = [name for name in _IGNORED_INPUTS if get_input(context, name)]
    if ignored:
        log(context, f"Note: input(s) {', '.join(ignored)} are ignored by the local checkout")
    if dest == root or dest in root.parents:
        raise InputError(f"the checkout path {dest} contains the repository {root}; refusing")
    repository = get_input(context, "repository")
    current = str(context.github.get("repository") or repo_info(root).repository)
    if repository and repository.lower() != current.lower():
        return _clone_other(context, repository, ref, dest, clean)
    mode = (env_value(context, MODE_ENV) or "copy").strip().lower()
    if mode not in MODES:
        raise InputError(f"{MODE_ENV}={mode!r} is not a checkout mode; use one of {MODES}")
    if mode == "worktree":
        return _worktree(context, root, dest, ref, clean)
    return _copy(context, root, dest, ref, clean)


def _resolve_ref(root: Path, ref: str) -> str:
    sha = resolve_commit(root, ref, f"origin/{ref}", f"refs/tags/{ref}")
    if sha is None:
        raise InputError(f"ref '{ref}' not found in {root}; fetch it first or check the name")
    return sha


def _branch_of(root: Path, ref: str) -> str | None:
    name = ref.removeprefix("refs/heads/")
    ok = git_out("show-ref", "--verify", "--quiet", f"refs/heads/{name}", cwd=root) is not None
    return name if ok else None


def _copy(context: ActionContext, root: Path, dest: Path, ref: str, clean: bool) -> ActionResult:
    info = repo_info(root)
    if clean:
        empty_dir(dest)
    dest.mkdir(parents=True, exist_ok=True)
    if not info.is_repo:
        count = copy_plain_tree(root, dest)
        log(context, f"{root} is not a git repository; copied {count} files to {dest}")
        return ActionResult(outputs={"ref": "", "commit": ""})
    scratch = Path(context.state_dir) / "tmp"
    sha = _resolve_ref(root, ref) if ref else info.sha
    if sha is not None and sha != info.sha:
        attach_git_dir(root, dest, scratch, info.remote_url)
        checkout_commit(dest, sha, _branch_of(root, ref))
        log(context, f"Checked out {ref} ({sha[:12]}) from {root} into {dest}")
        return ActionResult(outputs={"ref": ref, "commit": sha})
    count = copy_working_tree(root, dest)
    attach_git_dir(root, dest, scratch, info.remote_url)
    state = " including uncommitted changes" if info.dirty else ""
    log(context, f"Copied {count} files from {root} to {dest}{state}")
    return ActionResult(outputs={"ref": info.ref or "", "commit": info.sha or ""})


def _worktree(
    context: ActionContext, root: Path, dest: Path, ref: str, clean: bool
) -> ActionResult:
    if not ref and repo_info(root).sha is None:
        raise InputError(f"worktree checkout needs a commit; {root} has none (use copy mode)")
    sha = _resolve_ref(root, ref or "HEAD")
    if (dest / ".git").exists():
        git("worktree", "remove", "--force", str(dest), cwd=root, check=False)
    if clean or not dest.exists():
        empty_dir(dest)
    git("worktree", "prune", cwd=root)
    git("worktree", "add", "--force", "--detach", str(dest), sha, cwd=root)
    if repo_info(root).dirty:
        log(context, "Note: worktree checkout contains committed files only")
    log(context, f"Checked out {ref or 'HEAD'} ({sha[:12]}) as a worktree at {dest}")

    def release(post_context: ActionContext) -> ActionResult:
        if release_worktree(dest):
            log(post_context, f"Released the worktree at {dest} from {root}")
        return ActionResult()

    return ActionResult(outputs={"ref": ref, "commit": sha}, post=release)


def _clone_other(
    context: ActionContext, repository: str, ref: str, dest: Path, clean: bool
) -> ActionResult:
    owner, _, name = repository.partition("/")
    if not owner or not name or "/" in name:
        raise InputError(f"input 'repository' must be owner/name, got {repository!r}")
    template = source_template(None, {SOURCE_ENV: env_value(context, SOURCE_ENV) or ""})
    url = source_url(template, owner, name.removesuffix(".git"))
    scratch = Path(context.state_dir) / "tmp"
    scratch.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="checkout.", dir=scratch))
    try:
        clone = tmp / "repo"
        git("clone", "--quiet", "--", url, str(clone), cwd=tmp)
        if ref:
            sha = _resolve_ref(clone, ref)
            checkout_commit(clone, sha, _branch_of(clone, ref) or _remote_branch(clone, ref))
        if clean:
            empty_dir(dest)
        dest.mkdir(parents=True, exist_ok=True)
        for child in clone.iterdir():
            target = dest / child.name
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target)
            elif target.exists() or target.is_symlink():
                target.unlink()
            shutil.move(str(child), str(target))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    sha = git_out("rev-parse", "HEAD", cwd=dest) or ""
    log(context, f"Cloned {repository} from {url} into {dest} at {ref or 'the default branch'}")
    return ActionResult(outputs={"ref": ref, "commit": sha})


def _remote_branch(clone: Path, ref: str) -> str | None:
    name = ref.removeprefix("refs/heads/")
    found = git_out("show-ref", "--verify", "--quiet", f"refs/remotes/origin/{name}", cwd=clone)
    return name if found is not None else None
