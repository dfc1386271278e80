"""Version specs as setup-python/node/go accept them, matched against installed versions.

Supported: exact or prefix (``3.11``, ``3.12.3``, ``20``), wildcards (``3.x``, ``1.21.*``,
``x``, ``*``), ranges (``>=3.10``, ``>=3.9,<3.12``, ``^3.10``, ``~3.10``, ``~=3.10``),
alternatives (``18 || 20``), and ``latest``/``stable``/``node``/``lts/*`` (highest found).
A leading ``v`` or ``go`` is ignored; ``-dev``/``-beta`` suffixes match that minor.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

Version = tuple[int, ...]
Matcher = Callable[[Version], bool]

_ANY = frozenset({"", "x", "*", "latest", "stable", "node", "current", "lts/*", "lts"})
_COMPARATOR = re.compile(r"^(>=|<=|>|<|==|=|!=|~=|\^|~)?\s*([0-9][0-9.x*]*)")
_NUMBER = re.compile(r"\d+")


def parse_version(text: str) -> Version:
    """The leading numbers of a version string: ``v20.11.0`` -> (20, 11, 0)."""
    head = re.match(r"^(?:v|go)?(\d+(?:\.\d+)*)", text.strip())
    return tuple(int(n) for n in head.group(1).split(".")) if head else ()


def format_version(version: Version) -> str:
    return ".".join(str(n) for n in version)


def _pad(version: Version, size: int = 3) -> Version:
    return version + (0,) * max(0, size - len(version))


def _numbers(text: str) -> Version:
    parts: list[int] = []
    for part in text.split("."):
        if not _NUMBER.fullmatch(part):
            break
        parts.append(int(part))
    return tuple(parts)


def _bump(version: Version, index: int) -> Version:
    """The first version past ``version`` at component ``index``: (3, 10) @0 -> (4,)."""
    if index < 0:
        return (1 << 30,)
    return (*version[:index], version[index] + 1)


def _comparator(op: str, text: str) -> Matcher:
    base = _numbers(text)
    if not base:
        return lambda v: True
    if op in ("", "=", "=="):
        return lambda v: v[: len(base)] == base
    if op == "!=":
        return lambda v: v[: len(base)] != base
    if op == "^":  # same first non-zero component
        first = next((i for i, n in enumerate(base) if n), len(base) - 1)
        upper = _bump(base, first)
    elif op == "~":
        upper = _bump(base, min(1, len(base) - 1))
    elif op == "~=":
        upper = _bump(base, max(0, len(base) - 2))
    else:
        low = _pad(base, 4)
        checks: dict[str, Matcher] = {
            ">=": lambda v: _pad(v, 4) >= low,
            ">": lambda v: _pad(v, 4) > low,
            "<=": lambda v: _pad(v, 4) <= low or v[: len(base)] == base,
            "<": lambda v: _pad(v, 4) < low,
        }
        return checks[op]
    low, high = _pad(base, 4), _pad(upper, 4)
    return lambda v: low <= _pad(v, 4) < high


def _conjunction(text: str) -> Matcher | None:
    matchers: list[Matcher] = []
    rest = text.replace(",", " ").strip()
    while rest:
        match = _COMPARATOR.match(rest)
        if not match:
            return None
        op, number = match.group(1) or "", match.group(2)
        matchers.append(_comparator(op, number.rstrip(".")))
        rest = rest[match.end() :].strip()
    return lambda v: all(m(v) for m in matchers)


def version_matcher(spec: str) -> Matcher | None:
    """A predicate for ``spec``; None when ``spec`` cannot be understood."""
    text = spec.strip().lower()
    if text in _ANY:
        return lambda v: True
    text = re.sub(r"^(v|go)(?=\d)", "", text)
    text = re.sub(r"-(dev|alpha|beta|rc)[.\d]*$", "", text)
    alternatives = [_conjunction(part) for part in text.split("||")]
    if any(a is None for a in alternatives):
        return None
    ready = [a for a in alternatives if a is not None]
    return lambda v: any(a(v) for a in ready)


def best_match(spec: str, versions: Sequence[Version]) -> int | None:
    """Index of the highest version matching ``spec`` (first one wins ties), or None."""
    matcher = version_matcher(spec)
    if matcher is None:
        return None
    best: int | None = None
    for index, version in enumerate(versions):
        if version and matcher(version) and (best is None or version > versions[best]):
            best = index
    return best
