"""Write a tier's final JUnit XML: pytest's results merged with the retries.

A test that failed and then passed on a retry gets Surefire's ``<flakyFailure>`` per
failed attempt (the results package ingests that as ``flaky``); one that failed every
time keeps its ``<failure>``/``<error>`` plus a ``<rerunFailure>`` per retry. ``file``
and ``line`` are kept, so the ingested test ids are pytest node ids.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from conveyor.results.model import ERROR, FAILED, FLAKY, SKIPPED, TestCaseResult


@dataclass(slots=True)
class CaseRecord:
    """One test's final result and the failure messages of its earlier attempts."""

    case: TestCaseResult
    status: str
    earlier_failures: list[str] = field(default_factory=list)

    @property
    def test_id(self) -> str:
        return self.case.test_id


def _message(parent: ET.Element, tag: str, message: str) -> None:
    """``<tag message="first line">rest</tag>`` under ``parent``."""
    head, _, rest = message.partition("\n")
    ET.SubElement(parent, tag, message=head).text = rest or None


def _element(record: CaseRecord) -> ET.Element:
    case = record.case
    attrs = {"classname": case.classname, "name": case.name}
    if case.file:
        attrs["file"] = case.file
    if case.line is not None:
        attrs["line"] = str(case.line)
    if case.duration is not None:
        attrs["time"] = f"{case.duration:.3f}"
    element = ET.Element("testcase", attrs)
    status = record.status
    if status in (FAILED, ERROR):
        _message(element, "failure" if status == FAILED else "error", case.message)
        for earlier in record.earlier_failures:
            _message(element, "rerunFailure", earlier)
    elif status == FLAKY:
        for earlier in record.earlier_failures:
            _message(element, "flakyFailure", earlier)
    elif status == SKIPPED:
        ET.SubElement(element, "skipped", message=case.message.partition("\n")[0])
    if case.output:
        out = ET.SubElement(element, "system-out")
        out.text = case.output
    return element


def write_junit(path: Path, suite: str, records: list[CaseRecord], duration: float) -> None:
    counts = {
        "tests": len(records),
        "failures": sum(r.status == FAILED for r in records),
        "errors": sum(r.status == ERROR for r in records),
        "skipped": sum(r.status == SKIPPED for r in records),
    }
    root = ET.Element("testsuites")
    suite_el = ET.SubElement(
        root,
        "testsuite",
        {"name": suite, "time": f"{duration:.3f}"} | {k: str(v) for k, v in counts.items()},
    )
    for record in records:
        suite_el.append(_element(record))
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
