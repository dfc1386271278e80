"""Options several commands share, declared once."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

StateDirOption = Annotated[
    Path | None,
    typer.Option(
        "--state-dir",
        help="State directory (default: $CONVEYOR_HOME, else .conveyor at the git root).",
        file_okay=False,
    ),
]
AppFilter = Annotated[str | None, typer.Option("--app", help="Only this app.")]
EnvFilter = Annotated[str | None, typer.Option("--env", help="Only this environment.")]
