"""Smoke, tier 3: the real server process starts and answers /health."""

from __future__ import annotations

import pytest

from conftest import Client

pytestmark = pytest.mark.smoke


def test_health(server: Client) -> None:
    assert server.call("GET", "/health") == (200, {"status": "ok", "events": 0})


def test_unknown_route_is_a_json_404(server: Client) -> None:
    status, body = server.call("GET", "/nope")
    assert status == 404
    assert body == {"error": "no route GET /nope"}
