"""Secrets and the forms steps derive from them (base64, URL, JSON) never reach the output;
``CONVEYOR_SECRET_*`` variables never reach a step's environment."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote, quote_plus

import pytest

from conveyor.engine.masking import MASK, Masker, encoded_forms

SECRET = 'p@ss w0rd/+=&"é\\x'


def _leaks(text: str, secret: str) -> list[str]:
    """Every derived form of ``secret`` found in ``text``."""
    data = secret.encode()
    found = []
    for prefix in (b"", b"u", b"us", b"user:"):
        full = base64.b64encode(prefix + data).decode()
        # the part that encodes only the secret's bytes (whole groups after the prefix)
        start = -(-len(prefix) // 3) * 4
        end = (len(prefix + data) // 3) * 4 - 4  # the last group may mix in what follows
        inner = full[start:end]
        if len(inner) >= 8 and inner in text:
            found.append(f"base64 after {prefix!r}: {inner}")
    for form in (
        secret,
        quote(secret, safe=""),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
    ):
        if form in text:
            found.append(form)
    return found


def test_encoded_forms_cover_every_base64_offset_url_and_json() -> None:
    forms = encoded_forms(SECRET)
    assert quote(SECRET, safe="") in forms
    assert json.dumps(SECRET)[1:-1] in forms
    masker = Masker([SECRET])
    for prefix in ("", "a", "ab", "user:", "Authorization: Basic "):
        for suffix in ("", "!", "zz", "xyz"):
            encoded = base64.b64encode((prefix + SECRET + suffix).encode()).decode()
            masked = masker.mask(f"header {encoded} end")
            assert MASK in masked
            assert not _leaks(masked, SECRET), (prefix, suffix, masked)
    assert masker.mask(f"?q={quote_plus(SECRET)}&x=1") == f"?q={MASK}&x=1"
    assert masker.mask(json.dumps({"token": SECRET})) == json.dumps({"token": MASK})
    assert masker.values == frozenset({SECRET})  # the registered value, not its forms


def test_short_tails_are_not_masked_everywhere() -> None:
    masker = Masker(["abcd"])  # shifted base64 tails of 1-2 bytes would mask noise
    assert masker.mask("YQ== Yg== plain text") == "YQ== Yg== plain text"
    assert masker.mask(base64.b64encode(b"abcd").decode()) != base64.b64encode(b"abcd").decode()


def test_step_printing_encoded_secret_is_masked(run) -> None:
    script = r"""
printf '%s' "$TOKEN" | base64
printf 'user:%s' "$TOKEN" | base64
printf 'xy%s' "$TOKEN" | base64 -w0; echo
python3 -c 'import os, urllib.parse; print(urllib.parse.quote(os.environ["TOKEN"], safe=""))'
python3 -c 'import os, json; print(json.dumps({"t": os.environ["TOKEN"]}))'
"""
    _result, rec = run(script, env={"TOKEN": SECRET}, masker=Masker([SECRET]))
    assert len(rec.texts()) == 5
    for line in rec.texts():
        assert MASK in line, line
        assert not _leaks(line, SECRET), line


def test_conveyor_secret_variables_do_not_reach_steps(run, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CONVEYOR_SECRET_DEPLOY_KEY", "k3y-value")
    monkeypatch.setenv("CONVEYOR_UNRELATED", "kept")
    result, rec = run("env | grep -E '^CONVEYOR_(SECRET|UNRELATED)' | sort; echo end")
    assert result.succeeded
    assert rec.texts() == ["CONVEYOR_UNRELATED=kept", "end"]
    # given to the step on purpose (``env: X: ${{ secrets.DEPLOY_KEY }}``) it is there
    _result, rec = run('echo "$X"', env={"X": "k3y-value"}, masker=Masker(["k3y-value"]))
    assert rec.texts() == [MASK]
