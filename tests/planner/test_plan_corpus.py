"""Plan every corpus workflow for its own first event, without error."""

from __future__ import annotations

from pathlib import Path

import pytest

from conveyor.planner import default_payload, plan_workflow
from conveyor.workflow import load_workflow
from shared_data import CORPUS

FILES = (
    sorted(p for p in CORPUS.glob("*.y*ml") if "__action__" not in p.name)
    if CORPUS.is_dir()
    else []
)


@pytest.mark.skipif(not FILES, reason="corpus not available")
@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_plan_corpus_workflow(path: Path) -> None:
    loaded = load_workflow(str(path))
    assert loaded.model is not None, [d.format() for d in loaded.errors]
    event = next(iter(loaded.model.events()))
    result = plan_workflow(
        loaded.model,
        path=str(path),
        event=event,
        payload=default_payload(event),
        document=loaded.document,
    )
    assert result.fires or result.reason
    if result.fires:
        assert {j.id for j in result.jobs} == set(loaded.model.jobs)
        for job in result.jobs:
            assert job.dynamic_matrix or job.matrix is not None
            assert job.uses or job.runs_on or job.dynamic_runs_on
