"""The ``aws-lambda`` provider: the seeds' ``$LATEST`` -> smoke -> publish-version ->
update-alias pattern, with boto3 (``pip install 'conveyor[aws]'``).

- **stage**: ``update-function-code`` (a zip of a files artifact, made reproducibly so
  the same files give the same ``CodeSha256``; or an image URI), then wait until the
  update is done (boto3's ``function_updated_v2`` waiter);
- **probe**: invoke ``$LATEST`` (or a published version) with the probe's body as the
  payload: status 200, or 500 when the function failed (``FunctionError``); an
  HTTP-shaped answer (``{"statusCode": 503, "body": ...}``, as API Gateway and function
  URLs take) gives its own status and body;
- **publish**: ``publish-version``, only of the code that was staged (``CodeSha256``);
- **switch**: ``update-alias`` (``create-alias`` the first time); a rollback is a switch
  to an earlier version;
- **live** / **versions**: ``get-alias`` / ``list-versions-by-function``;
- **discard** and **retire** change nothing: the alias never pointed at ``$LATEST``, and
  published versions cost nothing and are what a rollback goes back to;
- **set_weight** (canaries): ``update-alias`` with ``RoutingConfig``
  ``AdditionalVersionWeights`` ``{canary: weight / 100}`` beside the alias's version (one
  extra version, as Lambda allows); a switch clears it. Lambda cannot pin a client: a
  ``pin`` is ignored. **traffic**: CloudWatch ``GetMetricData`` of ``AWS/Lambda``
  ``Invocations`` and ``Errors`` (Sum) and ``Duration`` (p50/p90/p95/p99) per
  ``ExecutedVersion`` of the alias, one period per bucket (Lambda's metrics have a
  one-minute resolution: use intervals of minutes there).

The function must exist (it is infrastructure: its role, runtime and handler are set
where it is created). Credentials come from boto3's usual chain.
"""

from __future__ import annotations

import contextlib
import io
import json
import zipfile
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from conveyor.delivery.ports import (
    ArtifactRef,
    Bucket,
    Pin,
    Probe,
    ProbeResult,
    ProviderError,
    Staged,
    Target,
)
from conveyor.errors import ConfigError
from conveyor.providers.settings import LambdaSettings, parse

LATEST = "$LATEST"
_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip holds: reproducible archives


def zip_tree(root: Path) -> bytes:
    """The files under ``root`` as a zip, in name order with fixed times (so the same
    files give the same bytes), keeping each file's mode (executables stay executable)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            info = zipfile.ZipInfo(path.relative_to(root).as_posix(), date_time=_EPOCH)
            info.external_attr = (path.stat().st_mode & 0o777 | 0o100000) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes())
    return buffer.getvalue()


class LambdaProvider:
    """A Lambda function per app and environment; versions are its published versions."""

    name = "aws-lambda"

    def __init__(self) -> None:
        self._clients: dict[tuple[str, str | None, str], Any] = {}

    def check(self, target: Target) -> None:
        self._settings(target)

    def _settings(self, target: Target) -> LambdaSettings:
        settings = parse(LambdaSettings, target)
        try:
            import boto3  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                f'conveyor.toml: apps.{target.app}: provider = "aws-lambda" needs boto3: '
                "pip install 'conveyor[aws]'"
            ) from exc
        return settings

    def _client(self, settings: LambdaSettings, service: str = "lambda") -> Any:
        key = (settings.region, settings.endpoint_url, service)
        if key not in self._clients:
            import boto3

            self._clients[key] = boto3.client(
                service, region_name=settings.region, endpoint_url=settings.endpoint_url
            )
        return self._clients[key]

    @contextlib.contextmanager
    def _aws(self, target: Target, what: str) -> Iterator[None]:
        """Lambda API calls; their errors as a ProviderError saying what failed."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = error.get("Code", "")
            hint = ""
            if code == "ResourceNotFoundException":
                hint = " (create the function first: conveyor deploys code to it)"
            raise ProviderError(
                f"{target.app} in {target.environment}: {what} failed: {code}: "
                f"{error.get('Message', exc)}{hint}"
            ) from exc
        except BotoCoreError as exc:
            raise ProviderError(
                f"{target.app} in {target.environment}: {what} failed: {exc}"
            ) from exc

    # -- stage, probe, publish ------------------------------------------------------------

    def stage(self, target: Target, artifact: ArtifactRef) -> Staged:
        settings = self._settings(target)
        client = self._client(settings)
        function = settings.function_name(target.environment)
        if artifact.kind == "image":
            code: dict[str, Any] = {"ImageUri": artifact.location}
        else:
            source = Path(artifact.location)
            if not source.is_dir():
                raise ProviderError(f"{target.app}: the artifact's files are not at {source}")
            code = {"ZipFile": zip_tree(source)}
        with self._aws(target, f"update-function-code of {function}"):
            answer = client.update_function_code(FunctionName=function, **code)
        self._wait_updated(target, settings, function)
        return Staged(handle=LATEST, revision=str(answer.get("CodeSha256", "")))

    def _wait_updated(self, target: Target, settings: LambdaSettings, function: str) -> None:
        from botocore.exceptions import WaiterError

        client = self._client(settings)
        delay = 1
        try:
            client.get_waiter("function_updated_v2").wait(
                FunctionName=function,
                WaiterConfig={"Delay": delay, "MaxAttempts": max(1, int(settings.update_timeout))},
            )
        except WaiterError as exc:
            with self._aws(target, f"get-function-configuration of {function}"):
                state = client.get_function_configuration(FunctionName=function)
            raise ProviderError(
                f"{target.app} in {target.environment}: the code update of {function} did not "
                f"succeed: {state.get('LastUpdateStatus')}: "
                f"{state.get('LastUpdateStatusReason', exc)}"
            ) from exc

    def probe(self, target: Target, version: Staged | str, probe: Probe) -> ProbeResult:
        settings = self._settings(target)
        client = self._client(settings)
        function = settings.function_name(target.environment)
        qualifier = version.handle if isinstance(version, Staged) else version
        with self._aws(target, f"invoke of {function}:{qualifier}"):
            answer = client.invoke(
                FunctionName=function, Qualifier=qualifier, Payload=(probe.body or "{}").encode()
            )
            body = answer["Payload"].read().decode("utf-8", "replace")
        if answer.get("FunctionError"):
            return ProbeResult(status=500, body=body)
        return _http_shaped(body) or ProbeResult(
            status=int(answer.get("StatusCode", 200)), body=body
        )

    def publish(self, target: Target, staged: Staged) -> str:
        settings = self._settings(target)
        function = settings.function_name(target.environment)
        params: dict[str, Any] = {"FunctionName": function}
        if staged.revision:
            params["CodeSha256"] = staged.revision
        with self._aws(target, f"publish-version of {function}"):
            answer = self._client(settings).publish_version(**params)
        published = str(answer.get("CodeSha256", ""))
        if staged.revision and published and published != staged.revision:
            raise ProviderError(
                f"{target.app} in {target.environment}: version {answer['Version']} of "
                f"{function} holds code {published}, not the code that was staged and probed "
                f"({staged.revision}): another deploy changed $LATEST meanwhile; deploy again"
            )
        return str(answer["Version"])

    def discard(self, target: Target, staged: Staged) -> None:
        """Nothing to undo: the alias never pointed at ``$LATEST``."""
        self._settings(target)

    # -- the alias ------------------------------------------------------------------------

    def switch(self, target: Target, version: str) -> None:
        settings = self._settings(target)
        client = self._client(settings)
        function = settings.function_name(target.environment)
        what = f"moving alias {settings.alias} of {function} to version {version}"
        exists = self._alias(target, settings) is not None
        with self._aws(target, what):
            if exists:  # and no canary weights left: a switch ends any split
                client.update_alias(
                    FunctionName=function,
                    Name=settings.alias,
                    FunctionVersion=version,
                    RoutingConfig={"AdditionalVersionWeights": {}},
                )
            else:
                client.create_alias(
                    FunctionName=function, Name=settings.alias, FunctionVersion=version
                )

    # -- canaries -------------------------------------------------------------------------

    def set_weight(
        self, target: Target, stable: str, canary: str, weight: float, pin: Pin | None = None
    ) -> None:
        settings = self._settings(target)
        function = settings.function_name(target.environment)
        live = self._alias(target, settings)
        if live != stable:
            raise ProviderError(
                f"{target.app} in {target.environment}: alias {settings.alias} of {function} "
                f"points at version {live or 'nothing'}, not {stable}: another deploy or a "
                "rollback moved it; the canary cannot go on"
            )
        weights = {canary: round(weight / 100, 4)} if weight > 0 else {}
        with self._aws(target, f"update-alias {settings.alias} of {function} (canary weights)"):
            self._client(settings).update_alias(
                FunctionName=function,
                Name=settings.alias,
                FunctionVersion=stable,
                RoutingConfig={"AdditionalVersionWeights": weights},
            )

    def traffic(
        self, target: Target, versions: Sequence[str], start: float, end: float, buckets: int
    ) -> dict[str, list[Bucket]]:
        settings = self._settings(target)
        function = settings.function_name(target.environment)
        count = max(1, buckets)
        period = _period((end - start) / count)
        queries: list[dict[str, Any]] = []
        for number, version in enumerate(versions):
            dimensions = [
                {"Name": "FunctionName", "Value": function},
                {"Name": "Resource", "Value": f"{function}:{settings.alias}"},
                {"Name": "ExecutedVersion", "Value": version},
            ]
            for metric, stat in _STATS:
                queries.append(
                    {
                        "Id": f"v{number}_{metric.lower()}_{stat.lower()}",
                        "MetricStat": {
                            "Metric": {
                                "Namespace": "AWS/Lambda",
                                "MetricName": metric,
                                "Dimensions": dimensions,
                            },
                            "Period": period,
                            "Stat": stat,
                        },
                    }
                )
        found: dict[str, list[tuple[datetime, float | None]]] = {}
        with self._aws(target, f"CloudWatch get-metric-data of {function}"):
            pages = self._client(settings, "cloudwatch").get_paginator("get_metric_data")
            for page in pages.paginate(
                MetricDataQueries=queries,
                StartTime=datetime.fromtimestamp(start, UTC),
                EndTime=datetime.fromtimestamp(end, UTC),
            ):
                for result in page.get("MetricDataResults", []):
                    pairs = zip(
                        result.get("Timestamps", []), result.get("Values", []), strict=False
                    )
                    found.setdefault(result["Id"], []).extend(pairs)
        width = (end - start) / count
        out: dict[str, list[Bucket]] = {}
        for number, version in enumerate(versions):
            sums = [{"Invocations": 0.0, "Errors": 0.0} for _ in range(count)]
            percentiles: list[dict[str, float]] = [{} for _ in range(count)]
            for metric, stat in _STATS:
                for stamp, value in found.get(f"v{number}_{metric.lower()}_{stat.lower()}", []):
                    if value is None:
                        continue
                    index = min(count - 1, max(0, int((stamp.timestamp() - start) / width)))
                    if stat == "Sum":
                        sums[index][metric] += float(value)
                    else:
                        percentiles[index][stat] = float(value)
            out[version] = [
                Bucket(
                    start=start + i * width,
                    requests=int(sums[i]["Invocations"]),
                    errors=int(sums[i]["Errors"]),
                    percentiles=percentiles[i],
                )
                for i in range(count)
            ]
        return out

    def retire(self, target: Target, version: str) -> None:
        """Published versions stay: they are what a rollback goes back to."""
        if self.live(target) == version:
            raise ProviderError(
                f"version {version} of {target.app} is live in {target.environment}: switch "
                "to another version before retiring it"
            )

    def live(self, target: Target) -> str | None:
        return self._alias(target, self._settings(target))

    def _alias(self, target: Target, settings: LambdaSettings) -> str | None:
        from botocore.exceptions import ClientError

        function = settings.function_name(target.environment)
        try:
            answer = self._client(settings).get_alias(FunctionName=function, Name=settings.alias)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                return None
            raise ProviderError(
                f"{target.app} in {target.environment}: get-alias {settings.alias} of "
                f"{function} failed: {exc}"
            ) from exc
        return str(answer["FunctionVersion"])

    def versions(self, target: Target) -> list[str]:
        settings = self._settings(target)
        function = settings.function_name(target.environment)
        pages = self._client(settings).get_paginator("list_versions_by_function")
        found: list[str] = []
        with self._aws(target, f"list-versions-by-function of {function}"):
            for page in pages.paginate(FunctionName=function):
                found.extend(v["Version"] for v in page.get("Versions", []))
        return sorted((v for v in found if v != LATEST), key=int)

    def endpoint(self, target: Target) -> str | None:
        return None


_STATS = (
    ("Invocations", "Sum"),
    ("Errors", "Sum"),
    ("Duration", "p50"),
    ("Duration", "p90"),
    ("Duration", "p95"),
    ("Duration", "p99"),
)


def _period(seconds: float) -> int:
    """A CloudWatch period near ``seconds``: 1, 5, 10, 30 or a multiple of 60."""
    if seconds >= 60:
        return int(seconds // 60) * 60
    return max(p for p in (1, 5, 10, 30) if p <= max(1.0, seconds))


def _http_shaped(body: str) -> ProbeResult | None:
    """``{"statusCode": 503, "body": "..."}`` (API Gateway's and function URLs' shape) as
    that status and body; None for any other payload."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    status = data.get("statusCode")
    if isinstance(status, bool) or not isinstance(status, int):
        return None
    inner = data.get("body", "")
    return ProbeResult(status=status, body=inner if isinstance(inner, str) else json.dumps(inner))
