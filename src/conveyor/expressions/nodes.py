"""The expression AST: small frozen dataclasses, plus static queries over a tree.

``pos`` on every node is the 1-based column of the node's first token in the expression
text; it does not take part in equality.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Node:
    """Base of every AST node."""


@dataclass(frozen=True, slots=True)
class Literal(Node):
    """``null``, ``true``/``false``, a number or a string."""

    value: Any
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class NamedValue(Node):
    """A context name such as ``github``; ``name`` is lower-case."""

    name: str
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Index(Node):
    """``target.name`` (key is a string :class:`Literal`) or ``target[key]``."""

    target: Node
    key: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Wildcard(Node):
    """``target.*`` or ``target[*]``: the object filter."""

    target: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Not(Node):
    """``!operand``."""

    operand: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Compare(Node):
    """``left op right`` for op in ``== != < <= > >=``."""

    op: str
    left: Node
    right: Node
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class And(Node):
    """``a && b && ...``: returns the first falsy operand, else the last."""

    operands: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Or(Node):
    """``a || b || ...``: returns the first truthy operand, else the last."""

    operands: tuple[Node, ...]
    pos: int = field(default=0, compare=False)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A function call; ``name`` is lower-case, ``written`` as in the source."""

    name: str
    args: tuple[Node, ...]
    written: str = field(default="", compare=False)
    pos: int = field(default=0, compare=False)


def children(node: Node) -> tuple[Node, ...]:
    """The direct sub-nodes of ``node``."""
    if isinstance(node, Index):
        return (node.target, node.key)
    if isinstance(node, Wildcard):
        return (node.target,)
    if isinstance(node, Not):
        return (node.operand,)
    if isinstance(node, Compare):
        return (node.left, node.right)
    if isinstance(node, And | Or):
        return node.operands
    if isinstance(node, Call):
        return node.args
    return ()


def _walk(node: Node) -> list[Node]:
    out: list[Node] = []
    stack = [node]
    while stack:
        current = stack.pop()
        out.append(current)
        stack.extend(children(current))
    return out


def referenced_contexts(node: Node) -> frozenset[str]:
    """Lower-case names of every named-value (context) the expression uses."""
    return frozenset(n.name for n in _walk(node) if isinstance(n, NamedValue))


def referenced_functions(node: Node) -> frozenset[str]:
    """Lower-case names of every function the expression calls."""
    return frozenset(n.name for n in _walk(node) if isinstance(n, Call))


def calls(node: Node) -> list[Call]:
    """Every function call in the expression."""
    return [n for n in _walk(node) if isinstance(n, Call)]
