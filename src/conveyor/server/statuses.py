"""Commit statuses to a GitHub-compatible API: ``POST {api}/repos/{owner}/{repo}/statuses/{sha}``.

A run of a repository registered with ``--token-env VAR`` reports ``pending`` when it
starts and ``success``/``failure``/``error`` when it ends, under the context
``conveyor/<workflow name>``, authenticated with the token in ``$VAR`` (read when
sending, never stored or logged). Calls go through a small thread pool with a timeout,
so a slow API never holds a run up; a failed call is logged and dropped.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor

import httpx

from conveyor.engine.events import Event, RunFinished, RunStarted
from conveyor.engine.status import Conclusion
from conveyor.server.envsecrets import EnvSecrets

log = logging.getLogger("conveyor.server.statuses")

_STATES = {
    Conclusion.SUCCESS: "success",
    Conclusion.FAILURE: "failure",
    Conclusion.TIMED_OUT: "failure",
    Conclusion.CANCELLED: "error",
    Conclusion.INTERRUPTED: "error",
    Conclusion.SKIPPED: "success",
    Conclusion.WAITING: "pending",
}


class CommitStatuses:
    def __init__(
        self, api_url: str, public_url: str | None = None, secrets: EnvSecrets | None = None
    ) -> None:
        self.secrets = secrets or EnvSecrets()
        self.api_url = api_url.rstrip("/")
        self.public_url = public_url.rstrip("/") if public_url else None
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="conveyor-status")
        self._client = httpx.Client(timeout=10.0)

    def sink(self, full_name: str, sha: str, token_env: str) -> StatusSink:
        return StatusSink(self, full_name, sha, token_env)

    def post(self, full_name: str, sha: str, token_env: str, body: dict[str, str]) -> None:
        self._pool.submit(self._send, full_name, sha, token_env, body)

    def _send(self, full_name: str, sha: str, token_env: str, body: dict[str, str]) -> None:
        token = self.secrets.get(token_env) or ""
        headers = {"Accept": "application/vnd.github+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        url = f"{self.api_url}/repos/{full_name}/statuses/{sha}"
        try:
            answer = self._client.post(url, json=body, headers=headers)
            if answer.status_code >= 300:
                log.warning(
                    "commit status refused",
                    extra={"url": url, "status": answer.status_code},
                )
        except httpx.HTTPError as exc:
            log.warning("commit status not sent", extra={"url": url, "error": str(exc)})

    def close(self) -> None:
        self._pool.shutdown(wait=True)
        self._client.close()


class StatusSink:
    """The event sink of one run that reports its status."""

    def __init__(self, owner: CommitStatuses, full_name: str, sha: str, token_env: str) -> None:
        self._owner = owner
        self._target = (full_name, sha, token_env)
        self._context = "conveyor"
        self._run_id = 0

    def _body(self, state: str, description: str) -> dict[str, str]:
        body = {"state": state, "context": self._context, "description": description}
        if self._owner.public_url and self._run_id:
            body["target_url"] = f"{self._owner.public_url}/runs/{self._run_id}"
        return body

    def emit(self, event: Event) -> None:
        if isinstance(event, RunStarted):
            self._context = f"conveyor/{event.workflow_name}"
            self._run_id = event.run_id
            body = self._body("pending", f"run {event.run_id} started")
        elif isinstance(event, RunFinished):
            state = _STATES.get(event.conclusion, "error")
            body = self._body(state, f"run {event.run_id}: {event.conclusion}")
        else:
            return
        self._owner.post(*self._target, body)
