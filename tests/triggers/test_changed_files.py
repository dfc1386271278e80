"""Changed files from real git repositories: push (two-dot), new branch, pull request."""

from __future__ import annotations

from pathlib import Path

from trigger_helpers import Git, commit

from conveyor.git import repo_info
from conveyor.triggers import pull_request_changed_files, push_changed_files
from conveyor.triggers.resolve import changed_files_for, pull_request_event, push_event

ZERO = "0" * 40


def test_push_is_a_two_dot_diff_between_before_and_after(repo: Path, git: Git) -> None:
    before = commit(git, repo, {"src/api/a.py": "1\n", "docs/x.md": "x\n"})
    commit(git, repo, {"src/api/a.py": "2\n"})
    after = commit(git, repo, {"src/data/d.py": "d\n"})
    got = push_changed_files(repo, before=before, after=after, default_branch="main")
    assert got == ["src/api/a.py", "src/data/d.py"]


def test_new_branch_compares_with_the_default_branch_merge_base(repo: Path, git: Git) -> None:
    commit(git, repo, {"base.txt": "b\n"})
    git("checkout", "-qb", "telegram", cwd=repo)
    commit(git, repo, {"src/api/a.py": "1\n"})
    after = commit(git, repo, {"frontend/twinbar/x.js": "1\n"})
    git("checkout", "-q", "main", cwd=repo)
    commit(git, repo, {"main-only.txt": "m\n"})  # main moved on: not part of the push
    got = push_changed_files(repo, before=ZERO, after=after, default_branch="main")
    assert got == ["frontend/twinbar/x.js", "src/api/a.py"]


def test_pull_request_is_a_three_dot_diff(repo: Path, git: Git) -> None:
    git("checkout", "-qb", "feature", cwd=repo)
    head = commit(git, repo, {"src/scheduler/s.py": "1\n"})
    git("checkout", "-q", "main", cwd=repo)
    base = commit(git, repo, {"docs/later.md": "x\n"})
    assert pull_request_changed_files(repo, base=base, head=head) == ["src/scheduler/s.py"]
    event = pull_request_event(
        repo_info(repo), base="main", head="feature", action="opened", labels=["x"]
    )
    assert event.changed_files == ["src/scheduler/s.py"]
    pr = event.payload["pull_request"]
    assert pr["base"] == {**pr["base"], "ref": "main", "sha": base}
    assert pr["head"]["sha"] == head and pr["labels"] == [{"name": "x"}]
    assert changed_files_for(repo_info(repo), "pull_request", event.payload) == [
        "src/scheduler/s.py"
    ]


def test_push_event_defaults_and_payload(repo: Path, git: Git) -> None:
    first = git("rev-parse", "HEAD", cwd=repo)
    after = commit(git, repo, {"src/api/a.py": "1\n"}, "add api")
    event = push_event(repo_info(repo), ref=None, before=None, after=None)
    assert event.ref == "refs/heads/main" and event.sha == after
    assert event.changed_files == ["src/api/a.py"]
    payload = event.payload
    assert payload["before"] == first and payload["after"] == after
    assert payload["created"] is False and payload["deleted"] is False
    assert payload["forced"] is False
    assert [c["id"] for c in payload["commits"]] == [after]
    assert payload["commits"][0]["added"] == ["src/api/a.py"]
    assert payload["head_commit"]["message"] == "add api"
    assert payload["repository"]["default_branch"] == "main"
    assert payload["repository"]["full_name"].endswith("/repo")
    assert payload["pusher"]["name"] and payload["sender"]["login"]
    assert changed_files_for(repo_info(repo), "push", payload) == ["src/api/a.py"]


def test_forced_push_is_detected(repo: Path, git: Git) -> None:
    old = commit(git, repo, {"a.txt": "1\n"})
    git("reset", "-q", "--hard", "HEAD~1", cwd=repo)
    new = commit(git, repo, {"b.txt": "1\n"})
    event = push_event(repo_info(repo), ref="main", before=old, after=new)
    assert event.payload["forced"] is True
    assert event.changed_files == ["a.txt", "b.txt"]
