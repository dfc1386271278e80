"""Is this file a test report? Decided by content, not by name.

* JUnit XML (every dialect :mod:`conveyor.results.junit` reads): the root element is
  ``<testsuites>`` or ``<testsuite>``. A file whose root is another element (a Maven
  ``pom.xml``, an Android layout, a coverage report) is not one; neither is a file that
  is not XML at all.
* pytest-json-report: a JSON object with a ``tests`` list and a ``summary``.

A report that is cut short or malformed after it showed what it is (the root element
was read; the JSON text names pytest-json-report's keys before it breaks) is still a
report: :func:`report_kind` says so, and reading it raises the positioned error.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

JUNIT, JSON = "junit", "json"
HEAD_BYTES = 64 * 1024
_ROOTS = frozenset({"testsuites", "testsuite"})
# the top-level keys pytest-json-report writes before its (possibly long) ``tests``
_JSON_KEYS = (b'"summary"', b'"exitcode"', b'"collectors"', b'"tests"', b'"created"')


def report_kind(path: Path) -> str | None:
    """``junit``, ``json`` or None (not a test report, or unreadable)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(HEAD_BYTES)
    except OSError:
        return None
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped.startswith(b"<"):
        return JUNIT if _xml_root(path) in _ROOTS else None
    if stripped.startswith(b"{"):
        return JSON if _json_report(path, stripped) else None
    return None


def _xml_root(path: Path) -> str | None:
    """The root element's tag, or None when the file breaks before it."""
    try:
        for _event, element in ET.iterparse(str(path), events=("start",)):
            return str(element.tag)
    except (ET.ParseError, OSError):
        return None
    return None


def _json_report(path: Path, head: bytes) -> bool:
    if sum(key in head for key in _JSON_KEYS) < 2:
        return False  # cheap: most JSON files are not parsed at all
    try:
        with path.open("rb") as handle:
            data = json.load(handle)
    except (OSError, UnicodeDecodeError):
        return False
    except json.JSONDecodeError:
        return True  # cut short or broken after naming the report's keys: reading says where
    return isinstance(data, dict) and isinstance(data.get("tests"), list) and "summary" in data
