"""``conveyor test``: every selected tier in order, one run id, a table and a report.

Results link to a run id: ``--run``, else ``$CONVEYOR_RUN_ID``, else ``$GITHUB_RUN_ID``
(conveyor sets it to its run id in every step), else a run of its own is recorded
(workflow ``conveyor test``, event ``test``) so ``conveyor report latest`` finds it.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from conveyor.engine.events import RunFinished
from conveyor.engine.ports import NewRun
from conveyor.engine.status import Conclusion
from conveyor.git.repo import repo_info
from conveyor.reporting.build import build_report
from conveyor.reporting.durations import format_duration
from conveyor.reporting.render import render
from conveyor.results.db import ResultsDb
from conveyor.store.recorder import SqlRunStore
from conveyor.tiers.config import TierConfig
from conveyor.tiers.runner import RunOptions, TierOutcome, run_tier

RUN_ID_ENVS = ("CONVEYOR_RUN_ID", "GITHUB_RUN_ID")
OWN_WORKFLOW = "conveyor test"


@dataclass(slots=True)
class SessionResult:
    run_id: int
    tiers: list[TierOutcome] = field(default_factory=list)
    report: Path | None = None

    @property
    def ok(self) -> bool:
        return all(t.ok for t in self.tiers)

    @property
    def no_tests(self) -> bool:
        """Not ok only because tiers ran no tests (``conveyor test`` exits 5, as pytest)."""
        return not self.ok and all(t.ok or t.empty_fails for t in self.tiers)

    def count(self, name: str) -> int:
        return sum(int(getattr(t, name)) for t in self.tiers)


def run_id_from_env(env: Mapping[str, str]) -> int | None:
    for name in RUN_ID_ENVS:
        value = env.get(name, "").strip()
        if value.isdigit():
            return int(value)
    return None


def git_facts(root: Path, env: Mapping[str, str]) -> tuple[str, str]:
    """(commit, branch) from ``GITHUB_SHA``/``GITHUB_REF_NAME``, else from git."""
    sha, branch = env.get("GITHUB_SHA", ""), env.get("GITHUB_REF_NAME", "")
    if not sha or not branch:
        info = repo_info(root)
        sha = sha or (info.sha or "")
        branch = branch or (info.branch or info.default_branch or "")
    return sha, branch


def table(outcomes: list[TierOutcome]) -> str:
    """The per-tier table, plain aligned text."""
    head = ("tier", "result", "passed", "failed", "skipped", "flaky", "quarantined", "duration")
    rows = [head]
    for t in outcomes:
        result = "ok" if t.ok else ("cancelled" if t.cancelled else "FAILED")
        if t.empty_fails:
            result = "NO TESTS"
        if t.note:
            result += f" ({t.note})"
        rows.append(
            (
                t.name,
                result,
                str(t.passed),
                str(t.failed),
                str(t.skipped),
                str(t.flaky),
                str(t.quarantined),
                format_duration(t.duration),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = []
    for row in rows:
        cells = [
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def judge_empty(
    outcomes: list[TierOutcome], tiers: Mapping[str, TierConfig], *, named: bool
) -> None:
    """Mark the tiers whose running no tests fails them: ``allow_empty = false``, or unset
    and either asked for by name or part of a session that ran no test at all."""
    nothing_ran = all(t.empty for t in outcomes)
    for outcome in outcomes:
        if not outcome.empty:
            continue
        allowed = tiers[outcome.name].allow_empty
        outcome.empty_fails = not allowed if allowed is not None else (named or nothing_ran)


def run_session(
    tiers: list[tuple[str, TierConfig]],
    options: RunOptions,
    *,
    db_url: str | None = None,
    stop_on_failure: bool = False,
    named: bool = False,
) -> SessionResult:
    """Run ``tiers`` in order; records a run of its own when ``options.run_id`` is None.

    ``named``: the tiers were asked for by name, so one that runs no tests fails unless
    its ``allow_empty`` says otherwise (see :func:`judge_empty`)."""
    env = options.env if options.env is not None else os.environ
    if not options.commit or not options.branch:
        commit, branch = git_facts(options.root, env)
        options.commit = options.commit or commit
        options.branch = options.branch or branch
    store: SqlRunStore | None = None
    if options.run_id is None:
        store = SqlRunStore(options.state_dir, db_url, recover=False)
        options.run_id, _number = store.begin_run(
            NewRun(
                OWN_WORKFLOW,
                OWN_WORKFLOW,
                "test",
                f"refs/heads/{options.branch}",
                options.commit,
                options.root.name,
                os.getpid(),
            )
        )
    session = SessionResult(options.run_id)
    options.results_dir = options.results_dir / str(options.run_id)
    try:
        with ResultsDb(options.state_dir, db_url) as db:
            for name, tier in tiers:
                outcome = run_tier(name, tier, options, db)
                session.tiers.append(outcome)
                if outcome.cancelled or (stop_on_failure and not outcome.ok):
                    break
            judge_empty(session.tiers, dict(tiers), named=named)
            with db.read() as connection:
                report = build_report(connection, session.run_id, state_dir=options.state_dir)
        session.report = options.results_dir / "report.md"
        session.report.write_text(render(report, "md"), encoding="utf-8")
    finally:
        if store is not None:
            conclusion = Conclusion.SUCCESS if session.ok else Conclusion.FAILURE
            store.emit(RunFinished(session.run_id, conclusion, time.time()))
            store.close()
    return session
