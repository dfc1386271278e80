"""The ``conveyor`` command: builds the Typer app and maps errors to exit codes in one place.

Exit codes: 0 ok, 1 run failed, 2 bad input, 130 interrupted. A bug (any other
exception) prints a short message and exits 3 with the traceback on stderr.
"""

from __future__ import annotations

import sys
import traceback
from typing import Annotated

import typer

from conveyor.cli.lazy import LazyGroup
from conveyor.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, ConveyorError

app = typer.Typer(
    name="conveyor",
    cls=LazyGroup,  # commands are imported when they run; --help lists them from the registry
    help="Run GitHub-Actions-syntax workflows locally, without Docker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[targets]" must not become rich markup
    context_settings={"help_option_names": ["-h", "--help"]},
)

EXIT_BUG = 3


def _print_version(value: bool) -> None:
    if value:
        from conveyor import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        bool | None,
        typer.Option(
            "--version",
            is_eager=True,
            callback=_print_version,
            help="Print conveyor's version and exit.",
        ),
    ] = None,
) -> None:
    """Run GitHub-Actions-syntax workflows locally, without Docker."""


@app.command()
def version() -> None:
    """Print conveyor's version."""
    from conveyor import __version__

    typer.echo(__version__)


def register(target: typer.Typer) -> None:
    """The commands this module defines (``version`` is on ``app`` already)."""
    if target is not app:
        target.command("version")(version)


def _register() -> None:
    """Import every command module and add its commands to ``app`` (tests walk them all);
    ``main`` does not: it imports only the command that runs."""
    import importlib

    from conveyor.cli.registry import COMMANDS

    for module in dict.fromkeys(spec.module for spec in COMMANDS):
        if module != __name__:
            importlib.import_module(module).register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (also used by tests in-process)."""
    try:
        result = app(args=argv, standalone_mode=False)
    except ConveyorError as exc:
        message = str(exc)
        if message:
            typer.echo(message if message.startswith("error") else f"error: {message}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        typer.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return EXIT_INTERRUPTED
    except Exception as exc:
        # Typer's own usage errors (bad option, missing argument) know how to show themselves.
        show = getattr(exc, "show", None)
        if callable(show) and isinstance(getattr(exc, "exit_code", None), int):
            show()
            return EXIT_BAD_INPUT
        typer.echo(f"conveyor: internal error: {exc!r} (please report this bug)", err=True)
        traceback.print_exc()
        return EXIT_BUG
    # In non-standalone mode a ``typer.Exit(n)`` raised by a command comes back as its code.
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
