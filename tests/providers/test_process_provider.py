"""The process provider with real processes: the fixture app (tests/fixtures/deploy_app)
started per version, conveyor's router in front, real HTTP through it."""

from __future__ import annotations

import asyncio
import dataclasses
import http.client
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import aiohttp
import httpx
import pytest
from providers_helpers import artifact, marked_processes, target

from conveyor.delivery.ports import Probe, ProviderError, Staged, Target
from conveyor.delivery.settings import AppSettings
from conveyor.errors import ConfigError
from conveyor.providers import provider_for
from conveyor.providers.control import call, running_router
from conveyor.providers.pids import identity
from conveyor.providers.process import ProcessProvider, start_all, stop_all


def deploy(provider: ProcessProvider, base: Path, version: str, **options: object) -> str:
    """Stage, probe, publish and switch; the published version id."""
    where = target(**options)
    staged = provider.stage(where, artifact(base, version))
    assert provider.probe(where, staged, Probe(path="/version")).body == version
    published = provider.publish(where, staged)
    provider.switch(where, published)
    return published


def router_url(provider: ProcessProvider) -> str:
    url = provider.endpoint(target())
    assert url is not None
    return url


def pid_of(provider: ProcessProvider, version: str) -> int:
    return provider.home(target()).read().versions[version].pid


def test_provider_for_picks_the_provider_the_app_names(tmp_path: Path) -> None:
    process = provider_for(AppSettings(provider="process", command="x"), state_dir=tmp_path)
    assert isinstance(process, ProcessProvider)
    assert process.state_dir == tmp_path.resolve()
    lam = provider_for(AppSettings(provider="aws-lambda", function="f", region="r"))
    assert type(lam).__name__ == "LambdaProvider"


def test_stage_probe_publish_switch_retire(provider: ProcessProvider, tmp_path: Path) -> None:
    where = target()
    assert provider.live(where) is None
    assert provider.versions(where) == []

    first = deploy(provider, tmp_path, "v1")
    url = router_url(provider)
    assert httpx.get(f"{url}/version").text == "v1"
    assert provider.live(where) == first

    staged = provider.stage(where, artifact(tmp_path, "v2"))
    # the staged version answers on its own port; the alias still serves v1
    assert staged.endpoint and httpx.get(f"{staged.endpoint}/version").text == "v2"
    assert provider.probe(where, staged, Probe(path="/version")).body == "v2"
    assert httpx.get(f"{url}/version").text == "v1"
    assert provider.versions(where) == [first]  # staged is not published

    second = provider.publish(where, staged)
    assert provider.versions(where) == [first, second]
    old_pid = pid_of(provider, first)
    provider.switch(where, second)
    assert provider.live(where) == second
    assert httpx.get(f"{url}/version").text == "v2"
    assert provider.probe(where, first, Probe(path="/version")).body == "v1"  # by id, direct

    provider.retire(where, first)
    assert identity(old_pid) is None
    assert pid_of(provider, first) == 0
    assert httpx.get(f"{url}/version").text == "v2"
    with pytest.raises(ProviderError, match="not running"):
        provider.probe(where, first, Probe(path="/version"))


def test_the_live_version_and_a_staged_one_are_refused_where_they_do_not_fit(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    where = target()
    live = deploy(provider, tmp_path, "v1")
    with pytest.raises(ProviderError, match="is live"):
        provider.retire(where, live)
    staged = provider.stage(where, artifact(tmp_path, "v2"))
    with pytest.raises(ProviderError, match="publish it first"):
        provider.switch(where, staged.handle)
    with pytest.raises(ProviderError, match="no version '9'"):
        provider.switch(where, "9")
    image = artifact(tmp_path, "v3")
    with pytest.raises(ProviderError, match="files artifacts"):
        provider.stage(where, dataclasses.replace(image, kind="image"))


def test_a_failed_smoke_is_discarded_and_the_alias_stays(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    where = target()
    live = deploy(provider, tmp_path, "v1")
    staged = provider.stage(where, artifact(tmp_path, "v2"))
    staged_pid = pid_of(provider, staged.handle)
    assert provider.probe(where, staged, Probe(path="/missing")).status == 404
    provider.discard(where, staged)
    assert identity(staged_pid) is None
    assert not provider.home(where).version_dir(staged.handle).exists()
    assert provider.live(where) == live
    assert provider.versions(where) == [live]
    assert httpx.get(f"{router_url(provider)}/version").text == "v1"


def test_requests_in_flight_finish_on_the_old_version_during_a_switch(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    where = target()
    first = deploy(provider, tmp_path, "v1")
    url = router_url(provider)
    second = provider.publish(where, provider.stage(where, artifact(tmp_path, "v2")))
    results: list[tuple[int, str]] = []

    def slow() -> None:
        answer = httpx.get(f"{url}/sleep?s=1.5", timeout=30)
        results.append((answer.status_code, answer.text))

    threads = [threading.Thread(target=slow) for _ in range(5)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    router = running_router(provider.home(where))
    assert router is not None
    while call(router, "GET", "/status")["inflight"].get(first, 0) < 5:
        assert time.monotonic() < deadline, "the slow requests never reached the router"
        time.sleep(0.02)

    provider.switch(where, second)
    assert httpx.get(f"{url}/version").text == "v2"  # new requests: at once on v2
    started = time.monotonic()
    provider.retire(where, first)  # drains: waits for the five slow requests
    waited = time.monotonic() - started
    for thread in threads:
        thread.join(10)
    assert results == [(200, "v1")] * 5
    assert waited > 0.5, "retire stopped v1 before its requests in flight had finished"


def test_a_kept_alive_connection_keeps_working_across_a_switch(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    where = target()
    first = deploy(provider, tmp_path, "v1")
    router = running_router(provider.home(where))
    assert router is not None
    connection = http.client.HTTPConnection("127.0.0.1", router.port, timeout=10)

    def get() -> str:
        connection.request("GET", "/version")
        answer = connection.getresponse()
        assert answer.status == 200
        assert answer.getheader("Connection", "keep-alive").lower() != "close"
        return answer.read().decode()

    assert get() == "v1"
    assert connection.sock is not None
    local = connection.sock.getsockname()
    second = deploy(provider, tmp_path, "v2")
    assert get() == "v2"
    provider.retire(where, first)
    assert get() == "v2"
    provider.switch(where, first)  # a rollback, on the same connection too
    assert get() == "v1"
    assert connection.sock is not None and connection.sock.getsockname() == local
    connection.close()
    assert provider.live(where) == first and second in provider.versions(where)


def test_bodies_stream_both_ways_through_the_router(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    deploy(provider, tmp_path, "v1")
    url = router_url(provider)

    async def exchange() -> tuple[list[bytes], float, float]:
        echoed = asyncio.Event()
        parts = [b"first part|", b"second part|"]

        async def body():  # type: ignore[no-untyped-def]
            yield parts[0]
            # the second part is sent only once the first came back: the router must
            # pass the request body on as it arrives, and the answer back as it comes
            await asyncio.wait_for(echoed.wait(), 10)
            yield parts[1]

        received: list[bytes] = []
        async with aiohttp.ClientSession() as session:
            async with session.post(f"{url}/echo", data=body()) as answer:
                buffer = b""
                async for chunk in answer.content.iter_any():
                    buffer += chunk
                    if parts[0] in buffer:
                        echoed.set()
                    received.append(chunk)
            started = time.monotonic()
            first_line_at = 0.0
            async with session.get(f"{url}/stream?n=4&delay=0.4") as answer:
                async for _line in answer.content:
                    if not first_line_at:
                        first_line_at = time.monotonic() - started
                ended_at = time.monotonic() - started
        return received, first_line_at, ended_at

    received, first_line_at, ended_at = asyncio.run(exchange())
    assert b"".join(received) == b"first part|second part|\nv1"
    assert ended_at > 1.2
    assert first_line_at < 0.6, "the router held the streamed answer back"


def test_the_routing_survives_a_router_restart_and_a_new_conveyor_process(
    provider: ProcessProvider, state_dir: Path, tmp_path: Path
) -> None:
    where = target()
    deploy(provider, tmp_path, "v1")
    second = deploy(provider, tmp_path, "v2")
    router = running_router(provider.home(where))
    assert router is not None
    url = f"http://127.0.0.1:{router.port}"
    os.kill(router.pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while identity(router.pid) is not None:
        assert time.monotonic() < deadline
        time.sleep(0.02)
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/version")

    # another conveyor process brings the router back (conveyor router start)
    script = (
        "import sys; from pathlib import Path; "
        "from conveyor.providers.process import start_all; "
        "[print(home.read().live, url) for home, url in start_all(Path(sys.argv[1]))]"
    )
    out = subprocess.run(
        [sys.executable, "-c", script, str(state_dir)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    assert out == [second, url]  # same port as before
    assert httpx.get(f"{url}/version").text == "v2"
    restarted = running_router(provider.home(where))
    assert restarted is not None and restarted.pid != router.pid


def test_start_all_starts_the_live_version_again_as_it_was_deployed(
    provider: ProcessProvider, state_dir: Path, tmp_path: Path
) -> None:
    where = target()
    live = deploy(provider, tmp_path, "v1", env={"GREETING": "hello"})
    other = provider.publish(where, provider.stage(where, artifact(tmp_path, "v2")))
    url = router_url(provider)
    assert stop_all(state_dir) == 3  # the router, v1 and v2
    assert marked_processes(state_dir) == []
    assert provider.live(where) == live  # the state stays
    assert start_all(state_dir, app="web", environment="prod") == []  # nothing there
    started = start_all(state_dir)
    assert [(home.app, home.environment, found) for home, found in started] == [("web", "dev", url)]
    assert httpx.get(f"{url}/version").text == "v1"
    # started with the settings it was staged with, not today's
    pid = pid_of(provider, live)
    environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    assert b"GREETING=hello" in environ
    assert pid_of(provider, other) == 0  # only the live version comes back


def test_a_retired_version_is_started_again_by_a_rollback(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    where = target()
    first = deploy(provider, tmp_path, "v1")
    deploy(provider, tmp_path, "v2")
    provider.retire(where, first)
    provider.switch(where, first)
    assert httpx.get(f"{router_url(provider)}/version").text == "v1"
    assert pid_of(provider, first) > 0


def test_a_failed_readiness_check_fails_stage_and_leaves_nothing_running(
    provider: ProcessProvider, state_dir: Path, tmp_path: Path
) -> None:
    where = target(**{"start-timeout": "1s"})
    with pytest.raises(ProviderError) as failed:
        provider.stage(where, artifact(tmp_path, "sick", unhealthy=True))
    message = str(failed.value)
    assert "was not ready within 1s: GET /healthz answered 503" in message
    assert "version sick on port" in message  # the app's own output, to see why
    assert marked_processes(state_dir) == []
    assert provider.home(where).read().versions == {}

    with pytest.raises(ProviderError) as crashed:
        provider.stage(where, artifact(tmp_path, "crash", crash=True))
    assert "exited (code 3) before it was ready" in str(crashed.value)
    assert "crashing on purpose" in str(crashed.value)
    assert marked_processes(state_dir) == []
    assert provider.versions(where) == []


def test_stop_all_leaves_no_process_behind(
    provider: ProcessProvider, state_dir: Path, tmp_path: Path
) -> None:
    where = target()
    deploy(provider, tmp_path, "v1")
    deploy(provider, tmp_path, "v2")
    staged = provider.stage(where, artifact(tmp_path, "v3"))
    running = marked_processes(state_dir)
    assert len(running) == 4  # the router, v1, v2 and the staged v3
    assert stop_all(state_dir, app="web", environment="prod") == 0  # another target
    assert stop_all(state_dir, app="web") == 4
    assert marked_processes(state_dir) == []
    assert all(identity(pid) is None for pid in running)
    assert staged.handle in provider.home(where).read().versions


def test_environments_have_routers_of_their_own(provider: ProcessProvider, tmp_path: Path) -> None:
    dev, prod = target("dev"), target("prod")
    for where, version in ((dev, "d1"), (prod, "p1")):
        staged = provider.stage(where, artifact(tmp_path, version))
        provider.switch(where, provider.publish(where, staged))
    dev_url, prod_url = provider.endpoint(dev), provider.endpoint(prod)
    assert dev_url != prod_url
    assert httpx.get(f"{dev_url}/version").text == "d1"
    assert httpx.get(f"{prod_url}/version").text == "p1"


def test_the_router_listens_on_the_port_the_settings_give(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    from conveyor.providers.pids import free_port

    port = free_port()
    where = target(port={"dev": port})
    staged = provider.stage(where, artifact(tmp_path, "v1"))
    provider.switch(where, provider.publish(where, staged))
    assert provider.endpoint(where) == f"http://127.0.0.1:{port}"
    assert httpx.get(f"http://127.0.0.1:{port}/version").text == "v1"


def test_a_router_port_in_use_is_a_clear_error(provider: ProcessProvider, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        where = target(port=taken.getsockname()[1])
        staged = provider.stage(where, artifact(tmp_path, "v1"))
        with pytest.raises(ProviderError, match="did not start") as failed:
            provider.switch(where, provider.publish(where, staged))
        assert "cannot listen on" in str(failed.value)


def test_settings_problems_are_config_errors_naming_the_key(provider: ProcessProvider) -> None:
    with pytest.raises(ConfigError, match=r"apps\.web\.command: missing required key"):
        provider.check(_without_command())
    with pytest.raises(ConfigError, match=r"apps\.web\.port: 70000 is not a port"):
        provider.check(target(port=70000))
    with pytest.raises(ConfigError, match=r"apps\.web\.health: 'healthz' is not a path"):
        provider.check(target(health="healthz"))
    with pytest.raises(ConfigError, match=r"apps\.web\.colour: unknown key"):
        provider.check(target(colour="blue"))


def _without_command() -> Target:
    where = target()
    options = dict(where.options)
    del options["command"]
    return where.__class__(app=where.app, environment=where.environment, options=options)


def test_the_version_gets_its_port_and_names_in_its_environment(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    folder = tmp_path / "printenv"
    folder.mkdir()
    script = (
        "import os, sys; "
        "open('env.txt', 'w').write(' '.join(os.environ.get(k, '-') for k in "
        "('PORT', 'CONVEYOR_APP', 'CONVEYOR_ENVIRONMENT', 'CONVEYOR_VERSION', 'GREETING', "
        "'CONVEYOR_SECRET_TOKEN'))); "
        "import http.server as h; h.HTTPServer(('127.0.0.1', int(sys.argv[1])), "
        "h.SimpleHTTPRequestHandler).serve_forever()"
    )
    (folder / "serve.py").write_text(script, encoding="utf-8")
    ref = artifact(tmp_path, "env1")
    ref = dataclasses.replace(ref, location=str(folder))
    where = target(command=f"{sys.executable} serve.py $PORT", health=None, env={"GREETING": "hi"})
    os.environ["CONVEYOR_SECRET_TOKEN"] = "s3cr3t"
    try:
        staged = provider.stage(where, ref)
    finally:
        del os.environ["CONVEYOR_SECRET_TOKEN"]
    assert isinstance(staged, Staged)
    port = staged.endpoint.rsplit(":", 1)[1]
    env_file = provider.home(where).version_dir(staged.handle) / "files" / "env.txt"
    assert env_file.read_text() == f"{port} web dev env1 hi -"


def test_the_router_passes_statuses_headers_and_large_bodies_through(
    provider: ProcessProvider, tmp_path: Path
) -> None:
    where = target()
    live = deploy(provider, tmp_path, "v1")
    url = router_url(provider)
    assert httpx.get(f"{url}/missing").status_code == 404
    head = httpx.head(f"{url}/version")
    assert (head.status_code, head.headers["content-length"], head.content) == (200, "2", b"")
    seen = httpx.get(f"{url}/headers", headers={"X-Custom": "kept", "Cookie": "a=b"}).json()
    assert seen["X-Custom"] == "kept"
    assert seen["Cookie"] == "a=b"
    assert seen["X-Forwarded-For"] == "127.0.0.1"
    assert seen["X-Forwarded-Proto"] == "http"
    assert seen["Host"] == url.removeprefix("http://")  # the host the client asked for
    body = os.urandom(5 * 1024 * 1024)
    echoed = httpx.post(f"{url}/echo", content=iter([body[:1000], body[1000:]]), timeout=60)
    assert echoed.content == body + b"\nv1"

    # the live version dies: the router says so (502), and nothing else breaks
    os.kill(pid_of(provider, live), signal.SIGKILL)
    failed = httpx.get(f"{url}/version")
    assert failed.status_code == 502
    assert f"version {live} of web did not answer" in failed.text
    provider.switch(where, live)  # starts it again
    assert httpx.get(f"{url}/version").text == "v1"


def test_the_router_says_when_nothing_is_live(provider: ProcessProvider, state_dir: Path) -> None:
    from conveyor.providers.control import ensure_router
    from conveyor.providers.pids import free_port

    home = provider.home(target())
    with home.edit() as routing:
        routing.port = free_port()
    info = ensure_router(home, "127.0.0.1", routing.port)
    answer = httpx.get(f"http://127.0.0.1:{info.port}/anything")
    assert (answer.status_code, answer.text) == (503, "web has no live version in dev\n")
    assert call(info, "GET", "/status")["live"] is None
    forged = httpx.get(f"http://127.0.0.1:{info.control_port}/status")
    assert forged.status_code == 403  # commands need the token in router.json
