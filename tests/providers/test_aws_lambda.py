"""The aws-lambda provider against a real moto server process (see conftest.py): the
seeds' $LATEST -> smoke -> publish-version -> update-alias flow, a failed smoke through
moto's canned Lambda results, and a rollback."""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from conveyor.delivery.ports import ArtifactRef, Probe, ProviderError, Target
from conveyor.errors import ConfigError
from conveyor.providers.aws_lambda import LATEST, LambdaProvider, zip_tree

pytestmark = pytest.mark.usefixtures("aws_env")
REGION = "us-east-1"


def lambda_client(url: str) -> Any:
    return boto3.client("lambda", region_name=REGION, endpoint_url=url)


def code(base: Path, version: str) -> ArtifactRef:
    folder = base / "code" / version
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "handler.py").write_text(f"def handler(event, context):\n    return {version!r}\n")
    return ArtifactRef(
        app="api", version=version, digest=f"sha256:{version}", kind="files", location=str(folder)
    )


@pytest.fixture
def function(moto_server: str, tmp_path: Path) -> str:
    """A new function (its environment-less name part) holding a first code."""
    name = f"api{uuid.uuid4().hex[:8]}"
    iam = boto3.client("iam", region_name=REGION, endpoint_url=moto_server)
    role = iam.create_role(RoleName=f"role-{name}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    lambda_client(moto_server).create_function(
        FunctionName=f"{name}-dev",
        Runtime="python3.12",
        Role=role,
        Handler="handler.handler",
        Code={"ZipFile": zip_tree(Path(code(tmp_path, "v0").location))},
    )
    return name


def target_for(url: str, name: str, **options: Any) -> Target:
    settings = {"function": f"{name}-{{environment}}", "region": REGION, "endpoint-url": url}
    settings.update(options)
    return Target(app="api", environment="dev", options=settings)


def canned(url: str, *results: str) -> None:
    """Queue what moto's Lambda answers to the next invocations (moto's own API)."""
    answer = httpx.post(
        f"{url}/moto-api/static/lambda-simple/response",
        json={"results": list(results), "region": REGION},
    )
    assert answer.status_code == 201


def test_stage_probe_publish_switch_and_roll_back(
    moto_server: str, function: str, tmp_path: Path
) -> None:
    provider = LambdaProvider()
    where = target_for(moto_server, function)
    aws = lambda_client(moto_server)
    assert provider.live(where) is None
    assert provider.versions(where) == []
    assert provider.endpoint(where) is None

    first_code = code(tmp_path, "v1")
    staged = provider.stage(where, first_code)
    assert staged.handle == LATEST
    digest = hashlib.sha256(zip_tree(Path(first_code.location))).digest()
    assert staged.revision == base64.b64encode(digest).decode()
    assert aws.get_function(FunctionName=f"{function}-dev")["Configuration"]["CodeSha256"] == (
        staged.revision
    )
    # moto's Lambda without Docker answers with the payload it was given
    answer = provider.probe(where, staged, Probe(body='{"ping": 1}'))
    assert (answer.status, answer.body) == (200, '{"ping": 1}')

    first = provider.publish(where, staged)
    assert provider.versions(where) == [first]
    assert provider.live(where) is None  # publishing moves no alias
    provider.switch(where, first)  # creates the alias
    assert provider.live(where) == first
    alias = aws.get_alias(FunctionName=f"{function}-dev", Name="live")
    assert alias["FunctionVersion"] == first

    second_staged = provider.stage(where, code(tmp_path, "v2"))
    second = provider.publish(where, second_staged)
    assert second != first
    published = aws.get_function(FunctionName=f"{function}-dev", Qualifier=second)
    assert published["Configuration"]["CodeSha256"] == second_staged.revision
    provider.switch(where, second)
    assert provider.live(where) == second
    assert provider.versions(where) == [first, second]
    with pytest.raises(ProviderError, match="is live"):
        provider.retire(where, second)

    provider.switch(where, first)  # the rollback: the alias goes back, nothing rebuilt
    assert provider.live(where) == first
    assert aws.get_alias(FunctionName=f"{function}-dev", Name="live")["FunctionVersion"] == first
    provider.retire(where, second)  # kept: versions cost nothing
    assert provider.versions(where) == [first, second]


def test_a_failed_smoke_leaves_the_alias_where_it_was(
    moto_server: str, function: str, tmp_path: Path
) -> None:
    provider = LambdaProvider()
    where = target_for(moto_server, function)
    live = provider.publish(where, provider.stage(where, code(tmp_path, "v1")))
    provider.switch(where, live)

    staged = provider.stage(where, code(tmp_path, "v2"))
    canned(moto_server, json.dumps({"statusCode": 500, "body": "database unreachable"}))
    answer = provider.probe(where, staged, Probe(body="{}"))
    assert (answer.status, answer.body) == (500, "database unreachable")
    provider.discard(where, staged)  # what the deploy does after a failed smoke
    assert provider.live(where) == live
    assert provider.versions(where) == [live]
    # the queue is used up: the next invocation answers normally again
    assert provider.probe(where, live, Probe(body='"hi"')).status == 200


def test_an_http_shaped_answer_gives_its_status_and_body(
    moto_server: str, function: str, tmp_path: Path
) -> None:
    provider = LambdaProvider()
    where = target_for(moto_server, function)
    staged = provider.stage(where, code(tmp_path, "v1"))
    canned(moto_server, json.dumps({"statusCode": 201, "body": {"id": 7}}), "plain text")
    assert provider.probe(where, staged, Probe()).status == 201
    assert provider.probe(where, staged, Probe()).body == "plain text"


def test_publish_refuses_code_that_changed_after_the_smoke(
    moto_server: str, function: str, tmp_path: Path
) -> None:
    provider = LambdaProvider()
    where = target_for(moto_server, function)
    staged = provider.stage(where, code(tmp_path, "v1"))
    lambda_client(moto_server).update_function_code(
        FunctionName=f"{function}-dev", ZipFile=zip_tree(Path(code(tmp_path, "other").location))
    )
    with pytest.raises(ProviderError, match="not the code that was staged and probed"):
        provider.publish(where, staged)


def test_a_missing_function_is_a_clear_error(moto_server: str, tmp_path: Path) -> None:
    provider = LambdaProvider()
    where = target_for(moto_server, "nosuch")
    with pytest.raises(ProviderError) as failed:
        provider.stage(where, code(tmp_path, "v1"))
    assert "update-function-code of nosuch-dev failed: ResourceNotFoundException" in str(
        failed.value
    )
    assert "create the function first" in str(failed.value)
    assert provider.live(where) is None


def test_the_alias_name_comes_from_the_settings(
    moto_server: str, function: str, tmp_path: Path
) -> None:
    provider = LambdaProvider()
    where = target_for(moto_server, function, alias="current")
    version = provider.publish(where, provider.stage(where, code(tmp_path, "v1")))
    provider.switch(where, version)
    aws = lambda_client(moto_server)
    assert aws.get_alias(FunctionName=f"{function}-dev", Name="current")["FunctionVersion"] == (
        version
    )
    assert provider.live(target_for(moto_server, function)) is None  # no "live" alias


def test_settings_problems_are_config_errors_naming_the_key() -> None:
    provider = LambdaProvider()
    with pytest.raises(ConfigError, match=r"apps\.api\.region: missing required key"):
        provider.check(Target("api", "dev", {"function": "f"}))
    with pytest.raises(ConfigError, match=r"apps\.api\.function: unknown placeholder \{env\}"):
        provider.check(Target("api", "dev", {"function": "f-{env}", "region": "r"}))


def test_an_image_artifact_is_staged_by_its_uri(moto_server: str, tmp_path: Path) -> None:
    name = f"img{uuid.uuid4().hex[:8]}"
    iam = boto3.client("iam", region_name=REGION, endpoint_url=moto_server)
    role = iam.create_role(RoleName=f"role-{name}", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    aws = lambda_client(moto_server)
    first = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:" + "a" * 64
    aws.create_function(
        FunctionName=f"{name}-dev", Role=role, PackageType="Image", Code={"ImageUri": first}
    )
    provider = LambdaProvider()
    where = target_for(moto_server, name)
    second = "123456789012.dkr.ecr.us-east-1.amazonaws.com/api@sha256:" + "b" * 64
    image = ArtifactRef(
        app="api", version="v2", digest="sha256:" + "b" * 64, kind="image", location=second
    )
    version = provider.publish(where, provider.stage(where, image))
    provider.switch(where, version)
    deployed = aws.get_function(FunctionName=f"{name}-dev", Qualifier=version)
    assert deployed["Code"]["ImageUri"] == second
    assert provider.live(where) == version
