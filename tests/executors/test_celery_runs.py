"""``conveyor run --executor celery`` against real ``conveyor worker`` processes."""

from __future__ import annotations

import hashlib
import signal
import subprocess
import time
from pathlib import Path

from celery_helpers import Cluster, descendants, run_conveyor, start_run, wait_file

from e2e.e2e_helpers import leaks, make_repo, pid_gone, sqlite_leaks

TWO_JOBS = """
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      answer: ${{ steps.calc.outputs.answer }}
    steps:
      - id: calc
        run: |
          echo "built on $CONVEYOR_WORKER"
          echo "answer=42" >> "$GITHUB_OUTPUT"
  check:
    needs: build
    runs-on: [self-hosted, linux]
    steps:
      - uses: actions/checkout@v4
      - run: test -f README.md && echo "got ${{ needs.build.outputs.answer }} on $CONVEYOR_WORKER"
"""


def test_jobs_run_on_workers_and_their_logs_are_recorded(cluster: Cluster, tmp_path: Path):
    cluster.start_worker("alpha", "self-hosted,linux,x64,ubuntu-latest")
    repo = make_repo(tmp_path / "repo", {"ci.yml": TWO_JOBS, "README.md": "hi\n"})
    done = run_conveyor(cluster, repo, "run", "--executor", "celery")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "built on alpha" in done.stdout
    assert "got 42 on alpha" in done.stdout
    logs = run_conveyor(cluster, repo, "logs", "1")
    assert "built on alpha" in logs.stdout and "got 42 on alpha" in logs.stdout
    # the run's streams and control keys are gone once the jobs ended
    assert not list(cluster.client.scan_iter(match=f"{cluster.prefix}:job:*"))


LABELLED = """
on: push
jobs:
  gpu:
    strategy:
      matrix:
        n: [1, 2, 3]
    runs-on: [linux, gpu]
    steps:
      - run: echo "gpu job ${{ matrix.n }} on $CONVEYOR_WORKER"
  plain:
    strategy:
      matrix:
        n: [1, 2, 3]
    runs-on: linux
    steps:
      - run: echo "plain job ${{ matrix.n }} on $CONVEYOR_WORKER"
"""


def test_jobs_go_only_to_workers_with_all_their_labels(cluster: Cluster, tmp_path: Path):
    cluster.start_worker("gpu-box", "linux,gpu", concurrency=1)
    cluster.start_worker("cpu-box", "linux", concurrency=1)
    repo = make_repo(tmp_path / "repo", {"ci.yml": LABELLED})
    done = run_conveyor(cluster, repo, "run", "--executor", "celery", "--jobs", "6")
    assert done.returncode == 0, done.stdout + done.stderr
    for n in (1, 2, 3):
        assert f"gpu job {n} on gpu-box" in done.stdout, done.stdout
    plain = [line for line in done.stdout.splitlines() if "] plain job" in line]
    assert len(plain) == 3
    assert cluster.live_workers() == {"gpu-box": ["gpu", "linux"], "cpu-box": ["linux"]}


NO_WORKER = """
on: push
jobs:
  tpu:
    runs-on: [linux, tpu]
    steps:
      - run: echo never
  ok:
    runs-on: linux
    steps:
      - run: echo fine
"""


def test_a_job_no_worker_can_take_waits_with_a_reason_then_times_out(
    cluster: Cluster, tmp_path: Path
):
    cluster.start_worker("cpu", "linux")
    repo = make_repo(tmp_path / "repo", {"ci.yml": NO_WORKER})
    done = run_conveyor(cluster, repo, "run", "--executor", "celery", CONVEYOR_WORKER_WAIT="3")
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert "waiting for a worker with labels [linux, tpu]: no live worker has them" in out
    assert "live workers: cpu [linux]" in out
    assert "no worker with labels [linux, tpu] appeared within 3 s" in out
    assert "fine" in out  # the other job ran
    logs = run_conveyor(cluster, repo, "logs", "1", "tpu")
    assert "waiting for a worker with labels [linux, tpu]" in logs.stdout


def test_a_waiting_job_starts_when_a_worker_with_its_labels_appears(
    cluster: Cluster, tmp_path: Path
):
    repo = make_repo(tmp_path / "repo", {"ci.yml": NO_WORKER.replace("tpu", "late")})
    cluster.start_worker("cpu", "linux")
    run = start_run(cluster, repo)
    assert run.stdout is not None
    seen = []
    for line in iter(run.stdout.readline, ""):  # the job says what it waits for, and waits
        seen.append(line)
        if "waiting for a worker with labels [late, linux]" in line:
            break
    else:
        raise AssertionError("".join(seen))
    time.sleep(1.5)
    assert run.poll() is None
    cluster.start_worker("late", "linux,late")
    out, _ = run.communicate(timeout=60)
    out = "".join(seen) + out
    assert run.returncode == 0, out
    assert "a worker with labels [late, linux] is available" in out
    assert "never" in out


SECRET_JOB = """
on: push
jobs:
  use:
    runs-on: linux
    steps:
      - run: |
          printf '%s' "${{ secrets.DEPLOY_KEY }}" | sha256sum | cut -d' ' -f1 > "$PROOF"
          echo "key is ${{ secrets.DEPLOY_KEY }}"
          sleep 1
"""


def test_secrets_never_reach_redis(cluster: Cluster, tmp_path: Path):
    secret = "s3cr3t-Value-" + "x7Qz" * 4
    cluster.start_worker("w", "linux")
    repo = make_repo(tmp_path / "repo", {"ci.yml": SECRET_JOB})
    proof = tmp_path / "proof"
    host, port_db = cluster.redis_url.removeprefix("redis://").split(":")
    port, _db = port_db.split("/")
    monitor = subprocess.Popen(
        ["redis-cli", "-h", host, "-p", port, "monitor"],
        stdout=(tmp_path / "monitor.log").open("wb"),
    )
    try:
        time.sleep(0.3)
        done = run_conveyor(
            cluster, repo, "run", "--executor", "celery", "--secret", f"DEPLOY_KEY={secret}",
            "--env", f"PROOF={proof}",
        )  # fmt: skip
        snapshot = cluster.dump()
        time.sleep(0.3)
    finally:
        monitor.terminate()
        monitor.wait(5)
    assert done.returncode == 0, done.stdout + done.stderr
    # the step had the value: it hashed it
    assert proof.read_text().strip() == hashlib.sha256(secret.encode()).hexdigest()
    assert "key is ***" in done.stdout
    traffic = (tmp_path / "monitor.log").read_bytes()
    assert b"XADD" in traffic.upper() and cluster.prefix.encode() in traffic  # it watched us
    assert leaks(traffic, secret) == [], "a secret went over the wire to Redis"
    assert leaks(snapshot, secret) == []
    assert sqlite_leaks(repo / ".conveyor" / "conveyor.db", secret) == []


VICTIM = """
on: push
jobs:
  victim:
    runs-on: [linux, doomed]
    steps:
      - run: echo "victim step started"
      - run: |
          echo "$CONVEYOR_WORKER" > "$MARK.worker"
          echo "about to hang"
          sleep 120
  other:
    runs-on: [linux, safe]
    steps:
      - run: sleep 2; echo "other finished"
  after:
    needs: other
    runs-on: [linux, safe]
    steps:
      - run: echo "after ran"
"""


def test_kill_9_of_a_worker_fails_its_job_and_the_run_goes_on(cluster: Cluster, tmp_path: Path):
    cluster.start_worker("doomed", "linux,doomed")
    cluster.start_worker("safe", "linux,safe")
    repo = make_repo(tmp_path / "repo", {"ci.yml": VICTIM})
    mark = tmp_path / "mark"
    run = start_run(cluster, repo, "--jobs", "3", "--env", f"MARK={mark}")
    assert wait_file(Path(f"{mark}.worker")) == "doomed"
    time.sleep(0.5)  # let "about to hang" reach the stream
    killed = cluster.kill_tree("doomed")
    assert len(killed) >= 3  # the worker, its pool process, the step's shell (and sleep)
    at = time.time()
    out, _ = run.communicate(timeout=60)
    assert time.time() - at < 30, "the lost job took too long to fail"
    assert run.returncode == 1, out
    assert "worker doomed stopped renewing the job's lease" in out
    assert "after ran" in out and "other finished" in out
    logs = run_conveyor(cluster, repo, "logs", "1", "victim").stdout
    assert "victim step started" in logs and "about to hang" in logs  # nothing recorded lost
    show = run_conveyor(cluster, repo, "show", "1").stdout
    assert "victim" in show and "failure" in show


REQUEUED = """
on: push
jobs:
  retried:
    runs-on: linux
    steps:
      - run: |
          if [ -f "$MARK.first" ]; then
            echo "second attempt on $CONVEYOR_WORKER"
          else
            echo "$CONVEYOR_WORKER" > "$MARK.first"
            echo "first attempt on $CONVEYOR_WORKER"
            sleep 120
          fi
"""


def test_with_requeue_a_killed_workers_job_runs_again_elsewhere(cluster: Cluster, tmp_path: Path):
    cluster.start_worker("one", "linux", concurrency=1)
    cluster.start_worker("two", "linux", concurrency=1)
    repo = make_repo(tmp_path / "repo", {"ci.yml": REQUEUED})
    mark = tmp_path / "mark"
    run = start_run(cluster, repo, "--env", f"MARK={mark}", CONVEYOR_WORKER_LOST="requeue")
    first = wait_file(Path(f"{mark}.first"))
    survivor = "two" if first == "one" else "one"
    time.sleep(0.5)
    cluster.kill_tree(first)
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 0, out
    assert f"worker {first} stopped renewing the job's lease" in out
    assert "queueing the job again (attempt 2)" in out
    assert f"second attempt on {survivor}" in out
    logs = run_conveyor(cluster, repo, "logs", "1").stdout
    assert f"first attempt on {first}" in logs and f"second attempt on {survivor}" in logs


LONG = """
on: push
jobs:
  first:
    runs-on: linux
    steps:
      - run: |
          sleep 300 &
          echo $! > "$MARK.${{ github.job }}"
          wait
  second:
    runs-on: linux
    steps:
      - run: |
          sleep 300 &
          echo $! > "$MARK.${{ github.job }}"
          wait
"""


def test_cancelling_a_run_kills_its_steps_on_the_worker(cluster: Cluster, tmp_path: Path):
    cluster.start_worker("w", "linux", concurrency=1)  # one job runs, the other is queued
    repo = make_repo(tmp_path / "repo", {"ci.yml": LONG})
    mark = tmp_path / "mark"
    run = start_run(cluster, repo, "--jobs", "2", "--env", f"MARK={mark}")
    deadline = time.time() + 30
    while not list(tmp_path.glob("mark.*")):
        assert time.time() < deadline, "no job started"
        time.sleep(0.05)
    (started,) = list(tmp_path.glob("mark.*"))
    sleeper = int(wait_file(started))
    assert sleeper in descendants(cluster.workers["w"].pid)  # it runs under the worker
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 130, out
    assert pid_gone(sleeper, 10), "the step's process survived the cancellation"
    time.sleep(3)  # the worker is free now: the queued job must not run its step
    assert list(tmp_path.glob("mark.*")) == [started], out
    assert cluster.workers["w"].poll() is None  # the worker itself goes on
    show = run_conveyor(cluster, repo, "show", "1").stdout
    assert "cancelled" in show


def test_a_job_whose_dispatcher_was_killed_is_stopped_on_the_worker(
    cluster: Cluster, tmp_path: Path
):
    cluster.start_worker("w", "linux", concurrency=1)
    repo = make_repo(tmp_path / "repo", {"ci.yml": LONG.split("  second:", maxsplit=1)[0]})
    mark = tmp_path / "mark"
    run = start_run(cluster, repo, "--env", f"MARK={mark}")
    sleeper = int(wait_file(Path(f"{mark}.first")))
    run.kill()  # kill -9 of the dispatching conveyor
    run.wait(10)
    assert pid_gone(sleeper, 20), "the job went on without anyone waiting for it"
    assert cluster.workers["w"].poll() is None
    assert b"its dispatcher is gone; stopping it" in (cluster.logs / "worker-w.log").read_bytes()


def test_status_shows_live_workers_and_waiting_jobs(cluster: Cluster):
    from conveyor.executors.celery_config import CelerySettings
    from conveyor.executors.celery_executor import CeleryJobExecutor
    from conveyor.executors.celery_status import live_workers, queue_depths

    cluster.start_worker("cpu", "linux,x64", concurrency=3)
    settings = CelerySettings.from_env(cluster.env())
    executor = CeleryJobExecutor({}, settings)
    try:
        for _ in range(2):  # nobody serves tpu: both stay queued
            executor.send(settings.queue(["tpu"]), {"channel": "none", "request": "{}"})
        workers = live_workers(cluster.client, settings)
        assert {n: (w["labels"], w["concurrency"]) for n, w in workers.items()} == {
            "cpu": (["linux", "x64"], 3)
        }
        assert queue_depths(cluster.client, settings).get("tpu") == 2
    finally:
        executor.close()
