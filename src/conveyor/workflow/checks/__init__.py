"""Semantic checks run after the model: each adds diagnostics to a :class:`CheckContext`."""

from conveyor.workflow.checks.base import CheckContext
from conveyor.workflow.checks.events import check_events
from conveyor.workflow.checks.exprs import check_expressions
from conveyor.workflow.checks.jobs import check_jobs
from conveyor.workflow.checks.steps import check_steps

__all__ = ["CheckContext", "run_action_checks", "run_workflow_checks"]


def run_workflow_checks(ctx: CheckContext) -> None:
    check_events(ctx)
    check_jobs(ctx)
    check_steps(ctx)
    check_expressions(ctx)


def run_action_checks(ctx: CheckContext) -> None:
    check_steps(ctx)
    check_expressions(ctx)
