"""The ``conveyor`` console script through the warm agent: real client, agent and worker
processes, each test with a runtime directory (and so an agent) of its own."""

from __future__ import annotations

import json
import os
import pty
import select
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import conveyor
from agent_helpers import stop_agents
from conveyor.agent import address, control, wire

CONVEYOR = str(Path(sys.executable).parent / "conveyor")

OK = """
on: push
jobs:
  one:
    runs-on: ubuntu-latest
    steps:
      - run: echo "greeting=$GREETING umask=$(umask)"
"""
FAILS = """
on: push
jobs:
  one:
    runs-on: ubuntu-latest
    steps:
      - run: exit 3
"""
WHO = """
on: push
jobs:
  who:
    runs-on: ubuntu-latest
    steps:
      - run: echo "grandparent=$(cut -d' ' -f4 /proc/$PPID/stat)"
"""
SLEEPS = """
on: push
jobs:
  nap:
    runs-on: ubuntu-latest
    steps:
      - run: |
          echo $$ > "{pidfile}"
          exec sleep 60
"""


class Agent:
    """A private runtime directory, the environment that uses it, and ways to talk."""

    def __init__(self, runtime: str, repo: Path) -> None:
        self.runtime, self.repo = runtime, repo
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("CONVEYOR_")}
        self.env |= {"XDG_RUNTIME_DIR": runtime, address.IDLE_ENV: "120", "CI": "true"}

    def socket(self) -> Path:
        key = address.install_key()
        return Path(self.runtime, "conveyor", f"agent-{key}.sock")

    def run(self, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
        env = self.env | kwargs.pop("env", {})
        kwargs.setdefault("cwd", self.repo)
        kwargs.setdefault("timeout", 120)
        return subprocess.run(
            [CONVEYOR, *args], env=env, capture_output=True, text=True, check=False, **kwargs
        )

    def start(self, *args: str) -> subprocess.Popen[str]:
        """The client in a process group of its own, whose parent (pytest) is in another
        group of the same session, as a shell's job is: never an orphaned group, where the
        kernel discards the SIGTSTP a stopped client sends itself (pytest's own group is
        orphaned when the shell that started the test run has exited)."""
        return subprocess.Popen(
            [CONVEYOR, *args],
            cwd=self.repo,
            env=self.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            process_group=0,
        )

    def status(self) -> dict[str, Any] | None:
        """The agent's status, asked from this process (quick: no conveyor process)."""
        return control.ask_at(str(self.socket()), wire.STATUS)

    def warm(self) -> dict[str, Any]:
        """Start the agent (the first command runs cold and starts it) and wait for it."""
        assert self.run("version").returncode == 0
        deadline = time.time() + 60
        while time.time() < deadline:
            found = self.status()
            if found is not None:
                return found
            time.sleep(0.1)
        log = list(Path(self.runtime, "conveyor").glob("*.log"))
        raise AssertionError(f"the agent never answered: {[p.read_text() for p in log]}")

    def served(self) -> int:
        found = self.status()
        assert found is not None
        return int(found["served"])


def make_repo(path: Path, workflows: dict[str, str]) -> Path:
    path.mkdir(parents=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(path)], check=True)
    for name, text in workflows.items():
        target = path / ".github" / "workflows" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    subprocess.run(["git", "-C", str(path), "add", "."], check=True)
    identity = ["-c", "user.name=t", "-c", "user.email=t@e"]
    subprocess.run(["git", "-C", str(path), *identity, "commit", "-qm", "i"], check=True)
    return path


@pytest.fixture
def agent(tmp_path: Path) -> Iterator[Agent]:
    runtime = tempfile.mkdtemp(prefix="cvy-", dir="/tmp")  # socket paths must be short
    os.chmod(runtime, 0o700)
    repo = make_repo(tmp_path / "repo", {"ok.yml": OK, "fails.yml": FAILS})
    try:
        yield Agent(runtime, repo)
    finally:
        stop_agents(runtime)


def _wait_for(path: Path, timeout: float = 30.0) -> str:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().strip():
            return path.read_text().strip()
        time.sleep(0.05)
    raise AssertionError(f"{path} never appeared")


def _gone(pid: int, timeout: float = 15.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def test_first_command_runs_cold_and_starts_the_agent(agent: Agent) -> None:
    assert not agent.socket().exists()
    first = agent.warm()
    assert first["served"] == 0  # the first command ran in its own process
    shown = agent.run("agent", "status")
    assert json.loads(shown.stdout)["pid"] == first["pid"]
    assert first["key"] == address.install_key()
    assert agent.socket().exists()
    assert oct(agent.socket().stat().st_mode & 0o777) == "0o600"
    assert oct(Path(agent.runtime, "conveyor").stat().st_mode & 0o777) == "0o700"


def test_exit_codes_and_streams_pass_through(agent: Agent) -> None:
    agent.warm()
    ok = agent.run("run", "-W", ".github/workflows/ok.yml", "--event", "push")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    failed = agent.run("run", "-W", ".github/workflows/fails.yml", "--event", "push")
    assert failed.returncode == 1
    assert "exit code 3" in failed.stdout + failed.stderr or "3" in failed.stdout
    bad = agent.run("eval", "${{")
    assert bad.returncode == 2
    assert "Unterminated expression" in bad.stderr and bad.stdout == ""
    evaluated = agent.run("eval", "1 == 1")
    assert (evaluated.returncode, evaluated.stdout) == (0, "true\n")
    shard = agent.run("shard", "-", "--count", "1", input="a::t1\nb::t2\n")
    assert shard.stdout.split() == ["a::t1", "b::t2"]
    assert agent.served() == 5


def test_environment_directory_and_umask_are_the_clients(agent: Agent) -> None:
    agent.warm()
    sub = agent.repo / "sub"
    sub.mkdir()
    done = agent.run(
        "run",
        "-W",
        "../.github/workflows/ok.yml",  # relative to the client's directory
        "--event",
        "push",
        cwd=sub,
        env={"GREETING": "from-the-client"},
        preexec_fn=lambda: os.umask(0o027),
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "greeting=from-the-client umask=0027" in done.stdout
    assert agent.served() == 1


def test_ctrl_c_is_forwarded_exits_130_and_kills_the_steps(agent: Agent, tmp_path: Path) -> None:
    pidfile = tmp_path / "sleep.pid"
    (agent.repo / ".github/workflows/sleeps.yml").write_text(
        textwrap.dedent(SLEEPS.format(pidfile=pidfile)), encoding="utf-8"
    )
    agent.warm()
    proc = agent.start("run", "-W", ".github/workflows/sleeps.yml", "--event", "push")
    sleep_pid = int(_wait_for(pidfile))
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 130, out
    assert _gone(sleep_pid)
    assert agent.served() == 1


def test_kill_9_of_the_client_kills_the_worker_and_its_steps(agent: Agent, tmp_path: Path) -> None:
    pidfile = tmp_path / "sleep.pid"
    (agent.repo / ".github/workflows/sleeps.yml").write_text(
        textwrap.dedent(SLEEPS.format(pidfile=pidfile)), encoding="utf-8"
    )
    agent.warm()
    proc = agent.start("run", "-W", ".github/workflows/sleeps.yml", "--event", "push")
    sleep_pid = int(_wait_for(pidfile))
    found = agent.status()
    assert found is not None
    (worker,) = found["running"]
    os.kill(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=30)
    assert _gone(worker)
    assert _gone(sleep_pid)
    later = agent.status()
    assert later is not None and later["running"] == []


def test_ctrl_z_stops_the_worker_and_fg_continues_it(agent: Agent, tmp_path: Path) -> None:
    pidfile = tmp_path / "sleep.pid"
    (agent.repo / ".github/workflows/sleeps.yml").write_text(
        textwrap.dedent(SLEEPS.format(pidfile=pidfile)), encoding="utf-8"
    )
    agent.warm()
    proc = agent.start("run", "-W", ".github/workflows/sleeps.yml", "--event", "push")
    _wait_for(pidfile)
    found = agent.status()
    assert found is not None
    (worker,) = found["running"]
    proc.send_signal(signal.SIGTSTP)
    assert _state_becomes(worker, "T") and _state_becomes(proc.pid, "T")
    proc.send_signal(signal.SIGCONT)
    assert _state_becomes(worker, "S") and _state_becomes(proc.pid, "S")
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130


def _state_becomes(pid: int, state: str, timeout: float = 10.0) -> bool:
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        if now == state:
            return True
        time.sleep(0.05)
    return False


def test_a_terminal_stays_a_terminal(agent: Agent) -> None:
    """On a pseudo-terminal the worker sees a terminal (the live console), as a cold run."""
    agent.warm()
    warm_code, warm_out = _in_terminal(agent, {})
    cold_code, cold_out = _in_terminal(agent, {address.NO_AGENT_ENV: "1"})
    assert warm_code == cold_code == 0
    assert "\x1b[" in warm_out and "\x1b[" in cold_out  # the live view's escape codes
    assert agent.served() == 1


def _in_terminal(agent: Agent, extra: dict[str, str]) -> tuple[int, str]:
    env = agent.env | extra | {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "40"}
    env.pop("CI", None)
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [CONVEYOR, "run", "-W", ".github/workflows/ok.yml", "--event", "push"],
        cwd=agent.repo,
        env=env,
        stdin=slave,
        stdout=slave,
        stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    chunks: list[bytes] = []
    deadline = time.time() + 120
    try:
        while time.time() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                data = os.read(master, 65536)
            except OSError:
                break
            if not data:
                break
            chunks.append(data)
    finally:
        os.close(master)
    return proc.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def test_no_agent_runs_every_command_in_its_own_process(agent: Agent) -> None:
    off = {address.NO_AGENT_ENV: "1"}
    assert agent.run("version", env=off).returncode == 0
    time.sleep(0.5)
    assert not agent.socket().exists()  # nor is one started
    agent.warm()
    done = agent.run("run", "-W", ".github/workflows/ok.yml", "--event", "push", env=off)
    assert done.returncode == 0
    assert agent.served() == 0


def test_a_dead_socket_falls_back_to_a_cold_run_and_a_new_agent(agent: Agent) -> None:
    path = agent.socket()
    path.parent.mkdir(mode=0o700)
    dead = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    dead.bind(str(path))
    dead.close()  # the file stays; nobody listens
    done = agent.run("eval", "1 == 1")
    assert (done.returncode, done.stdout) == (0, "true\n")
    deadline = time.time() + 60
    while agent.status() is None:
        assert time.time() < deadline, "no new agent took over the dead socket"
        time.sleep(0.1)
    assert agent.run("eval", "2 == 2").stdout == "true\n"
    assert agent.served() == 1


def test_an_agent_of_another_install_is_never_used(agent: Agent) -> None:
    """After an upgrade (here: a newer module mtime) the old agent is not asked: the command
    runs in the client's own process, and the new agent retires the old one."""
    (agent.repo / ".github/workflows/who.yml").write_text(WHO, encoding="utf-8")
    old = agent.warm()
    module = Path(conveyor.__file__).parent / "agent" / "__init__.py"
    before = module.stat()
    try:
        os.utime(module, ns=(before.st_atime_ns, time.time_ns() + 10**9))  # "upgraded"
        assert address.install_key() != old["key"]
        done = agent.run("run", "-W", ".github/workflows/who.yml", "--event", "push")
        assert done.returncode == 0, done.stdout + done.stderr
        assert f"grandparent={os.getpid()}" in done.stdout  # the client ran it itself
        fresh = agent.warm()
        assert fresh["pid"] != old["pid"] and fresh["key"] == address.install_key()
        assert _gone(old["pid"])  # retired: same install, older code
        served = agent.run("run", "-W", ".github/workflows/who.yml", "--event", "push")
        assert f"grandparent={fresh['pid']}" in served.stdout  # the worker's parent: the agent
    finally:
        os.utime(module, ns=(before.st_atime_ns, before.st_mtime_ns))


def test_agent_stop_and_idle_exit(agent: Agent) -> None:
    found = agent.warm()
    stopped = agent.run("agent", "stop")
    assert stopped.stdout.strip() == f"stopped agent {found['pid']}"
    assert _gone(found["pid"])
    assert agent.status() is None
    assert agent.run("agent", "status").returncode == 1
    agent.env[address.IDLE_ENV] = "3"
    idle = agent.warm()
    assert _gone(idle["pid"], timeout=30)
    assert not agent.socket().exists()
