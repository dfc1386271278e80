"""The job graph of a run as inline SVG: one box per job (a matrix job's combinations
grouped in its box), columns by ``needs`` depth, an edge per ``needs``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from pathlib import Path

from conveyor.dashboard.render import status_class
from conveyor.store.queries import JobInfo

BOX_WIDTH = 190
COLUMN_GAP = 60
ROW_GAP = 18
HEADER = 26
LINE = 20
PAD = 10


@dataclass(slots=True)
class JobGroup:
    job_id: str
    name: str
    needs: list[str]
    jobs: list[JobInfo] = field(default_factory=list)
    column: int = 0
    x: int = 0
    y: int = 0

    @property
    def height(self) -> int:
        shown = len(self.jobs) if len(self.jobs) > 1 else 0
        return HEADER + shown * LINE + (PAD if shown else 0)


def workflow_needs(record: str | None) -> dict[str, list[str]]:
    """``needs`` of every job of the run's workflow file (from the run's record); empty
    when the file is gone or unreadable."""
    if not record:
        return {}
    try:
        data = json.loads(record)
        file = str(data.get("workflow_file") or "")
        root = str(((data.get("options") or {}).get("repo") or {}).get("root") or "")
    except (ValueError, AttributeError):
        return {}
    path = Path(file)
    if not path.is_absolute() and root:
        path = Path(root) / path
    if not file or not path.is_file():
        return {}
    from conveyor.workflow import load_workflow

    loaded = load_workflow(str(path))
    if loaded.model is None:
        return {}
    return {job_id: job.needs_list() for job_id, job in loaded.model.jobs.items()}


def _job_id(job: JobInfo) -> str:
    return job.job_id or job.job_key.split("/", 1)[0]


def group_jobs(jobs: Sequence[JobInfo], needs: Mapping[str, list[str]]) -> list[JobGroup]:
    groups: dict[str, JobGroup] = {}
    for job in jobs:
        key = _job_id(job)
        group = groups.get(key)
        if group is None:
            title = job.name.split(" (", 1)[0] if job.matrix else job.name
            group = groups[key] = JobGroup(key, title or key, list(needs.get(key, [])))
        group.jobs.append(job)
    for key, wanted in needs.items():  # jobs that never started (skipped before recording)
        if key not in groups:
            groups[key] = JobGroup(key, key, list(wanted))
    depth: dict[str, int] = {}

    def column(key: str, seen: frozenset[str] = frozenset()) -> int:
        if key in depth:
            return depth[key]
        parents = [p for p in groups[key].needs if p in groups and p not in seen]
        value = 1 + max((column(p, seen | {key}) for p in parents), default=-1)
        depth[key] = value
        return value

    for key, group in groups.items():
        group.column = column(key)
    return sorted(groups.values(), key=lambda g: (g.column, g.job_id))


def _group_status(group: JobGroup) -> str:
    states = [j.conclusion or j.status for j in group.jobs]
    for state in ("failure", "in_progress", "waiting", "queued", "cancelled"):
        if state in states:
            return state
    return states[0] if states else "skipped"


def render_graph(groups: list[JobGroup], anchors: Mapping[str, str]) -> str:
    """The SVG (our own markup: every text escaped); each box links to its job's section
    (``anchors``: job key -> element id)."""
    if not groups:
        return ""
    heights: dict[int, int] = {}
    for group in groups:
        y = heights.get(group.column, 0)
        group.x = PAD + group.column * (BOX_WIDTH + COLUMN_GAP)
        group.y = PAD + y
        heights[group.column] = y + group.height + ROW_GAP
    width = PAD * 2 + (max(g.column for g in groups) + 1) * (BOX_WIDTH + COLUMN_GAP) - COLUMN_GAP
    height = PAD + max(heights.values())
    by_id = {g.job_id: g for g in groups}
    parts = [
        f'<svg class="graph" role="img" aria-label="job graph" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for group in groups:
        for parent in group.needs:
            source = by_id.get(parent)
            if source is None:
                continue
            x1, y1 = source.x + BOX_WIDTH, source.y + HEADER // 2
            x2, y2 = group.x, group.y + HEADER // 2
            middle = (x1 + x2) // 2
            parts.append(
                f'<path class="edge" d="M{x1},{y1} C{middle},{y1} {middle},{y2} {x2},{y2}"/>'
            )
    for group in groups:
        state = _group_status(group)
        anchor = anchors.get(group.jobs[0].job_key, "") if group.jobs else ""
        target = f"#{escape(anchor)}" if anchor else "#graph"
        parts.append(f'<a href="{target}"><g class="node {status_class(state)}">')
        parts.append(
            f'<rect x="{group.x}" y="{group.y}" width="{BOX_WIDTH}" '
            f'height="{group.height}" rx="6"/>'
        )
        parts.append(
            f'<circle class="dot" cx="{group.x + 14}" cy="{group.y + HEADER // 2}" r="5"/>'
            f'<text x="{group.x + 26}" y="{group.y + HEADER // 2 + 4}">'
            f"{escape(_clip(group.name, 24))}</text>"
        )
        if len(group.jobs) > 1:
            for index, job in enumerate(group.jobs):
                y = group.y + HEADER + index * LINE
                label = ", ".join(str(v) for v in job.matrix.values()) or job.name
                cls = status_class(job.conclusion or job.status)
                parts.append(
                    f'<g class="{cls}"><circle class="dot" cx="{group.x + 22}" cy="{y + 8}" r="4"/>'
                    f'<text class="small" x="{group.x + 32}" y="{y + 12}">'
                    f"{escape(_clip(label, 26))}</text></g>"
                )
        parts.append("</g></a>")
    parts.append("</svg>")
    return "".join(parts)


def _clip(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 1] + "…"
