"""The root command group: lists every command from the registry, imports one when it runs.

``conveyor --help`` renders its command list from :mod:`conveyor.cli.registry` (no command
module is imported); ``conveyor NAME ...`` imports the module that defines NAME, lets it
register its commands on a Typer of its own, and adds the resulting click commands here.
"""

from __future__ import annotations

import importlib
from difflib import get_close_matches
from gettext import gettext as _
from typing import Any

import typer
from typer.core import TyperGroup

from conveyor.cli.registry import BY_NAME, COMMANDS


class LazyGroup(TyperGroup):
    def list_commands(self, ctx: Any) -> list[str]:
        names = [spec.name for spec in COMMANDS]
        return names + [name for name in self.commands if name not in BY_NAME]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = self.commands.get(cmd_name)
        spec = BY_NAME.get(cmd_name)
        if command is None and spec is not None:
            self.load(spec.module)
            command = self.commands.get(cmd_name)
        return command

    def load(self, module_name: str) -> None:
        """Import a command module and add every command it registers."""
        for name, command in built_commands(module_name).items():
            self.commands.setdefault(name, command)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        """The command list, from the registry (commands not yet imported stay so)."""
        rows: list[tuple[str, str]] = []
        width = max(len(spec.name) for spec in COMMANDS)
        limit = formatter.width - 6 - width
        from typer._click.utils import make_default_short_help

        for name in self.list_commands(ctx):
            spec = BY_NAME.get(name)
            if spec is not None:
                if not spec.hidden:
                    rows.append((name, make_default_short_help(spec.help, limit)))
                continue
            command = self.commands[name]
            if not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        with formatter.section(_("Commands")):
            formatter.write_dl(rows)

    def resolve_command(self, ctx: Any, args: list[str]) -> Any:
        try:
            return self._click_resolve_command(ctx, args)
        except typer._click.exceptions.UsageError as exc:
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args else []
            if matches:
                suggestions = ", ".join(f"{m!r}" for m in matches)
                exc.message = f"{exc.message.rstrip('.')}. Did you mean {suggestions}?"
            raise


_BUILT: dict[str, dict[str, Any]] = {}


def built_commands(module_name: str) -> dict[str, Any]:
    """The click commands a command module registers, built once per process (the agent
    builds those of the common commands before it forks a worker per command)."""
    if module_name not in _BUILT:
        module = importlib.import_module(module_name)
        own = typer.Typer(rich_markup_mode=None)
        module.register(own)
        _BUILT[module_name] = dict(typer.main.get_group(own).commands)
    return _BUILT[module_name]
