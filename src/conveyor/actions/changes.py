"""``conveyor/changes`` (and ``dorny/paths-filter`` at any version): which named groups of
files changed.

Inputs (as dorny/paths-filter):

* ``filters``: YAML mapping of name -> pattern list (or one pattern string). YAML
  anchors and aliases work, and nested lists from ``[*shared, 'src/api/**']`` are
  flattened. An item may also be ``{'added|modified': pattern}`` to match only files
  with those change types (added, modified, deleted, renamed).
* ``base``, ``ref``: what to compare (see below).
* ``list-files``: ``none`` (default), ``csv``, ``json``, ``shell`` or ``escape``.
* ``predicate-quantifier``: ``some`` (default: a file matches a filter when any pattern
  matches it) or ``every`` (all patterns must match it).

Patterns use GitHub's path-filter globs from :mod:`conveyor.filters` (``*`` stays in one
path segment, ``**`` crosses segments, ``?``, ``[...]``), which is what dorny's
picomatch does for the usual patterns; dot files match. A leading ``!`` negates the
pattern, as in picomatch (matches every file the rest does not match), which is mostly
useful with ``predicate-quantifier: every``.

Base (like dorny): on ``pull_request`` the base branch, compared since the merge base;
on ``push`` the ``before`` commit, or the default branch when the branch is new (or
``before`` is unknown). An explicit ``base`` naming the current branch also means
``before``; any other ``base`` is compared since the merge base.

Outputs: ``<name>`` (``'true'``/``'false'``), ``<name>_count``, ``<name>_files`` (with
``list-files``) and ``changes`` (JSON list of the filters that matched).
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from conveyor.actions.common import InputError, fail, get_input, log
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.filters import FilterPatternError, matches_any
from conveyor.git import GitError, git, git_out, resolve_commit

ZERO = "0" * 40
_STATUS = {"A": "added", "M": "modified", "D": "deleted", "R": "renamed", "C": "added"}
_FORMATS = ("none", "csv", "json", "shell", "escape")

Rule = tuple[str, frozenset[str] | None]  # pattern, change types (None: any)


def _flatten(value: Any, types: frozenset[str] | None, out: list[Rule], name: str) -> None:
    if isinstance(value, str):
        out.append((value, types))
    elif isinstance(value, list):
        for item in value:
            _flatten(item, types, out, name)
    elif isinstance(value, dict):
        for key, inner in value.items():
            wanted = frozenset(t.strip() for t in str(key).split("|"))
            unknown = wanted - set(_STATUS.values())
            if unknown:
                raise InputError(f"filter '{name}': unknown change type {sorted(unknown)[0]!r}")
            _flatten(inner, wanted, out, name)
    else:
        raise InputError(f"filter '{name}': expected a pattern or a list, got {value!r}")


def parse_filters(text: str) -> dict[str, list[Rule]]:
    """The ``filters`` input: YAML text of named pattern lists."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InputError(f"input 'filters' is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError("input 'filters' must be a mapping of name -> patterns")
    rules: dict[str, list[Rule]] = {}
    for name, value in data.items():
        found: list[Rule] = []
        _flatten(value, None, found, str(name))
        rules[str(name)] = found
    return rules


def _rule_matches(rule: Rule, path: str, status: str) -> bool:
    pattern, types = rule
    if types is not None and status not in types:
        return False
    if pattern.startswith("!"):
        return not matches_any([pattern[1:]], path, kind="path")
    return matches_any([pattern], path, kind="path")


def match_filters(
    rules: Mapping[str, list[Rule]], files: Mapping[str, str], quantifier: str
) -> dict[str, list[str]]:
    """For each filter, the changed files (path -> change type) it matches."""
    combine = all if quantifier == "every" else any
    return {
        name: [p for p, s in files.items() if rs and combine(_rule_matches(r, p, s) for r in rs)]
        for name, rs in rules.items()
    }


def format_files(files: list[str], fmt: str) -> str:
    if fmt == "json":
        return json.dumps(files)
    if fmt == "csv":
        return ",".join(
            f'"{f.replace(chr(34), chr(34) * 2)}"' if re.search(r'[,"\s]', f) else f for f in files
        )
    if fmt == "shell":
        return " ".join(shlex.quote(f) for f in files)
    if fmt == "escape":
        return " ".join(re.sub(r"([^\w./@%+=:,-])", r"\\\1", f) for f in files)
    return ""


def _repo(context: ActionContext) -> Path:
    for candidate in (context.workspace, context.repository_root):
        if git_out("rev-parse", "--git-dir", cwd=candidate):
            return candidate
    raise InputError(f"{context.workspace} is not a git repository; run actions/checkout first")


def _commit(root: Path, name: str) -> str | None:
    return resolve_commit(root, name, f"refs/remotes/origin/{name}")


def _diff_spec(context: ActionContext, root: Path) -> str:
    """``base..head`` or ``base...head`` as dorny would pick them."""
    github = context.github
    event: Mapping[str, Any] = github.get("event") or {}
    head = get_input(context, "ref") or "HEAD"
    head_sha = _commit(root, head) or _commit(root, "HEAD")
    if head_sha is None:
        raise InputError("the repository has no commits")
    base = get_input(context, "base")
    current = str(github.get("ref_name") or "")
    default = str((event.get("repository") or {}).get("default_branch") or "main")
    if not base and str(github.get("event_name", "")).startswith("pull_request"):
        pr = event.get("pull_request") or {}
        base = str((pr.get("base") or {}).get("ref") or github.get("base_ref") or default)
    if not base or base == current:
        before = str(event.get("before") or "")
        if before and before != ZERO and _commit(root, before):
            return f"{before}..{head_sha}"
        if not base:
            base = default
    base_sha = _commit(root, base)
    if base_sha is None:
        raise InputError(f"base '{base}' is not a commit or branch in {root}")
    if base_sha == head_sha:  # e.g. on the default branch with no "before": the head commit
        parent = _commit(root, f"{head_sha}~1")
        return f"{parent}..{head_sha}" if parent else head_sha
    return f"{base_sha}...{head_sha}"


def changed_with_status(root: Path, spec: str) -> dict[str, str]:
    args = ["diff", "--name-status", "-z", "--find-renames"]
    if ".." not in spec:  # a root commit: everything in it was added
        args = ["diff-tree", "--root", "-r", "--name-status", "-z", "--no-commit-id"]
    _, out, _ = git(*args, spec, cwd=root)
    parts = out.split("\0")
    files: dict[str, str] = {}
    i = 0
    while i < len(parts) and parts[i]:
        status = parts[i][:1]
        if status in ("R", "C"):
            files[parts[i + 2]] = _STATUS[status]
            i += 3
        else:
            files[parts[i + 1]] = _STATUS.get(status, "modified")
            i += 2
    return files


def run(context: ActionContext) -> ActionResult:
    try:
        rules = parse_filters(get_input(context, "filters"))
        fmt = (get_input(context, "list-files") or "none").lower()
        if fmt not in _FORMATS:
            raise InputError(f"input 'list-files' must be one of {', '.join(_FORMATS)}")
        quantifier = (get_input(context, "predicate-quantifier") or "some").lower()
        if quantifier not in ("some", "every"):
            raise InputError("input 'predicate-quantifier' must be 'some' or 'every'")
        root = _repo(context)
        spec = _diff_spec(context, root)
        files = changed_with_status(root, spec)
        matched = match_filters(rules, files, quantifier)
    except (InputError, FilterPatternError, GitError) as exc:
        return fail(context, str(exc))
    log(context, f"Changes ({spec}): {len(files)} file(s)")
    outputs: dict[str, str] = {}
    for name, hits in matched.items():
        outputs[name] = "true" if hits else "false"
        outputs[f"{name}_count"] = str(len(hits))
        if fmt != "none":
            outputs[f"{name}_files"] = format_files(hits, fmt)
        log(context, f"Filter {name} = {outputs[name]} ({len(hits)} file(s))")
    outputs["changes"] = json.dumps([name for name, hits in matched.items() if hits])
    return ActionResult(outputs=outputs)
