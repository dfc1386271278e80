"""Line charts as inline SVG, drawn on the server: one or more series over days, a
target as a dashed line, labelled axes. Every text is escaped; no script."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

WIDTH, HEIGHT = 640, 220
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 14, 28
PALETTE = 6  # series colours come from the stylesheet: .s0 ... .s5


@dataclass(frozen=True, slots=True)
class Series:
    label: str
    points: Sequence[tuple[float, float]]  # (day start, POSIX seconds; value)


def _day(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%m-%d")


def line_chart(
    title: str,
    series: Sequence[Series],
    *,
    start: float,
    end: float,
    target: float | None = None,
    target_label: str = "target",
    fmt: Callable[[float], str] = lambda v: f"{v:g}",
    y_max: float | None = None,
) -> str:
    values = [v for s in series for _, v in s.points]
    top = y_max if y_max is not None else max([*values, target or 0.0, 1e-9]) * 1.1
    span = max(end - start, 1.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(at: float) -> float:
        return LEFT + (at - start) / span * plot_w

    def y(value: float) -> float:
        return TOP + plot_h - (value / top) * plot_h if top else TOP + plot_h

    out = [
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg" preserveAspectRatio="xMidYMid meet">'
    ]
    for i in range(5):  # horizontal grid with values
        value = top * i / 4
        gy = y(value)
        out.append(
            f'<line class="grid" x1="{LEFT}" y1="{gy:.1f}" x2="{WIDTH - RIGHT}" y2="{gy:.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end">'
            f"{escape(fmt(value))}</text>"
        )
    ticks = 6
    for i in range(ticks + 1):
        at = start + span * i / ticks
        out.append(
            f'<text class="axis" x="{x(at):.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
            f"{_day(at)}</text>"
        )
    if target is not None:
        ty = y(target)
        out.append(
            f'<line class="target" x1="{LEFT}" y1="{ty:.1f}" x2="{WIDTH - RIGHT}" y2="{ty:.1f}"/>'
            f'<text class="target-label" x="{WIDTH - RIGHT - 4}" y="{ty - 4:.1f}" '
            f'text-anchor="end">{escape(target_label)} {escape(fmt(target))}</text>'
        )
    for index, line in enumerate(series):
        if not line.points:
            continue
        path = " ".join(
            f"{'M' if i == 0 else 'L'}{x(at):.1f},{y(v):.1f}"
            for i, (at, v) in enumerate(line.points)
        )
        cls = f"s{index % PALETTE}"
        out.append(
            f'<path class="series {cls}" d="{path}"><title>{escape(line.label)}</title></path>'
        )
        for at, v in line.points if len(line.points) <= 31 else ():
            out.append(
                f'<circle class="point {cls}" cx="{x(at):.1f}" cy="{y(v):.1f}" r="2.5">'
                f"<title>{escape(line.label)} {_day(at)}: {escape(fmt(v))}</title></circle>"
            )
    out.append("</svg>")
    if len(series) > 1 or target is not None:
        out.append('<ul class="legend">')
        for index, line in enumerate(series):
            out.append(
                f'<li><span class="swatch s{index % PALETTE}"></span>{escape(line.label)}</li>'
            )
        if target is not None:
            out.append(f'<li><span class="swatch target"></span>{escape(target_label)}</li>')
        out.append("</ul>")
    out.append("</figure>")
    return "".join(out)


def stacked_bars(title: str, days: Sequence[float], stacks: dict[str, dict[float, int]]) -> str:
    """Counts per day and category (failure categories over time)."""
    if not days:
        return ""
    totals = [sum(stack.get(day, 0) for stack in stacks.values()) for day in days]
    top = float(max([*totals, 1]))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    bar = plot_w / len(days)
    out = [
        f'<figure class="chart"><figcaption>{escape(title)}</figcaption>'
        f'<svg viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for i in range(5):
        value = top * i / 4
        gy = TOP + plot_h - plot_h * i / 4
        out.append(
            f'<line class="grid" x1="{LEFT}" y1="{gy:.1f}" x2="{WIDTH - RIGHT}" y2="{gy:.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{gy + 4:.1f}" text-anchor="end">'
            f"{value:.0f}</text>"
        )
    names = sorted(stacks)
    for column, day in enumerate(days):
        base = float(TOP + plot_h)
        for index, name in enumerate(names):
            count = stacks[name].get(day, 0)
            if not count:
                continue
            h = count / top * plot_h
            base -= h
            out.append(
                f'<rect class="bar s{index % PALETTE}" x="{LEFT + column * bar + 1:.1f}" '
                f'y="{base:.1f}" width="{max(bar - 2, 1):.1f}" height="{h:.1f}">'
                f"<title>{escape(name)} {_day(day)}: {count}</title></rect>"
            )
        if column % max(1, len(days) // 6) == 0:
            out.append(
                f'<text class="axis" x="{LEFT + column * bar + bar / 2:.1f}" y="{HEIGHT - 8}" '
                f'text-anchor="middle">{_day(day)}</text>'
            )
    out.append('</svg><ul class="legend">')
    for index, name in enumerate(names):
        out.append(f'<li><span class="swatch s{index % PALETTE}"></span>{escape(name)}</li>')
    out.append("</ul></figure>")
    return "".join(out)
