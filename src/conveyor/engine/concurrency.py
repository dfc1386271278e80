"""Concurrency groups shared by every ``conveyor run`` process on this machine.

A JSON file per group under ``<state>/concurrency/`` guarded by ``fcntl.flock``:
``{"running": slot | null, "pending": slot | null, "cancel": [tokens]}`` where a slot is
``{"token", "pid", "label"}``. One run holds a group, at most one waits; a newer waiter
replaces (cancels) the older one. With ``cancel-in-progress`` the newcomer asks the holder
to cancel itself: the holder's :class:`ConcurrencyRegistry` watcher sees its token in
``cancel`` and calls the holder's callback. Slots of dead processes are dropped.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

POLL_SECONDS = 0.1


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class ConcurrencyRegistry:
    def __init__(self, state_dir: Path) -> None:
        self._dir = state_dir / "concurrency"
        self._held: dict[str, tuple[Path, Callable[[], None]]] = {}
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None
        self._stop = threading.Event()

    # ------------------------------------------------------------ file state

    def _file(self, group: str) -> Path:
        digest = hashlib.sha256(group.encode()).hexdigest()[:24]
        return self._dir / f"{digest}.json"

    @contextlib.contextmanager
    def _locked(self, path: Path) -> Iterator[dict[str, Any]]:
        self._dir.mkdir(parents=True, exist_ok=True)
        with path.open("a+", encoding="utf-8") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            fh.seek(0)
            text = fh.read()
            try:
                state: dict[str, Any] = json.loads(text) if text.strip() else {}
            except json.JSONDecodeError:
                state = {}
            state.setdefault("running", None)
            state.setdefault("pending", None)
            state.setdefault("cancel", [])
            for slot in ("running", "pending"):
                held = state[slot]
                if held is not None and not _alive(int(held["pid"])):
                    state[slot] = None
            before = json.dumps(state, sort_keys=True)
            yield state
            if json.dumps(state, sort_keys=True) != before or not text.strip():
                fh.seek(0)
                fh.truncate()
                fh.write(json.dumps(state))
                fh.flush()

    # ------------------------------------------------------------ public API

    def acquire(
        self,
        group: str,
        *,
        cancel_in_progress: bool,
        label: str,
        on_cancel: Callable[[], None],
        abort: threading.Event,
        waiting: Callable[[str], None] = lambda _label: None,
    ) -> str | None:
        """Wait until this run holds ``group``; returns the token, or None if superseded/aborted.

        While held, ``on_cancel`` is called if a newer run asks to cancel this one.
        """
        path = self._file(group)
        token = uuid.uuid4().hex
        me = {"token": token, "pid": os.getpid(), "label": label}
        told_wait = False
        while True:
            with self._locked(path) as state:
                pending = state["pending"]
                if state["running"] is None and (pending is None or pending["token"] == token):
                    state["running"] = me
                    state["pending"] = None
                    break
                if pending is None or pending["token"] != token:
                    if told_wait:  # someone newer replaced us
                        return None
                    state["pending"] = me
                    if cancel_in_progress and state["running"] is not None:
                        state["cancel"] = [*state["cancel"], state["running"]["token"]]
                if abort.is_set():
                    if state["pending"] and state["pending"]["token"] == token:
                        state["pending"] = None
                    return None
            if not told_wait:
                told_wait = True
                waiting(str(state["running"]["label"]) if state["running"] else "")
            abort.wait(POLL_SECONDS)
        with self._lock:
            self._held[token] = (path, on_cancel)
            self._ensure_watcher()
        return token

    def release(self, token: str) -> None:
        with self._lock:
            entry = self._held.pop(token, None)
        if entry is None:
            return
        with self._locked(entry[0]) as state:
            if state["running"] and state["running"]["token"] == token:
                state["running"] = None
            state["cancel"] = [t for t in state["cancel"] if t != token]

    def close(self) -> None:
        for token in list(self._held):
            self.release(token)
        self._stop.set()

    # ------------------------------------------------------------ watcher

    def _ensure_watcher(self) -> None:
        if self._watcher is None or not self._watcher.is_alive():
            self._watcher = threading.Thread(target=self._watch, name="concurrency", daemon=True)
            self._watcher.start()

    def _watch(self) -> None:
        notified: set[str] = set()
        while not self._stop.wait(POLL_SECONDS):
            with self._lock:
                held = dict(self._held)
            notified &= set(held)
            for token, (path, on_cancel) in held.items():
                if token in notified:
                    continue
                try:
                    data = json.loads(path.read_text(encoding="utf-8") or "{}")
                except (OSError, json.JSONDecodeError):
                    continue
                if token in data.get("cancel", []):
                    notified.add(token)
                    on_cancel()


def concurrency_spec(value: Any, contexts: Mapping[str, Any]) -> tuple[str, bool] | None:
    """``concurrency:`` (a group string or ``{group, cancel-in-progress}``) evaluated."""
    from conveyor.engine import exprs

    if value is None or value == "":
        return None
    if isinstance(value, dict):
        group = exprs.text(value.get("group"), contexts)
        cancel = exprs.truthy(value.get("cancel-in-progress", False), contexts)
    else:
        group, cancel = exprs.text(value, contexts), False
    return (group, cancel) if group else None
