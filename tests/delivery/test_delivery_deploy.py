"""conveyor/deploy@v1, conveyor rollback and rollback-on with the process provider: real
app processes behind the real router, the real history database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from delivery_helpers import Project, make_project
from deploy_helpers import Webhook, app_config, get, write_app

from conveyor.actions import deploy_action, publish_action
from conveyor.actions.delivery_wiring import rollback_sink
from conveyor.cli.main import main
from conveyor.delivery.ports import Target
from conveyor.engine.events import JobFinished, JobStarted, RunFinished
from conveyor.engine.ports import ActionResult
from conveyor.engine.status import Conclusion
from conveyor.providers.process import ProcessProvider, stop_all
from conveyor.store.deliveries import (
    LIVE,
    ROLLBACK,
    ROLLED_BACK,
    SMOKE_FAILED,
    SUPERSEDED,
    DeliveryStore,
    Deployment,
)


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    with Webhook().running() as hook:
        yield hook


@pytest.fixture
def shop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, webhook: Webhook) -> Iterator[Project]:
    config = app_config() + f'\n[notify.webhook]\nurl = "{webhook.url}"\n'
    monkeypatch.setenv("CONVEYOR_REPOSITORY", "github.com/acme/widgets")
    with make_project(tmp_path, monkeypatch, config=config) as project:
        try:
            yield project
        finally:
            stop_all(project.state_dir)


def _publish(project: Project, version: str, *, broken: bool = False) -> dict[str, str]:
    write_app(project.root / "dist", version, broken=broken)
    result = publish_action.run(
        project.context({"app": "web", "path": "dist", "version": version}, job_key="build")
    )
    assert result.ok, project.output.text
    return result.outputs


def _deploy(project: Project, version: str, env: str = "dev", **inputs: str) -> ActionResult:
    context = project.context(
        {"app": "web", "version": version, **inputs}, env={"CONVEYOR_ENVIRONMENT": env}
    )
    return deploy_action.run(context)


def _url(project: Project, env: str = "dev") -> str:
    url = ProcessProvider(project.state_dir).endpoint(Target("web", env, {}))
    assert url is not None
    return url


def _history(project: Project, env: str = "dev") -> list[Deployment]:
    with DeliveryStore(project.state_dir) as db:
        repo = db.run_repository(project.run_id)
        assert repo is not None
        return db.deployments(repo, environment=env, app="web")


def test_deploy_stages_smokes_publishes_switches_and_records(shop: Project) -> None:
    built = _publish(shop, "v1")
    first = _deploy(shop, "v1", smoke="GET /healthz 200 ok\nGET / 200 v1")
    assert first.ok, shop.output.text
    assert first.outputs["status"] == "live" and first.outputs["previous-version"] == ""
    url = first.outputs["url"]
    assert url == _url(shop) and get(url) == "v1"
    _publish(shop, "v2")
    second = _deploy(shop, "v2", smoke='test "$(curl -s "$DEPLOY_URL/version")" = v2')
    assert second.ok, shop.output.text
    assert get(_url(shop)) == "v2"
    new, old = _history(shop)
    assert (new.version, new.status, new.previous_version, new.previous_id) == (
        "v2", LIVE, "v1", old.id,
    )  # fmt: skip
    assert old.status == SUPERSEDED and old.digest == built["digest"]
    assert new.run_id == shop.run_id and new.job_key == "deploy" and new.provider == "process"
    assert new.provider_version and new.switched_at and new.ended_at
    assert new.started_at <= new.switched_at <= new.ended_at
    assert new.approvals == [] and new.schema_revision == ""
    # the old version was retired once the new one was verified: only v2 runs
    assert ProcessProvider(shop.state_dir).live(Target("web", "dev", {})) == new.provider_version


def test_a_failed_smoke_leaves_the_alias_and_fails(shop: Project) -> None:
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2", broken=True)
    result = _deploy(shop, "v2", smoke="GET /broken 200")
    assert not result.ok
    assert "smoke failed: 'GET /broken 200': status 500, expected 200: broken v2" in result.message
    assert "the alias stays on v1" in result.message
    assert get(_url(shop)) == "v1"
    failed, live = _history(shop)
    assert (failed.version, failed.status) == ("v2", SMOKE_FAILED)
    assert failed.reason.startswith("smoke failed") and failed.switched_at is None
    assert live.status == LIVE and live.version == "v1"


def test_a_failed_verify_rolls_back_and_notifies(shop: Project, webhook: Webhook) -> None:
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2", broken=True)
    result = _deploy(shop, "v2", verify="GET /version 200 v2\nGET /broken 200")
    assert not result.ok
    assert "verify failed: 'GET /broken 200'" in result.message
    assert "rolled back to v1" in result.message
    assert get(_url(shop)) == "v1"
    restored, bad, first = _history(shop)
    assert (restored.version, restored.action, restored.status) == ("v1", ROLLBACK, LIVE)
    assert (bad.version, bad.status) == ("v2", ROLLED_BACK)
    assert bad.reason.startswith("verify failed") and bad.rolled_back_at is not None
    assert first.status == SUPERSEDED
    (note,) = webhook.received
    assert note["event"] == "rollback" and note["environment"] == "dev"
    assert note["rolled_back"]["version"] == "v2" and note["live"]["version"] == "v1"
    assert "verify failed" in note["reason"]


def test_manual_rollback_and_never_behind_a_migration(
    shop: Project, capsys: pytest.CaptureFixture[str]
) -> None:
    for version in ("v1", "v2", "v3"):
        _publish(shop, version)
        assert _deploy(shop, version).ok, shop.output.text
    state = ["--state-dir", str(shop.state_dir), "--config", str(shop.root / "conveyor.toml")]
    assert main(["rollback", "--app", "web", "--env", "dev", *state]) == 0
    assert "rolled back web in dev: v3 -> v2" in capsys.readouterr().out
    assert get(_url(shop)) == "v2"
    assert main(["rollback", "--app", "web", "--env", "dev", "--to", "v1", *state]) == 0
    assert get(_url(shop)) == "v1"
    # v3 was deployed before any migration; the database moves on
    with DeliveryStore(shop.state_dir) as db:
        repo = db.run_repository(shop.run_id)
        assert repo is not None
        db.record_schema_revision(repo, "dev", "0002", run_id=shop.run_id)
    assert main(["rollback", "--app", "web", "--env", "dev", "--to", "v3", *state]) == 1
    err = capsys.readouterr().err
    assert "refused: version v3 was deployed at schema revision none recorded" in err
    assert "database is now at 0002" in err and "--force" in err
    assert get(_url(shop)) == "v1"
    assert main(["rollback", "--app", "web", "--env", "dev", "--to", "v3", "--force", *state]) == 0
    assert get(_url(shop)) == "v3"
    latest = _history(shop)[0]
    assert latest.action == ROLLBACK and "forced past" in latest.reason
    assert latest.schema_revision == "0002"
    # the history shows it all
    assert main(["deployments", "--env", "dev", "--state-dir", str(shop.state_dir)]) == 0
    out = capsys.readouterr().out
    assert "live:" in out and "history:" in out and "rolled_back" in out


def test_rollback_on_a_later_job_failure(shop: Project, webhook: Webhook) -> None:
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2")
    assert _deploy(shop, "v2", **{"rollback-on": "e2e, smoke-tests"}).ok
    sink = rollback_sink(shop.root, shop.state_dir)
    run = shop.run_id
    # another job's failure, or a named job's success, changes nothing
    sink.emit(JobStarted(run, "lint", "lint", "lint"))
    sink.emit(JobFinished(run, "lint", Conclusion.FAILURE, 1.0, 2.0))
    sink.emit(JobStarted(run, "smoke-tests", "smoke-tests", "smoke"))
    sink.emit(JobFinished(run, "smoke-tests", Conclusion.SUCCESS, 1.0, 2.0))
    assert get(_url(shop)) == "v2"
    sink.emit(JobStarted(run, "e2e (chrome)", "e2e", "e2e"))
    sink.emit(JobFinished(run, "e2e (chrome)", Conclusion.FAILURE, 1.0, 2.0, note="3 failed"))
    assert get(_url(shop)) == "v1"  # the old version was retired: it started again
    restored, bad, _ = _history(shop)
    assert restored.version == "v1" and restored.status == LIVE
    assert bad.status == ROLLED_BACK
    assert bad.reason == f"job e2e (chrome) of run {run} failed: 3 failed (rollback-on)"
    assert [n["rolled_back"]["version"] for n in webhook.received] == ["v2"]


def test_a_named_job_that_failed_beside_the_deploy_rolls_back_when_the_deploy_ends(
    shop: Project, webhook: Webhook
) -> None:
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2")
    sink = rollback_sink(shop.root, shop.state_dir)
    run = shop.run_id
    sink.emit(JobStarted(run, "deploy", "deploy", "deploy"))
    # e2e runs beside the deploy (no needs: on it) and fails before v2 goes live
    sink.emit(JobStarted(run, "e2e", "e2e", "e2e"))
    sink.emit(JobFinished(run, "e2e", Conclusion.FAILURE, 1.0, 2.0, note="1 failed"))
    assert _deploy(shop, "v2", **{"rollback-on": "e2e"}).ok
    assert get(_url(shop)) == "v2"
    sink.emit(JobFinished(run, "deploy", Conclusion.SUCCESS, 1.0, 3.0))
    assert get(_url(shop)) == "v1"
    restored, bad, _ = _history(shop)
    assert restored.version == "v1" and bad.status == ROLLED_BACK
    assert bad.reason == f"job e2e of run {run} failed: 1 failed (rollback-on)"
    # a failure of a run that has ended is forgotten: a later deploy stays
    sink.emit(RunFinished(run, Conclusion.FAILURE, 3.0))
    assert _deploy(shop, "v2", **{"rollback-on": "e2e"}).ok
    sink.emit(JobFinished(run, "deploy", Conclusion.SUCCESS, 1.0, 4.0))
    assert get(_url(shop)) == "v2"


def test_one_deployment_at_a_time_per_environment_and_app(shop: Project) -> None:
    _publish(shop, "v1")
    other = shop.run_id
    holder = shop.new_run()
    with DeliveryStore(shop.state_dir) as db:
        repo = db.run_repository(holder)
        assert repo is not None
        assert db.acquire_lock(repo, "dev", "web", holder, "deploy") is None
    shop.run_id = other
    result = _deploy(shop, "v1", **{"lock-timeout": "1s"})
    assert not result.ok
    assert f"a deployment of web to dev is in progress (run {holder}, job deploy" in result.message
    assert "after waiting 1s" in result.message
    assert _history(shop) == []  # nothing deployed
    assert _deploy(shop, "v1", environment="staging").ok  # another environment is free


def test_a_failed_schema_gate_blocks_the_deploy_even_when_continued(shop: Project) -> None:
    _publish(shop, "v1")
    with DeliveryStore(shop.state_dir) as db:
        db.record_gate(
            shop.run_id, "gate", environment="production", gate="schema", passed=False,
            detail="1 pending migration(s)",
        )  # fmt: skip
    result = _deploy(shop, "v1", env="production")
    assert not result.ok
    assert "refused: a blocking gate of this run failed for production" in result.message
    assert "1 pending migration(s)" in result.message
    assert _history(shop, "production") == []
    assert _deploy(shop, "v1", env="dev").ok  # the gate was for production only


@pytest.mark.parametrize(
    ("inputs", "env", "message"),
    [
        ({"app": "nope"}, "dev", "unknown app 'nope' (known apps: web)"),
        ({}, "qa", "unknown environment 'qa' (known environments: dev, production, staging)"),
        ({"version": "v9"}, "dev", "no build 'v9' of app 'web'"),
        ({"digest": "sha256:" + "0" * 64}, "dev", "refusing it"),
        ({"smoke": "GET /x", "lock-timeout": "soon"}, "dev", "is not a duration"),
    ],
)
def test_bad_input_deploys_nothing(
    shop: Project, inputs: dict[str, str], env: str, message: str
) -> None:
    _publish(shop, "v1")
    context = shop.context(
        {"app": "web", "version": "v1", **inputs}, env={"CONVEYOR_ENVIRONMENT": env}
    )
    result = deploy_action.run(context)
    assert not result.ok and message in result.message
    if "unknown" in message:
        assert f"{shop.root / 'conveyor.toml'}:" in result.message
    assert _history(shop, env) == []


def test_an_automatic_rollback_never_goes_behind_a_migration(shop: Project) -> None:
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    with DeliveryStore(shop.state_dir) as db:
        repo = db.run_repository(shop.run_id)
        assert repo is not None
        db.record_schema_revision(repo, "dev", "0002", run_id=shop.run_id)  # migrate@v1
    _publish(shop, "v2", broken=True)
    result = _deploy(shop, "v2", verify="GET /broken 200")
    assert not result.ok
    assert "verify failed" in result.message and "it stays live, not rolled back" in result.message
    assert "v1 was deployed at schema revision none recorded" in result.message
    assert get(_url(shop)) == "v2"
    live, first = _history(shop)
    assert (live.version, live.status, live.schema_revision) == ("v2", LIVE, "0002")
    assert "not rolled back" in live.reason
    assert first.status == SUPERSEDED


def test_reasons_are_stored_and_sent_masked(shop: Project, webhook: Webhook) -> None:
    secret = "s3cr3t-t0ken-value"
    shop.masker.add(secret)
    _publish(shop, "v1")
    assert _deploy(shop, "v1").ok
    _publish(shop, "v2")
    smoke = f'test "$(curl -s "$DEPLOY_URL/version")" = "{secret}"'
    failed = _deploy(shop, "v2", smoke=smoke)
    assert not failed.ok and secret not in failed.message
    verify = f"GET /{secret} 200"
    rolled = _deploy(shop, "v2", verify=verify)
    assert not rolled.ok and "rolled back to v1" in rolled.message
    rows = _history(shop)
    assert all(secret not in (d.reason or "") for d in rows)
    assert any("***" in d.reason for d in rows if d.status == SMOKE_FAILED)
    assert webhook.received and secret not in str(webhook.received)
