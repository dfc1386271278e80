"""What a parsed test case is, the statuses, output trimming and test ids.

A *test id* names a test across runs and formats: the pytest node id when the report
gives (or lets us rebuild) one, else ``classname::name`` (or just ``name``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PASSED, FAILED, ERROR, SKIPPED, FLAKY = "passed", "failed", "error", "skipped", "flaky"
STATUSES = (PASSED, FAILED, ERROR, SKIPPED, FLAKY)
FAILING = frozenset({FAILED, ERROR})

TRIM_BYTES = 8 * 1024  # kept from each end of long output / failure text


@dataclass(frozen=True, slots=True)
class TestCaseResult:
    """One test case from a report (before it gets tier/run/commit from the ingest)."""

    __test__ = False

    name: str
    classname: str = ""
    suite: str = ""
    file: str | None = None
    line: int | None = None
    duration: float | None = None
    status: str = PASSED
    retries: int = 0
    message: str = ""
    output: str = ""
    # pytest markers (and other keywords) when the report gives them (pytest-json-report);
    # used to infer a tier, never stored
    markers: tuple[str, ...] = ()

    @property
    def test_id(self) -> str:
        return make_test_id(self.name, self.classname, self.file)


def trim(text: str, keep: int = TRIM_BYTES) -> str:
    """``text`` with at most ``keep`` bytes from each end (UTF-8), a marker in between."""
    data = text.encode("utf-8", "replace")
    if len(data) <= 2 * keep:
        return text
    head = data[:keep].decode("utf-8", "ignore")
    tail = data[-keep:].decode("utf-8", "ignore")
    return f"{head}\n... [{len(data) - 2 * keep} bytes trimmed] ...\n{tail}"


def make_test_id(name: str, classname: str, file: str | None) -> str:
    """The pytest node id when ``file`` is a Python file ``classname`` lives in, else
    ``classname::name``."""
    if file and file.endswith(".py"):
        module = file[:-3].replace("\\", "/").replace("/", ".")
        if classname == module:
            return f"{file}::{name}"
        if classname.startswith(module + "."):
            inner = classname[len(module) + 1 :].replace(".", "::")
            return f"{file}::{inner}::{name}"
    return f"{classname}::{name}" if classname else name


_PY_SUFFIX = re.compile(r"\.py$")


def junit_id_for_nodeid(nodeid: str) -> str:
    """The ``classname::name`` id pytest's JUnit report (xunit2, no ``file``) gives
    ``nodeid``: ``tests/a_test.py::TestX::test_y[1]`` -> ``tests.a_test.TestX::test_y[1]``."""
    path, bracket, params = nodeid.partition("[")
    names = path.split("::")
    names[0] = _PY_SUFFIX.sub("", names[0].replace("/", "."))
    names[-1] += bracket + params
    if len(names) == 1:
        return names[0]
    return f"{'.'.join(names[:-1])}::{names[-1]}"
