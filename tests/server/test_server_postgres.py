"""On PostgreSQL: two server processes sharing one database take the same delivery
concurrently, many times over; exactly one run starts."""

from __future__ import annotations

import concurrent.futures
import itertools
from pathlib import Path

from server_helpers import (
    SECRET_ENV,
    conveyor,
    deliver,
    git,
    handled,
    push_payload,
    run_server,
    runs,
)

ZERO = "0" * 40


def test_concurrent_redeliveries_to_two_servers_start_one_run(
    tmp_path: Path, remote: Path, postgres_url: str
) -> None:
    _store_reset(postgres_url)
    state = tmp_path / "state"
    state.mkdir()
    env = {"CONVEYOR_DATABASE_URL": postgres_url}
    conveyor(
        "repos", "add", "o/demo", "--url", str(remote), "--webhook-secret-env", SECRET_ENV,
        "--state-dir", str(state), env=env,
    )  # fmt: skip
    head = git(remote, "rev-parse", "HEAD")
    with (
        run_server(state, database_url=postgres_url) as one,
        run_server(state, database_url=postgres_url) as two,
    ):
        urls = itertools.cycle([one.url, two.url])
        jobs = [(next(urls), f"pg-{n // 20}") for n in range(60)]  # 3 deliveries x 20
        payload = push_payload("refs/heads/main", ZERO, head)
        with concurrent.futures.ThreadPoolExecutor(20) as pool:
            codes = list(
                pool.map(lambda j: deliver(j[0], "push", payload, delivery=j[1]).status_code, jobs)
            )
        assert sorted(codes) == [200] * 57 + [202] * 3
        records = [handled(state, f"pg-{i}", postgres_url) for i in range(3)]
    assert all(len(r.run_ids) == 1 for r in records)
    recorded = runs(state, postgres_url)
    assert len(recorded) == 3
    assert {r.conclusion for r in recorded} == {"success"}


def _store_reset(url: str) -> None:
    import sys

    sys.modules["_store_fixtures"]._reset_schema(url)
