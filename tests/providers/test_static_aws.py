"""The static provider on AWS against a real moto server process: S3 sync into a
versioned prefix, the TEST then the APP CloudFront distribution pointed at it and
invalidated, the API URL in index.html, a rollback. (moto's distributions serve nothing:
these tests check the control-plane calls and what S3 holds.)"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from conveyor.delivery.ports import ArtifactRef, Probe, ProviderError, Target
from conveyor.errors import ConfigError
from conveyor.providers.static import StaticProvider

pytestmark = pytest.mark.usefixtures("aws_env")
REGION = "us-east-1"


def client(service: str, url: str) -> Any:
    return boto3.client(service, region_name=REGION, endpoint_url=url)


def build(base: Path, version: str) -> ArtifactRef:
    folder = base / "builds" / version
    (folder / "js").mkdir(parents=True, exist_ok=True)
    (folder / "index.html").write_text(f"<html><head></head><body>{version}</body></html>")
    (folder / "js" / "app.js").write_text(f"// {version}")
    return ArtifactRef(
        app="shop", version=version, digest=f"sha256:{version}", kind="files", location=str(folder)
    )


def distribution(url: str, bucket: str, name: str) -> str:
    origin = {"Id": "site", "DomainName": f"{bucket}.s3.amazonaws.com", "OriginPath": ""}
    config = {
        "CallerReference": f"{name}-{uuid.uuid4().hex}",
        "Comment": name,
        "Enabled": True,
        "Origins": {
            "Quantity": 1,
            "Items": [{**origin, "S3OriginConfig": {"OriginAccessIdentity": ""}}],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "site",
            "ViewerProtocolPolicy": "redirect-to-https",
            "MinTTL": 0,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "TrustedSigners": {"Enabled": False, "Quantity": 0},
        },
    }
    answer = client("cloudfront", url).create_distribution(DistributionConfig=config)
    return str(answer["Distribution"]["Id"])


@pytest.fixture
def aws_site(moto_server: str) -> dict[str, Any]:
    bucket = f"site-{uuid.uuid4().hex[:8]}"
    client("s3", moto_server).create_bucket(Bucket=f"{bucket}-dev")
    return {
        "bucket": f"{bucket}-{{environment}}",
        "region": REGION,
        "endpoint-url": moto_server,
        "distribution": {"dev": distribution(moto_server, f"{bucket}-dev", "app")},
        "test-distribution": {"dev": distribution(moto_server, f"{bucket}-dev", "test")},
        "api-url": "https://api.dev.example",
        "spa": True,
    }


def origin_path(url: str, distribution_id: str) -> str:
    config = client("cloudfront", url).get_distribution_config(Id=distribution_id)
    return str(config["DistributionConfig"]["Origins"]["Items"][0]["OriginPath"])


def invalidations(url: str, distribution_id: str) -> list[str]:
    answer = client("cloudfront", url).list_invalidations(DistributionId=distribution_id)
    found = []
    for item in answer.get("InvalidationList", {}).get("Items", []):
        batch = client("cloudfront", url).get_invalidation(
            DistributionId=distribution_id, Id=item["Id"]
        )["Invalidation"]["InvalidationBatch"]
        found.append(",".join(batch["Paths"]["Items"]))
    return found


def test_test_then_app_then_rollback_on_s3_and_cloudfront(
    moto_server: str, aws_site: dict[str, Any], tmp_path: Path
) -> None:
    sites = StaticProvider(tmp_path / "state")
    where = Target(app="shop", environment="dev", options=aws_site)
    app_id, test_id = aws_site["distribution"]["dev"], aws_site["test-distribution"]["dev"]
    bucket = aws_site["bucket"].replace("{environment}", "dev")
    s3 = client("s3", moto_server)
    sites.check(where)
    assert sites.live(where) is None and sites.versions(where) == []

    staged = sites.stage(where, build(tmp_path, "v1"))
    domain = client("cloudfront", moto_server).get_distribution(Id=test_id)
    assert staged.endpoint == f"https://{domain['Distribution']['DomainName']}"
    index = s3.get_object(Bucket=bucket, Key="releases/v1/index.html")
    html = index["Body"].read().decode()
    assert html == (
        '<html><head><script>window.API_URL = "https://api.dev.example";</script></head>'
        "<body>v1</body></html>"
    )
    assert index["ContentType"] == "text/html" and index["CacheControl"] == "no-cache"
    assert s3.get_object(Bucket=bucket, Key="releases/v1/js/app.js")["Body"].read() == b"// v1"
    assert origin_path(moto_server, test_id) == "/releases/v1"
    assert origin_path(moto_server, app_id) == ""  # users see nothing new yet
    assert invalidations(moto_server, test_id) == ["/*"]
    assert invalidations(moto_server, app_id) == []
    assert sites.probe(where, staged, Probe(path="/")).body == html
    assert sites.probe(where, staged, Probe(path="/cart")).status == 200  # spa route
    assert sites.probe(where, staged, Probe(path="/nope.png")).status == 404

    assert sites.publish(where, staged) == "v1"
    sites.switch(where, "v1")
    assert origin_path(moto_server, app_id) == "/releases/v1"
    assert invalidations(moto_server, app_id) == ["/*"]
    assert sites.live(where) == "v1"

    sites.publish(where, sites.stage(where, build(tmp_path, "v2")))
    sites.switch(where, "v2")
    assert sites.versions(where) == ["v1", "v2"] and sites.live(where) == "v2"
    assert origin_path(moto_server, app_id) == "/releases/v2"

    sites.switch(where, "v1")  # rollback: APP back to the previous prefix, no upload
    assert origin_path(moto_server, app_id) == "/releases/v1" and sites.live(where) == "v1"
    assert len(invalidations(moto_server, app_id)) == 3

    # a staged version that is discarded: TEST back to APP's, its objects gone
    bad = sites.stage(where, build(tmp_path, "v3"))
    assert origin_path(moto_server, test_id) == "/releases/v3"
    sites.discard(where, bad)
    assert origin_path(moto_server, test_id) == "/releases/v1"
    assert "Contents" not in s3.list_objects_v2(Bucket=bucket, Prefix="releases/v3/")
    with pytest.raises(ProviderError, match="no published version 'v3'"):
        sites.switch(where, "v3")


def test_aws_settings_and_errors(
    moto_server: str, aws_site: dict[str, Any], tmp_path: Path
) -> None:
    sites = StaticProvider(tmp_path / "state")
    with pytest.raises(ConfigError, match=r"apps\.shop\.distribution: no distribution for prod"):
        sites.check(Target(app="shop", environment="prod", options=aws_site))
    missing = {**aws_site, "test-distribution": {"dev": "ENOSUCH"}}
    with pytest.raises(ProviderError, match="ENOSUCH"):
        sites.stage(Target(app="shop", environment="dev", options=missing), build(tmp_path, "v1"))
