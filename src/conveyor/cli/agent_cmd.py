"""`conveyor agent status|stop`, and :func:`serve`, the agent's own start.

The ``conveyor`` console script hands commands to a per-user agent that has conveyor's
heavy modules imported (:mod:`conveyor.client`, :mod:`conveyor.agent`); the agent starts
on the first command and exits after 15 idle minutes (``$CONVEYOR_AGENT_IDLE`` seconds).
"""

from __future__ import annotations

import importlib
import json

import typer

agent_app = typer.Typer(
    name="agent",
    help="The background agent that keeps conveyor's modules loaded between commands.",
    no_args_is_help=True,
)

# What commands import when they run, imported once by the agent before it forks workers.
PRELOAD = (
    "conveyor.cli.run_cmd",
    "conveyor.cli.validate_cmd",
    "conveyor.cli.plan_cmd",
    "conveyor.cli.list_cmd",
    "conveyor.cli.history_cmd",
    "conveyor.launch.runs",
    "conveyor.launch.names",
    "conveyor.engine.run",
    "conveyor.engine.compile",
    "conveyor.engine.local_executor",
    "conveyor.engine.jobexec",
    "conveyor.engine.jsaction",
    "conveyor.engine.lease",
    "conveyor.engine.watchdog",
    "conveyor.actions.registry",
    "conveyor.actions.provider",
    "conveyor.actions.delivery_wiring",
    "conveyor.store.recorder",
    "conveyor.store.repositories",
    "conveyor.store.models",
    "conveyor.store.database",
    "conveyor.store.queries",
    "conveyor.store.recovery",
    "conveyor.store.loglines",
    "conveyor.console.factory",
    "conveyor.console.plain",
    "conveyor.console.live",
    "conveyor.console.rich_summary",
    "conveyor.runners.local",
    "conveyor.runners.interrupts",
    "conveyor.triggers.resolve",
    "conveyor.triggers.payloads",
    "conveyor.triggers.changed_files",
    "conveyor.planner.build",
    "conveyor.workflow.validate",
    "conveyor.workflow.loader",
    "conveyor.tiers.configfile",
    "conveyor.delivery.autorollback",
    "conveyor.delivery.gate",
    "sqlite3",
    "urllib.request",
    "xml.sax.saxutils",
    "pydantic.type_adapter",
    "typer._adapters",
    "typer._click.decorators",
)

# A workflow using the keys most workflows use: loading it builds their pydantic models.
_SAMPLE = """
name: sample
on:
  push: {branches: [main], paths: ['src/**']}
  pull_request: {types: [opened]}
  workflow_dispatch: {inputs: {level: {type: string, default: x}}}
env: {A: b}
defaults: {run: {shell: bash}}
concurrency: {group: g, cancel-in-progress: true}
permissions: {contents: read}
jobs:
  build:
    runs-on: ubuntu-latest
    timeout-minutes: 5
    strategy: {fail-fast: false, matrix: {py: ['3.11', '3.12']}}
    env: {B: c}
    outputs: {o: '${{ steps.s.outputs.o }}'}
    steps:
      - uses: actions/checkout@v4
        with: {fetch-depth: 0}
      - id: s
        name: step
        if: ${{ success() }}
        run: echo o=1 >> "$GITHUB_OUTPUT"
        working-directory: .
        continue-on-error: false
  after:
    needs: build
    if: always()
    runs-on: ubuntu-latest
    steps: [{run: 'true'}]
"""


def preload() -> None:
    """Import what commands need, and build the commands, models and mappers they use."""
    for module in PRELOAD:
        importlib.import_module(module)
    from sqlalchemy.orm import configure_mappers

    from conveyor.cli.lazy import built_commands
    from conveyor.cli.registry import COMMANDS
    from conveyor.workflow.loader import load_workflow_text

    for spec in COMMANDS:
        if spec.module in PRELOAD:
            built_commands(spec.module)

    configure_mappers()
    load_workflow_text(_SAMPLE, "/nonexistent/.github/workflows/sample.yml", root="/nonexistent")


def serve(key: str) -> int:
    """The agent process (started by the console script): serve commands until idle."""
    from conveyor.agent.server import serve as serve_agent
    from conveyor.cli.main import main

    return serve_agent(key, main, preload)


@agent_app.command("status")
def status() -> None:
    """Show the agent of this conveyor install: pid, memory, commands served."""
    from conveyor.agent import wire
    from conveyor.agent.control import ask

    found = ask(wire.STATUS)
    if found is None:
        typer.echo("no agent is running for this conveyor install")
        raise typer.Exit(1)
    typer.echo(json.dumps(found, indent=2, sort_keys=True))


@agent_app.command("stop")
def stop() -> None:
    """Stop the agent (commands it is running finish first)."""
    from conveyor.agent import wire
    from conveyor.agent.control import ask

    found = ask(wire.STOP)
    typer.echo("no agent was running" if found is None else f"stopped agent {found['pid']}")


def register(app: typer.Typer) -> None:
    """Add ``conveyor agent ...`` to the app."""
    if any(group.name == "agent" for group in app.registered_groups):
        return
    app.add_typer(agent_app, name="agent")
