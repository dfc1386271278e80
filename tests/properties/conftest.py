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
from store_fixtures import store_fixtures  # noqa: E402

_store = store_fixtures()
postgres_admin_url = _store.postgres_admin_url
postgres_url = _store.postgres_url
