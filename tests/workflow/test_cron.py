"""One cron implementation: what GitHub accepts, and validation and the scheduler agree.

The tables follow GitHub's documentation and the cron validator of GitHub's workflow
language service (the one its workflow editor uses).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from conveyor.triggers import next_fire_times
from conveyor.workflow import load_workflow_text
from conveyor.workflow.cron import CronError, parse_cron

ACCEPTED = [
    "0 0 * * *",
    "0 000 001 * *",  # leading zeros
    "15 * * * *",
    "2,10 4,5 * * *",
    "30 4-6 * * *",
    "0 4-4 * * *",
    "20/15 * * * *",  # a start value with a step: 20, 35, 50
    "30 5,17 * * *",
    "28 */4 * * *",
    "28 5,*/4 * * *",
    "28 5,*/4,6-8 * * *",
    "0 0 * * SUN",
    "0 0 * * SUN-TUE",
    "0 0 * * SUN-2",  # names and numbers mix in a range
    "0 2-4/5 * * *",
    "0   0  *  *               *",  # several spaces
    "*/15 1-5 * JAN-MAR mon-fri",  # names in any case
    "0/5 * * * *",
    "1,2,3 0 1 * 0",
    "*/59 */23 */31 */12 */6",  # the largest step of each field
    "0 0 30 2 *",  # valid, though February never has a 30th
]

REFUSED = [
    "0 0 * *",  # too few fields
    "0 0 * * * * *",  # too many (no seconds or years)
    "@daily",  # no macros
    "0 -1 * * *",
    "0 1- * * *",
    "0 /1 * * *",
    "0 1/ * * *",
    "0 ,1 * * *",
    "0 1, * * *",
    "0 5--5 * * *",
    "0 *//5 * * *",
    "0 */* * * *",
    "0 5/* * * *",
    "0 *-4 5-* *-* *",
    "0 ,, * * *",
    ", , , , ,",
    "0 ** * * *",
    "0 0 * * BUN",
    "0 0 * SUN JAN",  # names in the wrong field
    "0 0 * * FRI-TUE",
    "0 12-4 * * *",
    "0 */0 * * *",
    "0 2/4-5 * * *",
    "0 2-4-6 * * *",
    "0 2/4/6 * * *",
    "0 * * */FEB */TUE",  # a step is a number
    "0 0 * * 7",  # 7 is not Sunday on GitHub
    "0 0 * * 1#2",  # no nth weekday
    "0 0 L * *",  # no last day
    "0 0 15W * *",
    "0 0 ? * *",
    "*/60 * * * *",  # a step larger than the field
    "0 0 * * */7",
    "0 24 * * *",
    "60 0 * * *",
    "0 0 0 * *",
    "0 0 32 * *",
    "0 0 * 13 *",
    "0 0 * 0 *",
    "0 1.5 * * *",
    "0\t0 * * *",  # spaces only
    " 0 0 * * *",
    "0 0 * * * ",
    "",
]

WORKFLOW = """\
on:
  schedule:
    - cron: {cron}
jobs:
  a: {{runs-on: ubuntu-latest, steps: [{{run: x}}]}}
"""


def _validation_refuses(cron: str) -> bool:
    text = WORKFLOW.format(cron='"' + cron.replace("\t", "\\t") + '"')
    loaded = load_workflow_text(text, "wf.yml", root="")
    return any(d.rule == "cron" for d in loaded.errors)


def _scheduler_refuses(cron: str) -> bool:
    try:
        next_fire_times(cron, None, datetime(2024, 1, 1, tzinfo=UTC), 3)
    except CronError:
        return True
    return False


@pytest.mark.parametrize("cron", ACCEPTED)
def test_accepted(cron: str) -> None:
    parse_cron(cron)


@pytest.mark.parametrize("cron", REFUSED)
def test_refused(cron: str) -> None:
    with pytest.raises(CronError):
        parse_cron(cron)


@pytest.mark.parametrize("cron", ACCEPTED + REFUSED)
def test_validation_and_scheduler_agree(cron: str) -> None:
    refused = cron in REFUSED
    assert _validation_refuses(cron) is refused
    assert _scheduler_refuses(cron) is refused


@pytest.mark.parametrize("cron", [c for c in ACCEPTED if c != "0 0 30 2 *"])
def test_every_fire_time_is_allowed_by_the_parsed_fields(cron: str) -> None:
    parsed = parse_cron(cron)
    minutes, hours, days, months, weekdays = parsed.values
    times = next_fire_times(cron, None, datetime(2024, 1, 1, tzinfo=UTC), 40)
    assert len(times) == 40
    for when in times:
        assert when.minute in minutes and when.hour in hours and when.month in months
        weekday = (when.weekday() + 1) % 7  # cron: 0 is Sunday
        day_ok = when.day in days
        weekday_ok = weekday in weekdays
        if parsed.any[2] or parsed.any[4]:
            assert day_ok and weekday_ok
        else:
            assert day_ok or weekday_ok


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("cron", "expected"),
    [
        ("20/15 * * * *", [at(2024, 1, 1, 0, 20), at(2024, 1, 1, 0, 35), at(2024, 1, 1, 0, 50)]),
        ("0 2-4/5 * * *", [at(2024, 1, 1, 2), at(2024, 1, 2, 2), at(2024, 1, 3, 2)]),
        # 2024-01-01 is a Monday
        ("0 0 * * SUN-2", [at(2024, 1, 2), at(2024, 1, 7), at(2024, 1, 8)]),
        ("0 0 * * 0", [at(2024, 1, 7), at(2024, 1, 14), at(2024, 1, 21)]),
        # both day fields restricted: either one fires (the 1st, or a Friday)
        ("0 0 1 * FRI", [at(2024, 1, 5), at(2024, 1, 12), at(2024, 1, 19)]),
        ("0 0 30 2 *", []),
    ],
)
def test_fire_times(cron: str, expected: list[datetime]) -> None:
    assert next_fire_times(cron, None, at(2024, 1, 1), 3) == expected


def test_error_points_at_the_bad_item_and_says_what_github_allows() -> None:
    with pytest.raises(CronError) as info:
        parse_cron("0 0 * * 1,7")
    assert info.value.offset == 10
    assert info.value.message == "day of week value 7 is out of range 0-6 (use 0 or SUN for Sunday)"
    assert str(info.value) == (
        "invalid cron '0 0 * * 1,7': day of week value 7 is out of range 0-6 "
        "(use 0 or SUN for Sunday)"
    )
    with pytest.raises(CronError, match="no L, W, # or \\? operators"):
        parse_cron("0 0 * * 1#2")


def test_validation_error_has_file_line_col() -> None:
    loaded = load_workflow_text(WORKFLOW.format(cron="'0 0 * * 1#2'"), "wf.yml", root="")
    (diag,) = [d for d in loaded.errors if d.rule == "cron"]
    assert diag.format().startswith("wf.yml:3:22: invalid cron '0 0 * * 1#2': day of week")
