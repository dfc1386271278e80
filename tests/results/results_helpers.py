"""Shared by the results tests (importable by name: the conftest module name is not unique)."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "junit"
