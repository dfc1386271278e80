"""Whether to notify: the policy (``failure``, ``always``, ``change``) and the alert rules.

``change`` compares with the previous run of the same workflow in the same repository:
*broken* (it passed,
now it fails) or *fixed* (it failed, now it passes). A first failing run counts as broken.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from conveyor.reporting.build import build_report
from conveyor.reporting.model import Report
from conveyor.reporting.rules import AlertRule, triggered
from conveyor.store.models import RunRow


@dataclass(slots=True)
class Decision:
    send: bool
    reasons: list[str] = field(default_factory=list)
    change: str = ""  # broken, fixed, still failing, still passing (policy change)


def previous_verdict(connection: Connection, run_id: int) -> str | None:
    """The verdict of the newest earlier run of the same workflow and repository, if any."""
    found = connection.execute(
        select(RunRow.workflow_path, RunRow.repository_id).where(RunRow.id == run_id)
    ).first()
    if found is None:
        return None
    path, repository_id = found
    earlier = connection.execute(
        select(RunRow.id)
        .where(
            RunRow.repository_id == repository_id,
            RunRow.workflow_path == path,
            RunRow.id < run_id,
        )
        .order_by(RunRow.id.desc())
        .limit(1)
    ).scalar()
    if earlier is None:
        return None
    return build_report(connection, int(earlier)).verdict


def decide(policy: str, report: Report, previous: str | None, rules: list[AlertRule]) -> Decision:
    decision = Decision(send=False)
    if policy == "always":
        decision.send = True
        decision.reasons.append("policy always")
    elif policy == "failure":
        if not report.passed:
            decision.send = True
            decision.reasons.append("run failed")
    elif policy == "change":
        if previous is None:
            decision.change = "broken" if not report.passed else "first run"
        elif previous != report.verdict:
            decision.change = "fixed" if report.passed else "broken"
        else:
            decision.change = "still " + ("passing" if report.passed else "failing")
        if decision.change in ("broken", "fixed"):
            decision.send = True
            decision.reasons.append(decision.change)
    else:
        raise ValueError(f"unknown notify policy {policy!r} (expected failure, always or change)")
    for rule in triggered(rules, report):
        decision.send = True
        decision.reasons.append(rule.reason(report))
    return decision
