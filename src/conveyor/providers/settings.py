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

A bad key is a :class:`~conveyor.errors.ConfigError` naming it; when ``conveyor.toml`` is
loaded (:mod:`conveyor.tiers.configfile`) the error names the file and line as well.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, field_validator
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


PROVIDERS: dict[str, type[_Settings]] = {"process": ProcessSettings, "aws-lambda": LambdaSettings}
ProviderName = Literal["process", "aws-lambda"]


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
