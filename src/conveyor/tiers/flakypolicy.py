"""Each tier's flaky policy (:class:`conveyor.tiers.config.FlakyPolicy`) applied to what
:func:`conveyor.results.flaky.find_flaky` found, and to quarantined tests that keep failing.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, select

from conveyor.results.db import ResultsDb
from conveyor.results.flaky import FlakyTest, failed_every_run
from conveyor.results.quarantine import remove
from conveyor.store.results_models import QUARANTINE
from conveyor.tiers.config import ConveyorConfig, FlakyPolicy, TierConfig


def policy_of(config: ConveyorConfig, tier: str) -> FlakyPolicy:
    """The tier's policy; a tier conveyor.toml does not name gets the defaults."""
    found = config.tiers.get(tier)
    return found.flaky if found is not None else FlakyPolicy()


def detected(found: Iterable[FlakyTest], config: ConveyorConfig) -> list[FlakyTest]:
    """The flaky tests whose tier detects flakiness (``flaky = "off"`` drops a tier's)."""
    return [f for f in found if policy_of(config, f.tier).detect]


def to_quarantine(
    found: Iterable[FlakyTest], config: ConveyorConfig, min_commits: int
) -> list[FlakyTest]:
    """The tests ``--auto-quarantine min_commits`` quarantines: flaky on at least that many
    commits and on the tier's ``min_commits`` and ``min_days``."""
    chosen = []
    for test in detected(found, config):
        policy = policy_of(config, test.tier)
        if (
            test.flaky_commits >= max(min_commits, policy.min_commits)
            and test.flaky_days >= policy.min_days
        ):
            chosen.append(test)
    return chosen


def _automatic(connection: Connection, repository_id: int, ids: list[str]) -> set[str]:
    query = select(QUARANTINE.c.test_id).where(
        QUARANTINE.c.repository_id == repository_id,
        QUARANTINE.c.test_id.in_(ids),
        QUARANTINE.c.automatic.is_(True),
    )
    return {str(t) for t in connection.execute(query).scalars()}


def release_broken(
    db: ResultsDb,
    repository_id: int,
    tier_name: str,
    tier: TierConfig,
    quarantined_failures: list[str],
) -> list[str]:
    """Release the automatically quarantined tests among ``quarantined_failures`` that
    failed every attempt of the tier's last ``release_after`` runs: they are broken, not
    flaky, and fail the tier again. Manual quarantines stay."""
    runs = tier.flaky.release_after
    if runs < 1 or not quarantined_failures:
        return []
    with db.read() as connection:
        automatic = _automatic(connection, repository_id, sorted(set(quarantined_failures)))
        broken = [
            test_id
            for test_id in sorted(automatic)
            if failed_every_run(connection, test_id, tier_name, runs, repository_id)
        ]
    for test_id in broken:
        remove(db, repository_id, test_id)
    return broken
