"""The benchmark table (revision 0009), on the store's declarative ``Base``.

``benchmark_results``: one measured value of one benchmark (its name, value, unit and
whether lower is better), with where it came from (the file's format, the run, the
commit and branch) and when it was recorded. ``conveyor perf check`` reads a
benchmark's history on the default branch from here.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Double, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from conveyor.store.models import Base, BigId, repository_fk


class BenchmarkResultRow(Base):
    __tablename__ = "benchmark_results"
    __table_args__ = (
        Index("ix_benchmark_results_series", "repository_id", "benchmark", "branch", "recorded_at"),
        Index("ix_benchmark_results_run", "run_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    repository_id: Mapped[int] = mapped_column(BigId, repository_fk(), nullable=False)
    # no foreign key: a result outlives the run's row (gc keeps benchmark history)
    run_id: Mapped[int | None] = mapped_column(BigId)
    benchmark: Mapped[str] = mapped_column(String(1024), nullable=False)
    value: Mapped[float] = mapped_column(Double, nullable=False)
    unit: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    lower_is_better: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    source: Mapped[str] = mapped_column(String(32), nullable=False)  # the file's format
    commit: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    branch: Mapped[str] = mapped_column(String(1024), nullable=False, default="")
    recorded_at: Mapped[float] = mapped_column(Double, nullable=False)
