"""Job ordering: topological by needs, stable in YAML order; dependants; errors."""

from __future__ import annotations

import pytest

from conveyor.planner import GraphError, build_graph


def test_independent_jobs_keep_yaml_order() -> None:
    graph = build_graph({"c": [], "a": [], "b": []})
    assert graph.order == ("c", "a", "b")
    assert graph.roots() == ("c", "a", "b")


def test_needs_come_first_and_ties_follow_yaml_order() -> None:
    graph = build_graph({"deploy": ["test", "build"], "test": ["build"], "lint": [], "build": []})
    assert graph.order == ("lint", "build", "test", "deploy")
    assert graph.needs["deploy"] == ("test", "build")
    assert graph.dependants["build"] == ("deploy", "test")
    assert graph.dependants["deploy"] == ()


def test_ready_set() -> None:
    graph = build_graph({"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]})
    assert graph.ready(set()) == ["a"]
    assert graph.ready({"a"}) == ["b", "c"]
    assert graph.ready({"a", "b"}) == ["c"]
    assert graph.ready({"a", "b", "c"}) == ["d"]


def test_duplicate_needs_are_collapsed() -> None:
    assert build_graph({"a": [], "b": ["a", "a"]}).needs["b"] == ("a",)


def test_unknown_need() -> None:
    with pytest.raises(GraphError, match="needs 'nope'") as info:
        build_graph({"a": ["nope"]})
    assert info.value.job == "a"


@pytest.mark.parametrize(
    ("needs", "cycle"),
    [
        ({"a": ["a"]}, "a -> a"),
        ({"x": [], "a": ["b"], "b": ["a"]}, "a -> b -> a"),
        ({"a": ["c"], "b": ["a"], "c": ["b"], "d": ["a"]}, "a -> c -> b -> a"),
    ],
)
def test_cycles(needs: dict[str, list[str]], cycle: str) -> None:
    with pytest.raises(GraphError, match="cycle") as info:
        build_graph(needs)
    assert cycle in info.value.message


def test_long_chain_is_fast_and_ordered() -> None:
    n = 2000
    needs = {f"j{i}": ([f"j{i - 1}"] if i else []) for i in range(n - 1, -1, -1)}
    assert build_graph(needs).order == tuple(f"j{i}" for i in range(n))
