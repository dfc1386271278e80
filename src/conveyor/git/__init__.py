"""Facts about the local git repository: HEAD, refs, remote, changed files.

Every git call goes through :func:`git`, which raises one :class:`GitError` showing
the command and its output.
"""

from conveyor.git.command import GitError, git, git_out, resolve_commit
from conveyor.git.diff import changed_files, changed_files_merge_base, commit_files
from conveyor.git.identity import RepositoryIdentity, repository_identity, strip_credentials
from conveyor.git.remotes import repository_from_url
from conveyor.git.repo import RepoInfo, repo_info

__all__ = [
    "GitError",
    "RepoInfo",
    "RepositoryIdentity",
    "changed_files",
    "changed_files_merge_base",
    "commit_files",
    "git",
    "git_out",
    "repo_info",
    "repository_from_url",
    "repository_identity",
    "resolve_commit",
    "strip_credentials",
]
