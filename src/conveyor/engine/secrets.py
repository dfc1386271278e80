"""Collect secrets from ``--secret K=V``, ``--secret-file`` (dotenv) and ``CONVEYOR_SECRET_*``."""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

from dotenv import dotenv_values
from dotenv.parser import parse_stream

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


def check_dotenv(path: Path) -> None:
    """Stop at the first line of the dotenv file that python-dotenv cannot parse (it would
    only log a warning without the file's name and drop the line) or that has no value."""
    try:
        with path.open(encoding="utf-8") as handle:
            bindings = list(parse_stream(handle))
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path}:1: --secret-file is not UTF-8 text ({exc.reason})") from exc
    except OSError as exc:
        raise UsageError(f"--secret-file {path}: cannot read: {exc.strerror or exc}") from exc
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
        if not secret_file.is_file():
            raise UsageError(f"--secret-file {secret_file}: no such file")
        secrets.update(read_secret_file(secret_file))
    secrets.update(parse_pairs(pairs, "--secret"))
    return secrets


def read_secret_file(path: Path) -> dict[str, str]:
    """The secrets of a dotenv file; a line that cannot be parsed stops with file:line."""
    check_dotenv(path)
    return {
        name: found
        for name, found in dotenv_values(path, encoding="utf-8").items()
        if found is not None
    }
