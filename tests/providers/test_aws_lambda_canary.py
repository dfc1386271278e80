"""Canaries of the aws-lambda provider against a real moto server process: the alias's
RoutingConfig (AdditionalVersionWeights) per step, CloudWatch metrics per executed
version read with GetMetricData, and the canary procedure's decisions -- abort (the
weights cleared, the alias on the stable version) and promotion (the alias on the canary,
no weights). moto's invoke ignores the weights, so what is tested is the control plane
and the decisions, with metrics put into moto's CloudWatch as Lambda would publish them.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from test_aws_lambda import REGION, code, lambda_client, target_for

from conveyor.delivery.analysis import Reader, Versions, analyse
from conveyor.delivery.canary import deploy_canary
from conveyor.delivery.canary_plan import Analysis, make_plan
from conveyor.delivery.deploy import DeployRequest, deploy
from conveyor.delivery.ports import CanaryProvider, Pin, ProviderError
from conveyor.delivery.rollback import DeliveryError
from conveyor.engine.ports import NewRun
from conveyor.providers.aws_lambda import LambdaProvider, zip_tree
from conveyor.store import SqlRunStore
from conveyor.store.canaries import ABORTED, PROMOTED, CanaryStore

pytestmark = pytest.mark.usefixtures("aws_env")


@pytest.fixture
def function(moto_server: str, tmp_path: Path) -> str:
    """A new function ``<name>-dev`` holding a first code; its name without ``-dev``."""
    name = f"api{uuid.uuid4().hex[:8]}"
    iam = boto3.client("iam", region_name=REGION, endpoint_url=moto_server)
    role = iam.create_role(RoleName=f"role-{name}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambda_client(moto_server).create_function(
        FunctionName=f"{name}-dev", Runtime="python3.12", Role=role, Handler="handler.handler",
        Code={"ZipFile": zip_tree(Path(code(tmp_path, "v0").location))},
    )  # fmt: skip
    return name


def put_metrics(url: str, name: str, version: str, *, calls: int, errors: int,
                seconds: range, alias: str = "live") -> None:  # fmt: skip
    """What Lambda publishes per invocation of an alias, per second from now."""
    cloudwatch = boto3.client("cloudwatch", region_name=REGION, endpoint_url=url)
    dimensions = [
        {"Name": "FunctionName", "Value": name},
        {"Name": "Resource", "Value": f"{name}:{alias}"},
        {"Name": "ExecutedVersion", "Value": version},
    ]
    now = time.time()
    data: list[dict[str, Any]] = []
    for second in seconds:
        stamp = datetime.fromtimestamp(now + second, UTC)
        data.append({"MetricName": "Invocations", "Dimensions": dimensions, "Timestamp": stamp,
                     "Value": calls, "Unit": "Count"})  # fmt: skip
        data.append({"MetricName": "Errors", "Dimensions": dimensions, "Timestamp": stamp,
                     "Value": errors, "Unit": "Count"})  # fmt: skip
    for start in range(0, len(data), 500):
        cloudwatch.put_metric_data(Namespace="AWS/Lambda", MetricData=data[start : start + 500])


def routing(url: str, name: str) -> tuple[str, dict[str, float]]:
    alias = lambda_client(url).get_alias(FunctionName=name, Name="live")
    weights = (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
    return alias["FunctionVersion"], weights


def test_weights_on_the_alias_and_traffic_from_cloudwatch(
    moto_server: str,
    function: str,
    tmp_path: Path,
) -> None:
    provider = LambdaProvider()
    assert isinstance(provider, CanaryProvider)
    where = target_for(moto_server, function)
    name = f"{function}-dev"
    stable = provider.publish(where, provider.stage(where, code(tmp_path, "v1")))
    provider.switch(where, stable)
    canary = provider.publish(where, provider.stage(where, code(tmp_path, "v2")))
    provider.set_weight(where, stable, canary, 10, Pin(header="X-User"))  # pin: ignored
    assert routing(moto_server, name) == (stable, {canary: 0.1})
    provider.set_weight(where, stable, canary, 35)
    assert routing(moto_server, name) == (stable, {canary: 0.35})
    with pytest.raises(ProviderError, match=f"points at version {stable}, not {canary}"):
        provider.set_weight(where, canary, stable, 10)

    began = time.time()
    put_metrics(moto_server, name, stable, calls=90, errors=0, seconds=range(0, 4))
    put_metrics(moto_server, name, canary, calls=10, errors=2, seconds=range(0, 4))
    found = provider.traffic(where, [canary, stable], began - 1, began + 5, 6)
    assert sum(b.requests for b in found[stable]) == 360
    assert sum(b.errors for b in found[stable]) == 0
    assert (sum(b.requests for b in found[canary]), sum(b.errors for b in found[canary])) == (
        40, 8,
    )  # fmt: skip
    analysis = Analysis.model_validate(
        {"metrics": [{"name": "errors", "source": "cloudwatch", "metric": "error-rate",
                      "success": "< 0.05"},
                     {"name": "p95", "source": "cloudwatch", "metric": "latency-p95",
                      "success": "< 500"}],
         "buckets": 6}
    )  # fmt: skip
    reader = Reader(provider, where, Versions(stable, "v1", canary, "v2"))
    errors, p95 = analyse(reader, analysis, began - 1, began + 5)
    assert errors.verdict == "fail" and errors.canary_value == pytest.approx(0.2)
    assert errors.stable_value == 0
    # moto's GetMetricData has no percentiles: no latency data is inconclusive, not a pass
    assert p95.verdict == "inconclusive"

    provider.switch(where, canary)  # the promotion clears the weights
    assert routing(moto_server, name) == (canary, {})


def _store(state: Path) -> tuple[CanaryStore, int, int]:
    runs = SqlRunStore(state)
    run_id, _ = runs.begin_run(
        NewRun(workflow_path="deploy.yml", workflow_name="deploy", event="push",
               ref="refs/heads/main", sha="0" * 40, repository="acme/api", pid=os.getpid(),
               repository_key="github.com/acme/api")
    )  # fmt: skip
    runs.close()
    store = CanaryStore(state)
    repository = store.run_repository(run_id)
    assert repository is not None
    return store, repository, run_id


@pytest.mark.parametrize("errors", [0, 3])
def test_the_canary_procedure_decides_on_cloudwatch_metrics(
    moto_server: str,
    function: str,
    tmp_path: Path,
    errors: int,
) -> None:
    provider = LambdaProvider()
    where = target_for(moto_server, function)
    name = f"{function}-dev"
    store, repository, run_id = _store(tmp_path / "state")

    def request(version: str) -> DeployRequest:
        return DeployRequest(target=where, provider_name="aws-lambda",
                             artifact=code(tmp_path, version), repository_id=repository,
                             run_id=run_id, job_key="deploy")  # fmt: skip

    lines: list[str] = []
    deploy(store, provider, request("v1"), log=lines.append, cancel=threading.Event())
    stable = provider.live(where)
    assert stable is not None
    upcoming = str(int(stable) + 1)  # moto numbers versions in order
    put_metrics(moto_server, name, stable, calls=50, errors=0, seconds=range(-2, 30))
    put_metrics(moto_server, name, upcoming, calls=10, errors=errors, seconds=range(-2, 30))
    plan = make_plan(
        [{"weight": 10}, {"pause": "3s"}, {"weight": 50}, {"pause": "2s"}, {"weight": 100}],
        {"metrics": [{"name": "errors", "source": "cloudwatch", "metric": "error-rate",
                      "success": "< 0.05", "failure-limit": 1}],
         "interval": "1s", "buckets": 1, "warmup": "0.5s"},
    )  # fmt: skip
    seen: list[tuple[str, dict[str, float]]] = []
    watching = threading.Event()

    def watch() -> None:
        while not watching.is_set():
            seen.append(routing(moto_server, name))
            watching.wait(0.2)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    try:
        if errors:
            with pytest.raises(DeliveryError, match="canary aborted: metric errors failed"):
                deploy_canary(store, provider, request("v2"), plan, log=lines.append,
                              cancel=threading.Event())  # fmt: skip
        else:
            deploy_canary(store, provider, request("v2"), plan, log=lines.append,
                          cancel=threading.Event())  # fmt: skip
    finally:
        watching.set()
        watcher.join(5)
    canary = store.latest_canary(repository, "dev", "api")
    assert canary is not None and canary.canary_ref == upcoming
    assert (stable, {upcoming: 0.1}) in seen
    if errors:
        assert canary.status == ABORTED
        assert canary.verdict["canary_value"] == pytest.approx(0.3)
        assert canary.verdict["stable_value"] == 0 and canary.verdict["interval"] == 2
        assert routing(moto_server, name) == (stable, {})
        assert (stable, {upcoming: 0.5}) not in seen
    else:
        assert canary.status == PROMOTED
        assert (stable, {upcoming: 0.5}) in seen
        assert routing(moto_server, name) == (upcoming, {})
        results = store.results(canary.id)
        assert len(results) == 3 and all(r.verdict == "pass" for r in results)
    store.close()
