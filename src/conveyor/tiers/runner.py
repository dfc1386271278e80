"""Run one tier: pytest with the tier's marker/paths, retries of the failed node ids,
quarantine, the merged JUnit file, and the ingest into the results tables.

pytest writes its JUnit files to a temporary directory; what is kept under
``<state>/results/<run>/`` (pytest's files, the merged file, the ingested rows) has gone
through the run's masker first, so a secret in a failure message is never stored."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from conveyor.engine.masking import Masker
from conveyor.errors import Interrupted, UserError
from conveyor.results import collect, sharding
from conveyor.results.db import ResultsDb
from conveyor.results.ingest import IngestContext, ingest
from conveyor.results.junit import parse_junit
from conveyor.results.keep import copy_masked, mask_case
from conveyor.results.model import ERROR, FAILING, FLAKY, PASSED, SKIPPED, TestCaseResult
from conveyor.results.quarantine import quarantined_among
from conveyor.runners.process import Limits, run_process
from conveyor.tiers.config import TestSettings, TierConfig
from conveyor.tiers.flakypolicy import release_broken
from conveyor.tiers.junit_write import CaseRecord, write_junit

_NO_TESTS = 5
MIN_TEST_SECONDS = 0.01
_OK_CODES = frozenset({0, 1, _NO_TESTS})
TAIL_LINES = 40
KILL_GRACE = 5.0  # seconds pytest gets after SIGTERM (timeout, cancel) before SIGKILL


@dataclass(slots=True)
class RunOptions:
    state_dir: Path
    root: Path  # where pytest runs (its rootdir)
    results_dir: Path  # <state>/results/<run key> (see conveyor.engine.runkeys)
    run_id: int | None = None
    run_id_from_env: bool = False  # not given by the user: ignored when not recorded
    repository_id: int | None = None  # the run's repository, filled by the session
    commit: str = ""
    branch: str = ""
    command: list[str] = field(default_factory=lambda: [sys.executable, "-m", "pytest"])
    extra_args: list[str] = field(default_factory=list)
    maxfail: int | None = None
    retries: int = 0
    shard: tuple[int, int] | None = None  # (index from 1, count)
    env: Mapping[str, str] | None = None
    on_line: Callable[[str], None] | None = None
    cancel: threading.Event | None = None
    masker: Masker | None = None  # the run's: applied to everything kept
    scratch: Path | None = None  # where pytest writes its JUnit files (set by run_tier)
    job_key: str | None = None  # conveyor/test@v1: the job and step the results come from
    step_index: int | None = None


def options_for(
    test: TestSettings,
    *,
    state_dir: Path,
    root: Path,
    run_id: int | None,
    extra: list[str],
    run_id_from_env: bool = False,
    maxfail: int | None,
    retries: int | None,
    shard: tuple[int, int] | None,
    on_line: Callable[[str], None],
    env: Mapping[str, str] | None = None,
    cancel: threading.Event | None = None,
    masker: Masker | None = None,
) -> RunOptions:
    """Options from ``[test]``: ``maxfail``/``retries`` given here win, ``extra`` pytest
    arguments follow ``[test].args``; results go to ``<state_dir>/results``."""
    return RunOptions(
        state_dir=state_dir,
        root=root,
        results_dir=state_dir / "results",
        run_id=run_id,
        run_id_from_env=run_id_from_env,
        command=list(test.command or [sys.executable, "-m", "pytest"]),
        extra_args=[*test.args, *extra],
        maxfail=maxfail if maxfail is not None else test.maxfail,
        retries=retries if retries is not None else test.retries,
        shard=shard,
        env=env,
        on_line=on_line,
        cancel=cancel,
        masker=masker,
    )


@dataclass(slots=True)
class TierOutcome:
    name: str
    passed: int = 0
    failed: int = 0  # quarantined failures excluded
    skipped: int = 0
    flaky: int = 0
    quarantined: int = 0
    duration: float = 0.0
    junit: Path | None = None
    failed_ids: list[str] = field(default_factory=list)
    note: str = ""
    cancelled: bool = False
    empty: bool = False  # no tests ran (pytest's exit 5)
    empty_fails: bool = False  # ... and that fails the tier (see TierConfig.allow_empty)
    released: list[str] = field(default_factory=list)  # left quarantine: broken, not flaky

    @property
    def ok(self) -> bool:
        return self.failed == 0 and not self.cancelled and not self.empty_fails


def _selection(tier: TierConfig, ids: list[str] | None = None) -> list[str]:
    """The tier's marker, then ``ids`` (a shard's node ids) if any, else the tier's paths."""
    args = ["-m", tier.marker] if tier.marker else []
    return [*args, *(ids or tier.paths)]


@dataclass(frozen=True, slots=True)
class ProcessResult:
    """One pytest process as the tier runner sees it."""

    returncode: int | None  # None: it could not start; 128 + N when killed by signal N
    timed_out: bool
    cancelled: bool
    tail: str  # the last lines of output
    error: str = ""  # why it could not start


def _pytest(
    argv: Sequence[str],
    options: RunOptions,
    *,
    timeout: float | None = None,
    on_line: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
) -> ProcessResult:
    """Run pytest through the project's one process runner (own process group, registered
    for the Ctrl-C sweep, timeout and cancellation with SIGTERM -> wait -> SIGKILL)."""
    tail: deque[str] = deque(maxlen=TAIL_LINES)

    def feed(line: str, stream: str) -> None:
        del stream
        tail.append(line)
        if on_line is not None:
            on_line(line)

    try:
        outcome = run_process(
            argv,
            cwd=options.root,
            env=options.env if options.env is not None else os.environ,
            feed=feed,
            cancel=cancel if cancel is not None else threading.Event(),
            limits=Limits(timeout=timeout, kill_grace=KILL_GRACE),
            owner="conveyor test",
        )
    except OSError as exc:
        return ProcessResult(None, False, False, "", f"cannot start {argv[0]}: {exc}")
    return ProcessResult(outcome.exit_code, outcome.timed_out, outcome.cancelled, "\n".join(tail))


def _base(options: RunOptions) -> list[str]:
    return [*options.command, "--rootdir", str(options.root), "-o", "junit_family=xunit1"]


def shard_ids(tier: TierConfig, options: RunOptions, db: ResultsDb) -> list[str]:
    """This shard's node ids of the tier, balanced on recorded durations."""
    assert options.shard is not None
    index, count = options.shard
    argv = [*_base(options), "--collect-only", "-q", *_selection(tier), *options.extra_args]
    lines: list[str] = []
    result = _pytest(argv, options, on_line=lines.append, cancel=options.cancel)
    if result.cancelled:
        raise Interrupted("interrupted while collecting the tests to shard")
    if result.error or result.returncode not in (0, _NO_TESTS):
        raise UserError(f"cannot collect the tests to shard: {result.error or result.tail}")
    ids = [line.strip() for line in lines if "::" in line and " " not in line.strip()]
    with db.read() as connection:
        known = collect.recent_durations(connection, ids, options.repository_id)
    # every test costs something: all-zero durations would put every test in one shard
    durations = {t: max(d, MIN_TEST_SECONDS) for t, d in sharding.estimate(ids, known).items()}
    return list(sharding.split(durations, count)[index - 1].tests)


def _synthetic(tier: str, kind: str, message: str) -> TestCaseResult:
    return TestCaseResult(
        name=f"{tier} ({kind})", classname="conveyor.tier", status=ERROR, message=message
    )


def _junit_path(options: RunOptions, name: str) -> Path:
    """Where pytest writes ``name``: the scratch directory, kept masked by :func:`_parse`."""
    return (options.scratch or options.results_dir) / name


def _parse(path: Path, options: RunOptions) -> list[TestCaseResult] | None:
    """pytest's JUnit file: kept (masked) under the results directory, its cases masked."""
    if not path.is_file():
        return None
    copy_masked(path, options.results_dir / path.name, options.masker)
    try:
        cases = [mask_case(case, options.masker) for case in parse_junit(path)]
    except UserError:
        return None
    # pytest's xunit1 ``line`` counts from 0; people (and editors) count from 1
    return [replace(c, line=c.line + 1) if c.line is not None else c for c in cases]


def _is_node_id(test_id: str, root: Path) -> bool:
    file = test_id.split("::", 1)[0]
    return "::" in test_id and file.endswith(".py") and (root / file).is_file()


def _attempt(argv: list[str], options: RunOptions, timeout: float | None) -> ProcessResult:
    return _pytest(argv, options, timeout=timeout, on_line=options.on_line, cancel=options.cancel)


def _initial(
    name: str, tier: TierConfig, options: RunOptions, raw: Path, ids: list[str] | None
) -> tuple[list[CaseRecord], ProcessResult]:
    argv = [*_base(options), *_selection(tier, ids), f"--junitxml={raw}", *options.extra_args]
    if options.maxfail:
        argv.append(f"--maxfail={options.maxfail}")
    result = _attempt(argv, options, tier.timeout)
    cases = _parse(raw, options) or []
    records = [CaseRecord(case, case.status) for case in cases]
    failing = any(r.status in FAILING for r in records)
    if result.timed_out:
        records.append(
            CaseRecord(
                _synthetic(
                    name,
                    "timeout",
                    f"Timeout: tier '{name}' exceeded {tier.timeout:g}s\n{result.tail}",
                ),
                ERROR,
            )
        )
    elif result.error or (result.returncode not in _OK_CODES and not failing):
        text = result.error or f"pytest exited with code {result.returncode}\n{result.tail}"
        records.append(CaseRecord(_synthetic(name, "pytest error", text), ERROR))
    return records, result


def _retry(name: str, tier: TierConfig, options: RunOptions, records: list[CaseRecord]) -> None:
    by_id = {r.test_id: r for r in records}
    for attempt in range(1, options.retries + 1):
        again = [
            r.test_id
            for r in records
            if r.status in FAILING and _is_node_id(r.test_id, options.root)
        ]
        if not again or (options.cancel is not None and options.cancel.is_set()):
            return
        raw = _junit_path(options, f"{name}.retry{attempt}.xml")
        _attempt(
            [*_base(options), *again, f"--junitxml={raw}", *options.extra_args],
            options,
            tier.timeout,
        )
        for case in _parse(raw, options) or []:
            record = by_id.get(case.test_id)
            if record is None or record.status not in FAILING:
                continue
            if case.status in (PASSED, FLAKY):
                record.earlier_failures.append(record.case.message)
                record.case, record.status = case, FLAKY
            elif case.status in FAILING:
                record.earlier_failures.append(record.case.message)
                record.case, record.status = case, case.status


def run_tier(name: str, tier: TierConfig, options: RunOptions, db: ResultsDb) -> TierOutcome:
    """Run, retry, write ``<results>/<name>.xml`` and ingest it with the tier name."""
    options.results_dir.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    ids: list[str] | None = None
    if options.shard is not None:
        ids = shard_ids(tier, options, db)
        if not ids:
            return TierOutcome(name, note=f"shard {options.shard[0]}/{options.shard[1]} is empty")
    options.scratch = Path(tempfile.mkdtemp(prefix="conveyor-junit-"))
    try:
        raw = _junit_path(options, f"{name}.pytest.xml")
        records, result = _initial(name, tier, options, raw, ids)
        if options.retries and not result.cancelled:
            _retry(name, tier, options, records)
    finally:
        shutil.rmtree(options.scratch, ignore_errors=True)
        options.scratch = None
    duration = time.monotonic() - started
    final = options.results_dir / f"{name}.xml"
    write_junit(final, name, records, duration)
    context = IngestContext(
        tier=name,
        run_id=options.run_id,
        commit=options.commit,
        branch=options.branch or "main",
        repository_id=options.repository_id,
        wall_time=duration,
        job_key=options.job_key,
        step_index=options.step_index,
    )
    summary = ingest(db, [final], context, masker=options.masker)
    failing = [r.test_id for r in records if r.status in FAILING]
    quarantined: set[str] = set()
    if failing:
        with db.read() as connection:
            quarantined = quarantined_among(connection, summary.repository_id, failing)
    released = release_broken(db, summary.repository_id, name, tier, sorted(quarantined))
    quarantined -= set(released)
    outcome = TierOutcome(name, duration=duration, junit=final, cancelled=result.cancelled)
    outcome.released = released
    for record in records:
        if record.status == PASSED:
            outcome.passed += 1
        elif record.status == SKIPPED:
            outcome.skipped += 1
        elif record.status == FLAKY:
            outcome.flaky += 1
        elif record.test_id in quarantined:
            outcome.quarantined += 1
        else:
            outcome.failed += 1
            outcome.failed_ids.append(record.test_id)
    if not records and not (result.timed_out or result.cancelled or result.error):
        outcome.empty = True
        outcome.note = "no tests ran: no tests selected by the tier's marker and paths"
    elif result.timed_out:
        outcome.note = f"timed out after {tier.timeout:g}s"
    elif result.cancelled:
        outcome.note = "cancelled"
    if released:
        runs = tier.flaky.release_after
        left = f"{len(released)} left quarantine after failing {runs} runs in a row"
        outcome.note = f"{outcome.note}; {left}" if outcome.note else left
    return outcome
