"""The providers' own settings: the keys of ``[apps.<name>]`` besides ``provider``.

``process``::

    [apps.web]
    provider = "process"
    command = "python -m service.app --port $PORT"   # $PORT: the version's own port
    health = "/healthz"          # optional: waited for (2xx/3xx) after start
    port = 8080                  # the router's port; or { dev = 8081, production = 8080 }
    cwd = "."                    # relative to the artifact's files
    env = { LOG_LEVEL = "info" }
    start-timeout = "30s"        # to become ready
    drain-timeout = "30s"        # retire: how long requests in flight may take
    stop-timeout = "10s"         # SIGTERM, then SIGKILL after this

``aws-lambda``::

    [apps.api]
    provider = "aws-lambda"
    function = "api-{environment}"
    region = "eu-west-1"
    endpoint-url = "http://127.0.0.1:5000"   # optional (e.g. a local emulator)
    alias = "live"

``static`` (a built site: two served roots, TEST and APP, over versioned content)::

    [apps.site]
    provider = "static"
    port = 8080                  # APP's port (users); or { dev = 8081, ... }
    test-port = 8090             # TEST's port (verify runs there first)
    index = "index.html"
    spa = true                   # unknown paths without a suffix answer the index
    api-url = "https://api.example.com"        # or { dev = "...", production = "..." }
    api-url-variable = "API_URL"               # window.API_URL, set in index.html
    # on AWS instead (S3 + two CloudFront distributions):
    bucket = "site-{environment}"
    prefix = "releases"          # each version under <prefix>/<version>/
    region = "us-east-1"
    distribution = "E2APP..."    # APP; or a table by environment
    test-distribution = "E2TEST..."
    endpoint-url = "http://127.0.0.1:5000"     # optional (e.g. a local emulator)

A bad key is a :class:`~conveyor.errors.ConfigError` naming it; when ``conveyor.toml`` is
loaded (:mod:`conveyor.tiers.configfile`) the error names the file and line as well.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails

from conveyor.delivery.ports import Target
from conveyor.delivery.settings import Duration
from conveyor.errors import ConfigError
from conveyor.providers.routing import Launch


def _ports(value: object) -> object:
    """``8080``, or ``{ dev = 8081, production = 8080 }``: one error message for both."""

    def check(port: object) -> int:
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError(
                f"{port!r} is not a port: write a number from 1 to 65535, or a table of "
                "them by environment, e.g. { dev = 8081, production = 8080 }"
            )
        return port

    if value is None:
        return None
    if isinstance(value, dict):
        return {str(env): check(port) for env, port in value.items()}
    return check(value)


Ports = Annotated[int | dict[str, int] | None, BeforeValidator(_ports)]
_PATH = re.compile(r"^/[^\s]*$")


class _Settings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=False)


class ProcessSettings(_Settings):
    command: str
    health: str | None = None
    port: Ports = None
    host: str = "127.0.0.1"
    cwd: str = "."
    env: dict[str, str] = Field(default_factory=dict)
    start_timeout: Duration = Field(30.0, alias="start-timeout")
    drain_timeout: Duration = Field(30.0, alias="drain-timeout")
    stop_timeout: Duration = Field(10.0, alias="stop-timeout")

    @field_validator("command")
    @classmethod
    def _command(cls, value: str) -> str:
        try:
            words = shlex.split(value)
        except ValueError as exc:
            raise ValueError(f"cannot split the command into words: {exc}") from exc
        if not words:
            raise ValueError("the command is empty: write e.g. 'python -m service.app'")
        return value

    @field_validator("health")
    @classmethod
    def _health(cls, value: str | None) -> str | None:
        if value is not None and not _PATH.match(value):
            raise ValueError(f"'{value}' is not a path: write e.g. '/healthz'")
        return value

    def router_port(self, environment: str) -> int | None:
        """The router's port in ``environment`` (None: one picked once and recorded)."""
        if isinstance(self.port, dict):
            return self.port.get(environment)
        return self.port

    def launch(self) -> Launch:
        """How a version staged with these settings is started."""
        return Launch(
            command=self.command,
            cwd=self.cwd,
            env=dict(self.env),
            health=self.health,
            start_timeout=self.start_timeout,
        )


class LambdaSettings(_Settings):
    function: str
    region: str
    endpoint_url: str | None = Field(None, alias="endpoint-url")
    alias: str = "live"
    update_timeout: Duration = Field(300.0, alias="update-timeout")

    @field_validator("function")
    @classmethod
    def _function(cls, value: str) -> str:
        unknown = set(re.findall(r"\{([^}]*)\}", value)) - {"environment"}
        if unknown:
            names = ", ".join(sorted(unknown))
            raise ValueError(f"unknown placeholder {{{names}}}: only {{environment}} is filled in")
        return value

    def function_name(self, environment: str) -> str:
        return self.function.replace("{environment}", environment)


def _per_environment(value: object) -> object:
    """``"text"``, or ``{ dev = "...", production = "..." }``."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, dict) and all(isinstance(v, str) for v in value.values()):
        return {str(env): v for env, v in value.items()}
    raise ValueError(
        f"{value!r}: write a string, or a table of them by environment, "
        'e.g. { dev = "...", production = "..." }'
    )


PerEnvironment = Annotated[str | dict[str, str] | None, BeforeValidator(_per_environment)]
_IDENTIFIER = re.compile(r"^[A-Za-z_$][A-Za-z0-9_$]*$")


def for_environment(value: str | dict[str, str] | None, environment: str) -> str | None:
    """A per-environment setting's value in ``environment``."""
    if isinstance(value, dict):
        return value.get(environment)
    return value


class StaticSettings(_Settings):
    """A built site. Local (no ``bucket``): conveyor serves TEST and APP itself; with
    ``bucket``: S3 and two CloudFront distributions."""

    port: Ports = None
    test_port: Ports = Field(None, alias="test-port")
    host: str = "127.0.0.1"
    index: str = "index.html"
    spa: bool = False
    api_url: PerEnvironment = Field(None, alias="api-url")
    api_url_variable: str = Field("API_URL", alias="api-url-variable")
    bucket: str | None = None
    prefix: str = "releases"
    region: str | None = None
    endpoint_url: str | None = Field(None, alias="endpoint-url")
    distribution: PerEnvironment = None
    test_distribution: PerEnvironment = Field(None, alias="test-distribution")
    url: PerEnvironment = None  # APP's public address (default: https://<its domain>)
    test_url: PerEnvironment = Field(None, alias="test-url")

    @field_validator("api_url_variable")
    @classmethod
    def _variable(cls, value: str) -> str:
        if not _IDENTIFIER.match(value):
            raise ValueError(f"'{value}' is not a JavaScript name: write e.g. API_URL")
        return value

    @field_validator("index")
    @classmethod
    def _index(cls, value: str) -> str:
        if not value or value.startswith("/") or ".." in value.split("/"):
            raise ValueError(f"'{value}' is not a file of the build: write e.g. index.html")
        return value

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, value: str) -> str:
        return value.strip("/")

    @field_validator("bucket")
    @classmethod
    def _bucket(cls, value: str | None) -> str | None:
        if value is not None:
            unknown = set(re.findall(r"\{([^}]*)\}", value)) - {"environment"}
            if unknown:
                names = ", ".join(sorted(unknown))
                raise ValueError(
                    f"unknown placeholder {{{names}}}: only {{environment}} is filled in"
                )
        return value

    @model_validator(mode="after")
    def _aws(self) -> StaticSettings:
        if self.bucket is None:
            return self
        missing = [
            key
            for key, value in (
                ("region", self.region),
                ("distribution", self.distribution),
                ("test-distribution", self.test_distribution),
            )
            if value is None
        ]
        if missing:
            raise ValueError("with bucket (S3 + CloudFront) also set " + ", ".join(missing))
        return self

    @property
    def on_aws(self) -> bool:
        return self.bucket is not None

    def bucket_name(self, environment: str) -> str:
        return (self.bucket or "").replace("{environment}", environment)


PROVIDERS: dict[str, type[_Settings]] = {
    "process": ProcessSettings,
    "aws-lambda": LambdaSettings,
    "static": StaticSettings,
}
ProviderName = Literal["process", "aws-lambda", "static"]


def option_errors(provider: str, options: Mapping[str, Any]) -> list[ErrorDetails]:
    """pydantic's errors for ``options`` as settings of ``provider`` (empty: fine); their
    ``loc`` is the key inside ``[apps.<name>]``."""
    model = PROVIDERS.get(provider)
    if model is None:
        return []
    try:
        model.model_validate(dict(options))
    except ValidationError as exc:
        return exc.errors()
    return []


def _say(error: ErrorDetails) -> str:
    if error["type"] == "missing":
        return "missing required key"
    if error["type"] == "extra_forbidden":
        return "unknown key"
    return str(error["msg"]).removeprefix("Value error, ")


S = TypeVar("S", bound=_Settings)


def parse(model: type[S], target: Target) -> S:
    """``target``'s options as ``model``, or a ConfigError naming every bad key."""
    try:
        return model.model_validate(dict(target.options))
    except ValidationError as exc:
        lines = [
            f"conveyor.toml: apps.{target.app}."
            + ".".join(str(p) for p in error["loc"])
            + f": {_say(error)}"
            for error in exc.errors()
        ]
        raise ConfigError("\n".join(lines)) from exc
