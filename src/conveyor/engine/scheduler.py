"""Ready-set DAG scheduler: a node starts the moment its own needs have finished.

No stage barriers. A ready node is *expanded* (on the scheduling thread) into units --
one per matrix combination -- which run on a shared thread pool; ``limit`` caps how many
units of that node run at once (``max-parallel``). When every unit of a node has
finished, ``finish`` is called with their results (in unit order) and dependants are
re-checked. Skipping dependants of failed nodes is the caller's decision in ``expand``.
"""

from __future__ import annotations

import queue
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from conveyor.errors import UserError

T = TypeVar("T")
Unit = Callable[[], T]


@dataclass
class Expansion(Generic[T]):
    units: list[Unit[T]]
    limit: int | None = None


@dataclass
class _Node(Generic[T]):
    waiting: deque[tuple[int, Unit[T]]] = field(default_factory=deque)
    running: int = 0
    limit: int | None = None
    results: dict[int, T] = field(default_factory=dict)
    total: int = 0


def _next(
    completed: queue.Queue[tuple[str, int, T | BaseException]],
) -> tuple[str, int, T | BaseException]:
    """Wait for the next result without ever blocking indefinitely: a process-directed
    signal may land on a worker thread, and the main thread only runs Python signal
    handlers when it wakes up."""
    while True:
        try:
            return completed.get(timeout=0.1)
        except queue.Empty:
            continue


class DagScheduler(Generic[T]):
    def __init__(self, needs: Mapping[str, Sequence[str]], workers: int) -> None:
        self._needs = {node: tuple(dict.fromkeys(deps)) for node, deps in needs.items()}
        for node, deps in self._needs.items():
            unknown = [d for d in deps if d not in self._needs]
            if unknown:
                raise UserError(f"job '{node}' needs unknown job(s): {', '.join(unknown)}")
        self._workers = max(1, workers)

    def run(
        self,
        expand: Callable[[str], Expansion[T]],
        finish: Callable[[str, list[T]], None],
    ) -> None:
        done: set[str] = set()
        active: dict[str, _Node[T]] = {}
        unstarted = list(self._needs)
        completed: queue.Queue[tuple[str, int, T | BaseException]] = queue.Queue()

        def wrap(node: str, index: int, unit: Unit[T]) -> Callable[[], None]:
            def call() -> None:
                try:
                    completed.put((node, index, unit()))
                except BaseException as exc:  # surfaced on the scheduling thread
                    completed.put((node, index, exc))

            return call

        with ThreadPoolExecutor(self._workers, thread_name_prefix="job") as pool:

            def launch(node: str) -> None:
                state = active[node]
                while state.waiting and (state.limit is None or state.running < state.limit):
                    index, unit = state.waiting.popleft()
                    state.running += 1
                    pool.submit(wrap(node, index, unit))

            def close(node: str) -> None:
                state = active.pop(node)
                done.add(node)
                finish(node, [state.results[i] for i in range(state.total)])

            while unstarted or active:
                progressed = True
                while progressed:
                    progressed = False
                    for node in list(unstarted):
                        if all(dep in done for dep in self._needs[node]):
                            unstarted.remove(node)
                            expansion = expand(node)
                            state: _Node[T] = _Node(limit=expansion.limit)
                            state.waiting.extend(enumerate(expansion.units))
                            state.total = len(expansion.units)
                            active[node] = state
                            if not expansion.units:
                                close(node)
                                progressed = True
                            else:
                                launch(node)
                if not active:
                    if unstarted:
                        cycle = ", ".join(sorted(unstarted))
                        raise UserError(f"jobs form a dependency cycle: {cycle}")
                    break
                node, index, result = _next(completed)
                if isinstance(result, BaseException):
                    raise result
                state = active[node]
                state.running -= 1
                state.results[index] = result
                if len(state.results) == state.total:
                    close(node)
                else:
                    launch(node)
