"""What a step's output lines do: workflow commands, masking, then ``StepOutput``.

:class:`LineProcessor` sees every line of stdout and stderr (GitHub processes commands on
both alike) in the order written, one line at a time (a lock keeps the runner's own
notes from interleaving with them). Command lines themselves are not printed; a
readable line is printed instead where GitHub's log shows one (``Error: ...``,
``▸ group``).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from conveyor.engine.events import GROUP_END
from conveyor.engine.masking import Masker
from conveyor.engine.ports import CommandAnnotation, StepOutput
from conveyor.runners.commandsyntax import WorkflowCommand, parse_command

NOTE_STREAM = "stderr"  # where the runner's own notes about a step go
GROUP_MARK = "▸ "

_ANNOTATION_LEVELS = {"error": "Error", "warning": "Warning", "notice": "Notice"}
COMMAND_NAMES = frozenset(
    {
        *_ANNOTATION_LEVELS,
        "add-mask",
        "debug",
        "group",
        "endgroup",
        "stop-commands",
        "echo",
        "set-output",
        "save-state",
        "set-env",
        "add-path",
        "add-matcher",
        "remove-matcher",
    }
)
_TRUE = ("1", "true")
_DEPRECATED = (
    "The `{name}` command is deprecated and will be disabled soon. Please upgrade to "
    "using Environment Files. For more information see: https://github.blog/changelog/"
    "2022-10-11-github-actions-deprecating-save-state-and-set-output-commands/"
)
_DISABLED = (
    "The `{name}` command is disabled. Please upgrade to using Environment Files or opt "
    "into unsecure command execution by setting the `ACTIONS_ALLOW_UNSECURE_COMMANDS` "
    "environment variable to `true`. For more information see: https://github.blog/"
    "changelog/2020-10-01-github-actions-deprecating-set-env-and-add-path-commands/"
)


@dataclass(frozen=True, slots=True)
class Annotation(CommandAnnotation):
    """A :class:`CommandAnnotation` that also keeps GitHub's ``endLine``/``endColumn``."""

    end_line: int | None = None
    end_column: int | None = None


@dataclass(slots=True)
class CommandEffects:
    """What commands asked for; merged into the ``StepResult`` after the step."""

    outputs: dict[str, str] = field(default_factory=dict)
    state: dict[str, str] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)
    path: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # commands that fail the step


def is_true(env: Mapping[str, str], name: str) -> bool:
    return env.get(name, "").strip().lower() in _TRUE


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value.strip())
    except ValueError:
        return None


class LineProcessor:
    """Turns raw output lines into masked lines, annotations and command effects."""

    def __init__(self, output: StepOutput, masker: Masker, env: Mapping[str, str]) -> None:
        self._output = output
        self._masker = masker
        self._lock = threading.Lock()
        self._debug = is_true(env, "RUNNER_DEBUG") or is_true(env, "ACTIONS_STEP_DEBUG")
        self._unsecure = is_true(env, "ACTIONS_ALLOW_UNSECURE_COMMANDS")
        self._echo = self._debug
        self._stop_token: str | None = None
        self._warned: set[str] = set()
        self._closed = False
        self.effects = CommandEffects()

    # ------------------------------------------------------------ public

    def feed(self, line: str, stream: str = "stdout") -> None:
        """Handle one line (without its newline) from ``stream``."""
        with self._lock:
            if self._closed:
                return
            self._handle(line, stream)

    def note(self, text: str) -> None:
        """Print one of the runner's own lines (masked)."""
        with self._lock:
            self._print(text, NOTE_STREAM)

    def fail(self, message: str) -> None:
        """Report an error that fails the step (annotation plus a readable line)."""
        with self._lock:
            self._fail(message, NOTE_STREAM)

    def close(self) -> None:
        """Ignore lines arriving from now on (e.g. from an escaped background process)."""
        with self._lock:
            self._closed = True

    # ------------------------------------------------------------ internals

    def _print(self, text: str, stream: str) -> None:
        masked = self._masker.mask(text)
        for part in masked.split("\n") if "\n" in masked else (masked,):
            self._output.line(part, stream)

    def _handle(self, line: str, stream: str) -> None:
        if self._stop_token is not None:
            resume = parse_command(line, (self._stop_token,))
            if resume is None:
                self._print(line, stream)
            else:
                self._stop_token = None
                if self._echo:
                    self._print(line, stream)
            return
        command = parse_command(line, COMMAND_NAMES)
        if command is None:
            self._print(line, stream)
            return
        self._run(command, stream)
        if self._echo and command.name != "echo":
            self._print(line, stream)

    def _run(self, command: WorkflowCommand, stream: str) -> None:
        name, data, props = command.name, command.data, command.properties
        if name in _ANNOTATION_LEVELS:
            self._annotate(name, data, props, stream)
        elif name == "add-mask":
            if data.strip():
                self._masker.add(data)
            else:
                self._print("Warning: can't add secret mask for an empty string", stream)
        elif name == "debug":
            if self._debug:
                self._print(f"Debug: {data}", stream)
        elif name == "group":
            self._print(f"{GROUP_MARK}{data}", stream)
        elif name == "endgroup":  # kept where it was, for views that fold groups
            self._output.line("", GROUP_END)
        elif name == "echo":
            self._set_echo(data, stream)
        elif name == "stop-commands":
            self._stop(data, stream)
        elif name in ("set-output", "save-state"):
            self._deprecated(name, data, props, stream)
        elif name in ("set-env", "add-path"):
            self._unsecure_command(name, data, props, stream)
        # add-matcher / remove-matcher: problem matchers are not supported; ignored.

    def _annotate(self, level: str, message: str, props: dict[str, str], stream: str) -> None:
        mask = self._masker.mask
        file = props.get("file")
        title = props.get("title")
        annotation = Annotation(
            level=level,
            message=mask(message),
            file=mask(file) if file else None,
            line=_int(props.get("line")),
            col=_int(props.get("col")),
            title=mask(title) if title else None,
            end_line=_int(props.get("endLine")),
            end_column=_int(props.get("endColumn")),
        )
        self._output.annotation(annotation)
        where = ""
        if annotation.file:
            where = ":".join(
                str(p) for p in (annotation.file, annotation.line, annotation.col) if p is not None
            )
        prefix = ": ".join(p for p in (_ANNOTATION_LEVELS[level], where, annotation.title) if p)
        self._print(f"{prefix}: {message}", stream)

    def _fail(self, message: str, stream: str) -> None:
        self._annotate("error", message, {}, stream)
        self.effects.failures.append(message)

    def _set_echo(self, data: str, stream: str) -> None:
        value = data.strip().lower()
        if value in ("on", "off"):
            self._echo = value == "on"
        else:
            self._print(f"Warning: invalid ::echo:: value {data!r}; use 'on' or 'off'", stream)

    def _stop(self, token: str, stream: str) -> None:
        if not token or token in COMMAND_NAMES:
            message = (
                f"invalid ::stop-commands:: token {token!r}: use a unique value that is not "
                "a workflow command name, e.g. the output of `uuidgen`"
            )
            self._fail(message, stream)
            return
        self._stop_token = token

    def _deprecated(self, name: str, data: str, props: dict[str, str], stream: str) -> None:
        if name not in self._warned:
            self._warned.add(name)
            self._annotate("warning", _DEPRECATED.format(name=name), {}, stream)
        key = props.get("name", "")
        if not key:
            self._print(f"Error: required property 'name' is missing in ::{name}::", stream)
            return
        target = self.effects.outputs if name == "set-output" else self.effects.state
        target[key] = data

    def _unsecure_command(self, name: str, data: str, props: dict[str, str], stream: str) -> None:
        if not self._unsecure:
            self._fail(_DISABLED.format(name=name), stream)
            return
        if name == "add-path":
            if data.strip():
                self.effects.path.append(data.strip())
            return
        key = props.get("name", "")
        if key:
            self.effects.env[key] = data
        else:
            self._print("Error: required property 'name' is missing in ::set-env::", stream)
