"""Which repository a listing means: the current one (by default) or every one (``--all``).

The current repository is ``$CONVEYOR_REPOSITORY`` (a history key; conveyor sets it in
every step it runs) or else the identity of the repository around the working directory
(:func:`conveyor.git.repository_identity`). Run ids are global: ``show``, ``logs`` and
``report N`` take any run's id, whatever the scope.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from conveyor.engine.contexts import REPOSITORY_ENV
from conveyor.git.identity import RepositoryIdentity, repository_identity

if TYPE_CHECKING:
    from conveyor.store.database import StateDatabase

NO_REPOSITORY = 0  # ids start at 1: a filter on this id matches nothing

AllOption = Annotated[
    bool, typer.Option("--all", help="Every repository in the database, not only this one.")
]


def current_identity(cwd: Path | None = None) -> RepositoryIdentity:
    key = os.environ.get(REPOSITORY_ENV, "").strip()
    if key:
        return RepositoryIdentity(key, key, None)
    return repository_identity(cwd or Path.cwd())


@dataclass(frozen=True, slots=True)
class Scope:
    identity: RepositoryIdentity | None  # None: every repository
    repository_id: int | None  # None: every repository, or nothing recorded for this one

    @property
    def every(self) -> bool:
        return self.identity is None

    @property
    def unknown(self) -> bool:
        """Nothing was ever recorded for the current repository."""
        return self.identity is not None and self.repository_id is None

    @property
    def filter(self) -> int | None:
        """The ``repository_id`` argument of the store's queries (None: every one)."""
        if self.identity is None:
            return None
        return NO_REPOSITORY if self.repository_id is None else self.repository_id

    def describe(self) -> str:
        return "any repository" if self.identity is None else self.identity.name

    def nothing_yet(self, what: str) -> str:
        """The message for an empty listing."""
        if self.identity is None:
            return f"no {what} recorded yet"
        return (
            f"no {what} recorded for {self.identity.name} ({self.identity.key}); "
            "--all shows every repository's"
        )


def read_scope(db: StateDatabase, every: bool = False) -> Scope:
    """The scope of a listing: nothing is created in the database."""
    if every:
        return Scope(None, None)
    from conveyor.store.repositories import find_repository

    identity = current_identity()
    with db.engine.connect() as connection:
        return Scope(identity, find_repository(connection, identity.key))


def write_scope(db: StateDatabase) -> Scope:
    """The current repository, recorded in the database if it was not yet."""
    identity = current_identity()
    return Scope(identity, db.repository_id(identity.key, identity.name, identity.url))
