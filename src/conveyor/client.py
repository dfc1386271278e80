"""The ``conveyor`` console script: hands the command to the warm agent, or runs it here.

Importing conveyor's engine, store and models costs a Python process about half a second;
the agent (:mod:`conveyor.agent`) has them imported already and forks a worker per
command. This module imports almost nothing: it connects to the agent's socket (named by
this install's key, so an upgraded or edited conveyor never reaches an old agent), sends
the arguments, the working directory, the environment and the umask with its own stdin,
stdout and stderr attached, passes on the signals it receives (Ctrl-C, SIGTERM, SIGHUP,
Ctrl-Z and ``fg``, window size changes) and exits as the worker did -- with its code, or
killed by the same signal. If no agent answers, it starts one in the background (in a
session of its own) and runs this command itself, so a first command is never slower.
``CONVEYOR_NO_AGENT=1`` runs every command here. ``python -m conveyor`` never uses the
agent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
from types import FrameType

from conveyor.agent import address, wire

FORWARDED = (
    signal.SIGINT,
    signal.SIGTERM,
    signal.SIGHUP,
    signal.SIGQUIT,
    signal.SIGTSTP,
    signal.SIGCONT,
    signal.SIGWINCH,
)
EXIT_LOST = 3  # the agent went away before the worker's end was known (as a bug exits)


def main() -> int:
    """Entry point of the ``conveyor`` console script; returns the exit code."""
    if address.disabled() or sys.argv[1:2] == ["agent"]:
        return _cold()
    try:
        directory = address.runtime_dir()
        key = address.install_key()
    except OSError:
        return _cold()
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        conn.connect(address.socket_path(directory, key))
    except OSError:
        conn.close()
        start_agent(key)
        return _cold()
    with conn:
        return _through(conn)


def _cold() -> int:
    from conveyor.cli.main import main as cli_main

    return cli_main()


def start_agent(key: str) -> None:
    """Start the agent for ``key`` in the background: detached, in a session of its own,
    with no terminal. A second one started at the same moment leaves at once (lock)."""
    import subprocess

    code = "import sys; from conveyor.cli.agent_cmd import serve; sys.exit(serve(sys.argv[1]))"
    with contextlib.suppress(OSError):
        subprocess.Popen(
            [sys.executable, "-c", code, key],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            cwd="/",
        )


def _stdio() -> list[int]:
    """Our descriptors 0-2; a closed one is sent as /dev/null (as Python would see none)."""
    fds = []
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
            fds.append(fd)
        except OSError:
            fds.append(os.open(os.devnull, os.O_RDWR))
    return fds


def _through(conn: socket.socket) -> int:
    payload = wire.encode(wire.this_process(wire.RUN, sys.argv))
    forwarder = _Forwarder(conn)
    for signum in FORWARDED:  # from here on a signal is the worker's (sent behind the request)
        signal.signal(signum, forwarder.forward)
    sent = conn.sendmsg(
        [payload[:65536]],
        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, _fd_array(_stdio()))],
    )
    conn.sendall(payload[sent:])
    forwarder.release()
    answer = b""
    while not answer.endswith(b"\n"):
        try:
            chunk = conn.recv(64)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            print("conveyor: the agent stopped before the command ended", file=sys.stderr)
            return EXIT_LOST
        answer += chunk
    for signum in FORWARDED:
        signal.signal(signum, signal.SIG_DFL)
    if answer.startswith(b"K"):  # killed by a signal: so are we (the shell sees the same)
        killer = int(answer[1:])
        signal.signal(killer, signal.SIG_DFL)
        os.kill(os.getpid(), killer)
        return 128 + killer
    if answer.startswith(b"X"):
        return int(answer[1:])
    print(f"conveyor: the agent refused the command: {answer[1:].decode()}", file=sys.stderr)
    return EXIT_LOST


def _fd_array(fds: list[int]) -> bytes:
    return b"".join(fd.to_bytes(4, sys.byteorder, signed=True) for fd in fds)


class _Forwarder:
    """Passes the signals we receive to the worker, as ``S<signal>`` lines; those that
    arrive while the request is still being sent are held until it is (never inside it)."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.held: list[int] | None = []

    def release(self) -> None:
        held, self.held = self.held or [], None
        for signum in held:
            self._send(signum)

    def forward(self, signum: int, frame: FrameType | None) -> None:
        del frame
        if self.held is not None:
            self.held.append(signum)
        else:
            self._send(signum)
        if signum == signal.SIGTSTP:  # stop ourselves too, as the terminal expects
            signal.signal(signal.SIGTSTP, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTSTP)
            signal.signal(signal.SIGTSTP, self.forward)

    def _send(self, signum: int) -> None:
        with contextlib.suppress(OSError):
            self.conn.sendall(b"S%d\n" % signum)


def run() -> None:  # pragma: no cover - console script shim
    sys.exit(main())
