"""GitHub's file commands: ``$GITHUB_OUTPUT``, ``$GITHUB_ENV``, ``$GITHUB_PATH``,
``$GITHUB_STATE`` and ``$GITHUB_STEP_SUMMARY``.

The runner creates one empty file per command before a step, passes their paths
in the environment, and reads them back after the step exits.

``GITHUB_OUTPUT``, ``GITHUB_ENV`` and ``GITHUB_STATE`` use GitHub's key-value format:
``name=value`` lines, or a multi-line value::

    name<<DELIMITER
    line 1
    line 2
    DELIMITER

Whichever of ``=`` and ``<<`` comes first on the line decides the form. A block
whose delimiter never appears is an error (``Matching delimiter not found``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

SUMMARY_LIMIT = 1024 * 1024  # GitHub refuses step summaries larger than 1 MiB

# (environment variable, GitHub's command name used in error messages, file prefix)
_FILES = (
    ("GITHUB_OUTPUT", "output", "set_output"),
    ("GITHUB_ENV", "env", "set_env"),
    ("GITHUB_PATH", "path", "add_path"),
    ("GITHUB_STATE", "state", "save_state"),
    ("GITHUB_STEP_SUMMARY", "step_summary", "step_summary"),
)
_BLOCKED_ENV = frozenset({"NODE_OPTIONS"})  # GitHub refuses these in $GITHUB_ENV


class FileCommandError(Exception):
    """A file command's content is invalid; the step fails with this message."""

    def __init__(self, command: str, detail: str) -> None:
        super().__init__(f"Unable to process file command '{command}' successfully. {detail}")
        self.command = command
        self.detail = detail


@dataclass(frozen=True, slots=True)
class FileCommandValues:
    outputs: dict[str, str]
    env: dict[str, str]
    path: list[str]
    state: dict[str, str]
    summary: str


class FileCommands:
    """The per-step files, created empty in ``directory`` with names unique to ``token``."""

    def __init__(self, directory: Path, token: str) -> None:
        self.paths: dict[str, Path] = {}
        for variable, _command, prefix in _FILES:
            path = directory / f"{prefix}_{token}"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.close(fd)
            self.paths[variable] = path

    def environment(self) -> dict[str, str]:
        return {variable: str(path) for variable, path in self.paths.items()}

    def read(self) -> FileCommandValues:
        """Parse every file; raises :class:`FileCommandError` naming the bad one."""
        outputs = parse_key_values(self._text("GITHUB_OUTPUT"), "output")
        env = parse_key_values(self._text("GITHUB_ENV"), "env")
        for name in env:
            if name.upper() in _BLOCKED_ENV:
                raise FileCommandError(
                    "env", f"Can't store {name} output parameter using '$GITHUB_ENV' command."
                )
        path = [p.strip() for p, _ in _lines(self._text("GITHUB_PATH")) if p.strip()]
        state = parse_key_values(self._text("GITHUB_STATE"), "state")
        summary = self._text("GITHUB_STEP_SUMMARY")
        size = len(summary.encode("utf-8"))
        if size > SUMMARY_LIMIT:
            raise FileCommandError(
                "step_summary",
                "$GITHUB_STEP_SUMMARY upload aborted, supports content up to a size of "
                f"1024k, got {size // 1024}k.",
            )
        return FileCommandValues(outputs, env, path, state, summary)

    def remove(self) -> None:
        for path in self.paths.values():
            path.unlink(missing_ok=True)

    def _text(self, variable: str) -> str:
        try:
            data = self.paths[variable].read_bytes()
        except OSError:  # the step deleted (or replaced) it: nothing was written
            return ""
        return data.decode("utf-8-sig", errors="replace")


def _lines(text: str) -> list[tuple[str, str]]:
    """Split on LF only (CR LF counts as one ending), keeping each line's own ending."""
    pairs: list[tuple[str, str]] = []
    start = 0
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            pairs.append((text[start:], ""))
            break
        body_end = end - 1 if end > start and text[end - 1] == "\r" else end
        pairs.append((text[start:body_end], text[body_end : end + 1]))
        start = end + 1
    return pairs


def parse_key_values(text: str, command: str) -> dict[str, str]:
    """Parse GitHub's ``name=value`` / ``name<<DELIMITER`` file format."""
    values: dict[str, str] = {}
    lines = _lines(text)
    index = 0
    while index < len(lines):
        line, _ = lines[index]
        index += 1
        if not line:
            continue
        equals = line.find("=")
        heredoc = line.find("<<")
        if equals >= 0 and (heredoc < 0 or equals < heredoc):
            name, value = line[:equals], line[equals + 1 :]
            if not name:
                raise FileCommandError(command, f"Invalid format '{line}'. Name must not be empty")
        elif heredoc >= 0:
            name, delimiter = line[:heredoc], line[heredoc + 2 :]
            if not name or not delimiter:
                raise FileCommandError(
                    command,
                    f"Invalid format '{line}'. Name must not be empty and delimiter must not "
                    "be empty",
                )
            parts: list[tuple[str, str]] = []
            while True:
                if index >= len(lines):
                    raise FileCommandError(
                        command, f"Invalid value. Matching delimiter not found '{delimiter}'"
                    )
                body, newline = lines[index]
                index += 1
                if body == delimiter:
                    break
                parts.append((body, newline))
            # the line ending just before the delimiter is not part of the value
            value = "".join(b + n for b, n in parts[:-1]) + (parts[-1][0] if parts else "")
        else:
            raise FileCommandError(command, f"Invalid format '{line}'")
        values[name] = value
    return values
