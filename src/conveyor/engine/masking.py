"""Secret masking: every value registered here is replaced by ``***`` in any text.

One :class:`Masker` per run. Secrets and values added with ``::add-mask::`` are
registered; console output, log files, step summaries, outputs, database rows, test
results, reports and notifications all pass through :meth:`Masker.mask`. Thread-safe.

Like GitHub's runner, a registered value is also masked in the forms a step commonly
derives from it (:func:`encoded_forms`): base64 at each of the three byte offsets the
value can start at inside a longer encoded text, URL-encoded (``%20`` and ``+`` for a
space, either hex case), JSON-escaped (ASCII-only and not), XML-escaped, and with
Python's backslash escapes (how pytest shows a secret parametrized into a test's id).

A conveyor command a step runs itself (``conveyor ingest``, ``conveyor test``, a nested
``conveyor run``) is another process that does not know the run's masker. So a step's
environment carries ``CONVEYOR_MASK`` (:func:`mask_env`): the registered values that
already appear in that environment's other variables, each base64-encoded (which the
masker masks when it is printed), and such commands start from :func:`env_masker`.
Nothing the step could not already read is handed to it.
"""

from __future__ import annotations

import base64
import json
import re
import threading
from collections.abc import Iterable, Mapping
from typing import BinaryIO
from urllib.parse import quote, quote_plus

MASK = "***"
MASK_ENV = "CONVEYOR_MASK"
_CHUNK = 1 << 20
_PERCENT_HEX = re.compile(r"%[0-9A-F]{2}")


def _base64_forms(value: str) -> set[str]:
    """The base64 text that encodes ``value`` wherever it sits in a longer input.

    Base64 encodes 3-byte groups, so a value starting at byte offset ``k`` of the input
    shows up as the encoding of its bytes from the next group boundary on: from byte 0,
    1 or 2 of the value. Only whole groups are kept: the last partial group also depends
    on the bytes that follow the value.
    """
    data = value.encode("utf-8", "surrogatepass")
    found: set[str] = set()
    for shift in range(3):
        tail = data[shift:]
        whole = tail[: len(tail) - len(tail) % 3]
        if whole:
            found.add(base64.b64encode(whole).decode("ascii"))
            found.add(base64.urlsafe_b64encode(whole).decode("ascii"))
    return found


def _url_forms(value: str) -> set[str]:
    found = {
        quote(value, safe="", errors="surrogatepass"),
        quote_plus(value, safe="", errors="surrogatepass"),
    }
    found |= {_PERCENT_HEX.sub(lambda m: m.group(0).lower(), form) for form in found}
    return found


def _json_forms(value: str) -> set[str]:
    return {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}


def _xml_forms(value: str) -> set[str]:
    from xml.sax.saxutils import escape as xml_escape  # urllib.request: only with secrets

    return {xml_escape(value), xml_escape(value, {'"': "&quot;", "'": "&apos;"})}


def _escaped_forms(value: str) -> set[str]:
    """Python's backslash escapes (``\\xe9``), as pytest writes a parametrized test's id."""
    return {value.encode("unicode_escape").decode("ascii")}


def encoded_forms(value: str) -> set[str]:
    """Forms of ``value`` other than itself that are masked with it (see the module doc)."""
    forms = _base64_forms(value) | _url_forms(value) | _json_forms(value) | _xml_forms(value)
    forms |= _escaped_forms(value)
    return {f for f in forms if f and f != value}


class Masker:
    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: set[str] = set()
        self._patterns: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        for value in values:
            self.add(value)

    def add(self, value: str) -> None:
        """Register a secret. Multi-line secrets are also masked line by line, as on GitHub,
        and every registered value also in its encoded forms."""
        candidates = {value, *(line.strip("\r") for line in value.splitlines())}
        with self._lock:
            new = [c for c in candidates if c.strip() and c not in self._values]
            if not new:
                return
            for item in new:
                self._values.add(item)
                self._patterns.add(item)
                self._patterns.update(encoded_forms(item))
            ordered = sorted(self._patterns, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))

    def mask(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None or not text:
            return text
        return pattern.sub(MASK, text)

    def _bytes_pattern(self) -> tuple[re.Pattern[bytes], int] | None:
        with self._lock:
            forms = sorted(
                {p.encode("utf-8", "surrogatepass") for p in self._patterns}, key=len, reverse=True
            )
        if not forms:
            return None
        return re.compile(b"|".join(re.escape(f) for f in forms)), len(forms[0])

    def mask_stream(self, reader: BinaryIO, writer: BinaryIO, chunk_size: int = _CHUNK) -> None:
        """Copy ``reader`` to ``writer`` with every registered value (and its encoded forms,
        as UTF-8 bytes) replaced by ``***``, ``chunk_size`` bytes at a time: a file of any
        size, text or not; a value across two chunks is masked too."""
        found = self._bytes_pattern()
        if found is None:
            for chunk in iter(lambda: reader.read(chunk_size), b""):
                writer.write(chunk)
            return
        pattern, longest = found
        mask = MASK.encode("ascii")
        carry = b""
        while True:
            chunk = reader.read(chunk_size)
            buffer = carry + chunk
            # a match starting before ``safe`` is whole in ``buffer``; later ones may not be
            safe = len(buffer) if not chunk else max(0, len(buffer) - (longest - 1))
            pos = 0
            for match in pattern.finditer(buffer):
                if match.start() >= safe:
                    break
                writer.write(buffer[pos : match.start()] + mask)
                pos = match.end()
            end = max(pos, safe)
            writer.write(buffer[pos:end])
            carry = buffer[end:]
            if not chunk:
                return

    @property
    def active(self) -> bool:
        """True once anything is registered (no need to mask otherwise)."""
        return self._pattern is not None

    @property
    def values(self) -> frozenset[str]:
        """The registered values (not their encoded forms)."""
        with self._lock:
            return frozenset(self._values)


def mask_env(masker: Masker, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with ``CONVEYOR_MASK`` set to the registered values that appear in its other
    variables (base64 each, comma-separated), or removed when none does."""
    result = {k: v for k, v in env.items() if k != MASK_ENV}
    texts = [v for v in result.values() if v]
    present = sorted(v for v in masker.values if any(v in text for text in texts))
    if present:
        encoded = (base64.b64encode(v.encode("utf-8", "surrogatepass")) for v in present)
        result[MASK_ENV] = ",".join(e.decode("ascii") for e in encoded)
    return result


def env_masker(env: Mapping[str, str]) -> Masker:
    """A masker of the values ``CONVEYOR_MASK`` in ``env`` carries (see the module doc);
    an unreadable entry is skipped."""
    masker = Masker()
    for item in env.get(MASK_ENV, "").split(","):
        try:
            value = base64.b64decode(item.strip(), validate=True).decode("utf-8", "surrogatepass")
        except ValueError:
            continue
        if value:
            masker.add(value)
    return masker
