"""Positioned diagnostics: what validation and the loader report.

A :class:`Diagnostic` is a value, printed as ``path:line:col: message [rule]``.
Lines and columns are 1-based.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    path: str
    line: int
    col: int
    message: str
    rule: str
    severity: Severity = Severity.ERROR

    def format(self) -> str:
        prefix = "warning: " if self.severity is Severity.WARNING else ""
        return f"{self.path}:{self.line}:{self.col}: {prefix}{self.message} [{self.rule}]"

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["severity"] = str(self.severity)
        return data

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR
