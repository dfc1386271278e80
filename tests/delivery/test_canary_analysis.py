"""Canary analysis: plans and presets, the judgement of each metric (threshold, and
Mann-Whitney against the baseline with the effect size and tolerance), and the metric
sources -- Prometheus's HTTP API served with recorded answers by a real local HTTP
server, and commands run for real."""

from __future__ import annotations

import contextlib
import json
import random
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from conveyor.delivery.analysis import Reader, Reading, Versions, analyse, judge, traffic_reading
from conveyor.delivery.canary_plan import Analysis, Metric, PlanError, make_plan, parse_pin, preset
from conveyor.delivery.ports import Bucket, Pin, Target

VERSIONS = Versions("1", "v1", "2", "v2")


def _matrix(values: list[float], version: str) -> dict[str, Any]:
    points = [[1700000000 + i, str(v)] for i, v in enumerate(values)]
    return {
        "status": "success",
        "data": {"resultType": "matrix", "result": [{"metric": {"version": version},
                                                     "values": points}]},
    }  # fmt: skip


def _vector(value: float, version: str) -> dict[str, Any]:
    return {
        "status": "success",
        "data": {"resultType": "vector", "result": [{"metric": {"version": version},
                                                     "value": [1700000000, str(value)]}]},
    }  # fmt: skip


@contextlib.contextmanager
def prometheus(recorded: dict[str, dict[str, Any]]) -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A local server answering /api/v1/query from recorded answers by query text."""
    asked: list[dict[str, str]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlparse(self.path)
            params = {k: v[0] for k, v in parse_qs(url.query).items()}
            asked.append(params)
            if url.path != "/api/v1/query" or params.get("query") not in recorded:
                status = 400
                body = {"status": "error", "errorType": "bad_data", "error": "parse error"}
            else:
                status, body = 200, recorded[params["query"]]
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()


def test_presets_are_codedeploy_s() -> None:
    assert preset("AllAtOnce") == [{"weight": 100}]
    assert preset("Canary10Percent5Minutes") == [
        {"weight": 10}, {"pause": 300}, {"weight": 100},
    ]  # fmt: skip
    linear = preset("Linear10PercentEvery1Minute")
    assert linear[:4] == [{"weight": 10}, {"pause": 60}, {"weight": 20}, {"pause": 60}]
    assert linear[-1] == {"weight": 100} and len(linear) == 19
    assert preset("Linear25PercentEvery3Minutes")[-3:] == [
        {"weight": 75}, {"pause": 180}, {"weight": 100},
    ]  # fmt: skip
    with pytest.raises(PlanError, match="unknown preset"):
        preset("Canary10PercentFast")


def test_plans_scale_durations_and_describe_their_steps() -> None:
    plan = make_plan("Canary10Percent5Minutes", None, time_scale=0.01)
    assert plan.describe() == [{"weight": 10.0}, {"pause": 3.0}, {"weight": 100.0}]
    plan = make_plan(
        [{"weight": 5}, {"pause": "indefinite"}, {"pause": True}, {"analysis": {"count": 2}}],
        {"metrics": [{"name": "e", "metric": "error-rate", "success": "< 0.01"}],
         "interval": "30s", "failure-limit": 1},
        pin=parse_pin("cookie session"),
    )  # fmt: skip
    assert [s.indefinite for s in plan.steps] == [False, True, True, False]
    merged = plan.step_analysis(plan.steps[3])
    assert (merged.count, merged.interval, merged.failure_limit) == (2, 30.0, 1)
    assert plan.pin == Pin(cookie="session")
    with pytest.raises(PlanError, match="write 'header X-User'"):
        parse_pin("query user")
    with pytest.raises(PlanError, match="needs metric: error-rate, request-rate or latency-pNN"):
        make_plan([{"weight": 1}], {"metrics": [{"name": "x", "metric": "cpu", "success": "<1"}]})
    with pytest.raises(PlanError, match="is not a condition"):
        make_plan([{"weight": 1}], {"metrics": [{"name": "x", "metric": "error-rate",
                                                  "success": "small"}]})  # fmt: skip


def test_thresholds_and_the_baseline_judgement() -> None:
    errors = Metric(name="errors", metric="error-rate", success="< 0.01")
    assert judge(errors, Reading(0.0), None).verdict == "pass"
    failed = judge(errors, Reading(0.05), None)
    assert failed.verdict == "fail" and "0.05 < 0.01: False" in failed.detail
    assert judge(errors, Reading(None), None).verdict == "inconclusive"

    latency = Metric(name="latency", metric="latency-p95", baseline=True)
    rng = random.Random(7)
    stable = [rng.gauss(20, 2) for _ in range(200)]
    slower = [rng.gauss(26, 2.6) for _ in range(50)]
    same = [rng.gauss(20, 2) for _ in range(50)]
    verdict = judge(latency, Reading(26.0, tuple(slower)), Reading(20.0, tuple(stable)))
    assert verdict.verdict == "fail" and verdict.p_value is not None
    assert verdict.p_value < 1e-6 and verdict.effect is not None and verdict.effect > 0.8
    assert re.search(r"canary 26 vs stable 20, median \+(29|30|31)\.\d% worse", verdict.detail)
    fine = judge(latency, Reading(20.1, tuple(same)), Reading(20.0, tuple(stable)))
    assert fine.verdict == "pass" and fine.p_value is not None
    # a tiny difference on huge samples: significant, but under the tolerance: a pass
    big_stable = tuple(rng.gauss(20, 1) for _ in range(5000))
    big_canary = tuple(rng.gauss(20.4, 1) for _ in range(5000))
    tiny = judge(latency, Reading(20.4, big_canary), Reading(20.0, big_stable))
    assert tiny.p_value is not None and tiny.p_value < 0.001 and tiny.verdict == "pass"
    few = judge(latency, Reading(26.0, (26.0, 27.0)), Reading(20.0, tuple(stable)))
    assert few.verdict == "inconclusive" and "too few samples" in few.detail
    # higher is better: throughput that dropped
    throughput = Metric(name="rps", source="command", command="x", baseline=True,
                        direction="higher")  # fmt: skip
    low = tuple(rng.gauss(70, 3) for _ in range(20))
    high = tuple(rng.gauss(100, 3) for _ in range(20))
    assert judge(throughput, Reading(70, low), Reading(100, high)).verdict == "fail"
    assert judge(throughput, Reading(100, high), Reading(70, low)).verdict == "pass"


def test_traffic_readings() -> None:
    buckets = [
        Bucket(0, 10, 1, tuple(float(x) for x in range(1, 11))),
        Bucket(1, 10, 0, tuple(float(x) for x in range(11, 21))),
        Bucket(2, 0, 0),
    ]
    errors = traffic_reading("error-rate", buckets, 3.0)
    assert errors.value == pytest.approx(0.05) and errors.samples == (0.1, 0.0)
    assert traffic_reading("request-rate", buckets, 3.0).value == pytest.approx(20 / 3)
    p95 = traffic_reading("latency-p95", buckets, 3.0)
    assert p95.value == pytest.approx(19.05) and len(p95.samples) == 20
    cloudwatch = [
        Bucket(0, 5, 0, percentiles={"p95": 30.0}),
        Bucket(1, 5, 0, percentiles={"p95": 50.0}),
    ]
    assert traffic_reading("latency-p95", cloudwatch, 2.0) == Reading(40.0, (30.0, 50.0))
    assert traffic_reading("error-rate", [Bucket(0, 0, 0)], 1.0).value is None


def test_prometheus_queries_with_version_templating(tmp_path: Path) -> None:
    rng = random.Random(3)
    query = 'histogram_quantile(0.95, rate(http_seconds_bucket{version="{{version}}"}[1m]))[5m:15s]'
    errors = 'sum(rate(http_errors{version="{{ version }}"}[1m]))'
    stable = [rng.gauss(0.2, 0.01) for _ in range(20)]
    slower = [rng.gauss(0.3, 0.01) for _ in range(20)]
    recorded = {
        query.replace("{{version}}", "v1"): _matrix(stable, "v1"),
        query.replace("{{version}}", "v2"): _matrix(slower, "v2"),
        errors.replace("{{ version }}", "v2"): _vector(0.002, "v2"),
    }
    analysis = Analysis.model_validate({
        "metrics": [
            {"name": "p95", "source": "prometheus", "query": query, "baseline": True},
            {"name": "errors", "source": "prometheus", "query": errors, "success": "< 0.01"},
            {"name": "broken", "source": "prometheus", "query": "up{", "success": "< 1"},
        ],
    })  # fmt: skip
    with prometheus(recorded) as (url, asked):
        analysis = analysis.model_copy(update={"prometheus": url})
        reader = Reader(object(), Target("web", "dev", {}), VERSIONS, cwd=tmp_path)
        p95, errors_judged, broken = analyse(reader, analysis, 1000.0, 1060.0)
    assert p95.verdict == "fail" and p95.p_value is not None and p95.p_value < 1e-5
    assert p95.canary_value == pytest.approx(0.3, abs=0.01)
    assert p95.stable_value == pytest.approx(0.2, abs=0.01)
    assert errors_judged.verdict == "pass" and errors_judged.canary_value == 0.002
    assert broken.verdict == "inconclusive" and "parse error" in broken.detail
    assert {a["time"] for a in asked} == {"1060.000"}
    assert len(asked) == 4  # both versions for the baseline metric, the canary for the others


def test_command_metrics(tmp_path: Path) -> None:
    script = tmp_path / "metric.sh"
    script.write_text(
        'echo "measuring $CANARY_ROLE $CANARY_VERSION {{version}}" >&2\n'
        'if [ "$CANARY_VERSION" = v2 ]; then echo 9 10 11 12 13 9 10 11; '
        "else echo 5 5 6 4 5 6 5 4; fi\n"
    )
    analysis = Analysis.model_validate({
        "metrics": [
            {"name": "queue", "source": "command", "command": f"bash {script} {{{{version}}}}",
             "baseline": True},
            {"name": "once", "source": "command", "command": "echo 0.5", "success": "<= 0.5"},
            {"name": "silent", "source": "command", "command": "true", "success": "< 1"},
        ],
    })  # fmt: skip
    reader = Reader(object(), Target("web", "dev", {}), VERSIONS, cwd=tmp_path,
                    env={"PATH": "/usr/bin:/bin"})  # fmt: skip
    queue, once, silent = analyse(reader, analysis, 0.0, 1.0)
    assert queue.verdict == "fail" and queue.canary_value == pytest.approx(10.625)
    assert queue.stable_value == pytest.approx(5.0)
    assert once.verdict == "pass" and once.canary_value == 0.5
    assert silent.verdict == "inconclusive" and "printed no number" in silent.detail
