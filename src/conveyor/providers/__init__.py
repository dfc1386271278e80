"""Deployment providers behind :class:`conveyor.delivery.ports.Provider`.

- ``process`` (:mod:`conveyor.providers.process`): each version a local process behind
  conveyor's router (:mod:`conveyor.providers.router`), the embedded default;
- ``aws-lambda`` (:mod:`conveyor.providers.aws_lambda`): a Lambda function's ``$LATEST``,
  published versions and an alias, with boto3 (the ``aws`` extra);
- ``static`` (:mod:`conveyor.providers.static`): a built site served from two roots,
  TEST then APP (locally by :mod:`conveyor.providers.static_server`, or S3 + two
  CloudFront distributions).

Their settings are in :mod:`conveyor.providers.settings`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from conveyor.delivery.ports import Provider
    from conveyor.delivery.settings import AppSettings


def provider_for(app: AppSettings, state_dir: Path | None = None) -> Provider:
    """The provider ``app`` names. ``state_dir`` (default: the usual ``.conveyor``) is
    where the process provider keeps its versions and routing state."""
    if app.provider == "aws-lambda":
        from conveyor.providers.aws_lambda import LambdaProvider

        return LambdaProvider()
    if app.provider == "static":
        from conveyor.providers.static import StaticProvider
        from conveyor.store.paths import resolve_state_dir

        return StaticProvider(resolve_state_dir(state_dir))
    from conveyor.providers.process import ProcessProvider
    from conveyor.store.paths import resolve_state_dir

    return ProcessProvider(resolve_state_dir(state_dir))
