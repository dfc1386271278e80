"""conveyor accepts exactly what GitHub's own schemas accept (the oracle test).

For every mapping definition reachable from GitHub's workflow and action roots, a
minimal valid document is built around it; then each known key is given a valid value
and a value of every other type, an unknown key and the underscore spelling of each
dashed key are added, and each required key is removed. GitHub's schema (read by
:mod:`schema_helpers`) and conveyor must agree on every one of those documents. The
contexts and special functions allowed at every key must be exactly GitHub's.

Deliberate differences are patched into the oracle below, each with its reason.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from typing import Any

import pytest
from schema_helpers import Oracle, load, prop_type

from conveyor.workflow import load_action_text, load_workflow_text
from conveyor.workflow.checks.contexts import availability
from shared_data import GITHUB_SCHEMA

pytestmark = pytest.mark.skipif(
    not (GITHUB_SCHEMA / "workflow-v1.0.json").is_file(), reason="GitHub schema not available"
)

_NULL_ONLY_EVENTS = (
    "create",
    "delete",
    "deployment",
    "deployment-status",
    "fork",
    "gollum",
    "page-build",
    "public",
    "status",
)


def _workflow_oracle() -> Oracle:
    defs = copy.deepcopy(load("workflow-v1.0.json"))
    loose_any = {"loose-key-type": "non-empty-string", "loose-value-type": "any"}
    # GitHub's service reads the settings of an event it knows and ignores the others
    # (its test data: on-workflow_dispatch-unknown-keys-ignored, -inputs-null; real
    # workflows write `tags:` on `create` and leave filters empty). conveyor warns.
    for event, name in defs["on-mapping-strict"]["mapping"]["properties"].items():
        if event in ("workflow_call", "schedule"):
            continue
        if name in _NULL_ONLY_EVENTS:
            defs[name] = {"one-of": ["null", f"{name}-lenient"]}
            defs[f"{name}-lenient"] = {"mapping": dict(loose_any)}
            continue
        for leaf in defs[name].get("one-of", [name]):
            if "mapping" in defs.get(leaf, {}):
                defs[leaf]["mapping"].update(loose_any)
    for name, definition in list(defs.items()):
        if name.startswith("event-") or name == "workflow-run-workflows":
            definition["one-of"] = ["null", *definition["one-of"]]
        if name.endswith("-activity"):  # an empty filter is no filter
            definition["one-of"] = ["null", *definition["one-of"]]
        if name.endswith("-activity-type"):  # unknown types never match; conveyor warns
            defs[name] = {"string": {"require-non-empty": True}}
    # A single repository_dispatch type may be written as a string, as for other events.
    defs["repository-dispatch-mapping"]["mapping"]["properties"]["types"] = "event-names"
    inputs = defs["workflow-dispatch-mapping"]["mapping"]["properties"]
    defs["workflow-dispatch-inputs-or-null"] = {"one-of": ["null", prop_type(inputs["inputs"])]}
    inputs["inputs"] = "workflow-dispatch-inputs-or-null"
    return Oracle(defs)


def _action_oracle() -> Oracle:
    defs = copy.deepcopy(load("action-v1.0.json"))
    # The runner loads actions without a description; only the Marketplace needs one.
    defs["action-root-strict"]["mapping"]["properties"]["description"]["required"] = False
    # The runner reads an input's keys loosely (its `input` definition takes any value),
    # and real actions write `required: 'true'`: conveyor takes a boolean or a string.
    defs["input-required"] = {"one-of": ["boolean", "string"]}
    defs["input-strict"]["mapping"]["properties"]["required"] = {"type": "input-required"}
    # conveyor does not carry Feather's list of ~280 icon names.
    defs["branding-icon"] = {"string": {"require-non-empty": True}}
    return Oracle(defs)


WORKFLOW = _workflow_oracle()
ACTION = _action_oracle()

_FIRST_STEP = {"id": "first", "run": "x", "background": True}
_WORKFLOW_SAMPLES: dict[Any, Any] = {
    "on": "push",
    "jobs": {"build": {"runs-on": "x", "steps": []}, "other": {"runs-on": "x", "steps": []}},
    ("def", "job-factory"): {"runs-on": "x", "steps": []},
    ("jobs", "build", "uses"): "./.github/workflows/called.yml",
    "uses": "actions/checkout@v4",
    "needs": "other",
    "cron": "0 0 * * *",
    "timezone": "UTC",
    "shell": "bash",
    "wait": "first",
    "cancel": "first",
    "id": "second",
    "if": "always()",
    "matrix": {"os": ["x"]},
    "container": {"image": "x"},
    ("jobs", "build", "services", "x1"): {"image": "x"},
}
_ACTION_SAMPLES: dict[Any, Any] = {
    ("def", "node-runs-strict"): {"using": "node20", "main": "x"},
    ("def", "container-runs-strict"): {"using": "docker", "image": "x"},
    ("def", "composite-runs-strict"): {
        "using": "composite",
        "steps": [{"run": "x", "shell": "bash"}],
    },
    "uses": "actions/checkout@v4",
    "shell": "bash",
    "id": "second",
    "if": "always()",
    "pre-if": "always()",
    "post-if": "always()",
}

# Rules GitHub applies after its schema (its converters and runner), which conveyor
# applies when validating: (definition, case label prefix) -> why. (A job that runs on
# a runner also needs 'steps', by GitHub's converter: the samples above give them.)
_AFTER_SCHEMA = {
    ("workflow-dispatch-input", "options:"): "options need 'type: choice' (GitHub's converter)",
    ("node-runs-strict", "using:"): "'using' decides the kind of action (the runner)",
    ("container-runs-strict", "using:"): "'using' decides the kind of action (the runner)",
    ("composite-runs-strict", "using:"): "'using' decides the kind of action (the runner)",
}


_MISSING = object()
Path = tuple[str | int, ...]
Link = tuple[Path, str]


class Root:
    """One schema root: the oracle, how to load with conveyor, and sample values."""

    def __init__(
        self,
        oracle: Oracle,
        name: str,
        samples: dict[Any, Any],
        first_step: dict[str, Any],
        accepts: Callable[[str], list[str]],
    ) -> None:
        self.oracle = oracle
        self.name = name
        self.samples = samples
        self.first_step = first_step
        self.conveyor_errors = accepts
        self.places = list(oracle.walk(name))

    def fix(self, path: Path) -> Path:
        """Steps under test are the second step: the first is a background step to wait for;
        the job under test is 'build'."""
        out: list[str | int] = []
        for i, part in enumerate(path):
            fixed = part
            if part == 0 and i and path[i - 1] in ("steps", "parallel"):
                fixed = 1
            if part == "x1" and tuple(out) == ("jobs",):
                fixed = "build"
            out.append(fixed)
        return tuple(out)

    def text_sample(self, path: Path) -> Any:
        if path in self.samples and isinstance(self.samples[path], str):
            return self.samples[path]
        keys = [p for p in path if isinstance(p, str)]
        found = self.samples.get(keys[-1]) if keys else None
        return found if isinstance(found, str) else "x"

    def minimal(self, name: str, path: Path) -> Any:
        return self.oracle.minimal(name, self.samples, path)

    def put(self, doc: dict[str, Any], path: Path, value: Any) -> None:
        cur: Any = doc
        for i, part in enumerate(path[:-1]):
            nxt = path[i + 1]
            if isinstance(cur, dict):
                if not isinstance(cur.get(part), dict | list):
                    cur[part] = [] if isinstance(nxt, int) else {}
                cur = cur[part]
            else:
                assert isinstance(part, int)
                self._fill(cur, part, path[i - 1] if i else "")
                if not isinstance(cur[part], dict | list):
                    cur[part] = [] if isinstance(nxt, int) else {}
                cur = cur[part]
        last = path[-1]
        if isinstance(cur, list):
            assert isinstance(last, int)
            self._fill(cur, last, path[-2] if len(path) > 1 else "")
        if value is _MISSING:
            if isinstance(cur, dict):
                cur.pop(last, None)
        else:
            cur[last] = value

    def _fill(self, items: list[Any], index: int, parent: Any) -> None:
        while len(items) <= index:
            items.append(copy.deepcopy(self.first_step) if parent in ("steps", "parallel") else "x")

    def document(self, chain: tuple[Link, ...]) -> dict[str, Any]:
        doc: dict[str, Any] = self.minimal(self.name, ())
        for path, definition in chain[1:]:
            fixed = self.fix(path)
            self.put(doc, fixed, self.minimal(definition, fixed))
        return doc

    def agree(self, doc: dict[str, Any]) -> tuple[bool, list[str], list[str]]:
        github = self.oracle.errors(self.name, doc)
        ours = self.conveyor_errors(json.dumps(doc))
        return (not github) == (not ours), github, ours

    def links(self) -> dict[Link, tuple[Link, ...]]:
        """Every mapping definition at its path, with the chain that leads to it."""
        found: dict[Link, tuple[Link, ...]] = {}
        for place in self.places:
            for i, link in enumerate(place.chain):
                found.setdefault(link, place.chain[: i + 1])
        return found


def _workflow_errors(text: str) -> list[str]:
    loaded = load_workflow_text(text, ".github/workflows/t.yml", root="/nonexistent")
    return [d.format() for d in loaded.errors]


def _action_errors(text: str) -> list[str]:
    return [d.format() for d in load_action_text(text, "action.yml", root="/nonexistent").errors]


ROOTS = {
    "workflow": Root(
        WORKFLOW, "workflow-root-strict", _WORKFLOW_SAMPLES, _FIRST_STEP, _workflow_errors
    ),
    "action": Root(
        ACTION,
        "action-root-strict",
        _ACTION_SAMPLES,
        {"id": "first", "run": "x", "shell": "bash"},
        _action_errors,
    ),
}


def _values(root: Root, name: str, path: Path) -> list[tuple[str, Any]]:
    text = root.text_sample(path)
    return [
        ("valid", root.minimal(name, path)),
        ("string", text),
        ("empty string", ""),
        ("number", 7),
        ("boolean", True),
        ("null", None),
        ("sequence", [text]),
        ("mapping", {"k": text}),
        ("expression", "${{ github.sha }}"),
    ]


def _cases(root: Root, chain: tuple[Link, ...]) -> list[tuple[str, dict[str, Any]]]:
    path, definition = chain[-1]
    where = root.fix(path)
    cases: list[tuple[str, dict[str, Any]]] = []
    for key, prop in root.oracle.properties(definition).items():
        for label, value in _values(root, prop_type(prop), (*where, key)):
            doc = root.document(chain)
            root.put(doc, (*where, key), value)
            cases.append((f"{key}: {label} {value!r}", doc))
        if "-" in key:
            doc = root.document(chain)
            value = root.minimal(prop_type(prop), (*where, key))
            root.put(doc, (*where, key.replace("-", "_")), value)
            cases.append((f"underscore spelling {key.replace('-', '_')}", doc))
        if isinstance(prop, dict) and prop.get("required"):
            doc = root.document(chain)
            root.put(doc, (*where, key), _MISSING)
            cases.append((f"without required {key}", doc))
    doc = root.document(chain)
    root.put(doc, (*where, "bogus-key"), "x")
    cases.append(("unknown key bogus-key", doc))
    return cases


def _link_params() -> list[Any]:
    params = []
    for root_name, root in ROOTS.items():
        for (path, definition), chain in root.links().items():
            shown = ".".join(str(p) for p in root.fix(path)) or "<root>"
            params.append(pytest.param(root_name, chain, id=f"{root_name}:{definition}@{shown}"))
    return params


@pytest.mark.parametrize(("root_name", "chain"), _link_params())
def test_mapping_keys_types_and_required_match_github(
    root_name: str, chain: tuple[Link, ...]
) -> None:
    root = ROOTS[root_name]
    mismatches = []
    definition = chain[-1][1]
    for label, doc in _cases(root, chain):
        if any(d == definition and label.startswith(p) for d, p in _AFTER_SCHEMA):
            continue
        same, github, ours = root.agree(doc)
        if not same:
            verdict = "GitHub accepts, conveyor refuses" if not github else "GitHub refuses"
            mismatches.append(f"{label}: {verdict}: github={github[:2]} conveyor={ours[:2]}")
    assert mismatches == []


def _functions(contexts: tuple[str, ...]) -> dict[str, tuple[int, int | None]]:
    found: dict[str, tuple[int, int | None]] = {}
    for item in contexts:
        if "(" in item:
            name, args = item.rstrip(")").split("(")
            low, high = args.split(",")
            found[name.lower()] = (int(low), None if high == "MAX" else int(high))
    return found


@pytest.mark.parametrize("root_name", list(ROOTS))
def test_contexts_at_every_key_match_github(root_name: str) -> None:
    root = ROOTS[root_name]
    mismatches = []
    for place in root.places:
        path = root.fix(place.path)
        avail = availability(path, is_action=root_name == "action")
        want = frozenset(c.lower() for c in place.contexts if "(" not in c)
        if avail.contexts != want or dict(avail.functions) != _functions(place.contexts):
            mismatches.append(
                f"{'.'.join(map(str, path))}: github={sorted(want)} {_functions(place.contexts)} "
                f"conveyor={sorted(avail.contexts)} {dict(avail.functions)}"
            )
    assert sorted(set(mismatches)) == []


# The runner's loose readers (GitHub validates with the strict roots tested above).
_NON_STRICT = {"workflow-root", "on-mapping", "action-root", "inputs", "input"} | {
    f"{kind}-runs" for kind in ("container", "node", "composite", "plugin")
}


def test_the_oracle_sees_every_mapping_definition() -> None:
    """The walk reaches every mapping definition of both schemas: none is left untested."""
    for root in ROOTS.values():
        reached = {definition for _, definition in root.links()}
        assert root.oracle.mapping_names - reached - _NON_STRICT == set()
        assert len(reached) > 10
