"""Page 2, a run: its job graph, each job's steps, the logs so far (the page follows the
rest through the API's server-sent events), annotations, step summaries, artifacts,
approvals waiting, and what can be done with it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from conveyor.dashboard.graph import group_jobs, render_graph, workflow_needs
from conveyor.dashboard.markdown import render_markdown
from conveyor.dashboard.source import Sources
from conveyor.engine.runkeys import run_key
from conveyor.store.approvals import Approval, of_run
from conveyor.store.loglines import read_lines
from conveyor.store.models import RepositoryRow, RunRow
from conveyor.store.queries import AnnotationInfo, RunDetail, get_run

MAX_LINES = 2000  # the newest lines shown when the page opens; the API has the rest
_FAILED = ("failure", "cancelled", "timed_out")


@dataclass(frozen=True, slots=True)
class ArtifactView:
    name: str
    files: int
    size: int
    digest: str


@dataclass(slots=True)
class RunPage:
    detail: RunDetail
    graph: str
    anchors: dict[str, str]  # job key -> the id of its section
    summaries: dict[tuple[str, int], str]  # (job key, step index) -> HTML
    annotations: dict[tuple[str, int | None], list[AnnotationInfo]]
    artifacts: list[ArtifactView]
    approvals: list[Approval]
    log_json: str  # the lines so far, as JSON for the page's script
    last_seq: int
    truncated: bool
    source_url: str  # where file:line links point ("" : the step's log)
    done: bool
    has_failed: bool


def _source_url(repository_url: str | None, sha: str) -> str:
    if repository_url and repository_url.startswith("https://") and sha:
        return f"{repository_url.removesuffix('.git')}/blob/{sha}/"
    return ""


def _artifacts(state_dir: Path, run_id: int, uid: str) -> list[ArtifactView]:
    from conveyor.actions.artifact_store import ArtifactStore

    store = ArtifactStore(state_dir / "artifacts")
    return [
        ArtifactView(m.name, len(m.files), m.size, m.digest)
        for m in store.list_run(run_key(run_id, uid))
    ]


def run_page(sources: Sources, run_id: int) -> RunPage | None:
    sessions = sources.sessions()
    detail = get_run(sessions, sources.state_dir, run_id)
    if detail is None:
        return None
    with sessions() as session:
        record, repository_url = session.execute(
            select(RunRow.record, RepositoryRow.url)
            .join(RepositoryRow, RepositoryRow.id == RunRow.repository_id)
            .where(RunRow.id == run_id)
        ).one()
    needs = {job.job_id: list(job.needs) for job in detail.jobs if job.needs}
    if not needs:  # recorded before jobs kept their needs: the workflow file says
        needs = workflow_needs(record)
    anchors = {job.job_key: f"job-{index}" for index, job in enumerate(detail.jobs, 1)}
    graph = render_graph(group_jobs(detail.jobs, needs), anchors)
    summaries = {
        (job.job_key, step.index): render_markdown(step.summary)
        for job in detail.jobs
        for step in job.steps
        if step.summary.strip()
    }
    notes: dict[tuple[str, int | None], list[AnnotationInfo]] = {}
    for note in detail.annotations:
        notes.setdefault((note.job_key, note.step_index), []).append(note)
    lines = read_lines(sessions, run_id, last=MAX_LINES + 1)
    truncated = len(lines) > MAX_LINES
    lines = lines[-MAX_LINES:]
    data = [
        {"seq": ln.seq, "job": ln.job_key, "step": ln.step_index, "stream": ln.stream,
         "text": ln.text}
        for ln in lines
    ]  # fmt: skip
    run = detail.run
    return RunPage(
        detail=detail,
        graph=graph,
        anchors=anchors,
        summaries=summaries,
        annotations=notes,
        artifacts=_artifacts(sources.state_dir, run.id, run.uid),
        approvals=of_run(sources.engine, run_id),
        log_json=json.dumps(data, separators=(",", ":")).replace("</", "<\\/"),
        last_seq=lines[-1].seq if lines else 0,
        truncated=truncated,
        source_url=_source_url(repository_url, run.sha),
        done=run.status == "completed",
        has_failed=any((j.conclusion or "") in _FAILED for j in detail.jobs),
    )
