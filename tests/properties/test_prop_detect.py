"""Detecting test reports by content never fails, whatever the file holds: a file is a
report, or not one; a report cut short anywhere reads whole or raises conveyor's own error
(the step's warning), never anything else. pytest ``-m`` expressions never raise."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from property_helpers import junit_documents, pytest_json_documents

from conveyor.errors import UserError
from conveyor.results.detect import report_kind
from conveyor.results.ingest import read_report
from conveyor.results.markers import matches

pytestmark = pytest.mark.property
_COUNTER = itertools.count()


@given(
    data=junit_documents | pytest_json_documents | st.binary(max_size=200),
    cut=st.floats(min_value=0.0, max_value=1.0),
)
def test_detecting_any_file_or_any_cut_report(
    tmp_path_factory: pytest.TempPathFactory, data: bytes, cut: float
) -> None:
    path = tmp_path_factory.getbasetemp() / f"detect-{next(_COUNTER)}.dat"
    path.write_bytes(data[: int(len(data) * cut)])
    kind = report_kind(path)
    assert kind in (None, "junit", "json")
    if kind is not None:
        try:
            list(read_report(path))
        except UserError as exc:
            assert str(path) in str(exc)


@given(
    expression=st.lists(
        st.sampled_from(["a", "b", "not", "and", "or", "(", ")", "c(x=1)"]), max_size=12
    ).map(" ".join)
    | st.text(max_size=40),
    markers=st.sets(st.sampled_from(["a", "b", "c"])),
)
def test_marker_expressions_never_raise(expression: str, markers: set[str]) -> None:
    assert matches(expression, markers) in (True, False)
