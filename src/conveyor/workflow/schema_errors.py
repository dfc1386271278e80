"""Turn pydantic validation errors into positioned, actionable diagnostics.

A pydantic error ``loc`` mixes data keys with union-member tags (``'str'``,
``'list[str]'``, ``'RunsOnGroup'``). We walk the loc against the loaded data to
recover the real path, drop the noise of union members that did not apply, and
merge what is left into one message per place: ``unknown-key`` (with a
"did you mean" from difflib), ``required`` and ``type``.
"""

from __future__ import annotations

import difflib
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from conveyor.diagnostics import Diagnostic
from conveyor.expressions.templates import OPEN
from conveyor.workflow.checks.base import get
from conveyor.workflow.describe import describe_path, describe_value
from conveyor.workflow.yamlload import Document, Path

_EXPECTED = {
    "string_type": "a string",
    "bool_type": "a boolean (true or false)",
    "bool_parsing": "a boolean (true or false)",
    "int_type": "a number",
    "int_parsing": "a number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "float_parsing": "a number",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping",
    "model_attributes_type": "a mapping",
    "none_required": "empty",
}


def _data_path(data: Any, loc: tuple[int | str, ...]) -> Path:
    """The part of ``loc`` that names real data (union-member tags dropped)."""
    path: list[str | int] = []
    cur = data
    for el in loc:
        if isinstance(cur, dict):
            found = isinstance(el, str) and el in cur
        else:
            found = isinstance(cur, list) and isinstance(el, int) and 0 <= el < len(cur)
        if found:
            cur = cur[el]
            path.append(el)
    return tuple(path)


def _members(tp: Any) -> list[Any]:
    origin = get_origin(tp)
    if origin is Annotated:
        return _members(get_args(tp)[0])
    if origin in (Union, types.UnionType):
        return [m for arg in get_args(tp) for m in _members(arg)]
    return [tp]


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def fields_by_key(model: type[BaseModel]) -> dict[str, Any]:
    """A model's field annotations by the key written in YAML (its alias)."""
    return {(f.alias or name): f.annotation for name, f in model.model_fields.items()}


def _pick_model(members: list[Any], value: Any) -> type[BaseModel] | None:
    models = [m for m in members if _is_model(m)]
    if not models:
        return None
    if len(models) == 1 or not isinstance(value, dict):
        return models[0]  # type: ignore[no-any-return]

    def score(model: type[BaseModel]) -> int:
        fields = fields_by_key(model)
        hits = sum(1 for k in value if k in fields)
        using = value.get("using")
        lit = get_args(_members(fields.get("using"))[0]) if "using" in fields else ()
        return hits + (10 if using in lit else 0)

    return max(models, key=score)  # type: ignore[no-any-return]


def model_at(root: type[BaseModel], data: Any, path: Path) -> type[BaseModel] | None:
    """The model class that validates the mapping at ``path`` (None when it is no model)."""
    tp: Any = root
    cur = data
    for el in path:
        members = _members(tp)
        if isinstance(cur, dict):
            model = _pick_model(members, cur)
            if model is not None:
                tp = fields_by_key(model).get(str(el), Any)
            else:
                dicts = [m for m in members if get_origin(m) is dict]
                tp = get_args(dicts[0])[1] if dicts else Any
            cur = cur.get(el) if isinstance(el, str) else None
        elif isinstance(cur, list) and isinstance(el, int):
            lists = [m for m in members if get_origin(m) is list]
            tp = get_args(lists[0])[0] if lists else Any
            cur = cur[el] if 0 <= el < len(cur) else None
        else:
            return None
    return _pick_model(_members(tp), cur)


def allowed_keys(root: type[BaseModel], data: Any, path: Path) -> list[str]:
    model = model_at(root, data, path)
    return list(fields_by_key(model)) if model is not None else []


def unknown_key_message(key: str, where: str, allowed: list[str], hint: str = "") -> str:
    dashed = key.rstrip("_").replace("_", "-")  # runs_on, if_, with_: GitHub spells keys with '-'
    close = [dashed] if dashed != key and dashed in allowed else []
    close = close or difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return f"unknown key '{key}' in {where}; did you mean '{close[0]}'?"
    if hint:
        return f"unknown key '{key}' in {where}; {hint}"
    if allowed:
        return f"unknown key '{key}' in {where}; remove it (allowed: {', '.join(allowed)})"
    return f"unknown key '{key}' in {where}; remove it"


def _expected(err: ErrorDetails) -> str:
    kind = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "literal_error":
        return f"one of {ctx.get('expected', '')}"
    if "expected" in ctx and kind not in _EXPECTED:
        return str(ctx["expected"])
    return _EXPECTED.get(kind, err["msg"].lower())


def _join(options: list[str]) -> str:
    unique = list(dict.fromkeys(options))
    if len(unique) == 1:
        return unique[0]
    return ", ".join(unique[:-1]) + " or " + unique[-1]


def model_diagnostics(
    doc: Document,
    root: type[BaseModel],
    exc: ValidationError,
    placement: dict[str, str] | None = None,
) -> list[Diagnostic]:
    """Diagnostics for every problem in ``exc``; ``placement`` maps a key to where it belongs."""
    data = doc.data
    entries: list[tuple[Path, Path, ErrorDetails]] = []
    for err in exc.errors(include_url=False):
        path = _data_path(data, tuple(err["loc"]))
        full = path
        if err["type"] == "missing" and err["loc"]:
            full = (*path, err["loc"][-1])
        entries.append((path, full, err))
    deeper = {full for _, full, _ in entries}
    out: list[Diagnostic] = []
    by_path: dict[Path, list[ErrorDetails]] = {}
    for path, full, err in entries:
        kind = err["type"]
        if kind == "extra_forbidden":
            key = str(path[-1])
            if OPEN in key:
                continue  # an expression as a key: checks/exprs.py says whether it may be one
            parent = path[:-1]
            hint = ""
            if placement and key in placement:
                hint = f"'{key}' belongs {placement[key]}; move it there"
            msg = unknown_key_message(
                key, describe_path(parent), allowed_keys(root, data, parent), hint
            )
            out.append(doc.diag(path, msg, "unknown-key", at_key=True))
        elif kind == "missing":
            field = str(full[-1])
            msg = f"'{field}' is required in {describe_path(path)}; add it"
            out.append(doc.diag(path, msg, "required", at_key=True))
        elif kind == "runs_using" and isinstance(get(data, path), dict):
            using_path = (*path, "using")
            if get(data, using_path) is None:
                msg = f"'using' is required in {describe_path(path)}; add it"
                out.append(doc.diag(path, msg, "required", at_key=True))
            else:
                msg = (
                    f"'using' must be {_expected(err)}; got {describe_value(get(data, using_path))}"
                )
                out.append(doc.diag(using_path, msg, "type"))
        elif not any(len(f) > len(path) and f[: len(path)] == path for f in deeper):
            by_path.setdefault(path, []).append(err)
    for path, errs in by_path.items():
        expected = _join([_expected(e) for e in errs])
        value = get(data, path)
        msg = f"{describe_path(path)} must be {expected}; got {describe_value(value)}"
        out.append(doc.diag(path, msg, "type", at_key=value is None))  # an empty value: its key
    return out
