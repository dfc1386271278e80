"""Load YAML the way GitHub does, keeping the line and column of every node.

GitHub reads workflows with the YAML 1.2 core schema: ``on``, ``yes``, ``no``,
``y`` and ``n`` are strings; only ``true``/``false`` (and their capitalised
forms) are booleans; ``null``/``~``/empty are null; numbers are decimal, ``0o``
octal or ``0x`` hex. Mapping keys are always strings. Anchors and aliases work;
merge keys (``<<``) are not special, as on GitHub.

The result is plain Python data (dict/list/str/int/float/bool/None) plus an
index of positions keyed by the *path* to each node, e.g.
``("jobs", "build", "steps", 2, "run")`` -- the same shape as a pydantic error
``loc``, so model errors map straight back to a line and column.
"""

from __future__ import annotations

import codecs
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import yaml

from conveyor.diagnostics import Diagnostic
from conveyor.errors import WorkflowInvalid

PathKey = str | int
Path = tuple[PathKey, ...]

_PLAIN = "conveyor:plain"
_STR = "tag:yaml.org,2002:str"
_INT_RE = re.compile(r"[-+]?[0-9]+\Z")
_OCT_RE = re.compile(r"0o[0-7]+\Z")
_HEX_RE = re.compile(r"0x[0-9a-fA-F]+\Z")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_INF_RE = re.compile(r"[-+]?\.(inf|Inf|INF)\Z")
_NAN_RE = re.compile(r"\.(nan|NaN|NAN)\Z")
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_TRUES = frozenset({"true", "True", "TRUE"})
_FALSES = frozenset({"false", "False", "FALSE"})

_BaseLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """Marks plain untagged scalars so we can resolve them with the 1.2 core schema."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is yaml.ScalarNode:
            return _PLAIN if implicit[0] else _STR
        return str(super().resolve(kind, value, implicit))


@dataclass(frozen=True, slots=True)
class Pos:
    """A 1-based line and column."""

    line: int
    col: int


def resolve_plain(text: str) -> Any:
    """Resolve a plain (unquoted, untagged) scalar with the YAML 1.2 core schema."""
    if text in _NULLS:
        return None
    if text in _TRUES:
        return True
    if text in _FALSES:
        return False
    if _INT_RE.match(text):
        return int(text)
    if _OCT_RE.match(text):
        return int(text[2:], 8)
    if _HEX_RE.match(text):
        return int(text[2:], 16)
    if _FLOAT_RE.match(text):
        return float(text)
    if _INF_RE.match(text):
        return -math.inf if text.startswith("-") else math.inf
    if _NAN_RE.match(text):
        return math.nan
    return text


@dataclass
class Document:
    """A loaded YAML document: plain data plus positions of every node."""

    path: str
    data: Any
    value_pos: dict[Path, Pos] = field(default_factory=dict)
    key_pos: dict[Path, Pos] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    text: str = ""

    def pos(self, path: Path) -> Pos:
        """Position of the value at ``path``; falls back to its key, then the nearest ancestor."""
        p = tuple(path)
        while p:
            if p in self.value_pos:
                return self.value_pos[p]
            if p in self.key_pos:
                return self.key_pos[p]
            p = p[:-1]
        return self.value_pos.get((), Pos(1, 1))

    def key(self, path: Path) -> Pos:
        """Position of the mapping key that ends ``path`` (falls back to :meth:`pos`)."""
        p = tuple(path)
        return self.key_pos.get(p) or self.pos(p)

    def diag(self, path: Path, message: str, rule: str, *, at_key: bool = False) -> Diagnostic:
        """Build an error diagnostic positioned at ``path``."""
        where = self.key(path) if at_key else self.pos(path)
        return Diagnostic(self.path, where.line, where.col, message, rule)

    def walk(self) -> Iterator[tuple[Path, Any]]:
        """Every (path, value) pair, parents before children."""
        stack: list[tuple[Path, Any]] = [((), self.data)]
        while stack:
            path, value = stack.pop()
            yield path, value
            if isinstance(value, dict):
                stack.extend(((*path, k), v) for k, v in reversed(list(value.items())))
            elif isinstance(value, list):
                stack.extend(((*path, i), v) for i, v in reversed(list(enumerate(value))))


def _mark(node: yaml.Node) -> Pos:
    return Pos(node.start_mark.line + 1, node.start_mark.column + 1)


class _Builder:
    def __init__(self, doc: Document) -> None:
        self.doc = doc

    def build(self, node: yaml.Node, path: Path) -> Any:
        self.doc.value_pos[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path)
        raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        value: str = node.value
        tag = node.tag
        if tag == _PLAIN:
            return resolve_plain(value)
        if tag in (_STR, "!"):
            return value
        if tag.startswith("tag:yaml.org,2002:"):
            kind = tag.rsplit(":", 1)[1]
            resolved = resolve_plain(value)
            if kind == "null" and resolved is None:
                return None
            if kind == "bool" and isinstance(resolved, bool):
                return resolved
            if kind == "int" and isinstance(resolved, int) and not isinstance(resolved, bool):
                return resolved
            if kind == "float" and isinstance(resolved, int | float):
                return float(resolved)
        return value

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = key_node.value
            else:
                pos = _mark(key_node)
                self.doc.diagnostics.append(
                    Diagnostic(
                        self.doc.path,
                        pos.line,
                        pos.col,
                        "a mapping key must be a plain string; quote it or restructure the YAML",
                        "yaml-syntax",
                    )
                )
                continue
            child = (*path, key)
            key_at = _mark(key_node)
            if key in result:
                first = self.doc.key_pos[child]
                rule = "duplicate-job-id" if path == ("jobs",) else "duplicate-key"
                what = "job id" if path == ("jobs",) else "key"
                self.doc.diagnostics.append(
                    Diagnostic(
                        self.doc.path,
                        key_at.line,
                        key_at.col,
                        f"duplicate {what} '{key}' (first defined at line {first.line}); "
                        "rename or remove one",
                        rule,
                    )
                )
                continue
            self.doc.key_pos[child] = key_at
            result[key] = self.build(value_node, child)
        return result


def load_text(text: str, path: str = "<string>") -> Document:
    """Load one YAML document from ``text``. Syntax errors become diagnostics, never exceptions."""
    doc = Document(path=path, data=None, text=text)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        col = mark.column + 1 if mark else 1
        problem = exc.problem or str(exc)
        context = f" {exc.context}" if exc.context else ""
        doc.diagnostics.append(
            Diagnostic(path, line, col, f"YAML syntax error: {problem}{context}", "yaml-syntax")
        )
        return doc
    except yaml.YAMLError as exc:
        doc.diagnostics.append(Diagnostic(path, 1, 1, f"YAML error: {exc}", "yaml-syntax"))
        return doc
    if root is None:
        doc.value_pos[()] = Pos(1, 1)
        return doc
    doc.data = _Builder(doc).build(root, ())
    return doc


_BOMS = (  # UTF-32 first: its little-endian BOM starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def read_text(path: str) -> str:
    """A YAML file's text, decoded as GitHub does: UTF-8, or UTF-8/16/32 by their BOM.

    Raises :class:`WorkflowInvalid` at ``path:1:1`` (exit 2) for a file that cannot be
    read or is in no such encoding.
    """

    def invalid(message: str) -> WorkflowInvalid:
        return WorkflowInvalid([Diagnostic(path, 1, 1, message, "encoding")])

    try:
        with open(path, "rb") as fh:  # noqa: PTH123
            data = fh.read()
    except OSError as exc:
        raise invalid(f"cannot read the file: {exc.strerror or exc}") from exc
    encoding = "utf-8"
    for bom, name in _BOMS:
        if data.startswith(bom):
            data, encoding = data[len(bom) :], name
            break
    else:
        if b"\x00" in data:
            raise invalid(
                "the file holds NUL bytes (UTF-16 or UTF-32 without a byte order mark?); "
                "save it as UTF-8"
            )
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise invalid(
            f"the file is not valid {encoding.upper()} text (byte {exc.start}: {exc.reason}); "
            "save it as UTF-8"
        ) from exc


def load_file(path: str) -> Document:
    """Read and load a YAML file (UTF-8, BOM tolerated)."""
    return load_text(read_text(path), path)
