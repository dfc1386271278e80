"""The YAML loader and workflow validation never fail with anything but conveyor's own
errors, whatever the text or bytes."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from property_helpers import workflow_texts

from conveyor.errors import ConveyorError
from conveyor.workflow.loader import load_action_text, load_workflow_text
from conveyor.workflow.yamlload import load_text, read_text

pytestmark = pytest.mark.property


@given(workflow_texts)
def test_loading_any_text_gives_diagnostics_not_exceptions(text: str) -> None:
    doc = load_text(text, "w.yml")
    assert all(d.path == "w.yml" and d.line >= 1 and d.col >= 1 for d in doc.diagnostics)
    try:
        loaded = load_workflow_text(text, "w.yml", root="/nonexistent")
    except ConveyorError:
        return
    for diagnostic in loaded.diagnostics:
        assert diagnostic.line >= 1 and diagnostic.col >= 1
        assert diagnostic.format().startswith("w.yml:")


@given(workflow_texts)
def test_loading_any_text_as_action_metadata(text: str) -> None:
    try:
        load_action_text(text, "action.yml", root="/nonexistent")
    except ConveyorError:
        return


@given(
    st.binary(max_size=200)
    | workflow_texts.map(lambda t: t.encode("utf-16"))
    | workflow_texts.map(lambda t: t.encode("utf-8"))
)
def test_reading_any_bytes_is_text_or_an_error_at_1_1(tmp_path_factory, data: bytes) -> None:
    path = Path(tmp_path_factory.mktemp("wf")) / "w.yml"
    path.write_bytes(data)
    try:
        text = read_text(str(path))
    except ConveyorError as exc:
        assert f"{path}:1:1:" in str(exc)
        return
    assert isinstance(text, str)
