"""Registers every command module on the app. Add a line here for a new module."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    from conveyor.cli import (
        db_cmd,
        eval_cmd,
        history_cmd,
        plan_cmd,
        report_cmd,
        results_cmd,
        router_cmd,
        run_cmd,
        schedule_cmd,
        test_cmd,
        trigger_cmd,
        validate_cmd,
    )

    for module in (
        validate_cmd,
        eval_cmd,
        plan_cmd,
        history_cmd,
        run_cmd,
        trigger_cmd,
        schedule_cmd,
        results_cmd,
        test_cmd,
        report_cmd,
        db_cmd,
        router_cmd,
    ):
        module.register(app)
