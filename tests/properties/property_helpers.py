"""Strategies shared by the property tests: text close to each input language, and
structured documents built from its vocabulary, so examples reach past the first parse."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from shared_data import CORPUS

# ---------------------------------------------------------------- generic


def json_values(keys: st.SearchStrategy[str] | None = None, depth: int = 4) -> Any:
    """Any JSON value; object keys drawn from ``keys`` (else any text)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(min_value=-(2**70), max_value=2**70)
        | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(max_size=30)
    )
    key = keys if keys is not None else st.text(max_size=12)
    return st.recursive(
        scalars,
        lambda inner: st.lists(inner, max_size=5) | st.dictionaries(key, inner, max_size=6),
        max_leaves=25 if depth > 2 else 8,
    )


def mutate(text: str) -> st.SearchStrategy[str]:
    """``text`` with a few random edits: deletions, insertions, duplicated lines."""

    @st.composite
    def edits(draw: st.DrawFn) -> str:
        current = text
        for _ in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["delete", "insert", "duplicate", "swap"]))
            at = draw(st.integers(0, max(0, len(current))))
            if kind == "delete":
                size = draw(st.integers(1, 20))
                current = current[:at] + current[at + size :]
            elif kind == "insert":
                piece = draw(st.text(alphabet=YAML_CHARS, max_size=12))
                current = current[:at] + piece + current[at:]
            else:
                lines = current.splitlines(keepends=True)
                if len(lines) > 1:
                    i = draw(st.integers(0, len(lines) - 1))
                    j = draw(st.integers(0, len(lines) - 1))
                    if kind == "duplicate":
                        lines.insert(j, lines[i])
                    else:
                        lines[i], lines[j] = lines[j], lines[i]
                    current = "".join(lines)
        return current

    return edits()


# ---------------------------------------------------------------- workflows (YAML)

YAML_CHARS = "abcxyz019 :-[]{}#&*!|>'\"%@`,.?~$\\\n\t/=()"
WORKFLOW_KEYS = [
    "name", "on", "jobs", "steps", "run", "uses", "with", "env", "runs-on", "needs", "if",
    "strategy", "matrix", "include", "exclude", "outputs", "push", "pull_request",
    "branches", "paths", "tags", "types", "workflow_dispatch", "inputs", "schedule", "cron",
    "timeout-minutes", "continue-on-error", "concurrency", "permissions", "defaults",
    "shell", "working-directory", "services", "container", "secrets", "workflow_call",
    "fail-fast", "max-parallel", "id", "group", "cancel-in-progress", "default", "type",
    "required", "options", "description",
]  # fmt: skip
EXPRESSION_TEXT = [
    "${{ github.ref }}", "${{ matrix.os }}", "${{ secrets.T }}", "${{ needs.a.outputs.x }}",
    "${{ fromJSON('[1,2]') }}", "${{ }}", "${{ inputs.x == 'y' && 1 || 2 }}",
    "${{ hashFiles('**/x') }}", "${{ steps.s.outputs.o }}", "${{", "}}",
]  # fmt: skip


def _corpus_texts() -> list[str]:
    files = sorted(CORPUS.glob("*.y*ml"))[:40]
    return [f.read_text(encoding="utf-8", errors="replace") for f in files]


CORPUS_TEXTS = _corpus_texts()

workflow_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 400)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from([*EXPRESSION_TEXT, "ubuntu-latest", "main", "*", "**", "0 * * * *"])
    | st.text(max_size=15),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(WORKFLOW_KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=30,
)


def _dump(data: Any) -> str:
    import yaml

    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


workflow_texts = (
    workflow_values.map(_dump)
    | st.text(alphabet=YAML_CHARS, max_size=200)
    | st.sampled_from(CORPUS_TEXTS).flatmap(mutate)
    | st.text(max_size=100)
)

# ---------------------------------------------------------------- expressions

_ATOMS = [
    "null", "true", "false", "0", "-1.5", "0x1F", "1e3", "'a''b'", "''", "NaN", "Infinity",
    "github", "github.ref", "github.event.pull_request.labels.*.name", "matrix['os']",
    "steps.a.outputs", "env.X", "inputs", "needs.*.result", "vars.v",
]  # fmt: skip
_FUNCTIONS = [
    "contains", "startsWith", "endsWith", "format", "join", "toJSON", "fromJSON",
    "hashFiles", "success", "failure", "always", "cancelled", "nope",
]  # fmt: skip
_OPERATORS = ["==", "!=", "<", "<=", ">", ">=", "&&", "||"]


def _expression(depth: int) -> st.SearchStrategy[str]:
    atom = st.sampled_from(_ATOMS) | st.from_regex(r"'[^'\n]{0,8}'", fullmatch=True)
    if depth <= 0:
        return atom
    inner = _expression(depth - 1)
    return (
        atom
        | st.tuples(inner, st.sampled_from(_OPERATORS), inner).map(" ".join)
        | inner.map(lambda e: f"!{e}")
        | inner.map(lambda e: f"({e})")
        | st.tuples(inner, st.sampled_from([".x", "[0]", "['k']", ".*", "[1.5]"])).map("".join)
        | st.tuples(st.sampled_from(_FUNCTIONS), st.lists(inner, max_size=3)).map(
            lambda f: f"{f[0]}({', '.join(f[1])})"
        )
    )


expressions = _expression(3) | st.text(alphabet="()[]'.,!=<>&|*abc019 \t\"x-_", max_size=40)

CONTEXT_KEYS = st.sampled_from(["ref", "event", "os", "x", "k", "outputs", "a", "result", "*"])
contexts = st.fixed_dictionaries(
    {
        "github": json_values(CONTEXT_KEYS),
        "matrix": json_values(CONTEXT_KEYS),
        "steps": json_values(CONTEXT_KEYS),
        "env": st.dictionaries(st.text(max_size=5), st.text(max_size=10), max_size=3),
        "needs": json_values(CONTEXT_KEYS),
    }
)

# ---------------------------------------------------------------- conveyor.toml

CONFIG_KEYS = [
    "tiers", "unit", "integration", "smoke", "mine", "marker", "paths", "order", "timeout",
    "description", "allow_empty", "flaky", "detect", "min_commits", "min_days",
    "release_after", "test", "command", "args", "retries", "maxfail", "cwd", "targets",
    "pr_validation", "nightly", "success_rate", "flakiness", "notify", "policy", "slack",
    "webhook", "email", "url", "url_env", "headers", "host", "port", "from", "to", "alerts",
    "retry", "attempts", "backoff", "report_url",
]  # fmt: skip


def _toml_key(key: str) -> str:
    return key if key and all(c.isalnum() or c in "-_" for c in key) else json.dumps(key)


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        text = repr(value)
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(text, text)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        pairs = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return "{" + pairs + "}"
    return '""'


def _toml(data: dict[str, Any]) -> str:
    lines = []
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"[{_toml_key(key)}]")
            lines.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        else:
            lines.insert(0, f"{_toml_key(key)} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


_config_scalars = (
    st.booleans()
    | st.integers(-3, 10_000)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.sampled_from(["off", "on", "5m", "95%", "1h30m", "", "unit", "failure", "x"])
    | st.text(max_size=10)
)
config_values = st.recursive(
    _config_scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(CONFIG_KEYS), inner, max_size=4)
    ),
    max_leaves=20,
)
config_texts = st.dictionaries(st.sampled_from(CONFIG_KEYS), config_values, max_size=4).map(
    _toml
) | st.text(alphabet="[]=\"'.{}#,\n abc123-_", max_size=120)

# ---------------------------------------------------------------- JUnit / pytest-json

JUNIT_TAGS = [
    "testsuites", "testsuite", "testcase", "failure", "error", "skipped", "system-out",
    "system-err", "flakyFailure", "flakyError", "rerunFailure", "rerunError", "stackTrace",
    "properties", "property", "other",
]  # fmt: skip
JUNIT_ATTRS = ["name", "classname", "file", "line", "time", "message", "type", "tests"]
_attr_values = st.sampled_from(
    ["0", "-1", "1,234.5", "1e400", "nan", "", "tests/a.py", "3", " 7 "]
) | st.text(max_size=20)


def _xml_text(value: str) -> str:
    # XML 1.0 cannot carry most control characters at all; real producers drop them
    return "".join(c for c in value if c in "\t\n\r" or (c >= " " and c not in "\ufffe\uffff"))


@st.composite
def _element(draw: st.DrawFn, depth: int = 0) -> str:
    from xml.sax.saxutils import escape, quoteattr

    tag = draw(st.sampled_from(JUNIT_TAGS))
    attrs = draw(st.dictionaries(st.sampled_from(JUNIT_ATTRS), _attr_values, max_size=4))
    text = "".join(f" {k}={quoteattr(_xml_text(v))}" for k, v in attrs.items())
    body = escape(_xml_text(draw(st.text(max_size=20))))
    children = "".join(draw(st.lists(_element(depth + 1), max_size=3))) if depth < 3 else ""
    return f"<{tag}{text}>{body}{children}</{tag}>"


junit_documents = (
    st.builds(lambda root: '<?xml version="1.0"?>' + root, _element())
    | st.text(alphabet="<>/=\"' abctesuitcaf\n&;", max_size=120)
).map(lambda s: s.encode("utf-8"))

PYTEST_JSON_KEYS = st.sampled_from(
    [
        "tests",
        "nodeid",
        "lineno",
        "outcome",
        "setup",
        "call",
        "teardown",
        "duration",
        "crash",
        "message",
        "longrepr",
        "stdout",
        "stderr",
        "keywords",
        "passed",
        "failed",
    ]
)
pytest_json_documents = (
    st.fixed_dictionaries({"tests": st.lists(json_values(PYTEST_JSON_KEYS), max_size=4)})
    | json_values(PYTEST_JSON_KEYS)
).map(lambda v: json.dumps(v).encode())

# ---------------------------------------------------------------- event payloads

PAYLOAD_KEYS = st.sampled_from(
    [
        "ref",
        "before",
        "after",
        "base_ref",
        "head_ref",
        "pull_request",
        "head",
        "base",
        "sha",
        "label",
        "labels",
        "name",
        "action",
        "inputs",
        "commits",
        "repository",
        "default_branch",
        "full_name",
        "number",
        "merged",
        "release",
        "tag_name",
        "forced",
        "created",
        "deleted",
        "schedule",
        "workflow",
    ]
)
payloads = st.dictionaries(PAYLOAD_KEYS, json_values(PAYLOAD_KEYS), max_size=6)
