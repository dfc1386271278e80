"""Hypothesis profiles for the property tests.

``ci`` (the default): few examples, so each property runs in a few seconds on every
``make check``. ``fuzz`` (``HYPOTHESIS_PROFILE=fuzz``, what ``make fuzz`` sets): many more
examples, the example database in ``.hypothesis/`` so failures found once are replayed.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]

settings.register_profile(
    "ci",
    max_examples=40,
    deadline=None,
    derandomize=True,  # the same examples on every CI run: a failure is reproducible
    database=None,
    suppress_health_check=_SLOW,
)
settings.register_profile(
    "fuzz",
    max_examples=int(os.environ.get("CONVEYOR_FUZZ_EXAMPLES", "4000")),
    deadline=None,
    suppress_health_check=_SLOW,
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# PostgreSQL for the ingest properties: the store tests' session database fixtures
import importlib.util  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

if "_store_fixtures" not in sys.modules:
    _path = Path(__file__).resolve().parents[1] / "store" / "conftest.py"
    _spec = importlib.util.spec_from_file_location("_store_fixtures", _path)
    assert _spec is not None and _spec.loader is not None
    sys.modules["_store_fixtures"] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules["_store_fixtures"])
postgres_admin_url = sys.modules["_store_fixtures"].postgres_admin_url
postgres_url = sys.modules["_store_fixtures"].postgres_url
