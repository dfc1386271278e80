"""Load YAML the way GitHub does, keeping the line and column of every node.

GitHub reads workflows with the YAML 1.2 core schema: ``on``, ``yes``, ``no``,
``y`` and ``n`` are strings; only ``true``/``false`` (and their capitalised
forms) are booleans; ``null``/``~``/empty are null; numbers are decimal, ``0o``
octal or ``0x`` hex. Mapping keys are always strings, and two keys that differ
only in case are duplicates. Anchors and aliases work; merge keys (``<<``) and an
alias inside its own anchor are refused. Explicit tags are read as GitHub's
reader does (``!!str``, and ``!!bool``/``!!int``/``!!float``/``!!null`` on plain
values that match them); any other tag is an error. GitHub's size limits apply:
1 MiB of text, 50 nested collections, 10 MiB of parsed data.

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


MAX_FILE_SIZE = 1024 * 1024
"""GitHub refuses a workflow file of more characters than this."""
MAX_DEPTH = 50
"""GitHub refuses mappings and sequences nested deeper than this."""
MAX_RESULT_SIZE = 10 * 1024 * 1024
"""GitHub refuses a file whose parsed data is larger than this (its own estimate, in bytes)."""
_OBJECT_SIZE = 24  # GitHub's estimate of one value
_STRING_SIZE = 26  # plus this and two bytes per character for a string

_YAML_TAG = "tag:yaml.org,2002:"
_TYPED_TAGS = frozenset({"bool", "int", "float", "null"})
_INT_TAG_RE = re.compile(r"[-+]?[0-9]+\Z|0x[0-9a-fA-F]+\Z|0o[0-7]+\Z")


def _show_tag(tag: str) -> str:
    return "!!" + tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else tag


def _typed(kind: str, text: str) -> tuple[bool, Any]:
    """(matches, value) of ``text`` read as the core-schema type ``kind``."""
    resolved = resolve_plain(text)
    if kind == "null":
        return resolved is None, None
    if kind == "bool":
        return isinstance(resolved, bool), resolved
    if kind == "int":
        return bool(_INT_TAG_RE.match(text)), resolved
    is_number = isinstance(resolved, int | float) and not isinstance(resolved, bool)
    return is_number, float(resolved) if is_number else resolved


class _Builder:
    """Turns composed nodes into plain data, applying GitHub's YAML rules and limits."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.active: set[int] = set()  # collections being built (an alias to one is a cycle)
        self.depth = 0
        self.size = 0
        self.too_deep = False
        self.too_big = False

    def error(self, node: yaml.Node, message: str, rule: str) -> None:
        pos = _mark(node)
        self.doc.diagnostics.append(Diagnostic(self.doc.path, pos.line, pos.col, message, rule))

    def grow(self, size: int) -> bool:
        """Count ``size`` bytes towards the result; False once GitHub's limit is passed."""
        self.size += size
        if self.size <= MAX_RESULT_SIZE:
            return True
        if not self.too_big:
            self.too_big = True
            self.doc.diagnostics.append(
                Diagnostic(
                    self.doc.path,
                    1,
                    1,
                    f"the parsed workflow is larger than GitHub's limit of {MAX_RESULT_SIZE:,} "
                    "bytes (aliases count each time they are used); make it smaller",
                    "size-limit",
                )
            )
        return False

    def build(self, node: yaml.Node, path: Path) -> Any:
        mark = node.start_mark
        self.doc.value_pos[path] = Pos(mark.line + 1, mark.column + 1)
        if type(node) is yaml.ScalarNode:
            value = self._scalar(node)
            size = _STRING_SIZE + 2 * len(value) if type(value) is str else 0
            return value if self.grow(_OBJECT_SIZE + size) else None
        key = id(node)
        if key in self.active:
            # the composed tree has no place for the alias itself: report at its key
            where = self.doc.key_pos.get(path) or _mark(node)
            self.doc.diagnostics.append(
                Diagnostic(
                    self.doc.path,
                    where.line,
                    where.col,
                    "this alias refers to a mapping or sequence that contains it (a cycle); "
                    "use the alias outside its anchor",
                    "yaml-alias",
                )
            )
            return None
        if self.depth >= MAX_DEPTH:
            if not self.too_deep:
                self.too_deep = True
                self.error(
                    node,
                    f"mappings and sequences are nested deeper than GitHub's limit of "
                    f"{MAX_DEPTH} levels; flatten this value",
                    "size-limit",
                )
            return None
        if not self.grow(_OBJECT_SIZE):
            return None
        self.active.add(key)
        self.depth += 1
        if type(node) is yaml.MappingNode:
            result: Any = self._mapping(node, path)
        else:
            result = [self.build(child, (*path, i)) for i, child in enumerate(node.value)]
        self.depth -= 1
        self.active.discard(key)
        return result

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        value: str = node.value
        tag = node.tag
        if tag == _PLAIN:
            return resolve_plain(value)
        if tag in (_STR, "!"):
            return value
        kind = tag[len(_YAML_TAG) :] if tag.startswith(_YAML_TAG) else ""
        if kind not in _TYPED_TAGS:
            self.error(
                node,
                f"unsupported YAML tag '{_show_tag(tag)}'; GitHub only accepts !!str, !!bool, "
                "!!int, !!float and !!null, remove the tag",
                "yaml-tag",
            )
            return value
        if node.style:
            self.error(
                node,
                f"the tag '{_show_tag(tag)}' only applies to a plain (unquoted) value; "
                "remove the quotes or the tag",
                "yaml-tag",
            )
            return value
        matches, typed = _typed(kind, value)
        if not matches:
            self.error(
                node,
                f"the value '{value}' is invalid for the tag '{_show_tag(tag)}'; "
                "fix the value or remove the tag",
                "yaml-tag",
            )
            return value
        return typed

    def _mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        seen: dict[str, str] = {}  # upper-cased key -> the spelling first used
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.error(
                    key_node,
                    "a mapping key must be a plain string; quote it or restructure the YAML",
                    "yaml-syntax",
                )
                continue
            key = key_node.value
            key_at = _mark(key_node)
            if (
                key == "<<"
                and key_node.tag == _PLAIN
                and not isinstance(value_node, yaml.ScalarNode)
            ):
                self.error(
                    key_node,
                    "YAML merge keys ('<<') are not supported by GitHub Actions; "
                    "write the keys out instead",
                    "yaml-merge-key",
                )
                continue
            child = (*path, key)
            first_spelling = seen.get(key.upper())
            if first_spelling is not None:
                first = self.doc.key_pos[(*path, first_spelling)]
                rule = "duplicate-job-id" if path == ("jobs",) else "duplicate-key"
                what = "job id" if path == ("jobs",) else "key"
                same = "" if first_spelling == key else f" as '{first_spelling}' (case is ignored)"
                self.doc.diagnostics.append(
                    Diagnostic(
                        self.doc.path,
                        key_at.line,
                        key_at.col,
                        f"duplicate {what} '{key}' (first defined{same} at line {first.line}); "
                        "rename or remove one",
                        rule,
                    )
                )
                continue
            seen[key.upper()] = key
            self.doc.key_pos[child] = key_at
            if not self.grow(_OBJECT_SIZE + _STRING_SIZE + 2 * len(key)):
                return result
            result[key] = self.build(value_node, child)
        return result


def load_text(text: str, path: str = "<string>") -> Document:
    """Load one YAML document from ``text``. Syntax errors become diagnostics, never exceptions."""
    doc = Document(path=path, data=None, text=text)
    if len(text) > MAX_FILE_SIZE:
        doc.diagnostics.append(
            Diagnostic(
                path,
                1,
                1,
                f"the file has {len(text):,} characters, more than GitHub's limit of "
                f"{MAX_FILE_SIZE:,}; split it into smaller workflows",
                "size-limit",
            )
        )
        return doc
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
