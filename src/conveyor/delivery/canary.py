"""``strategy: canary`` of ``conveyor/deploy@v1``: the new version takes a growing share
of the traffic beside the live one, judged by metrics at every interval, and is promoted
(the live alias switches to it) or aborted (its share back to 0: the stable version
keeps everything).

The procedure, after the usual gate check, deploy lock, stage and smoke, and publish
(:mod:`conveyor.delivery.deploy`):

1. record the canary (``canaries``, :class:`~conveyor.store.canaries.CanaryStore`):
   durable state that ``conveyor canary status|abort|promote`` read and command from
   another process;
2. run the plan's steps (:mod:`conveyor.delivery.canary_plan`): ``weight`` sets the
   canary's share through the provider (:class:`~conveyor.delivery.ports.CanaryProvider`);
   ``pause`` waits (a time, or until promoted), analysing every interval in the
   background; ``analysis`` runs ``count`` intervals. Each interval's results are
   recorded (:mod:`conveyor.delivery.analysis`). More failures of a metric than its
   ``failure-limit`` (the metric's own, else the analysis's)
   abort; more inconclusive results than ``inconclusive-limit`` pause for a human;
3. after the last step: switch the live alias to the canary, run ``verify:`` (a failure
   rolls back, as a plain deploy), retire the old version.

An abort records the deployment as ``aborted`` with the failing metric, its values for
both versions and the test's p-value, and tells the ``[notify]`` channels. A commanded
``promote`` ends the current pause (or analysis); ``promote-full`` skips every remaining
step. When nothing is live yet there is nothing to compare with: the version is deployed
at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from threading import Event
from typing import Any, NoReturn

from conveyor.delivery.analysis import Judgement, Reader, Versions, analyse
from conveyor.delivery.canary_plan import Analysis, CanaryPlan, Step
from conveyor.delivery.deploy import Deployed, DeployRequest, _Deploy, _endpoint
from conveyor.delivery.ports import CanaryProvider, Provider, ProviderError, Target
from conveyor.delivery.rollback import DeliveryError, retire
from conveyor.errors import ConveyorError
from conveyor.reporting.notify import Message, send_message
from conveyor.reporting.policy import Decision
from conveyor.store.canaries import (
    ABORTED,
    ABORTED_DEPLOYMENT,
    FAILED,
    PAUSED,
    PROMOTED,
    RUNNING,
    Canary,
    CanaryResult,
    CanaryStore,
    NewCanary,
)
from conveyor.store.deliveries import FAILED as DEPLOY_FAILED
from conveyor.store.deliveries import SMOKE_FAILED, Deployment

POLL_SECONDS = 0.2  # how often a waiting canary looks for a command


def deploy_canary(
    store: CanaryStore,
    provider: Provider,
    request: DeployRequest,
    plan: CanaryPlan,
    *,
    log: Callable[[str], None],
    cancel: Event,
) -> Deployed:
    """Deploy ``request.artifact`` as a canary following ``plan``; returns the live
    deployment once promoted, raises :class:`DeliveryError` (recorded) when aborted."""
    return _Canary(store, provider, request, log, cancel, plan).run()


class _Abort(Exception):
    def __init__(self, reason: str, verdict: dict[str, Any] | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.verdict = verdict or {}


class _Ended(Exception):
    """Another process ended the canary (and recorded why)."""


class _PromoteFull(Exception):
    def __init__(self, by: str) -> None:
        super().__init__(by)
        self.by = by


@dataclass(slots=True)
class _Tally:
    failures: int = 0
    failures_by_metric: dict[str, int] = field(default_factory=dict)
    window_start: float | None = None  # where the next interval's window starts
    first_start: float | None = None  # where the first one started (cumulative windows)
    inconclusive: int = 0
    intervals: int = 0


@dataclass(slots=True)
class _Canary(_Deploy):
    plan: CanaryPlan
    canary: Canary | None = None
    reader: Reader | None = None
    interval_number: int = 0

    @property
    def canary_store(self) -> CanaryStore:
        assert isinstance(self.store, CanaryStore)
        return self.store

    def _deploy(self) -> Deployed:
        store, provider, request = self.store, self.provider, self.request
        target, artifact = request.target, request.artifact
        if not isinstance(provider, CanaryProvider):
            raise DeliveryError(
                f"the {request.provider_name} provider cannot split traffic: deploy "
                f"{target.app} without strategy: canary"
            )
        current = store.live(request.repository_id, target.environment, target.app)
        try:
            live_ref = provider.live(target)
        except (ProviderError, ConveyorError, OSError):
            live_ref = None
        if current is None or not live_ref or current.provider_version != live_ref:
            self.log(
                f"canary: nothing of {target.app} is live in {target.environment} to compare "
                "with: deploying at once"
            )
            return _Deploy._deploy(self)
        row = self._begin()
        where = f"{target.app} {artifact.version} to {target.environment}"
        self.log(f"canary deploy of {where} beside {current.version}")
        try:
            staged = provider.stage(target, artifact)
        except (ProviderError, ConveyorError, OSError) as exc:
            store.finish_deployment(row.id, DEPLOY_FAILED, reason=f"staging failed: {exc}")
            raise DeliveryError(f"deploy of {where} failed while staging: {exc}") from exc
        smoke = self._checks(staged, staged.endpoint, request.smoke)
        if smoke is not None:
            self._discard(staged)
            store.finish_deployment(row.id, SMOKE_FAILED, reason=f"smoke failed: {smoke}")
            raise DeliveryError(
                f"deploy of {where}: smoke failed: {smoke}; the staged version was discarded "
                f"and {current.version} keeps all the traffic"
            )
        try:
            version = provider.publish(target, staged)
        except (ProviderError, ConveyorError, OSError) as exc:
            self._discard(staged)
            store.finish_deployment(row.id, DEPLOY_FAILED, reason=f"publish failed: {exc}")
            raise DeliveryError(f"deploy of {where} failed: {exc}") from exc
        store.finish_deployment(row.id, "canary", provider_version=version)
        self.canary = self.canary_store.begin_canary(
            NewCanary(
                repository_id=request.repository_id,
                app=target.app,
                environment=target.environment,
                deployment_id=row.id,
                stable_version=current.version,
                stable_ref=current.provider_version,
                canary_version=artifact.version,
                canary_ref=version,
                plan=self.plan.describe(),
                run_id=request.run_id,
                job_key=request.job_key,
            )
        )
        self.reader = Reader(
            provider,
            target,
            Versions(current.provider_version, current.version, version, artifact.version),
            env=request.env,
            cwd=request.cwd,
            cancel=self.cancel,
            command_timeout=request.command_timeout,
        )
        self.log(
            f"canary #{self.canary.id}: {len(self.plan.steps)} steps; see `conveyor canary "
            f"status --app {target.app} --env {target.environment}`"
        )
        try:
            self._steps()
        except _PromoteFull as promote:
            self.log(f"promoted by {promote.by}: skipping the remaining steps")
        except _Abort as abort:
            self._abort(row, abort)
        except _Ended as ended:
            raise DeliveryError(
                f"canary {artifact.version} of {target.app} in {target.environment} was ended "
                f"by another process: {ended}"
            ) from None
        except (ProviderError, ConveyorError, OSError) as exc:
            self._abort(row, _Abort(f"the canary could not go on: {exc}"), FAILED)
        return self._promote(row, current)

    # -- the steps -------------------------------------------------------------------

    def _steps(self) -> None:
        assert self.canary is not None
        for index, step in enumerate(self.plan.steps):
            self._update(step=index, status=RUNNING, message="", paused_until=None)
            if step.weight is not None:
                self._weight(step.weight)
            elif step.pause is not None or step.indefinite:
                self._pause(index, step)
            else:
                self._analysis(index, self.plan.step_analysis(step))

    def _weight(self, weight: float) -> None:
        assert self.canary is not None and isinstance(self.provider, CanaryProvider)
        self.provider.set_weight(
            self.request.target,
            self.canary.stable_ref,
            self.canary.canary_ref,
            weight,
            self.plan.pin,
        )
        self._update(weight=weight)
        self.log(f"canary weight {weight:g}%")

    def _pause(self, index: int, step: Step) -> None:
        target = self.request.target
        if step.indefinite:
            self._wait_for_human(
                f"paused until promoted: conveyor canary promote --app {target.app} "
                f"--env {target.environment}"
            )
            return
        assert step.pause is not None
        seconds = self.plan.seconds(step.pause)
        self._update(paused_until=time.time() + seconds)
        self.log(f"canary pause {seconds:g}s")
        background = (
            self.plan.analysis if self.plan.analysis and self.plan.analysis.background else None
        )
        deadline = time.time() + seconds
        tally = _Tally()
        if background is not None and background.warmup > 0:
            warmup = min(self.plan.seconds(background.warmup), seconds)
            if self._sleep(warmup):
                return
        while True:
            start = tally.window_start or time.time()
            if background is None or deadline - start < self.plan.seconds(background.interval):
                # no analysis, or the rest of the pause is too short to judge
                self._sleep(max(0.0, deadline - time.time()))
                return
            if self._interval(index, background, tally):
                return

    def _analysis(self, index: int, analysis: Analysis) -> None:
        self.log(f"canary analysis: {analysis.count} intervals")
        tally = _Tally()
        if analysis.warmup > 0 and self._sleep(self.plan.seconds(analysis.warmup)):
            return
        while tally.intervals < analysis.count:
            if self._interval(index, analysis, tally):
                return

    def _interval(self, index: int, analysis: Analysis, tally: _Tally) -> bool:
        """Wait one interval and judge it; True when a human promoted meanwhile."""
        assert self.reader is not None
        # intervals follow each other without a gap: judging one overlaps the next
        start = tally.window_start or time.time()
        if self._sleep(max(0.0, start + self.plan.seconds(analysis.interval) - time.time())):
            return True
        end = time.time()
        tally.window_start = end
        if tally.first_start is None:
            tally.first_start = start
        since = tally.first_start if analysis.window == "cumulative" else start
        judged = analyse(self.reader, analysis, since, end)
        self.interval_number += 1
        tally.intervals += 1
        for judgement in judged:
            self.canary_store.record_result(
                self._id(),
                CanaryResult(
                    step=index,
                    interval=self.interval_number,
                    metric=judgement.metric,
                    verdict=judgement.verdict,
                    canary_value=judgement.canary_value,
                    stable_value=judgement.stable_value,
                    p_value=judgement.p_value,
                    effect=judgement.effect,
                    detail=judgement.detail,
                    at=end,
                ),
            )
        said = "; ".join(
            f"{j.metric} {j.verdict}" + (f" ({j.detail})" * bool(j.detail)) for j in judged
        )
        self.log(f"interval {self.interval_number}: {said}")
        failed = [j for j in judged if j.verdict == "fail"]
        limits = {m.name: m.failure_limit for m in analysis.metrics}
        for judgement in failed:
            count = tally.failures_by_metric.get(judgement.metric, 0) + 1
            tally.failures_by_metric[judgement.metric] = count
            limit = limits.get(judgement.metric)
            if count > (analysis.failure_limit if limit is None else limit):
                raise _Abort(
                    f"metric {judgement.metric} failed: {judgement.detail}",
                    self._verdict(index, judgement),
                )
        if failed:
            tally.failures += 1
        elif any(j.verdict == "inconclusive" for j in judged):
            tally.inconclusive += 1
            if tally.inconclusive > analysis.inconclusive_limit:
                unsure = next(j for j in judged if j.verdict == "inconclusive")
                target = self.request.target
                self._wait_for_human(
                    f"analysis inconclusive ({unsure.metric}: {unsure.detail}): a human decides "
                    f"-- conveyor canary promote|abort --app {target.app} --env "
                    f"{target.environment}"
                )
                return True
        return False

    def _verdict(self, index: int, judgement: Judgement) -> dict[str, Any]:
        return {
            "metric": judgement.metric,
            "canary_value": judgement.canary_value,
            "stable_value": judgement.stable_value,
            "p_value": judgement.p_value,
            "effect": judgement.effect,
            "detail": judgement.detail,
            "step": index,
            "interval": self.interval_number,
        }

    # -- waiting and commands --------------------------------------------------------------

    def _sleep(self, seconds: float) -> bool:
        """Wait, looking for commands; True when promoted (the wait ends)."""
        deadline = time.monotonic() + seconds
        while True:
            if self._poll():
                return True
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.cancel.wait(min(POLL_SECONDS, left))

    def _wait_for_human(self, message: str) -> None:
        self.log(message)
        self._update(status=PAUSED, message=message, paused_until=None)
        while not self._poll():
            self.cancel.wait(POLL_SECONDS)
        self._update(status=RUNNING, message="")

    def _poll(self) -> bool:
        if self.cancel.is_set():
            raise _Abort("the job was cancelled")
        taken = self.canary_store.take_command(self._id())
        if taken is None:
            return False
        command, by, reason = taken
        if command == "ended":
            raise _Ended(reason)
        why = f": {reason}" if reason else ""
        if command == "abort":
            raise _Abort(f"aborted by {by or 'someone'}{why}", {"by": by, "reason": reason})
        if command == "promote-full":
            raise _PromoteFull(by)
        self.log(f"promoted by {by or 'someone'}{why}: on to the next step")
        return True

    def _update(self, **values: Any) -> None:
        self.canary_store.update_canary(self._id(), **values)

    def _id(self) -> int:
        assert self.canary is not None
        return self.canary.id

    # -- the end ---------------------------------------------------------------------

    def _promote(self, row: Deployment, current: Deployment) -> Deployed:
        assert self.canary is not None
        store, provider, target = self.store, self.provider, self.request.target
        version = self.canary.canary_ref
        try:
            provider.switch(target, version)
        except (ProviderError, ConveyorError, OSError) as exc:
            self._abort(row, _Abort(f"the switch to the canary failed: {exc}"), FAILED)
        store.went_live(row.id, version)
        self._update(status=PROMOTED, weight=100.0, message="", ended_at=time.time())
        url = self.request.live_url or _endpoint(provider, target)
        self.log(f"promoted: {target.app} in {target.environment} is {row.version} {url}")
        failure = self._checks(version, url, self.request.verify)
        if failure is not None:
            self._roll_back(row, f"verify failed: {failure}")
        store.complete(row.id)
        if current.provider_version not in ("", version):
            retire(provider, target, current.provider_version, self.log)
        done = store.deployment(row.id)
        assert done is not None
        return Deployed(done, url)

    def _abort(self, row: Deployment, abort: _Abort, status: str = ABORTED) -> NoReturn:
        assert self.canary is not None and isinstance(self.provider, CanaryProvider)
        canary, target = self.canary, self.request.target
        where = f"canary {canary.canary_version} of {target.app} in {target.environment}"
        problems: list[str] = []
        try:
            self.provider.set_weight(target, canary.stable_ref, canary.canary_ref, 0.0)
        except (ProviderError, ConveyorError, OSError) as exc:
            problems.append(f"setting its weight to 0 failed: {exc}")
        try:  # the alias on the stable version alone, the split gone
            self.provider.switch(target, canary.stable_ref)
        except (ProviderError, ConveyorError, OSError) as exc:
            problems.append(f"the switch back to {canary.stable_version} failed: {exc}")
        retire(self.provider, target, canary.canary_ref, self.log)
        reason = f"canary aborted: {abort.reason}"
        if problems:
            reason += "; " + "; ".join(problems)
        self.store.finish_deployment(row.id, ABORTED_DEPLOYMENT, reason=reason)
        self._update(
            status=status, weight=0.0, message=reason, verdict=abort.verdict, ended_at=time.time()
        )
        stored = self.canary_store.canary(canary.id)  # what is told is what was stored: masked
        self._announce(stored or canary)
        raise DeliveryError(f"{where}: {reason}; {canary.stable_version} keeps all the traffic")

    def _announce(self, canary: Canary) -> None:
        settings = self.request.notify
        if settings is None:
            return
        subject = (
            f"Canary aborted: {canary.app} {canary.canary_version} in {canary.environment} "
            f"({canary.stable_version} keeps all traffic)"
        )
        verdict, reason = canary.verdict, canary.message
        lines = [subject, f"Why: {reason}"]
        if "metric" in verdict:
            lines.append(
                f"Metric {verdict['metric']}: canary {verdict['canary_value']}, stable "
                f"{verdict['stable_value']}, p-value {verdict['p_value']}"
            )
        payload = {
            "source": "conveyor",
            "event": "canary_aborted",
            "app": canary.app,
            "environment": canary.environment,
            "canary": {"version": canary.canary_version, "deployment": canary.deployment_id},
            "stable": {"version": canary.stable_version},
            "verdict": verdict,
            "reason": reason,
            "run_id": canary.run_id,
        }
        outcome = send_message(
            settings,
            Message(subject=subject, text="\n".join(lines), payload=payload),
            canary.run_id or 0,
            Decision(send=True, reasons=[reason]),
            env=dict(self.request.env),
        )
        for warning in outcome.warnings:
            self.log(f"Warning: {warning}")


def abort_orphaned(
    store: CanaryStore,
    provider: Provider,
    target: Target,
    canary: Canary,
    reason: str,
    *,
    log: Callable[[str], None],
) -> None:
    """Abort a canary whose deploy step is gone (its process died): what the step would
    have done -- weight 0, the alias on the stable version alone, the canary retired, the
    deployment and the canary recorded as aborted."""
    problems: list[str] = []
    if isinstance(provider, CanaryProvider):
        try:
            provider.set_weight(target, canary.stable_ref, canary.canary_ref, 0.0)
        except (ProviderError, ConveyorError, OSError) as exc:
            problems.append(f"setting its weight to 0 failed: {exc}")
    try:
        provider.switch(target, canary.stable_ref)
    except (ProviderError, ConveyorError, OSError) as exc:
        problems.append(f"the switch back to {canary.stable_version} failed: {exc}")
    retire(provider, target, canary.canary_ref, log)
    said = f"canary aborted: {reason}" + "".join(f"; {p}" for p in problems)
    if canary.deployment_id is not None:
        store.finish_deployment(canary.deployment_id, ABORTED_DEPLOYMENT, reason=said)
    store.update_canary(
        canary.id, status=ABORTED, weight=0.0, message=said, command=None,
        verdict={"reason": reason}, ended_at=time.time(),
    )  # fmt: skip
    if problems:
        raise DeliveryError(said)
