"""The test-result tables, on the store's declarative ``Base`` (one schema, one migration
chain, owned by the store; :mod:`conveyor.results` reads and writes them).

``test_ingests`` holds one row per ``conveyor ingest`` (a batch of report files),
``test_results`` one row per test case, ``test_quarantine`` the quarantined test ids of
each repository. Results belong to a repository and, when ingested for one, to a run
(deleted with it).
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import Boolean, Double, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.store.models import Base, BigId, repository_fk, run_fk


class TestIngestRow(Base):
    __tablename__ = "test_ingests"
    __test__ = False  # not a pytest class

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), nullable=False)
    created_at: Mapped[float] = mapped_column(Double, nullable=False, index=True)
    tier: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    run_id: Mapped[int | None] = mapped_column(BigId, run_fk(), index=True)
    commit: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    branch: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    sources: Mapped[str] = mapped_column(Text, nullable=False, default="")
    total: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    wall_time: Mapped[float | None] = mapped_column(Double)  # seconds; revision 0006
    # reports a workflow step wrote or uploaded (revision 0014): where they came from, and
    # the sha256 of the masked file (one report is ingested once per run)
    job_key: Mapped[str | None] = mapped_column(String(255))
    step_index: Mapped[int | None] = mapped_column(Integer)
    step_name: Mapped[str | None] = mapped_column(String(255))
    digest: Mapped[str | None] = mapped_column(String(64))


class TestResultRow(Base):
    __tablename__ = "test_results"
    __test__ = False
    __table_args__ = (
        Index("ix_test_results_test_id", "test_id"),
        Index("ix_test_results_commit", "commit"),
        Index("ix_test_results_recorded_at", "recorded_at"),
        # the stats and flaky window of a repository, with every column they read
        # (revision 0015): the window is read from the index alone
        Index(
            "ix_test_results_repository_recorded",
            "repository_id",
            "recorded_at",
            "tier",
            "test_id",
            "status",
            "duration",
            "run_id",
            "ingest_id",
            "commit",
            "branch",
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    ingest_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("test_ingests.id", ondelete="CASCADE"), nullable=False, index=True
    )
    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), nullable=False)
    recorded_at: Mapped[float] = mapped_column(Double, nullable=False)
    tier: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    run_id: Mapped[int | None] = mapped_column(BigId, run_fk(), index=True)
    commit: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    branch: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    test_id: Mapped[str] = mapped_column(String(2048), nullable=False)
    name: Mapped[str] = mapped_column(String(2048), nullable=False)
    classname: Mapped[str] = mapped_column(String(2048), nullable=False, default="")
    suite: Mapped[str] = mapped_column(String(2048), nullable=False, default="")
    file: Mapped[str | None] = mapped_column(String(2048))
    line: Mapped[int | None] = mapped_column(Integer)
    duration: Mapped[float | None] = mapped_column(Double)
    status: Mapped[str] = mapped_column(String(16), nullable=False)
    retries: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    message: Mapped[str] = mapped_column(Text, nullable=False, default="")
    output: Mapped[str] = mapped_column(Text, nullable=False, default="")


class QuarantineRow(Base):
    __tablename__ = "test_quarantine"

    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), primary_key=True)
    test_id: Mapped[str] = mapped_column(String(2048), primary_key=True)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    added_at: Mapped[float] = mapped_column(Double, nullable=False)
    added_by: Mapped[str] = mapped_column(String(255), nullable=False, default="")
    automatic: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)


INGESTS = cast(Table, TestIngestRow.__table__)
RESULTS = cast(Table, TestResultRow.__table__)
QUARANTINE = cast(Table, QuarantineRow.__table__)
