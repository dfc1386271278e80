"""Masking: for any secret and any text around it, neither the secret nor its encoded
forms survive, and masking never raises."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from conveyor.engine.masking import Masker

pytestmark = pytest.mark.property

secrets = st.text(min_size=1, max_size=24).filter(lambda s: s.strip("*\r\n\t ") != "")


@given(secrets, st.text(max_size=20), st.text(max_size=20))
def test_no_form_of_a_secret_survives(secret: str, before: str, after: str) -> None:
    assume(all(line.strip() for line in secret.splitlines()))
    masker = Masker([secret])
    for line in secret.splitlines() or [secret]:
        clean = line.strip("\r")
        if not clean.strip("*"):
            continue
        for form in (clean, quote(clean, safe=""), json.dumps(clean)[1:-1]):
            assert form not in masker.mask(before + form + after)
    data = (before + secret + after).encode("utf-8", "surrogatepass")
    encoded = base64.b64encode(data).decode()
    masked = masker.mask(encoded)
    if len(secret.encode("utf-8", "surrogatepass")) >= 6:
        assert masked != encoded  # at least the whole groups inside the secret are masked


@given(st.lists(secrets, max_size=5), st.text(max_size=200))
def test_masking_any_text_never_raises(values: list[str], text: str) -> None:
    masker = Masker(values)
    assert isinstance(masker.mask(text), str)
