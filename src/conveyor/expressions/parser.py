"""Recursive-descent parser with GitHub's precedence, validation, depth limit and a cache.

Precedence, highest first: ``( ) [ ] .`` then ``!`` then ``< <= > >=`` then ``== !=``
then ``&&`` then ``||``. ``&&``/``||`` chains become one n-ary node (as GitHub does, so a
60-operand chain is not "deep"). The tree may be at most 50 levels deep.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from functools import lru_cache

from conveyor.errors import ExpressionSyntaxError
from conveyor.expressions.lexer import T, Token, tokenize, unexpected
from conveyor.expressions.nodes import (
    And,
    Call,
    Compare,
    Index,
    Literal,
    NamedValue,
    Node,
    Not,
    Or,
    Wildcard,
)

MAX_DEPTH = 50
MAX_LENGTH = 21_000
"""GitHub refuses an expression longer than this."""

# name -> (min args, max args or None for unbounded)
ARITY: dict[str, tuple[int, int | None]] = {
    "contains": (2, 2),
    "startswith": (2, 2),
    "endswith": (2, 2),
    "format": (1, None),
    "join": (1, 2),
    "tojson": (1, 1),
    "fromjson": (1, 1),
    "hashfiles": (1, None),
    "case": (3, None),
    "success": (0, 0),
    "always": (0, 0),
    "failure": (0, 0),
    "cancelled": (0, 0),
}
BUILTIN_FUNCTIONS: frozenset[str] = frozenset(ARITY)
STATUS_FUNCTIONS: frozenset[str] = frozenset({"success", "always", "failure", "cancelled"})
JOB_IF_ARITY: dict[str, tuple[int, int | None]] = {"success": (0, None), "failure": (0, None)}
"""A job's ``if`` may name jobs: ``success('build', 'test')``, ``failure('deploy')``."""

_COMPARISON = frozenset({"<", "<=", ">", ">="})
_EQUALITY = frozenset({"==", "!="})


def depth_error(text: str) -> ExpressionSyntaxError:
    return ExpressionSyntaxError(
        f"Exceeded max expression depth {MAX_DEPTH}", expression=text, column=1
    )


class _Parser:
    """One parse; methods return ``(node, height)`` so the depth limit is exact."""

    def __init__(
        self,
        text: str,
        named: frozenset[str] | None,
        funcs: frozenset[str],
        arity: dict[str, tuple[int, int | None]],
    ) -> None:
        self.text = text
        self.arity = arity
        self.tokens = tokenize(text)
        self.n = len(self.tokens)
        self.i = 0
        self.named = named
        self.funcs = funcs
        self.nesting = 0

    # -- token helpers -------------------------------------------------------------
    def peek(self) -> Token | None:
        return self.tokens[self.i] if self.i < self.n else None

    def take(self) -> Token:
        token = self.peek()
        if token is None:
            raise unexpected(self.tokens[-1].raw, self.tokens[-1].pos, self.text, end=True)
        self.i += 1
        return token

    def expect(self, kind: T) -> Token:
        token = self.take()
        if token.type is not kind:
            raise unexpected(token.raw, token.pos, self.text)
        return token

    def is_op(self, ops: frozenset[str]) -> bool:
        i = self.i
        if i >= self.n:
            return False
        token = self.tokens[i]
        return token.type is T.OPERATOR and token.raw in ops

    def height(self, node: Node, height: int) -> tuple[Node, int]:
        if height > MAX_DEPTH:
            raise depth_error(self.text)
        return node, height

    def enter(self) -> None:
        # Bounds recursion before the tree exists; every nesting also adds a tree level
        # except a bare "(", so this only differs from GitHub for 50 nested parentheses.
        self.nesting += 1
        if self.nesting > MAX_DEPTH:
            raise depth_error(self.text)

    # -- grammar -------------------------------------------------------------------
    def parse(self) -> Node:
        if not self.tokens:
            return Literal(None, 1)
        node, _ = self.parse_or()
        token = self.peek()
        if token is not None:
            raise unexpected(token.raw, token.pos, self.text)
        return node

    def parse_or(self) -> tuple[Node, int]:
        return self._nary(frozenset({"||"}), self.parse_and, Or)

    def parse_and(self) -> tuple[Node, int]:
        return self._nary(frozenset({"&&"}), self.parse_equality, And)

    def _nary(
        self, ops: frozenset[str], operand: Callable[[], tuple[Node, int]], cls: type[And | Or]
    ) -> tuple[Node, int]:
        first, height = operand()
        if not self.is_op(ops):
            return first, height
        nodes = [first]
        while self.is_op(ops):
            self.take()
            node, h = operand()
            nodes.append(node)
            height = max(height, h)
        return self.height(cls(tuple(nodes), getattr(first, "pos", 0)), height + 1)

    def parse_equality(self) -> tuple[Node, int]:
        return self._binary(_EQUALITY, self.parse_comparison)

    def parse_comparison(self) -> tuple[Node, int]:
        return self._binary(_COMPARISON, self.parse_unary)

    def _binary(
        self, ops: frozenset[str], operand: Callable[[], tuple[Node, int]]
    ) -> tuple[Node, int]:
        """Left-associative ``operand (op operand)*`` for the comparison operators ``ops``."""
        left, height = operand()
        while self.is_op(ops):
            op = self.take().raw
            right, h = operand()
            left, height = self.height(
                Compare(op, left, right, getattr(left, "pos", 0)), max(height, h) + 1
            )
        return left, height

    def parse_unary(self) -> tuple[Node, int]:
        token = self.peek()
        if token is not None and token.type is T.OPERATOR and token.raw == "!":
            self.take()
            self.enter()
            operand, height = self.parse_unary()
            self.nesting -= 1
            return self.height(Not(operand, token.pos), height + 1)
        return self.parse_postfix()

    def parse_postfix(self) -> tuple[Node, int]:
        node, height = self.parse_primary()
        while (token := self.peek()) is not None:
            if token.type is T.DEREF:
                self.take()
                name = self.take()
                if name.type is T.WILDCARD:
                    node, height = self.height(Wildcard(node, token.pos), height + 1)
                elif name.type is T.PROPERTY:
                    prop = Literal(name.value, name.pos)
                    node, height = self.height(Index(node, prop, token.pos), height + 1)
                else:
                    raise unexpected(name.raw, name.pos, self.text)
            elif token.type is T.LBRACKET:
                self.take()
                star = self.peek()
                if star is not None and star.type is T.WILDCARD:
                    self.take()
                    self.expect(T.RBRACKET)
                    node, height = self.height(Wildcard(node, token.pos), height + 1)
                    continue
                self.enter()
                key, h = self.parse_or()
                self.nesting -= 1
                self.expect(T.RBRACKET)
                node, height = self.height(Index(node, key, token.pos), max(height, h) + 1)
            else:
                break
        return node, height

    def parse_primary(self) -> tuple[Node, int]:
        token = self.take()
        kind = token.type
        if kind is T.LITERAL:
            return Literal(token.value, token.pos), 1
        if kind is T.NAMED_VALUE:
            name = token.raw.lower()
            if self.named is not None and name not in self.named:
                raise self._unrecognized("named-value", token)
            return NamedValue(name, token.pos), 1
        if kind is T.FUNCTION:
            return self.parse_call(token)
        if kind is T.LPAREN:
            self.enter()
            result = self.parse_or()
            self.nesting -= 1
            self.expect(T.RPAREN)
            return result
        raise unexpected(token.raw, token.pos, self.text)

    def parse_call(self, token: Token) -> tuple[Node, int]:
        name = token.raw.lower()
        if name not in self.funcs:
            raise self._unrecognized("function", token)
        self.expect(T.LPAREN)
        self.enter()
        args: list[Node] = []
        height = 0
        if (nxt := self.peek()) is not None and nxt.type is T.RPAREN:
            self.take()
        else:
            while True:
                arg, h = self.parse_or()
                args.append(arg)
                height = max(height, h)
                sep = self.take()
                if sep.type is T.RPAREN:
                    break
                if sep.type is not T.COMMA:
                    raise unexpected(sep.raw, sep.pos, self.text)
        self.nesting -= 1
        self._check_arity(name, len(args), token)
        return self.height(Call(name, tuple(args), token.raw, token.pos), height + 1)

    def _check_arity(self, name: str, count: int, token: Token) -> None:
        low, high = self.arity.get(name) or ARITY[name]
        problem = ""
        if count < low:
            problem = "Too few parameters supplied"
        elif high is not None and count > high:
            problem = "Too many parameters supplied"
        elif name == "case" and count % 2 == 0:
            problem = "Even number of parameters supplied, requires an odd number of parameters"
        if problem:
            raise ExpressionSyntaxError(
                f"{problem}: '{token.raw}'. Located at position {token.pos} "
                f"within expression: {self.text}",
                expression=self.text,
                column=token.pos,
            )

    def _unrecognized(self, what: str, token: Token) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(
            f"Unrecognized {what}: '{token.raw}'. Located at position {token.pos} "
            f"within expression: {self.text}",
            expression=self.text,
            column=token.pos,
        )


@lru_cache(maxsize=16384)
def _parse_cached(
    text: str,
    named: frozenset[str] | None,
    funcs: frozenset[str],
    arity: tuple[tuple[str, tuple[int, int | None]], ...],
) -> Node:
    return _Parser(text, named, funcs, dict(arity)).parse()


def parse(
    text: str,
    *,
    named_values: Collection[str] | None = None,
    functions: Collection[str] | None = None,
    arity: Mapping[str, tuple[int, int | None]] | None = None,
) -> Node:
    """Parse bare expression text (no ``${{ }}``); results are cached.

    ``named_values``: allowed context names (case-insensitive), None allows any.
    ``functions``: allowed built-in function names (case-insensitive), None allows all;
    names that are not built-ins are ignored. ``arity`` overrides how many arguments
    built-ins take (lower-case name -> (fewest, most or None)), e.g. :data:`JOB_IF_ARITY`.
    Raises ExpressionSyntaxError with a 1-based ``column``.
    """
    if len(text) > MAX_LENGTH:
        raise ExpressionSyntaxError(
            f"Exceeded max expression length {MAX_LENGTH}", expression=text[:80], column=1
        )
    named = None if named_values is None else frozenset(n.lower() for n in named_values)
    funcs = (
        BUILTIN_FUNCTIONS
        if functions is None
        else BUILTIN_FUNCTIONS & frozenset(f.lower() for f in functions)
    )
    overrides = tuple(sorted((k.lower(), v) for k, v in (arity or {}).items()))
    return _parse_cached(text, named, funcs, overrides)
