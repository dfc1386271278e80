"""The ``static`` provider on AWS (boto3, ``pip install 'conveyor[aws]'``): the build in
S3 under a versioned prefix, TEST and APP as two CloudFront distributions whose S3
origin's ``OriginPath`` names the version they serve.

- **stage**: upload the build (the index with the environment's API URL) to
  ``s3://<bucket>/<prefix>/<version>/``, then point the TEST distribution's origin at
  ``/<prefix>/<version>`` (``update-distribution``) and invalidate it (``/*``);
- **probe**: read the object a path names from the version's prefix (S3 ``GetObject``:
  200 with its body, 404): the files TEST serves, without waiting for the edge;
- **publish**: add the version to ``<prefix>/.conveyor/versions.json``;
- **switch**: point the APP distribution at the version's prefix and invalidate it; a
  rollback is a switch back (the earlier prefix is still there);
- **live**: the version APP's ``OriginPath`` names (AWS itself is the record);
- **discard**: TEST back to APP's version, the staged objects deleted.

Distributions are infrastructure: conveyor only changes their origin path.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from conveyor.delivery.ports import ArtifactRef, Probe, ProbeResult, ProviderError, Staged, Target
from conveyor.errors import ConfigError
from conveyor.providers.settings import StaticSettings, for_environment
from conveyor.providers.static import prepare_files

REGISTRY = ".conveyor/versions.json"


class CloudFrontSites:
    def __init__(self) -> None:
        self._clients: dict[tuple[str, str | None, str | None], Any] = {}

    def check(self, target: Target, settings: StaticSettings) -> None:
        try:
            import boto3  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                f'conveyor.toml: apps.{target.app}: provider = "static" with a bucket needs '
                "boto3: pip install 'conveyor[aws]'"
            ) from exc
        for key, value in (
            ("distribution", settings.distribution),
            ("test-distribution", settings.test_distribution),
        ):
            if for_environment(value, target.environment) is None:
                raise ConfigError(
                    f"conveyor.toml: apps.{target.app}.{key}: no distribution for "
                    f'{target.environment}: add {target.environment} = "<distribution id>"'
                )

    def _client(self, service: str, settings: StaticSettings) -> Any:
        key = (service, settings.region, settings.endpoint_url)
        if key not in self._clients:
            import boto3

            self._clients[key] = boto3.client(
                service, region_name=settings.region, endpoint_url=settings.endpoint_url
            )
        return self._clients[key]

    @contextlib.contextmanager
    def _aws(self, target: Target, what: str) -> Iterator[None]:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as exc:
            error = exc.response.get("Error", {})
            raise ProviderError(
                f"{target.app} in {target.environment}: {what} failed: "
                f"{error.get('Code', '')}: {error.get('Message', exc)}"
            ) from exc
        except BotoCoreError as exc:
            raise ProviderError(
                f"{target.app} in {target.environment}: {what} failed: {exc}"
            ) from exc

    @staticmethod
    def _key(settings: StaticSettings, version: str, path: str = "") -> str:
        parts = [p for p in (settings.prefix, version, path.lstrip("/")) if p]
        return "/".join(parts)

    def _distribution(self, target: Target, settings: StaticSettings, role: str) -> str:
        value = settings.distribution if role == "app" else settings.test_distribution
        found = for_environment(value, target.environment)
        if found is None:
            self.check(target, settings)
        return found or ""

    # -- stage, probe, publish, discard ----------------------------------------------------

    def stage(self, target: Target, settings: StaticSettings, artifact: ArtifactRef) -> Staged:
        self.check(target, settings)
        s3 = self._client("s3", settings)
        bucket = settings.bucket_name(target.environment)
        with tempfile.TemporaryDirectory(prefix="conveyor-site-") as temp:
            build = Path(temp) / "site"
            prepare_files(Path(artifact.location), build, settings, target.environment)
            for path in sorted(p for p in build.rglob("*") if p.is_file()):
                relative = path.relative_to(build).as_posix()
                extra: dict[str, str] = {
                    "ContentType": mimetypes.guess_type(relative)[0] or "application/octet-stream"
                }
                if relative == settings.index:
                    extra["CacheControl"] = "no-cache"
                key = self._key(settings, artifact.version, relative)
                with self._aws(target, f"upload of s3://{bucket}/{key}"):
                    s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), **extra)
        self._point(target, settings, "test", artifact.version)
        return Staged(handle=artifact.version, endpoint=self.url(target, settings, "test") or "")

    def probe(
        self, target: Target, settings: StaticSettings, version: Staged | str, probe: Probe
    ) -> ProbeResult:
        name = version.handle if isinstance(version, Staged) else version
        if probe.method not in ("GET", "HEAD"):
            return ProbeResult(status=405, body=f"{probe.method}: a static site answers GET")
        path = probe.path.split("?", 1)[0]
        if path.endswith("/"):
            path += settings.index
        bucket = settings.bucket_name(target.environment)
        s3 = self._client("s3", settings)
        from botocore.exceptions import ClientError

        for candidate in (path, settings.index if settings.spa and "." not in path else None):
            if candidate is None:
                break
            key = self._key(settings, name, candidate)
            try:
                answer = s3.get_object(Bucket=bucket, Key=key)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                    continue
                raise ProviderError(
                    f"{target.app}: reading s3://{bucket}/{key} failed: {exc}"
                ) from exc
            body = answer["Body"].read().decode("utf-8", "replace")
            return ProbeResult(status=200, body="" if probe.method == "HEAD" else body)
        return ProbeResult(status=404, body="not found")

    def publish(self, target: Target, settings: StaticSettings, staged: Staged) -> str:
        registry = self._registry(target, settings)
        if staged.handle not in registry:
            registry.append(staged.handle)
            bucket = settings.bucket_name(target.environment)
            key = self._key(settings, "", REGISTRY)
            with self._aws(target, f"writing s3://{bucket}/{key}"):
                self._client("s3", settings).put_object(
                    Bucket=bucket,
                    Key=key,
                    Body=json.dumps({"versions": registry}).encode(),
                    ContentType="application/json",
                )
        return staged.handle

    def discard(self, target: Target, settings: StaticSettings, staged: Staged) -> None:
        live = self.live(target, settings)
        if live == staged.handle:
            raise ProviderError(f"version {staged.handle} of {target.app} is live: kept")
        if live is not None:
            self._point(target, settings, "test", live)
        if staged.handle in self._registry(target, settings):
            return  # published before (a redeploy): a rollback may need it
        bucket = settings.bucket_name(target.environment)
        s3 = self._client("s3", settings)
        prefix = self._key(settings, staged.handle) + "/"
        with self._aws(target, f"deleting s3://{bucket}/{prefix}"):
            for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
                keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
                if keys:
                    s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})

    # -- the distributions -----------------------------------------------------------------

    def switch(self, target: Target, settings: StaticSettings, version: str) -> None:
        if version not in self._registry(target, settings):
            raise ProviderError(
                f"{target.app} in {target.environment} has no published version {version!r} "
                f"(published: {', '.join(self._registry(target, settings)) or 'none'})"
            )
        self._point(target, settings, "app", version)

    def live(self, target: Target, settings: StaticSettings) -> str | None:
        self.check(target, settings)
        origin = self._origin(target, settings, "app")[2]["OriginPath"]
        head = f"/{settings.prefix}/" if settings.prefix else "/"
        if origin.startswith(head) and len(origin) > len(head):
            return str(origin[len(head) :])
        return None

    def versions(self, target: Target, settings: StaticSettings) -> list[str]:
        return self._registry(target, settings)

    def url(self, target: Target, settings: StaticSettings, role: str) -> str | None:
        given = for_environment(
            settings.url if role == "app" else settings.test_url, target.environment
        )
        if given:
            return given
        cloudfront = self._client("cloudfront", settings)
        distribution = self._distribution(target, settings, role)
        with self._aws(target, f"get-distribution {distribution}"):
            answer = cloudfront.get_distribution(Id=distribution)
        return f"https://{answer['Distribution']['DomainName']}"

    def _origin(
        self, target: Target, settings: StaticSettings, role: str
    ) -> tuple[dict[str, Any], str, dict[str, Any]]:
        """The distribution's config, its ETag and the S3 origin of the bucket."""
        cloudfront = self._client("cloudfront", settings)
        distribution = self._distribution(target, settings, role)
        with self._aws(target, f"get-distribution-config {distribution}"):
            answer = cloudfront.get_distribution_config(Id=distribution)
        config: dict[str, Any] = answer["DistributionConfig"]
        bucket = settings.bucket_name(target.environment)
        origins = config.get("Origins", {}).get("Items", [])
        for origin in origins:
            if str(origin.get("DomainName", "")).split(".s3", 1)[0] == bucket:
                return config, str(answer["ETag"]), origin
        raise ProviderError(
            f"{target.app} in {target.environment}: distribution {distribution} has no origin "
            f"on bucket {bucket} (origins: "
            f"{', '.join(str(o.get('DomainName')) for o in origins) or 'none'}); add the "
            "bucket as its origin"
        )

    def _point(self, target: Target, settings: StaticSettings, role: str, version: str) -> None:
        """Point the ``role`` distribution at ``version``'s prefix and invalidate it."""
        cloudfront = self._client("cloudfront", settings)
        distribution = self._distribution(target, settings, role)
        config, etag, origin = self._origin(target, settings, role)
        origin["OriginPath"] = "/" + self._key(settings, version)
        with self._aws(target, f"update-distribution {distribution} ({role.upper()})"):
            cloudfront.update_distribution(Id=distribution, IfMatch=etag, DistributionConfig=config)
        with self._aws(target, f"create-invalidation of {distribution} ({role.upper()})"):
            cloudfront.create_invalidation(
                DistributionId=distribution,
                InvalidationBatch={
                    "Paths": {"Quantity": 1, "Items": ["/*"]},
                    "CallerReference": f"conveyor-{version}-{uuid.uuid4().hex[:12]}",
                },
            )

    def _registry(self, target: Target, settings: StaticSettings) -> list[str]:
        from botocore.exceptions import ClientError

        bucket = settings.bucket_name(target.environment)
        key = self._key(settings, "", REGISTRY)
        try:
            answer = self._client("s3", settings).get_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return []
            raise ProviderError(f"{target.app}: reading s3://{bucket}/{key} failed: {exc}") from exc
        data = json.loads(answer["Body"].read())
        return [str(v) for v in data.get("versions", [])]
