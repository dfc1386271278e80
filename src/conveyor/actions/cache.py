"""Built-in ``actions/cache`` (and ``actions/cache/restore``, ``actions/cache/save``).

Restore runs as the step; saving runs after the job through ``ActionResult.post``,
only when there was no exact hit (the engine calls it only when the job succeeded).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from conveyor.actions.cache_store import CacheStore, paths_version
from conveyor.actions.common import (
    InputError,
    fail,
    get_bool,
    get_input,
    get_lines,
    home_dir,
    log,
)
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.expressions.pathglob import compile_patterns, match_files

MAX_KEY_LENGTH = 512


@dataclass(frozen=True, slots=True)
class _Request:
    key: str
    restore_keys: list[str]
    paths: list[str]
    version: str


def _request(context: ActionContext) -> _Request:
    key = get_input(context, "key")
    if not key:
        raise InputError("input 'key' is required")
    restore_keys = get_lines(context, "restore-keys")
    for value in (key, *restore_keys):
        if len(value) > MAX_KEY_LENGTH or "," in value:
            raise InputError(
                f"key {value!r} is invalid: at most {MAX_KEY_LENGTH} characters, no commas"
            )
    paths = get_lines(context, "path")
    if not paths:
        raise InputError("input 'path' is required (one path or glob per line)")
    return _Request(key, restore_keys, paths, paths_version(paths))


def _store(context: ActionContext) -> CacheStore:
    return CacheStore.at(Path(context.state_dir))


def _restore(context: ActionContext, request: _Request) -> ActionResult:
    lookup_only = get_bool(context, "lookup-only", False)
    entry = _store(context).find(request.key, request.restore_keys, request.version)
    outputs = {"cache-primary-key": request.key, "cache-hit": "false", "cache-matched-key": ""}
    if entry is None:
        if get_bool(context, "fail-on-cache-miss", False):
            keys = ", ".join([request.key, *request.restore_keys])
            return fail(context, f"cache: no cache found for key(s) {keys} (fail-on-cache-miss)")
        log(
            context,
            f"Cache not found for input keys: {', '.join([request.key, *request.restore_keys])}",
        )
        return ActionResult(outputs=outputs)
    outputs["cache-matched-key"] = entry.key
    outputs["cache-hit"] = "true" if entry.key == request.key else "false"
    if lookup_only:
        log(context, f"Cache found for key {entry.key} (lookup only, not restored)")
    else:
        count = _store(context).restore(entry, Path(context.workspace))
        log(context, f"Cache restored from key: {entry.key} ({count} files)")
    return ActionResult(outputs=outputs)


def _save(context: ActionContext, request: _Request) -> ActionResult:
    patterns = compile_patterns(
        request.paths, Path(context.workspace), home=str(home_dir(context.env))
    )
    files = match_files(patterns)
    if not files:
        log(context, "Warning: path(s) to cache do not exist; no cache is being saved", "stderr")
        return ActionResult()
    store = _store(context)
    if store.save(request.key, request.version, files, Path(context.workspace)):
        log(context, f"Cache saved with key: {request.key} ({len(files)} files)")
    else:
        log(context, f"Cache with key {request.key} already exists; not saving")
    return ActionResult()


def run(context: ActionContext) -> ActionResult:
    """``actions/cache``: restore now, save after the job unless the key hit exactly."""
    try:
        request = _request(context)
        result = _restore(context, request)
    except (InputError, OSError, ValueError) as exc:
        return fail(context, f"cache: {exc}")
    lookup_only = get_bool(context, "lookup-only", False)
    if result.ok and result.outputs.get("cache-hit") != "true" and not lookup_only:
        result.post = lambda post_context: _safe_save(post_context, request)
    return result


def _safe_save(context: ActionContext, request: _Request) -> ActionResult:
    try:
        return _save(context, request)
    except (OSError, ValueError) as exc:
        return fail(context, f"cache: could not save key {request.key}: {exc}")


def run_restore(context: ActionContext) -> ActionResult:
    """``actions/cache/restore``: restore only."""
    try:
        return _restore(context, _request(context))
    except (InputError, OSError, ValueError) as exc:
        return fail(context, f"cache/restore: {exc}")


def run_save(context: ActionContext) -> ActionResult:
    """``actions/cache/save``: save now."""
    try:
        request = _request(context)
    except (InputError, ValueError) as exc:
        return fail(context, f"cache/save: {exc}")
    return _safe_save(context, request)
