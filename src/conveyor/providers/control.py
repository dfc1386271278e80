"""Starting, commanding and stopping an app's router (:mod:`conveyor.providers.router`)."""

from __future__ import annotations

import functools
from typing import Any

import httpx

from conveyor.delivery.ports import ProviderError
from conveyor.providers import pids, processes
from conveyor.providers.router import TOKEN_HEADER
from conveyor.providers.routing import Home, RouterInfo

ROUTER_START_SECONDS = 15.0
ROUTER_STOP_SECONDS = 35.0  # it lets requests in flight finish for up to 30 s


@functools.cache
def local_http() -> httpx.Client:
    """The one HTTP client for talking to routers and versions on this machine: kept
    connections, and no proxy from the environment (they are all on the loopback)."""
    return httpx.Client(trust_env=False)


def running_router(home: Home) -> RouterInfo | None:
    """The router of ``home`` if it is running."""
    info = home.router()
    if info is None or not pids.running(info.pid, info.identity):
        return None
    return info


def call(
    info: RouterInfo, method: str, path: str, payload: Any = None, timeout: float = 10.0
) -> Any:
    """A command to the router's control listener; its JSON answer."""
    try:
        answer = local_http().request(
            method,
            f"http://127.0.0.1:{info.control_port}{path}",
            headers={TOKEN_HEADER: info.token},
            json=payload,
            timeout=timeout,
        )
        answer.raise_for_status()
        return answer.json()
    except httpx.HTTPError as exc:
        raise ProviderError(
            f"the router (pid {info.pid}) did not take {method} {path}: {exc}; "
            "see its log and restart it (conveyor router start)"
        ) from exc


def ensure_router(home: Home, host: str, port: int) -> RouterInfo:
    """The router of ``home``, started if it is not running (or listens elsewhere)."""
    info = running_router(home)
    if info is not None and info.host == host and info.port == port:
        return info
    if info is not None:
        processes.stop(info.pid, info.identity, ROUTER_STOP_SECONDS)

    def announced(pid: int) -> RouterInfo | None:
        found = home.router()
        return found if found is not None and found.pid == pid else None

    return processes.start_server(
        "conveyor.providers.router", home.root, home.router_log, announced,
        what=f"the router of {home.app} in {home.environment} (on {host}:{port})",
        timeout=ROUTER_START_SECONDS,
    )  # fmt: skip


def stop_router(home: Home) -> bool:
    """Stop the router of ``home`` (it finishes the requests in flight first)."""
    info = running_router(home)
    if info is None:
        return False
    return processes.stop(info.pid, info.identity, ROUTER_STOP_SECONDS)
