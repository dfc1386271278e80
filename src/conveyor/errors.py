"""The one exception hierarchy of conveyor.

Every error a user can see derives from :class:`ConveyorError` and carries an
``exit_code``. The CLI maps errors to exit codes in one place
(:func:`conveyor.cli.main.main`): 0 ok, 1 run failed, 2 bad input, 130 interrupted.
Errors name where the problem is (file:line:col, or run/job/step) and what to do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from conveyor.diagnostics import Diagnostic

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_NO_TESTS = 5  # `conveyor test`: no tests ran, as pytest
EXIT_INTERRUPTED = 130


class ConveyorError(Exception):
    """Base of every error conveyor raises on purpose."""

    exit_code: ClassVar[int] = EXIT_FAILED


class UserError(ConveyorError):
    """The input (files, arguments, configuration) is wrong; the user must fix it."""

    exit_code: ClassVar[int] = EXIT_BAD_INPUT


class UsageError(UserError):
    """Bad command-line arguments."""


class ConfigError(UserError):
    """A configuration file is invalid."""


class NotFound(UserError):
    """What a command or an API call names does not exist (a run, a repository, an
    approval to decide); the message says what exists instead or where to look."""


class Conflict(UserError):
    """The thing exists but is in the wrong state for the request (already decided,
    already finished, locked)."""


class TooLarge(UserError):
    """A request body over the size the API takes (the API's 413)."""


class Unauthenticated(UserError):
    """No credentials, or credentials that are unknown or revoked (the API's 401)."""


class Forbidden(UserError):
    """Known credentials that may not do this (a token's scope, a reviewer list)."""


class Unavailable(ConveyorError):
    """The service cannot take the request now (it is shutting down, say); try again
    later or elsewhere (the API's 503)."""


class DatabaseError(UserError):
    """The history database cannot be reached or used (server down, missing database,
    unparsable URL, an error of the database itself). The message names the URL with its
    password hidden and says what to do."""


class ExpressionError(UserError):
    """An expression cannot be parsed or evaluated.

    ``column`` is the 1-based position inside the expression text.
    """

    def __init__(self, message: str, *, expression: str = "", column: int = 0) -> None:
        super().__init__(message)
        self.message = message
        self.expression = expression
        self.column = column


class ExpressionSyntaxError(ExpressionError):
    """The expression text is not valid syntax."""


class ExpressionEvalError(ExpressionError):
    """The expression is valid but failed while evaluating (e.g. bad fromJSON input)."""


class WorkflowInvalid(UserError):
    """One or more workflow files are invalid; carries every diagnostic found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        lines = [d.format() for d in self.diagnostics]
        super().__init__("\n".join(lines) if lines else "invalid workflow")


class RunFailed(ConveyorError):
    """A run finished and at least one job failed."""

    exit_code: ClassVar[int] = EXIT_FAILED


class StepFailed(RunFailed):
    """A step failed; names the run, job and step."""

    def __init__(self, message: str, *, run: str = "", job: str = "", step: str = "") -> None:
        where = "/".join(p for p in (run, job, step) if p)
        super().__init__(f"{where}: {message}" if where else message)
        self.run = run
        self.job = job
        self.step = step


class ActionError(RunFailed):
    """An action could not be resolved or run (e.g. offline with no cached copy)."""


class NoTestsRan(ConveyorError):
    """``conveyor test`` ran no tests in a tier that needs some (pytest's exit code 5)."""

    exit_code: ClassVar[int] = EXIT_NO_TESTS


class Interrupted(ConveyorError):
    """The user pressed Ctrl-C or the process got SIGTERM."""

    exit_code: ClassVar[int] = EXIT_INTERRUPTED
