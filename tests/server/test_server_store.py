"""The server's tables on SQLite and PostgreSQL: deliveries recorded once, even when
many writers race with the same delivery id."""

from __future__ import annotations

import concurrent.futures
import sys
from pathlib import Path

import pytest

from conveyor.store.server_store import NewDelivery, ServerRepository, ServerStore


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ServerStore:
    url = None
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
        sys.modules["_store_fixtures"]._reset_schema(url)
    opened = ServerStore(tmp_path / "state", url)
    request.addfinalizer(opened.close)
    return opened


def test_racing_writers_record_each_delivery_once(store: ServerStore) -> None:
    ids = [f"d{n % 5}" for n in range(80)]

    def write(chunk: list[str]) -> list[bool]:
        items = [NewDelivery(i, "o/r", "push", "", {"n": i}) for i in chunk]
        return [new for new, _ in store.record_deliveries(items)]

    chunks = [ids[i : i + 4] for i in range(0, len(ids), 4)] + [[i] for i in ids]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = [new for result in pool.map(write, chunks) for new in result]
    assert answers.count(True) == 5
    assert store.count_deliveries() == {"queued": 5}
    new, first = store.record_delivery("d0", "o/r", "push", "", {})
    assert not new and first.payload == {"n": "d0"}
    store.finish_delivery("d0", "started", [7], "")
    again = store.record_deliveries([NewDelivery("d0", "o/r", "push", "", {})])
    assert again[0][0] is False and again[0][1].run_ids == (7,)


def test_repositories(store: ServerStore) -> None:
    store.add_repository(ServerRepository("o/a", "https://h/o/a.git", "SECRET", None))
    assert store.repository("o/a") == ServerRepository("o/a", "https://h/o/a.git", "SECRET")
    assert store.remove_repository("o/a") and not store.remove_repository("o/a")
    assert store.repositories() == []
