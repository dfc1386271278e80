"""Failure categories and the actions recommended for each.

:func:`classify` looks at the exception type first (the ``Type:`` prefix of the failure
message, or an ``E   Type:`` line of the traceback), then at the text:

1. ``ImportError`` / ``ModuleNotFoundError`` / "No module named" / "cannot import name"
   -> ``import``
2. connection refused/reset, could not connect, host unreachable, connect timeouts, DNS
   failures, missing or rejected credentials (``ConnectionError`` family,
   ``NoCredentialsError``, 401/403) -> ``infrastructure``
3. ``TimeoutError`` / pytest-timeout's "Failed: Timeout" / "timed out" -> ``timeout``
4. ``AssertionError`` or a bare ``assert`` message -> ``assertion``
5. anything else -> ``other``

A known exception type decides before any text rule, so ``AssertionError: assert
timeout == 30`` is an assertion, not a timeout.
"""

from __future__ import annotations

import re

INFRASTRUCTURE = "infrastructure"
TIMEOUT = "timeout"
ASSERTION = "assertion"
IMPORT = "import"
OTHER = "other"
CATEGORIES = (INFRASTRUCTURE, TIMEOUT, ASSERTION, IMPORT, OTHER)

TITLES = {
    INFRASTRUCTURE: "Infrastructure (connections, DNS, credentials)",
    TIMEOUT: "Timeouts",
    ASSERTION: "Assertion failures",
    IMPORT: "Import / module not found",
    OTHER: "Other errors",
}

ACTIONS = {
    INFRASTRUCTURE: [
        "Check that the services the tests need are up and reachable (host, port, firewall).",
        "Check DNS names and network settings of the environment.",
        "Check that credentials and secrets are present and valid.",
    ],
    TIMEOUT: [
        "Look for slow or hung dependencies in the logs of the failing tests.",
        "Compare durations with previous runs (`conveyor stats`) before raising timeouts.",
    ],
    ASSERTION: [
        "Reproduce locally with the failing test id and fix the code or the expectation.",
        "Check recent changes to the code under test.",
    ],
    IMPORT: [
        "Check that dependencies are installed (requirements, extras) in this environment.",
        "Check for renamed or moved modules and stale imports.",
    ],
    OTHER: ["Read the traceback of each failure and the step log."],
}

_TYPE = re.compile(
    r"^(?:E\s+)?((?:[A-Za-z_][\w]*\.)*[A-Za-z_]\w*(?:Error|Exception|Failed|Timeout))\b"
)

_IMPORT_TYPES = frozenset({"ImportError", "ModuleNotFoundError"})
_INFRA_TYPES = frozenset(
    {
        "ConnectionError",
        "ConnectionRefusedError",
        "ConnectionResetError",
        "ConnectionAbortedError",
        "BrokenPipeError",
        "gaierror",
        "herror",
        "ConnectTimeout",
        "ConnectTimeoutError",
        "ConnectError",
        "NewConnectionError",
        "MaxRetryError",
        "NoCredentialsError",
        "PartialCredentialsError",
        "ClientAuthenticationError",
        "AuthenticationError",
    }
)
_TIMEOUT_TYPES = frozenset({"TimeoutError", "timeout", "TimeoutExpired", "ReadTimeout", "Timeout"})
_ASSERTION_TYPES = frozenset({"AssertionError"})

_IMPORT_TEXT = re.compile(r"no module named|cannot import name|importerror", re.I)
_INFRA_TEXT = re.compile(
    r"connection (?:refused|reset|aborted)|could not connect|failed to connect|"
    r"unable to connect|host (?:is )?unreachable|no route to host|network is unreachable|"
    r"connect(?:ion)? tim(?:ed )?out|host timeout|timeout connecting|"
    r"name or service not known|nodename nor servname|temporary failure in name resolution|"
    r"getaddrinfo|dns|could not resolve|unknown host|"
    r"credential|unauthori[sz]ed|\b401\b|\b403\b|forbidden|access denied|"
    r"authentication failed|invalid (?:api )?(?:key|token)|expired token",
    re.I,
)
_TIMEOUT_TEXT = re.compile(r"timed? ?out|timeout|deadline exceeded", re.I)
_ASSERTION_TEXT = re.compile(r"^(?:E\s+)?assert\b", re.I | re.M)


def exception_type(message: str) -> str | None:
    """The exception's class name (without module) from the message or its traceback."""
    lines = message.splitlines()
    candidates = lines[:1] + [line.strip() for line in lines if line.startswith("E ")]
    for line in candidates:
        found = _TYPE.match(line.strip())
        if found:
            return found.group(1).rsplit(".", 1)[-1]
    return None


def classify(message: str) -> str:
    """The category of a failure from its message (and traceback)."""
    kind = exception_type(message)
    if kind == "Failed" and _TIMEOUT_TEXT.search(message.splitlines()[0] if message else ""):
        return TIMEOUT
    if kind in _IMPORT_TYPES:
        return IMPORT
    if kind in _INFRA_TYPES:
        return INFRASTRUCTURE
    if kind in _TIMEOUT_TYPES:
        return TIMEOUT
    if kind in _ASSERTION_TYPES:
        return ASSERTION
    if _IMPORT_TEXT.search(message):
        return IMPORT
    if _INFRA_TEXT.search(message):
        return INFRASTRUCTURE
    if _TIMEOUT_TEXT.search(message):
        return TIMEOUT
    if _ASSERTION_TEXT.search(message):
        return ASSERTION
    return OTHER
