"""The store tests' database fixtures (``tests/store/conftest.py``: ``postgres_admin_url``,
``postgres_url``, ``db_url``), loaded once for the other suites' conftests that test
against both databases."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

_NAME = "_store_fixtures"


def store_fixtures() -> ModuleType:
    """``tests/store/conftest.py`` as a module, loaded on first use."""
    if _NAME not in sys.modules:
        path = Path(__file__).resolve().parent / "store" / "conftest.py"
        spec = importlib.util.spec_from_file_location(_NAME, path)
        assert spec is not None and spec.loader is not None
        sys.modules[_NAME] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules[_NAME])
    return sys.modules[_NAME]
