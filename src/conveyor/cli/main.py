"""The ``conveyor`` command: builds the Typer app and maps errors to exit codes in one place.

Exit codes: 0 ok, 1 run failed, 2 bad input, 130 interrupted. A bug (any other
exception) prints a short message and exits 3 with the traceback on stderr.
"""

from __future__ import annotations

import sys
import traceback

import typer

from conveyor.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, ConveyorError

app = typer.Typer(
    name="conveyor",
    help="Run GitHub-Actions-syntax workflows locally, without Docker.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts are plain: "[targets]" must not become rich markup
)

EXIT_BUG = 3


@app.callback()
def _root() -> None:
    """Run GitHub-Actions-syntax workflows locally, without Docker."""


@app.command()
def version() -> None:
    """Print conveyor's version."""
    from conveyor import __version__

    typer.echo(__version__)


def _register() -> None:
    # Each command module adds its commands to ``app``; imported here so the
    # modules never import each other.
    from conveyor.cli import commands

    commands.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code (also used by tests in-process)."""
    _register()
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
