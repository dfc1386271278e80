"""The GitHub Actions expression language (``${{ }}``), as a pure library.

Parse once (cached), evaluate many times. Semantics follow GitHub's own conformance data
(``/work/shared/conformance/github-expressions``): coercions, ordinal-ignore-case string
comparison, ``.*`` filters, depth and memory limits, and error messages. Only
``hashFiles`` (module :mod:`conveyor.expressions.hashfiles`) touches the file system.
"""

from __future__ import annotations

from conveyor.expressions.evaluator import HashFiles, Status, evaluate
from conveyor.expressions.nodes import Node, referenced_contexts, referenced_functions
from conveyor.expressions.parser import BUILTIN_FUNCTIONS, STATUS_FUNCTIONS, parse
from conveyor.expressions.templates import (
    Span,
    evaluate_if,
    evaluate_template,
    evaluate_value,
    find_expressions,
    interpolate,
    render_value,
)
from conveyor.expressions.values import to_json, to_string, truthy

__all__ = [
    "BUILTIN_FUNCTIONS",
    "STATUS_FUNCTIONS",
    "HashFiles",
    "Node",
    "Span",
    "Status",
    "evaluate",
    "evaluate_if",
    "evaluate_template",
    "evaluate_value",
    "find_expressions",
    "interpolate",
    "parse",
    "referenced_contexts",
    "referenced_functions",
    "render_value",
    "to_json",
    "to_string",
    "truthy",
]
