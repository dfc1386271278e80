"""Turn a remote URL into GitHub's ``owner/name`` repository form."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?[^:/]+:(?P<path>[^/].*)$")


def repository_from_url(url: str) -> str | None:
    """``owner/name`` from an https, ssh (``git@host:owner/name.git``), ``ssh://``, ``git://``
    or ``file://`` URL, or a local path; None when it has fewer than two path parts."""
    url = url.strip()
    if not url:
        return None
    if "://" in url:
        path = urlsplit(url).path
    else:
        match = _SCP_LIKE.match(url)
        path = match.group("path") if match and not url.startswith(("/", ".")) else url
    parts = [p for p in path.replace("\\", "/").split("/") if p]
    if len(parts) < 2:
        return None
    owner, name = parts[-2], parts[-1]
    name = name.removesuffix(".git")
    if not name or owner in (".", ".."):
        return None
    return f"{owner}/{name}"
