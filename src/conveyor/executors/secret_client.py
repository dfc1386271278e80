"""A worker fetches its job's secrets from the dispatching process (see
:mod:`conveyor.executors.secret_server`)."""

from __future__ import annotations

from collections.abc import Sequence

FETCH_TIMEOUT = 10.0


def fetch_secrets(url: str, token: str, names: Sequence[str]) -> dict[str, str]:
    """The values of ``names``; raises OSError saying what to check when they cannot be
    fetched. Nothing to fetch when the job names no secret."""
    if not names:
        return {}
    if not url or not token:
        raise OSError("the job request came without a way to fetch its secrets")
    import httpx

    try:
        answer = httpx.post(
            url + "/secrets",
            headers={"Authorization": f"Bearer {token}"},
            json={"names": list(names)},
            timeout=FETCH_TIMEOUT,
        )
    except httpx.HTTPError as exc:
        raise OSError(
            f"cannot fetch the job's secrets from {url}: {exc}; the dispatching conveyor must "
            "be reachable from the worker (CONVEYOR_SECRETS_HOST)"
        ) from exc
    if answer.status_code != 200:
        raise OSError(
            f"cannot fetch the job's secrets from {url}: HTTP {answer.status_code} "
            "(the token was used already, or the run ended)"
        )
    values = answer.json().get("secrets", {})
    return {str(k): str(v) for k, v in values.items()}
