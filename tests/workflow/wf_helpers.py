"""Assertion helpers shared by the workflow tests."""

from __future__ import annotations

from collections.abc import Callable

from conveyor.diagnostics import Diagnostic

Check = Callable[..., list[Diagnostic]]


def at(diags: list[Diagnostic], rule: str) -> list[tuple[int, int]]:
    """(line, col) of every diagnostic with ``rule``."""
    return [(d.line, d.col) for d in diags if d.rule == rule]


def rules(diags: list[Diagnostic]) -> list[str]:
    return [d.rule for d in diags]


def message(diags: list[Diagnostic], rule: str) -> str:
    found = [d.message for d in diags if d.rule == rule]
    assert found, f"no {rule} diagnostic in {[d.format() for d in diags]}"
    return found[0]
