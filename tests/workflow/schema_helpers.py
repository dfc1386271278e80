"""GitHub's workflow and action schemas as a test oracle.

The schemas (``../shared/conformance/github-schema``, read here, never copied) are the
ones GitHub's own parser uses. :class:`Oracle` reads a value the way GitHub's template
reader does: one-of definitions, mappings with known and loose keys (a mapping that
matches several definitions is narrowed key by key), required keys, scalars (a boolean
or number where a string is expected is read as its text; null as ""), sequences, and
expressions (allowed only where the definition or one of its parents lists contexts).

:func:`walk` visits every definition reachable from a root with a concrete path, the
contexts GitHub allows there, and the chain of mapping definitions leading to it, so a
test can build a minimal valid document around any key.
"""

from __future__ import annotations

import copy
import json
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from conveyor.expressions import find_expressions, parse, referenced_contexts
from shared_data import GITHUB_SCHEMA

OPEN = "${{"
SCALARS = ("null", "boolean", "number", "string")
BUILTIN = {"null", "boolean", "number", "string", "sequence", "mapping", "any"}


def load(name: str) -> dict[str, Any]:
    data = json.loads((GITHUB_SCHEMA / name).read_text(encoding="utf-8"))
    definitions: dict[str, Any] = data["definitions"]
    return definitions


def prop_type(prop: Any) -> str:
    return prop if isinstance(prop, str) else str(prop["type"])


def _text(value: Any) -> str:
    """A literal as GitHub reads it as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


@dataclass(frozen=True)
class Place:
    """One definition at one concrete path."""

    path: tuple[str | int, ...]
    name: str
    contexts: tuple[str, ...]
    chain: tuple[tuple[tuple[str | int, ...], str], ...]  # (path, mapping definition) from the root


class Oracle:
    """GitHub's reader over one schema (see the module docstring)."""

    def __init__(self, definitions: dict[str, Any]) -> None:
        self.defs = definitions

    # -- definitions -------------------------------------------------------------------
    def get(self, name: str) -> dict[str, Any]:
        if name in BUILTIN:
            return {name: {}}
        found: dict[str, Any] = self.defs[name]
        return found

    def leaves(self, name: str) -> list[str]:
        """The non-one-of definitions ``name`` stands for, in order."""
        definition = self.get(name)
        if "one-of" in definition:
            return [leaf for alt in definition["one-of"] for leaf in self.leaves(alt)]
        return [name]

    def kind(self, name: str) -> str:
        definition = self.get(name)
        for kind in ("mapping", "sequence", "null", "boolean", "number", "string", "any"):
            if kind in definition:
                return kind
        if "allowed-values" in definition:
            return "string"
        raise AssertionError(f"unknown definition shape {name}: {definition}")

    def contexts_of(self, name: str, inherited: tuple[str, ...]) -> tuple[str, ...]:
        own = self.get(name).get("context") or []
        result = list(inherited)
        for item in own:
            if item.upper() not in (x.upper() for x in result):
                result.append(item)
        return tuple(result)

    def properties(self, name: str) -> dict[str, Any]:
        mapping = self.get(name).get("mapping") or {}
        props: dict[str, Any] = mapping.get("properties") or {}
        return props

    def loose(self, name: str) -> tuple[str, str] | None:
        mapping = self.get(name).get("mapping") or {}
        if "loose-key-type" in mapping:
            return str(mapping["loose-key-type"]), str(mapping["loose-value-type"])
        return None

    # -- reading a value ----------------------------------------------------------------
    def errors(self, name: str, value: Any, contexts: tuple[str, ...] = ()) -> list[str]:
        """GitHub's complaints about ``value`` read as definition ``name`` ([] = accepted)."""
        out: list[str] = []
        self._read(name, value, contexts, out, "")
        return out

    def _read(self, name: str, value: Any, ctx: tuple[str, ...], out: list[str], at: str) -> None:
        ctx = self.contexts_of(name, ctx)
        leaves = self.leaves(name)
        if "any" in leaves:
            self._any(value, ctx, out, at)
            return
        if isinstance(value, str) and OPEN in value:
            self._expression(value, ctx, out, at)
            return
        if isinstance(value, list):
            seqs = [leaf for leaf in leaves if self.kind(leaf) == "sequence"]
            if not seqs:
                out.append(f"{at}: a sequence was not expected")
                return
            item = (
                str(self.get(seqs[0])["sequence"]["item-type"]) if seqs[0] != "sequence" else "any"
            )
            for i, element in enumerate(value):
                self._read(item, element, ctx, out, f"{at}[{i}]")
            return
        if isinstance(value, dict):
            maps = [leaf for leaf in leaves if self.kind(leaf) == "mapping"]
            if not maps:
                out.append(f"{at}: a mapping was not expected")
                return
            self._mapping(maps, value, ctx, out, at)
            return
        scalars = [leaf for leaf in leaves if self.kind(leaf) in SCALARS]
        if any(self._scalar_match(leaf, value) for leaf in scalars):
            return
        if not isinstance(value, str) and any(
            self._scalar_match(leaf, _text(value)) for leaf in scalars
        ):
            return
        out.append(f"{at}: unexpected value {value!r}")

    @staticmethod
    def _expression(value: str, ctx: tuple[str, ...], out: list[str], at: str) -> None:
        """Expressions need contexts here, and may only name those (conveyor's parser only
        lists the names; the schema says which are allowed)."""
        if not ctx:
            out.append(f"{at}: expression not allowed")
            return
        allowed = {c.lower() for c in ctx if "(" not in c}
        for span in find_expressions(value):
            used = referenced_contexts(parse(span.expr)) if span.expr else frozenset()
            if used - allowed:
                out.append(f"{at}: contexts {sorted(used - allowed)} not allowed")

    def _any(self, value: Any, ctx: tuple[str, ...], out: list[str], at: str) -> None:
        if isinstance(value, str) and OPEN in value:
            self._expression(value, ctx, out, at)
        elif isinstance(value, list):
            for i, element in enumerate(value):
                self._any(element, ctx, out, f"{at}[{i}]")
        elif isinstance(value, dict):
            for key, element in value.items():
                self._any(key, ctx, out, at)
                self._any(element, ctx, out, f"{at}.{key}")

    def _scalar_match(self, name: str, value: Any) -> bool:
        definition = self.get(name)
        if "null" in definition:
            return value is None
        if "boolean" in definition:
            return isinstance(value, bool)
        if "number" in definition:
            return isinstance(value, int | float) and not isinstance(value, bool)
        if not isinstance(value, str):
            return False
        if "allowed-values" in definition:
            return value in definition["allowed-values"]
        spec = definition.get("string") or {}
        if "constant" in spec:
            return bool(value == spec["constant"])
        return not (spec.get("require-non-empty") and value == "")

    def _mapping(
        self, maps: list[str], value: dict[str, Any], ctx: tuple[str, ...], out: list[str], at: str
    ) -> None:
        if len(maps) == 1 and not self.properties(maps[0]) and self.loose(maps[0]):
            key_type, value_type = self.loose(maps[0]) or ("", "")
            for key, element in value.items():
                if OPEN in key:
                    if not ctx:
                        out.append(f"{at}.{key}: expression key not allowed")
                    self._read(value_type, element, ctx, out, f"{at}.{key}")
                    continue
                self._read(key_type, key, (), out, f"{at}<key {key}>")
                self._read(value_type, element, ctx, out, f"{at}.{key}")
            return
        candidates = list(maps)
        has_expression_key = False
        for key, element in value.items():
            if OPEN in key:
                has_expression_key = True
                if not ctx:
                    out.append(f"{at}.{key}: expression key not allowed")
                self._any(element, ctx, out, f"{at}.{key}")
                continue
            narrowed = [m for m in candidates if key in self.properties(m)]
            if narrowed:
                candidates = narrowed
                self._read(
                    prop_type(self.properties(candidates[0])[key]), element, ctx, out, f"{at}.{key}"
                )
                continue
            loose = self.loose(candidates[0])
            if loose:
                self._read(loose[0], key, (), out, f"{at}<key {key}>")
                self._read(loose[1], element, ctx, out, f"{at}.{key}")
                continue
            out.append(f"{at}.{key}: unexpected key")
        if len(candidates) > 1:
            out.append(f"{at}: not enough info to pick one of {candidates}")
        elif not has_expression_key:
            for prop_name, prop in self.properties(candidates[0]).items():
                if isinstance(prop, dict) and prop.get("required") and prop_name not in value:
                    out.append(f"{at}: required property missing: {prop_name}")

    # -- minimal valid values -------------------------------------------------------------
    def minimal(self, name: str, samples: dict[str, Any], path: tuple[str | int, ...]) -> Any:
        """A small value GitHub accepts for ``name`` at ``path``; ``samples`` override it by
        path, by last key, or by definition (``("def", name)``)."""
        key = path[-1] if path else ""
        if path in samples:
            return copy.deepcopy(samples[path])
        if isinstance(key, str) and key in samples:
            return copy.deepcopy(samples[key])
        leaf = self.leaves(name)[0]
        if ("def", leaf) in samples:
            return copy.deepcopy(samples[("def", leaf)])
        kind = self.kind(leaf)
        definition = self.get(leaf)
        if kind == "mapping":
            result: dict[str, Any] = {}
            for prop_name, prop in self.properties(leaf).items():
                if isinstance(prop, dict) and prop.get("required"):
                    result[prop_name] = self.minimal(prop_type(prop), samples, (*path, prop_name))
            return result
        if kind == "sequence":
            item = definition["sequence"]["item-type"] if leaf != "sequence" else "string"
            return [self.minimal(item, samples, (*path, 0))]
        if kind == "null":
            return None
        if kind == "boolean":
            return True
        if kind == "number":
            return 5
        if "allowed-values" in definition:
            return definition["allowed-values"][0]
        spec = definition.get("string") or {}
        return spec.get("constant", "x")

    # -- walking ----------------------------------------------------------------------
    def walk(self, root: str, *, max_depth: int = 9) -> Iterator[Place]:
        yield from self._walk(root, (), (), (), max_depth)

    def _walk(
        self,
        name: str,
        path: tuple[str | int, ...],
        ctx: tuple[str, ...],
        chain: tuple[tuple[tuple[str | int, ...], str], ...],
        depth: int,
    ) -> Iterator[Place]:
        ctx = self.contexts_of(name, ctx)
        yield Place(path, name, ctx, chain)
        if depth <= 0:
            return
        for leaf in self.leaves(name):
            leaf_ctx = ctx  # GitHub reads a one-of member with the one-of's contexts
            kind = self.kind(leaf)
            if kind == "mapping":
                link = (*chain, (path, leaf))
                for key, prop in self.properties(leaf).items():
                    yield from self._walk(prop_type(prop), (*path, key), leaf_ctx, link, depth - 1)
                loose = self.loose(leaf)
                if loose and loose[1] != "any":
                    yield from self._walk(loose[1], (*path, "x1"), leaf_ctx, link, depth - 1)
            elif kind == "sequence" and leaf != "sequence":
                item = str(self.get(leaf)["sequence"]["item-type"])
                yield from self._walk(item, (*path, 0), leaf_ctx, chain, depth - 1)

    @cached_property
    def mapping_names(self) -> set[str]:
        """Mapping definitions that constrain something (not only 'any key, any value')."""
        return {
            n
            for n, d in self.defs.items()
            if "mapping" in d and (self.properties(n) or (self.loose(n) or ("", ""))[1] != "any")
        }
