"""`conveyor perf ingest|check`: benchmark results and performance regressions.

``ingest`` stores pytest-benchmark, hyperfine and Google Benchmark JSON files and plain
``name value unit`` lines with the run, commit and branch. ``check`` compares each
benchmark's newest values with its history on the default branch (a change point found
by a Mann–Whitney U test, see docs/performance.md) and exits 1 when one regressed by at
least ``--threshold``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any

import typer

from conveyor.cli.options import StateDirOption
from conveyor.cli.results_cmd import TextJson
from conveyor.errors import RunFailed

perf_app = typer.Typer(
    name="perf",
    help="Benchmark results and performance regressions: ingest them, check the newest.",
    no_args_is_help=True,
)

Threshold = Annotated[
    float,
    typer.Option("--threshold", min=0, help="Smallest change reported, e.g. 0.05 for 5 %."),
]


@perf_app.command("ingest")
def ingest(
    files: Annotated[
        list[Path],
        typer.Argument(help="pytest-benchmark, hyperfine, Google Benchmark JSON, or plain."),
    ],
    *,
    run: Annotated[int | None, typer.Option("--run", help="conveyor run id.")] = None,
    commit: Annotated[str, typer.Option("--commit", help="Commit SHA measured.")] = "",
    branch: Annotated[
        str, typer.Option("--branch", help="Branch measured (default: the file's, else main).")
    ] = "",
    state_dir: StateDirOption = None,
) -> None:
    """Store benchmark results from files (all or nothing)."""
    from conveyor.cli.scope import write_scope
    from conveyor.engine.masking import env_masker
    from conveyor.results.db import ResultsDb
    from conveyor.results.perf import PerfContext
    from conveyor.results.perf import ingest as run_ingest

    with ResultsDb(state_dir) as db:
        repository_id = None if run is not None else write_scope(db).repository_id
        context = PerfContext(run, commit, branch, repository_id)
        done = run_ingest(db, files, context, masker=env_masker(os.environ))
    typer.echo(
        f"ingested {done.results} benchmark results ({len(done.benchmarks)} benchmarks) "
        f"from {done.files} file(s)"
    )


@perf_app.command("check")
def check(
    *,
    branch: Annotated[str, typer.Option("--branch", help="The default branch.")] = "main",
    run: Annotated[
        int | None, typer.Option("--run", help="Judge only this run's results (any branch).")
    ] = None,
    threshold: Threshold = 0.05,
    alpha: Annotated[
        float, typer.Option("--alpha", min=0, max=1, help="False-alarm rate of one check.")
    ] = 0.0005,
    min_points: Annotated[
        int, typer.Option("--min-points", min=2, help="Values after a change to confirm it.")
    ] = 5,
    fail_on_suspect: Annotated[
        bool, typer.Option("--fail-on-suspect", help="Exit 1 on unconfirmed slow results too.")
    ] = False,
    output: Annotated[TextJson, typer.Option("--format")] = TextJson.TEXT,
    state_dir: StateDirOption = None,
) -> None:
    """Compare each benchmark's newest results with its history on the default branch;
    exit 1 on a regression of at least --threshold."""
    from conveyor.cli.scope import read_scope
    from conveyor.results.db import ResultsDb
    from conveyor.results.perf import check as run_check
    from conveyor.results.perf_detect import DetectSettings

    settings = DetectSettings(threshold=threshold, alpha=alpha, min_points=min_points)
    with ResultsDb(state_dir) as db:
        scope = read_scope(db)
        if scope.repository_id is None:
            typer.echo(scope.nothing_yet("benchmark results"))
            return
        with db.read() as connection:
            result = run_check(
                connection, scope.repository_id, branch=branch, run_id=run, settings=settings
            )
    failing = result.failing(threshold, suspects=fail_on_suspect)
    if output is TextJson.JSON:
        typer.echo(json.dumps(check_json(result, failing), indent=2))
    else:
        typer.echo(f"checked {result.checked} benchmark(s) on {branch}")
        for finding in result.findings:
            typer.echo(finding.describe())
        if not result.findings:
            typer.echo("no change beyond the noise")
    if failing:
        raise RunFailed(
            f"{len(failing)} benchmark(s) regressed by {threshold:.0%} or more: "
            + ", ".join(f.benchmark for f in failing)
        )


def check_json(result: Any, failing: list[Any]) -> dict[str, Any]:
    return {
        "checked": result.checked,
        "failing": [f.benchmark for f in failing],
        "findings": [
            {
                "benchmark": f.benchmark,
                "verdict": f.change.verdict,
                "change": f.change.change,
                "before": f.change.before,
                "after": f.change.after,
                "unit": f.unit,
                "p_value": f.change.p_value,
                "points_before": f.change.points_before,
                "points_after": f.change.points_after,
                "last_good_commit": f.last_good.commit if f.last_good else None,
                "first_bad_commit": f.first_bad.commit,
                "commit_range": f.commit_range,
            }
            for f in result.findings
        ],
    }


def register(app: typer.Typer) -> None:
    """Add ``conveyor perf ...`` to the app."""
    if any(group.name == "perf" for group in app.registered_groups):
        return
    app.add_typer(perf_app, name="perf")
