"""Canary traffic through the process provider's router, with real processes: the share
of requests each version gets, clients pinned by a header or a cookie, the per-version
traffic the router reports, and a switch ending the split."""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from providers_helpers import artifact, target

from conveyor.delivery.ports import CanaryProvider, Pin, ProviderError
from conveyor.providers import control
from conveyor.providers.process import ProcessProvider, describe


def publish(provider: ProcessProvider, base: Path, version: str, **knobs: float) -> str:
    where = target()
    return provider.publish(where, provider.stage(where, artifact(base, version, **knobs)))


def counts(url: str, n: int, **kwargs: object) -> Counter[str]:
    with httpx.Client(**kwargs) as client:  # type: ignore[arg-type]
        return Counter(client.get(f"{url}/version").text for _ in range(n))


def test_weights_split_the_traffic_and_a_switch_ends_the_split(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    where = target()
    assert isinstance(provider, CanaryProvider)
    stable = publish(provider, tmp_path, "v1")
    provider.switch(where, stable)
    canary = publish(provider, tmp_path, "v2", error_rate=0.5)
    url = provider.endpoint(where)
    assert url is not None
    began = time.time()
    provider.set_weight(where, stable, canary, 30)
    seen = counts(url, 400)
    assert seen["v1"] > 180
    assert 60 < seen["v2"] + seen["v2 failed"] < 200  # 30 % of 400, give or take
    assert seen["v2 failed"] > 10
    with pytest.raises(ProviderError, match="is live"):
        provider.retire(where, canary)
    (shown,) = describe(provider.state_dir)
    assert shown["live"] == stable and shown["canary"] == {"version": canary, "weight": 30}

    traffic = provider.traffic(where, [stable, canary], began, time.time() + 1, 4)
    assert [len(traffic[v]) for v in (stable, canary)] == [4, 4]
    stable_requests = sum(b.requests for b in traffic[stable])
    canary_requests = sum(b.requests for b in traffic[canary])
    assert (stable_requests, canary_requests) == (seen["v1"], 400 - seen["v1"])
    assert sum(b.errors for b in traffic[stable]) == 0
    assert sum(b.errors for b in traffic[canary]) == seen["v2 failed"]
    assert sum(len(b.latencies) for b in traffic[canary]) == canary_requests
    assert all(0 < ms < 1000 for b in traffic[stable] for ms in b.latencies)
    info = control.running_router(provider.home(where))
    assert info is not None
    raw = control.call(info, "GET", f"/metrics?start={began}&end={time.time() + 1}&buckets=1")
    (whole,) = raw["versions"][canary]
    assert whole["requests"] == canary_requests
    assert whole["error_rate"] == pytest.approx(seen["v2 failed"] / canary_requests)
    assert 0 < whole["p50"] <= whole["p95"] <= whole["p99"] < 1000

    provider.set_weight(where, stable, canary, 0)
    assert counts(url, 50) == Counter({"v1": 50})
    provider.set_weight(where, stable, canary, 100)
    assert set(counts(url, 50)) <= {"v2", "v2 failed"}
    provider.switch(where, canary)
    assert provider.home(where).read().canary is None
    provider.retire(where, stable)
    assert set(counts(url, 20)) <= {"v2", "v2 failed"}
    with pytest.raises(ProviderError, match="the live version is"):
        provider.set_weight(where, stable, canary, 10)


def test_a_client_is_pinned_by_its_header_or_cookie(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    where = target()
    stable = publish(provider, tmp_path, "v1")
    provider.switch(where, stable)
    canary = publish(provider, tmp_path, "v2")
    url = provider.endpoint(where)
    assert url is not None
    provider.set_weight(where, stable, canary, 50, Pin(header="X-User", cookie="user"))
    by_user: dict[str, set[str]] = {}
    with httpx.Client() as client:
        for _round in range(5):
            for user in range(20):
                answer = client.get(f"{url}/version", headers={"X-User": f"u{user}"})
                by_user.setdefault(f"u{user}", set()).add(answer.text)
        by_cookie = {
            client.get(f"{url}/version", headers={"Cookie": "user=u7"}).text for _ in range(10)
        }
    assert all(len(versions) == 1 for versions in by_user.values())
    assert {"v1", "v2"} == set().union(*by_user.values())  # both versions get users
    assert by_cookie == by_user["u7"]
    # a bigger weight only moves users from the stable version to the canary
    provider.set_weight(where, stable, canary, 90, Pin(header="X-User"))
    with httpx.Client() as client:
        for user, versions in by_user.items():
            if versions == {"v2"}:
                assert client.get(f"{url}/version", headers={"X-User": user}).text == "v2"
