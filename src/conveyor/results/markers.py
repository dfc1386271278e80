"""pytest's ``-m`` expressions, matched against the markers a report gives a test.

The grammar is pytest's (``_pytest.mark.expression``)::

    expression := or_expr?
    or_expr    := and_expr ("or" and_expr)*
    and_expr   := not_expr ("and" not_expr)*
    not_expr   := "not" not_expr | "(" or_expr ")" | name [ "(" ... ")" ]

A name matches when the test carries it. Marker arguments (pytest 8's ``name(arg=1)``)
are not in a report, so a name with arguments matches on the name alone. An expression
that does not parse matches nothing: a tier whose marker cannot be read takes no test.
"""

from __future__ import annotations

import re
from collections.abc import Collection

_TOKEN = re.compile(r"\s*(?:(\()|(\))|([^\s()]+))")


class _Parser:
    def __init__(self, expression: str, markers: Collection[str]) -> None:
        self.tokens = self._lex(expression)
        self.at = 0
        self.markers = markers

    @staticmethod
    def _lex(expression: str) -> list[str]:
        tokens: list[str] = []
        pos = 0
        text = expression.rstrip()
        while pos < len(text):
            found = _TOKEN.match(text, pos)
            if found is None:
                raise ValueError(expression)
            tokens.append(found.group(1) or found.group(2) or found.group(3))
            pos = found.end()
        return tokens

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _take(self) -> str:
        token = self._peek()
        if token is None:
            raise ValueError("unexpected end")
        self.at += 1
        return token

    def parse(self) -> bool:
        if not self.tokens:
            return True
        value = self._or()
        if self._peek() is not None:
            raise ValueError("trailing tokens")
        return value

    def _or(self) -> bool:
        value = self._and()
        while self._peek() == "or":
            self._take()
            right = self._and()
            value = value or right
        return value

    def _and(self) -> bool:
        value = self._not()
        while self._peek() == "and":
            self._take()
            right = self._not()
            value = value and right
        return value

    def _not(self) -> bool:
        token = self._take()
        if token == "not":
            return not self._not()
        if token == "(":
            value = self._or()
            if self._take() != ")":
                raise ValueError("missing )")
            return value
        if token in (")", "and", "or"):
            raise ValueError(f"unexpected {token}")
        if self._peek() == "(":  # a marker's arguments: skipped, the name decides
            depth = 0
            while True:
                part = self._take()
                depth += {"(": 1, ")": -1}.get(part, 0)
                if depth == 0:
                    break
        return token in self.markers


def matches(expression: str, markers: Collection[str]) -> bool:
    """Whether a test carrying ``markers`` is selected by ``pytest -m expression``."""
    try:
        return _Parser(expression, markers).parse()
    except ValueError:
        return False
