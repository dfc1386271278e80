from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.git import GitError, changed_files, changed_files_merge_base, git
from git_repo_helpers import GitRun


def test_git_returns_output(repo: Path) -> None:
    rc, out, err = git("rev-parse", "--abbrev-ref", "HEAD", cwd=repo)
    assert (rc, out.strip(), err) == (0, "main", "")


def test_git_error_names_command_and_output(repo: Path) -> None:
    with pytest.raises(GitError) as info:
        git("rev-parse", "--verify", "no-such-ref", cwd=repo)
    message = str(info.value)
    assert "git rev-parse --verify no-such-ref" in message
    assert str(repo) in message
    assert "exited with" in message
    assert info.value.rc not in (0, None)


def test_git_unchecked_returns_rc(repo: Path) -> None:
    rc, _, err = git("rev-parse", "--verify", "no-such-ref", cwd=repo, check=False)
    assert rc != 0 and err


def test_changed_files_two_and_three_dot(repo: Path, run_git: GitRun) -> None:
    run_git("checkout", "-qb", "feature", cwd=repo)
    (repo / "src").mkdir()
    (repo / "src" / "feature.py").write_text("x = 1\n")
    run_git("add", ".", cwd=repo)
    run_git("commit", "-qm", "feature", cwd=repo)
    run_git("checkout", "-q", "main", cwd=repo)
    (repo / "docs.md").write_text("docs\n")
    run_git("add", ".", cwd=repo)
    run_git("commit", "-qm", "main moves on", cwd=repo)
    assert changed_files(repo, "main", "feature") == ["docs.md", "src/feature.py"]
    assert changed_files_merge_base(repo, "main", "feature") == ["src/feature.py"]
    assert changed_files(repo, "feature", "feature") == []


def test_changed_files_bad_ref_raises(repo: Path) -> None:
    with pytest.raises(GitError):
        changed_files(repo, "main", "does-not-exist")
