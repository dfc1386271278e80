"""Test results: ingest JUnit XML / pytest-json-report files, history, flaky detection,
quarantine, stats against targets, and duration-balanced sharding.

:func:`conveyor.results.quarantine.is_quarantined` is the API the tiers feature uses.
"""

from __future__ import annotations
