"""The static provider locally: a real site server process with TEST and APP listeners
over versioned content, switched through site.json, the API URL written into the index."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from providers_helpers import marked_processes

from conveyor.cli.main import main
from conveyor.delivery.ports import ArtifactRef, Probe, ProviderError, Target
from conveyor.errors import ConfigError
from conveyor.providers.pids import identity
from conveyor.providers.static import StaticProvider, inject_api_url, start_sites, stop_sites

INDEX = "<html><head><title>shop</title></head><body>{version}</body></html>"


def site(base: Path, version: str) -> ArtifactRef:
    folder = base / "builds" / version
    (folder / "assets").mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(INDEX.format(version=version))
    (folder / "assets" / "app.js").write_text(f"console.log({version!r})")
    return ArtifactRef(
        app="shop", version=version, digest=f"sha256:{version}", kind="files", location=str(folder)
    )


def shop(environment: str = "dev", **options: object) -> Target:
    settings: dict[str, object] = {"api-url": {"dev": "http://api.dev.example/v1"}, "spa": True}
    settings.update(options)
    return Target(app="shop", environment=environment, options=settings)


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[StaticProvider]:
    state = tmp_path / "state"
    state.mkdir()
    yield StaticProvider(state)
    stop_sites(state)
    assert not marked_processes(state), "site servers left behind"


def test_stage_on_test_switch_app_and_roll_back(sites: StaticProvider, tmp_path: Path) -> None:
    where = shop()
    sites.check(where)
    assert sites.live(where) is None and sites.versions(where) == []
    first = sites.stage(where, site(tmp_path, "v1"))
    assert first.endpoint == sites.test_endpoint(where)
    page = httpx.get(f"{first.endpoint}/")
    assert page.status_code == 200 and page.headers["X-Conveyor-Version"] == "v1"
    assert page.headers["Cache-Control"] == "no-cache"
    # the seeds' injection, before </head>
    assert '<script>window.API_URL = "http://api.dev.example/v1";</script></head>' in page.text
    assert sites.probe(where, first, Probe(path="/assets/app.js")).body == "console.log('v1')"
    assert httpx.get(f"{first.endpoint}/checkout/basket").text == page.text  # spa route
    assert httpx.get(f"{first.endpoint}/missing.png").status_code == 404
    assert httpx.get(f"{first.endpoint}/../../site.json").status_code == 404
    app = sites.endpoint(where)
    assert app is not None
    assert httpx.get(app).status_code == 503  # nothing live yet: users see nothing

    assert sites.publish(where, first) == "v1"
    sites.switch(where, "v1")
    assert httpx.get(app).headers["X-Conveyor-Version"] == "v1"

    second = sites.stage(where, site(tmp_path, "v2"))
    # TEST shows v2, users still see v1
    assert httpx.get(second.endpoint).headers["X-Conveyor-Version"] == "v2"
    assert "v1</body>" in httpx.get(app).text
    sites.publish(where, second)
    sites.switch(where, "v2")
    assert "v2</body>" in httpx.get(app).text
    assert sites.live(where) == "v2" and sites.versions(where) == ["v1", "v2"]
    sites.retire(where, "v1")  # files stay
    with pytest.raises(ProviderError, match="is live"):
        sites.retire(where, "v2")

    sites.switch(where, "v1")  # a rollback: APP back to the previous version
    assert "v1</body>" in httpx.get(app).text and sites.live(where) == "v1"
    with pytest.raises(ProviderError, match="no published version 'v9'"):
        sites.switch(where, "v9")


def test_a_discarded_version_leaves_app_and_test_shows_it_again(
    sites: StaticProvider, tmp_path: Path
) -> None:
    where = shop()
    live = sites.stage(where, site(tmp_path, "v1"))
    sites.publish(where, live)
    sites.switch(where, "v1")
    bad = sites.stage(where, site(tmp_path, "v2"))
    assert httpx.get(bad.endpoint).headers["X-Conveyor-Version"] == "v2"
    sites.discard(where, bad)
    assert httpx.get(bad.endpoint).headers["X-Conveyor-Version"] == "v1"
    assert not (sites.state_dir / "sites" / "shop" / "dev" / "versions" / "v2").exists()
    assert sites.versions(where) == ["v1"]


def test_the_server_comes_back_on_its_ports_after_a_stop(
    sites: StaticProvider, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    where = shop()
    sites.publish(where, sites.stage(where, site(tmp_path, "v1")))
    sites.switch(where, "v1")
    app = sites.endpoint(where)
    state = ["--state-dir", str(sites.state_dir)]
    assert main(["router", "stop", *state]) == 0  # conveyor router stop/start cover sites
    assert "stopped 1 process" in capsys.readouterr().out
    with pytest.raises(httpx.HTTPError):
        httpx.get(str(app))
    assert main(["router", "start", *state]) == 0
    assert f"shop in dev: {app} (live: v1)" in capsys.readouterr().out
    assert httpx.get(str(app)).headers["X-Conveyor-Version"] == "v1"
    info = (sites.state_dir / "sites" / "shop" / "dev" / "server.json").read_text()
    assert identity(int(info.split('"pid":')[1].split(",")[0]))
    ((_, url),) = start_sites(sites.state_dir)  # running already: nothing restarted
    assert url == app


def test_settings_are_checked(sites: StaticProvider) -> None:
    with pytest.raises(ConfigError, match=r"apps.shop.api-url-variable: 'x-y' is not"):
        sites.check(shop(**{"api-url-variable": "x-y"}))
    with pytest.raises(ConfigError, match="also set region, distribution, test-distribution"):
        sites.check(shop(bucket="site"))
    with pytest.raises(ConfigError, match=r"apps\.shop\.colour: unknown key"):
        sites.check(shop(colour="red"))
    with pytest.raises(ProviderError, match="both 8123"):
        sites.stage(shop(port=8123, **{"test-port": 8123}), site(Path(sites.state_dir), "v1"))


def test_the_api_url_cannot_end_the_script() -> None:
    html = inject_api_url("<head></head>", "API", "x</script><script>alert(1)")
    assert html == '<head><script>window.API = "x<\\/script><script>alert(1)";</script></head>'
    assert inject_api_url("<p>no head</p>", "A", "u").startswith('<script>window.A = "u";')
