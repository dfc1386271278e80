from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from conveyor.engine.concurrency import ConcurrencyRegistry, concurrency_spec
from conveyor.engine.platforms import parse_platforms, place
from conveyor.engine.runstate import Control
from conveyor.engine.secrets import TOKEN_PLACEHOLDER, collect_secrets, parse_pairs
from conveyor.errors import UsageError


def test_collect_secrets_sources_and_precedence(tmp_path: Path) -> None:
    dotenv = tmp_path / ".secrets"
    dotenv.write_text("A=file\nB='quoted value'\n")
    secrets = collect_secrets(
        ["A=cli"], dotenv, {"CONVEYOR_SECRET_C": "env", "CONVEYOR_SECRET_A": "env-a", "X": "no"}
    )
    assert secrets == {
        "GITHUB_TOKEN": TOKEN_PLACEHOLDER,
        "A": "cli",
        "B": "quoted value",
        "C": "env",
    }
    with pytest.raises(UsageError):
        collect_secrets([], tmp_path / "missing")
    with pytest.raises(UsageError):
        parse_pairs(["novalue"], "--var")


def test_platform_placement() -> None:
    assert place(["ubuntu-latest"], {}).local
    assert place(["self-hosted", "linux", "x64"], {}).local
    assert not place(["windows-2022"], {}).local
    assert place(["windows-2022"], {"windows-2022": "local"}).local
    assert not place(["ubuntu-latest"], {"ubuntu-latest": "skip"}).local
    with pytest.raises(UsageError):
        parse_platforms(["a=b"])


def test_control_tree_cancels_children_and_new_events() -> None:
    root = Control()
    child = root.child()
    event = child.event()
    root.cancel("stop")
    assert event.is_set() and child.cancelled and child.reason == "stop"
    assert child.child().event().is_set()


def test_concurrency_spec_forms() -> None:
    ctx = {"github": {"ref": "refs/heads/main"}}
    assert concurrency_spec("g-${{ github.ref }}", ctx) == ("g-refs/heads/main", False)
    assert concurrency_spec({"group": "x", "cancel-in-progress": True}, ctx) == ("x", True)
    assert concurrency_spec(None, ctx) is None


def test_registry_queue_replace_and_cancel_in_progress(tmp_path: Path) -> None:
    registry = ConcurrencyRegistry(tmp_path)
    cancelled = threading.Event()
    abort = threading.Event()
    holder = registry.acquire(
        "g", cancel_in_progress=False, label="one", on_cancel=cancelled.set, abort=abort
    )
    assert holder is not None
    results: dict[str, str | None] = {}

    def wait(name: str, cancel_in_progress: bool) -> None:
        results[name] = registry.acquire(
            "g",
            cancel_in_progress=cancel_in_progress,
            label=name,
            on_cancel=lambda: None,
            abort=threading.Event(),
        )

    older = threading.Thread(target=wait, args=("older", False))
    older.start()
    time.sleep(0.3)
    newer = threading.Thread(target=wait, args=("newer", True))
    newer.start()
    older.join(5)
    assert results["older"] is None  # replaced by the newer pending run
    assert cancelled.wait(5)  # the newer one asked the holder to cancel
    registry.release(holder)
    newer.join(5)
    assert results["newer"] is not None
    registry.close()
