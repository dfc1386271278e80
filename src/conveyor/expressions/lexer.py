"""Tokenizer for GitHub expressions (positions are 1-based columns).

Rules mirror GitHub's lexer: a ``.`` after a value is a dereference, otherwise it starts a
number; a keyword right after a dereference is a property name; a keyword followed by
``(`` is a function; ``true false null NaN Infinity`` are literals; anything else is a
named-value. An unreadable token is reported whole ("Unexpected symbol: '0xFZ'").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, auto

from conveyor.errors import ExpressionSyntaxError
from conveyor.expressions.values import normalize_number, parse_number


class T(Enum):
    """Token types."""

    LITERAL = auto()
    NAMED_VALUE = auto()
    FUNCTION = auto()
    PROPERTY = auto()
    WILDCARD = auto()
    DEREF = auto()
    LPAREN = auto()
    RPAREN = auto()
    LBRACKET = auto()
    RBRACKET = auto()
    COMMA = auto()
    OPERATOR = auto()  # ! == != < <= > >= && ||


@dataclass(frozen=True, slots=True)
class Token:
    type: T
    raw: str
    pos: int  # 1-based
    value: object = None


_KEYWORD_LITERALS: dict[str, object] = {
    "true": True,
    "false": False,
    "null": None,
    "NaN": float("nan"),
    "Infinity": float("inf"),
}
_PUNCT = {"(": T.LPAREN, ")": T.RPAREN, "[": T.LBRACKET, "]": T.RBRACKET, ",": T.COMMA}
# After these, a "." is a dereference; otherwise it starts a number (e.g. ".5").
_VALUE_END = frozenset({T.LITERAL, T.NAMED_VALUE, T.PROPERTY, T.WILDCARD, T.RPAREN, T.RBRACKET})
_SPACE = re.compile(r"\s*")
_NUMBER_RUN = re.compile(r"[^\s()\[\],!<>=&|]+")
_KEYWORD_RUN = re.compile(r"[^\s()\[\],.!<>=&|'*]+")
_KEYWORD = re.compile(r"[^\W\d][\w-]*\Z")


def unexpected(raw: str, pos: int, text: str, *, end: bool = False) -> ExpressionSyntaxError:
    what = "Unexpected end of expression" if end else "Unexpected symbol"
    return ExpressionSyntaxError(
        f"{what}: '{raw}'. Located at position {pos} within expression: {text}",
        expression=text,
        column=pos,
    )


def _skip(text: str, i: int) -> int:
    match = _SPACE.match(text, i)
    return match.end() if match else i


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    n = len(text)
    i = _skip(text, 0)
    last: T | None = None
    while i < n:
        c = text[i]
        start = i
        if c in _PUNCT:
            token = Token(_PUNCT[c], c, start + 1)
            i += 1
        elif c == "." and last in _VALUE_END:
            token = Token(T.DEREF, c, start + 1)
            i += 1
        elif c == "*" and (last is T.DEREF or last is T.LBRACKET):
            token = Token(T.WILDCARD, c, start + 1)
            i += 1
        elif c in "!<>=&|":
            token, i = _read_operator(text, i)
        elif c == "'":
            token, i = _read_string(text, i)
        elif c in "+-." or c.isdecimal():
            match = _NUMBER_RUN.match(text, i)
            i = match.end() if match else i + 1
            raw = text[start:i]
            number = parse_number(raw)
            if number is None:
                raise unexpected(raw, start + 1, text)
            token = Token(T.LITERAL, raw, start + 1, normalize_number(number))
        else:
            match = _KEYWORD_RUN.match(text, i)
            i = match.end() if match else i + 1  # a lone "*" or "'" is one bad symbol
            raw = text[start:i]
            if not _KEYWORD.match(raw):
                raise unexpected(raw, start + 1, text)
            token = _keyword(raw, start + 1, last, text, i)
        tokens.append(token)
        last = token.type
        i = _skip(text, i)
    return tokens


def _keyword(raw: str, pos: int, last: T | None, text: str, end: int) -> Token:
    if last is T.DEREF:
        return Token(T.PROPERTY, raw, pos, raw)
    if raw in _KEYWORD_LITERALS:
        return Token(T.LITERAL, raw, pos, _KEYWORD_LITERALS[raw])
    after = _skip(text, end)
    if text.startswith("(", after):
        return Token(T.FUNCTION, raw, pos, raw)
    return Token(T.NAMED_VALUE, raw, pos, raw)


def _read_operator(text: str, i: int) -> tuple[Token, int]:
    c = text[i]
    two = text[i : i + 2]
    if two in ("==", "!=", "<=", ">=", "&&", "||"):
        return Token(T.OPERATOR, two, i + 1), i + 2
    if c in "!<>":
        return Token(T.OPERATOR, c, i + 1), i + 1
    end = i
    while end < len(text) and not text[end].isspace():
        end += 1
    raise unexpected(text[i:end], i + 1, text)


def _read_string(text: str, i: int) -> tuple[Token, int]:
    start = i
    i += 1
    chunks: list[str] = []
    while True:
        close = text.find("'", i)
        if close < 0:
            raise unexpected(text[start:], start + 1, text)
        chunks.append(text[i:close])
        if text.startswith("''", close):
            chunks.append("'")
            i = close + 2
            continue
        return Token(T.LITERAL, text[start : close + 1], start + 1, "".join(chunks)), close + 1
