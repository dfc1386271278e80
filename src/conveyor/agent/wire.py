"""What the client and the agent say to each other over the agent's socket.

The client sends one *request* -- a 4-byte length and NUL-separated fields: the kind
(``run``, ``status``, ``stop``), the working directory, the umask, the argument count,
the arguments and the environment as ``NAME=value`` -- with its stdin, stdout and stderr
attached (``SCM_RIGHTS``) to a ``run``. Afterwards the client sends ``S<signal>`` lines
(a signal it received, for the worker) and the agent answers with one line: ``X<code>``
(the worker exited), ``K<signal>`` (the worker was killed by a signal), ``J<json>`` (a
status) or ``E<message>`` (refused). Standard library only; bytes throughout.
"""

from __future__ import annotations

import os

RUN, STATUS, STOP = b"run", b"status", b"stop"
MAX_REQUEST = 4 << 20


class Request:
    """One request (a plain class: ``dataclasses`` would cost the client 20 ms to import)."""

    __slots__ = ("argv", "cwd", "env", "kind", "umask")

    def __init__(
        self,
        kind: bytes,
        cwd: bytes = b"/",
        umask: int = 0o022,
        argv: tuple[bytes, ...] = (),
        env: tuple[tuple[bytes, bytes], ...] = (),
    ) -> None:
        self.kind, self.cwd, self.umask, self.argv, self.env = kind, cwd, umask, argv, env


def encode(request: Request) -> bytes:
    fields = [request.kind, request.cwd, b"%d" % request.umask, b"%d" % len(request.argv)]
    fields += request.argv
    fields += [name + b"=" + value for name, value in request.env]
    body = b"\0".join(fields)
    return len(body).to_bytes(4, "big") + body


def body_length(head: bytes) -> int:
    return int.from_bytes(head[:4], "big")


def decode(body: bytes) -> Request:
    fields = body.split(b"\0")
    kind, cwd, umask, argc = fields[0], fields[1], int(fields[2]), int(fields[3])
    argv = tuple(fields[4 : 4 + argc])
    env = tuple(
        (name, value) for name, _eq, value in (f.partition(b"=") for f in fields[4 + argc :] if f)
    )
    return Request(kind, cwd, umask, argv, env)


def this_process(kind: bytes, argv: list[str]) -> Request:
    """A request carrying this process's directory, umask, arguments and environment."""
    umask = os.umask(0o022)
    os.umask(umask)
    return Request(
        kind,
        os.getcwd().encode(errors="surrogateescape") if kind == RUN else b"/",
        umask,
        tuple(os.fsencode(a) for a in argv),
        tuple(os.environb.items()) if kind == RUN else (),
    )
