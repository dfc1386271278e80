"""Every real workflow and action file in the shared corpus validates without errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.workflow import load_any
from shared_data import CORPUS

FILES = sorted(p for p in CORPUS.glob("*.y*ml")) if CORPUS.is_dir() else []


def test_corpus_is_complete() -> None:
    if not CORPUS.is_dir():
        pytest.skip("corpus not available")
    assert len(FILES) == 166
    assert sum("__action__" in p.name for p in FILES) == 16


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_corpus_file_has_no_errors(path: Path) -> None:
    loaded = load_any(str(path))
    errors = [d.format() for d in loaded.diagnostics if d.is_error]
    assert errors == []
    assert loaded.model is not None
