"""Every command's name, the module that defines it and its one-line help: light on purpose.

``conveyor --help`` lists the commands from here without importing a single command
module; ``conveyor NAME`` imports only NAME's module (:class:`conveyor.cli.lazy.LazyGroup`).
A module adds its commands with its ``register(app)``. Add a line here for a new command;
``tests/test_cli_help.py`` checks that each help text is the command's own first paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CommandSpec:
    name: str
    module: str  # defines ``register(app)``, which adds this command (and maybe others)
    help: str  # the first paragraph of the command's help
    hidden: bool = False


_CLI = "conveyor.cli."

COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("version", _CLI + "main", "Print conveyor's version."),
    CommandSpec(
        "validate",
        _CLI + "validate_cmd",
        "Check workflow files (and action.yml files) and report every problem with its place.",
    ),
    CommandSpec(
        "eval",
        _CLI + "eval_cmd",
        "Evaluate a GitHub Actions expression and print the result as JSON.",
    ),
    CommandSpec(
        "plan",
        _CLI + "plan_cmd",
        "Show which workflows an event fires, with jobs in order, matrices and runners.",
    ),
    CommandSpec(
        "list",
        _CLI + "list_cmd",
        "List the workflows (those an event fires, with --event) and their jobs.",
    ),
    CommandSpec(
        "runs",
        _CLI + "history_cmd",
        "List this repository's recent runs (--all: every repository's), newest first.",
    ),
    CommandSpec(
        "show",
        _CLI + "history_cmd",
        "Show a run with its jobs and steps: conclusions, durations, exit codes, outputs.",
    ),
    CommandSpec("logs", _CLI + "history_cmd", "Print the logs of a run, a job, or one step."),
    CommandSpec("run", _CLI + "run_cmd", "Run the workflows an event triggers, locally."),
    CommandSpec(
        "resume",
        _CLI + "run_cmd",
        "Continue a run whose conveyor process died (crash, kill -9, a lost machine), or a "
        "run parked waiting for approvals (run --no-wait) once they are decided.",
    ),
    CommandSpec(
        "pending",
        _CLI + "approvals_cmd",
        "List the jobs waiting for an approval (this repository's runs; --all: every one).",
    ),
    CommandSpec(
        "approve",
        _CLI + "approvals_cmd",
        "Approve the run's jobs waiting for the environment (any one reviewer approves).",
    ),
    CommandSpec(
        "reject",
        _CLI + "approvals_cmd",
        "Reject the run's jobs waiting for the environment: they fail, naming who and why.",
    ),
    CommandSpec(
        "job-exec",
        _CLI + "run_cmd",
        "Execute one job request read on stdin (used by --executor process).",
        hidden=True,
    ),
    CommandSpec(
        "worker",
        _CLI + "worker_cmd",
        "Run jobs from Celery's queues: those whose runs-on labels this worker has.",
    ),
    CommandSpec(
        "ingest", _CLI + "results_cmd", "Store test results from report files (all or nothing)."
    ),
    CommandSpec(
        "flaky",
        _CLI + "results_cmd",
        "List this repository's flaky tests (pass and fail on one commit, or a high flip "
        'rate), following each tier\'s flaky policy in conveyor.toml (flaky = "off", '
        "min_commits, min_days).",
    ),
    CommandSpec(
        "stats",
        _CLI + "results_cmd",
        "This repository's success rates, durations, pass rates, flakiness and slowest tests "
        "vs the targets in conveyor.toml's ``[targets]`` (the seeds' defaults when there is "
        "none).",
    ),
    CommandSpec(
        "perf",
        _CLI + "perf_cmd",
        "Benchmark results and performance regressions: ingest them, check the newest.",
    ),
    CommandSpec(
        "shard",
        _CLI + "results_cmd",
        "Print this shard's tests, balanced by recorded durations.",
    ),
    CommandSpec(
        "test",
        _CLI + "test_cmd",
        "Run test tiers in order (pytest per tier); extra pytest args after `--`.",
    ),
    CommandSpec(
        "report",
        _CLI + "report_cmd",
        "Print a run's test report: verdict, tiers, failures, flaky tests, actions.",
    ),
    CommandSpec(
        "notify",
        _CLI + "report_cmd",
        "Send the run's report to the notify channels when the policy or a rule says so.",
    ),
    CommandSpec(
        "gc",
        _CLI + "report_cmd",
        "Remove logs, workspaces, artifacts and test results older than the cutoff.",
    ),
    CommandSpec(
        "trigger",
        _CLI + "trigger_cmd",
        "Simulate a GitHub event (push, pull_request, tag, workflow_dispatch) and run it.",
    ),
    CommandSpec("schedule", _CLI + "schedule_cmd", "List and run scheduled workflows."),
    CommandSpec(
        "quarantine",
        _CLI + "results_cmd",
        "Quarantined tests: still run, but don't fail their tier.",
    ),
    CommandSpec("db", _CLI + "db_cmd", "The history database's schema."),
    CommandSpec(
        "agent",
        _CLI + "agent_cmd",
        "The background agent that keeps conveyor's modules loaded between commands.",
    ),
    CommandSpec(
        "artifacts",
        _CLI + "delivery_cmd",
        "Builds published with conveyor/publish@v1: version, digest, commit, where live.",
    ),
    CommandSpec(
        "deployments",
        _CLI + "delivery_cmd",
        "What is live per environment and app, then the deployment history, newest first.",
    ),
    CommandSpec(
        "rollback",
        _CLI + "delivery_cmd",
        "Move the live alias of an app in an environment back, with no rebuild.",
    ),
    CommandSpec(
        "router",
        _CLI + "router_cmd",
        "The routers and versions of apps deployed with the process provider.",
    ),
    CommandSpec(
        "repos",
        _CLI + "repos_cmd",
        "The repositories conveyor serve takes webhooks for: add, list, remove.",
    ),
    CommandSpec(
        "canary",
        _CLI + "canary_cmd",
        "Canary releases: status (step, weights, analysis results), abort, promote.",
    ),
    CommandSpec(
        "serve",
        _CLI + "serve_cmd",
        "Serve webhooks, the API and the dashboard, and run what they trigger.",
    ),
    CommandSpec(
        "dispatch",
        _CLI + "dispatch_cmd",
        "Start a workflow_dispatch run of a workflow on a conveyor server, with inputs.",
    ),
    CommandSpec(
        "tokens", _CLI + "tokens_cmd", "The API's tokens: create (printed once), list, revoke."
    ),
)

BY_NAME: dict[str, CommandSpec] = {spec.name: spec for spec in COMMANDS}
