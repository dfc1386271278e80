"""``POST /webhooks/github``: GitHub's webhook format, checked before anything is recorded.

In order: the body's size (``Content-Length`` and the bytes actually streamed; 413), its
content type (JSON, or GitHub's form encoding with a ``payload`` field; 415), the
``X-GitHub-Event`` and ``X-GitHub-Delivery`` headers (400), the JSON (400), the
repository (``?repository=NAME``, else the payload's ``repository`` matched against the
registered names and URLs; 404), the ``X-Hub-Signature-256`` HMAC-SHA256 of the body with
the repository's secret, compared in constant time (401). A refusal records nothing and
counts one rejection in ``/metrics``. Then ``ping`` is answered, an event that runs nothing
is ignored (202 and the reason), and anything else is recorded once per delivery id (the
unique key makes a redelivery, even a concurrent one, answer 200 with the first record)
and handed to the dispatcher (202).
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from conveyor.git.identity import key_from_url
from conveyor.server.envsecrets import EnvSecrets
from conveyor.server.github_events import RUNNABLE, classify
from conveyor.store.server_store import IGNORED, QUEUED, NewDelivery, ServerRepository

log = logging.getLogger("conveyor.server.webhooks")
_ROOT = Path("/")  # registered URLs are absolute
router = APIRouter(tags=["webhooks"])

_JSON_TYPES = ("application/json", "application/vnd.github+json")
_FORM = "application/x-www-form-urlencoded"
_MAX_ID = 255


class Refused(Exception):
    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


def signature_of(secret: str, body: bytes) -> str:
    """The ``X-Hub-Signature-256`` value GitHub sends for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def _check_signature(
    repo: ServerRepository, header: str | None, body: bytes, secrets: EnvSecrets
) -> None:
    if repo.webhook_secret_env is None:
        return  # registered without a secret: unsigned webhooks are taken (see conveyor repos)
    secret = secrets.get(repo.webhook_secret_env)
    if not secret:
        raise Refused(
            401,
            "no_secret",
            f"repository {repo.name!r}: the server has no webhook secret: set "
            f"{repo.webhook_secret_env} in the server's environment",
        )
    if not header:
        raise Refused(401, "missing_signature", "X-Hub-Signature-256 is missing")
    expected = signature_of(secret, body)
    if not hmac.compare_digest(expected.encode("ascii"), header.strip().encode("utf-8", "replace")):
        raise Refused(401, "bad_signature", "X-Hub-Signature-256 does not match the body")


async def _read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None:
        try:
            size = int(declared)
        except ValueError:
            raise Refused(400, "bad_length", "Content-Length is not a number") from None
        if size > limit:
            raise Refused(413, "too_large", f"the body is over the limit of {limit} bytes")
    chunks: list[bytes] = []
    total = 0
    async for chunk in request.stream():
        total += len(chunk)
        if total > limit:
            raise Refused(413, "too_large", f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _parse(content_type: str, body: bytes) -> dict[str, Any]:
    kind = content_type.split(";", 1)[0].strip().lower()
    if kind in _JSON_TYPES:
        text = body
    elif kind == _FORM:
        fields = parse_qs(body.decode("utf-8", "replace"))
        if "payload" not in fields:
            raise Refused(400, "bad_form", "a form-encoded webhook needs a 'payload' field")
        text = fields["payload"][0].encode("utf-8")
    else:
        raise Refused(
            415,
            "content_type",
            f"content type {kind or '(none)'!r}: send application/json "
            "(or application/x-www-form-urlencoded with a payload field)",
        )
    try:
        data = json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise Refused(400, "bad_json", f"the body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise Refused(400, "bad_json", "the body is JSON but not an object")
    return data


def _url_keys(repo: Mapping[str, Any]) -> set[str]:
    keys = set()
    for field in ("clone_url", "html_url", "ssh_url", "git_url", "url", "svn_url"):
        value = repo.get(field)
        if isinstance(value, str) and value:
            keys.add(key_from_url(value, _ROOT))
    return keys


def find_repository(
    registered: list[ServerRepository], name: str | None, payload: Mapping[str, Any]
) -> ServerRepository | None:
    """The registered repository a delivery is for."""
    by_name = {repo.name: repo for repo in registered}
    if name:
        return by_name.get(name)
    block = payload.get("repository")
    if not isinstance(block, Mapping):
        return None
    for field in ("full_name", "name"):
        value = block.get(field)
        if isinstance(value, str) and value in by_name:
            return by_name[value]
    keys = _url_keys(block)
    for repo in registered:
        if key_from_url(repo.url, _ROOT) in keys:
            return repo
    return None


def _refuse(request: Request, refused: Refused) -> JSONResponse:
    request.app.state.metrics.webhook_rejections.labels(reason=refused.reason).inc()
    log.warning("webhook refused", extra={"status": refused.status, "reason": refused.reason})
    return JSONResponse({"error": str(refused), "reason": refused.reason}, refused.status)


@router.post(
    "/webhooks/github",
    status_code=202,
    responses={
        200: {"description": "ping, or a redelivery (nothing new is started)"},
        202: {"description": "accepted (queued), or ignored with a reason"},
        400: {"description": "missing headers or malformed JSON"},
        401: {"description": "missing or bad signature"},
        404: {"description": "unknown repository"},
        413: {"description": "body over the size limit"},
        415: {"description": "unsupported content type"},
        503: {"description": "the server is shutting down"},
    },
)
async def github_webhook(request: Request) -> JSONResponse:
    """Take a GitHub webhook delivery (push, pull_request, create, delete, release)."""
    state = request.app.state
    if state.queue.stopping.is_set():
        return JSONResponse({"error": "the server is shutting down; redeliver later"}, 503)
    try:
        body = await _read_body(request, state.config.max_body_bytes)
        payload = _parse(request.headers.get("content-type", ""), body)
        event = request.headers.get("x-github-event", "").strip()
        delivery = request.headers.get("x-github-delivery", "").strip()
        if not event or not delivery:
            raise Refused(400, "headers", "X-GitHub-Event and X-GitHub-Delivery are required")
        if len(delivery) > _MAX_ID or len(event) > 64:
            raise Refused(400, "headers", "X-GitHub-Delivery or X-GitHub-Event is too long")
        named = request.query_params.get("repository")
        repo = find_repository(state.intake.repositories(), named, payload)
        if repo is None:  # registered a moment ago?
            registered = await run_in_threadpool(state.intake.repositories, True)
            repo = find_repository(registered, named, payload)
        if repo is None:
            raise Refused(
                404,
                "unknown_repository",
                "no registered repository matches this delivery; conveyor repos add NAME "
                "--url GIT_URL (or add ?repository=NAME to the webhook URL)",
            )
        _check_signature(repo, request.headers.get("x-hub-signature-256"), body, state.secrets)
    except Refused as refused:
        return _refuse(request, refused)
    if event == "ping":
        return JSONResponse({"status": "pong", "repository": repo.name}, 200)
    reason = classify(event, payload)
    if reason is not None and event not in RUNNABLE:  # not recorded: nothing to redeliver
        state.metrics.webhooks.labels(event="other", outcome=IGNORED).inc()
        return JSONResponse({"status": IGNORED, "reason": reason}, 202)
    action = payload.get("action")
    item = NewDelivery(
        delivery,
        repo.name,
        event,
        str(action) if isinstance(action, str) else "",
        payload,
        status=QUEUED if reason is None else IGNORED,
        note=reason or "",
    )
    new, record = await asyncio.wrap_future(state.intake.record(item))
    if not new:
        state.metrics.webhooks.labels(event=event, outcome="redelivered").inc()
        return JSONResponse(
            {
                "status": record.status,
                "duplicate": True,
                "delivery": delivery,
                "run_ids": list(record.run_ids),
            },
            200,
        )
    if reason is not None:
        state.metrics.webhooks.labels(event=event, outcome=IGNORED).inc()
        return JSONResponse({"status": IGNORED, "reason": reason, "delivery": delivery}, 202)
    state.dispatcher.add(delivery)
    return JSONResponse({"status": QUEUED, "delivery": delivery}, 202)
