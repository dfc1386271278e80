"""Secret masking: every value registered here is replaced by ``***`` in any text.

One :class:`Masker` per run. Secrets and values added with ``::add-mask::`` are
registered; console output, log files, step summaries, outputs and database rows
all pass through :meth:`Masker.mask`. Thread-safe.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable

MASK = "***"


class Masker:
    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        """Register a secret. Multi-line secrets are also masked line by line, as on GitHub."""
        candidates = {value, *(line.strip("\r") for line in value.splitlines())}
        with self._lock:
            changed = False
            for item in candidates:
                if item.strip() and item not in self._values:
                    self._values.add(item)
                    changed = True
            if changed:
                ordered = sorted(self._values, key=len, reverse=True)
                self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def mask(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    @property
    def values(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._values)
