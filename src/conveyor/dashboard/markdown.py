"""Step summaries (``$GITHUB_STEP_SUMMARY``) as HTML: CommonMark by markdown-it-py with raw
HTML turned off, so whatever a step wrote is escaped, and links limited to safe schemes
(markdown-it's own ``validateLink`` refuses ``javascript:``, ``vbscript:``, ``file:`` and
non-image ``data:``)."""

from __future__ import annotations

from functools import cache

from markdown_it import MarkdownIt

MAX_CHARS = 1024 * 1024  # GitHub's own step summary limit


@cache
def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")


def render_markdown(text: str) -> str:
    """Sanitised HTML of ``text`` (cut at 1 MiB, as GitHub does)."""
    return str(_parser().render(text[:MAX_CHARS]))
