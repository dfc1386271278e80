"""``conveyor test``: every selected tier in order, one run id, a table and a report.

Results link to a run id: ``--run`` (which must be recorded), else ``$CONVEYOR_RUN_ID``,
else ``$GITHUB_RUN_ID`` (conveyor sets it to its run id in every step) when that run is
recorded, else a run of its own is recorded (workflow ``conveyor test``, event ``test``,
in the repository around ``root``) so ``conveyor report latest`` finds it. Results
belong to the run's repository.
"""

from __future__ import annotations

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from conveyor.engine.events import RunFinished
from conveyor.engine.ports import NewRun
from conveyor.engine.runkeys import run_key
from conveyor.engine.status import Conclusion
from conveyor.errors import Interrupted, UserError
from conveyor.git.identity import repository_identity
from conveyor.git.repo import repo_info
from conveyor.reporting.build import build_report
from conveyor.reporting.durations import format_duration
from conveyor.reporting.model import FAILED_VERDICT
from conveyor.reporting.render import render
from conveyor.results.db import ResultsDb
from conveyor.store.recorder import SqlRunStore
from conveyor.store.repositories import run_folder_key, run_repository
from conveyor.tiers.config import TierConfig
from conveyor.tiers.runner import RunOptions, TierOutcome, run_tier

RUN_ID_ENVS = ("CONVEYOR_RUN_ID", "GITHUB_RUN_ID")
OWN_WORKFLOW = "conveyor test"


@dataclass(slots=True)
class SessionResult:
    run_id: int
    tiers: list[TierOutcome] = field(default_factory=list)
    report: Path | None = None

    cancelled: bool = False  # interrupted (Ctrl-C, SIGTERM, a cancelled step) before the end

    @property
    def ok(self) -> bool:
        return not self.cancelled and all(t.ok for t in self.tiers)

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


def _check_run(db: ResultsDb, options: RunOptions) -> str | None:
    """Find the given run's repository and return its folder key (see
    :mod:`conveyor.engine.runkeys`); a run id from the environment that is not recorded
    here (e.g. GitHub's own ``GITHUB_RUN_ID``) means: record a run of our own (None)."""
    if options.run_id is None:
        return None
    with db.read() as connection:
        options.repository_id = run_repository(connection, options.run_id)
        key = run_folder_key(connection, options.run_id)
    if options.repository_id is not None and key is not None:
        return key
    if options.run_id_from_env:
        options.run_id = None
        return None
    raise UserError(
        f"--run {options.run_id}: no such run is recorded in {db.shown_url}; give a "
        "recorded run's id (see `conveyor runs`) or leave --run out"
    )


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
    db = ResultsDb(options.state_dir, db_url)
    try:
        key = _check_run(db, options)
        if options.run_id is None:
            identity = repository_identity(options.root)
            store = SqlRunStore(options.state_dir, db_url, recover=False)
            new = NewRun(
                OWN_WORKFLOW,
                OWN_WORKFLOW,
                "test",
                f"refs/heads/{options.branch}",
                options.commit,
                identity.name,
                os.getpid(),
                identity.key,
                identity.url,
            )
            options.run_id, _number = store.begin_run(new)
            key = run_key(options.run_id, new.uid)
            options.repository_id = db.repository_id(identity.key, identity.name, identity.url)
    except BaseException:
        db.close()
        raise
    session = SessionResult(options.run_id)
    assert key is not None
    options.results_dir = options.results_dir / key
    conclusion = Conclusion.FAILURE
    try:
        with db:
            for name, tier in tiers:
                if options.cancel is not None and options.cancel.is_set():
                    session.cancelled = True
                    break
                outcome = run_tier(name, tier, options, db)
                session.tiers.append(outcome)
                if outcome.cancelled:
                    session.cancelled = True
                    break
                if stop_on_failure and not outcome.ok:
                    break
            session.cancelled = session.cancelled or bool(
                options.cancel and options.cancel.is_set()
            )
            judge_empty(session.tiers, dict(tiers), named=named)
            with db.read() as connection:
                report = build_report(connection, session.run_id, state_dir=options.state_dir)
            if not session.ok:  # a tier may fail with no failed test: it ran none, or stopped
                report.verdict = FAILED_VERDICT
        session.report = options.results_dir / "report.md"
        session.report.write_text(render(report, "md"), encoding="utf-8")
        conclusion = _conclusion(session)
    except (Interrupted, KeyboardInterrupt):
        conclusion = Conclusion.CANCELLED
        raise
    finally:
        if store is not None:
            # never success unless every tier ran green to the end
            store.emit(RunFinished(session.run_id, conclusion, time.time()))
            store.close()
    return session


def _conclusion(session: SessionResult) -> Conclusion:
    if session.cancelled:
        return Conclusion.CANCELLED
    return Conclusion.SUCCESS if session.ok else Conclusion.FAILURE
