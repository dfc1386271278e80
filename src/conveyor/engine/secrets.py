"""Collect secrets from ``--secret K=V``, ``--secret-file`` (dotenv) and ``CONVEYOR_SECRET_*``;
read the dotenv files of ``--secret-file``, ``--env-file`` and ``--var-file`` (``.secrets``,
``.env`` and ``.vars`` at the repository root by default, as act does)."""

from __future__ import annotations

import io
import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from conveyor.errors import UsageError

ENV_PREFIX = "CONVEYOR_SECRET_"
TOKEN_PLACEHOLDER = "conveyor-local-token"


def without_secrets(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` less the ``CONVEYOR_SECRET_*`` variables: what a step may inherit."""
    return {k: v for k, v in env.items() if not k.startswith(ENV_PREFIX)}


def parse_pairs(pairs: Iterable[str], option: str) -> dict[str, str]:
    """``["A=1", "B=x=y"]`` -> ``{"A": "1", "B": "x=y"}``; a pair without ``=`` is a usage error."""
    result: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"{option} expects KEY=VALUE, got {pair!r}")
        result[key.strip()] = value
    return result


DEFAULT_FILES = {"--secret-file": ".secrets", "--env-file": ".env", "--var-file": ".vars"}
"""The dotenv file each option reads from the repository root when it is not given."""


def check_dotenv(path: Path, option: str = "--secret-file") -> None:
    """Stop at the first line of the dotenv file that python-dotenv cannot parse (it would
    only log a warning without the file's name and drop the line) or that has no value."""
    from dotenv.parser import parse_stream

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{option} {path}: cannot read: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"{path}:{line}: {option} is not UTF-8 text ({exc.reason})") from exc
    bindings = list(parse_stream(io.StringIO(text, newline=None)))  # universal newlines
    for binding in bindings:
        text = binding.original.string
        # a binding starts with the blank lines before it: count from its first character
        line = binding.original.line + text[: len(text) - len(text.lstrip())].count("\n")
        if binding.error:  # the line is not shown: it may hold a secret
            raise UsageError(
                f"{path}:{line}: cannot parse this line; write NAME=value, quoting a value "
                "that holds spaces, quotes or # and closing every quote"
            )
        if binding.key is not None and binding.value is None:
            key = binding.key
            raise UsageError(f"{path}:{line}: {key} has no value; write {key}=value")


def collect_secrets(
    pairs: Iterable[str] = (),
    secret_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Later sources win: environment, then the file, then ``--secret``.

    ``GITHUB_TOKEN`` gets a placeholder unless given, as workflows often reference it.
    """
    env = os.environ if environ is None else environ
    secrets: dict[str, str] = {"GITHUB_TOKEN": TOKEN_PLACEHOLDER}
    for key, value in env.items():
        if key.startswith(ENV_PREFIX) and len(key) > len(ENV_PREFIX):
            secrets[key[len(ENV_PREFIX) :]] = value
    if secret_file is not None:
        secrets.update(read_dotenv(secret_file, "--secret-file"))
    secrets.update(parse_pairs(pairs, "--secret"))
    return secrets


def read_dotenv(path: Path, option: str) -> dict[str, str]:
    """The names and values of a dotenv file; a line that cannot be parsed stops with its
    file and line (exit 2), and so does a missing file."""
    if not path.is_file():
        raise UsageError(f"{option} {path}: no such file")
    check_dotenv(path, option)
    from dotenv import dotenv_values

    values = dotenv_values(path, encoding="utf-8").items()
    return {name: found for name, found in values if found is not None}


def dotenv_file(given: Path | None, option: str, root: Path) -> Path | None:
    """The file an option reads: the one given, else its default (``.secrets``, ``.env``,
    ``.vars``) at the repository root when that exists, else none."""
    if given is not None:
        return given
    default = root / DEFAULT_FILES[option]
    return default if default.is_file() else None
