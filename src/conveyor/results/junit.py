"""Streaming JUnit XML reader for every common producer.

pytest (xunit1 and xunit2), jest-junit, go-junit-report, gotestsum, Maven Surefire and
Playwright all write ``<testsuites>``/``<testsuite>``/``<testcase>``; they differ in the
attributes they set and in the children of a test case:

* ``<failure>`` / ``<error>`` / ``<skipped>``: failed / error / skipped;
* Surefire ``<flakyFailure>`` / ``<flakyError>``: passed after retries -> ``flaky``;
* Surefire ``<rerunFailure>`` / ``<rerunError>``: failed on every rerun (retry count);
* ``<system-out>`` / ``<system-err>``: captured output (trimmed).

``iterparse`` reads the file incrementally and each finished ``<testcase>`` is dropped
from the tree, so memory stays flat for any report size.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

from conveyor.errors import UserError
from conveyor.results.model import (
    ERROR,
    FAILED,
    FLAKY,
    PASSED,
    SKIPPED,
    TestCaseResult,
    trim,
)

_FLAKY_TAGS = frozenset({"flakyFailure", "flakyError"})
_RERUN_TAGS = frozenset({"rerunFailure", "rerunError"})
_OUTPUT_TAGS = ("system-out", "system-err")
_ROOTS = frozenset({"testsuites", "testsuite"})


def _float(value: str | None) -> float | None:
    if value is None or not value.strip():
        return None
    try:
        return float(value.replace(",", ""))
    except ValueError:
        return None


def _int(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None


def _failure_text(element: ET.Element) -> str:
    """Message, then body text (or Surefire's ``<stackTrace>`` child)."""
    parts = [element.get("message") or ""]
    body = (element.text or "").strip()
    if not body:
        trace = element.find("stackTrace")
        body = (trace.text or "").strip() if trace is not None else ""
    if body and body != parts[0]:
        parts.append(body)
    return "\n".join(p for p in parts if p)


def _case(element: ET.Element, suite: str, suite_file: str | None) -> TestCaseResult:
    status, retries = PASSED, 0
    message_parts: list[str] = []
    output_parts: list[str] = []
    outcome: ET.Element | None = None
    flaky = 0
    for child in element:
        tag = child.tag
        if tag in ("failure", "error"):
            status = FAILED if tag == "failure" else ERROR
            outcome = child
        elif tag == "skipped":
            if status == PASSED:
                status = SKIPPED
                outcome = child
        elif tag in _FLAKY_TAGS:
            flaky += 1
        elif tag in _RERUN_TAGS:
            retries += 1
        elif tag in _OUTPUT_TAGS and child.text:
            output_parts.append(child.text)
    if outcome is not None:
        message_parts.append(_failure_text(outcome))
    if flaky:
        retries += flaky
        if status == PASSED:
            status = FLAKY
            first = next(c for c in element if c.tag in _FLAKY_TAGS)
            message_parts.append(_failure_text(first))
    return TestCaseResult(
        name=element.get("name") or "",
        classname=element.get("classname") or "",
        suite=suite,
        file=element.get("file") or suite_file,
        line=_int(element.get("line")),
        duration=_float(element.get("time")),
        status=status,
        retries=retries,
        message=trim("\n".join(p for p in message_parts if p)),
        output=trim("\n".join(output_parts)),
    )


def parse_junit(path: Path) -> Iterator[TestCaseResult]:
    """Yield the test cases of the JUnit XML file at ``path``.

    Raises :class:`UserError` naming ``path:line:column`` for malformed or truncated XML,
    and for XML that is not a JUnit report.
    """
    stack: list[ET.Element] = []
    suites: list[tuple[str, str | None]] = []
    try:
        for event, element in ET.iterparse(str(path), events=("start", "end")):
            if event == "start":
                if not stack and element.tag not in _ROOTS:
                    raise UserError(
                        f"{path}: not a JUnit XML report (root element <{element.tag}>, "
                        "expected <testsuites> or <testsuite>)"
                    )
                stack.append(element)
                if element.tag == "testsuite":
                    suites.append((element.get("name") or "", element.get("file")))
                continue
            stack.pop()
            if element.tag == "testcase":
                suite, suite_file = suites[-1] if suites else ("", None)
                yield _case(element, suite, suite_file)
            elif element.tag == "testsuite":
                suites.pop()
            else:
                continue
            element.clear()
            if stack:
                del stack[-1][:]  # drop finished children: flat memory
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise UserError(f"{path}:{line}:{column + 1}: malformed XML: {reason}") from exc
