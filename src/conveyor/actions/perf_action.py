"""``conveyor/perf@v1``: store this run's benchmark results and fail the job on a
performance regression.

Inputs: ``path`` (result files or globs, one per line: pytest-benchmark, hyperfine or
Google Benchmark JSON, or plain ``name value unit`` lines), ``threshold`` (the smallest
regression that fails the job: ``5%`` or ``0.05``, default 5 %), ``default-branch``
(the history judged against, default ``main``), ``min-points`` (values after a change
to confirm it, default 5), ``alpha`` (default 0.0005), ``fail-on-suspect`` (``true``:
also fail on newest results slower than every earlier one but not yet confirmed).

The results are recorded with the run, ``github.sha`` and ``github.ref_name``; a run on
the default branch extends its history, a run on another branch is judged as the newest
values after it. Outputs: ``benchmarks``, ``regressions`` (how many fail the job),
``suspects``; the step summary lists every finding with its commit range.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from conveyor.actions.common import InputError, fail, get_input, log
from conveyor.engine.ports import ActionContext, ActionResult
from conveyor.errors import ConveyorError

if TYPE_CHECKING:
    from conveyor.results.perf import Finding


def _threshold(text: str) -> float:
    raw = text.strip() or "5%"
    try:
        value = float(raw[:-1]) / 100 if raw.endswith("%") else float(raw)
    except ValueError as exc:
        raise InputError(f"input 'threshold': {raw!r} is not a share (write 5% or 0.05)") from exc
    if value < 0:
        raise InputError(f"input 'threshold': {raw!r} is negative")
    return value


def _files(context: ActionContext) -> list[Path]:
    lines = [line.strip() for line in get_input(context, "path").splitlines() if line.strip()]
    if not lines:
        raise InputError("input 'path' is required (result files or globs, one per line)")
    found: list[Path] = []
    for line in lines:
        if any(ch in line for ch in "*?["):
            matched = sorted(p for p in context.workspace.glob(line) if p.is_file())
            if not matched:
                raise InputError(f"input 'path': {line!r} matches no file in the workspace")
            found.extend(matched)
        else:
            path = context.workspace / line
            if not path.is_file():
                raise InputError(f"input 'path': {line} is not a file in the workspace")
            found.append(path)
    return found


def run(context: ActionContext) -> ActionResult:
    from conveyor.results.db import ResultsDb
    from conveyor.results.perf import PerfContext, check, ingest
    from conveyor.results.perf_detect import DetectSettings

    try:
        files = _files(context)
        threshold = _threshold(get_input(context, "threshold"))
        branch = get_input(context, "default-branch", "main")
        settings = DetectSettings(
            threshold=threshold,
            alpha=float(get_input(context, "alpha", "0.0005")),
            min_points=max(2, int(get_input(context, "min-points", "5"))),
        )
        suspects = get_input(context, "fail-on-suspect", "false").lower() == "true"
        github = context.github
        measured = PerfContext(
            run_id=context.run_id,
            commit=str(github.get("sha") or ""),
            branch=str(github.get("ref_name") or ""),
        )
        with ResultsDb(context.state_dir) as db:
            done = ingest(db, files, measured, masker=context.masker)
            with db.read() as connection:
                result = check(
                    connection,
                    done.repository_id,
                    branch=branch,
                    run_id=context.run_id,
                    settings=settings,
                )
    except (InputError, ValueError, ConveyorError) as exc:
        return fail(context, f"conveyor/perf: {exc}")
    log(context, f"recorded {done.results} results of {len(done.benchmarks)} benchmarks")
    for finding in result.findings:
        log(context, finding.describe())
    failing = result.failing(threshold, suspects=suspects)
    outputs = {
        "benchmarks": str(result.checked),
        "regressions": str(len(failing)),
        "suspects": str(sum(f.change.verdict == "suspect" for f in result.findings)),
    }
    summary = _summary(result.findings, threshold)
    if failing:
        names = ", ".join(f.benchmark for f in failing)
        failed = fail(
            context,
            f"performance regression of {threshold:.0%} or more in {names}: see the step "
            "summary for the sizes and the commits where they appeared",
        )
        failed.outputs, failed.summary = outputs, summary
        return failed
    return ActionResult(ok=True, outputs=outputs, summary=summary)


def _summary(findings: list[Finding], threshold: float) -> str:
    if not findings:
        return "### Benchmarks\n\nNo change beyond the noise.\n"
    rows = [
        "### Benchmarks",
        "",
        f"Regressions of {threshold:.0%} or more fail the job.",
        "",
        "| benchmark | verdict | change | before | after | commits |",
        "|---|---|---|---|---|---|",
    ]
    for f in findings:
        c = f.change
        rows.append(
            f"| {f.benchmark} | {c.verdict} | {c.change:+.1%} | {c.before:.4g} {f.unit} | "
            f"{c.after:.4g} {f.unit} | `{f.commit_range}` |"
        )
    return "\n".join(rows) + "\n"
