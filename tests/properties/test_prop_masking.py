"""Masking: for any secret and any text around it, neither the secret nor its encoded
forms survive, and masking never raises."""

from __future__ import annotations

import base64
import io
import json
from urllib.parse import quote

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from conveyor.engine.masking import MASK, MASK_ENV, Masker, env_masker, mask_env

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


ascii_secrets = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=126), min_size=1, max_size=12
).filter(lambda s: s.strip("* ") != "")


@given(
    st.lists(ascii_secrets, min_size=1, max_size=3),
    st.lists(st.one_of(ascii_secrets, st.text(max_size=10)), max_size=12),
    st.integers(min_value=1, max_value=9),
)
def test_masking_a_stream_in_any_chunks_masks_like_text(
    values: list[str], pieces: list[str], chunk: int
) -> None:
    """``mask_stream`` (kept files, artifacts) masks what ``mask`` masks, whatever the chunk
    boundaries: a value split across two chunks is masked too."""
    masker = Masker(values)
    text = "".join(pieces + values[:1])
    out = io.BytesIO()
    masker.mask_stream(io.BytesIO(text.encode()), out, chunk_size=chunk)
    streamed = out.getvalue().decode()
    if text.isascii():
        assert streamed == masker.mask(text)
    for value in values:
        assert value.strip() == "" or value not in streamed.replace(MASK, "\0")


@given(
    st.lists(secrets, max_size=4),
    st.dictionaries(st.text(min_size=1, max_size=5), st.text(max_size=30), max_size=5),
)
def test_conveyor_mask_carries_exactly_the_values_a_step_can_read(
    values: list[str], env: dict[str, str]
) -> None:
    """``CONVEYOR_MASK`` holds the registered values found in the step's environment, and
    a conveyor command started there masks those (and nothing it could not read)."""
    masker = Masker(values)
    given_env = {k: v for k, v in env.items() if k != MASK_ENV}
    result = mask_env(masker, given_env)
    assert {k: v for k, v in result.items() if k != MASK_ENV} == given_env
    child = env_masker(result)
    readable = {v for v in masker.values if any(v in text for text in given_env.values())}
    assert child.values == readable
    assert (MASK_ENV in result) == bool(readable)
