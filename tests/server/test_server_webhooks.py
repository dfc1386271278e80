"""POST /webhooks/github against a real `conveyor serve` process, with real signed
deliveries for a real git repository: what runs, on which commit, and every refusal."""

from __future__ import annotations

import concurrent.futures
import json
import socket
from pathlib import Path
from urllib.parse import quote

import httpx
from server_helpers import (
    Server,
    commit,
    deliver,
    deliveries,
    delivery,
    git,
    handled,
    metric,
    push_payload,
    repo_block,
    run_detail,
    run_text,
    runs,
    sign,
)

ZERO = "0" * 40


def test_a_push_runs_the_pushed_commit_once_even_when_redelivered(
    server: Server, registered: Path
) -> None:
    first = git(registered, "rev-parse", "HEAD")
    second = commit(registered, "second")
    payload = push_payload("refs/heads/main", first, second)
    answer = deliver(server.url, "push", payload, delivery="d-push-1")
    assert answer.status_code == 202, answer.text
    assert answer.json()["status"] == "queued"
    record = handled(server.state, "d-push-1")
    assert record.status == "started" and len(record.run_ids) == 1
    (run_id,) = record.run_ids
    detail = run_detail(server.state, run_id)
    assert detail.run.conclusion == "success"
    assert (detail.run.sha, detail.run.ref, detail.run.event) == (second, "refs/heads/main", "push")
    text = run_text(server.state, run_id)
    assert f"built {second} on refs/heads/main from push" in text
    assert "second" in text  # the exact commit's files, not the first commit's
    assert "secret=unset token=unset" in text  # the server's secrets are not the steps'
    again = deliver(server.url, "push", payload, delivery="d-push-1")
    assert again.status_code == 200
    assert again.json() == {
        "status": "started",
        "duplicate": True,
        "delivery": "d-push-1",
        "run_ids": [run_id],
    }
    assert [r.id for r in runs(server.state)] == [run_id]


def test_tags_pull_requests_create_and_release_start_their_events(
    server: Server, registered: Path
) -> None:
    base = git(registered, "rev-parse", "HEAD")
    head = commit(registered, "feature work", branch="feature/x")
    git(registered, "tag", "v1.0", head)
    tag = deliver(server.url, "push", push_payload("refs/tags/v1.0", ZERO, head), delivery="t1")
    pr = {
        "action": "opened",
        "number": 7,
        "pull_request": {
            "number": 7,
            "head": {"ref": "feature/x", "sha": head},
            "base": {"ref": "main", "sha": base},
            "labels": [],
        },
        "repository": repo_block(),
        "sender": {"login": "bob"},
    }
    opened = deliver(server.url, "pull_request", pr, delivery="pr-open")
    closed = deliver(server.url, "pull_request", {**pr, "action": "closed"}, delivery="pr-closed")
    create = {"ref": "v1.0", "ref_type": "tag", "repository": repo_block()}
    created = deliver(server.url, "create", create, delivery="c1")
    release = {
        "action": "published",
        "release": {"tag_name": "v1.0", "name": "one"},
        "repository": repo_block(),
    }
    released = deliver(server.url, "release", release, delivery="r1")
    assert {a.status_code for a in (tag, opened, closed, created, released)} == {202}

    def one_run(delivery_id: str) -> object:
        record = handled(server.state, delivery_id)
        assert record.status == "started", record
        (run_id,) = record.run_ids
        return run_detail(server.state, run_id).run

    assert (one_run("t1").ref, one_run("t1").sha) == ("refs/tags/v1.0", head)
    pr_run = one_run("pr-open")
    assert (pr_run.event, pr_run.ref, pr_run.sha) == ("pull_request", "refs/pull/7/merge", head)
    assert "feature work" in run_text(server.state, pr_run.id)
    assert one_run("c1").event == "create"
    rel = one_run("r1")
    assert (rel.event, rel.ref, rel.sha) == ("release", "refs/tags/v1.0", head)
    skipped = handled(server.state, "pr-closed")
    assert (skipped.status, skipped.run_ids, skipped.note) == ("ignored", (), "no workflow fired")


def test_a_branch_deletion_is_recorded_and_runs_nothing(server: Server, registered: Path) -> None:
    head = git(registered, "rev-parse", "HEAD")
    payload = push_payload("refs/heads/old", head, ZERO, deleted=True)
    answer = deliver(server.url, "push", payload, delivery="del-1")
    assert answer.status_code == 202
    assert "no commit to run" in answer.json()["reason"]
    assert delivery(server.state, "del-1").status == "ignored"
    assert deliver(server.url, "push", payload, delivery="del-1").status_code == 200
    assert runs(server.state) == []


def test_concurrent_redeliveries_start_one_run(server: Server, registered: Path) -> None:
    head = git(registered, "rev-parse", "HEAD")
    payload = push_payload("refs/heads/main", ZERO, head)
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        codes = list(
            pool.map(
                lambda _i: deliver(server.url, "push", payload, delivery="same").status_code,
                range(32),
            )
        )
    assert sorted(codes) == [200] * 31 + [202]
    record = handled(server.state, "same")
    assert len(record.run_ids) == 1
    assert len(runs(server.state)) == 1


def test_a_form_encoded_delivery_and_ping(server: Server, registered: Path) -> None:
    head = git(registered, "rev-parse", "HEAD")
    body = ("payload=" + quote(json.dumps(push_payload("refs/heads/main", ZERO, head)))).encode()
    answer = deliver(
        server.url,
        "push",
        None,
        delivery="form-1",
        body=body,
        content_type="application/x-www-form-urlencoded",
    )
    assert answer.status_code == 202, answer.text
    assert handled(server.state, "form-1").status == "started"
    pong = deliver(server.url, "ping", {"zen": "hi", "repository": repo_block()}, delivery="p")
    assert pong.status_code == 200 and pong.json()["status"] == "pong"


def test_bad_deliveries_are_refused_and_nothing_is_recorded(
    server: Server, registered: Path
) -> None:
    head = git(registered, "rev-parse", "HEAD")
    payload = push_payload("refs/heads/main", ZERO, head)
    body = json.dumps(payload).encode()
    cases = {
        "missing signature": deliver(server.url, "push", payload, delivery="b1", secret=None),
        "bad signature": deliver(server.url, "push", payload, delivery="b2", secret="wrong"),
        "garbled signature": deliver(
            server.url, "push", payload, delivery="b3", signature="sha256=zz"
        ),
        "unknown repository": deliver(
            server.url,
            "push",
            {**payload, "repository": repo_block("someone/else")},
            delivery="b4",
        ),
        "unknown by name": deliver(
            server.url, "push", payload, delivery="b5", query="?repository=nope"
        ),
        "malformed JSON": deliver(
            server.url, "push", None, delivery="b6", body=b'{"ref": ', signature=sign(b'{"ref": ')
        ),
        "not an object": deliver(server.url, "push", None, delivery="b7", body=b"[1]"),
        "wrong content type": deliver(
            server.url, "push", None, delivery="b8", body=body, content_type="text/plain"
        ),
        "no event header": httpx.post(
            server.url + "/webhooks/github",
            content=body,
            headers={
                "Content-Type": "application/json",
                "X-GitHub-Delivery": "b9",
                "X-Hub-Signature-256": sign(body),
            },
        ),
    }
    expected = {
        "missing signature": 401,
        "bad signature": 401,
        "garbled signature": 401,
        "unknown repository": 404,
        "unknown by name": 404,
        "malformed JSON": 400,
        "not an object": 400,
        "wrong content type": 415,
        "no event header": 400,
    }
    assert {k: v.status_code for k, v in cases.items()} == expected
    assert all(v.json()["error"] for v in cases.values())
    unknown = deliver(server.url, "issues", {**payload, "action": "opened"}, delivery="b10")
    assert unknown.status_code == 202
    assert "starts no workflows" in unknown.json()["reason"]
    assert deliveries(server.state) == {}
    assert runs(server.state) == []
    text = httpx.get(server.url + "/metrics").text
    assert metric(text, "conveyor_webhook_rejections_total") == 9
    assert 'reason="bad_signature"' in text and 'reason="unknown_repository"' in text


def test_oversized_bodies_are_refused_by_length_and_by_streamed_size(
    server: Server, registered: Path
) -> None:
    limit = 25 * 1024 * 1024
    head = git(registered, "rev-parse", "HEAD")
    big = json.dumps(push_payload("refs/heads/main", ZERO, head, pad="x" * (limit + 10))).encode()
    declared = deliver(server.url, "push", None, delivery="big-1", body=big, signature="x")
    assert declared.status_code == 413

    # Chunked, no Content-Length: the server counts what it reads and stops at the limit.
    def chunks() -> object:
        for _ in range(limit // 65536 + 2):
            yield b"x" * 65536

    streamed = httpx.post(
        server.url + "/webhooks/github",
        content=chunks(),  # type: ignore[arg-type]
        headers={
            "Content-Type": "application/json",
            "X-GitHub-Event": "push",
            "X-GitHub-Delivery": "big-2",
        },
        timeout=60,
    )
    assert streamed.status_code == 413
    # A lying Content-Length (smaller than what is sent) is cut by the HTTP layer; a raw
    # request declaring less than the limit but streaming more never reaches a record.
    assert deliveries(server.state) == {}
    text = httpx.get(server.url + "/metrics").text
    assert metric(text, "conveyor_webhook_rejections_total") == 2
    with socket.create_connection(("127.0.0.1", int(server.url.rsplit(":", 1)[1]))) as sock:
        sock.sendall(
            b"POST /webhooks/github HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b"Transfer-Encoding: chunked\r\nX-GitHub-Event: push\r\nX-GitHub-Delivery: big-3\r\n"
            b"\r\n"
        )
        piece = b"x" * 1_000_000
        try:
            for _ in range(30):
                sock.sendall(b"%x\r\n" % len(piece) + piece + b"\r\n")
            sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and closed early
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413"), reply[:100]
    assert deliveries(server.state) == {}
