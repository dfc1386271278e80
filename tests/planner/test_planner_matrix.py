"""Matrix expansion, checked against every worked example in GitHub's docs."""

from __future__ import annotations

from typing import Any

import pytest

from conveyor.planner import MAX_COMBINATIONS, MatrixError, expand_matrix, expand_static


def combos(matrix: dict[str, Any]) -> list[dict[str, Any]]:
    result = expand_matrix(matrix)
    assert not result.dynamic
    assert result.combinations is not None
    return result.combinations


def test_no_matrix_is_one_empty_combination() -> None:
    assert expand_matrix(None).combinations == [{}]


def test_docs_order_first_key_varies_slowest() -> None:
    # "The order of the variables in the matrix determines the order in which the jobs are created"
    assert combos({"version": [10, 12, 14], "os": ["ubuntu-latest", "windows-latest"]}) == [
        {"version": 10, "os": "ubuntu-latest"},
        {"version": 10, "os": "windows-latest"},
        {"version": 12, "os": "ubuntu-latest"},
        {"version": 12, "os": "windows-latest"},
        {"version": 14, "os": "ubuntu-latest"},
        {"version": 14, "os": "windows-latest"},
    ]


def test_docs_single_dimension() -> None:
    assert combos({"version": [10, 12, 14]}) == [{"version": 10}, {"version": 12}, {"version": 14}]


def test_docs_multi_dimension_six_jobs() -> None:
    result = combos({"os": ["ubuntu-22.04", "ubuntu-20.04"], "version": [10, 12, 14]})
    assert len(result) == 6
    assert result[0] == {"os": "ubuntu-22.04", "version": 10}


def test_docs_vector_of_objects() -> None:
    node20 = {"version": 20, "env": "NODE_OPTIONS=--openssl-legacy-provider"}
    result = combos({"os": ["ubuntu-latest", "macos-latest"], "node": [{"version": 14}, node20]})
    assert result == [
        {"os": "ubuntu-latest", "node": {"version": 14}},
        {"os": "ubuntu-latest", "node": node20},
        {"os": "macos-latest", "node": {"version": 14}},
        {"os": "macos-latest", "node": node20},
    ]


def test_docs_fruit_animal_include() -> None:
    matrix = {
        "fruit": ["apple", "pear"],
        "animal": ["cat", "dog"],
        "include": [
            {"color": "green"},
            {"color": "pink", "animal": "cat"},
            {"fruit": "apple", "shape": "circle"},
            {"fruit": "banana"},
            {"fruit": "banana", "animal": "cat"},
        ],
    }
    assert combos(matrix) == [
        {"fruit": "apple", "animal": "cat", "color": "pink", "shape": "circle"},
        {"fruit": "apple", "animal": "dog", "color": "green", "shape": "circle"},
        {"fruit": "pear", "animal": "cat", "color": "pink"},
        {"fruit": "pear", "animal": "dog", "color": "green"},
        {"fruit": "banana"},
        {"fruit": "banana", "animal": "cat"},
    ]


def test_docs_perl_example_seven_jobs() -> None:
    matrix = {
        "os": ["ubuntu-latest"],
        "perl": ["5.16", "5.20", "5.26", "5.30", "latest"],
        "include": [
            {"os": "macos-latest", "perl": "5.26"},
            {"os": "macos-latest", "perl": "latest"},
        ],
    }
    result = combos(matrix)
    assert len(result) == 7
    assert result[-2:] == [
        {"os": "macos-latest", "perl": "5.26"},
        {"os": "macos-latest", "perl": "latest"},
    ]


def test_docs_expand_with_include_npm() -> None:
    matrix = {
        "os": ["windows-latest", "ubuntu-latest"],
        "node": [12, 14, 16],
        "include": [{"os": "windows-latest", "node": 16, "npm": 6}],
    }
    result = combos(matrix)
    assert len(result) == 6
    assert [c for c in result if "npm" in c] == [{"os": "windows-latest", "node": 16, "npm": 6}]


def test_docs_add_with_include_ten_jobs() -> None:
    matrix = {
        "os": ["macos-latest", "windows-latest", "ubuntu-latest"],
        "version": [12, 14, 16],
        "include": [{"os": "windows-latest", "version": 17}],
    }
    result = combos(matrix)
    assert len(result) == 10
    assert result[-1] == {"os": "windows-latest", "version": 17}


def test_docs_include_only() -> None:
    matrix = {
        "include": [
            {"site": "production", "datacenter": "site-a"},
            {"site": "staging", "datacenter": "site-b"},
        ]
    }
    assert combos(matrix) == matrix["include"]


def test_docs_exclude_partial_nine_jobs() -> None:
    matrix = {
        "os": ["macos-latest", "windows-latest"],
        "version": [12, 14, 16],
        "environment": ["staging", "production"],
        "exclude": [
            {"os": "macos-latest", "version": 12, "environment": "production"},
            {"os": "windows-latest", "version": 16},
        ],
    }
    result = combos(matrix)
    assert len(result) == 9
    assert {"os": "macos-latest", "version": 12, "environment": "production"} not in result
    assert not [c for c in result if c["os"] == "windows-latest" and c["version"] == 16]


def test_include_adds_back_excluded_after_exclude() -> None:
    matrix = {
        "os": ["a", "b"],
        "v": [1, 2],
        "exclude": [{"os": "b", "v": 2}],
        "include": [{"os": "b", "v": 2}],
    }
    assert combos(matrix) == [
        {"os": "a", "v": 1},
        {"os": "a", "v": 2},
        {"os": "b", "v": 1},
        {"os": "b", "v": 2},
    ]


def test_exclude_nested_objects_compare_deeply() -> None:
    matrix = {
        "node": [{"version": 14}, {"version": 20, "env": "x"}],
        "os": ["a"],
        "exclude": [{"node": {"version": 20, "env": "x"}}, {"node": {"version": 14, "extra": 1}}],
    }
    assert combos(matrix) == [{"node": {"version": 14}, "os": "a"}]


def test_exclude_keeps_booleans_apart_from_numbers() -> None:
    matrix = {"flag": [True, 1], "exclude": [{"flag": 1}]}
    assert combos(matrix) == [{"flag": True}]


def test_keys_are_case_insensitive() -> None:
    matrix = {"os": ["a", "b"], "exclude": [{"OS": "a"}], "include": [{"Os": "b", "extra": 1}]}
    assert combos(matrix) == [{"os": "b", "extra": 1}]


def test_added_values_can_be_overwritten_original_cannot() -> None:
    matrix = {
        "os": ["a"],
        "include": [{"x": 1}, {"x": 2}, {"os": "a", "x": 3}, {"os": "z", "x": 4}],
    }
    assert combos(matrix) == [{"os": "a", "x": 3}, {"os": "z", "x": 4}]


def test_max_combinations() -> None:
    four = [1, 2, 3, 4]
    assert len(combos({"a": four, "b": four, "c": four, "d": four})) == MAX_COMBINATIONS
    with pytest.raises(MatrixError, match="257 combinations"):
        expand_static({"a": four, "b": four, "c": four, "d": four, "include": [{"a": 9}]})


@pytest.mark.parametrize(
    ("matrix", "fragment", "path"),
    [
        ({"os": []}, "does not contain any values", ("os",)),
        ({"os": "ubuntu"}, "must be a list", ("os",)),
        ({}, "at least one vector", ()),
        ({"os": ["a"], "exclude": [{"nope": 1}]}, "does not match any key", ("exclude", 0, "nope")),
        ({"os": ["a"], "include": {"x": 1}}, "list of mappings", ("include",)),
        ({"os": ["a"], "include": ["x"]}, "entries must be mappings", ("include", 0)),
        ({"os": ["a"], "OS": ["b"]}, "repeats", ("OS",)),
    ],
)
def test_invalid_matrices(matrix: dict[str, Any], fragment: str, path: tuple[Any, ...]) -> None:
    with pytest.raises(MatrixError, match=fragment) as info:
        expand_matrix(matrix)
    assert info.value.path == path
    assert info.value.exit_code == 2


def test_all_excluded_gives_no_combinations() -> None:
    assert combos({"os": ["a"], "exclude": [{"os": "a"}]}) == []


def test_whole_matrix_expression_resolved_statically() -> None:
    result = expand_matrix("${{ fromJSON('{\"a\":[1,2]}') }}")
    assert result.combinations == [{"a": 1}, {"a": 2}]


def test_vector_expression_resolved_statically() -> None:
    result = expand_matrix({"v": "${{ fromJSON('[1,2]') }}", "os": ["x"]})
    assert result.combinations == [{"v": 1, "os": "x"}, {"v": 2, "os": "x"}]


def test_inputs_and_github_contexts_are_static() -> None:
    contexts = {"inputs": {"versions": "[3, 4]"}, "github": {"event_name": "push"}}
    result = expand_matrix(
        {"v": "${{ fromJSON(inputs.versions) }}", "ev": ["${{ github.event_name }}"]}, contexts
    )
    assert result.combinations == [{"v": 3, "ev": "push"}, {"v": 4, "ev": "push"}]


def test_needs_makes_the_matrix_dynamic() -> None:
    result = expand_matrix("${{ fromJSON(needs.setup.outputs.matrix) }}", {"inputs": {}})
    assert result.dynamic and result.combinations is None
    assert "needs" in result.reason
    result = expand_matrix({"os": ["a"], "include": "${{ fromJSON(vars.EXTRA) }}"})
    assert result.dynamic and "vars" in result.reason


def test_insert_merges_keys_into_an_include_entry() -> None:
    contexts = {"inputs": {"extra": '{"python": "3.12", "experimental": true}'}}
    matrix = {
        "os": ["linux", "mac"],
        "include": [{"os": "mac", "${{ insert }}": "${{ fromJSON(inputs.extra) }}"}],
    }
    assert expand_matrix(matrix, contexts).combinations == [
        {"os": "linux"},
        {"os": "mac", "python": "3.12", "experimental": True},
    ]


def test_insert_at_the_matrix_level_and_sequence_items_flattened() -> None:
    contexts = {"inputs": {"vectors": '{"py": ["3.11"]}', "more": '["3.12", "3.13"]'}}
    matrix = {
        "${{ insert }}": "${{ fromJSON(inputs.vectors) }}",
        "os": ["linux"],
    }
    assert expand_matrix(matrix, contexts).combinations == [{"py": "3.11", "os": "linux"}]
    vector = {"py": ["3.10", "${{ fromJSON(inputs.more) }}"]}
    assert [c["py"] for c in combos_in(vector, contexts)] == ["3.10", "3.12", "3.13"]


def test_insert_that_needs_run_time_contexts_is_dynamic() -> None:
    matrix = {"os": ["a"], "include": [{"${{ insert }}": "${{ fromJSON(needs.x.outputs.y) }}"}]}
    result = expand_matrix(matrix, {"inputs": {}})
    assert result.dynamic and "needs" in result.reason


def combos_in(matrix: dict[str, Any], contexts: dict[str, Any]) -> list[dict[str, Any]]:
    result = expand_matrix(matrix, contexts).combinations
    assert result is not None
    return result
