"""Every way a request can be refused for its credentials, against a real server."""

from __future__ import annotations

import httpx
import pytest
from api_helpers import Api


def _get(api: Api, path: str, headers: dict[str, str]) -> httpx.Response:
    return httpx.get(api.url + path, headers=headers, timeout=30)


def test_no_token_is_401_with_a_bearer_challenge(api: Api) -> None:
    answer = _get(api, "/api/runs", {})
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    assert "conveyor tokens create" in answer.json()["detail"]


@pytest.mark.parametrize(
    "header",
    [
        "Bearer cvy_not-a-token-at-all-000000000000000000000",
        "Bearer something-else",
        "Basic YWxpY2U6c2VjcmV0",
        "Bearer",
        "cvy_lonely",
    ],
)
def test_bad_tokens_are_401(api: Api, header: str) -> None:
    answer = _get(api, "/api/runs", {"Authorization": header})
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"] == "Unauthenticated"


def test_a_revoked_token_is_401(api: Api) -> None:
    answer = _get(api, "/api/runs", {"Authorization": f"Bearer {api.tokens['revoked']}"})
    assert answer.status_code == 401
    assert "revoked" in answer.json()["detail"]


def test_scopes_are_ordered(api: Api) -> None:
    run_id = api.local_runs[0]
    for who in ("read", "write", "reviewer"):
        with api.client(who) as client:
            assert client.get(f"/api/runs/{run_id}").status_code == 200
    with api.client("read") as client:  # read may not write
        answer = client.post(f"/api/runs/{run_id}/rerun", json={"failed_only": True})
        assert answer.status_code == 403
        assert "write token" in answer.json()["detail"]
        assert client.post(f"/api/runs/{run_id}/cancel").status_code == 403
        answer = client.post("/api/tests/quarantine", json={"test": "t", "quarantined": True})
        assert answer.status_code == 403
    with api.client("write") as client:  # write may not review
        answer = client.post(f"/api/approvals/{run_id}/production/approve", json={})
        assert answer.status_code == 403
        assert "reviewer token" in answer.json()["detail"]
        answer = client.post(
            "/api/deployments/rollback", json={"app": "web", "environment": "production"}
        )
        assert answer.status_code == 403


def test_the_token_is_never_stored(api: Api) -> None:
    import sqlite3

    with sqlite3.connect(api.state / "conveyor.db") as db:
        rows = db.execute("SELECT * FROM api_tokens").fetchall()
    assert len(rows) == len(api.tokens)
    dumped = repr(rows)
    for token in api.tokens.values():
        assert token not in dumped
        assert token[len("cvy_") :] not in dumped


def test_tokens_list_shows_prefixes_only(api: Api) -> None:
    from server_helpers import conveyor

    out = conveyor("tokens", "list", "--all", "--state-dir", str(api.state))
    for token in api.tokens.values():
        assert token not in out
        assert token[:12] in out
    assert "mallory" in out
    active = conveyor("tokens", "list", "--state-dir", str(api.state))
    assert "mallory" not in active and "alice" in active
